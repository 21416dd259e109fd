//! Statistics for HOBA: counts of non-voided movements by bucket and dimension, read from the
//! kept counters (and, for what they cannot answer, from the movements), exact at the moment
//! of the query.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

use super::Context;
use super::context::Fresh;
use crate::config::StatsSettings;
use crate::domain::poe::PoeCode;
use crate::domain::stats::{
    Counted, DimSet, Dimension, Grain, Interval, Piece, cuboid_for, disclose, max_values, plan,
};
use crate::domain::time::{local_time, start_of_local_day, utc_of_local};
use crate::domain::validation::ValidationErrors;
use crate::error::{Error, Result};
use crate::store::counts::{self, CountedRow, Filters};
use crate::store::{Db, StoreResult};

/// A statistics question.
#[derive(Debug, Clone)]
pub struct MovementQuery {
    /// UTC start (inclusive).
    pub from: NaiveDateTime,
    /// UTC end (exclusive).
    pub to: NaiveDateTime,
    /// Bucket size.
    pub interval: Interval,
    /// Dimensions to break down by, in the caller's order.
    pub group_by: Vec<Dimension>,
    /// Allowed values per dimension.
    pub filters: Filters,
}

impl MovementQuery {
    /// Checks the range against the interval's span limit.
    pub fn validate(&self, limits: &StatsSettings) -> std::result::Result<(), ValidationErrors> {
        if self.from >= self.to {
            return Err(ValidationErrors::one("from", "must be before `to`"));
        }
        let max_days = match self.interval {
            Interval::Hour => limits.max_span_days_hour,
            Interval::Day => limits.max_span_days_day,
            Interval::Week => limits.max_span_days_week,
            Interval::Month => limits.max_span_days_month,
        };
        if self.to - self.from > chrono::Duration::days(max_days) {
            return Err(ValidationErrors::one(
                "to",
                format!(
                    "the span is too long for interval={}: at most {max_days} days",
                    self.interval.as_str()
                ),
            ));
        }
        if self.is_protected() {
            let mut errors = ValidationErrors::default();
            for (field, t) in [("from", self.from), ("to", self.to)] {
                if !Grain::Day.is_boundary(local_time(t)) {
                    errors.push(
                        field,
                        "must be a whole local day (00:00 Lesotho time) when the answer is broken down or narrowed by nationality, sex or age band",
                    );
                }
            }
            errors.into_result(())?;
        }
        Ok(())
    }

    /// At most how many cells the answer can have: buckets times the values each grouped
    /// dimension can take (only those filtered for, when filtered).
    pub fn max_cells(&self, posts: usize) -> u64 {
        let days = u64::try_from((self.to - self.from).num_days()).unwrap_or(0);
        let buckets = match self.interval {
            Interval::Hour => u64::try_from((self.to - self.from).num_hours()).unwrap_or(0) + 2,
            Interval::Day => days + 2,
            Interval::Week => days / 7 + 2,
            Interval::Month => days / 28 + 2,
        };
        self.group_by.iter().fold(buckets, |n, d| {
            let bound = max_values(*d, posts);
            let values = self
                .filters
                .iter()
                .find(|(f, _)| f == d)
                .map_or(bound, |(_, allowed)| {
                    bound.min(u64::try_from(allowed.len()).unwrap_or(u64::MAX))
                });
            n.saturating_mul(values.max(1))
        })
    }

    /// Refuses (422, naming `stats.max_cells`) an answer that could have more cells than
    /// allowed, before it runs.
    pub fn check_size(&self, limits: &StatsSettings, posts: usize) -> Result<()> {
        let cells = self.max_cells(posts);
        if cells > limits.max_cells {
            return Err(ValidationErrors::one(
                "group_by",
                format!(
                    "the answer could have up to {cells} cells, over stats.max_cells = {}: ask for a shorter range, a coarser interval, fewer dimensions or filter them",
                    limits.max_cells
                ),
            )
            .into());
        }
        Ok(())
    }

    /// Whether the answer is protected: broken down or narrowed by a dimension that could
    /// single a person out (nationality, sex, age band).
    pub fn is_protected(&self) -> bool {
        !self.sensitive().is_empty()
    }

    fn group(&self) -> DimSet {
        self.group_by
            .iter()
            .fold(DimSet::default(), |s, d| s.with(*d))
    }

