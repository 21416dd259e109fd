//! Several nodes on one PostgreSQL behave as one: the registry's freshness, login
//! throttling and the statistics folder, each with two nodes. (Alert streams across nodes:
//! `alerts::a_hit_recorded_on_one_node_reaches_the_police_streaming_from_another`.)

use std::time::{Duration, Instant};

use diesel::prelude::*;
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN_PASSWORD, Backend, Node, minutes_ago, movement, spawn_app, spawn_app_on, test_database,
};

/// A POE's change made through node A is used by node B within a second: B had the registry
/// cached (its answer shows the old hours), and a movement it records a second after the
/// change is judged by the new ones.
#[actix_web::test]
async fn a_poe_change_on_one_node_is_seen_by_another_within_a_second() {
    let Some(a) = spawn_app(Backend::Postgres).await else {
        return;
    };
    let b = spawn_app_on(&a.database_url).await.expect("node B starts");
    let officer_on_b = b.user_token("mpho", &["immigration"], &["MSU"]).await;
    let admin_on_a = a.admin_token().await;

    // MSU is open round the clock: not outside hours, and B now holds the registry.
    let before = movement("n-1", "MSU", "entry", &minutes_ago(1), "N0000001");
    let r = b
        .post("/api/v1/movements", Some(&officer_on_b), &before)
        .await
        .expect(201);
    assert_eq!(r.body["outside_hours"], false, "{}", r.text);

    a.patch(
        "/api/v1/poes/MSU",
        Some(&admin_on_a),
        &serde_json::json!({"hours": {"regular": "closed"}}),
    )
    .await
    .expect(200);
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;

    let after = movement("n-2", "MSU", "exit", &minutes_ago(0), "N0000002");
    let r = b
        .post("/api/v1/movements", Some(&officer_on_b), &after)
        .await
        .expect(201);
    assert_eq!(
        r.body["outside_hours"], true,
        "B judges by A's change: {}",
        r.text
    );
}

/// Guesses spread over two nodes from one address are refused by both once they add up to
/// `auth.address_failure_limit`, although neither node alone has seen that many: the limit
/// is counted in the database, not only in each node's memory.
#[actix_web::test]
async fn failed_logins_spread_over_two_nodes_are_refused_by_both_at_the_limit() {
    let Some((_db, url)) = test_database(Backend::Postgres) else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary folder");
    let limit = [("CROSSINGS__AUTH__ADDRESS_FAILURE_LIMIT", "4")];
    let a = Node::start(&url, &dir.path().join("a.log"), &limit).await;
    let b = Node::start(&url, &dir.path().join("b.log"), &limit).await;
    // A right password is not a failure: it uses up nothing.
    a.token("admin", ADMIN_PASSWORD).await;

    // Four guesses, two on each node, each at another username (so no username's own
    // lockout is reached): each node has seen two, half its limit.
    for i in 0..4 {
        let node = if i % 2 == 0 { &a } else { &b };
        node.login(&format!("guess-{i}"), "not-the-password")
            .await
            .expect(401);
    }

    for (name, node) in [("A", &a), ("B", &b)] {
        let refused = node.login("guess-next", "not-the-password").await;
        assert_eq!(
            refused.status.as_u16(),
            429,
            "node {name}: {}",
            refused.text
        );
        assert_eq!(
            refused.body["detail"], "too many failed logins from this address",
            "node {name}"
        );
        let wait: u64 = refused
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("Retry-After");
        assert!((1..=300).contains(&wait), "node {name}: wait {wait}");
    }
    // Refused before the password is looked at: the right one too.
    b.login("admin", ADMIN_PASSWORD).await.expect(429);
}

/// Movements recorded through node A show in the statistics asked of node B, each counted
/// once, while both nodes run their folder (every 100 ms here) over the same pending
/// changes.
#[actix_web::test]
async fn statistics_asked_of_one_node_count_once_what_another_recorded() {
    let Some((_db, url)) = test_database(Backend::Postgres) else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary folder");
    let fold = [("CROSSINGS__STATS__FOLD_INTERVAL_MS", "100")];
    let a = Node::start(&url, &dir.path().join("a.log"), &fold).await;
    let b = Node::start(&url, &dir.path().join("b.log"), &fold).await;
    let admin = a.token("admin", ADMIN_PASSWORD).await;
    let officer = a
        .user_token(&admin, "officer", &["immigration"], &["MSU"])
        .await;
    let analyst = b.user_token(&admin, "hoba", &["analyst"], &[]).await;

    let at = "2026-03-03T08:00:00Z";
    let batch: Vec<Value> = (0..10)
        .map(|i| movement(&format!("f-{i}"), "MSU", "entry", at, &format!("F{i:07}")))
        .collect();
    let r = a
        .post(
            "/api/v1/movements/batch",
            Some(&officer),
            &json!({"movements": batch}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["rejected"], 0, "{}", r.text);
    for i in 10..12 {
        a.post(
            "/api/v1/movements",
            Some(&officer),
            &movement(&format!("f-{i}"), "MSU", "exit", at, &format!("F{i:07}")),
        )
        .await
        .expect(201);
    }

    // Wait until a folder (either node's) has folded every pending change.
    let deadline = Instant::now() + Duration::from_secs(15);
    while pending_changes(&url) > 0 {
        assert!(
            Instant::now() < deadline,
            "the pending changes were never folded; A's log:\n{}\nB's log:\n{}",
            a.log_text(),
            b.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let query = "/api/v1/stats/movements?from=2026-03-03&to=2026-03-04&group_by=direction";
    let by_direction = |answer: &Value, direction: &str| {
        answer["rows"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["direction"] == direction))
            .map(|r| r["count"].clone())
            .unwrap_or(Value::Null)
    };
    let on_b = b.get(query, Some(&analyst)).await.expect(200);
    assert_eq!(on_b.body["total"], 12, "{}", on_b.text);
    assert_eq!(by_direction(&on_b.body, "entry"), 10, "{}", on_b.text);
    assert_eq!(by_direction(&on_b.body, "exit"), 2, "{}", on_b.text);

    // Many more folds by both nodes count nothing again.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let again = b.get(query, Some(&analyst)).await.expect(200);
    assert_eq!(again.body["total"], 12, "{}", again.text);
    let analyst_on_a = a.token("hoba", crate::helpers::OFFICER_PASSWORD).await;
    let on_a = a.get(query, Some(&analyst_on_a)).await.expect(200);
    assert_eq!(
        on_a.body["rows"], again.body["rows"],
        "both nodes answer alike"
    );
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Changes to the statistics counters not folded yet.
fn pending_changes(url: &str) -> i64 {
    let mut conn = diesel::PgConnection::establish(url).expect("a connection");
    diesel::sql_query("SELECT count(*) AS n FROM movement_count_deltas")
        .get_result::<Count>(&mut conn)
        .expect("a count")
        .n
}
