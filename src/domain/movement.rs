//! One crossing: what an official or a POE system sends, the rules it must meet, and the
//! flags the server sets.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::mrz::{self, Mrz, MrzDate, MrzSex};
use super::poe::{Poe, PoeCode, PoeKind};
use super::time::local_time;
use super::traveller::{
    DocumentNumber, DocumentType, PersonName, Sex, StateCode, Traveller, Vehicle, wire_enum,
};
use super::validation::ValidationErrors;

wire_enum! {
    /// Into or out of Lesotho.
    Direction {
        /// Into Lesotho.
        Entry => "entry",
        /// Out of Lesotho.
        Exit => "exit",
    }
}

wire_enum! {
    /// How the traveller crossed.
    Mode {
        /// On foot.
        Pedestrian => "pedestrian",
        /// In a private vehicle.
        PrivateVehicle => "private_vehicle",
        /// By bus or taxi.
        PublicTransport => "public_transport",
        /// In a goods vehicle.
        Truck => "truck",
        /// By air (Moshoeshoe I International Airport only).
        Air => "air",
    }
}

wire_enum! {
    /// Why the traveller crossed.
    Purpose {
        /// Work.
        Work => "work",
        /// Visiting family or friends.
        Visit => "visit",
        /// Tourism.
        Tourism => "tourism",
        /// Business.
        Business => "business",
        /// Study.
        Study => "study",
        /// Passing through.
        Transit => "transit",
        /// A resident coming home.
        ReturningResident => "returning_resident",
        /// Anything else.
        Other => "other",
    }
}

/// The idempotency key a client gives each movement: 1–64 printable ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ClientEventId(String);

impl ClientEventId {
    /// Parses a key.
    pub fn parse(s: &str) -> Result<Self, ValidationErrors> {
        if (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValidationErrors::one(
                "",
                "must be 1 to 64 printable ASCII characters without spaces",
            ))
        }
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a movement is voided: 3 to 500 characters once trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoidReason(String);

impl VoidReason {
    /// Parses a reason; the error names `reason`.
    pub fn parse(s: &str) -> Result<Self, ValidationErrors> {
        let reason = s.trim();
        if (3..=500).contains(&reason.chars().count()) {
            Ok(Self(reason.to_owned()))
        } else {
            Err(ValidationErrors::one(
                "reason",
                "must be 3 to 500 characters",
            ))
        }
    }

    /// The reason.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The traveller as sent.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TravellerInput {
    /// The kind of document.
    #[schema(value_type = DocumentType, example = "passport")]
    pub document_type: String,
    /// Document number: 1 to 20 letters and digits; spaces, hyphens and MRZ fillers (`<`)
    /// are ignored.
    #[schema(pattern = "^[ <-]*([A-Za-z0-9][ <-]*){1,20}$", example = "M12345678")]
    pub document_number: String,
    /// ICAO 9303 code of the issuing state.
    #[schema(value_type = StateCode, example = "ZAF")]
    pub issuing_state: String,
    /// ICAO 9303 code of the nationality.
    #[schema(value_type = StateCode, example = "ZAF")]
    pub nationality: String,
    /// Surname: letters, spaces, hyphens, apostrophes and full stops, at most 100 characters
    /// once spaces are collapsed; not blank.
    #[schema(schema_with = super::schemas::surname, example = "NKOSI")]
    pub surname: String,
    /// Given names (may be empty): letters, spaces, hyphens, apostrophes and full stops, at
    /// most 100 characters once spaces are collapsed.
    #[serde(default)]
    #[schema(example = "THANDIWE GRACE")]
    pub given_names: String,
    /// Date of birth, `YYYY-MM-DD`; not after the crossing.
    #[schema(value_type = super::schemas::LocalDate, example = "1990-05-17")]
    pub date_of_birth: String,
    /// Sex as in ICAO 9303.
    #[schema(value_type = Sex, example = "F")]
    pub sex: String,
}

/// A vehicle as sent.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VehicleInput {
    /// Registration: 2 to 15 letters and digits; spaces and hyphens are ignored.
    #[schema(pattern = "^[ -]*([A-Za-z0-9][ -]*){2,15}$", example = "FSD123GP")]
    pub registration: String,
    /// Registering state (ICAO code).
    #[schema(value_type = StateCode, example = "ZAF")]
    pub country: String,
    /// The kind of vehicle.
    #[schema(value_type = super::traveller::VehicleCategory, example = "car")]
    pub category: String,
}

