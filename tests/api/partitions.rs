//! Movements partitioned by month on PostgreSQL (issue 21): where rows land, the partitions
//! the service makes ahead, idempotency across partitions, retention on partitioned rows, and
//! the migration that moves existing rows. SQLite keeps one table: nothing to test there.

use chrono::{Datelike, Months, NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, TestApp, empty_pg_database, minutes_ago, movement, spawn_app, spawn_app_on,
};
use crossings::domain::audit::Actor;
use crossings::service::partitions;
use crossings::service::retention;
use crossings::store::movements::PartitionMade;

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

/// The partition that holds movement `id`.
fn partition_of(app: &TestApp, id: &str) -> String {
    let mut conn = app.state.ctx.db.get().unwrap();
    diesel::sql_query(format!(
        "SELECT tableoid::regclass::text AS name FROM movements WHERE id = '{id}'"
    ))
    .get_result::<Name>(&mut *conn)
    .unwrap()
    .name
}

/// The partitions of `movements`, by name.
fn partitions_of(url: &str) -> Vec<String> {
    let mut conn = PgConnection::establish(url).unwrap();
    let mut names: Vec<String> = diesel::sql_query(
        "SELECT inhrelid::regclass::text AS name FROM pg_inherits
          WHERE inhparent = 'movements'::regclass",
    )
    .load::<Name>(&mut conn)
    .unwrap()
    .into_iter()
    .map(|n| n.name)
    .collect();
    names.sort();
    names
}

fn month_name(first: NaiveDate) -> String {
    format!("movements_{}", first.format("%Y_%m"))
}

/// This UTC month and the three after it, as partition names.
fn months_ahead_now() -> Vec<String> {
    let today = Utc::now().date_naive();
    let first = today.with_day(1).unwrap();
    (0..=partitions::MONTHS_AHEAD)
        .map(|n| month_name(first.checked_add_months(Months::new(n)).unwrap()))
        .collect()
}

fn at(date: &str) -> chrono::NaiveDateTime {
    NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
}

async fn record_one(app: &TestApp, token: &str, m: &Value) -> String {
    let a = app
        .post(
            "/api/v1/movements/batch",
            Some(token),
            &json!({ "movements": [m] }),
        )
        .await
        .expect(200);
    assert_eq!(a.body["results"][0]["status"], "created", "{}", a.text);
    a.body["results"][0]["id"].as_str().unwrap().to_owned()
}

/// A movement of this month lands in this month's partition; one of a month that has a
/// partition of its own (made ahead for that month) in that one; one of a month without (far
/// in the past) in the DEFAULT partition, and is still recorded, read and found.
#[actix_web::test]
async fn movements_of_different_months_land_in_different_partitions() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        return;
    };
    let officer = app.user_token("officer", &["immigration"], &["*"]).await;
    // Partitions for April to July 2019, as the service would have made them then.
    let made = partitions::make_ahead(&app.state.ctx.db, at("2019-04-15")).unwrap();
    assert_eq!(made.len(), 4);
    assert!(
        made.iter().all(|(_, m)| *m == PartitionMade::Created),
        "{made:?}"
    );

    let now = record_one(
        &app,
        &officer,
        &movement("p-1", "MSU", "entry", &minutes_ago(5), "P1"),
    )
    .await;
    let april = record_one(
        &app,
        &officer,
        &movement("p-2", "MSU", "entry", "2019-04-10T08:00:00Z", "P2"),
    )
    .await;
    let march = record_one(
        &app,
        &officer,
        &movement("p-3", "MSU", "entry", "2019-03-10T08:00:00Z", "P3"),
    )
    .await;

    assert_eq!(partition_of(&app, &now), months_ahead_now()[0]);
    assert_eq!(partition_of(&app, &april), "movements_2019_04");
    assert_eq!(partition_of(&app, &march), "movements_default");
    // March 2019 has rows in the DEFAULT partition: its partition is not made (they would have
    // to move), and saying so is all the function does.
    let mut conn = app.state.ctx.db.get().unwrap();
    let march_made = crossings::store::movements::make_partition(
        &mut conn,
        NaiveDate::from_ymd_opt(2019, 3, 1).unwrap(),
    )
    .unwrap();
    drop(conn);
    assert_eq!(march_made, Some(PartitionMade::InDefault));
    assert_eq!(partition_of(&app, &march), "movements_default");

    // Each is read by id, wherever it lies.
    for id in [&now, &april, &march] {
        let r = app
            .get(&format!("/api/v1/movements/{id}"), Some(&officer))
            .await
            .expect(200);
        assert_eq!(r.body["id"], id.as_str());
    }
}