    fn needed(&self) -> DimSet {
        self.filters
            .iter()
            .fold(self.group(), |s, (d, _)| s.with(*d))
    }

    /// Whether small cells must be withheld: the answer is broken down (or narrowed) by a
    /// dimension that could single a person out.
    fn sensitive(&self) -> DimSet {
        let narrowed = self
            .filters
            .iter()
            .map(|(d, _)| *d)
            .filter(|d| d.is_sensitive())
            .fold(self.group(), |s, d| s.with(d));
        if narrowed.iter().any(Dimension::is_sensitive) {
            narrowed
        } else {
            DimSet::default()
        }
    }
}

/// One row of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsRow {
    /// Local start of the bucket.
    pub bucket: NaiveDateTime,
    /// Values of the `group_by` dimensions, in their order.
    pub keys: Keys,
    /// The count, or `None` when withheld (small cell).
    pub count: Option<i64>,
}

/// An answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsAnswer {
    /// Rows by bucket, then keys; buckets without movements are absent.
    pub rows: Vec<StatsRow>,
    /// Every matching movement, withheld cells included; `None` when withheld itself.
    pub total: Option<i64>,
    /// How many cells were withheld.
    pub suppressed_cells: i64,
}

/// The values of a cell's grouped dimensions, in the order of `group_by`, held as one string
/// (joined by [`counts::KEY_SEPARATOR`], as the counters give them): an answer can hold tens of
/// thousands of cells, and this is one allocation a cell, not one a value. Ordered value by
/// value, as a list of the values would be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keys(String);

impl Keys {
    /// The keys of these values, in order.
    pub fn of<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        Self(counts::joined_key(values))
    }

    /// The values, in the order of `group_by`.
    pub fn values(&self) -> impl Iterator<Item = &str> {
        counts::key_values(&self.0)
    }
}

impl Ord for Keys {
    /// As the lists of values compare, without splitting them: byte by byte, with the
    /// separator below every byte of a value (so a value sorts before any it begins).
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let separator = counts::KEY_SEPARATOR as u8;
        let byte = |b: &u8| if *b == separator { 0 } else { *b };
        let mine = self.0.as_bytes().iter().map(byte);
        mine.cmp(other.0.as_bytes().iter().map(byte))
    }
}

impl PartialOrd for Keys {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// A bucket (local start), the values of the grouped dimensions, and its count.
pub type Cell = ((NaiveDateTime, Keys), i64);

/// Exact counts for `q`: one entry per bucket and keys (in the order of `group_by`) that
/// holds movements, sorted by bucket, then keys.
pub fn count(conn: &mut crate::store::DbConnection, q: &MovementQuery) -> StoreResult<Vec<Cell>> {
    let mut cells: Vec<Cell> = Vec::new();
    for piece in plan(q.from, q.to, q.interval, q.needed()) {
        match piece {
            Piece::Kept { cuboid, from, to } => {
                let sums = counts::sums(conn, cuboid, from, to, &q.group_by, &q.filters)?;
                cells.reserve(sums.len());
                for (bucket, key, n) in sums {
                    cells.push(((q.interval.bucket(bucket), Keys(key)), n));
                }
            }
            Piece::Movements { from, to } => {
                let rows: Vec<CountedRow> = counts::movements_between(conn, from, to, &q.filters)?;
                for row in &rows {
                    let m: Counted<'_> = row.counted();
                    let age_ok = q
                        .filters
                        .iter()
                        .filter(|(d, _)| *d == Dimension::AgeBand)
                        .all(|(_, allowed)| {
                            allowed.iter().any(|a| a == m.value(Dimension::AgeBand))
                        });
                    if age_ok {
                        let bucket = q.interval.bucket(local_time(m.occurred_at));
                        let keys = Keys::of(q.group_by.iter().map(|d| m.value(*d)));
                        cells.push(((bucket, keys), 1));
                    }
                }
            }
        }
    }
    // The kept sums come in bucket order, piece after piece, often sorted by value too: a
    // stable sort takes such runs as they are rather than sorting afresh.
    cells.sort_by(|a, b| a.0.cmp(&b.0));
    let mut merged: Vec<Cell> = Vec::with_capacity(cells.len());
    for (key, n) in cells {
        match merged.last_mut() {
            Some((last, sum)) if *last == key => *sum += n,
            _ => merged.push((key, n)),
        }
    }
    merged.retain(|(_, n)| *n != 0);
    Ok(merged)
}

/// Answers `q` (its span and size checked against the settings' limits first); a protected
/// answer goes through disclosure control ([`disclose`]). Read on the replica when there is
/// one.
pub async fn movements(ctx: &Context, q: MovementQuery) -> Result<Fresh<StatsAnswer>> {
    let settings = &ctx.settings.stats;
    q.validate(settings)?;
    let posts = ctx.registry.get(&ctx.db).await?.len();
    q.check_size(settings, posts)?;
    let query = q.clone();
    let Fresh { value: sums, as_of } = ctx.stats_read(move |c| Ok(count(c, &query)?)).await?;
    let counts: Vec<i64> = sums.iter().map(|(_, n)| *n).collect();
    let (cells, total, suppressed_cells) = if q.is_protected() {
        let d = disclose(&counts, settings.min_cell_count);
        (d.cells, d.total, d.suppressed)
    } else {
        let total = counts.iter().sum();
        (counts.into_iter().map(Some).collect(), Some(total), 0)
    };
    let rows = sums
        .into_iter()
        .zip(cells)
        .map(|(((bucket, keys), _), count)| StatsRow {
            bucket,
            keys,
            count,
        })
        .collect();
    Ok(Fresh {
        value: StatsAnswer {
            rows,
            total,
            suppressed_cells,
        },
        as_of,
    })
}

/// One POE on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoeDay {
    /// POE code.
    pub poe: String,
    /// Its name.
    pub name: String,
    /// Whether it is open now (for today only).
    pub open_now: Option<bool>,
    /// Entries.
    pub entries: i64,
    /// Exits.
    pub exits: i64,
    /// Watchlist hits.
    pub alert_hits: i64,
    /// The latest crossing of the day (UTC).
    pub last_event_at: Option<NaiveDateTime>,
}

