//! Statistics rules: dimensions, buckets in Lesotho time, age bands, the aggregates kept per
//! bucket (cuboids), how a query's time range is cut into pieces each aggregate can answer
//! exactly, and small-cell suppression.
//!
//! Counts are kept per bucket in the same transaction as every insert and void, so a query
//! reads buckets, not movements. A query's range `[from, to)` is cut into whole months, whole
//! days and whole hours, each answered by the smallest aggregate of that grain holding every
//! dimension the query needs; what is left (parts of an hour, or hours broken down by a
//! dimension no hourly aggregate keeps) is counted from the movements themselves.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike};

use super::time::{local_time, utc_of_local};
use super::validation::ValidationErrors;

/// A dimension statistics can group and filter by. Never a personal field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    /// POE code.
    Poe,
    /// `entry` or `exit`.
    Direction,
    /// ICAO nationality code.
    Nationality,
    /// `F`, `M`, `X`.
    Sex,
    /// Age at the time of crossing, in bands.
    AgeBand,
    /// Purpose of travel.
    Purpose,
    /// Mode of travel.
    Mode,
}

impl Dimension {
    /// Every dimension, in the order of the count table's columns.
    pub const ALL: [Dimension; 7] = [
        Dimension::Poe,
        Dimension::Direction,
        Dimension::Nationality,
        Dimension::Sex,
        Dimension::AgeBand,
        Dimension::Purpose,
        Dimension::Mode,
    ];

    /// The API name, which is also the column name.
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Poe => "poe",
            Dimension::Direction => "direction",
            Dimension::Nationality => "nationality",
            Dimension::Sex => "sex",
            Dimension::AgeBand => "age_band",
            Dimension::Purpose => "purpose",
            Dimension::Mode => "mode",
        }
    }

    /// Position in [`Dimension::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    fn bit(self) -> u8 {
        1 << self.index()
    }

    /// Whether small counts of this dimension could single a person out.
    pub fn is_sensitive(self) -> bool {
        matches!(
            self,
            Dimension::Nationality | Dimension::Sex | Dimension::AgeBand
        )
    }

    /// Parses an API name; personal fields get their own refusal.
    pub fn parse(s: &str) -> Result<Self, ValidationErrors> {
        const PERSONAL: [&str; 8] = [
            "surname",
            "given_names",
            "name",
            "document_number",
            "date_of_birth",
            "mrz",
            "vehicle_registration",
            "client_event_id",
        ];
        let s = s.trim();
        if let Some(d) = Self::ALL.into_iter().find(|d| d.as_str() == s) {
            return Ok(d);
        }
        if PERSONAL.contains(&s) {
            return Err(ValidationErrors::one(
                "",
                format!("{s} is personal data: statistics never break down by it"),
            ));
        }
        Err(ValidationErrors::one(
            "",
            format!(
                "unknown dimension {s:?}; use poe, direction, nationality, sex, age_band, purpose or mode"
            ),
        ))
    }
}

/// A set of dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DimSet(u8);

impl DimSet {
    /// The set of these dimensions.
    pub const fn of(dims: &[Dimension]) -> Self {
        let mut bits = 0u8;
        let mut i = 0;
        while i < dims.len() {
            bits |= 1 << (dims[i] as usize);
            i += 1;
        }
        Self(bits)
    }

    /// Every dimension.
    pub const FULL: DimSet = DimSet(0b111_1111);

    /// Whether `d` is in the set.
    pub fn has(self, d: Dimension) -> bool {
        self.0 & d.bit() != 0
    }

    /// Adds `d`.
    pub fn with(self, d: Dimension) -> Self {
        Self(self.0 | d.bit())
    }

    /// Whether every dimension of `other` is in this set.
    pub fn covers(self, other: DimSet) -> bool {
        self.0 & other.0 == other.0
    }

    /// How many dimensions.
    pub fn len(self) -> u32 {
        self.0.count_ones()
    }

