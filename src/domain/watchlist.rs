//! The police watchlist: alerts on a document or on a person, and what a match asks of the
//! official at the post.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Deserialize;

use super::names::FoldedName;
use super::traveller::{
    DocumentNumber, NamedPerson, PersonName, StateCode, parse_document, person_key, wire_enum,
};
use super::validation::ValidationErrors;

wire_enum! {
    /// Why the police want to know.
    Category {
        /// Wanted person.
        Wanted => "wanted",
        /// Stolen or lost document.
        StolenDocument => "stolen_document",
        /// Missing person.
        MissingPerson => "missing_person",
        /// Barred from travelling.
        TravelBan => "travel_ban",
        /// Anything else.
        Other => "other",
    }
}

wire_enum! {
    /// What the official at the post should do. The only part of an alert they see.
    Action {
        /// Call the police now.
        ReferToPolice => "refer_to_police",
        /// Inspect the traveller and their goods more closely.
        SecondaryInspection => "secondary_inspection",
        /// Let them through; the police are told.
        NotifyOnly => "notify_only",
    }
}

impl Action {
    /// How urgent: when several alerts match, the most urgent action is shown.
    pub fn urgency(self) -> u8 {
        match self {
            Action::ReferToPolice => 3,
            Action::SecondaryInspection => 2,
            Action::NotifyOnly => 1,
        }
    }
}

/// A live alert, as every new movement is checked against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveAlert {
    /// Alert id.
    pub alert_id: String,
    /// Why the police want to know.
    pub category: Category,
    /// What the post is asked to do.
    pub action: Action,
    /// The document it names (issuing state, normalised number), for a document alert.
    pub document: Option<(String, String)>,
    /// The person it names, for a person alert: folded name and date of birth.
    pub person: Option<(FoldedName, NaiveDate)>,
}

wire_enum! {
    /// How a hit was found.
    MatchedBy {
        /// The document's issuing state and number.
        Document => "document",
        /// The person's name and date of birth ([`crate::domain::names`]).
        Person => "person",
    }
}

/// A traveller as the watchlist compares them: the document, and the name folded once.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    /// Issuing state.
    pub issuing_state: &'a str,
    /// Normalised number.
    pub document_number: &'a str,
    /// Folded name.
    pub name: FoldedName,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
}

impl LiveAlert {
    /// Whether a traveller matches, and how: by document (issuing state and normalised
    /// number), or by person (the same date of birth and tolerantly equal names).
    pub fn matches(&self, t: &Candidate<'_>) -> Option<MatchedBy> {
        if self
            .document
            .as_ref()
            .is_some_and(|(state, number)| state == t.issuing_state && number == t.document_number)
        {
            return Some(MatchedBy::Document);
        }
        self.person
            .as_ref()
            .filter(|(name, dob)| *dob == t.date_of_birth && name.matches(&t.name))
            .map(|_| MatchedBy::Person)
    }
}

impl Action {
    /// The fixed sentence the recording officer reads for this action (never the police's
    /// reason, which stays with the police).
    pub fn instruction(self) -> &'static str {
        match self {
            Action::ReferToPolice => {
                "Keep the traveller at the desk and call the police officer on duty now. Do not tell the traveller why."
            }
            Action::SecondaryInspection => {
                "Send the traveller and their goods to secondary inspection before they go on."
            }
            Action::NotifyOnly => {
                "Let the traveller go on as usual; the police have been told of the crossing."
            }
        }
    }
}

/// What the officer who recorded a matching movement is told: the hit to acknowledge, the
/// action and its instruction, and the category. Never the police's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficerAlert {
    /// The hit (of the most urgent matching alert).
    pub hit_id: String,
    /// What to do.
    pub action: Action,
    /// Why the police want to know, in a word.
    pub category: Category,
}

wire_enum! {
    /// What came of a hit, as the police acknowledge it.
    Outcome {
        /// The traveller was stopped.
        Intercepted => "intercepted",
        /// The police came and did not find the traveller.
        NotLocated => "not_located",
        /// Not the person or document the alert is about.
        FalseMatch => "false_match",
        /// Anything else (say what in the note).
        Other => "other",
    }
}