/// A movement as an official's terminal or a POE system sends it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "client_event_id": "msu-t3-2026-11-28-000124",
    "poe": "MSU",
    "direction": "entry",
    "occurred_at": "2026-11-28T07:45:00+02:00",
    "mode": "private_vehicle",
    "purpose": "visit",
    "traveller": {
        "document_type": "passport",
        "document_number": "M12345678",
        "issuing_state": "ZAF",
        "nationality": "ZAF",
        "surname": "NKOSI",
        "given_names": "THANDIWE GRACE",
        "date_of_birth": "1990-05-17",
        "sex": "F"
    },
    "permitted_until": "2026-12-28",
    "vehicle": {"registration": "FSD123GP", "country": "ZAF", "category": "car"}
}))]
pub struct MovementInput {
    /// The client's idempotency key, unique per sender: 1 to 64 printable ASCII characters
    /// without spaces.
    #[schema(pattern = "^[!-~]{1,64}$", example = "msu-t3-2026-11-28-000123")]
    pub client_event_id: String,
    /// The POE, which the sender must be posted at; an air mode only at the airport, and
    /// only air there.
    #[schema(value_type = super::schemas::RegisteredPoe, example = "MSU")]
    pub poe: String,
    /// Into or out of Lesotho.
    #[schema(value_type = Direction, example = "entry")]
    pub direction: String,
    /// When the person crossed, RFC 3339 with an offset; at most 5 minutes ahead of the
    /// server clock.
    #[schema(value_type = String, format = DateTime, example = "2026-11-28T07:45:00+02:00")]
    pub occurred_at: String,
    /// How the traveller crossed.
    #[schema(value_type = Mode, example = "private_vehicle")]
    pub mode: String,
    /// Why the traveller crossed.
    #[schema(value_type = Purpose, example = "visit")]
    pub purpose: String,
    /// The person and their document. Required unless `mrz` is given: then, when absent, the
    /// traveller comes from the MRZ (document type from the document code: `P…` passport,
    /// `I…`, `A…`, `C…` identity card, any other travel document; number, issuing state,
    /// nationality, names, date of birth, sex); when given, the MRZ must agree with it.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub traveller: Option<TravellerInput>,
    /// The raw MRZ lines, when the document was read by machine: TD1 (3 lines of 30), TD2
    /// (2 of 36) or TD3 (2 of 44). Check digits are verified and the MRZ must agree with
    /// `traveller` when both are given. An MRZ gives only the last two digits of the year of
    /// birth: taken from the traveller when given, else as the latest such date not after the
    /// crossing.
    #[serde(default)]
    #[schema(schema_with = super::schemas::mrz)]
    pub mrz: Option<Vec<String>>,
    /// End of the authorised stay: entries of non-citizens only, not before the entry.
    #[serde(default)]
    #[schema(value_type = Option<super::schemas::LocalDate>)]
    pub permitted_until: Option<String>,
    /// The vehicle, if any.
    #[serde(default)]
    pub vehicle: Option<VehicleInput>,
}

/// An optional field that, when present, is a value: `null` is refused like any other wrong
/// type (absent is `None` through `#[serde(default)]`).
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// What validation needs from outside the input.
#[derive(Debug, Clone)]
pub struct Rules<'a> {
    /// The server's clock.
    pub now: DateTime<Utc>,
    /// How far in the future `occurred_at` may be.
    pub future_tolerance: Duration,
    /// The POE registry.
    pub registry: &'a [Poe],
    /// The citizens' state (`LSO`).
    pub home_state: &'a str,
}

/// A movement that meets every rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewMovement {
    /// Idempotency key.
    pub client_event_id: ClientEventId,
    /// POE.
    pub poe: PoeCode,
    /// Direction.
    pub direction: Direction,
    /// When, UTC, to the microsecond.
    pub occurred_at: NaiveDateTime,
    /// Mode.
    pub mode: Mode,
    /// Purpose.
    pub purpose: Purpose,
    /// The person.
    pub traveller: Traveller,
    /// MRZ lines, verified.
    pub mrz: Option<Vec<String>>,
    /// End of the authorised stay.
    pub permitted_until: Option<NaiveDate>,
    /// Vehicle.
    pub vehicle: Option<Vehicle>,
}