    /// Whether empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The dimensions, in column order.
    pub fn iter(self) -> impl Iterator<Item = Dimension> {
        Dimension::ALL.into_iter().filter(move |d| self.has(*d))
    }
}

/// The time resolution of a kept aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grain {
    /// Local clock hours.
    Hour,
    /// Local calendar days.
    Day,
    /// Local calendar months.
    Month,
}

impl Grain {
    /// The local start of the grain's bucket holding `local`.
    pub fn floor(self, local: NaiveDateTime) -> NaiveDateTime {
        let d = local.date();
        match self {
            Grain::Hour => d.and_hms_opt(local.hour(), 0, 0).unwrap_or(local),
            Grain::Day => d.and_hms_opt(0, 0, 0).unwrap_or(local),
            Grain::Month => first_of_month(d).and_hms_opt(0, 0, 0).unwrap_or(local),
        }
    }

    /// The local start of the next bucket.
    pub fn next(self, start: NaiveDateTime) -> NaiveDateTime {
        match self {
            Grain::Hour => start + Duration::hours(1),
            Grain::Day => start + Duration::days(1),
            Grain::Month => next_month(start.date())
                .and_hms_opt(0, 0, 0)
                .unwrap_or(start),
        }
    }

    /// Whether `local` starts a bucket of this grain.
    pub fn is_boundary(self, local: NaiveDateTime) -> bool {
        self.floor(local) == local
    }
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn next_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(d)
}

/// An aggregate kept per bucket: a grain and the dimensions it keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cuboid {
    /// Stored id (never reuse one).
    pub id: i16,
    /// Time resolution.
    pub grain: Grain,
    /// Dimensions kept; the others are summed out (stored as '').
    pub dims: DimSet,
}

use Dimension::{AgeBand, Direction as Dir, Mode, Nationality, Poe, Purpose, Sex};

/// The aggregates kept. Chosen for the questions HOBA ask most (posts and directions at any
/// grain; demographic and travel breakdowns by day and month, per post or national) against
/// the cost of keeping them on every write (one upsert row per distinct key per batch; see
/// BENCHMARKS.md). Sizes at ten million movements a year: the daily full aggregate is the only
/// large one, and answers only questions crossing demography with travel by day.
pub const CUBOIDS: [Cuboid; 9] = [
    Cuboid {
        id: 1,
        grain: Grain::Hour,
        dims: DimSet::of(&[Poe, Dir]),
    },
    Cuboid {
        id: 2,
        grain: Grain::Day,
        dims: DimSet::of(&[Poe, Dir]),
    },
    Cuboid {
        id: 3,
        grain: Grain::Day,
        dims: DimSet::FULL,
    },
    Cuboid {
        id: 4,
        grain: Grain::Month,
        dims: DimSet::of(&[Poe, Dir]),
    },
    Cuboid {
        id: 5,
        grain: Grain::Month,
        dims: DimSet::of(&[Poe, Dir, Nationality, Sex, AgeBand]),
    },
    Cuboid {
        id: 6,
        grain: Grain::Month,
        dims: DimSet::of(&[Poe, Dir, Purpose, Mode]),
    },
    Cuboid {
        id: 7,
        grain: Grain::Day,
        dims: DimSet::of(&[Dir, Nationality, Sex, AgeBand]),
    },
    Cuboid {
        id: 8,
        grain: Grain::Month,
        dims: DimSet::of(&[Dir, Nationality, Sex, AgeBand]),
    },
    Cuboid {
        id: 9,
        grain: Grain::Day,
        dims: DimSet::of(&[Dir, Purpose, Mode]),
    },
];

/// The smallest kept aggregate of `grain` that has every dimension in `needed`.
pub fn cuboid_for(grain: Grain, needed: DimSet) -> Option<Cuboid> {
    CUBOIDS
        .iter()
        .filter(|c| c.grain == grain && c.dims.covers(needed))
        .min_by_key(|c| c.dims.len())
        .copied()
}

