//! Points of Entry: their codes, kinds and opening hours.

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

use super::validation::ValidationErrors;

/// A POE code: exactly three upper-case ASCII letters, e.g. `MSU` for Maseru Bridge.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PoeCode(String);

impl PoeCode {
    /// Parses a code; surrounding spaces are ignored, lower case is refused.
    pub fn parse(s: &str) -> Result<Self, ValidationErrors> {
        let s = s.trim();
        if s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValidationErrors::one(
                "",
                "must be a POE code of three upper-case letters",
            ))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

super::validation::stored_as_text!(PoeCode);

impl fmt::Display for PoeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Land border post or airport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PoeKind {
    /// A land crossing on the border with South Africa.
    Land,
    /// Moshoeshoe I International Airport.
    Air,
}

impl PoeKind {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Land => "land",
            Self::Air => "air",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "land" => Some(Self::Land),
            "air" => Some(Self::Air),
            _ => None,
        }
    }
}

/// Hours on one day: open all day, open between two local times, or closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum DailyHours {
    /// `"24h"` or `"closed"`.
    Keyword(HoursKeyword),
    /// Open from `opens` (inclusive) to `closes` (exclusive), local time, `HH:MM`.
    Window {
        /// Opening time, e.g. `06:00`.
        #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "06:00")]
        opens: String,
        /// Closing time, e.g. `22:00`; when not after `opens`, the post closes after midnight.
        #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "22:00")]
        closes: String,
    },
}

/// The two keyword forms of [`DailyHours`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HoursKeyword {
    /// Open round the clock.
    #[serde(rename = "24h")]
    AllDay,
    /// Closed (e.g. snow at Sani Pass).
    Closed,
}

/// A period with hours other than the regular ones (Easter, the festive season, snow).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SpecialHours {
    /// First local date of the period.
    pub from: NaiveDate,
    /// Last local date of the period (inclusive).
    pub to: NaiveDate,
    /// Hours during the period.
    pub hours: DailyHours,
    /// Why, e.g. "Festive season".
    #[serde(default)]
    pub note: String,
}

/// When a post is open: regular hours and dated exceptions (the first matching one wins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OpeningHours {
    /// Hours on an ordinary day.
    pub regular: DailyHours,
    /// Exceptions to the regular hours.
    #[serde(default)]
    pub special: Vec<SpecialHours>,
}

fn parse_hhmm(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M").ok()
}

impl DailyHours {
    fn validate(&self) -> Result<(), ValidationErrors> {
        if let Self::Window { opens, closes } = self {
            let mut errors = ValidationErrors::default();
            if parse_hhmm(opens).is_none() {
                errors.push("opens", "must be a local time HH:MM");
            }
            if parse_hhmm(closes).is_none() {
                errors.push("closes", "must be a local time HH:MM");
            }
            return errors.into_result(());
        }
        Ok(())
    }

    /// Whether the post is open at `time` on a day with these hours.
    fn open_at(&self, time: NaiveTime) -> bool {
        match self {
            Self::Keyword(HoursKeyword::AllDay) => true,
            Self::Keyword(HoursKeyword::Closed) => false,
            Self::Window { opens, closes } => match (parse_hhmm(opens), parse_hhmm(closes)) {
                (Some(o), Some(c)) if o < c => o <= time && time < c,
                // Closing at or before opening: the window runs past midnight.
                (Some(o), Some(c)) => time >= o || time < c,
                _ => true,
            },
        }
    }
}

impl OpeningHours {
    /// Checks every time and period.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        if let Err(e) = self.regular.validate() {
            errors.extend_prefixed("regular", e);
        }
        for (i, s) in self.special.iter().enumerate() {
            if s.to < s.from {
                errors.push(format!("special[{i}].to"), "must not be before `from`");
            }
            if let Err(e) = s.hours.validate() {
                errors.extend_prefixed(&format!("special[{i}].hours"), e);
            }
        }
        errors.into_result(())
    }

    /// Whether the post is open at a local (Lesotho) date and time.
    pub fn is_open_at(&self, local: NaiveDateTime) -> bool {
        let date = local.date();
        let hours = self
            .special
            .iter()
            .find(|s| s.from <= date && date <= s.to)
            .map(|s| &s.hours)
            .unwrap_or(&self.regular);
        hours.open_at(local.time())
    }
}

/// One Point of Entry as the registry holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Poe {
    /// Three-letter code.
    #[schema(value_type = String, example = "MSU")]
    pub code: String,
    /// Name, e.g. "Maseru Bridge".
    pub name: String,
    /// District of Lesotho.
    pub district: String,
    /// Land post or airport.
    pub kind: PoeKind,
    /// The South African post across the border (empty for the airport).
    pub sa_counterpart: String,
    /// Whether e-gates or document readers push events by themselves.
    pub automated: bool,
    /// Opening hours.
    pub hours: OpeningHours,
}