fn parse_date(s: &str) -> Result<NaiveDate, ValidationErrors> {
    super::time::parse_date("", s)
}

fn parse_instant(s: &str) -> Result<NaiveDateTime, ValidationErrors> {
    super::time::parse_instant("", s)
}

impl NewMovement {
    /// Checks every rule, collecting all problems with the fields that have them.
    pub fn parse(input: MovementInput, rules: &Rules<'_>) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::default();
        let client_event_id = e.take(
            "client_event_id",
            ClientEventId::parse(&input.client_event_id),
        );
        let poe_code = e.take("poe", PoeCode::parse(&input.poe));
        let poe = poe_code.as_ref().and_then(|code| {
            let found = rules.registry.iter().find(|p| p.code == code.as_str());
            if found.is_none() {
                e.push("poe", format!("unknown POE {code}"));
            }
            found
        });
        let direction = e.take("direction", Direction::parse(&input.direction));
        let occurred_at = e.take("occurred_at", parse_instant(&input.occurred_at));
        if let Some(t) = occurred_at {
            if t > (rules.now + rules.future_tolerance).naive_utc() {
                e.push(
                    "occurred_at",
                    format!(
                        "is more than {} seconds ahead of the server clock",
                        rules.future_tolerance.num_seconds()
                    ),
                );
            }
        }
        let mode = e.take("mode", Mode::parse(&input.mode));
        if let (Some(mode), Some(poe)) = (mode, poe) {
            match (mode == Mode::Air, poe.kind) {
                (true, PoeKind::Land) => e.push(
                    "mode",
                    format!("air travel cannot cross at the land post {}", poe.code),
                ),
                (false, PoeKind::Air) => e.push(
                    "mode",
                    format!("{} is an airport: mode must be air", poe.code),
                ),
                _ => {}
            }
        }
        let purpose = e.take("purpose", Purpose::parse(&input.purpose));
        let crossing_day = occurred_at.map_or(rules.now.date_naive(), |at| local_time(at).date());
        let (traveller, mrz) = match (&input.traveller, &input.mrz) {
            (Some(typed), lines) => {
                let traveller = parse_traveller(typed, rules.now.date_naive(), &mut e);
                let mrz = lines.as_ref().and_then(|lines| match mrz::parse(lines) {
                    Ok(parsed) => {
                        if let Some(t) = &traveller {
                            check_agreement(&parsed, t, &mut e);
                        }
                        Some(raw_lines(lines))
                    }
                    Err(problems) => {
                        for p in problems {
                            e.push(p.field, p.message);
                        }
                        None
                    }
                });
                (traveller, mrz)
            }
            (None, Some(lines)) => match mrz::parse(lines) {
                Ok(parsed) => (
                    traveller_from_mrz(&parsed, crossing_day, &mut e),
                    Some(raw_lines(lines)),
                ),
                Err(problems) => {
                    for p in problems {
                        e.push(p.field, p.message);
                    }
                    (None, None)
                }
            },
            (None, None) => {
                e.push("traveller", "is required unless `mrz` is given");
                (None, None)
            }
        };
        if let (Some(t), Some(at)) = (&traveller, occurred_at) {
            if t.date_of_birth > local_time(at).date() {
                e.push("traveller.date_of_birth", "is after the crossing");
            }
        }

        let permitted_until = match &input.permitted_until {
            None => None,
            Some(s) => {
                let date = e.take("permitted_until", parse_date(s));
                if direction == Some(Direction::Exit) {
                    e.push("permitted_until", "applies to entries only");
                }
                if traveller
                    .as_ref()
                    .is_some_and(|t| t.nationality.as_str() == rules.home_state)
                {
                    e.push("permitted_until", "applies to non-citizens only");
                }
                if let (Some(d), Some(at)) = (date, occurred_at) {
                    if d < local_time(at).date() {
                        e.push("permitted_until", "is before the entry");
                    }
                }
                date
            }
        };

        let vehicle = input.vehicle.as_ref().and_then(|v| {
            e.take(
                "vehicle",
                Vehicle::parse(&v.registration, &v.country, &v.category),
            )
        });

        match (
            client_event_id,
            poe_code,
            direction,
            occurred_at,
            mode,
            purpose,
            traveller,
        ) {
            (
                Some(client_event_id),
                Some(poe),
                Some(direction),
                Some(occurred_at),
                Some(mode),
                Some(purpose),
                Some(traveller),
            ) if e.is_empty() => Ok(Self {
                client_event_id,
                poe,
                direction,
                occurred_at,
                mode,
                purpose,
                traveller,
                mrz,
                permitted_until,
                vehicle,
            }),
            _ => Err(e),
        }
    }

