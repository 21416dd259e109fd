//! ICAO Doc 9303 machine-readable zone (MRZ) parsing and encoding.
//!
//! Supports the three size classes of Doc 9303 Parts 4-6:
//!
//! | format | lines | characters per line | typical document |
//! | --- | --- | --- | --- |
//! | TD1 | 3 | 30 | identity card |
//! | TD2 | 2 | 36 | identity card / official travel document |
//! | TD3 | 2 | 44 | passport |
//!
//! [`parse`] verifies every check digit and reports *all* problems it finds,
//! each naming the field it concerns. [`encode`] builds the lines (with all
//! check digits) from [`MrzFields`]. [`to_mrz_name`] transliterates a typed
//! name the way Doc 9303 Part 3 does, so that it can be compared with the
//! names read from an MRZ.
//!
//! Not supported: machine-readable visas (MRV-A / MRV-B, document code `V`),
//! whose lines have no composite check digit, and dates of birth that are
//! partly unknown (written with `<` fillers).

use std::fmt;

use chrono::{Datelike, NaiveDate};
use thiserror::Error;

/// The filler character of the MRZ.
const FILLER: u8 = b'<';

const FIELD_SHAPE: &str = "mrz";
const FIELD_DOCUMENT_CODE: &str = "mrz.document_code";
const FIELD_ISSUING_STATE: &str = "mrz.issuing_state";
const FIELD_NATIONALITY: &str = "mrz.nationality";
const FIELD_DOCUMENT_NUMBER: &str = "mrz.document_number";
const FIELD_DATE_OF_BIRTH: &str = "mrz.date_of_birth";
const FIELD_DATE_OF_EXPIRY: &str = "mrz.date_of_expiry";
const FIELD_OPTIONAL_DATA: &str = "mrz.optional_data";
const FIELD_COMPOSITE: &str = "mrz.composite";
const FIELD_SEX: &str = "mrz.sex";
const FIELD_NAMES: &str = "mrz.names";

/// The size class of a machine-readable zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MrzFormat {
    /// TD1 (ID-1 card): 3 lines of 30 characters.
    Td1,
    /// TD2 (ID-2 card): 2 lines of 36 characters.
    Td2,
    /// TD3 (passport book): 2 lines of 44 characters.
    Td3,
}

impl MrzFormat {
    const fn line_count(self) -> usize {
        match self {
            Self::Td1 => 3,
            Self::Td2 | Self::Td3 => 2,
        }
    }

    const fn line_len(self) -> usize {
        match self {
            Self::Td1 => 30,
            Self::Td2 => 36,
            Self::Td3 => 44,
        }
    }

    /// Width of the name field.
    const fn name_len(self) -> usize {
        match self {
            Self::Td1 => 30,
            Self::Td2 => 31,
            Self::Td3 => 39,
        }
    }

    /// Width of the field where optional data starts (and where a long
    /// document number overflows to, for TD1/TD2).
    const fn optional_area_len(self) -> usize {
        match self {
            Self::Td1 => 15,
            Self::Td2 => 7,
            Self::Td3 => 14,
        }
    }

    /// Width of the second optional data field (TD1 line 2 only).
    const fn optional_tail_len(self) -> usize {
        match self {
            Self::Td1 => 11,
            Self::Td2 | Self::Td3 => 0,
        }
    }

    /// The longest document number the format can carry.
    const fn max_document_number_len(self) -> usize {
        match self {
            // 9 in the number field, the rest plus check digit plus a
            // terminating filler in the optional data area.
            Self::Td1 | Self::Td2 => 9 + self.optional_area_len() - 2,
            Self::Td3 => 9,
        }
    }

    const fn label(self) -> &'static str {
        match self {
            Self::Td1 => "TD1",
            Self::Td2 => "TD2",
            Self::Td3 => "TD3",
        }
    }
}

impl fmt::Display for MrzFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The sex of the holder as written in the MRZ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MrzSex {
    /// `F`.
    F,
    /// `M`.
    M,
    /// Unspecified: `<` (Doc 9303) or `X` (used by some issuers) in the MRZ.
    /// [`encode`] writes `<`.
    Unspecified,
}

/// A date as written in an MRZ (YYMMDD); the century is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MrzDate {
    /// Year within the century, 0-99.
    pub yy: u8,
    /// Month, 1-12.
    pub mm: u8,
    /// Day of the month, 1-31.
    pub dd: u8,
}

impl MrzDate {
    /// The MRZ form of a calendar date (the century is dropped).
    pub fn from_date(d: NaiveDate) -> Self {
        Self {
            yy: d.year().rem_euclid(100) as u8,
            mm: d.month() as u8,
            dd: d.day() as u8,
        }
    }

    /// Whether `d` is written as this MRZ date (year within the century,
    /// month and day all equal).
    pub fn matches(&self, d: NaiveDate) -> bool {
        *self == Self::from_date(d)
    }
}

impl fmt::Display for MrzDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}{:02}{:02}", self.yy, self.mm, self.dd)
    }
}

/// A parsed MRZ whose every check digit has been verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mrz {
    /// Size class of the zone.
    pub format: MrzFormat,
    /// Document code, e.g. `P`, `I`, `AC`, `ID`, with `<` fillers trimmed.
    pub document_code: String,
    /// Issuing state or organisation, 1-3 letters, fillers trimmed
    /// (Germany is `D`).
    pub issuing_state: String,
    /// Document number, fillers trimmed. For TD1/TD2 numbers longer than 9
    /// characters it is reassembled from the optional-data overflow.
    pub document_number: String,
    /// Nationality, 1-3 letters, fillers trimmed.
    pub nationality: String,
    /// Date of birth (century unknown).
    pub date_of_birth: MrzDate,
    /// Sex of the holder.
    pub sex: MrzSex,
    /// Date of expiry (century unknown).
    pub date_of_expiry: MrzDate,
    /// Primary identifier: `<` read as a space, runs collapsed, trimmed.
    pub surname: String,
    /// Secondary identifier likewise (`""` if none).
    pub given_names: String,
    /// TD3: the personal number; TD1: line 1 optional data followed directly
    /// by line 2 optional data; TD2: the optional data. Leading and trailing
    /// fillers trimmed, inner fillers kept. The overflow of a long TD1/TD2
    /// document number is not included.
    pub optional_data: String,
}

/// One problem found in an MRZ, naming the field like an API would: `"mrz"`
/// for shape problems (wrong line count, wrong length, a character outside
/// A-Z 0-9 <), and otherwise `"mrz.document_code"`, `"mrz.issuing_state"`,
/// `"mrz.nationality"`, `"mrz.document_number"`, `"mrz.date_of_birth"`,
/// `"mrz.date_of_expiry"`, `"mrz.optional_data"`, `"mrz.composite"`,
/// `"mrz.sex"` or `"mrz.names"`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {message}")]
pub struct MrzError {
    /// The field concerned, e.g. `"mrz.document_number"`.
    pub field: &'static str,
    /// What is wrong, e.g. `"check digit is 4, computed 7"`.
    pub message: String,
}

impl MrzError {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// Fields for building an MRZ (used by tests, demo data and benchmark
/// generators).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MrzFields {
    /// Size class to produce.
    pub format: MrzFormat,
    /// Document code, 1-2 letters (`P`, `I`, `AC`, `ID`, ...); not `V`.
    pub document_code: String,
    /// Issuing state, 1-3 letters.
    pub issuing_state: String,
    /// Document number, A-Z and 0-9 only: up to 9 characters for TD3, 14 for
    /// TD2 and 22 for TD1 (longer than 9 uses the overflow rule).
    pub document_number: String,
    /// Nationality, 1-3 letters.
    pub nationality: String,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
    /// Sex of the holder.
    pub sex: MrzSex,
    /// Date of expiry.
    pub date_of_expiry: NaiveDate,
    /// Primary identifier in any spelling; transliterated with
    /// [`to_mrz_name`]. Must not be empty after transliteration.
    pub surname: String,
    /// Secondary identifier in any spelling; transliterated with
    /// [`to_mrz_name`]; may be empty.
    pub given_names: String,
    /// Optional data (TD3: personal number), A-Z, 0-9 and `<`; leading and
    /// trailing fillers are ignored.
    pub optional_data: String,
}

