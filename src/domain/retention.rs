//! Retention: which movements' personal fields are past keeping, and what an erasure leaves
//! behind so that statistics stay exact.

use chrono::{Months, NaiveDate, NaiveDateTime};

use super::stats::{AGE_BANDS, age_band};
use super::stays::overstayed;
use super::time::local_time;
use super::traveller::{DocumentNumber, StateCode};
use super::validation::ValidationErrors;

/// What an erased movement keeps in place of its payload hash (a hash of personal data).
pub const ERASED_HASH: &str = "erased";

/// How long personal data are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Years after a crossing that its personal fields are kept.
    pub personal_data_years: u32,
    /// Years after the end of an overstayed stay that its movements' personal fields are kept.
    pub overstayer_years: u32,
}

impl RetentionPolicy {
    /// Movements that occurred before this instant are past `personal_data_years`.
    pub fn cutoff(&self, now: NaiveDateTime) -> NaiveDateTime {
        years_before(now, self.personal_data_years)
    }

    /// Whether a movement that opened or closed this stay must still be kept for the overstay:
    /// the stay was overstayed and ended less than `overstayer_years` before `today` (local).
    /// A stay ends at its exit; one without an exit is taken to end on its last authorised
    /// day, since the record cannot say when the traveller left.
    pub fn keeps_for_overstay(
        &self,
        ends_on: Option<NaiveDate>,
        closed_on: Option<NaiveDate>,
        today: NaiveDate,
    ) -> bool {
        if !overstayed(ends_on, closed_on, today) {
            return false;
        }
        let Some(end) = closed_on.or(ends_on) else {
            return false;
        };
        end.checked_add_months(Months::new(12 * self.overstayer_years))
            .unwrap_or(NaiveDate::MAX)
            >= today
    }
}

fn years_before(t: NaiveDateTime, years: u32) -> NaiveDateTime {
    t.checked_sub_months(Months::new(12 * years))
        .unwrap_or(NaiveDateTime::MIN)
}

/// The lowest age of an age band (`"25-34"` → 25, `"65+"` → 65).
fn band_floor(band: &str) -> u32 {
    band.trim_end_matches('+')
        .split('-')
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(0)
}

/// The date of birth an erased movement keeps: the latest one of the same age band on the
/// local date of the crossing (the crossing's date, less the band's lowest age). It says
/// no more of the person than the statistics publish, and counts them in the same band.
pub fn coarse_date_of_birth(date_of_birth: NaiveDate, occurred_at: NaiveDateTime) -> NaiveDate {
    let on = local_time(occurred_at).date();
    let floor = band_floor(age_band(date_of_birth, on));
    on.checked_sub_months(Months::new(12 * floor))
        .unwrap_or(date_of_birth)
}

/// Every age band, for tests and documentation.
pub fn bands() -> &'static [&'static str] {
    &AGE_BANDS
}

/// The longest a hold may be placed for, in years (it can be placed again).
pub const MAX_HOLD_YEARS: u32 = 10;

/// A valid police hold on a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHold {
    /// Issuing state.
    pub issuing_state: StateCode,
    /// Document number.
    pub document_number: DocumentNumber,
    /// Why: 5 to 500 characters.
    pub reason: String,
    /// Last local day it holds: after today, at most [`MAX_HOLD_YEARS`] ahead.
    pub until: NaiveDate,
}

