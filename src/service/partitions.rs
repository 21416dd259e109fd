//! The monthly partitions of movements on PostgreSQL, made ahead: at start and once a day, the
//! current UTC month and the next [`MONTHS_AHEAD`]. A movement outside them (far in the past or
//! the future) is kept by the DEFAULT partition, so none is ever refused for want of one; this
//! only keeps the months that are written to in partitions of their own. SQLite: nothing to do.

use std::time::Duration;

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime};

use crate::domain::time;
use crate::store::movements::{self as rows, PartitionMade};
use crate::store::{Db, StoreResult};

/// How many months after the current one have their partition made ahead.
pub const MONTHS_AHEAD: u32 = 3;

/// The first days of the month of `today` and of the `ahead` months after it.
pub fn months_ahead(today: NaiveDate, ahead: u32) -> Vec<NaiveDate> {
    let first = today.with_day(1).unwrap_or(today);
    (0..=ahead)
        .filter_map(|n| first.checked_add_months(Months::new(n)))
        .collect()
}

/// Makes the partitions of the month of `now` and of the [`MONTHS_AHEAD`] after it that do not
/// exist yet; answers what it found for each (empty on SQLite). Each in its own transaction.
pub fn make_ahead(db: &Db, now: NaiveDateTime) -> StoreResult<Vec<(NaiveDate, PartitionMade)>> {
    let mut found = Vec::new();
    for month in months_ahead(now.date(), MONTHS_AHEAD) {
        let Some(made) = db.write_sync(|c| rows::make_partition(c, month))? else {
            return Ok(Vec::new());
        };
        match made {
            PartitionMade::Created => {
                tracing::info!(month = %month.format("%Y-%m"), "movements partition made");
            }
            PartitionMade::InDefault => tracing::warn!(
                month = %month.format("%Y-%m"),
                "movements of this month lie in the default partition already: the month gets \
                 no partition of its own (README, growing past one machine)"
            ),
            PartitionMade::Exists => {}
        }
        found.push((month, made));
    }
    Ok(found)
}

/// [`make_ahead`] every `every`, the first after `every` (a failure is logged and tried again
/// at the next turn: movements still go to the DEFAULT partition meanwhile).
pub async fn make_ahead_forever(db: Db, every: Duration) {
    loop {
        // At start they were made already (`startup::prepare`).
        actix_web::rt::time::sleep(every).await;
        let turn = db.clone();
        let made =
            actix_web::rt::task::spawn_blocking(move || make_ahead(&turn, time::now())).await;
        match made {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(
                error = %e,
                "making the movements partitions ahead failed; trying again at the next turn"
            ),
            Err(e) => tracing::warn!(
                error = %e,
                "making the movements partitions ahead stopped; trying again at the next turn"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn the_current_month_and_the_next_ones_across_a_year_end() {
        assert_eq!(
            months_ahead(date("2026-11-30"), 3),
            vec![
                date("2026-11-01"),
                date("2026-12-01"),
                date("2027-01-01"),
                date("2027-02-01")
            ]
        );
    }

    #[test]
    fn none_ahead_is_the_current_month_only() {
        assert_eq!(
            months_ahead(date("2026-02-28"), 0),
            vec![date("2026-02-01")]
        );
    }
}