/// Age bands at the time of crossing.
pub const AGE_BANDS: [&str; 7] = ["0-14", "15-24", "25-34", "35-44", "45-54", "55-64", "65+"];

/// The age band of someone born on `dob` on local date `on`.
pub fn age_band(dob: NaiveDate, on: NaiveDate) -> &'static str {
    let mut age = on.year() - dob.year();
    if (on.month(), on.day()) < (dob.month(), dob.day()) {
        age -= 1;
    }
    match age {
        i32::MIN..=14 => AGE_BANDS[0],
        15..=24 => AGE_BANDS[1],
        25..=34 => AGE_BANDS[2],
        35..=44 => AGE_BANDS[3],
        45..=54 => AGE_BANDS[4],
        55..=64 => AGE_BANDS[5],
        _ => AGE_BANDS[6],
    }
}

/// What statistics know of one movement (borrowed from wherever the movement is held).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted<'a> {
    /// When (UTC).
    pub occurred_at: NaiveDateTime,
    /// The seven dimension values, in [`Dimension::ALL`] order.
    pub values: [&'a str; 7],
}

impl<'a> Counted<'a> {
    /// The values of a movement; the age band is taken on the local date of the crossing.
    #[expect(
        clippy::too_many_arguments,
        reason = "the seven dimensions of a movement"
    )]
    pub fn new(
        occurred_at: NaiveDateTime,
        poe: &'a str,
        direction: &'a str,
        nationality: &'a str,
        sex: &'a str,
        date_of_birth: NaiveDate,
        purpose: &'a str,
        mode: &'a str,
    ) -> Self {
        let band = age_band(date_of_birth, local_time(occurred_at).date());
        Self {
            occurred_at,
            values: [poe, direction, nationality, sex, band, purpose, mode],
        }
    }

    /// The value of one dimension.
    pub fn value(&self, d: Dimension) -> &'a str {
        self.values[d.index()]
    }
}

/// One counter: an aggregate, a bucket (local start), and the values of its dimensions ('' for
/// those it does not keep).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountKey<'a> {
    /// Aggregate id.
    pub cuboid: i16,
    /// Local start of the bucket.
    pub bucket: NaiveDateTime,
    /// Dimension values.
    pub values: [&'a str; 7],
}

/// The counters a movement adds to (or a void takes from), one per aggregate.
pub fn keys_of<'a>(m: &Counted<'a>) -> impl Iterator<Item = CountKey<'a>> + use<'a> {
    let local = local_time(m.occurred_at);
    let values = m.values;
    CUBOIDS.iter().map(move |c| CountKey {
        cuboid: c.id,
        bucket: c.grain.floor(local),
        values: std::array::from_fn(|i| {
            if c.dims.has(Dimension::ALL[i]) {
                values[i]
            } else {
                ""
            }
        }),
    })
}

