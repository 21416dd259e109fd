//! The person crossing and their document: values that normalise once and then cannot be
//! invalid.

use std::fmt;

use chrono::NaiveDate;
use serde::Serialize;

use super::codes;
use super::validation::ValidationErrors;

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $wire)] $variant),+
        }

        // By hand: the derive does not see a `rename` that a macro wrote, and would list the
        // variants' Rust names instead of the wire names.
        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                ::utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(::utoipa::openapi::schema::Type::String)
                    .enum_values(Some(Self::ALL.iter().map(|v| v.as_str())))
                    .examples(Self::ALL.first().map(|v| v.as_str()))
                    .into()
            }
        }

        impl ::utoipa::ToSchema for $name {}

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name on the wire and in storage.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// Parses the wire name; the error lists the allowed names.
            pub fn parse(s: &str) -> Result<Self, $crate::domain::validation::ValidationErrors> {
                match s.trim() {
                    $($wire => Ok($name::$variant),)+
                    _ => Err($crate::domain::validation::ValidationErrors::one(
                        "",
                        format!("must be one of: {}", [$($wire),+].join(", ")),
                    )),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        $crate::domain::validation::stored_as_text!($name);
    };
}
pub(crate) use wire_enum;

wire_enum! {
    /// The kind of travel document presented.
    DocumentType {
        /// A passport (MRZ TD3, code `P`).
        Passport => "passport",
        /// A national identity card (TD1/TD2, codes `I`, `A`, `C`).
        IdCard => "id_card",
        /// Another travel document (emergency, refugee, laissez-passer).
        TravelDocument => "travel_document",
        /// A permit (e.g. a border or residence permit).
        Permit => "permit",
    }
}

wire_enum! {
    /// Sex as in ICAO 9303.
    Sex {
        /// Female.
        F => "F",
        /// Male.
        M => "M",
        /// Unspecified.
        X => "X",
    }
}

/// An ICAO 9303 code of a state or organisation (`LSO`, `ZAF`, `D`, `XXA`, …), upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct StateCode(String);

