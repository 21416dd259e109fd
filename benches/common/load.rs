//! Loading a year of synthetic traffic into PostgreSQL as the service stores it (by COPY,
//! the keys first, the counters' changes recorded and folded in the same transaction), for
//! the benchmarks that need volume (`stats`, `retention`).

use std::time::Instant;

use chrono::NaiveDate;
use crossings::domain::movement::{Direction, Mode, Purpose};
use crossings::domain::poe::PoeCode;
use crossings::domain::stats::{Counted, deltas};
use crossings::domain::traveller::{DocumentType, Sex, StateCode};
use crossings::store::movements::MovementRow;
use crossings::store::{DbConnection, counts};
use crossings::synthetic::{Event, Generator, Person};
use sha2::{Digest, Sha256};

/// The value of `--name <n>` on the command line, or `default`.
pub fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The rows the service would store for a day of generated traffic (with a vehicle on
/// private-vehicle crossings when `vehicles`).
pub fn rows_of(events: &[Event], vehicles: bool) -> Vec<MovementRow> {
    events
        .iter()
        .map(|e| {
            let p = Person::at(e.person);
            let car = vehicles && e.mode == "private_vehicle";
            MovementRow {
                id: uuid::Uuid::now_v7().to_string(),
                principal: format!("system:{}", e.poe),
                client_event_id: e.client_event_id.clone(),
                payload_hash: hex::encode(Sha256::digest(e.client_event_id.as_bytes())),
                poe: PoeCode::parse(e.poe).unwrap(),
                direction: Direction::parse(e.direction).unwrap(),
                occurred_at: e.occurred_at,
                recorded_at: e.occurred_at + chrono::Duration::seconds(5),
                recorded_by: format!("poe-system:{}", e.poe.to_ascii_lowercase()),
                mode: Mode::parse(e.mode).unwrap(),
                purpose: Purpose::parse(e.purpose).unwrap(),
                document_type: DocumentType::Passport,
                document_number: p.document_number,
                issuing_state: StateCode::parse(p.nationality).unwrap(),
                nationality: StateCode::parse(p.nationality).unwrap(),
                surname: p.surname.to_owned(),
                given_names: p.given_names,
                date_of_birth: p.date_of_birth,
                sex: Sex::parse(p.sex).unwrap(),
                mrz: None,
                permitted_until: None,
                vehicle_registration: car.then(|| format!("A{}GP", e.person % 100_000)),
                vehicle_country: car.then(|| "ZAF".to_owned()),
                vehicle_category: car.then(|| "car".to_owned()),
                sequence_anomaly: false,
                outside_hours: false,
                late: false,
                alert_action: None,
                voided_at: None,
                voided_by: None,
                void_reason: None,
                erased_at: None,
            }
        })
        .collect()
}

/// Loads about `total` movements over `year`, a day per transaction, recording the changes to
/// the counters in the same transaction (as the service does for every batch) and folding
/// them (as the service's folder does about once a second); the year's monthly partitions are
/// made first, as the service would have made them ahead. Answers how many were loaded.
pub fn load_year(db: &crossings::store::Db, total: usize, year: i32, vehicles: bool) -> usize {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
    let weights: f64 = (0..365)
        .map(|d| Generator::day_weight(first + chrono::Duration::days(d)))
        .sum();
    let per_day = (total as f64 / weights).round() as u32;
    let mut g = Generator::new(
        u64::from(year.unsigned_abs()),
        3_000_000,
        &format!("y{year}"),
    );
    for month in 1..=12 {
        let first = NaiveDate::from_ymd_opt(year, month, 1).unwrap();
        db.write_sync(|c| crossings::store::movements::make_partition(c, first))
            .unwrap();
    }
    let started = Instant::now();
    let mut loaded = 0usize;
    for d in 0..365 {
        let events = g.day(first + chrono::Duration::days(d), per_day);
        let rows = rows_of(&events, vehicles);
        db.write_sync(|c| -> crossings::store::StoreResult<()> {
            assert!(matches!(c, DbConnection::Pg(_)), "PostgreSQL only");
            // As the service writes them: by COPY, their keys first (movement_keys).
            for chunk in rows.chunks(20_000) {
                crossings::store::movements::insert_rows(c, chunk)?;
            }
            let counted: Vec<Counted> = rows.iter().map(MovementRow::counted).collect();
            counts::record(c, &deltas(counted.iter(), 1))?;
            counts::fold(c)?;
            Ok(())
        })
        .unwrap();
        loaded += rows.len();
        if d % 30 == 29 {
            println!(
                "  loaded {loaded} movements ({:.0}/s)",
                loaded as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    println!(
        "loaded {loaded} movements in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    loaded
}