/// Numeric value of an MRZ character for check digits: `<` = 0, `0`-`9`,
/// `A` = 10 ... `Z` = 35. Anything else counts as 0.
fn char_value(c: u8) -> u32 {
    match c {
        b'0'..=b'9' => u32::from(c - b'0'),
        b'A'..=b'Z' => u32::from(c - b'A') + 10,
        _ => 0,
    }
}

fn check_digit_value(field: &[u8]) -> u8 {
    const WEIGHTS: [u32; 3] = [7, 3, 1];
    let sum: u32 = field
        .iter()
        .zip(WEIGHTS.iter().cycle())
        .map(|(&c, &w)| char_value(c) * w)
        .sum();
    // `sum % 10` is below 10, so the conversion cannot fail.
    u8::try_from(sum % 10).unwrap_or(0)
}

/// The ICAO Doc 9303 check digit of `field`: weights 7, 3, 1 repeating;
/// `<` = 0, `0`-`9` their value, `A` = 10 ... `Z` = 35; the sum modulo 10.
///
/// Characters outside A-Z, 0-9 and `<` (including lowercase letters) count as
/// 0; [`parse`] rejects such input before any check digit is computed.
pub fn check_digit(field: &str) -> char {
    char::from(b'0' + check_digit_value(field.as_bytes()))
}

fn is_mrz_char(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || c == '<'
}

/// `line[range]`, or `""` if out of range (never happens after the shape
/// checks; keeps the parser free of panics).
fn seg(line: &str, start: usize, end: usize) -> &str {
    line.get(start..end).unwrap_or("")
}

/// The byte at `i`, or `?` (which fails every later check) if out of range.
fn at(line: &str, i: usize) -> u8 {
    line.as_bytes().get(i).copied().unwrap_or(b'?')
}

fn trim_fillers(s: &str) -> &str {
    s.trim_matches('<')
}

/// `<`-separated words of a name part, joined with single spaces.
fn name_words(s: &str) -> String {
    s.split('<')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Parses the lines of an MRZ (TD1, TD2 or TD3, chosen by line count and
/// length) and verifies every check digit.
///
/// Only `A`-`Z`, `0`-`9` and `<` are accepted; lowercase is rejected. A single
/// trailing `\r` per line is ignored. On failure, every problem found is
/// returned, not only the first; shape problems (line count, line length,
/// characters) stop the parse before fields are read.
pub fn parse(lines: &[String]) -> Result<Mrz, Vec<MrzError>> {
    let lines: Vec<&str> = lines
        .iter()
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let format = check_shape(&lines)?;
    parse_fields(format, &lines)
}

/// Checks line count, line lengths and characters; picks the format.
fn check_shape(lines: &[&str]) -> Result<MrzFormat, Vec<MrzError>> {
    let mut errors = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let mut bad = line.chars().enumerate().filter(|(_, c)| !is_mrz_char(*c));
        if let Some((pos, c)) = bad.next() {
            let count = 1 + bad.count();
            errors.push(MrzError::new(
                FIELD_SHAPE,
                format!(
                    "line {} has {count} character(s) outside A-Z, 0-9 and '<', the first {c:?} at position {}",
                    i + 1,
                    pos + 1
                ),
            ));
        }
    }
    let lens: Vec<usize> = lines.iter().map(|l| l.chars().count()).collect();
    let format = match lens.as_slice() {
        [_, _, _] => Some(MrzFormat::Td1),
        [a, b] => match (a, b) {
            (44, _) | (_, 44) => Some(MrzFormat::Td3),
            (36, _) | (_, 36) => Some(MrzFormat::Td2),
            _ => {
                errors.push(MrzError::new(
                    FIELD_SHAPE,
                    format!(
                        "2-line MRZ lines must have 36 (TD2) or 44 (TD3) characters, got {a} and {b}"
                    ),
                ));
                None
            }
        },
        other => {
            errors.push(MrzError::new(
                FIELD_SHAPE,
                format!(
                    "expected 3 lines (TD1) or 2 lines (TD2, TD3), got {}",
                    other.len()
                ),
            ));
            None
        }
    };
    if let Some(format) = format {
        for (i, len) in lens.iter().enumerate() {
            if *len != format.line_len() {
                errors.push(MrzError::new(
                    FIELD_SHAPE,
                    format!(
                        "line {} has {len} characters, {format} lines have {}",
                        i + 1,
                        format.line_len()
                    ),
                ));
            }
        }
    }
    match format {
        Some(format) if errors.is_empty() => Ok(format),
        _ => Err(errors),
    }
}

/// Where each field sits in a zone of a given format.
struct Slots<'a> {
    code: &'a str,
    state: &'a str,
    number: &'a str,
    number_check: u8,
    nationality: &'a str,
    dob: &'a str,
    dob_check: u8,
    sex: u8,
    doe: &'a str,
    doe_check: u8,
    /// Where optional data starts; for TD1/TD2 also where a long document
    /// number overflows to.
    optional_area: &'a str,
    /// TD1 line 2 optional data; empty otherwise.
    optional_tail: &'a str,
    /// TD3 personal number check digit.
    personal_check: Option<u8>,
    names: &'a str,
    composite_input: String,
    composite_check: u8,
}

fn slots<'a>(format: MrzFormat, lines: &[&'a str]) -> Slots<'a> {
    let l1 = lines.first().copied().unwrap_or("");
    let l2 = lines.get(1).copied().unwrap_or("");
    match format {
        MrzFormat::Td1 => {
            let l3 = lines.get(2).copied().unwrap_or("");
            Slots {
                code: seg(l1, 0, 2),
                state: seg(l1, 2, 5),
                number: seg(l1, 5, 14),
                number_check: at(l1, 14),
                optional_area: seg(l1, 15, 30),
                dob: seg(l2, 0, 6),
                dob_check: at(l2, 6),
                sex: at(l2, 7),
                doe: seg(l2, 8, 14),
                doe_check: at(l2, 14),
                nationality: seg(l2, 15, 18),
                optional_tail: seg(l2, 18, 29),
                personal_check: None,
                names: seg(l3, 0, 30),
                composite_input: [
                    seg(l1, 5, 30),
                    seg(l2, 0, 7),
                    seg(l2, 8, 15),
                    seg(l2, 18, 29),
                ]
                .concat(),
                composite_check: at(l2, 29),
            }
        }
        MrzFormat::Td2 | MrzFormat::Td3 => {
            let len = format.line_len();
            let optional_end = len - 1 - usize::from(format == MrzFormat::Td3);
            Slots {
                code: seg(l1, 0, 2),
                state: seg(l1, 2, 5),
                names: seg(l1, 5, len),
                number: seg(l2, 0, 9),
                number_check: at(l2, 9),
                nationality: seg(l2, 10, 13),
                dob: seg(l2, 13, 19),
                dob_check: at(l2, 19),
                sex: at(l2, 20),
                doe: seg(l2, 21, 27),
                doe_check: at(l2, 27),
                optional_area: seg(l2, 28, optional_end),
                optional_tail: "",
                personal_check: (format == MrzFormat::Td3).then(|| at(l2, 42)),
                composite_input: [seg(l2, 0, 10), seg(l2, 13, 20), seg(l2, 21, len - 1)].concat(),
                composite_check: at(l2, len - 1),
            }
        }
    }
}

fn parse_fields(format: MrzFormat, lines: &[&str]) -> Result<Mrz, Vec<MrzError>> {
    let s = slots(format, lines);
    let mut errors = Vec::new();

    let document_code = parse_document_code(&mut errors, s.code);
    let issuing_state = parse_state(&mut errors, FIELD_ISSUING_STATE, "issuing state", s.state);
    let (document_number, consumed) = parse_document_number(
        &mut errors,
        format,
        s.number,
        s.number_check,
        s.optional_area,
    );
    let nationality = parse_state(&mut errors, FIELD_NATIONALITY, "nationality", s.nationality);
    let date_of_birth = parse_date(&mut errors, FIELD_DATE_OF_BIRTH, s.dob, s.dob_check);
    let sex = parse_sex(&mut errors, s.sex);
    let date_of_expiry = parse_date(&mut errors, FIELD_DATE_OF_EXPIRY, s.doe, s.doe_check);
    if let Some(check) = s.personal_check {
        verify_personal_number(&mut errors, s.optional_area, check);
    }
    let optional_raw = format!(
        "{}{}",
        s.optional_area.get(consumed..).unwrap_or(""),
        s.optional_tail
    );
    let optional_data = trim_fillers(&optional_raw).to_owned();
    let names = parse_names(&mut errors, s.names);
    verify_check(
        &mut errors,
        FIELD_COMPOSITE,
        "composite check digit",
        s.composite_input.as_bytes(),
        s.composite_check,
    );

    let built = (|| {
        let (surname, given_names) = names?;
        Some(Mrz {
            format,
            document_code: document_code?,
            issuing_state: issuing_state?,
            document_number: document_number?,
            nationality: nationality?,
            date_of_birth: date_of_birth?,
            sex: sex?,
            date_of_expiry: date_of_expiry?,
            surname,
            given_names,
            optional_data,
        })
    })();
    match built {
        Some(mrz) if errors.is_empty() => Ok(mrz),
        _ => {
            if errors.is_empty() {
                errors.push(MrzError::new(FIELD_SHAPE, "incomplete MRZ"));
            }
            Err(errors)
        }
    }
}

