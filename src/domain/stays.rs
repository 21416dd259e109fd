//! Stays and trips, from a document's timeline: a visitor's entry opens a stay and the next
//! exit closes it; a citizen's exit opens a trip abroad and the next entry closes it. A stay
//! is overstayed when it is still open after its end, or closed after it.

use chrono::{Duration, NaiveDate};

use super::movement::Direction;
use super::time::local_time;
use super::timeline::{Crossing, Timeline};
use super::validation::ValidationErrors;

/// Visit or trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StayKind {
    /// A non-citizen in Lesotho.
    Visit,
    /// A citizen abroad.
    Trip,
}

impl StayKind {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Visit => "visit",
            Self::Trip => "trip",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Result<Self, ValidationErrors> {
        match s.trim() {
            "visit" => Ok(Self::Visit),
            "trip" => Ok(Self::Trip),
            _ => Err(ValidationErrors::one("", "must be visit or trip")),
        }
    }
}

super::traveller::wire_enum! {
    /// Which stays a list shows.
    StayStatus {
        /// Not closed.
        Open => "open",
        /// Open past its end, or closed after it.
        Overstayed => "overstayed",
        /// Closed.
        Closed => "closed",
    }
}

/// How stays end.
#[derive(Debug, Clone)]
pub struct StayRules {
    /// Citizens' state.
    pub home_state: String,
    /// Default authorised stay in days.
    pub default_days: i64,
    /// Per-nationality authorised stays in days.
    pub days_by_nationality: Vec<(String, i64)>,
}

impl StayRules {
    /// Whether a crossing opens a stay or a trip, and which.
    pub fn opens(&self, c: &Crossing) -> Option<StayKind> {
        let citizen = c.nationality == self.home_state;
        match (citizen, c.direction) {
            (false, Direction::Entry) => Some(StayKind::Visit),
            (true, Direction::Exit) => Some(StayKind::Trip),
            _ => None,
        }
    }

    /// The last authorised day of a visit that opened with `entry`.
    pub fn ends_on(&self, entry: &Crossing) -> NaiveDate {
        entry.permitted_until.unwrap_or_else(|| {
            let days = self
                .days_by_nationality
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(&entry.nationality))
                .map_or(self.default_days, |(_, d)| *d);
            local_time(entry.at).date() + Duration::days(days)
        })
    }
}

/// A stay as it should be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stay {
    /// Visit or trip.
    pub kind: StayKind,
    /// The crossing that opened it.
    pub opening: Crossing,
    /// The crossing that closed it, if any.
    pub closing: Option<Crossing>,
    /// Last authorised day (visits).
    pub ends_on: Option<NaiveDate>,
}

/// The stay that `opening` (a crossing of `timeline`) opens, as the timeline now stands; `None`
/// when it opens none.
pub fn stay_of(timeline: &Timeline, opening: &Crossing, rules: &StayRules) -> Option<Stay> {
    let kind = rules.opens(opening)?;
    let closing = timeline
        .next(opening.at, &opening.id)
        .filter(|n| n.direction != opening.direction)
        .cloned();
    Some(Stay {
        kind,
        ends_on: (kind == StayKind::Visit).then(|| rules.ends_on(opening)),
        opening: opening.clone(),
        closing,
    })
}

/// What the answer to recording a visitor's crossing says of the stay it opens or closes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StayNote {
    /// An entry that opens a visit: its last authorised day.
    Opened {
        /// The last authorised day (the permit, else the default for the nationality).
        ends_on: NaiveDate,
    },
    /// An exit that closes a visit.
    Closed {
        /// When the visit's entry occurred (UTC).
        entered_at: chrono::NaiveDateTime,
        /// Where it entered.
        entered_poe: String,
        /// The visit's last authorised day.
        ends_on: Option<NaiveDate>,
        /// Local days from the entry's date to the exit's.
        days: i64,
        /// Whether the exit came after the last authorised day.
        overstayed: bool,
    },
}

impl StayNote {
    /// The note of a closed visit: entered at `entered_at` (UTC), left on `closed_on` (local).
    pub fn closed(
        entered_at: chrono::NaiveDateTime,
        entered_poe: String,
        ends_on: Option<NaiveDate>,
        closed_on: NaiveDate,
    ) -> Self {
        Self::Closed {
            entered_at,
            entered_poe,
            ends_on,
            days: (closed_on - local_time(entered_at).date()).num_days(),
            overstayed: overstayed(ends_on, Some(closed_on), closed_on),
        }
    }
}