/// A valid acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledgement {
    /// What came of it.
    pub outcome: Outcome,
    /// Free text, at most 1,000 characters once trimmed; `None` when empty.
    pub note: Option<String>,
}

impl Acknowledgement {
    /// Checks the outcome and the note; errors name `outcome` and `note`.
    pub fn parse(outcome: &str, note: Option<&str>) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::default();
        let outcome = e.take("outcome", Outcome::parse(outcome));
        let note = note
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        if note.as_ref().is_some_and(|n| n.chars().count() > 1000) {
            e.push("note", "must be at most 1000 characters");
        }
        match outcome {
            Some(outcome) if e.is_empty() => Ok(Self { outcome, note }),
            _ => Err(e),
        }
    }
}

/// Who an alert is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A document, matched exactly after normalisation.
    Document {
        /// Issuing state.
        issuing_state: StateCode,
        /// Number.
        document_number: DocumentNumber,
    },
    /// A person, matched by name (any case, spacing, order of given names) and birth date.
    Person {
        /// Surname.
        surname: PersonName,
        /// Given names.
        given_names: PersonName,
        /// Date of birth.
        date_of_birth: NaiveDate,
    },
}

impl Subject {
    /// The look-up key of a person alert.
    pub fn person_key(&self) -> Option<String> {
        match self {
            Subject::Person {
                surname,
                given_names,
                date_of_birth,
            } => Some(person_key(
                surname.as_str(),
                given_names.as_str(),
                *date_of_birth,
            )),
            Subject::Document { .. } => None,
        }
    }
}

/// A new alert as the police send it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertInput {
    /// Document alert: issuing state (with `document_number`; not with the person's fields).
    #[schema(value_type = Option<StateCode>, example = "ZAF")]
    pub issuing_state: Option<String>,
    /// Document alert: number, 1 to 20 letters and digits (spaces, hyphens and `<` ignored).
    #[schema(pattern = "^[ <-]*([A-Za-z0-9][ <-]*){1,20}$", example = "M12345678")]
    pub document_number: Option<String>,
    /// Person alert: surname (with `date_of_birth`; not with the document's fields).
    #[schema(schema_with = super::schemas::surname_or_null)]
    pub surname: Option<String>,
    /// Person alert: given names (may be left out).
    pub given_names: Option<String>,
    /// Person alert: date of birth, `YYYY-MM-DD` (required with `surname`).
    #[schema(value_type = Option<super::schemas::LocalDate>)]
    pub date_of_birth: Option<String>,
    /// What the alert is about.
    #[schema(value_type = Category, example = "stolen_document")]
    pub category: String,
    /// What the official at the post is asked to do on a match.
    #[schema(value_type = Action, example = "secondary_inspection")]
    pub action: String,
    /// Why (for the police only; never shown at the post): 3 to 1,000 characters once
    /// trimmed.
    #[schema(schema_with = super::schemas::text_3_1000, example = "Reported stolen in Bloemfontein")]
    pub reason: String,
    /// When the alert lapses (RFC 3339, in the future); none = until removed.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<String>,
}

/// A valid new alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    /// Who.
    pub subject: Subject,
    /// Why, in a word.
    pub category: Category,
    /// What the post does.
    pub action: Action,
    /// Why, in words.
    pub reason: String,
    /// When it lapses (UTC).
    pub expires_at: Option<NaiveDateTime>,
}

