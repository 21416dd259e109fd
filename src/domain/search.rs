//! What a traveller search asks for: one document, or a person by name and date of birth.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::traveller::{DocumentNumber, NamedPerson, PersonName, StateCode, parse_document};
use super::validation::ValidationErrors;

/// `POST /travellers/search` as sent.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchInput {
    /// By document: issuing state (with `document_number`; not with the person's fields).
    #[schema(value_type = Option<StateCode>, example = "ZAF")]
    pub issuing_state: Option<String>,
    /// By document: number, 1 to 20 letters and digits (spaces, hyphens and `<` ignored).
    #[schema(pattern = "^[ <-]*([A-Za-z0-9][ <-]*){1,20}$", example = "M12345678")]
    pub document_number: Option<String>,
    /// By person: surname (with `date_of_birth`); case, spaces, hyphens, apostrophes and
    /// diacritics do not matter.
    #[schema(schema_with = super::schemas::surname_or_null)]
    pub surname: Option<String>,
    /// By person: given names, in any order; one in common is enough.
    pub given_names: Option<String>,
    /// By person: date of birth, `YYYY-MM-DD` (required with `surname`).
    #[schema(value_type = Option<super::schemas::LocalDate>)]
    pub date_of_birth: Option<String>,
    /// By person: only documents of this nationality.
    #[schema(value_type = Option<StateCode>)]
    pub nationality: Option<String>,
    /// Why you look, kept in the audit log with the search: at most 500 characters; required
    /// of police, with at least 5.
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// A valid search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TravellerQuery {
    /// One document.
    Document {
        /// Issuing state.
        issuing_state: StateCode,
        /// Number.
        document_number: DocumentNumber,
    },
    /// A person: the documents whose holder's names compare equal (see
    /// [`crate::domain::names`]) with the same date of birth.
    Person {
        /// Surname.
        surname: PersonName,
        /// Given names (may be empty).
        given_names: PersonName,
        /// Date of birth.
        date_of_birth: NaiveDate,
        /// Only this nationality.
        nationality: Option<StateCode>,
    },
}

impl TravellerQuery {
    /// Checks a search (the reason is checked by the service, which knows the caller).
    pub fn parse(input: &SearchInput) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::default();
        let document = input.issuing_state.is_some() || input.document_number.is_some();
        let person = input.surname.is_some()
            || input.given_names.is_some()
            || input.date_of_birth.is_some()
            || input.nationality.is_some();
        let query = match (document, person) {
            (true, true) => {
                e.push("", "search by a document or by a person, not both");
                None
            }
            (false, false) => {
                e.push("", "name a document (issuing_state, document_number) or a person (surname, date_of_birth)");
                None
            }
            (true, false) => parse_document(
                input.issuing_state.as_deref(),
                input.document_number.as_deref(),
                "is required to search by document",
                &mut e,
            )
            .map(
                |(issuing_state, document_number)| TravellerQuery::Document {
                    issuing_state,
                    document_number,
                },
            ),
            (false, true) => {
                let person = NamedPerson::parse(
                    input.surname.as_deref(),
                    input.given_names.as_deref(),
                    input.date_of_birth.as_deref(),
                    ("to search by person", "a name alone finds too many"),
                    &mut e,
                );
                let nationality = input
                    .nationality
                    .as_deref()
                    .and_then(|n| e.take("nationality", StateCode::parse(n)));
                person.map(|p| TravellerQuery::Person {
                    surname: p.surname,
                    given_names: p.given_names,
                    date_of_birth: p.date_of_birth,
                    nationality,
                })
            }
        };
        match query {
            Some(q) if e.is_empty() => Ok(q),
            _ => Err(e),
        }
    }

    /// The search as it is sent (to HQ, from an edge), with `reason`: it parses back to
    /// itself.
    pub fn to_input(&self, reason: Option<String>) -> SearchInput {
        match self {
            TravellerQuery::Document {
                issuing_state,
                document_number,
            } => SearchInput {
                issuing_state: Some(issuing_state.to_string()),
                document_number: Some(document_number.as_str().to_owned()),
                reason,
                ..SearchInput::default()
            },
            TravellerQuery::Person {
                surname,
                given_names,
                date_of_birth,
                nationality,
            } => SearchInput {
                surname: Some(surname.as_str().to_owned()),
                given_names: Some(given_names.as_str().to_owned()).filter(|g| !g.is_empty()),
                date_of_birth: Some(date_of_birth.format("%Y-%m-%d").to_string()),
                nationality: nationality.as_ref().map(ToString::to_string),
                reason,
                ..SearchInput::default()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(v: serde_json::Value) -> SearchInput {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_search_sent_on_parses_back_to_itself() {
        for v in [
            serde_json::json!({"issuing_state": "zaf", "document_number": "a 12"}),
            serde_json::json!({"surname": "Mokoena", "given_names": "Thabo Lerato", "date_of_birth": "1990-02-03", "nationality": "LSO"}),
            serde_json::json!({"surname": "Mokoena", "date_of_birth": "1990-02-03"}),
        ] {
            let query = TravellerQuery::parse(&input(v)).unwrap();
            let sent = query.to_input(Some("a reason".to_owned()));
            let again = serde_json::from_value::<SearchInput>(serde_json::to_value(&sent).unwrap())
                .unwrap();
            assert_eq!(TravellerQuery::parse(&again).unwrap(), query);
            assert_eq!(again.reason.as_deref(), Some("a reason"));
        }
    }

    #[test]
    fn a_search_names_a_document_or_a_person() {
        assert!(matches!(
            TravellerQuery::parse(&input(
                serde_json::json!({"issuing_state": "zaf", "document_number": "a 12"})
            )),
            Ok(TravellerQuery::Document { .. })
        ));
        assert!(matches!(
            TravellerQuery::parse(&input(
                serde_json::json!({"surname": "Mo-fokeng", "date_of_birth": "1990-01-02"})
            )),
            Ok(TravellerQuery::Person { .. })
        ));
        let cases = [
            (serde_json::json!({}), ""),
            (
                serde_json::json!({"issuing_state": "ZAF", "surname": "X", "date_of_birth": "1990-01-02"}),
                "",
            ),
            (serde_json::json!({"surname": "Mofokeng"}), "date_of_birth"),
            (
                serde_json::json!({"surname": "Mofokeng", "date_of_birth": "1990-02-30"}),
                "date_of_birth",
            ),
            (
                serde_json::json!({"surname": "-", "date_of_birth": "1990-01-02"}),
                "surname",
            ),
            (
                serde_json::json!({"surname": "X", "date_of_birth": "1990-01-02", "nationality": "XYZ"}),
                "nationality",
            ),
            (
                serde_json::json!({"issuing_state": "ZAF"}),
                "document_number",
            ),
        ];
        for (v, field) in cases {
            let e = TravellerQuery::parse(&input(v.clone())).unwrap_err();
            assert!(e.0.iter().any(|f| f.field == field), "{v}: {e}");
        }
    }
}
