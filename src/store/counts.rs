//! Movement counts per bucket: kept on every write, read by statistics.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, SmallInt, Text, Timestamp};

use super::schema::movements;
use super::{DbConnection, StoreResult};
use crate::domain::stats::{CountKey, Counted, Cuboid, DimSet, Dimension};

/// PostgreSQL finds a counter by its `key`, the values joined (migration 0005): a narrow key
/// compared byte by byte, where nine columns under the database's collation cost twice as much
/// a row. (Used by a rebuild; the folder's upsert, in [`fold`], finds counters the same way.)
const UPSERT_PG: &str = "
INSERT INTO movement_counts (cuboid, bucket, key, poe, direction, nationality, sex, age_band, purpose, mode, count)
SELECT * FROM unnest($1::int2[], $2::timestamp[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::text[], $9::text[], $10::text[], $11::int8[])
ON CONFLICT (cuboid, bucket, key)
DO UPDATE SET count = movement_counts.count + excluded.count";

const UPSERT_SQLITE: &str = "
INSERT INTO movement_counts (cuboid, bucket, poe, direction, nationality, sex, age_band, purpose, mode, count)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (cuboid, bucket, poe, direction, nationality, sex, age_band, purpose, mode)
DO UPDATE SET count = count + excluded.count";

const APPEND_PG: &str = "
INSERT INTO movement_count_deltas (cuboid, bucket, poe, direction, nationality, sex, age_band, purpose, mode, count)
SELECT * FROM unnest($1::int2[], $2::timestamp[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::text[], $9::text[], $10::int8[])";

/// Most counter changes in one SQLite INSERT (10 bind parameters each, 32,766 allowed).
const APPEND_CHUNK: usize = 3000;

/// Key of the PostgreSQL advisory lock held by whoever folds (or rebuilds) the counters, so
/// that nodes fold one at a time.
const FOLD_LOCK: i64 = 0x0C20_5543_4E54;

/// Records a write's changes to the counters, in the write's transaction. They are appended
/// as pending changes (migration `count_deltas`): cheap, and never waiting for another
/// writer's counters; [`fold`] adds them to the counters later, and [`sums`] reads both.
/// `deltas` come from `stats::deltas` (one per counter).
pub fn record(conn: &mut DbConnection, deltas: &[(CountKey<'_>, i64)]) -> StoreResult<()> {
    if deltas.is_empty() {
        return Ok(());
    }
    match conn {
        DbConnection::Pg(pg) => {
            execute_unnest(pg, APPEND_PG, deltas, false)?;
        }
        DbConnection::Sqlite(lite) => {
            use super::schema::movement_count_deltas as d;
            for chunk in deltas.chunks(APPEND_CHUNK) {
                let rows: Vec<_> = chunk
                    .iter()
                    .map(|(k, n)| {
                        (
                            d::cuboid.eq(k.cuboid),
                            d::bucket.eq(k.bucket),
                            d::poe.eq(k.values[0]),
                            d::direction.eq(k.values[1]),
                            d::nationality.eq(k.values[2]),
                            d::sex.eq(k.values[3]),
                            d::age_band.eq(k.values[4]),
                            d::purpose.eq(k.values[5]),
                            d::mode.eq(k.values[6]),
                            d::count.eq(*n),
                        )
                    })
                    .collect();
                diesel::insert_into(d::table).values(rows).execute(lite)?;
            }
        }
    }
    Ok(())
}

/// Runs `sql` on PostgreSQL with the deltas bound as arrays, one a column, for `unnest`:
/// cuboid, bucket, the values joined (when `with_key`), the seven values, count.
fn execute_unnest(
    pg: &mut diesel::PgConnection,
    sql: &str,
    deltas: &[(CountKey<'_>, i64)],
    with_key: bool,
) -> StoreResult<usize> {
    let mut q = diesel::sql_query(sql)
        .into_boxed::<diesel::pg::Pg>()
        .bind::<Array<SmallInt>, _>(deltas.iter().map(|(k, _)| k.cuboid).collect::<Vec<_>>())
        .bind::<Array<Timestamp>, _>(deltas.iter().map(|(k, _)| k.bucket).collect::<Vec<_>>());
    if with_key {
        q = q.bind::<Array<Text>, _>(
            deltas
                .iter()
                .map(|(k, _)| joined_key(k.values))
                .collect::<Vec<_>>(),
        );
    }
    for i in 0..Dimension::ALL.len() {
        q = q.bind::<Array<Text>, _>(deltas.iter().map(|(k, _)| k.values[i]).collect::<Vec<_>>());
    }
    Ok(
        q.bind::<Array<BigInt>, _>(deltas.iter().map(|(_, n)| *n).collect::<Vec<_>>())
            .execute(pg)?,
    )
}

/// What one [`fold`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Folded {
    /// Pending changes folded (and removed).
    pub changes: u64,
    /// Counters they changed.
    pub counters: u64,
}

/// Adds every pending change to its counter and removes it, in one transaction: a reader sees
/// each change either pending or folded, never both, never neither. On PostgreSQL changes a
/// writer has not committed yet are not seen, so not removed: they wait for the next fold.
/// `None` when another node is folding (PostgreSQL). Call inside a transaction.
pub fn fold(conn: &mut DbConnection) -> StoreResult<Option<Folded>> {
    const DIMS: &str = "poe, direction, nationality, sex, age_band, purpose, mode";
    match conn {
        DbConnection::Pg(pg) => {
            #[derive(QueryableByName)]
            struct Locked {
                #[diesel(sql_type = diesel::sql_types::Bool)]
                locked: bool,
            }
            let lock: Locked = diesel::sql_query(format!(
                "SELECT pg_try_advisory_xact_lock({FOLD_LOCK}) AS locked"
            ))
            .get_result(pg)?;
            if !lock.locked {
                return Ok(None);
            }
            #[derive(QueryableByName)]
            struct Counts {
                #[diesel(sql_type = BigInt)]
                changes: i64,
                #[diesel(sql_type = BigInt)]
                counters: i64,
            }
            // No order is needed: only a fold or a rebuild writes counters, and both hold the
            // fold lock. (Nodes of the version before pending changes upsert counters from
            // their writers, in another order: stop them before starting this version, not
            // side by side.)
            let sql = format!(
                "WITH folded AS (DELETE FROM movement_count_deltas RETURNING *),
                 summed AS (
                    INSERT INTO movement_counts (cuboid, bucket, key, {DIMS}, count)
                    SELECT cuboid, bucket, concat_ws('{KEY_SEPARATOR}', {DIMS}), {DIMS}, SUM(count)
                      FROM folded
                     GROUP BY cuboid, bucket, {DIMS}
                    ON CONFLICT (cuboid, bucket, key)
                    DO UPDATE SET count = movement_counts.count + excluded.count
                    RETURNING 1)
                 SELECT (SELECT COUNT(*) FROM folded) AS changes,
                        (SELECT COUNT(*) FROM summed) AS counters"
            );
            let n: Counts = diesel::sql_query(sql).get_result(pg)?;
            Ok(Some(Folded {
                changes: n.changes.max(0) as u64,
                counters: n.counters.max(0) as u64,
            }))
        }
        DbConnection::Sqlite(lite) => {
            // The writer's turn is held (see `Db::write`): nothing is appended in between.
            // (`WHERE true` tells SQLite's parser that ON CONFLICT belongs to the INSERT.)
            let counters = diesel::sql_query(format!(
                "INSERT INTO movement_counts (cuboid, bucket, {DIMS}, count)
                 SELECT cuboid, bucket, {DIMS}, SUM(count) FROM movement_count_deltas WHERE true
                  GROUP BY cuboid, bucket, {DIMS}
                 ON CONFLICT (cuboid, bucket, {DIMS})
                 DO UPDATE SET count = count + excluded.count"
            ))
            .execute(lite)?;
            let changes =
                diesel::delete(super::schema::movement_count_deltas::table).execute(lite)?;
            Ok(Some(Folded {
                changes: changes as u64,
                counters: counters as u64,
            }))
        }
    }
}

/// Adds the deltas straight to their counters, in one statement on PostgreSQL (for a
/// rebuild, which holds the fold lock, so no other writer of counters runs meanwhile).
fn add(conn: &mut DbConnection, deltas: &[(CountKey<'_>, i64)]) -> StoreResult<()> {
    if deltas.is_empty() {
        return Ok(());
    }
    match conn {
        DbConnection::Pg(pg) => {
            execute_unnest(pg, UPSERT_PG, deltas, true)?;
        }
        DbConnection::Sqlite(lite) => {
            for (k, n) in deltas {
                diesel::sql_query(UPSERT_SQLITE)
                    .bind::<SmallInt, _>(k.cuboid)
                    .bind::<Timestamp, _>(k.bucket)
                    .bind::<Text, _>(k.values[0])
                    .bind::<Text, _>(k.values[1])
                    .bind::<Text, _>(k.values[2])
                    .bind::<Text, _>(k.values[3])
                    .bind::<Text, _>(k.values[4])
                    .bind::<Text, _>(k.values[5])
                    .bind::<Text, _>(k.values[6])
                    .bind::<BigInt, _>(*n)
                    .execute(lite)?;
            }
        }
    }
    Ok(())
}

/// Filters: for each dimension, the values allowed.
pub type Filters = Vec<(Dimension, Vec<String>)>;

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = Timestamp)]
    bucket: NaiveDateTime,
    /// The grouped values joined by '|' (no code or category holds one).
    #[diesel(sql_type = Text)]
    k: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Placeholders differ: `$1` on PostgreSQL, `?1` on SQLite (numbered on both, so that one
/// parameter serves twice).
fn placeholder(conn: &DbConnection, n: usize) -> String {
    match conn {
        DbConnection::Pg(_) => format!("${n}"),
        DbConnection::Sqlite(_) => format!("?{n}"),
    }
}

/// Sums of one aggregate per kept bucket and values of the `group` dimensions, local
/// `[from, to)`, filtered: the counters' sums in bucket order, then those of the changes not
/// yet folded into them, so one bucket and key may come twice (callers add them up). Both are
/// read in one statement, so at one moment: a fold in between cannot count a change twice or
/// lose it. The values come joined by [`KEY_SEPARATOR`] in the order of `group`; the key is
/// empty when nothing is grouped. [`key_values`] splits one.
pub fn sums(
    conn: &mut DbConnection,
    cuboid: Cuboid,
    from: NaiveDateTime,
    to: NaiveDateTime,
    group: &[Dimension],
    filters: &Filters,
) -> StoreResult<Vec<(NaiveDateTime, String, i64)>> {
    let mut n = 0;
    let mut next = |conn: &DbConnection| {
        n += 1;
        placeholder(conn, n)
    };
    let group_cols: Vec<&str> = group.iter().map(|d| d.as_str()).collect();
    let key = if group_cols.is_empty() {
        "''".to_owned()
    } else {
        group_cols.join(&format!(" || '{KEY_SEPARATOR}' || "))
    };
    let mut conditions = format!(
        "cuboid = {} AND bucket >= {} AND bucket < {}",
        next(conn),
        next(conn),
        next(conn)
    );
    let mut binds: Vec<String> = Vec::new();
    for (d, values) in filters {
        let marks: Vec<String> = values.iter().map(|_| next(conn)).collect();
        conditions.push_str(&format!(" AND {} IN ({})", d.as_str(), marks.join(", ")));
        binds.extend(values.iter().cloned());
    }
    let grouping: String = std::iter::once("bucket")
        .chain(group_cols.iter().copied())
        .collect::<Vec<_>>()
        .join(", ");
    let summed = "CAST(SUM(count) AS BIGINT)";
    // When the aggregate keeps exactly the grouped dimensions, its rows are already one per
    // bucket and key: no aggregation needed. In bucket order, which the index gives for
    // nothing (ordering the values too would cost PostgreSQL a sort under the database's
    // collation, slower than sorting here).
    let exact = cuboid.dims == group.iter().fold(DimSet::default(), |s, d| s.with(*d));
    let kept = if exact {
        format!(
            "SELECT bucket, {key} AS k, count AS n FROM movement_counts \
             WHERE {conditions} AND count <> 0 ORDER BY bucket"
        )
    } else {
        format!(
            "SELECT bucket, {key} AS k, {summed} AS n FROM movement_counts \
             WHERE {conditions} GROUP BY {grouping} ORDER BY bucket"
        )
    };
    let sql = format!(
        "SELECT bucket, k, n FROM ({kept}) AS kept \
         UNION ALL \
         SELECT bucket, {key} AS k, {summed} AS n FROM movement_count_deltas \
         WHERE {conditions} GROUP BY {grouping}"
    );
    let rows: Vec<CountRow> = crate::on_backend!(conn, |c| {
        let mut q = diesel::sql_query(sql.clone())
            .into_boxed()
            .bind::<SmallInt, _>(cuboid.id)
            .bind::<Timestamp, _>(from)
            .bind::<Timestamp, _>(to);
        for b in &binds {
            q = q.bind::<Text, _>(b.clone());
        }
        q.load(c)
    })?;
    Ok(rows.into_iter().map(|r| (r.bucket, r.k, r.n)).collect())
}

/// What joins the grouped values of a kept sum, and the values of a counter's stored key (no
/// code or category holds one).
pub const KEY_SEPARATOR: char = '|';

/// Values joined into a key, as [`key_values`] splits it (the empty key for none).
pub fn joined_key<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    let mut key = String::new();
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            key.push(KEY_SEPARATOR);
        }
        key.push_str(v);
    }
    key
}

/// The values of a key from [`sums`], in the order of its `group`; none for the empty key.
pub fn key_values(key: &str) -> impl Iterator<Item = &str> {
    (!key.is_empty())
        .then(|| key.split(KEY_SEPARATOR))
        .into_iter()
        .flatten()
}

/// A counted movement as read from the database.
#[derive(Debug, Clone)]
pub struct CountedRow {
    occurred_at: NaiveDateTime,
    poe: String,
    direction: String,
    nationality: String,
    sex: String,
    date_of_birth: NaiveDate,
    purpose: String,
    mode: String,
}

impl CountedRow {
    /// What statistics know of it.
    pub fn counted(&self) -> Counted<'_> {
        Counted::new(
            self.occurred_at,
            &self.poe,
            &self.direction,
            &self.nationality,
            &self.sex,
            self.date_of_birth,
            &self.purpose,
            &self.mode,
        )
    }
}

/// Walks the movements of UTC `[from, to)` that statistics count (not voided), filtered by
/// every dimension except the age band (callers filter that, having computed it), a page at a
/// time in `(occurred_at, id)` order, so memory stays flat however many there are.
fn for_each_page(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
    filters: &Filters,
    page: i64,
    mut f: impl FnMut(&mut DbConnection, Vec<CountedRow>) -> StoreResult<()>,
) -> StoreResult<()> {
    let mut after: Option<(NaiveDateTime, String)> = None;
    loop {
        let mut q = movements::table
            .filter(movements::voided_at.is_null())
            .filter(movements::occurred_at.ge(from))
            .filter(movements::occurred_at.lt(to))
            .into_boxed();
        for (d, values) in filters {
            let v = values.clone();
            q = match d {
                Dimension::Poe => q.filter(movements::poe.eq_any(v)),
                Dimension::Direction => q.filter(movements::direction.eq_any(v)),
                Dimension::Nationality => q.filter(movements::nationality.eq_any(v)),
                Dimension::Sex => q.filter(movements::sex.eq_any(v)),
                Dimension::Purpose => q.filter(movements::purpose.eq_any(v)),
                Dimension::Mode => q.filter(movements::mode.eq_any(v)),
                Dimension::AgeBand => q,
            };
        }
        if let Some((at, id)) = &after {
            q = q.filter(
                movements::occurred_at.gt(*at).or(movements::occurred_at
                    .eq(*at)
                    .and(movements::id.gt(id.clone()))),
            );
        }
        type Row = (
            String,
            NaiveDateTime,
            String,
            String,
            String,
            String,
            NaiveDate,
            String,
            String,
        );
        let rows: Vec<Row> = q
            .order((movements::occurred_at.asc(), movements::id.asc()))
            .limit(page)
            .select((
                movements::id,
                movements::occurred_at,
                movements::poe,
                movements::direction,
                movements::nationality,
                movements::sex,
                movements::date_of_birth,
                movements::purpose,
                movements::mode,
            ))
            .load(conn)?;
        let full = rows.len() as i64 == page;
        after = rows.last().map(|r| (r.1, r.0.clone()));
        let counted = rows
            .into_iter()
            .map(
                |(
                    _,
                    occurred_at,
                    poe,
                    direction,
                    nationality,
                    sex,
                    date_of_birth,
                    purpose,
                    mode,
                )| CountedRow {
                    occurred_at,
                    poe,
                    direction,
                    nationality,
                    sex,
                    date_of_birth,
                    purpose,
                    mode,
                },
            )
            .collect();
        f(conn, counted)?;
        if !full {
            return Ok(());
        }
    }
}

/// The movements of UTC `[from, to)` that statistics count, filtered as [`for_each_page`] says.
pub fn movements_between(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
    filters: &Filters,
) -> StoreResult<Vec<CountedRow>> {
    let mut out = Vec::new();
    for_each_page(conn, from, to, filters, 20_000, |_, page| {
        out.extend(page);
        Ok(())
    })?;
    Ok(out)
}

/// Counts every counter from the movements and compares with the kept counters (folded and
/// pending): the keys whose kept count differs (empty when all agree). Reads one snapshot, so
/// writes and folds meanwhile do not show as differences.
pub fn check(conn: &mut DbConnection) -> StoreResult<Vec<(OwnedKey, i64, i64)>> {
    conn.transaction(|conn| {
        if let DbConnection::Pg(pg) = conn {
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(pg)?;
        }
        compare(conn)
    })
}

fn compare(conn: &mut DbConnection) -> StoreResult<Vec<(OwnedKey, i64, i64)>> {
    let expected = recount(conn)?;
    let mut kept: BTreeMap<OwnedKey, i64> = BTreeMap::new();
    type Row = (
        i16,
        NaiveDateTime,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        i64,
    );
    // A counter holds its folded count plus its pending changes.
    let rows: Vec<Row> = super::schema::movement_counts::table.load(conn)?;
    let pending: Vec<Row> = super::schema::movement_count_deltas::table.load(conn)?;
    for (cuboid, bucket, a, b, c, d, e, f, g, n) in rows.into_iter().chain(pending) {
        *kept
            .entry((cuboid, bucket, [a, b, c, d, e, f, g]))
            .or_insert(0) += n;
    }
    kept.retain(|_, n| *n != 0);
    let mut differences = Vec::new();
    for (k, n) in &expected {
        let have = kept.get(k).copied().unwrap_or(0);
        if have != *n {
            differences.push((k.clone(), *n, have));
        }
    }
    for (k, n) in kept {
        if !expected.contains_key(&k) {
            differences.push((k, 0, n));
        }
    }
    Ok(differences)
}

/// A range wider than any movement, within both databases' timestamp ranges.
fn all_time() -> (NaiveDateTime, NaiveDateTime) {
    let day = |y| {
        NaiveDate::from_ymd_opt(y, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default()
    };
    (day(1900), day(9999))
}

/// A counter's key, owned: aggregate, bucket, values.
pub type OwnedKey = (i16, NaiveDateTime, [String; 7]);

/// Every counter as the movements say it should be.
fn recount(conn: &mut DbConnection) -> StoreResult<BTreeMap<OwnedKey, i64>> {
    let (from, to) = all_time();
    let all = movements_between(conn, from, to, &Vec::new())?;
    let counted: Vec<Counted<'_>> = all.iter().map(CountedRow::counted).collect();
    Ok(crate::domain::stats::deltas(counted.iter(), 1)
        .into_iter()
        .map(|(k, n)| ((k.cuboid, k.bucket, k.values.map(str::to_owned)), n))
        .collect())
}

/// Rebuilds every counter from the movements, a page at a time (after a bulk load, or if a
/// check ever found a difference). Call inside a transaction.
pub fn rebuild(conn: &mut DbConnection) -> StoreResult<u64> {
    if let DbConnection::Pg(pg) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({FOLD_LOCK})")).execute(pg)?;
    }
    diesel::delete(super::schema::movement_count_deltas::table).execute(conn)?;
    diesel::delete(super::schema::movement_counts::table).execute(conn)?;
    let (from, to) = all_time();
    let mut total = 0u64;
    for_each_page(conn, from, to, &Vec::new(), 50_000, |c, page| {
        total += page.len() as u64;
        let counted: Vec<Counted<'_>> = page.iter().map(CountedRow::counted).collect();
        for chunk in crate::domain::stats::deltas(counted.iter(), 1).chunks(10_000) {
            add(c, chunk)?;
        }
        Ok(())
    })?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::movement::{Direction, Mode, Purpose};
    use crate::domain::stats::AGE_BANDS;
    use crate::domain::traveller::Sex;

    /// A counter's stored key is its values joined: it names one counter only while no value
    /// can hold the separator. Post and state codes are upper-case letters by validation; the
    /// categories are these.
    #[test]
    fn no_category_holds_the_key_separator() {
        let categories = Direction::ALL
            .iter()
            .map(|v| v.as_str())
            .chain(Mode::ALL.iter().map(|v| v.as_str()))
            .chain(Purpose::ALL.iter().map(|v| v.as_str()))
            .chain(Sex::ALL.iter().map(|v| v.as_str()))
            .chain(AGE_BANDS);
        for value in categories {
            assert!(!value.contains(KEY_SEPARATOR), "{value}");
        }
    }
}