/// Changes an admin makes to a POE: any subset; the code never changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoeChanges {
    /// Name.
    pub name: Option<String>,
    /// District.
    pub district: Option<String>,
    /// Land post or airport.
    pub kind: Option<PoeKind>,
    /// South African counterpart.
    pub sa_counterpart: Option<String>,
    /// Automated.
    pub automated: Option<bool>,
    /// Opening hours (the whole schedule).
    pub hours: Option<OpeningHours>,
}

impl PoeChanges {
    /// Checks every field, collecting every problem.
    pub fn validated(self) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        for (field, value) in [("name", &self.name), ("district", &self.district)] {
            if value
                .as_deref()
                .is_some_and(|v| !(1..=100).contains(&v.trim().chars().count()))
            {
                errors.push(field, "must be 1 to 100 characters");
            }
        }
        if let Some(hours) = &self.hours {
            if let Err(e) = hours.validate() {
                errors.extend_prefixed("hours", e);
            }
        }
        errors.into_result(self)
    }

    /// Applies the changes to `poe`.
    pub fn apply(self, poe: &mut Poe) {
        if let Some(v) = self.name {
            poe.name = v.trim().to_owned();
        }
        if let Some(v) = self.district {
            poe.district = v.trim().to_owned();
        }
        if let Some(v) = self.kind {
            poe.kind = v;
        }
        if let Some(v) = self.sa_counterpart {
            poe.sa_counterpart = v.trim().to_owned();
        }
        if let Some(v) = self.automated {
            poe.automated = v;
        }
        if let Some(v) = self.hours {
            poe.hours = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn window(o: &str, c: &str) -> DailyHours {
        DailyHours::Window {
            opens: o.into(),
            closes: c.into(),
        }
    }

    #[test]
    fn poe_codes_are_three_upper_case_letters() {
        assert!(PoeCode::parse("MSU").is_ok());
        assert!(PoeCode::parse(" MSU ").is_ok());
        for bad in ["msu", "MS", "MSUX", "M5U", "", "ÄBC"] {
            assert!(PoeCode::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn a_window_is_open_from_opening_until_just_before_closing() {
        let h = OpeningHours {
            regular: window("06:00", "22:00"),
            special: vec![],
        };
        assert!(!h.is_open_at(at("2026-03-02 05:59")));
        assert!(h.is_open_at(at("2026-03-02 06:00")));
        assert!(h.is_open_at(at("2026-03-02 21:59")));
        assert!(!h.is_open_at(at("2026-03-02 22:00")));
    }

    #[test]
    fn a_window_past_midnight_wraps() {
        let h = OpeningHours {
            regular: window("20:00", "02:00"),
            special: vec![],
        };
        assert!(h.is_open_at(at("2026-03-02 23:00")));
        assert!(h.is_open_at(at("2026-03-02 01:00")));
        assert!(!h.is_open_at(at("2026-03-02 12:00")));
    }

    #[test]
    fn special_periods_override_regular_hours() {
        let h = OpeningHours {
            regular: window("08:00", "16:00"),
            special: vec![
                SpecialHours {
                    from: NaiveDate::from_ymd_opt(2026, 12, 15).unwrap(),
                    to: NaiveDate::from_ymd_opt(2027, 1, 10).unwrap(),
                    hours: DailyHours::Keyword(HoursKeyword::AllDay),
                    note: "Festive season".into(),
                },
                SpecialHours {
                    from: NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
                    to: NaiveDate::from_ymd_opt(2026, 7, 3).unwrap(),
                    hours: DailyHours::Keyword(HoursKeyword::Closed),
                    note: "Snow".into(),
                },
            ],
        };
        assert!(h.is_open_at(at("2026-12-24 03:00")));
        assert!(!h.is_open_at(at("2026-07-02 10:00")));
        assert!(h.is_open_at(at("2026-07-04 10:00")));
        assert!(!h.is_open_at(at("2026-07-04 17:00")));
    }

    #[test]
    fn hours_deserialise_from_the_registry_forms() {
        let h: OpeningHours = serde_json::from_str(
            r#"{"regular":"24h","special":[{"from":"2026-07-01","to":"2026-07-02","hours":"closed"}]}"#,
        )
        .unwrap();
        assert_eq!(h.regular, DailyHours::Keyword(HoursKeyword::AllDay));
        let w: DailyHours = serde_json::from_str(r#"{"opens":"08:00","closes":"16:00"}"#).unwrap();
        assert_eq!(w, window("08:00", "16:00"));
        assert!(window("8am", "16:00").validate().is_err());
    }
}