/// Entries, exits, hits and the latest crossing of every POE of the registry on a local day;
/// for today, whether each is open now. Read on the replica when there is one.
pub async fn summary(ctx: &Context, date: NaiveDate) -> Result<Fresh<Vec<PoeDay>>> {
    let registry = ctx.registry.get(&ctx.db).await?;
    let poes: Vec<String> = registry.iter().map(|p| p.code.clone()).collect();
    let now_local = local_time(chrono::Utc::now().naive_utc());
    let today = now_local.date() == date;
    let from_local = date.and_time(chrono::NaiveTime::MIN);
    let to_local = from_local + chrono::Duration::days(1);
    let cuboid = cuboid_for(
        Grain::Day,
        DimSet::of(&[Dimension::Poe, Dimension::Direction]),
    )
    .ok_or_else(|| Error::internal("no daily aggregate by post and direction"))?;
    let Fresh { value: days, as_of } = ctx
        .stats_read(move |c| {
            let group = [Dimension::Poe, Dimension::Direction];
            let sums = counts::sums(c, cuboid, from_local, to_local, &group, &Vec::new())?;
            let hits = crate::store::watchlist::hits_by_poe(
                c,
                start_of_local_day(date),
                start_of_local_day(date) + chrono::Duration::days(1),
            )?;
            let latest = crate::store::movements::latest_by_poe(
                c,
                &poes,
                utc_of_local(from_local),
                utc_of_local(to_local),
            )?;
            Ok(poes
                .iter()
                .map(|poe| {
                    let of = |dir: &str| {
                        sums.iter()
                            .filter(|(_, key, _)| {
                                let mut v = counts::key_values(key);
                                v.next() == Some(poe.as_str()) && v.next() == Some(dir)
                            })
                            .map(|(_, _, n)| *n)
                            .sum::<i64>()
                    };
                    PoeDay {
                        poe: poe.clone(),
                        name: String::new(),
                        open_now: None,
                        entries: of("entry"),
                        exits: of("exit"),
                        alert_hits: hits.get(poe).copied().unwrap_or(0),
                        last_event_at: latest.get(poe).copied(),
                    }
                })
                .collect::<Vec<PoeDay>>())
        })
        .await?;
    let value = days
        .into_iter()
        .map(|mut d| {
            let poe = registry.iter().find(|p| p.code == d.poe);
            d.name = poe.map(|p| p.name.clone()).unwrap_or_default();
            d.open_now = today.then(|| poe.is_some_and(|p| p.hours.is_open_at(now_local)));
            d
        })
        .collect();
    Ok(Fresh { value, as_of })
}