impl NewHold {
    /// Parses a hold as asked on `today` (local); errors name each field.
    pub fn parse(
        issuing_state: &str,
        document_number: &str,
        reason: &str,
        until: NaiveDate,
        today: NaiveDate,
    ) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::default();
        let issuing_state = e.take("issuing_state", StateCode::parse(issuing_state));
        let document_number = e.take("document_number", DocumentNumber::parse(document_number));
        let reason = reason.trim().to_owned();
        let n = reason.chars().count();
        if !(5..=500).contains(&n) {
            e.push(
                "reason",
                "must be 5 to 500 characters: say why the records are kept",
            );
        }
        let latest = today
            .checked_add_months(Months::new(12 * MAX_HOLD_YEARS))
            .unwrap_or(NaiveDate::MAX);
        if until <= today {
            e.push("until", "must be after today");
        } else if until > latest {
            e.push(
                "until",
                format!("must be at most {MAX_HOLD_YEARS} years ahead"),
            );
        }
        match (issuing_state, document_number) {
            (Some(issuing_state), Some(document_number)) if e.is_empty() => Ok(Self {
                issuing_state,
                document_number,
                reason,
                until,
            }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn the_coarse_date_of_birth_keeps_the_age_band_at_the_crossing() {
        let crossings = [
            "2020-02-29 12:00",
            "2021-03-01 21:59",
            "2021-02-28 23:30",
            "2019-12-31 22:30",
            "2024-06-15 00:00",
        ];
        let mut dob = date("1935-01-01");
        while dob < date("2021-03-01") {
            for c in crossings {
                let on = local_time(at(c)).date();
                let coarse = coarse_date_of_birth(dob, at(c));
                assert_eq!(
                    age_band(coarse, on),
                    age_band(dob, on),
                    "born {dob}, crossing {c}: coarse {coarse}"
                );
            }
            dob += chrono::Duration::days(37);
        }
        // Everyone of one band on one day gets the same date: the band, nothing more.
        let c = at("2024-06-15 08:00");
        assert_eq!(
            coarse_date_of_birth(date("1990-01-01"), c),
            coarse_date_of_birth(date("1998-12-31"), c)
        );
        assert_eq!(
            coarse_date_of_birth(date("1990-01-01"), c),
            date("1999-06-15")
        );
        assert_eq!(bands().len(), 7);
    }

    #[test]
    fn the_cutoff_is_whole_years_back() {
        let p = RetentionPolicy {
            personal_data_years: 5,
            overstayer_years: 5,
        };
        assert_eq!(p.cutoff(at("2026-12-01 10:00")), at("2021-12-01 10:00"));
    }

    #[test]
    fn overstays_are_kept_years_after_the_stay_ended() {
        let p = RetentionPolicy {
            personal_data_years: 5,
            overstayer_years: 5,
        };
        let today = date("2026-12-01");
        // Overstayed, closed 4 years ago: kept; 6 years ago: not.
        assert!(p.keeps_for_overstay(Some(date("2022-01-01")), Some(date("2022-03-01")), today));
        assert!(!p.keeps_for_overstay(Some(date("2020-01-01")), Some(date("2020-03-01")), today));
        // Still open past its end: kept for the years after that end, not forever.
        assert!(p.keeps_for_overstay(Some(date("2022-01-01")), None, today));
        assert!(!p.keeps_for_overstay(Some(date("2021-01-01")), None, today));
        // Left in time: not an overstay.
        assert!(!p.keeps_for_overstay(Some(date("2022-01-01")), Some(date("2021-12-20")), today));
        // Trips of citizens have no end: never an overstay.
        assert!(!p.keeps_for_overstay(None, Some(date("2022-01-01")), today));
    }

    #[test]
    fn a_hold_names_every_bad_field() {
        let today = date("2026-12-01");
        let ok = NewHold::parse(
            "zaf",
            "a 123",
            "  inquiry 42/2026 ",
            date("2027-01-01"),
            today,
        )
        .unwrap();
        assert_eq!(ok.document_number.as_str(), "A123");
        assert_eq!(ok.reason, "inquiry 42/2026");
        let cases = [
            (
                "QQQ",
                "A1",
                "inquiry",
                "2027-01-01",
                "issuing_state",
                "not a state",
            ),
            (
                "ZAF",
                "",
                "inquiry",
                "2027-01-01",
                "document_number",
                "empty number",
            ),
            (
                "ZAF",
                "A1",
                "why",
                "2027-01-01",
                "reason",
                "too short a reason",
            ),
            (
                "ZAF",
                "A1",
                "inquiry",
                "2026-12-01",
                "until",
                "today is not ahead",
            ),
            (
                "ZAF",
                "A1",
                "inquiry",
                "2037-12-02",
                "until",
                "over ten years",
            ),
        ];
        for (st, num, reason, until, field, why) in cases {
            let e = NewHold::parse(st, num, reason, date(until), today).unwrap_err();
            assert_eq!(e.0[0].field, field, "{why}");
        }
    }
}