/// Compares a check digit character with the one computed over `data`.
fn verify_check(
    errors: &mut Vec<MrzError>,
    field: &'static str,
    what: &str,
    data: &[u8],
    check: u8,
) {
    let computed = check_digit_value(data);
    if !check.is_ascii_digit() {
        errors.push(MrzError::new(
            field,
            format!(
                "{what} is '{}', expected a digit (computed {computed})",
                char::from(check)
            ),
        ));
    } else if check - b'0' != computed {
        errors.push(MrzError::new(
            field,
            format!("{what} is {}, computed {computed}", char::from(check)),
        ));
    }
}

fn parse_document_code(errors: &mut Vec<MrzError>, code: &str) -> Option<String> {
    let b = code.as_bytes();
    let first = b.first().copied().unwrap_or(FILLER);
    let second = b.get(1).copied().unwrap_or(FILLER);
    if !first.is_ascii_uppercase() || !(second.is_ascii_uppercase() || second == FILLER) {
        errors.push(MrzError::new(
            FIELD_DOCUMENT_CODE,
            format!("document code {code:?} must be a letter followed by a letter or '<'"),
        ));
        return None;
    }
    if first == b'V' {
        errors.push(MrzError::new(
            FIELD_DOCUMENT_CODE,
            "machine-readable visas (document code V) are not supported",
        ));
        return None;
    }
    Some(trim_fillers(code).to_owned())
}

/// A 3-character state code: 1-3 letters, then fillers.
fn parse_state(
    errors: &mut Vec<MrzError>,
    field: &'static str,
    what: &str,
    s: &str,
) -> Option<String> {
    let letters = s.bytes().take_while(u8::is_ascii_uppercase).count();
    let rest_fillers = s.bytes().skip(letters).all(|b| b == FILLER);
    if letters == 0 || !rest_fillers {
        errors.push(MrzError::new(
            field,
            format!("{what} {s:?} must be 1-3 letters padded with '<'"),
        ));
        return None;
    }
    Some(s.get(..letters).unwrap_or("").to_owned())
}

/// Returns the document number and how many characters of the optional
/// area its overflow (with check digit and terminating filler) occupies.
fn parse_document_number(
    errors: &mut Vec<MrzError>,
    format: MrzFormat,
    number: &str,
    check: u8,
    optional_area: &str,
) -> (Option<String>, usize) {
    const WHAT: &str = "check digit";
    if check == FILLER && format != MrzFormat::Td3 {
        // Doc 9303 Parts 5 and 6: a number longer than 9 characters fills the
        // number field, puts '<' in the check digit position and continues in
        // the optional data, followed by its check digit and a filler.
        if number.contains('<') {
            errors.push(MrzError::new(
                FIELD_DOCUMENT_NUMBER,
                "check digit position holds '<' (long-number marker) but the number field is not full",
            ));
            return (None, 0);
        }
        let run = optional_area.bytes().take_while(|&b| b != FILLER).count();
        if run < 2 {
            errors.push(MrzError::new(
                FIELD_DOCUMENT_NUMBER,
                "check digit position holds '<' (long-number marker) but the optional data holds no continuation and check digit",
            ));
            return (None, 0);
        }
        let full = format!("{number}{}", optional_area.get(..run - 1).unwrap_or(""));
        verify_check(
            errors,
            FIELD_DOCUMENT_NUMBER,
            WHAT,
            full.as_bytes(),
            at(optional_area, run - 1),
        );
        (Some(full), (run + 1).min(optional_area.len()))
    } else {
        verify_check(
            errors,
            FIELD_DOCUMENT_NUMBER,
            WHAT,
            number.as_bytes(),
            check,
        );
        let value = trim_fillers(number);
        if value.is_empty() {
            errors.push(MrzError::new(
                FIELD_DOCUMENT_NUMBER,
                "document number is empty",
            ));
            return (None, 0);
        }
        (Some(value.to_owned()), 0)
    }
}