impl NewAlert {
    /// Checks an alert: a document or a person (not both), and every field.
    pub fn parse(input: AlertInput, now: DateTime<Utc>) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::default();
        let document = input.issuing_state.is_some() || input.document_number.is_some();
        let person =
            input.surname.is_some() || input.given_names.is_some() || input.date_of_birth.is_some();
        let subject = match (document, person) {
            (true, true) => {
                e.push("", "an alert names a document or a person, not both");
                None
            }
            (false, false) => {
                e.push("", "name a document (issuing_state, document_number) or a person (surname, given_names, date_of_birth)");
                None
            }
            (true, false) => parse_document(
                input.issuing_state.as_deref(),
                input.document_number.as_deref(),
                "is required for a document alert",
                &mut e,
            )
            .map(|(issuing_state, document_number)| Subject::Document {
                issuing_state,
                document_number,
            }),
            (false, true) => NamedPerson::parse(
                input.surname.as_deref(),
                input.given_names.as_deref(),
                input.date_of_birth.as_deref(),
                (
                    "for a person alert",
                    "a name alone matches too many travellers",
                ),
                &mut e,
            )
            .map(|p| Subject::Person {
                surname: p.surname,
                given_names: p.given_names,
                date_of_birth: p.date_of_birth,
            }),
        };
        let category = e.take("category", Category::parse(&input.category));
        let action = e.take("action", Action::parse(&input.action));
        let reason = input.reason.trim().to_owned();
        if !(3..=1000).contains(&reason.chars().count()) {
            e.push("reason", "must be 3 to 1000 characters");
        }
        let expires_at = match &input.expires_at {
            None => None,
            Some(s) => match DateTime::parse_from_rfc3339(s.trim()) {
                Ok(t) if t.to_utc() > now => Some(super::time::truncate_micros(t.naive_utc())),
                Ok(_) => {
                    e.push("expires_at", "is in the past");
                    None
                }
                Err(_) => {
                    e.push("expires_at", "must be an RFC 3339 instant");
                    None
                }
            },
        };
        match (subject, category, action) {
            (Some(subject), Some(category), Some(action)) if e.is_empty() => Ok(Self {
                subject,
                category,
                action,
                reason,
                expires_at,
            }),
            _ => Err(e),
        }
    }
}