/// Adds `delta` for every counter of every movement, summing per counter; sorted by key.
///
/// This runs for every batch, so it avoids hashing and comparing strings per counter: each
/// dimension's values are numbered (a batch holds few distinct values per dimension), every
/// counter becomes one integer, and the integers are sorted and merged.
pub fn deltas<'a>(
    movements: impl Iterator<Item = &'a Counted<'a>>,
    delta: i64,
) -> Vec<(CountKey<'a>, i64)> {
    const ID_BITS: u32 = 10;
    const BUCKET_BIAS: i64 = 1 << 39;
    let mut dictionary: [Vec<&'a str>; 7] = Default::default();
    let mut codes: Vec<u128> = Vec::new();
    for m in movements {
        let mut ids = [0u128; 7];
        for (i, value) in m.values.iter().enumerate() {
            let words = &mut dictionary[i];
            let position = match words.iter().position(|w| w == value) {
                Some(p) => p,
                None => {
                    words.push(value);
                    words.len() - 1
                }
            };
            // 0 stands for '' (a dimension the aggregate does not keep).
            ids[i] = (position + 1) as u128;
        }
        let local = local_time(m.occurred_at);
        for (c_index, c) in CUBOIDS.iter().enumerate() {
            let bucket = c.grain.floor(local).and_utc().timestamp() + BUCKET_BIAS;
            let mut code = (c_index as u128) << 110 | (bucket as u128 & ((1 << 40) - 1)) << 70;
            for (i, id) in ids.iter().enumerate() {
                if c.dims.has(Dimension::ALL[i]) {
                    code |= id << (ID_BITS * i as u32);
                }
            }
            codes.push(code);
        }
    }
    codes.sort_unstable();
    let mut out: Vec<(CountKey<'a>, i64)> = Vec::new();
    let mut last: Option<u128> = None;
    for code in codes {
        if last == Some(code) {
            if let Some((_, n)) = out.last_mut() {
                *n += delta;
            }
            continue;
        }
        last = Some(code);
        let cuboid = CUBOIDS[(code >> 110) as usize].id;
        let seconds = ((code >> 70) & ((1 << 40) - 1)) as i64 - BUCKET_BIAS;
        let bucket = chrono::DateTime::from_timestamp(seconds, 0)
            .map(|t| t.naive_utc())
            .unwrap_or_default();
        let values = std::array::from_fn(|i| {
            let id = ((code >> (ID_BITS * i as u32)) & ((1 << ID_BITS) - 1)) as usize;
            if id == 0 {
                ""
            } else {
                dictionary[i].get(id - 1).copied().unwrap_or("")
            }
        });
        out.push((
            CountKey {
                cuboid,
                bucket,
                values,
            },
            delta,
        ));
    }
    out.retain(|(_, n)| *n != 0);
    // The order of the keys themselves: every writer upserts counter rows in this one order,
    // so two writers never wait for each other in a cycle.
    out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The bucket size of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    /// Local clock hours.
    Hour,
    /// Local days.
    Day,
    /// Weeks from Monday.
    Week,
    /// Calendar months.
    Month,
}

impl Interval {
    /// Parses `hour`, `day`, `week` or `month`.
    pub fn parse(s: &str) -> Result<Self, ValidationErrors> {
        match s.trim() {
            "hour" => Ok(Self::Hour),
            "day" => Ok(Self::Day),
            "week" => Ok(Self::Week),
            "month" => Ok(Self::Month),
            _ => Err(ValidationErrors::one(
                "",
                "must be hour, day, week or month",
            )),
        }
    }

    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hour => "hour",
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
        }
    }

    /// The local start of the answer bucket holding `local` (weeks start on Monday).
    pub fn bucket(self, local: NaiveDateTime) -> NaiveDateTime {
        match self {
            Self::Hour => Grain::Hour.floor(local),
            Self::Day => Grain::Day.floor(local),
            Self::Month => Grain::Month.floor(local),
            Self::Week => {
                let d = local.date();
                let monday = d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
                monday.and_hms_opt(0, 0, 0).unwrap_or(local)
            }
        }
    }

    /// The coarsest kept grain whose buckets never straddle two answer buckets.
    pub fn max_grain(self) -> Grain {
        match self {
            Self::Hour => Grain::Hour,
            Self::Day | Self::Week => Grain::Day,
            Self::Month => Grain::Month,
        }
    }
}

/// A part of a query's range and how to count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    /// Whole buckets of a kept aggregate: local `[from, to)`, both on the grain's boundaries.
    Kept {
        /// The aggregate.
        cuboid: Cuboid,
        /// Local start (inclusive).
        from: NaiveDateTime,
        /// Local end (exclusive).
        to: NaiveDateTime,
    },
    /// Counted from the movements: UTC `[from, to)`.
    Movements {
        /// UTC start (inclusive).
        from: NaiveDateTime,
        /// UTC end (exclusive).
        to: NaiveDateTime,
    },
}