impl StateCode {
    /// Parses a code; lower case and MRZ fillers (`D<<`) are accepted and normalised.
    pub fn parse(s: &str) -> Result<Self, ValidationErrors> {
        let code = s.trim().trim_end_matches('<').to_ascii_uppercase();
        if codes::is_icao_state_code(&code) {
            Ok(Self(code))
        } else {
            Err(ValidationErrors::one(
                "",
                format!("{s:?} is not an ICAO 9303 state or organisation code (e.g. LSO, ZAF, D)"),
            ))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

super::validation::stored_as_text!(StateCode);

impl fmt::Display for StateCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A document number normalised for matching: upper case, without spaces, hyphens or MRZ
/// fillers; 1–20 letters and digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct DocumentNumber(String);

impl DocumentNumber {
    /// Parses and normalises.
    pub fn parse(s: &str) -> Result<Self, ValidationErrors> {
        let n: String = s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != '<')
            .flat_map(char::to_uppercase)
            .collect();
        if (1..=20).contains(&n.len())
            && n.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            Ok(Self(n))
        } else {
            Err(ValidationErrors::one(
                "",
                "must be 1 to 20 letters and digits (spaces and hyphens are ignored)",
            ))
        }
    }

    /// The normalised number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A name as recorded: upper case, single spaces, letters with hyphens, apostrophes and
/// full stops between them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct PersonName(String);

impl PersonName {
    /// Parses a name; `may_be_empty` for given names (some people have none).
    pub fn parse(s: &str, may_be_empty: bool) -> Result<Self, ValidationErrors> {
        let normalised = normalise_name(s);
        if normalised.is_empty() {
            return if may_be_empty {
                Ok(Self(normalised))
            } else {
                Err(ValidationErrors::one("", "must not be empty"))
            };
        }
        if normalised.chars().count() > 100 {
            return Err(ValidationErrors::one("", "must be at most 100 characters"));
        }
        if !normalised
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '.' | '’'))
        {
            return Err(ValidationErrors::one(
                "",
                "may hold only letters, spaces, hyphens, apostrophes and full stops",
            ));
        }
        Ok(Self(normalised))
    }

    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Upper case with single spaces, trimmed.
pub fn normalise_name(s: &str) -> String {
    s.split_whitespace()
        .map(str::to_uppercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The key that identifies a person on the watchlist regardless of case, spacing and the
/// order of given names: `SURNAME|GIVEN NAMES SORTED|YYYY-MM-DD`.
pub fn person_key(surname: &str, given_names: &str, date_of_birth: NaiveDate) -> String {
    let mut given: Vec<String> = normalise_name(given_names)
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    given.sort();
    format!(
        "{}|{}|{}",
        normalise_name(surname),
        given.join(" "),
        date_of_birth.format("%Y-%m-%d")
    )
}

/// The person crossing, as typed (and normalised).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Traveller {
    /// Document kind.
    pub document_type: DocumentType,
    /// Document number.
    pub document_number: DocumentNumber,
    /// Issuing state or organisation.
    pub issuing_state: StateCode,
    /// Nationality.
    pub nationality: StateCode,
    /// Surname (primary identifier).
    pub surname: PersonName,
    /// Given names (secondary identifier), possibly empty.
    pub given_names: PersonName,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
    /// Sex.
    pub sex: Sex,
}

wire_enum! {
    /// The kind of vehicle crossing with the traveller.
    VehicleCategory {
        /// Private car.
        Car => "car",
        /// Pick-up or light delivery vehicle.
        LightDelivery => "light_delivery",
        /// Minibus taxi.
        MinibusTaxi => "minibus_taxi",
        /// Bus or coach.
        Bus => "bus",
        /// Goods vehicle.
        Truck => "truck",
        /// Motorcycle.
        Motorcycle => "motorcycle",
        /// Anything else.
        Other => "other",
    }
}

/// A vehicle crossing with the traveller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vehicle {
    /// Registration, upper case without spaces or hyphens.
    pub registration: String,
    /// Registering state (ICAO code, e.g. `LSO`, `ZAF`).
    pub country: StateCode,
    /// Category.
    pub category: VehicleCategory,
}

impl Vehicle {
    /// Parses the three fields, collecting every problem.
    pub fn parse(
        registration: &str,
        country: &str,
        category: &str,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let reg: String = registration
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .flat_map(char::to_uppercase)
            .collect();
        if !(2..=15).contains(&reg.len()) || !reg.bytes().all(|b| b.is_ascii_alphanumeric()) {
            errors.push("registration", "must be 2 to 15 letters and digits");
        }
        let country = errors.take("country", StateCode::parse(country));
        let category = errors.take("category", VehicleCategory::parse(category));
        match (country, category) {
            (Some(country), Some(category)) if errors.is_empty() => Ok(Self {
                registration: reg,
                country,
                category,
            }),
            _ => Err(errors),
        }
    }
}

/// A document named by its issuing state and number, both required: each fault pushed into
/// `e` under its field, `missing` the message of an absent one ("is required", "is required
/// for a document alert", …).
pub fn parse_document(
    issuing_state: Option<&str>,
    document_number: Option<&str>,
    missing: &str,
    e: &mut ValidationErrors,
) -> Option<(StateCode, DocumentNumber)> {
    let state = match issuing_state {
        Some(s) => e.take("issuing_state", StateCode::parse(s)),
        None => {
            e.push("issuing_state", missing);
            None
        }
    };
    let number = match document_number {
        Some(n) => e.take("document_number", DocumentNumber::parse(n)),
        None => {
            e.push("document_number", missing);
            None
        }
    };
    state.zip(number)
}

/// A person as an alert or a search names them: surname, given names (may be empty) and
/// date of birth, the three things tolerant matching compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedPerson {
    /// At least one letter once folded.
    pub surname: PersonName,
    /// Possibly empty.
    pub given_names: PersonName,
    /// Required: a name alone matches too many travellers.
    pub date_of_birth: NaiveDate,
}