    /// A digest of everything that defines this movement, after normalisation: a replay with
    /// the same digest is the same movement; the same key with another digest is a conflict.
    pub fn payload_hash(&self) -> String {
        let canonical = serde_json::to_string(self).unwrap_or_default();
        hex::encode(Sha256::digest(canonical.as_bytes()))
    }

    /// Whether the post was closed at the time of the crossing.
    pub fn outside_hours(&self, poe: &Poe) -> bool {
        !poe.hours.is_open_at(local_time(self.occurred_at))
    }

    /// Whether it arrives more than `late_after` after it occurred.
    pub fn is_late(&self, recorded_at: NaiveDateTime, late_after: Duration) -> bool {
        recorded_at - self.occurred_at > late_after
    }

    /// The matching key of the document: issuing state and number.
    pub fn document_key(&self) -> (String, String) {
        (
            self.traveller.issuing_state.as_str().to_owned(),
            self.traveller.document_number.as_str().to_owned(),
        )
    }
}

fn parse_traveller(
    t: &TravellerInput,
    today: NaiveDate,
    e: &mut ValidationErrors,
) -> Option<Traveller> {
    let mut te = ValidationErrors::default();
    let document_type = te.take("document_type", DocumentType::parse(&t.document_type));
    let document_number = te.take("document_number", DocumentNumber::parse(&t.document_number));
    let issuing_state = te.take("issuing_state", StateCode::parse(&t.issuing_state));
    let nationality = te.take("nationality", StateCode::parse(&t.nationality));
    let surname = te.take("surname", PersonName::parse(&t.surname, false));
    let given_names = te.take("given_names", PersonName::parse(&t.given_names, true));
    let date_of_birth = te.take("date_of_birth", parse_date(&t.date_of_birth));
    if let Some(dob) = date_of_birth {
        if dob > today {
            te.push("date_of_birth", "is in the future");
        } else if dob < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN) {
            te.push("date_of_birth", "is before 1900");
        }
    }
    let sex = te.take("sex", Sex::parse(&t.sex));
    let ok = te.is_empty();
    e.extend_prefixed("traveller", te);
    match (
        document_type,
        document_number,
        issuing_state,
        nationality,
        surname,
        given_names,
        date_of_birth,
        sex,
    ) {
        (
            Some(document_type),
            Some(document_number),
            Some(issuing_state),
            Some(nationality),
            Some(surname),
            Some(given_names),
            Some(date_of_birth),
            Some(sex),
        ) if ok => Some(Traveller {
            document_type,
            document_number,
            issuing_state,
            nationality,
            surname,
            given_names,
            date_of_birth,
            sex,
        }),
        _ => None,
    }
}

/// The MRZ lines as stored: without a trailing carriage return.
fn raw_lines(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l.trim_end_matches('\r').to_owned())
        .collect()
}

/// The kind of document an MRZ's document code names: `P…` a passport; `I…`, `A…`, `C…` an
/// identity card (ICAO 9303 Parts 5 and 6); any other code a travel document.
pub fn document_type_of(document_code: &str) -> DocumentType {
    match document_code.chars().next() {
        Some('P') => DocumentType::Passport,
        Some('I' | 'A' | 'C') => DocumentType::IdCard,
        _ => DocumentType::TravelDocument,
    }
}

/// The date an MRZ date of birth stands for: the latest date with those two year digits, month
/// and day that is not after `not_after` (an MRZ gives no century); `None` when there is no
/// such calendar date (30 February).
pub fn birth_date_of(d: MrzDate, not_after: NaiveDate) -> Option<NaiveDate> {
    let this_century = not_after.year() - not_after.year().rem_euclid(100);
    [this_century, this_century - 100]
        .into_iter()
        .filter_map(|c| {
            NaiveDate::from_ymd_opt(c + i32::from(d.yy), u32::from(d.mm), u32::from(d.dd))
        })
        .find(|date| *date <= not_after)
}

