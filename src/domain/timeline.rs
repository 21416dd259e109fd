//! A document's crossings in time order, and what follows from a crossing's neighbours: the
//! sequence check now, stays and trips (see `stays`).
//!
//! Order is by `occurred_at`, then id (UUIDv7, so ties fall in order of receipt). Voided
//! crossings are not part of a timeline. A store loads only the part of a timeline around the
//! crossings being recorded (the one before, those between, the one after): enough to know
//! every new crossing's neighbours.

use chrono::{NaiveDate, NaiveDateTime};

use super::movement::Direction;

/// One crossing of a document, as far as ordering and stays need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crossing {
    /// Movement id.
    pub id: String,
    /// When it occurred (UTC).
    pub at: NaiveDateTime,
    /// Entry or exit.
    pub direction: Direction,
    /// Where.
    pub poe: String,
    /// The traveller's nationality on this crossing.
    pub nationality: String,
    /// End of the authorised stay given on an entry.
    pub permitted_until: Option<NaiveDate>,
}

impl Crossing {
    fn key(&self) -> (NaiveDateTime, &str) {
        (self.at, self.id.as_str())
    }
}

/// Part of one document's timeline.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    items: Vec<Crossing>,
}

impl Timeline {
    /// A timeline of crossings in any order.
    pub fn new(mut items: Vec<Crossing>) -> Self {
        items.sort_by(|a, b| a.key().cmp(&b.key()));
        items.dedup_by(|a, b| a.id == b.id);
        Self { items }
    }

    fn position(&self, at: NaiveDateTime, id: &str) -> usize {
        self.items.partition_point(|c| c.key() < (at, id))
    }

    /// The crossing just before the given point in time.
    pub fn previous(&self, at: NaiveDateTime, id: &str) -> Option<&Crossing> {
        let i = self.position(at, id);
        i.checked_sub(1).and_then(|j| self.items.get(j))
    }

    /// The crossing just after the given point in time.
    pub fn next(&self, at: NaiveDateTime, id: &str) -> Option<&Crossing> {
        let i = self.position(at, id);
        let i = if self.items.get(i).is_some_and(|c| c.id == id) {
            i + 1
        } else {
            i
        };
        self.items.get(i)
    }

    /// Adds a crossing in its place.
    pub fn insert(&mut self, c: Crossing) {
        let i = self.position(c.at, &c.id);
        self.items.insert(i, c);
    }

    /// Takes a crossing out (a void); answers it when it was there.
    pub fn remove(&mut self, id: &str) -> Option<Crossing> {
        let i = self.items.iter().position(|c| c.id == id)?;
        Some(self.items.remove(i))
    }

    /// The crossings, in order.
    pub fn crossings(&self) -> &[Crossing] {
        &self.items
    }
}

/// Two entries or two exits in a row for one document: the crossing before this one, in
/// time, went the same way.
pub fn is_sequence_anomaly(previous: Option<&Crossing>, direction: Direction) -> bool {
    previous.is_some_and(|p| p.direction == direction)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: &str, minute: u32, direction: Direction) -> Crossing {
        Crossing {
            id: id.into(),
            at: NaiveDate::from_ymd_opt(2026, 1, 1)
                .unwrap()
                .and_hms_opt(10, minute, 0)
                .unwrap(),
            direction,
            poe: "MSU".into(),
            nationality: "ZAF".into(),
            permitted_until: None,
        }
    }

    #[test]
    fn neighbours_are_found_in_time_order_whatever_the_arrival_order() {
        let mut t = Timeline::new(vec![
            c("b", 20, Direction::Exit),
            c("a", 10, Direction::Entry),
        ]);
        t.insert(c("c", 15, Direction::Exit));
        let ids: Vec<_> = t.crossings().iter().map(|x| x.id.as_str()).collect();
        assert_eq!(ids, ["a", "c", "b"]);
        let late = c("d", 12, Direction::Entry);
        assert_eq!(t.previous(late.at, &late.id).unwrap().id, "a");
        assert_eq!(t.next(late.at, &late.id).unwrap().id, "c");
        assert_eq!(t.next(t.crossings()[1].at, "c").unwrap().id, "b");
        assert!(t.previous(c("z", 1, Direction::Entry).at, "z").is_none());
    }

    #[test]
    fn ties_in_time_are_ordered_by_id() {
        let t = Timeline::new(vec![
            c("0002", 10, Direction::Exit),
            c("0001", 10, Direction::Entry),
        ]);
        assert_eq!(t.previous(t.crossings()[1].at, "0002").unwrap().id, "0001");
    }

    #[test]
    fn two_entries_in_a_row_are_an_anomaly() {
        let entry = c("a", 10, Direction::Entry);
        assert!(is_sequence_anomaly(Some(&entry), Direction::Entry));
        assert!(!is_sequence_anomaly(Some(&entry), Direction::Exit));
        assert!(!is_sequence_anomaly(None, Direction::Entry));
    }

    #[test]
    fn a_voided_crossing_leaves_the_timeline() {
        let mut t = Timeline::new(vec![
            c("a", 10, Direction::Entry),
            c("b", 20, Direction::Exit),
        ]);
        assert!(t.remove("a").is_some());
        assert!(t.remove("a").is_none());
        assert_eq!(t.crossings().len(), 1);
    }
}