impl NamedPerson {
    /// Parses the three fields, pushing every fault into `e`. `purpose` completes the message
    /// of a missing field ("to search by person", "for a person alert"), `why_birth` that of a
    /// missing date of birth.
    pub fn parse(
        surname: Option<&str>,
        given_names: Option<&str>,
        date_of_birth: Option<&str>,
        (purpose, why_birth): (&str, &str),
        e: &mut ValidationErrors,
    ) -> Option<Self> {
        let surname = match surname {
            Some(s) if super::names::surname_key(s).is_empty() => {
                e.push("surname", "must hold at least one letter");
                None
            }
            Some(s) => e.take("surname", PersonName::parse(s, false)),
            None => {
                e.push("surname", format!("is required {purpose}"));
                None
            }
        };
        let given_names = e.take(
            "given_names",
            PersonName::parse(given_names.unwrap_or(""), true),
        );
        let date_of_birth = match date_of_birth {
            Some(d) => match NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    e.push("date_of_birth", "must be a real calendar date, YYYY-MM-DD");
                    None
                }
            },
            None => {
                e.push(
                    "date_of_birth",
                    format!("is required {purpose}: {why_birth}"),
                );
                None
            }
        };
        Some(Self {
            surname: surname?,
            given_names: given_names?,
            date_of_birth: date_of_birth?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_codes_follow_icao_9303() {
        for ok in ["LSO", "ZAF", "D", "D<<", "lso", "XXA", "UNK", "EUE", "GBD"] {
            assert!(StateCode::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(StateCode::parse("D<<").unwrap().as_str(), "D");
        for bad in ["", "XYZ", "LS", "LSOO", "12A", "DEUT"] {
            assert!(StateCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn document_numbers_normalise_for_matching() {
        assert_eq!(
            DocumentNumber::parse(" ra 12-34567< ").unwrap().as_str(),
            "RA1234567"
        );
        for bad in ["", "  ", "AB/123", "Ä1234", &"1".repeat(21)] {
            assert!(DocumentNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_upper_case_with_single_spaces() {
        assert_eq!(
            PersonName::parse("  mosele   ntate ", false)
                .unwrap()
                .as_str(),
            "MOSELE NTATE"
        );
        assert_eq!(
            PersonName::parse("o'brien-smith", false).unwrap().as_str(),
            "O'BRIEN-SMITH"
        );
        assert_eq!(PersonName::parse("Ñúñez", false).unwrap().as_str(), "ÑÚÑEZ");
        assert!(PersonName::parse("", false).is_err());
        assert!(PersonName::parse("  ", true).unwrap().as_str().is_empty());
        assert!(PersonName::parse("R2D2", false).is_err());
        assert!(PersonName::parse("a\u{0}b", false).is_err());
    }

    #[test]
    fn person_keys_ignore_case_spacing_and_given_name_order() {
        let dob = NaiveDate::from_ymd_opt(1990, 5, 17).unwrap();
        let a = person_key("Mokoena", "Thabo  Lerato", dob);
        let b = person_key(" MOKOENA ", "lerato thabo", dob);
        assert_eq!(a, b);
        assert_ne!(a, person_key("Mokoena", "Thabo", dob));
        assert_ne!(
            a,
            person_key("Mokoena", "Thabo Lerato", dob.succ_opt().unwrap())
        );
    }

    #[test]
    fn vehicles_need_a_registration_a_state_and_a_category() {
        let v = Vehicle::parse("a 123-bc", "lso", "car").unwrap();
        assert_eq!(v.registration, "A123BC");
        let e = Vehicle::parse("", "XYZ", "tractor").unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["registration", "country", "category"]);
    }

    #[test]
    fn enums_name_the_allowed_values() {
        let e = Sex::parse("female").unwrap_err();
        assert!(e.0[0].message.contains("F, M, X"));
        assert_eq!(
            DocumentType::parse("id_card").unwrap(),
            DocumentType::IdCard
        );
    }
}