/// The longest range of an hour-of-week profile.
const HOUR_PROFILE_MAX_DAYS: i64 = 366;

/// The mean count of each of the 168 hours of the week over UTC `[from, to)` (whole local
/// hours, at most a year), Monday 00:00 first. Read on the replica when there is one.
pub async fn hour_profile(
    ctx: &Context,
    poes: Option<Vec<PoeCode>>,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Fresh<Vec<f64>>> {
    let mut errors = ValidationErrors::default();
    for (field, t) in [("from", from), ("to", to)] {
        if !Grain::Hour.is_boundary(local_time(t)) {
            errors.push(field, "must fall on a whole hour");
        }
    }
    if from >= to {
        errors.push("from", "must be before `to`");
    } else if to - from > chrono::Duration::days(HOUR_PROFILE_MAX_DAYS) {
        errors.push(
            "to",
            format!("the span is too long: at most {HOUR_PROFILE_MAX_DAYS} days"),
        );
    }
    errors.into_result(())?;
    let (from_local, to_local) = (local_time(from), local_time(to));
    let cuboid = cuboid_for(Grain::Hour, DimSet::of(&[Dimension::Poe]))
        .ok_or_else(|| Error::internal("no hourly aggregate by post"))?;
    let filters: Filters = poes
        .map(|p| vec![(Dimension::Poe, p.iter().map(PoeCode::to_string).collect())])
        .unwrap_or_default();
    let Fresh { value: sums, as_of } = ctx
        .stats_read(move |c| {
            Ok(counts::sums(
                c,
                cuboid,
                from_local,
                to_local,
                &[],
                &filters,
            )?)
        })
        .await?;
    let slot =
        |t: NaiveDateTime| t.weekday().num_days_from_monday() as usize * 24 + t.hour() as usize;
    let mut totals = [0i64; 168];
    for (bucket, _, n) in sums {
        totals[slot(bucket)] += n;
    }
    // How often each hour of the week occurs in the range.
    let mut occurrences = [0i64; 168];
    let mut t = from_local;
    while t < to_local {
        occurrences[slot(t)] += 1;
        t += chrono::Duration::hours(1);
    }
    let value = (0..168)
        .map(|i| {
            if occurrences[i] == 0 {
                0.0
            } else {
                totals[i] as f64 / occurrences[i] as f64
            }
        })
        .collect();
    Ok(Fresh { value, as_of })
}

/// Citizens' flow in one bucket; a count is `None` when withheld.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowBucket {
    /// Local start of the bucket.
    pub bucket: NaiveDateTime,
    /// Citizens entering (returning home).
    pub entries: Option<i64>,
    /// Citizens leaving.
    pub exits: Option<i64>,
    /// Entries minus exits, when both are shown.
    pub net: Option<i64>,
}

/// The net flow of citizens over a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitizenFlow {
    /// The citizens' state.
    pub nationality: String,
    /// Buckets with any movement.
    pub buckets: Vec<FlowBucket>,
    /// Total entries (`None` when withheld).
    pub entries: Option<i64>,
    /// Total exits (`None` when withheld).
    pub exits: Option<i64>,
    /// How many counts were withheld.
    pub suppressed_cells: i64,
}