/// The service makes this month's partition and the next three's at start: a partition that
/// is missing (dropped here) is there again once a node has started.
#[actix_web::test]
async fn the_service_makes_the_partitions_ahead() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        return;
    };
    let ahead = months_ahead_now();
    let present = partitions_of(&app.database_url);
    for name in &ahead {
        assert!(present.contains(name), "{name} missing from {present:?}");
    }
    assert!(
        present.contains(&"movements_default".to_owned()),
        "{present:?}"
    );

    let last = ahead.last().unwrap();
    app.try_sql(&format!("DROP TABLE {last}")).unwrap();
    assert!(!partitions_of(&app.database_url).contains(last));

    let _second = spawn_app_on(&app.database_url)
        .await
        .expect("a second node starts");
    assert!(
        partitions_of(&app.database_url).contains(last),
        "{last} made again at start"
    );
}

/// A key used in one month and sent again with the crossing moved to another month (so the
/// new row would land in another partition) is still the same key: a 409 for a single post, a
/// rejected item in a batch, and nothing recorded; the original replays as before.
#[actix_web::test]
async fn a_replay_moved_to_another_month_is_still_a_conflict() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        return;
    };
    let officer = app.user_token("officer", &["immigration"], &["MSU"]).await;
    let original = movement("x-1", "MSU", "entry", &minutes_ago(5), "X1");
    let first = app
        .post("/api/v1/movements", Some(&officer), &original)
        .await
        .expect(201);

    let moved = movement("x-1", "MSU", "entry", "2019-03-10T08:00:00Z", "X1");
    app.post("/api/v1/movements", Some(&officer), &moved)
        .await
        .expect(409);
    let batch = app
        .post(
            "/api/v1/movements/batch",
            Some(&officer),
            &json!({ "movements": [moved] }),
        )
        .await
        .expect(200);
    assert_eq!(
        batch.body["results"][0]["status"], "rejected",
        "{}",
        batch.text
    );
    assert_eq!(
        batch.body["results"][0]["errors"][0]["field"],
        "client_event_id"
    );

    let replay = app
        .post("/api/v1/movements", Some(&officer), &original)
        .await
        .expect(200);
    assert_eq!(replay.body["id"], first.body["id"]);
    assert_eq!(app.count("movements"), 1);
    assert_eq!(app.count("movement_keys"), 1);
}

/// The same key sent at once from many connections, half with the crossing in this month and
/// half in 2019 (two partitions): one movement is recorded; the others are duplicates of it or
/// conflicts with it. The race is settled by the key table's unique index, and the losers are
/// recorded again (the `StoreError::Conflict` path) and find the winner.
#[actix_web::test]
async fn concurrent_first_sends_of_one_key_in_two_months_record_one_movement() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        return;
    };
    let gate = app.system_token("MPB").await;
    let now = movement("race-1", "MPB", "exit", &minutes_ago(1), "R1");
    let old = movement("race-1", "MPB", "exit", "2019-03-10T08:00:00Z", "R1");
    let bodies: Vec<Value> = (0..10)
        .map(|i| json!({ "movements": [if i % 2 == 0 { &now } else { &old }] }))
        .collect();
    let sends = bodies
        .iter()
        .map(|b| app.post("/api/v1/movements/batch", Some(&gate), b));
    let answers = futures_util::future::join_all(sends).await;
    let mut created = 0;
    let mut ids = std::collections::HashSet::new();
    for a in &answers {
        assert_eq!(a.status, 200, "{}", a.text);
        let r = &a.body["results"][0];
        match r["status"].as_str().unwrap() {
            "created" => created += 1,
            "duplicate" => {}
            "rejected" => assert_eq!(r["errors"][0]["field"], "client_event_id", "{r}"),
            other => panic!("unexpected {other}: {r}"),
        }
        if let Some(id) = r["id"].as_str() {
            ids.insert(id.to_owned());
        }
    }
    assert_eq!(created, 1, "{answers:?}");
    assert_eq!(ids.len(), 1, "every answer names the one movement: {ids:?}");
    assert_eq!(app.count("movements"), 1);
    assert_eq!(app.count("movement_keys"), 1);
}