fn days_in_month(yy: u8, mm: u8) -> u8 {
    match mm {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        // The century is unknown: 29 February is allowed whenever the year
        // within the century is divisible by 4 (including 00).
        2 if yy % 4 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

fn parse_date(
    errors: &mut Vec<MrzError>,
    field: &'static str,
    s: &str,
    check: u8,
) -> Option<MrzDate> {
    verify_check(errors, field, "check digit", s.as_bytes(), check);
    let b = s.as_bytes();
    if b.len() != 6 || !b.iter().all(u8::is_ascii_digit) {
        errors.push(MrzError::new(
            field,
            format!("date {s:?} must be 6 digits YYMMDD"),
        ));
        return None;
    }
    let two = |i: usize| (b[i] - b'0') * 10 + (b[i + 1] - b'0');
    let date = MrzDate {
        yy: two(0),
        mm: two(2),
        dd: two(4),
    };
    if !(1..=12).contains(&date.mm) {
        errors.push(MrzError::new(
            field,
            format!("date {s:?} has month {:02}", date.mm),
        ));
        return None;
    }
    if date.dd == 0 || date.dd > days_in_month(date.yy, date.mm) {
        errors.push(MrzError::new(
            field,
            format!(
                "date {s:?} has no day {:02} in month {:02}",
                date.dd, date.mm
            ),
        ));
        return None;
    }
    Some(date)
}

fn parse_sex(errors: &mut Vec<MrzError>, c: u8) -> Option<MrzSex> {
    match c {
        b'F' => Some(MrzSex::F),
        b'M' => Some(MrzSex::M),
        b'X' | FILLER => Some(MrzSex::Unspecified),
        other => {
            errors.push(MrzError::new(
                FIELD_SEX,
                format!("sex is '{}', expected F, M, X or '<'", char::from(other)),
            ));
            None
        }
    }
}

/// TD3 personal number check digit; `<` is accepted (as 0) when the personal
/// number is all fillers.
fn verify_personal_number(errors: &mut Vec<MrzError>, personal: &str, check: u8) {
    if check == FILLER {
        if !personal.bytes().all(|b| b == FILLER) {
            errors.push(MrzError::new(
                FIELD_OPTIONAL_DATA,
                format!(
                    "personal number check digit is '<' but the personal number is not empty (computed {})",
                    check_digit(personal)
                ),
            ));
        }
    } else {
        verify_check(
            errors,
            FIELD_OPTIONAL_DATA,
            "personal number check digit",
            personal.as_bytes(),
            check,
        );
    }
}

fn parse_names(errors: &mut Vec<MrzError>, field: &str) -> Option<(String, String)> {
    if field.bytes().any(|b| b.is_ascii_digit()) {
        errors.push(MrzError::new(
            FIELD_NAMES,
            "name field contains digits (only A-Z and '<' are allowed)",
        ));
        return None;
    }
    let (primary, secondary) = field.split_once("<<").unwrap_or((field, ""));
    let surname = name_words(primary);
    if surname.is_empty() {
        errors.push(MrzError::new(
            FIELD_NAMES,
            "primary identifier (surname) is empty",
        ));
        return None;
    }
    Some((surname, name_words(secondary)))
}

/// How one (upper-case) character is transliterated.
enum Translit {
    Letter(char),
    Letters(&'static str),
    Separator,
    Drop,
}

/// Latin letters with diacritics that reduce to a single base letter
/// (Doc 9303 Part 3, transliteration of multinational Latin-based characters).
const FOLDS: &[(char, &str)] = &[
    ('A', "ÀÁÂÃĀĂĄǍ"),
    ('C', "ÇĆĈĊČ"),
    ('D', "ĎĐÐ"),
    ('E', "ÈÉÊËĒĔĖĘĚ"),
    ('G', "ĜĞĠĢǦ"),
    ('H', "ĤĦ"),
    ('I', "ÌÍÎÏĨĪĬĮİ"),
    ('J', "Ĵ"),
    ('K', "ĶǨ"),
    ('L', "ĹĻĽĿŁ"),
    ('N', "ÑŃŅŇŊ"),
    ('O', "ÒÓÔÕŌŎŐƠǑ"),
    ('R', "ŔŖŘ"),
    ('S', "ŚŜŞŠȘ"),
    ('T', "ŢŤŦȚ"),
    ('U', "ÙÚÛŨŪŬŮŰŲƯǓ"),
    ('W', "Ŵ"),
    ('Y', "ÝŶŸ"),
    ('Z', "ŹŻŽ"),
];

fn transliterate(c: char) -> Translit {
    match c {
        'A'..='Z' => Translit::Letter(c),
        'Ä' | 'Æ' => Translit::Letters("AE"),
        'Ö' | 'Ø' | 'Œ' => Translit::Letters("OE"),
        'Ü' => Translit::Letters("UE"),
        'Å' => Translit::Letters("AA"),
        'ẞ' => Translit::Letters("SS"),
        'Þ' => Translit::Letters("TH"),
        'Ĳ' => Translit::Letters("IJ"),
        '-' | ',' | '<' | '\u{2010}'..='\u{2015}' => Translit::Separator,
        c if c.is_whitespace() => Translit::Separator,
        c => FOLDS
            .iter()
            .find(|(_, variants)| variants.contains(c))
            .map_or(Translit::Drop, |(base, _)| Translit::Letter(*base)),
    }
}

/// Doc 9303 (Part 3) name transliteration, for comparing a typed name with
/// the names read from an MRZ.
///
/// - upper-cased; common Latin diacritics are stripped (`É` -> `E`, `Ñ` ->
///   `N`, `Ł` -> `L`, ...);
/// - the letters Doc 9303 transliterates to two letters use its recommended
///   form: `Ä` -> `AE`, `Ö` -> `OE`, `Ü` -> `UE`, `Å` -> `AA`, `Æ` -> `AE`,
///   `Ø` -> `OE`, `Œ` -> `OE`, `ß` -> `SS`, `Þ` -> `TH`, `Ĳ` -> `IJ`. (Doc 9303
///   also permits the single-letter forms `A`, `O`, `U` for `Ä`, `Ö`, `Ü`, and
///   some issuers use them: a lenient comparison may try both.);
/// - apostrophes and every other character that is not a letter are dropped;
/// - spaces, hyphens, commas (and `<`) separate name components: each run of
///   them becomes one space; the result is trimmed.
///
/// The result holds only `A`-`Z` and single spaces.
pub fn to_mrz_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        for u in c.to_uppercase() {
            let letters = match transliterate(u) {
                Translit::Separator => {
                    pending_space = true;
                    continue;
                }
                Translit::Drop => continue,
                Translit::Letter(l) => Some(l).into_iter().collect::<String>(),
                Translit::Letters(l) => l.to_owned(),
            };
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push_str(&letters);
        }
    }
    out
}

fn pad(s: &str, len: usize) -> String {
    let mut out = String::with_capacity(len);
    out.push_str(s);
    while out.len() < len {
        out.push('<');
    }
    out
}

fn letters_field(
    field: &'static str,
    what: &str,
    value: &str,
    max: usize,
) -> Result<String, MrzError> {
    let v = trim_fillers(value);
    if v.is_empty() || v.len() > max || !v.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(MrzError::new(
            field,
            format!("{what} {value:?} must be 1-{max} letters A-Z"),
        ));
    }
    Ok(pad(v, max))
}

/// Builds the name field: `SURNAME<<GIVEN<NAMES`, truncated to `width` by
/// cutting at the end and dropping trailing fillers (so the last name
/// character is a letter), then padded with fillers.
fn encode_names(surname: &str, given: &str, width: usize) -> Result<String, MrzError> {
    let primary = to_mrz_name(surname).replace(' ', "<");
    if primary.is_empty() {
        return Err(MrzError::new(
            FIELD_NAMES,
            "surname is empty after transliteration",
        ));
    }
    let secondary = to_mrz_name(given).replace(' ', "<");
    let mut name = primary;
    if !secondary.is_empty() {
        name.push_str("<<");
        name.push_str(&secondary);
    }
    if name.len() > width {
        name.truncate(width);
        while name.ends_with('<') {
            name.pop();
        }
    }
    Ok(pad(&name, width))
}

fn date_digits(d: NaiveDate) -> String {
    MrzDate::from_date(d).to_string()
}

fn with_check(data: &str) -> String {
    let mut s = data.to_owned();
    s.push(check_digit(data));
    s
}