/// Cuts a UTC range into pieces: the coarsest whole buckets allowed by the interval, each
/// from the smallest aggregate holding `needed`; movements for the rest.
pub fn plan(
    from_utc: NaiveDateTime,
    to_utc: NaiveDateTime,
    interval: Interval,
    needed: DimSet,
) -> Vec<Piece> {
    let mut pieces = Vec::new();
    split(
        local_time(from_utc),
        local_time(to_utc),
        interval.max_grain(),
        needed,
        &mut pieces,
    );
    // Merge neighbouring pieces of the same kind.
    let mut merged: Vec<Piece> = Vec::with_capacity(pieces.len());
    for p in pieces {
        match (merged.last_mut(), p) {
            (
                Some(Piece::Kept { cuboid: a, to, .. }),
                Piece::Kept {
                    cuboid: b,
                    from,
                    to: t2,
                },
            ) if a.id == b.id && *to == from => {
                *to = t2;
            }
            (Some(Piece::Movements { to, .. }), Piece::Movements { from, to: t2 })
                if *to == from =>
            {
                *to = t2;
            }
            _ => merged.push(p),
        }
    }
    merged
}

fn finer(g: Grain) -> Option<Grain> {
    match g {
        Grain::Month => Some(Grain::Day),
        Grain::Day => Some(Grain::Hour),
        Grain::Hour => None,
    }
}

/// Local `[from, to)` into pieces, coarsest `grain` first.
fn split(
    from: NaiveDateTime,
    to: NaiveDateTime,
    grain: Grain,
    needed: DimSet,
    out: &mut Vec<Piece>,
) {
    if from >= to {
        return;
    }
    let cuboid = cuboid_for(grain, needed);
    let start = if grain.is_boundary(from) {
        from
    } else {
        grain.next(grain.floor(from))
    };
    let end = grain.floor(to);
    match (cuboid, start < end) {
        (Some(cuboid), true) => {
            finer_or_raw(from, start, grain, needed, out);
            out.push(Piece::Kept {
                cuboid,
                from: start,
                to: end,
            });
            finer_or_raw(end, to, grain, needed, out);
        }
        _ => finer_or_raw(from, to, grain, needed, out),
    }
}

fn finer_or_raw(
    from: NaiveDateTime,
    to: NaiveDateTime,
    grain: Grain,
    needed: DimSet,
    out: &mut Vec<Piece>,
) {
    if from >= to {
        return;
    }
    match finer(grain) {
        Some(f) => split(from, to, f, needed, out),
        None => out.push(Piece::Movements {
            from: utc_of_local(from),
            to: utc_of_local(to),
        }),
    }
}

/// What a protected answer publishes: each cell's count or `None`, the total or `None`, and
/// how many of these were withheld.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosed {
    /// The cells, in the order given.
    pub cells: Vec<Option<i64>>,
    /// Their sum.
    pub total: Option<i64>,
    /// How many counts (cells and the total) are `None`.
    pub suppressed: i64,
}

/// Disclosure control of a protected answer (one broken down or narrowed by nationality,
/// sex or age band): every count it publishes, cells and total alike, is 0 or at least `k`
/// (primary suppression); and when a withheld cell could be worked out by subtracting the
/// published cells from the published total (exactly one withheld cell beside it), the
/// next smallest published cells are withheld too, until none can (secondary suppression).
/// Differences between two answers are a residual risk (README, "Security").
pub fn disclose(counts: &[i64], k: i64) -> Disclosed {
    let small = |n: i64| n > 0 && n < k;
    let mut cells: Vec<Option<i64>> = counts.iter().map(|&n| (!small(n)).then_some(n)).collect();
    let sum: i64 = counts.iter().sum();
    let mut total = (!small(sum)).then_some(sum);
    while total.is_some() && cells.iter().filter(|c| c.is_none()).count() == 1 {
        let next = cells
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.filter(|n| *n > 0).map(|n| (n, i)))
            .min();
        match next {
            Some((_, i)) => cells[i] = None,
            // Nothing left to hide it among: the total would give it away.
            None => total = None,
        }
    }
    let suppressed = cells.iter().filter(|c| c.is_none()).count() + usize::from(total.is_none());
    Disclosed {
        cells,
        total,
        suppressed: i64::try_from(suppressed).unwrap_or(i64::MAX),
    }
}