/// The traveller an MRZ describes, its problems named by MRZ field.
fn traveller_from_mrz(
    m: &Mrz,
    crossing_day: NaiveDate,
    e: &mut ValidationErrors,
) -> Option<Traveller> {
    let document_number = e.take(
        "mrz.document_number",
        DocumentNumber::parse(&m.document_number),
    );
    let issuing_state = e.take("mrz.issuing_state", StateCode::parse(&m.issuing_state));
    let nationality = e.take("mrz.nationality", StateCode::parse(&m.nationality));
    let surname = e.take("mrz.names", PersonName::parse(&m.surname, false));
    let given_names = e.take("mrz.names", PersonName::parse(&m.given_names, true));
    let date_of_birth = birth_date_of(m.date_of_birth, crossing_day);
    if date_of_birth.is_none() {
        e.push(
            "mrz.date_of_birth",
            format!("{} is not a date", m.date_of_birth),
        );
    }
    let sex = match m.sex {
        MrzSex::F => Sex::F,
        MrzSex::M => Sex::M,
        MrzSex::Unspecified => Sex::X,
    };
    Some(Traveller {
        document_type: document_type_of(&m.document_code),
        document_number: document_number?,
        issuing_state: issuing_state?,
        nationality: nationality?,
        surname: surname?,
        given_names: given_names?,
        date_of_birth: date_of_birth?,
        sex,
    })
}

/// Whether an MRZ name (possibly truncated to fit its field) is the typed name.
fn names_agree(typed: &str, in_mrz: &str) -> bool {
    let typed = mrz::to_mrz_name(typed);
    typed == in_mrz
        || (!in_mrz.is_empty() && typed.starts_with(in_mrz) && in_mrz.len() >= 20)
        || typed.replace(' ', "") == in_mrz.replace(' ', "")
}

