//! What the dashboard needs of the statistics API: citizens' flow narrowed to posts, and CSV
//! that a spreadsheet user reads without help (a local date column, the post's name beside its
//! code, formulas neutralised).

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::on_both_backends;

async fn record(app: &TestApp, token: &str, items: Vec<Value>) {
    let r = app
        .post(
            "/api/v1/movements/batch",
            Some(token),
            &json!({"movements": items}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["rejected"], 0, "{}", r.text);
}

fn citizen(i: usize, poe: &str, direction: &str, at: &str, nationality: &str) -> Value {
    let mut m = crate::helpers::movement(&format!("d-{i}"), poe, direction, at, &format!("D{i}"));
    m["traveller"]["nationality"] = json!(nationality);
    m["traveller"]["issuing_state"] = json!(nationality);
    m
}

/// 8 Basotho entering at Maseru Bridge, 6 leaving at Maputsoe Bridge, 6 South Africans leaving
/// at Maputsoe Bridge, all on 3 March 2026 (local).
async fn arrange_flow(app: &TestApp) -> String {
    let officer = app.user_token("officer", &["immigration"], &["*"]).await;
    let mut items: Vec<Value> = (0..8)
        .map(|i| citizen(i, "MSU", "entry", "2026-03-03T08:00:00Z", "LSO"))
        .collect();
    items.extend((8..14).map(|i| citizen(i, "MPB", "exit", "2026-03-03T09:00:00Z", "LSO")));
    items.extend((14..20).map(|i| citizen(i, "MPB", "exit", "2026-03-03T09:00:00Z", "ZAF")));
    record(app, &officer, items).await;
    app.user_token("hoba", &["analyst"], &[]).await
}

on_both_backends! {
    async fn citizen_flow_can_be_narrowed_to_posts(app: TestApp) {
        let analyst = arrange_flow(&app).await;
        let flow = |poe: &str| format!("/api/v1/stats/citizen-flow?from=2026-03-01&to=2026-03-08&interval=day&poe={poe}");

        let msu = app.get(&flow("MSU"), Some(&analyst)).await.expect(200);
        assert_eq!(msu.body["poe"], json!(["MSU"]));
        assert_eq!(msu.body["rows"], json!([{"bucket": "2026-03-03T00:00:00+02:00", "entries": 8, "exits": 0, "net": 8}]));
        assert_eq!((msu.body["entries"].as_i64(), msu.body["exits"].as_i64(), msu.body["net"].as_i64()), (Some(8), Some(0), Some(8)));

        let both = app.get(&flow("MSU,MPB"), Some(&analyst)).await.expect(200);
        assert_eq!(both.body["rows"], json!([{"bucket": "2026-03-03T00:00:00+02:00", "entries": 8, "exits": 6, "net": 2}]));

        // A post without Basotho that week answers no rows, not an error.
        let quiet = app.get(&flow("SNP"), Some(&analyst)).await.expect(200);
        assert_eq!(quiet.body["rows"], json!([]));
        assert_eq!(quiet.body["net"], 0);

        // Without `poe`, every post, as before.
        let all = app.get("/api/v1/stats/citizen-flow?from=2026-03-01&to=2026-03-08&interval=day", Some(&analyst)).await.expect(200);
        assert_eq!(all.body["poe"], Value::Null);
        assert_eq!(all.body["net"], 2);

        // By the hour too (read from the movements, not the daily counters).
        let hourly = app.get("/api/v1/stats/citizen-flow?from=2026-03-03&to=2026-03-04&interval=hour&poe=MPB", Some(&analyst)).await.expect(200);
        assert_eq!(hourly.body["rows"], json!([{"bucket": "2026-03-03T11:00:00+02:00", "entries": 0, "exits": 6, "net": -6}]));
    }

    async fn a_bad_post_filter_on_citizen_flow_is_422_naming_poe(app: TestApp) {
        let analyst = app.user_token("hoba", &["analyst"], &[]).await;
        for (poe, why) in [("msu", "lower case"), ("MSUX", "four letters"), ("", "empty"), (",", "only a comma"), ("M%3DU", "not a letter")] {
            let a = app.get(&format!("/api/v1/stats/citizen-flow?from=2026-03-01&to=2026-03-08&poe={poe}"), Some(&analyst)).await;
            assert_eq!(a.status.as_u16(), 422, "{why}: {}", a.text);
            assert!(a.error_fields().iter().any(|f| f == "poe"), "{why}: {}", a.text);
            assert!(a.headers["content-type"].to_str().unwrap().starts_with("application/problem+json"), "{why}");
        }
    }

    async fn csv_has_a_local_date_and_each_posts_name_beside_its_code(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["*"]).await;
        let analyst = app.user_token("hoba", &["analyst"], &[]).await;
        // 23:30 UTC on 3 March is 01:30 on 4 March in Lesotho: the date column is the local one.
        record(&app, &officer, vec![
            citizen(1, "MSU", "entry", "2026-03-03T23:30:00Z", "ZAF"),
            citizen(2, "MSU", "entry", "2026-03-03T23:40:00Z", "ZAF"),
            citizen(3, "MPB", "exit", "2026-03-03T10:00:00Z", "ZAF"),
        ]).await;

        let day = app.get("/api/v1/stats/movements?from=2026-03-03&to=2026-03-05&interval=day&group_by=poe&format=csv", Some(&analyst)).await.expect(200);
        let lines: Vec<&str> = day.text.lines().collect();
        assert_eq!(lines, [
            "bucket,date,poe,poe_name,count",
            "2026-03-03T00:00:00+02:00,2026-03-03,MPB,Maputsoe Bridge,1",
            "2026-03-04T00:00:00+02:00,2026-03-04,MSU,Maseru Bridge,2",
        ], "{}", day.text);

        let hour = app.get("/api/v1/stats/movements?from=2026-03-04&to=2026-03-05&interval=hour&group_by=direction,poe&format=csv", Some(&analyst)).await.expect(200);
        let lines: Vec<&str> = hour.text.lines().collect();
        assert_eq!(lines, [
            "bucket,date,time,direction,poe,poe_name,count",
            "2026-03-04T01:00:00+02:00,2026-03-04,01:00,entry,MSU,Maseru Bridge,2",
        ], "{}", hour.text);

        // Without a breakdown by post, no name column.
        let plain = app.get("/api/v1/stats/movements?from=2026-03-01&to=2026-04-01&interval=month&format=csv", Some(&analyst)).await.expect(200);
        assert_eq!(plain.text.lines().collect::<Vec<_>>(), ["bucket,date,count", "2026-03-01T00:00:00+02:00,2026-03-01,3"]);

        // The JSON answer is unchanged: no date or name in it.
        let json = app.get("/api/v1/stats/movements?from=2026-03-03&to=2026-03-05&interval=day&group_by=poe", Some(&analyst)).await.expect(200);
        assert_eq!(json.body["rows"][0], json!({"bucket": "2026-03-03T00:00:00+02:00", "poe": "MPB", "count": 1}));
    }

    async fn citizen_flow_csv_has_a_local_date(app: TestApp) {
        let analyst = arrange_flow(&app).await;
        let day = app.get("/api/v1/stats/citizen-flow?from=2026-03-01&to=2026-03-08&poe=MSU,MPB&format=csv", Some(&analyst)).await.expect(200);
        assert_eq!(day.text.lines().collect::<Vec<_>>(), ["bucket,date,entries,exits,net", "2026-03-03T00:00:00+02:00,2026-03-03,8,6,2"], "{}", day.text);
        let hour = app.get("/api/v1/stats/citizen-flow?from=2026-03-03&to=2026-03-04&interval=hour&format=csv", Some(&analyst)).await.expect(200);
        assert_eq!(hour.text.lines().collect::<Vec<_>>(), [
            "bucket,date,time,entries,exits,net",
            "2026-03-03T10:00:00+02:00,2026-03-03,10:00,8,0,8",
            "2026-03-03T11:00:00+02:00,2026-03-03,11:00,0,6,-6",
        ], "{}", hour.text);
    }

    async fn a_posts_name_that_looks_like_a_formula_is_neutralised_in_csv(app: TestApp) {
        let admin = app.admin_token().await;
        app.patch("/api/v1/poes/SNP", Some(&admin), &json!({"name": "=HYPERLINK(\"http://x\",\"Sani\")"})).await.expect(200);
        let officer = app.user_token("officer", &["immigration"], &["*"]).await;
        let analyst = app.user_token("hoba", &["analyst"], &[]).await;
        record(&app, &officer, vec![citizen(1, "SNP", "entry", "2026-03-03T10:00:00Z", "ZAF")]).await;
        let csv = app.get("/api/v1/stats/movements?from=2026-03-03&to=2026-03-04&group_by=poe&format=csv", Some(&analyst)).await.expect(200);
        let row = csv.text.lines().nth(1).unwrap();
        assert_eq!(row, "2026-03-03T00:00:00+02:00,2026-03-03,SNP,\"'=HYPERLINK(\"\"http://x\"\",\"\"Sani\"\")\",1", "{}", csv.text);
    }
}