/// Retention erases old movements wherever they lie (a month's partition or the DEFAULT one),
/// and the append-only trigger still guards every partition.
#[actix_web::test]
async fn retention_erases_partitioned_rows() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        return;
    };
    let officer = app.user_token("officer", &["immigration"], &["*"]).await;
    partitions::make_ahead(&app.state.ctx.db, at("2019-04-15")).unwrap();
    let april = record_one(
        &app,
        &officer,
        &movement("r-1", "MSU", "exit", "2019-04-10T08:00:00Z", "RET1"),
    )
    .await;
    let march = record_one(
        &app,
        &officer,
        &movement("r-2", "MSU", "exit", "2019-03-10T08:00:00Z", "RET2"),
    )
    .await;
    let recent = record_one(
        &app,
        &officer,
        &movement("r-3", "MSU", "exit", &minutes_ago(5), "RET3"),
    )
    .await;
    assert_eq!(partition_of(&app, &april), "movements_2019_04");
    assert_eq!(partition_of(&app, &march), "movements_default");

    let report = retention::run(
        &app.state.ctx,
        Actor::command_line(),
        crossings::domain::time::now(),
    )
    .await
    .unwrap();
    assert_eq!(report.erased, 2, "{report:?}");
    for id in [&april, &march] {
        assert_eq!(
            app.count(&format!(
                "movements WHERE id = '{id}' AND erased_at IS NOT NULL AND surname = '' AND document_number = ''"
            )),
            1,
            "{id} erased"
        );
    }
    assert_eq!(
        app.count(&format!(
            "movements WHERE id = '{recent}' AND erased_at IS NULL"
        )),
        1
    );

    // Straight on a partition, the guard holds as on the parent.
    for sql in [
        format!("DELETE FROM movements_2019_04 WHERE id = '{april}'"),
        format!("UPDATE movements_default SET poe = 'MPB' WHERE id = '{march}'"),
        "TRUNCATE movements_2019_04".to_owned(),
        "TRUNCATE movements_default".to_owned(),
        "DELETE FROM movement_keys".to_owned(),
    ] {
        assert!(app.try_sql(&sql).is_err(), "{sql} was allowed");
    }
    assert_eq!(app.count("movements"), 3);
}

