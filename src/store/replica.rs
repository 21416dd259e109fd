//! How fresh the data on a connection is: a streaming replica replays the primary's commits
//! some time after they were made.

use chrono::NaiveDateTime;
use diesel::RunQueryDsl;
use diesel::sql_types::{Bool, Double, Nullable, Timestamp};

use super::{DbConnection, StoreResult};

#[derive(diesel::QueryableByName)]
struct AsOfRow {
    #[diesel(sql_type = Nullable<Timestamp>)]
    as_of: Option<NaiveDateTime>,
}

/// The instant (UTC) that what this connection reads is at least as fresh as: on a streaming
/// replica, the commit time of the last transaction it replayed (`None` before its first);
/// on a primary, and on SQLite, now. Read it before the data: replay only moves forward.
pub fn as_of(conn: &mut DbConnection) -> StoreResult<Option<NaiveDateTime>> {
    match conn {
        DbConnection::Pg(c) => Ok(diesel::sql_query(
            "SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_xact_replay_timestamp() \
                     ELSE now() END) AT TIME ZONE 'UTC' AS as_of",
        )
        .get_result::<AsOfRow>(c)?
        .as_of),
        DbConnection::Sqlite(_) => Ok(Some(chrono::Utc::now().naive_utc())),
    }
}

/// What a server says of itself as a replica.
#[derive(Debug, Clone, Copy, PartialEq, diesel::QueryableByName)]
pub struct ReplicaLag {
    /// Whether it is a standby replaying a primary's WAL (false: a primary, misconfigured as
    /// a replica).
    #[diesel(sql_type = Bool)]
    pub in_recovery: bool,
    /// Seconds behind: 0 when it has replayed all it received, else the age of the last
    /// commit it replayed; `None` on a primary, or before its first replayed commit.
    #[diesel(sql_type = Nullable<Double>)]
    pub lag_secs: Option<f64>,
}

/// The replica's lag (PostgreSQL; SQLite is never a replica).
pub fn lag(conn: &mut DbConnection) -> StoreResult<ReplicaLag> {
    match conn {
        DbConnection::Pg(c) => Ok(diesel::sql_query(
            "SELECT pg_is_in_recovery() AS in_recovery,
                    CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0::float8
                         ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8
                    END AS lag_secs",
        )
        .get_result::<ReplicaLag>(c)?),
        DbConnection::Sqlite(_) => Ok(ReplicaLag {
            in_recovery: false,
            lag_secs: None,
        }),
    }
}