/// Whether a stay ran past its end, judged on `today` (local).
pub fn overstayed(
    ends_on: Option<NaiveDate>,
    closed_on: Option<NaiveDate>,
    today: NaiveDate,
) -> bool {
    match (ends_on, closed_on) {
        (Some(end), Some(closed)) => closed > end,
        (Some(end), None) => today > end,
        (None, _) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn c(id: &str, when: &str, direction: Direction, nationality: &str) -> Crossing {
        Crossing {
            id: id.into(),
            at: at(when),
            direction,
            poe: "MSU".into(),
            nationality: nationality.into(),
            permitted_until: None,
        }
    }

    fn rules() -> StayRules {
        StayRules {
            home_state: "LSO".into(),
            default_days: 30,
            days_by_nationality: vec![("ZWE".into(), 14)],
        }
    }

    #[test]
    fn a_visitors_entry_opens_a_stay_that_the_next_exit_closes() {
        let entry = c("a", "2026-01-01 10:00", Direction::Entry, "ZAF");
        let exit = c("b", "2026-01-10 10:00", Direction::Exit, "ZAF");
        let t = Timeline::new(vec![entry.clone(), exit.clone()]);
        let s = stay_of(&t, &entry, &rules()).unwrap();
        assert_eq!(s.kind, StayKind::Visit);
        assert_eq!(s.closing, Some(exit.clone()));
        assert_eq!(s.ends_on, NaiveDate::from_ymd_opt(2026, 1, 31));
        assert!(
            stay_of(&t, &exit, &rules()).is_none(),
            "a visitor's exit opens nothing"
        );
    }

    #[test]
    fn a_second_entry_leaves_the_first_stay_open() {
        let first = c("a", "2026-01-01 10:00", Direction::Entry, "ZAF");
        let second = c("b", "2026-01-05 10:00", Direction::Entry, "ZAF");
        let t = Timeline::new(vec![first.clone(), second]);
        assert_eq!(stay_of(&t, &first, &rules()).unwrap().closing, None);
    }

    #[test]
    fn a_citizens_exit_opens_a_trip() {
        let out = c("a", "2026-01-01 10:00", Direction::Exit, "LSO");
        let back = c("b", "2026-02-01 10:00", Direction::Entry, "LSO");
        let t = Timeline::new(vec![out.clone(), back.clone()]);
        let s = stay_of(&t, &out, &rules()).unwrap();
        assert_eq!(s.kind, StayKind::Trip);
        assert_eq!(s.closing, Some(back));
        assert_eq!(s.ends_on, None);
    }

    #[test]
    fn the_end_is_the_permit_else_the_default_by_nationality() {
        let mut e = c("a", "2026-01-01 23:30", Direction::Entry, "ZWE");
        // 23:30 UTC is already 2 January in Lesotho.
        assert_eq!(
            rules().ends_on(&e),
            NaiveDate::from_ymd_opt(2026, 1, 16).unwrap()
        );
        e.permitted_until = NaiveDate::from_ymd_opt(2026, 3, 1);
        assert_eq!(
            rules().ends_on(&e),
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
        );
    }

    #[test]
    fn a_closed_visits_note_counts_local_days_and_judges_the_end() {
        // Entered 23:30 UTC on 1 January = 2 January in Lesotho; left 12 January.
        let entered = at("2026-01-01 23:30");
        let left = NaiveDate::from_ymd_opt(2026, 1, 12).unwrap();
        let end = NaiveDate::from_ymd_opt(2026, 1, 11);
        match StayNote::closed(entered, "MSU".into(), end, left) {
            StayNote::Closed {
                days, overstayed, ..
            } => {
                assert_eq!(days, 10);
                assert!(overstayed, "left the day after the last authorised day");
            }
            other => panic!("{other:?}"),
        }
        let on_time = StayNote::closed(
            entered,
            "MSU".into(),
            NaiveDate::from_ymd_opt(2026, 1, 12),
            left,
        );
        assert!(matches!(
            on_time,
            StayNote::Closed {
                overstayed: false,
                ..
            }
        ));
    }

    #[test]
    fn overstaying_is_open_past_the_end_or_closed_after_it() {
        let end = NaiveDate::from_ymd_opt(2026, 1, 31);
        let day = |d| NaiveDate::from_ymd_opt(2026, 2, d).unwrap();
        assert!(!overstayed(
            end,
            None,
            NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()
        ));
        assert!(overstayed(end, None, day(1)));
        assert!(overstayed(end, Some(day(2)), day(20)));
        assert!(!overstayed(
            end,
            NaiveDate::from_ymd_opt(2026, 1, 30),
            day(20)
        ));
        assert!(!overstayed(None, None, day(20)));
    }
}