/// Entries, exits and net flow of citizens (`stays.home_state`) per bucket, at all posts or at
/// `poes`; small cells are withheld (the answer is narrowed by nationality). Read on the
/// replica when there is one.
pub async fn citizen_flow(
    ctx: &Context,
    from: NaiveDateTime,
    to: NaiveDateTime,
    interval: Interval,
    poes: Option<Vec<PoeCode>>,
) -> Result<Fresh<CitizenFlow>> {
    let home = ctx.settings.stays.home_state.clone();
    let mut filters: Filters = vec![(Dimension::Nationality, vec![home.clone()])];
    if let Some(poes) = poes {
        filters.push((
            Dimension::Poe,
            poes.iter().map(PoeCode::to_string).collect(),
        ));
    }
    let query = MovementQuery {
        from,
        to,
        interval,
        group_by: vec![Dimension::Direction],
        filters,
    };
    query.validate(&ctx.settings.stats)?;
    let Fresh { value: sums, as_of } = ctx.stats_read(move |c| Ok(count(c, &query)?)).await?;
    let k = ctx.settings.stats.min_cell_count;
    let mut by_bucket: std::collections::BTreeMap<NaiveDateTime, (i64, i64)> = Default::default();
    for ((bucket, keys), n) in sums {
        let e = by_bucket.entry(bucket).or_default();
        if keys.values().next() == Some("entry") {
            e.0 += n
        } else {
            e.1 += n
        }
    }
    // Narrowed by nationality: protected. Entries and exits are two series, each with its
    // total; each goes through disclosure control on its own.
    let entries: Vec<i64> = by_bucket.values().map(|(e, _)| *e).collect();
    let exits: Vec<i64> = by_bucket.values().map(|(_, x)| *x).collect();
    let (shown_entries, shown_exits) = (disclose(&entries, k), disclose(&exits, k));
    let flow = CitizenFlow {
        nationality: home,
        buckets: by_bucket
            .keys()
            .zip(shown_entries.cells.iter().zip(&shown_exits.cells))
            .map(|(bucket, (entries, exits))| FlowBucket {
                bucket: *bucket,
                entries: *entries,
                exits: *exits,
                net: entries.zip(*exits).map(|(a, b)| a - b),
            })
            .collect(),
        entries: shown_entries.total,
        exits: shown_exits.total,
        suppressed_cells: shown_entries.suppressed + shown_exits.suppressed,
    };
    Ok(Fresh { value: flow, as_of })
}

/// Folds pending changes into the counters every `every`, for as long as the runtime lives
/// (see `store::counts::fold`). A failed fold loses nothing: the changes stay pending, answers
/// stay exact, and the next tick tries again.
pub async fn fold_counts_forever(db: Db, every: std::time::Duration) {
    let mut failing = false;
    loop {
        actix_web::rt::time::sleep(every).await;
        let started = std::time::Instant::now();
        match db.write(counts::fold).await {
            Ok(done) => {
                metrics::histogram!("crossings_counts_fold_duration_seconds")
                    .record(started.elapsed().as_secs_f64());
                metrics::gauge!("crossings_counts_last_fold_timestamp_seconds")
                    .set(chrono::Utc::now().timestamp() as f64);
                if let Some(f) = done {
                    metrics::counter!("crossings_counts_folded_total").increment(f.changes);
                    if f.changes > 0 {
                        tracing::debug!(
                            changes = f.changes,
                            counters = f.counters,
                            "pending counts folded"
                        );
                    }
                }
                if failing {
                    tracing::info!("pending counts are being folded again");
                    failing = false;
                }
            }
            Err(e) => {
                metrics::counter!("crossings_counts_fold_failures_total").increment(1);
                // Said once per outage, not every tick.
                if !failing {
                    tracing::warn!(
                        error = %e,
                        "cannot fold pending counts into the counters: statistics stay exact \
                         but grow slower while this lasts; retrying every tick"
                    );
                    failing = true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_order_value_by_value_not_by_their_joined_text() {
        // Joined, "A|Z" sorts after "AB|C" ('|' is above the letters); value by value, "A"
        // comes before "AB".
        assert!(Keys::of(["A", "Z"]) < Keys::of(["AB", "C"]));
        assert!(Keys::of(["MSU", "entry"]) < Keys::of(["MSU", "exit"]));
        assert_eq!(
            Keys::of(["MSU", "entry"]).values().collect::<Vec<_>>(),
            ["MSU", "entry"]
        );
        assert_eq!(Keys::of([]).values().count(), 0);
        assert_eq!(Keys::of([]), Keys::default());
    }

    proptest::proptest! {
        #[test]
        fn keys_order_as_their_lists_of_values(
            a in proptest::collection::vec("[A-Za-z0-9_+-]{1,4}", 0..4),
            b in proptest::collection::vec("[A-Za-z0-9_+-]{1,4}", 0..4),
        ) {
            let keys = |v: &Vec<String>| Keys::of(v.iter().map(String::as_str));
            proptest::prop_assert_eq!(keys(&a).cmp(&keys(&b)), a.cmp(&b));
            proptest::prop_assert_eq!(keys(&a) == keys(&b), a == b);
        }
    }
}