/// At most how many values a dimension can take, for the size of an answer before it runs:
/// the posts of the registry, the states of the code list, and the fixed lists.
pub fn max_values(d: Dimension, posts: usize) -> u64 {
    let n = match d {
        Dimension::Poe => posts,
        Dimension::Direction => 2,
        Dimension::Nationality => crate::domain::codes::icao_state_codes().count(),
        Dimension::Sex => 3,
        Dimension::AgeBand => 7,
        Dimension::Purpose => 8,
        Dimension::Mode => 5,
    };
    u64::try_from(n).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn age_bands_count_birthdays_on_the_local_date() {
        let dob = NaiveDate::from_ymd_opt(2000, 6, 15).unwrap();
        assert_eq!(
            age_band(dob, NaiveDate::from_ymd_opt(2015, 6, 14).unwrap()),
            "0-14"
        );
        assert_eq!(
            age_band(dob, NaiveDate::from_ymd_opt(2015, 6, 15).unwrap()),
            "15-24"
        );
        assert_eq!(
            age_band(dob, NaiveDate::from_ymd_opt(2065, 6, 15).unwrap()),
            "65+"
        );
        assert_eq!(
            age_band(dob, NaiveDate::from_ymd_opt(2065, 6, 14).unwrap()),
            "55-64"
        );
    }

    #[test]
    fn local_midnight_is_22_utc() {
        let before = Counted::new(
            t("2026-01-01 21:59:59"),
            "MSU",
            "entry",
            "LSO",
            "F",
            NaiveDate::from_ymd_opt(1990, 1, 1).unwrap(),
            "work",
            "pedestrian",
        );
        let after = Counted {
            occurred_at: t("2026-01-01 22:00:00"),
            ..before
        };
        let day = |m: &Counted| keys_of(m).find(|k| k.cuboid == 2).unwrap().bucket;
        assert_eq!(day(&before), t("2026-01-01 00:00:00"));
        assert_eq!(day(&after), t("2026-01-02 00:00:00"));
    }

    #[test]
    fn each_movement_counts_once_in_every_aggregate() {
        let m = Counted::new(
            t("2026-03-03 08:30:00"),
            "MSU",
            "exit",
            "ZAF",
            "M",
            NaiveDate::from_ymd_opt(1980, 1, 1).unwrap(),
            "visit",
            "pedestrian",
        );
        let keys: Vec<_> = keys_of(&m).collect();
        assert_eq!(keys.len(), CUBOIDS.len());
        let hourly = keys.iter().find(|k| k.cuboid == 1).unwrap();
        assert_eq!(hourly.bucket, t("2026-03-03 10:00:00"));
        assert_eq!(
            hourly.values[2], "",
            "the hourly aggregate keeps no nationality"
        );
        let d = deltas([&m, &m].into_iter(), 1);
        assert_eq!(d.len(), CUBOIDS.len());
        assert_eq!(d.iter().map(|(k, _)| *k).collect::<Vec<_>>(), {
            let mut k = keys;
            k.sort();
            k
        });
        assert!(d.iter().all(|(_, n)| *n == 2));
        assert!(deltas([&m].into_iter().chain([&m]), 0).is_empty());
    }

    #[test]
    fn weeks_start_on_monday() {
        // 2026-01-01 is a Thursday.
        assert_eq!(
            Interval::Week.bucket(t("2026-01-01 10:00:00")),
            t("2025-12-29 00:00:00")
        );
        assert_eq!(
            Interval::Week.bucket(t("2026-01-05 00:00:00")),
            t("2026-01-05 00:00:00")
        );
    }

    #[test]
    fn a_year_of_days_by_post_is_one_piece_of_the_daily_aggregate() {
        let from = utc_of_local(t("2025-01-01 00:00:00"));
        let to = utc_of_local(t("2026-01-01 00:00:00"));
        let p = plan(from, to, Interval::Day, DimSet::of(&[Poe, Dir]));
        assert_eq!(
            p,
            [Piece::Kept {
                cuboid: CUBOIDS[1],
                from: t("2025-01-01 00:00:00"),
                to: t("2026-01-01 00:00:00")
            }]
        );
    }

    #[test]
    fn ragged_ranges_use_months_days_hours_then_movements() {
        let from = utc_of_local(t("2025-01-30 10:15:00"));
        let to = utc_of_local(t("2025-04-02 03:00:00"));
        let p = plan(from, to, Interval::Month, DimSet::of(&[Poe]));
        let kinds: Vec<String> = p
            .iter()
            .map(|p| match p {
                Piece::Kept { cuboid, from, to } => format!("{}:{from}..{to}", cuboid.id),
                Piece::Movements { from, to } => format!("raw:{from}..{to}"),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "raw:2025-01-30 08:15:00..2025-01-30 09:00:00",
                "1:2025-01-30 11:00:00..2025-01-31 00:00:00",
                "2:2025-01-31 00:00:00..2025-02-01 00:00:00",
                "4:2025-02-01 00:00:00..2025-04-01 00:00:00",
                "2:2025-04-01 00:00:00..2025-04-02 00:00:00",
                "1:2025-04-02 00:00:00..2025-04-02 03:00:00",
            ]
        );
    }

    #[test]
    fn hours_by_a_dimension_no_hourly_aggregate_keeps_come_from_movements() {
        let from = utc_of_local(t("2025-01-01 00:00:00"));
        let to = utc_of_local(t("2025-01-03 00:00:00"));
        let p = plan(from, to, Interval::Hour, DimSet::of(&[Nationality]));
        assert_eq!(p, [Piece::Movements { from, to }]);
        let p = plan(from, to, Interval::Day, DimSet::of(&[Nationality, Mode]));
        assert_eq!(
            p,
            [Piece::Kept {
                cuboid: CUBOIDS[2],
                from: t("2025-01-01 00:00:00"),
                to: t("2025-01-03 00:00:00")
            }]
        );
    }

    #[test]
    fn pieces_cover_the_range_exactly() {
        let starts = [
            "2025-03-01 00:00:00",
            "2025-03-05 13:45:10",
            "2025-12-31 23:59:59",
            "2024-02-28 22:00:00",
        ];
        let lengths = [1, 59, 3600, 86_399, 86_401, 40 * 86_400 + 17];
        for s in starts {
            for len in lengths {
                for interval in [
                    Interval::Hour,
                    Interval::Day,
                    Interval::Week,
                    Interval::Month,
                ] {
                    for needed in [DimSet::default(), DimSet::of(&[Sex]), DimSet::FULL] {
                        let from = t(s);
                        let to = from + Duration::seconds(len);
                        let mut at = from;
                        for p in plan(from, to, interval, needed) {
                            let (a, b) = match p {
                                Piece::Kept { from, to, cuboid } => {
                                    assert!(cuboid.dims.covers(needed));
                                    assert!(cuboid.grain <= interval.max_grain());
                                    (utc_of_local(from), utc_of_local(to))
                                }
                                Piece::Movements { from, to } => (from, to),
                            };
                            assert_eq!(a, at, "a gap or overlap in {s} +{len}s");
                            assert!(b > a);
                            at = b;
                        }
                        assert_eq!(at, to);
                    }
                }
            }
        }
    }

    #[test]
    fn no_published_count_is_under_k_and_no_withheld_cell_can_be_subtracted_out() {
        // One small cell beside a published total: the next smallest goes too.
        let d = disclose(&[6, 2, 9], 5);
        assert_eq!(d.cells, vec![None, None, Some(9)]);
        assert_eq!(d.total, Some(17));
        assert_eq!(d.suppressed, 2);
        // The total itself is under k: withheld, and so is the only cell.
        let d = disclose(&[1], 5);
        assert_eq!((d.cells, d.total, d.suppressed), (vec![None], None, 2));
        // Two small cells: neither can be worked out, nothing more is withheld.
        let d = disclose(&[1, 2, 7], 5);
        assert_eq!(d.cells, vec![None, None, Some(7)]);
        assert_eq!(d.total, Some(10));
        // Nothing small: everything shown.
        let d = disclose(&[5, 0, 12], 5);
        assert_eq!(d.cells, vec![Some(5), Some(0), Some(12)]);
        assert_eq!((d.total, d.suppressed), (Some(17), 0));
        // Zero cells are no cover: the smallest non-zero one is taken.
        let d = disclose(&[0, 3, 8, 20], 5);
        assert_eq!(d.cells, vec![Some(0), None, None, Some(20)]);
    }

    proptest::proptest! {
        #[test]
        fn what_is_published_never_reveals_a_small_count(counts in proptest::collection::vec(0i64..30, 1..12)) {
            let k = 5;
            let d = disclose(&counts, k);
            for c in d.cells.iter().flatten().chain(d.total.iter()) {
                proptest::prop_assert!(*c == 0 || *c >= k);
            }
            let hidden = d.cells.iter().filter(|c| c.is_none()).count();
            if d.total.is_some() {
                proptest::prop_assert!(hidden != 1, "one withheld cell beside a total: {counts:?} {d:?}");
            }
        }
    }

    #[test]
    fn personal_fields_are_refused_by_name() {
        assert!(
            Dimension::parse("document_number").unwrap_err().0[0]
                .message
                .contains("personal")
        );
        assert!(
            Dimension::parse("colour").unwrap_err().0[0]
                .message
                .contains("unknown")
        );
        assert_eq!(Dimension::parse("age_band").unwrap(), Dimension::AgeBand);
    }
}