/// Builds the MRZ lines for `fields`, with every check digit.
///
/// Names are transliterated with [`to_mrz_name`] and truncated to fit.
/// Document numbers longer than 9 characters use the TD1/TD2 overflow rule
/// (number field filled, `<` in its check digit position, the rest, its check
/// digit and a filler at the start of the optional data); for TD3 they are an
/// error. Unspecified sex is written as `<`. An empty TD3 personal number gets
/// the check digit `<`.
pub fn encode(fields: &MrzFields) -> Result<Vec<String>, MrzError> {
    let format = fields.format;

    let code = trim_fillers(&fields.document_code);
    let code_ok = matches!(code.len(), 1 | 2)
        && code.bytes().all(|b| b.is_ascii_uppercase())
        && !code.starts_with('V');
    if !code_ok {
        return Err(MrzError::new(
            FIELD_DOCUMENT_CODE,
            format!(
                "document code {:?} must be 1-2 letters A-Z, not starting with V",
                fields.document_code
            ),
        ));
    }
    let code = pad(code, 2);
    let state = letters_field(
        FIELD_ISSUING_STATE,
        "issuing state",
        &fields.issuing_state,
        3,
    )?;
    let nationality = letters_field(FIELD_NATIONALITY, "nationality", &fields.nationality, 3)?;

    let number = fields.document_number.as_str();
    let max_number = format.max_document_number_len();
    if number.is_empty()
        || number.len() > max_number
        || !number
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return Err(MrzError::new(
            FIELD_DOCUMENT_NUMBER,
            format!(
                "document number {number:?} must be 1-{max_number} characters A-Z, 0-9 for {format}"
            ),
        ));
    }
    // The number field with its check digit, and the overflow for the
    // optional data area.
    let (number_field, overflow) = match number.split_at_checked(9) {
        Some((head, tail)) if !tail.is_empty() => (
            format!("{head}<"),
            format!("{tail}{}<", check_digit(number)),
        ),
        _ => (with_check(&pad(number, 9)), String::new()),
    };

    let optional = trim_fillers(&fields.optional_data);
    let optional_capacity =
        format.optional_area_len() + format.optional_tail_len() - overflow.len();
    if optional.len() > optional_capacity || !optional.chars().all(is_mrz_char) {
        return Err(MrzError::new(
            FIELD_OPTIONAL_DATA,
            format!(
                "optional data {:?} must be at most {optional_capacity} characters A-Z, 0-9, '<' here",
                fields.optional_data
            ),
        ));
    }
    let optional_all = pad(
        &format!("{overflow}{optional}"),
        format.optional_area_len() + format.optional_tail_len(),
    );
    let (optional_area, optional_tail) = optional_all.split_at(format.optional_area_len());

    let names = encode_names(&fields.surname, &fields.given_names, format.name_len())?;
    let dob = with_check(&date_digits(fields.date_of_birth));
    let doe = with_check(&date_digits(fields.date_of_expiry));
    let sex = match fields.sex {
        MrzSex::F => 'F',
        MrzSex::M => 'M',
        MrzSex::Unspecified => '<',
    };

    let lines = match format {
        MrzFormat::Td1 => {
            let line1 = format!("{code}{state}{number_field}{optional_area}");
            let head2 = format!("{dob}{sex}{doe}{nationality}{optional_tail}");
            let composite = check_digit(
                &[
                    seg(&line1, 5, 30),
                    seg(&head2, 0, 7),
                    seg(&head2, 8, 15),
                    seg(&head2, 18, 29),
                ]
                .concat(),
            );
            vec![line1, format!("{head2}{composite}"), names]
        }
        MrzFormat::Td2 | MrzFormat::Td3 => {
            let line1 = format!("{code}{state}{names}");
            let mut head2 = format!("{number_field}{nationality}{dob}{sex}{doe}{optional_area}");
            if format == MrzFormat::Td3 {
                if optional_area.bytes().all(|b| b == FILLER) {
                    head2.push('<');
                } else {
                    head2.push(check_digit(optional_area));
                }
            }
            let composite = check_digit(
                &[
                    seg(&head2, 0, 10),
                    seg(&head2, 13, 20),
                    seg(&head2, 21, head2.len()),
                ]
                .concat(),
            );
            vec![line1, format!("{head2}{composite}")]
        }
    };
    debug_assert!(
        lines.len() == format.line_count() && lines.iter().all(|l| l.len() == format.line_len())
    );
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn owned(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|l| (*l).to_owned()).collect()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn mrz_date(yy: u8, mm: u8, dd: u8) -> MrzDate {
        MrzDate { yy, mm, dd }
    }

    const TD3: [&str; 2] = [
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
    ];
    const TD1: [&str; 3] = [
        "I<UTOD231458907<<<<<<<<<<<<<<<",
        "7408122F1204159UTO<<<<<<<<<<<6",
        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
    ];
    const TD2: [&str; 2] = [
        "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
        "D231458907UTO7408122F1204159<<<<<<<6",
    ];
    /// Doc 9303 Part 5 specimen of a TD1 with a 12-character document number.
    const TD1_LONG: [&str; 3] = [
        "I<UTOD23145890<7349<<<<<<<<<<<",
        "3407127M9507122UTO<<<<<<<<<<<2",
        "STEVENSON<<PETER<JOHN<<<<<<<<<",
    ];
    /// German passport specimen (issuing state and nationality "D<<").
    const TD3_DE: [&str; 2] = [
        "P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<",
        "C01X00T478D<<6408125F2702283<<<<<<<<<<<<<<<4",
    ];

    #[test]
    fn check_digits_of_specimen_fields() {
        assert_eq!(check_digit("L898902C3"), '6');
        assert_eq!(check_digit("740812"), '2');
        assert_eq!(check_digit("120415"), '9');
        assert_eq!(check_digit("ZE184226B<<<<<"), '1');
        assert_eq!(check_digit("D23145890"), '7');
        assert_eq!(check_digit("D23145890734"), '9');
        assert_eq!(check_digit("<<<<<<"), '0');
        assert_eq!(check_digit(""), '0');
        assert_eq!(check_digit("C01X00T47"), '8');
    }

    #[test]
    fn td3_specimen() {
        let m = parse(&owned(&TD3)).unwrap();
        assert_eq!(
            m,
            Mrz {
                format: MrzFormat::Td3,
                document_code: "P".into(),
                issuing_state: "UTO".into(),
                document_number: "L898902C3".into(),
                nationality: "UTO".into(),
                date_of_birth: mrz_date(74, 8, 12),
                sex: MrzSex::F,
                date_of_expiry: mrz_date(12, 4, 15),
                surname: "ERIKSSON".into(),
                given_names: "ANNA MARIA".into(),
                optional_data: "ZE184226B".into(),
            }
        );
        assert!(m.date_of_birth.matches(date(1974, 8, 12)));
        assert!(!m.date_of_birth.matches(date(1974, 8, 13)));
    }

    #[test]
    fn td1_specimen() {
        let m = parse(&owned(&TD1)).unwrap();
        assert_eq!(m.format, MrzFormat::Td1);
        assert_eq!(m.document_code, "I");
        assert_eq!(m.issuing_state, "UTO");
        assert_eq!(m.document_number, "D23145890");
        assert_eq!(m.nationality, "UTO");
        assert_eq!(m.date_of_birth, mrz_date(74, 8, 12));
        assert_eq!(m.sex, MrzSex::F);
        assert_eq!(m.date_of_expiry, mrz_date(12, 4, 15));
        assert_eq!(m.surname, "ERIKSSON");
        assert_eq!(m.given_names, "ANNA MARIA");
        assert_eq!(m.optional_data, "");
    }

    #[test]
    fn td2_specimen() {
        let m = parse(&owned(&TD2)).unwrap();
        assert_eq!(m.format, MrzFormat::Td2);
        assert_eq!(m.document_number, "D23145890");
        assert_eq!(m.surname, "ERIKSSON");
        assert_eq!(m.given_names, "ANNA MARIA");
        assert_eq!(m.date_of_expiry, mrz_date(12, 4, 15));
        assert_eq!(m.optional_data, "");
    }

    #[test]
    fn td1_long_document_number_specimen() {
        let m = parse(&owned(&TD1_LONG)).unwrap();
        assert_eq!(m.document_number, "D23145890734");
        assert_eq!(m.optional_data, "");
        assert_eq!(m.sex, MrzSex::M);
        assert_eq!(m.date_of_birth, mrz_date(34, 7, 12));
        assert_eq!(m.surname, "STEVENSON");
        assert_eq!(m.given_names, "PETER JOHN");
        // And the encoder reproduces it exactly.
        let fields = MrzFields {
            format: MrzFormat::Td1,
            document_code: "I".into(),
            issuing_state: "UTO".into(),
            document_number: "D23145890734".into(),
            nationality: "UTO".into(),
            date_of_birth: date(1934, 7, 12),
            sex: MrzSex::M,
            date_of_expiry: date(1995, 7, 12),
            surname: "Stevenson".into(),
            given_names: "Peter John".into(),
            optional_data: String::new(),
        };
        assert_eq!(encode(&fields).unwrap(), owned(&TD1_LONG));
    }

    #[test]
    fn td1_long_number_followed_by_optional_data() {
        let fields = MrzFields {
            format: MrzFormat::Td1,
            document_code: "ID".into(),
            issuing_state: "D".into(),
            document_number: "AB1234567890".into(),
            nationality: "D".into(),
            date_of_birth: date(2000, 2, 29),
            sex: MrzSex::Unspecified,
            date_of_expiry: date(2031, 1, 1),
            surname: "Müller-Lüdenscheidt".into(),
            given_names: "Jürgen".into(),
            optional_data: "XYZ<<12345678901".into(),
        };
        let lines = encode(&fields).unwrap();
        assert_eq!(&lines[0][..15], "IDD<<AB1234567<");
        let m = parse(&lines).unwrap();
        assert_eq!(m.document_number, "AB1234567890");
        assert_eq!(m.optional_data, "XYZ<<12345678901");
        assert_eq!(m.issuing_state, "D");
        assert_eq!(m.surname, "MUELLER LUEDENSCHEIDT");
        assert_eq!(m.given_names, "JUERGEN");
        assert_eq!(m.date_of_birth, mrz_date(0, 2, 29));
    }

    #[test]
    fn german_specimen_d_filler_state() {
        let m = parse(&owned(&TD3_DE)).unwrap();
        assert_eq!(m.issuing_state, "D");
        assert_eq!(m.nationality, "D");
        assert_eq!(m.document_number, "C01X00T47");
        assert_eq!(m.surname, "MUSTERMANN");
        assert_eq!(m.given_names, "ERIKA");
        assert_eq!(m.optional_data, "");
        let fields = MrzFields {
            format: MrzFormat::Td3,
            document_code: "P".into(),
            issuing_state: "D".into(),
            document_number: "C01X00T47".into(),
            nationality: "D".into(),
            date_of_birth: date(1964, 8, 12),
            sex: MrzSex::F,
            date_of_expiry: date(2027, 2, 28),
            surname: "Mustermann".into(),
            given_names: "Erika".into(),
            optional_data: String::new(),
        };
        assert_eq!(encode(&fields).unwrap(), owned(&TD3_DE));
    }

    #[test]
    fn encode_reproduces_td3_and_td2_specimens() {
        let mut fields = MrzFields {
            format: MrzFormat::Td3,
            document_code: "P".into(),
            issuing_state: "UTO".into(),
            document_number: "L898902C3".into(),
            nationality: "UTO".into(),
            date_of_birth: date(1974, 8, 12),
            sex: MrzSex::F,
            date_of_expiry: date(2012, 4, 15),
            surname: "Eriksson".into(),
            given_names: "Anna Maria".into(),
            optional_data: "ZE184226B".into(),
        };
        assert_eq!(encode(&fields).unwrap(), owned(&TD3));
        fields.format = MrzFormat::Td2;
        fields.document_code = "I".into();
        fields.document_number = "D23145890".into();
        fields.optional_data = String::new();
        assert_eq!(encode(&fields).unwrap(), owned(&TD2));
        fields.format = MrzFormat::Td1;
        assert_eq!(encode(&fields).unwrap(), owned(&TD1));
    }

    #[test]
    fn trailing_carriage_return_is_ignored() {
        let lines = vec![format!("{}\r", TD3[0]), format!("{}\r", TD3[1])];
        assert_eq!(parse(&lines).unwrap(), parse(&owned(&TD3)).unwrap());
    }

    #[test]
    fn x_and_filler_are_unspecified_sex() {
        for c in ['X', '<'] {
            let mut l2 = TD3[1].to_owned();
            l2.replace_range(20..21, &c.to_string());
            let m = parse(&[TD3[0].to_owned(), l2]).unwrap();
            assert_eq!(m.sex, MrzSex::Unspecified);
        }
    }

    #[test]
    fn empty_personal_number_accepts_filler_or_zero_check_digit() {
        for c in ['<', '0'] {
            let mut l2 = TD3_DE[1].to_owned();
            l2.replace_range(42..43, &c.to_string());
            assert!(parse(&[TD3_DE[0].to_owned(), l2]).is_ok(), "{c}");
        }
    }

    #[test]
    fn undetectable_substitution_in_document_number_changes_the_number() {
        // '0' (value 0) and 'A' (value 10) differ by 10, so the 7-3-1 check
        // digit and the composite cannot tell them apart; the number read back
        // differs, which a comparison with the typed document number catches.
        let original = parse(&owned(&TD3)).unwrap();
        assert_eq!(&TD3[1][5..6], "0");
        let mut l2 = TD3[1].to_owned();
        l2.replace_range(5..6, "A");
        let altered = parse(&[TD3[0].to_owned(), l2]).unwrap();
        assert_eq!(altered.document_number, "L8989A2C3");
        assert_ne!(altered.document_number, original.document_number);
        // Same for '<' <-> '0'.
        assert_eq!(check_digit("L8989<2C3"), check_digit("L898902C3"));
    }

    #[test]
    fn to_mrz_name_examples() {
        let cases = [
            ("Eriksson", "ERIKSSON"),
            ("Anna-Maria", "ANNA MARIA"),
            ("Anna  Maria", "ANNA MARIA"),
            ("  José  ", "JOSE"),
            ("O'Brien", "OBRIEN"),
            ("D’Arcy", "DARCY"),
            ("Müller", "MUELLER"),
            ("Gößmann", "GOESSMANN"),
            ("STRAẞE", "STRASSE"),
            ("Ærø", "AEROE"),
            ("Åsa Øberg", "AASA OEBERG"),
            ("Łukasz Wałęsa", "LUKASZ WALESA"),
            ("Peña, Nieto", "PENA NIETO"),
            ("Þórður", "THORDUR"),
            ("Jr.", "JR"),
            ("Mosiuoa Lerotholi", "MOSIUOA LEROTHOLI"),
            ("Ĳsselmeer", "IJSSELMEER"),
            ("Çelik İnce ılık", "CELIK INCE ILIK"),
            ("李", ""),
            ("", ""),
            (" - , ", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(to_mrz_name(input), expected, "{input:?}");
        }
    }

    #[test]
    fn names_are_truncated_to_fit() {
        let fields = MrzFields {
            format: MrzFormat::Td1,
            document_code: "I".into(),
            issuing_state: "LSO".into(),
            document_number: "RA1234567".into(),
            nationality: "LSO".into(),
            date_of_birth: date(1990, 1, 1),
            sex: MrzSex::M,
            date_of_expiry: date(2030, 1, 1),
            surname: "Moshoeshoe-Letsie".into(),
            given_names: "Lerotholi Tsepo Mohato".into(),
            optional_data: String::new(),
        };
        let lines = encode(&fields).unwrap();
        assert_eq!(lines[2], "MOSHOESHOE<LETSIE<<LEROTHOLI<T");
        let m = parse(&lines).unwrap();
        assert_eq!(m.surname, "MOSHOESHOE LETSIE");
        assert_eq!(m.given_names, "LEROTHOLI T");
        // A cut that lands on a filler drops it, keeping a letter last.
        let mut f = fields.clone();
        f.surname = "Abcdefghijklmnopqrstuvwxyzabc".into();
        f.given_names = "Zed".into();
        let lines = encode(&f).unwrap();
        assert_eq!(lines[2], "ABCDEFGHIJKLMNOPQRSTUVWXYZABC<");
        assert_eq!(parse(&lines).unwrap().given_names, "");
    }

    #[test]
    fn encode_rejects_bad_fields() {
        let good = MrzFields {
            format: MrzFormat::Td3,
            document_code: "P".into(),
            issuing_state: "LSO".into(),
            document_number: "RA1234567".into(),
            nationality: "LSO".into(),
            date_of_birth: date(1990, 1, 1),
            sex: MrzSex::F,
            date_of_expiry: date(2030, 1, 1),
            surname: "Mokoena".into(),
            given_names: "Palesa".into(),
            optional_data: String::new(),
        };
        assert!(encode(&good).is_ok());
        type Edit = fn(&mut MrzFields);
        let cases: [(&str, Edit, &str); 10] = [
            (
                "TD3 number over 9",
                |f| f.document_number = "RA12345678".into(),
                FIELD_DOCUMENT_NUMBER,
            ),
            (
                "TD1 number over 22",
                |f| {
                    f.format = MrzFormat::Td1;
                    f.document_number = "A".repeat(23);
                },
                FIELD_DOCUMENT_NUMBER,
            ),
            (
                "TD2 number over 14",
                |f| {
                    f.format = MrzFormat::Td2;
                    f.document_number = "A".repeat(15);
                },
                FIELD_DOCUMENT_NUMBER,
            ),
            (
                "lowercase number",
                |f| f.document_number = "ra1".into(),
                FIELD_DOCUMENT_NUMBER,
            ),
            (
                "empty number",
                |f| f.document_number = String::new(),
                FIELD_DOCUMENT_NUMBER,
            ),
            (
                "surname transliterates to nothing",
                |f| f.surname = "李".into(),
                FIELD_NAMES,
            ),
            (
                "state of 4 letters",
                |f| f.issuing_state = "LSOX".into(),
                FIELD_ISSUING_STATE,
            ),
            (
                "nationality with digit",
                |f| f.nationality = "LS1".into(),
                FIELD_NATIONALITY,
            ),
            (
                "visa",
                |f| f.document_code = "V".into(),
                FIELD_DOCUMENT_CODE,
            ),
            (
                "personal number too long",
                |f| f.optional_data = "A".repeat(15),
                FIELD_OPTIONAL_DATA,
            ),
        ];
        for (reason, edit, field) in cases {
            let mut f = good.clone();
            edit(&mut f);
            let err = encode(&f).expect_err(reason);
            assert_eq!(err.field, field, "{reason}: {err}");
        }
    }

    /// Recomputes every check digit of a zone (short document numbers only).
    fn refresh(lines: &[String]) -> Vec<String> {
        let mut l: Vec<String> = lines.to_vec();
        let set = |s: &mut String, pos: usize, data: String| {
            let c = check_digit(&data).to_string();
            s.replace_range(pos..pos + 1, &c);
        };
        if l.len() == 3 {
            let (a, rest) = l.split_at_mut(1);
            let (l1, l2) = (&mut a[0], &mut rest[0]);
            if &l1[14..15] != "<" {
                set(l1, 14, l1[5..14].to_owned());
            }
            set(l2, 6, l2[0..6].to_owned());
            set(l2, 14, l2[8..14].to_owned());
            let comp = [&l1[5..30], &l2[0..7], &l2[8..15], &l2[18..29]].concat();
            set(l2, 29, comp);
        } else {
            let l2 = &mut l[1];
            let n = l2.len();
            set(l2, 9, l2[0..9].to_owned());
            set(l2, 19, l2[13..19].to_owned());
            set(l2, 27, l2[21..27].to_owned());
            if n == 44 && !(l2[28..43].bytes().all(|b| b == FILLER)) {
                set(l2, 42, l2[28..42].to_owned());
            }
            let comp = [&l2[0..10], &l2[13..20], &l2[21..n - 1]].concat();
            set(l2, n - 1, comp);
        }
        l
    }

    fn replace(lines: &[&str], line: usize, pos: usize, with: &str) -> Vec<String> {
        let mut l = owned(lines);
        l[line].replace_range(pos..pos + with.len(), with);
        l
    }

    #[test]
    fn refresh_keeps_valid_specimens() {
        for z in [&TD3[..], &TD2[..], &TD1[..], &TD3_DE[..]] {
            assert_eq!(refresh(&owned(z)), owned(z));
        }
    }

    #[test]
    fn negative_cases() {
        let cases: Vec<(&str, Vec<String>, &[&str])> = vec![
            ("no lines at all", vec![], &["mrz"]),
            ("only one line", owned(&TD3[..1]), &["mrz"]),
            (
                "four lines",
                owned(&[TD1[0], TD1[1], TD1[2], TD1[2]]),
                &["mrz"],
            ),
            (
                "TD3 line 2 one character short",
                owned(&[TD3[0], &TD3[1][..43]]),
                &["mrz"],
            ),
            (
                "TD1 line 3 one character long",
                owned(&[TD1[0], TD1[1], &format!("{}<", TD1[2])]),
                &["mrz"],
            ),
            (
                "2 lines of 40 fit neither TD2 nor TD3",
                owned(&[&TD3[0][..40], &TD3[1][..40]]),
                &["mrz"],
            ),
            (
                "TD3 line 1 with TD2 line 2",
                owned(&[TD3[0], TD2[1]]),
                &["mrz"],
            ),
            (
                "lowercase is not accepted",
                owned(&[&TD3[0].to_lowercase(), TD3[1]]),
                &["mrz"],
            ),
            (
                "a space instead of a filler",
                replace(&TD3, 0, 13, " "),
                &["mrz"],
            ),
            ("a dot in the number", replace(&TD3, 1, 3, "."), &["mrz"]),
            (
                "non-ASCII letter",
                owned(&[&TD3[0].replacen("ERIKSSON", "ERIKSSÖN", 1)[..], TD3[1]]),
                &["mrz"],
            ),
            (
                "trailing newline is not trimmed",
                owned(&[TD3[0], &format!("{}\n", TD3[1])]),
                &["mrz"],
            ),
            (
                "TD3 document number check digit",
                replace(&TD3, 1, 9, "7"),
                &[FIELD_DOCUMENT_NUMBER, FIELD_COMPOSITE],
            ),
            (
                "TD3 document number check digit '<' (no overflow in TD3)",
                replace(&TD3, 1, 9, "<"),
                &[FIELD_DOCUMENT_NUMBER, FIELD_COMPOSITE],
            ),
            (
                "TD3 date of birth check digit",
                replace(&TD3, 1, 19, "3"),
                &[FIELD_DATE_OF_BIRTH, FIELD_COMPOSITE],
            ),
            (
                "TD3 date of expiry check digit",
                replace(&TD3, 1, 27, "8"),
                &[FIELD_DATE_OF_EXPIRY, FIELD_COMPOSITE],
            ),
            (
                "TD3 personal number check digit",
                replace(&TD3, 1, 42, "2"),
                &[FIELD_OPTIONAL_DATA, FIELD_COMPOSITE],
            ),
            (
                "TD3 personal number check digit '<' with a personal number",
                replace(&TD3, 1, 42, "<"),
                &[FIELD_OPTIONAL_DATA, FIELD_COMPOSITE],
            ),
            (
                "TD3 composite check digit only",
                replace(&TD3, 1, 43, "1"),
                &[FIELD_COMPOSITE],
            ),
            (
                "TD3 composite check digit not a digit",
                replace(&TD3, 1, 43, "<"),
                &[FIELD_COMPOSITE],
            ),
            (
                "TD3 personal number changed (its check digit and the composite catch it)",
                replace(&TD3, 1, 30, "3"),
                &[FIELD_OPTIONAL_DATA, FIELD_COMPOSITE],
            ),
            (
                "TD1 document number check digit",
                replace(&TD1, 0, 14, "1"),
                &[FIELD_DOCUMENT_NUMBER, FIELD_COMPOSITE],
            ),
            (
                "TD1 date of birth check digit",
                replace(&TD1, 1, 6, "1"),
                &[FIELD_DATE_OF_BIRTH, FIELD_COMPOSITE],
            ),
            (
                "TD1 date of expiry check digit",
                replace(&TD1, 1, 14, "1"),
                &[FIELD_DATE_OF_EXPIRY, FIELD_COMPOSITE],
            ),
            (
                "TD1 composite check digit",
                replace(&TD1, 1, 29, "1"),
                &[FIELD_COMPOSITE],
            ),
            (
                "TD1 optional data changed (only the composite covers it)",
                replace(&TD1, 1, 20, "Z"),
                &[FIELD_COMPOSITE],
            ),
            (
                "TD1 long number: overflow check digit wrong",
                replace(&TD1_LONG, 0, 18, "8"),
                &[FIELD_DOCUMENT_NUMBER, FIELD_COMPOSITE],
            ),
            (
                "TD1 long-number marker without continuation",
                refresh(&replace(&TD1, 0, 14, "<")),
                &[FIELD_DOCUMENT_NUMBER],
            ),
            (
                "TD2 document number check digit",
                replace(&TD2, 1, 9, "1"),
                &[FIELD_DOCUMENT_NUMBER, FIELD_COMPOSITE],
            ),
            (
                "TD2 date of birth check digit",
                replace(&TD2, 1, 19, "1"),
                &[FIELD_DATE_OF_BIRTH, FIELD_COMPOSITE],
            ),
            (
                "TD2 date of expiry check digit",
                replace(&TD2, 1, 27, "1"),
                &[FIELD_DATE_OF_EXPIRY, FIELD_COMPOSITE],
            ),
            (
                "TD2 composite check digit",
                replace(&TD2, 1, 35, "1"),
                &[FIELD_COMPOSITE],
            ),
            (
                "month 13 (check digits recomputed)",
                refresh(&replace(&TD3, 1, 13, "741312")),
                &[FIELD_DATE_OF_BIRTH],
            ),
            (
                "day 32",
                refresh(&replace(&TD3, 1, 21, "120432")),
                &[FIELD_DATE_OF_EXPIRY],
            ),
            (
                "day 00",
                refresh(&replace(&TD3, 1, 13, "740800")),
                &[FIELD_DATE_OF_BIRTH],
            ),
            (
                "30 February",
                refresh(&replace(&TD1, 1, 0, "000230")),
                &[FIELD_DATE_OF_BIRTH],
            ),
            (
                "29 February in a year not divisible by 4",
                refresh(&replace(&TD2, 1, 21, "010229")),
                &[FIELD_DATE_OF_EXPIRY],
            ),
            (
                "31 April",
                refresh(&replace(&TD3, 1, 21, "120431")),
                &[FIELD_DATE_OF_EXPIRY],
            ),
            (
                "unknown date written with fillers",
                refresh(&replace(&TD3, 1, 13, "74<<<<")),
                &[FIELD_DATE_OF_BIRTH],
            ),
            ("sex Q", replace(&TD3, 1, 20, "Q"), &[FIELD_SEX]),
            (
                "digit in the names",
                replace(&TD3, 0, 7, "1"),
                &[FIELD_NAMES],
            ),
            (
                "empty primary identifier",
                replace(&TD1, 2, 0, "<<<<<<<<<<"),
                &[FIELD_NAMES],
            ),
            (
                "issuing state with a digit",
                replace(&TD3, 0, 2, "U1O"),
                &[FIELD_ISSUING_STATE],
            ),
            (
                "nationality all fillers",
                replace(&TD3, 1, 10, "<<<"),
                &[FIELD_NATIONALITY],
            ),
            (
                "document code starts with a filler",
                replace(&TD3, 0, 0, "<"),
                &[FIELD_DOCUMENT_CODE],
            ),
            (
                "visa document code",
                replace(&TD3, 0, 0, "V"),
                &[FIELD_DOCUMENT_CODE],
            ),
            (
                "empty document number",
                refresh(&replace(&TD3, 1, 0, "<<<<<<<<<")),
                &[FIELD_DOCUMENT_NUMBER],
            ),
            (
                "all errors are reported, not only the first",
                owned(&[TD3[0], "L898902C30UTO7408122Q1204159ZE184226B<<<<<10"]),
                &[FIELD_DOCUMENT_NUMBER, FIELD_SEX, FIELD_COMPOSITE],
            ),
        ];
        for (reason, lines, fields) in cases {
            let errors = match parse(&lines) {
                Ok(m) => panic!("{reason}: accepted as {m:?}"),
                Err(e) => e,
            };
            let got: BTreeSet<&str> = errors.iter().map(|e| e.field).collect();
            let want: BTreeSet<&str> = fields.iter().copied().collect();
            assert_eq!(got, want, "{reason}: {errors:?}");
            assert!(errors.iter().all(|e| !e.message.is_empty()));
        }
    }

    #[test]
    fn error_message_names_the_check_digits() {
        let errors = parse(&replace(&TD3, 1, 9, "4")).unwrap_err();
        assert_eq!(
            errors[0],
            MrzError {
                field: "mrz.document_number",
                message: "check digit is 4, computed 6".into(),
            }
        );
        assert_eq!(
            errors[0].to_string(),
            "mrz.document_number: check digit is 4, computed 6"
        );
    }

    #[test]
    fn leap_day_accepted_for_years_divisible_by_four() {
        for yy in ["00", "04", "96"] {
            let lines = refresh(&replace(&TD3, 1, 13, &format!("{yy}0229")));
            assert!(parse(&lines).is_ok(), "{yy}");
        }
    }

    // ---------- property tests ----------

    const ALPHABET: &[u8] = b"<0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    fn date_strategy() -> impl Strategy<Value = NaiveDate> {
        (0u64..73_049).prop_map(|d| date(1900, 1, 1) + chrono::Days::new(d))
    }

    fn sex_strategy() -> impl Strategy<Value = MrzSex> {
        prop_oneof![Just(MrzSex::F), Just(MrzSex::M), Just(MrzSex::Unspecified)]
    }

    fn optional_capacity(format: MrzFormat, number_len: usize) -> usize {
        let overflow = if number_len > 9 && format != MrzFormat::Td3 {
            number_len - 9 + 2
        } else {
            0
        };
        match format {
            MrzFormat::Td1 => 26 - overflow,
            MrzFormat::Td2 => 7 - overflow,
            MrzFormat::Td3 => 14,
        }
    }

    const NAME_CHARS: &str = "A-Za-zÄÖÜäöüßÉéÈÅåØøÆæÑñŁłÇçŠš";

    fn fields_strategy() -> impl Strategy<Value = MrzFields> {
        prop_oneof![
            Just(MrzFormat::Td1),
            Just(MrzFormat::Td2),
            Just(MrzFormat::Td3)
        ]
        .prop_flat_map(|format| {
            let max_number = format.max_document_number_len();
            (
                Just(format),
                "[ACIP][A-Z]?",
                "[A-Z]{1,3}",
                proptest::string::string_regex(&format!("[A-Z0-9]{{1,{max_number}}}")).unwrap(),
                "[A-Z]{1,3}",
                date_strategy(),
                sex_strategy(),
                date_strategy(),
                proptest::string::string_regex(&format!("[{NAME_CHARS}][{NAME_CHARS}' -]{{0,40}}"))
                    .unwrap(),
                proptest::string::string_regex(&format!("[{NAME_CHARS}' ,-]{{0,40}}")).unwrap(),
                "[A-Z0-9<]{0,26}",
            )
        })
        .prop_map(
            |(format, code, state, number, nat, dob, sex, doe, surname, given, optional)| {
                let cap = optional_capacity(format, number.len());
                let optional: String = optional.trim_matches('<').chars().take(cap).collect();
                MrzFields {
                    format,
                    document_code: code,
                    issuing_state: state,
                    document_number: number,
                    nationality: nat,
                    date_of_birth: dob,
                    sex,
                    date_of_expiry: doe,
                    surname,
                    given_names: given,
                    optional_data: optional.trim_matches('<').to_owned(),
                }
            },
        )
    }

    /// The names expected back: transliterated, joined as in the MRZ, cut to
    /// the width of the name field with trailing fillers dropped.
    fn expected_names(f: &MrzFields) -> (String, String) {
        let s = to_mrz_name(&f.surname).replace(' ', "<");
        let g = to_mrz_name(&f.given_names).replace(' ', "<");
        let full = if g.is_empty() { s } else { format!("{s}<<{g}") };
        let cut: String = full.chars().take(f.format.name_len()).collect();
        let cut = cut.trim_end_matches('<');
        let (a, b) = cut.split_once("<<").unwrap_or((cut, ""));
        (a.replace('<', " "), b.replace('<', " "))
    }

    fn expected_mrz(f: &MrzFields) -> Mrz {
        let (surname, given_names) = expected_names(f);
        Mrz {
            format: f.format,
            document_code: f.document_code.clone(),
            issuing_state: f.issuing_state.clone(),
            document_number: f.document_number.clone(),
            nationality: f.nationality.clone(),
            date_of_birth: MrzDate::from_date(f.date_of_birth),
            sex: f.sex,
            date_of_expiry: MrzDate::from_date(f.date_of_expiry),
            surname,
            given_names,
            optional_data: f.optional_data.clone(),
        }
    }

    /// Positions (line, column) covered by a check digit, including the
    /// check digits themselves, and whether they belong to a date field
    /// (a date or its check digit).
    fn covered_positions(format: MrzFormat) -> Vec<(usize, usize, bool)> {
        let mut v = Vec::new();
        let mut add = |line: usize, range: std::ops::Range<usize>, is_date: bool| {
            v.extend(range.map(|c| (line, c, is_date)));
        };
        match format {
            MrzFormat::Td1 => {
                add(0, 5..30, false);
                add(1, 0..7, true);
                add(1, 8..15, true);
                add(1, 18..30, false);
            }
            MrzFormat::Td2 | MrzFormat::Td3 => {
                let n = format.line_len();
                add(1, 0..10, false);
                add(1, 13..20, true);
                add(1, 21..28, true);
                add(1, 28..n, false);
            }
        }
        v
    }

    proptest! {
        #[test]
        fn encode_then_parse_round_trips(f in fields_strategy()) {
            let lines = encode(&f).unwrap();
            prop_assert_eq!(lines.len(), f.format.line_count());
            for l in &lines {
                prop_assert_eq!(l.len(), f.format.line_len());
                prop_assert!(l.chars().all(is_mrz_char));
            }
            let parsed = parse(&lines);
            prop_assert_eq!(parsed, Ok(expected_mrz(&f)), "lines {:?}", lines);
        }

        #[test]
        fn single_substitutions_are_caught_or_change_a_field(f in fields_strategy()) {
            let lines = encode(&f).unwrap();
            let original = parse(&lines).unwrap();
            for (line, col, is_date) in covered_positions(f.format) {
                let old = lines[line].as_bytes()[col];
                for &new in ALPHABET.iter().filter(|&&c| c != old) {
                    let mut altered = lines.clone();
                    altered[line].replace_range(col..col + 1, &char::from(new).to_string());
                    let Ok(m) = parse(&altered) else { continue };
                    let ctx = format!("line {line} col {col}: {} -> {}", char::from(old), char::from(new));
                    prop_assert!(!is_date, "date change accepted, {}", ctx);
                    let diff = char_value(old).abs_diff(char_value(new));
                    prop_assert_eq!(diff % 10, 0, "detectable change accepted, {}", ctx);
                    // The one substitution that changes no data: an empty
                    // TD3 personal number may carry the check digit '<' or
                    // '0' (Doc 9303 allows both), so swapping them is no
                    // alteration of any field.
                    let empty_personal_check = f.format == MrzFormat::Td3
                        && col == 42
                        && original.optional_data.is_empty();
                    if !empty_personal_check {
                        prop_assert_ne!(&m, &original, "undetected change left every field equal, {}", ctx);
                    }
                }
            }
        }
    }
}