/// The MRZ must say what the typed fields say.
fn check_agreement(m: &Mrz, t: &Traveller, e: &mut ValidationErrors) {
    let mut disagree = |field: &str, what: &str| {
        e.push(
            format!("traveller.{field}"),
            format!("does not agree with the MRZ ({what})"),
        );
    };
    if m.document_number != t.document_number.as_str() {
        disagree("document_number", &m.document_number);
    }
    if m.issuing_state != t.issuing_state.as_str() {
        disagree("issuing_state", &m.issuing_state);
    }
    if m.nationality != t.nationality.as_str() {
        disagree("nationality", &m.nationality);
    }
    if !m.date_of_birth.matches(t.date_of_birth) {
        disagree("date_of_birth", &m.date_of_birth.to_string());
    }
    let sex_ok = matches!(
        (m.sex, t.sex),
        (MrzSex::F, Sex::F) | (MrzSex::M, Sex::M) | (MrzSex::Unspecified, Sex::X)
    );
    if !sex_ok {
        disagree("sex", "the MRZ gives another sex");
    }
    let code = m.document_code.chars().next().unwrap_or('<');
    let type_ok = match t.document_type {
        DocumentType::Passport => code == 'P',
        DocumentType::IdCard => matches!(code, 'I' | 'A' | 'C'),
        DocumentType::TravelDocument | DocumentType::Permit => true,
    };
    if !type_ok {
        disagree("document_type", &m.document_code);
    }
    if !names_agree(t.surname.as_str(), &m.surname) {
        disagree("surname", &m.surname);
    }
    if !names_agree(t.given_names.as_str(), &m.given_names) {
        disagree("given_names", &m.given_names);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::poe::{DailyHours, HoursKeyword, OpeningHours};

    fn registry() -> Vec<Poe> {
        let poe = |code: &str, kind: PoeKind, hours: DailyHours| Poe {
            code: code.into(),
            name: code.into(),
            district: "Maseru".into(),
            kind,
            sa_counterpart: String::new(),
            automated: false,
            hours: OpeningHours {
                regular: hours,
                special: vec![],
            },
        };
        vec![
            poe(
                "MSU",
                PoeKind::Land,
                DailyHours::Keyword(HoursKeyword::AllDay),
            ),
            poe(
                "SNP",
                PoeKind::Land,
                DailyHours::Window {
                    opens: "08:00".into(),
                    closes: "16:00".into(),
                },
            ),
            poe(
                "MIA",
                PoeKind::Air,
                DailyHours::Keyword(HoursKeyword::AllDay),
            ),
        ]
    }

    fn rules(registry: &[Poe]) -> Rules<'_> {
        Rules {
            now: DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z")
                .unwrap()
                .to_utc(),
            future_tolerance: Duration::minutes(5),
            registry,
            home_state: "LSO",
        }
    }

    /// The ICAO specimen passport, re-issued by Lesotho so that its codes are real.
    fn specimen_mrz() -> Vec<String> {
        mrz::encode(&mrz::MrzFields {
            format: mrz::MrzFormat::Td3,
            document_code: "P".into(),
            issuing_state: "LSO".into(),
            document_number: "L898902C3".into(),
            nationality: "LSO".into(),
            date_of_birth: NaiveDate::from_ymd_opt(1974, 8, 12).unwrap(),
            sex: MrzSex::F,
            date_of_expiry: NaiveDate::from_ymd_opt(2032, 4, 15).unwrap(),
            surname: "ERIKSSON".into(),
            given_names: "ANNA MARIA".into(),
            optional_data: "ZE184226B".into(),
        })
        .unwrap()
    }

    fn input() -> MovementInput {
        let mut i: MovementInput = serde_json::from_value(serde_json::json!({
            "client_event_id": "e-1",
            "poe": "MSU",
            "direction": "entry",
            "occurred_at": "2026-11-28T09:00:00+02:00",
            "mode": "pedestrian",
            "purpose": "visit",
            "traveller": {
                "document_type": "passport", "document_number": "l898902c3",
                "issuing_state": "LSO", "nationality": "ZAF",
                "surname": "Eriksson", "given_names": "Anna  Maria",
                "date_of_birth": "1974-08-12", "sex": "F"
            }
        }))
        .unwrap();
        i.traveller.as_mut().unwrap().nationality = "LSO".into();
        i.mrz = Some(specimen_mrz());
        i
    }

    fn fields_of(e: ValidationErrors) -> Vec<String> {
        e.0.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn a_good_movement_is_normalised() {
        assert_eq!(specimen_mrz()[1].len(), 44);
        let reg = registry();
        let m = NewMovement::parse(input(), &rules(&reg)).unwrap();
        assert_eq!(m.traveller.document_number.as_str(), "L898902C3");
        assert_eq!(m.traveller.given_names.as_str(), "ANNA MARIA");
        assert_eq!(m.occurred_at.to_string(), "2026-11-28 07:00:00");
    }

    #[test]
    fn the_payload_hash_is_over_normalised_values() {
        let reg = registry();
        let a = NewMovement::parse(input(), &rules(&reg)).unwrap();
        let mut i = input();
        i.traveller.as_mut().unwrap().surname = "ERIKSSON".into();
        i.occurred_at = "2026-11-28T07:00:00Z".into();
        let b = NewMovement::parse(i, &rules(&reg)).unwrap();
        assert_eq!(a.payload_hash(), b.payload_hash());
        let mut i = input();
        i.purpose = "tourism".into();
        let c = NewMovement::parse(i, &rules(&reg)).unwrap();
        assert_ne!(a.payload_hash(), c.payload_hash());
    }

    #[test]
    fn bad_fields_are_each_named() {
        let reg = registry();
        type Edit = Box<dyn Fn(&mut MovementInput)>;
        let cases: Vec<(&str, Edit, &str)> = vec![
            ("unknown POE", Box::new(|i| i.poe = "ZZZ".into()), "poe"),
            ("lower-case POE", Box::new(|i| i.poe = "msu".into()), "poe"),
            (
                "bad direction",
                Box::new(|i| i.direction = "in".into()),
                "direction",
            ),
            (
                "30 February",
                Box::new(|i| i.occurred_at = "2026-02-30T10:00:00Z".into()),
                "occurred_at",
            ),
            (
                "no offset",
                Box::new(|i| i.occurred_at = "2026-11-28T10:00:00".into()),
                "occurred_at",
            ),
            (
                "six minutes ahead",
                Box::new(|i| i.occurred_at = "2026-11-28T10:06:00Z".into()),
                "occurred_at",
            ),
            ("bad mode", Box::new(|i| i.mode = "horse".into()), "mode"),
            (
                "air at a land post",
                Box::new(|i| i.mode = "air".into()),
                "mode",
            ),
            (
                "bad purpose",
                Box::new(|i| i.purpose = "fun".into()),
                "purpose",
            ),
            (
                "empty event id",
                Box::new(|i| i.client_event_id = String::new()),
                "client_event_id",
            ),
            (
                "long event id",
                Box::new(|i| i.client_event_id = "x".repeat(65)),
                "client_event_id",
            ),
            (
                "bad document type",
                Box::new(|i| i.traveller.as_mut().unwrap().document_type = "visa".into()),
                "traveller.document_type",
            ),
            (
                "bad issuing state",
                Box::new(|i| i.traveller.as_mut().unwrap().issuing_state = "XYZ".into()),
                "traveller.issuing_state",
            ),
            (
                "bad nationality",
                Box::new(|i| i.traveller.as_mut().unwrap().nationality = "LS".into()),
                "traveller.nationality",
            ),
            (
                "future birth",
                Box::new(|i| i.traveller.as_mut().unwrap().date_of_birth = "2027-01-01".into()),
                "traveller.date_of_birth",
            ),
            (
                "impossible birth",
                Box::new(|i| i.traveller.as_mut().unwrap().date_of_birth = "1990-13-01".into()),
                "traveller.date_of_birth",
            ),
            (
                "bad sex",
                Box::new(|i| i.traveller.as_mut().unwrap().sex = "female".into()),
                "traveller.sex",
            ),
            (
                "empty surname",
                Box::new(|i| i.traveller.as_mut().unwrap().surname = " ".into()),
                "traveller.surname",
            ),
            (
                "exit with permit",
                Box::new(|i| {
                    i.direction = "exit".into();
                    i.permitted_until = Some("2026-12-01".into());
                }),
                "permitted_until",
            ),
            (
                "bad vehicle",
                Box::new(|i| {
                    i.vehicle = Some(VehicleInput {
                        registration: "A1".into(),
                        country: "ZAF".into(),
                        category: "tank".into(),
                    })
                }),
                "vehicle.category",
            ),
        ];
        for (why, edit, field) in cases {
            let mut i = input();
            i.mrz = None;
            edit(&mut i);
            let e = NewMovement::parse(i, &rules(&reg)).expect_err(why);
            assert!(
                fields_of(e.clone()).contains(&field.to_owned()),
                "{why}: {e}"
            );
        }
    }

    #[test]
    fn citizens_get_no_permitted_until() {
        let reg = registry();
        let mut i = input();
        i.mrz = None;
        i.permitted_until = Some("2026-12-30".into());
        assert_eq!(
            fields_of(NewMovement::parse(i, &rules(&reg)).unwrap_err()),
            ["permitted_until"]
        );
    }

    #[test]
    fn a_bad_check_digit_names_the_mrz_field() {
        let reg = registry();
        let mut i = input();
        let mut lines = specimen_mrz();
        // The date of birth's check digit (line 2, position 20) made wrong.
        let mut line2: Vec<char> = lines[1].chars().collect();
        line2[19] = if line2[19] == '3' { '4' } else { '3' };
        lines[1] = line2.into_iter().collect();
        i.mrz = Some(lines);
        let fields = fields_of(NewMovement::parse(i, &rules(&reg)).unwrap_err());
        assert!(
            fields.contains(&"mrz.date_of_birth".to_owned()),
            "{fields:?}"
        );
    }

    #[test]
    fn the_mrz_must_agree_with_the_typed_fields() {
        let reg = registry();
        let mut i = input();
        i.traveller.as_mut().unwrap().date_of_birth = "1974-08-13".into();
        i.traveller.as_mut().unwrap().surname = "Erikson".into();
        let fields = fields_of(NewMovement::parse(i, &rules(&reg)).unwrap_err());
        assert_eq!(fields, ["traveller.date_of_birth", "traveller.surname"]);
    }

    #[test]
    fn a_movement_may_give_the_mrz_alone() {
        let reg = registry();
        let mut i = input();
        i.traveller = None;
        let m = NewMovement::parse(i, &rules(&reg)).unwrap();
        let t = &m.traveller;
        assert_eq!(t.document_type, DocumentType::Passport);
        assert_eq!(t.document_number.as_str(), "L898902C3");
        assert_eq!(t.issuing_state.as_str(), "LSO");
        assert_eq!(t.nationality.as_str(), "LSO");
        assert_eq!(t.surname.as_str(), "ERIKSSON");
        assert_eq!(t.given_names.as_str(), "ANNA MARIA");
        assert_eq!(
            t.date_of_birth,
            NaiveDate::from_ymd_opt(1974, 8, 12).unwrap()
        );
        assert_eq!(t.sex, Sex::F);
        assert_eq!(m.mrz.as_ref().map(Vec::len), Some(2));
    }

    #[test]
    fn a_null_traveller_is_refused_even_with_an_mrz() {
        let mut v = serde_json::json!({
            "client_event_id": "e-1", "poe": "MSU", "direction": "entry",
            "occurred_at": "2026-11-28T09:00:00+02:00", "mode": "pedestrian", "purpose": "visit",
            "traveller": null
        });
        v["mrz"] = serde_json::json!(specimen_mrz());
        assert!(serde_json::from_value::<MovementInput>(v).is_err());
    }

    #[test]
    fn neither_traveller_nor_mrz_is_refused_naming_traveller() {
        let reg = registry();
        let mut i = input();
        i.traveller = None;
        i.mrz = None;
        assert_eq!(
            fields_of(NewMovement::parse(i, &rules(&reg)).unwrap_err()),
            ["traveller"]
        );
    }

    #[test]
    fn an_mrz_alone_with_a_bad_check_digit_names_the_mrz_field() {
        let reg = registry();
        let mut i = input();
        i.traveller = None;
        let mut line2: Vec<char> = specimen_mrz()[1].chars().collect();
        line2[9] = if line2[9] == '1' { '2' } else { '1' };
        i.mrz = Some(vec![specimen_mrz()[0].clone(), line2.into_iter().collect()]);
        let fields = fields_of(NewMovement::parse(i, &rules(&reg)).unwrap_err());
        assert!(
            fields.contains(&"mrz.document_number".to_owned()),
            "{fields:?}"
        );
    }

    #[test]
    fn document_codes_give_the_document_type() {
        for (code, expected) in [
            ("P", DocumentType::Passport),
            ("PD", DocumentType::Passport),
            ("I", DocumentType::IdCard),
            ("ID", DocumentType::IdCard),
            ("AC", DocumentType::IdCard),
            ("C", DocumentType::IdCard),
            ("R", DocumentType::TravelDocument),
        ] {
            assert_eq!(document_type_of(code), expected, "{code}");
        }
    }

    #[test]
    fn the_century_of_a_birth_is_the_latest_not_after_the_crossing() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let d = |yy, mm, dd| MrzDate { yy, mm, dd };
        let cases = [
            (d(74, 8, 12), Some((1974, 8, 12)), "last century"),
            (d(20, 1, 1), Some((2020, 1, 1)), "a child"),
            (d(26, 11, 28), Some((2026, 11, 28)), "born today"),
            (
                d(26, 11, 29),
                Some((1926, 11, 29)),
                "tomorrow is a century ago",
            ),
            (d(99, 2, 30), None, "30 February"),
        ];
        for (mrz_date, expected, why) in cases {
            let expected = expected.map(|(y, m, dd)| NaiveDate::from_ymd_opt(y, m, dd).unwrap());
            assert_eq!(birth_date_of(mrz_date, day), expected, "{why}");
        }
    }

    #[test]
    fn outside_hours_and_late_are_judged_in_local_time() {
        let reg = registry();
        let mut i = input();
        i.mrz = None;
        i.poe = "SNP".into();
        i.occurred_at = "2026-11-28T05:59:00Z".into(); // 07:59 in Lesotho
        let m = NewMovement::parse(i, &rules(&reg)).unwrap();
        assert!(m.outside_hours(&reg[1]));
        let mut i = input();
        i.mrz = None;
        i.poe = "SNP".into();
        i.occurred_at = "2026-11-28T06:00:00Z".into(); // 08:00
        let m = NewMovement::parse(i, &rules(&reg)).unwrap();
        assert!(!m.outside_hours(&reg[1]));
        assert!(!m.is_late(m.occurred_at + Duration::hours(24), Duration::hours(24)));
        assert!(m.is_late(
            m.occurred_at + Duration::hours(24) + Duration::seconds(1),
            Duration::hours(24)
        ));
    }
}
