//! Several nodes on one PostgreSQL behave as one.

use crate::helpers::{Backend, minutes_ago, movement, spawn_app, spawn_app_on};

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