/// The migration moves the movements of a database migrated up to the one before it: every
/// row into its month's partition, its keys into `movement_keys`, the stays and declarations
/// that point at it still pointing at it; and a server started on it reads them as before.
#[actix_web::test]
async fn the_migration_moves_existing_movements_into_partitions() {
    use diesel::migration::MigrationSource;
    use diesel_migrations::MigrationHarness;
    const POSTGRES: diesel_migrations::EmbeddedMigrations =
        diesel_migrations::embed_migrations!("migrations/postgres");
    let Some((_guard, url)) = empty_pg_database() else {
        return;
    };
    let mut conn = PgConnection::establish(&url).unwrap();
    // What diesel's harness makes before it runs pending migrations.
    diesel::sql_query(
        "CREATE TABLE __diesel_schema_migrations (
             version VARCHAR(50) PRIMARY KEY NOT NULL,
             run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
    )
    .execute(&mut conn)
    .unwrap();
    let all = MigrationSource::<diesel::pg::Pg>::migrations(&POSTGRES).unwrap();
    for m in &all {
        if m.name().to_string().as_str() >= "2026-12-06-000022" {
            break;
        }
        conn.run_migration(m.as_ref()).unwrap();
    }
    assert!(
        partitions_of_or_none(&mut conn),
        "not partitioned before the migration"
    );

    // Three crossings of one document in three months, a stay opened and closed by two of
    // them, and a declaration on one.
    diesel::sql_query(
        "INSERT INTO poes VALUES ('MSU', 'Maseru Bridge', 'Maseru', 'land', 'Ficksburg', false,
                                  '{\"regular\": \"24h\"}', now())",
    )
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query(
        "INSERT INTO movements (id, principal, client_event_id, payload_hash, poe, direction,
             occurred_at, recorded_at, recorded_by, mode, purpose, document_type, document_number,
             issuing_state, nationality, surname, given_names, date_of_birth, sex,
             sequence_anomaly, outside_hours, late)
         VALUES
         ('m-1', 'user:u', 'k-1', 'h1', 'MSU', 'entry', '2026-09-10 08:00', now(), 'officer',
          'pedestrian', 'visit', 'passport', 'MIG1', 'ZAF', 'ZAF', 'DLAMINI', 'SIPHO',
          '1988-03-14', 'M', false, false, false),
         ('m-2', 'user:u', 'k-2', 'h2', 'MSU', 'exit', '2026-10-02 08:00', now(), 'officer',
          'pedestrian', 'visit', 'passport', 'MIG1', 'ZAF', 'ZAF', 'DLAMINI', 'SIPHO',
          '1988-03-14', 'M', false, false, false),
         ('m-3', 'user:u', 'k-3', 'h3', 'MSU', 'entry', '2026-11-20 08:00', now(), 'officer',
          'pedestrian', 'visit', 'passport', 'MIG1', 'ZAF', 'ZAF', 'DLAMINI', 'SIPHO',
          '1988-03-14', 'M', false, false, false)",
    )
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query(
        "INSERT INTO stays (opening_id, kind, issuing_state, document_number, nationality,
             opened_at, opened_poe, closing_id, closed_at, closed_on, closed_poe)
         VALUES ('m-1', 'visit', 'ZAF', 'MIG1', 'ZAF', '2026-09-10 08:00', 'MSU', 'm-2',
                 '2026-10-02 08:00', '2026-10-02', 'MSU')",
    )
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query(
        "INSERT INTO declarations VALUES ('d-1', 'm-3', 'REF', 'goods', '10', 'ZAR', now(), 'officer')",
    )
    .execute(&mut conn)
    .unwrap();
    drop(conn);

    let app = spawn_app_on(&url)
        .await
        .expect("the server starts and migrates");
    assert_eq!(app.count("movements"), 3);
    assert_eq!(app.count("movement_keys"), 3);
    for (id, partition) in [
        ("m-1", "movements_2026_09"),
        ("m-2", "movements_2026_10"),
        ("m-3", "movements_2026_11"),
    ] {
        assert_eq!(partition_of(&app, id), partition);
    }
    assert_eq!(app.count("movements_default"), 0);
    // The keys stay unique across partitions: the same key again is refused by the database.
    let again = app
        .try_sql("INSERT INTO movement_keys VALUES ('user:u', 'k-1', 'm-9', '2019-01-01 00:00')");
    assert!(again.unwrap_err().contains("movement_keys_idempotency"));
    // The stay and the declaration still point at movements that exist.
    assert!(
        app.try_sql(
            "INSERT INTO declarations VALUES ('d-2', 'nope', 'R', 'g', '1', 'ZAR', now(), 'x')"
        )
        .is_err()
    );

    let officer = app.user_token("officer", &["immigration"], &["*"]).await;
    let h = app
        .get(
            "/api/v1/travellers/history?issuing_state=ZAF&document_number=MIG1",
            Some(&officer),
        )
        .await
        .expect(200);
    let ids: Vec<&str> = h.body["movements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["m-1", "m-2", "m-3"], "{}", h.text);
}

/// Whether `movements` is a plain table (before the migration).
fn partitions_of_or_none(conn: &mut PgConnection) -> bool {
    #[derive(QueryableByName)]
    struct Kind {
        #[diesel(sql_type = diesel::sql_types::Text)]
        kind: String,
    }
    diesel::sql_query("SELECT relkind::text AS kind FROM pg_class WHERE relname = 'movements'")
        .get_result::<Kind>(conn)
        .unwrap()
        .kind
        == "r"
}