/// The most urgent action among matches.
pub fn most_urgent(actions: impl Iterator<Item = Action>) -> Option<Action> {
    actions.max_by_key(|a| a.urgency())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(v: serde_json::Value) -> AlertInput {
        serde_json::from_value(v).unwrap()
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z")
            .unwrap()
            .to_utc()
    }

    #[test]
    fn a_document_alert_normalises_the_number() {
        let a = NewAlert::parse(input(serde_json::json!({
            "issuing_state": "zaf", "document_number": "a 123-456",
            "category": "stolen_document", "action": "secondary_inspection", "reason": "reported stolen"
        })), now()).unwrap();
        assert_eq!(
            a.subject,
            Subject::Document {
                issuing_state: StateCode::parse("ZAF").unwrap(),
                document_number: DocumentNumber::parse("A123456").unwrap(),
            }
        );
    }

    #[test]
    fn a_person_alert_matches_any_order_of_given_names() {
        let a = NewAlert::parse(
            input(serde_json::json!({
                "surname": "mokoena", "given_names": "lerato  thabo", "date_of_birth": "1990-05-17",
                "category": "wanted", "action": "refer_to_police", "reason": "warrant 123/2026"
            })),
            now(),
        )
        .unwrap();
        assert_eq!(
            a.subject.person_key().unwrap(),
            person_key(
                "MOKOENA",
                "THABO LERATO",
                NaiveDate::from_ymd_opt(1990, 5, 17).unwrap()
            )
        );
    }

    #[test]
    fn bad_alerts_are_refused_naming_the_field() {
        let cases = [
            (
                serde_json::json!({"category": "wanted", "action": "notify_only", "reason": "abc"}),
                "",
            ),
            (
                serde_json::json!({"issuing_state": "ZAF", "document_number": "1", "surname": "X", "category": "wanted", "action": "notify_only", "reason": "abc"}),
                "",
            ),
            (
                serde_json::json!({"issuing_state": "ZAF", "category": "wanted", "action": "notify_only", "reason": "abc"}),
                "document_number",
            ),
            (
                serde_json::json!({"surname": "X", "given_names": "Y", "category": "wanted", "action": "notify_only", "reason": "abc"}),
                "date_of_birth",
            ),
            (
                serde_json::json!({"issuing_state": "ZAF", "document_number": "1", "category": "spy", "action": "notify_only", "reason": "abc"}),
                "category",
            ),
            (
                serde_json::json!({"issuing_state": "ZAF", "document_number": "1", "category": "wanted", "action": "shoot", "reason": "abc"}),
                "action",
            ),
            (
                serde_json::json!({"issuing_state": "ZAF", "document_number": "1", "category": "wanted", "action": "notify_only", "reason": ""}),
                "reason",
            ),
            (
                serde_json::json!({"issuing_state": "ZAF", "document_number": "1", "category": "wanted", "action": "notify_only", "reason": "abc", "expires_at": "2020-01-01T00:00:00Z"}),
                "expires_at",
            ),
        ];
        for (v, field) in cases {
            let e = NewAlert::parse(input(v.clone()), now()).unwrap_err();
            assert!(e.0.iter().any(|f| f.field == field), "{v}: {e}");
        }
    }

    fn live(document: Option<(&str, &str)>, person: Option<(&str, &str, &str)>) -> LiveAlert {
        LiveAlert {
            alert_id: "a".into(),
            category: Category::Wanted,
            action: Action::ReferToPolice,
            document: document.map(|(s, n)| (s.to_owned(), n.to_owned())),
            person: person.map(|(surname, given, dob)| {
                (
                    FoldedName::new(surname, given),
                    NaiveDate::parse_from_str(dob, "%Y-%m-%d").unwrap(),
                )
            }),
        }
    }

    fn candidate<'a>(
        state: &'a str,
        number: &'a str,
        surname: &str,
        given: &str,
        dob: &str,
    ) -> Candidate<'a> {
        Candidate {
            issuing_state: state,
            document_number: number,
            name: FoldedName::new(surname, given),
            date_of_birth: NaiveDate::parse_from_str(dob, "%Y-%m-%d").unwrap(),
        }
    }

    #[test]
    fn alerts_match_by_document_or_by_person_and_say_which() {
        let doc = live(Some(("ZAF", "A1")), None);
        assert_eq!(
            doc.matches(&candidate("ZAF", "A1", "X", "", "1990-01-01")),
            Some(MatchedBy::Document)
        );
        assert_eq!(
            doc.matches(&candidate("LSO", "A1", "X", "", "1990-01-01")),
            None
        );
        let person = live(None, Some(("MOFOKENG", "TEBOHO", "1979-06-01")));
        assert_eq!(
            person.matches(&candidate(
                "LSO",
                "B2",
                "MO-FOKENG",
                "TEBOHO PAUL",
                "1979-06-01"
            )),
            Some(MatchedBy::Person)
        );
        assert_eq!(
            person.matches(&candidate("LSO", "B2", "MOFOKENG", "TEBOHO", "1979-06-02")),
            None,
            "another date of birth is another person"
        );
        assert_eq!(
            person.matches(&candidate("LSO", "B2", "MOFOKENG", "LINEO", "1979-06-01")),
            None
        );
    }

    #[test]
    fn each_action_has_its_own_fixed_instruction() {
        let sentences: std::collections::BTreeSet<&str> =
            Action::ALL.iter().map(|a| a.instruction()).collect();
        assert_eq!(sentences.len(), Action::ALL.len());
        assert!(Action::ReferToPolice.instruction().contains("police"));
    }

    #[test]
    fn an_acknowledgement_needs_a_known_outcome_and_a_short_note() {
        let ok = Acknowledgement::parse("not_located", Some("  ")).unwrap();
        assert_eq!(ok.outcome, Outcome::NotLocated);
        assert_eq!(ok.note, None, "a blank note is no note");
        assert_eq!(
            Acknowledgement::parse("arrested", None).unwrap_err().0[0].field,
            "outcome"
        );
        assert_eq!(
            Acknowledgement::parse("other", Some(&"x".repeat(1001)))
                .unwrap_err()
                .0[0]
                .field,
            "note"
        );
    }

    #[test]
    fn the_most_urgent_action_wins() {
        assert_eq!(
            most_urgent(
                [
                    Action::NotifyOnly,
                    Action::ReferToPolice,
                    Action::SecondaryInspection
                ]
                .into_iter()
            ),
            Some(Action::ReferToPolice)
        );
        assert_eq!(most_urgent(std::iter::empty()), None);
    }
}