#[cfg(test)]
mod deltas_tests {
    use super::*;
    use proptest::prelude::*;

    /// The obvious way to sum counters, to hold the fast one to.
    fn naive<'a>(ms: &'a [Counted<'a>], delta: i64) -> Vec<(CountKey<'a>, i64)> {
        let mut sums = std::collections::BTreeMap::new();
        for m in ms {
            for k in keys_of(m) {
                *sums.entry(k).or_insert(0) += delta;
            }
        }
        sums.into_iter().filter(|(_, n)| *n != 0).collect()
    }

    proptest! {
        #[test]
        fn fast_sums_equal_naive_sums(
            rows in proptest::collection::vec((0i64..400_000_000, 0usize..3, 0usize..2, 0usize..4, 0usize..3, 0i64..30_000, 0usize..3, 0usize..3), 0..300),
            delta in prop_oneof![Just(1i64), Just(-1i64)],
        ) {
            let poes = ["MSU", "MPB", "QNK"];
            let dirs = ["entry", "exit"];
            let nats = ["LSO", "ZAF", "D", "XXA"];
            let sexes = ["F", "M", "X"];
            let purposes = ["work", "visit", "other"];
            let modes = ["air", "truck", "pedestrian"];
            let base = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
            let ms: Vec<Counted> = rows
                .iter()
                .map(|(secs, p, d, n, s, age, pu, mo)| {
                    let at = base + Duration::seconds(*secs);
                    Counted::new(at, poes[*p], dirs[*d], nats[*n], sexes[*s], at.date() - Duration::days(*age), purposes[*pu], modes[*mo])
                })
                .collect();
            prop_assert_eq!(deltas(ms.iter(), delta), naive(&ms, delta));
        }
    }
}
