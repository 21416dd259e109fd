//! Data protection over time: retention, holds, subject access, audited reads, and signed
//! checkpoints of the audit chain.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, minutes_ago, movement, spawn_app_with};
use crate::on_both_backends;
use crossings::domain::audit::Actor;
use crossings::service::retention::{self, RetentionReport};

/// A movement of `doc` with a date of birth and, optionally, a vehicle.
fn crossing(cei: &str, at: &str, direction: &str, doc: &str, dob: &str, car: bool) -> Value {
    let mut m = movement(cei, "MSU", direction, at, doc);
    m["traveller"]["date_of_birth"] = json!(dob);
    if car {
        m["mode"] = json!("private_vehicle");
        m["vehicle"] =
            json!({"registration": format!("REG {cei}"), "country": "ZAF", "category": "car"});
    }
    m
}

async fn record(app: &TestApp, token: &str, items: &[Value]) -> Vec<String> {
    let a = app
        .post(
            "/api/v1/movements/batch",
            Some(token),
            &json!({ "movements": items }),
        )
        .await
        .expect(200);
    a.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["status"], "created", "{r}");
            r["id"].as_str().unwrap().to_owned()
        })
        .collect()
}

async fn run_retention(app: &TestApp) -> RetentionReport {
    retention::run(
        &app.state.ctx,
        Actor::command_line(),
        crossings::domain::time::now(),
    )
    .await
    .expect("retention runs")
}

async fn audit_entries(app: &TestApp, query: &str) -> Vec<Value> {
    let admin = app.admin_token().await;
    app.get(&format!("/api/v1/audit?limit=500{query}"), Some(&admin))
        .await
        .expect(200)
        .body["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// Every statistics answer the tests compare, before and after an erasure.
async fn statistics(app: &TestApp, analyst: &str) -> Vec<Value> {
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(2)).date_naive();
    let queries = [
        format!("/api/v1/stats/movements?from=2019-01-01&to={tomorrow}&interval=month&group_by=poe,direction,nationality,sex,age_band,purpose,mode"),
        format!("/api/v1/stats/movements?from=2019-01-01&to={tomorrow}&interval=week&group_by=age_band"),
        // Hourly breakdowns by demography are counted from the movements themselves.
        "/api/v1/stats/movements?from=2020-06-15&to=2020-06-17&interval=hour&group_by=age_band,sex".to_owned(),
        // Part days are counted from the movements too (without demography: a breakdown by
        // nationality, sex or age band takes whole days only).
        "/api/v1/stats/movements?from=2020-06-15T08:00:00Z&to=2020-06-16T00:10:00Z&interval=day&group_by=poe,direction".to_owned(),
        "/api/v1/stats/summary?date=2020-06-15".to_owned(),
        "/api/v1/stats/citizen-flow?from=2019-01-01&to=2021-01-01&interval=month".to_owned(),
    ];
    let mut out = Vec::new();
    for q in queries {
        let mut body = app.get(&q, Some(analyst)).await.expect(200).body;
        // When the answer was read: not part of what it counts.
        if let Some(o) = body.as_object_mut() {
            o.remove("as_of");
        }
        out.push(body);
    }
    out
}

async fn erasure_keeps_statistics_exact(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| {
        s.stats.min_cell_count = 1;
        // Every dimension by month over years: far more possible cells than an analyst may ask.
        s.stats.max_cells = 1_000_000_000;
    })
    .await
    else {
        return;
    };
    let officer = app.user_token("officer", &["immigration"], &["*"]).await;
    let analyst = app.user_token("analyst", &["analyst"], &[]).await;
    // Six years ago: past retention. An adult with a car, a child, and one whose birthday
    // falls on the Lesotho date of the crossing but not on its UTC date.
    let old = record(
        &app,
        &officer,
        &[
            crossing(
                "old-1",
                "2020-06-15T08:30:00Z",
                "entry",
                "OLD1",
                "1988-03-14",
                true,
            ),
            crossing(
                "old-2",
                "2020-06-15T09:10:00Z",
                "entry",
                "OLD2",
                "2010-01-01",
                false,
            ),
            crossing(
                "old-3",
                "2020-06-15T23:30:00Z",
                "exit",
                "OLD3",
                "1995-06-16",
                false,
            ),
            crossing(
                "old-4",
                "2020-06-20T12:00:00Z",
                "exit",
                "OLD1",
                "1988-03-14",
                true,
            ),
        ],
    )
    .await;
    let recent = record(
        &app,
        &officer,
        &[crossing(
            "new-1",
            &minutes_ago(30),
            "entry",
            "NEW1",
            "1970-02-01",
            true,
        )],
    )
    .await;
    let before = statistics(&app, &analyst).await;

    let report = run_retention(&app).await;
    assert_eq!(report.erased, 4, "{report:?}");
    assert_eq!(report.examined, 4, "{report:?}");

    // Statistics are exactly as they were, the counters agree with a recount from the
    // erased movements, and nothing personal is left.
    assert_eq!(statistics(&app, &analyst).await, before);
    let differences = app
        .state
        .ctx
        .db
        .read(crossings::store::counts::check)
        .await
        .unwrap();
    assert!(differences.is_empty(), "{differences:?}");
    for id in &old {
        let m = app
            .get(&format!("/api/v1/movements/{id}"), Some(&officer))
            .await
            .expect(200);
        assert!(m.body["erased_at"].is_string(), "{}", m.text);
        assert_eq!(m.body["traveller"]["surname"], "");
        assert_eq!(m.body["traveller"]["given_names"], "");
        assert_eq!(m.body["traveller"]["document_number"], "");
        assert_eq!(m.body["vehicle"], Value::Null, "the registration is gone");
        assert_eq!(m.body["poe"], "MSU", "non-personal fields stay");
        assert_eq!(m.body["traveller"]["nationality"], "ZAF");
    }
    assert_eq!(app.count("movements WHERE payload_hash = 'erased' AND mrz IS NULL AND vehicle_registration IS NULL AND erased_at IS NOT NULL"), 4);
    // The recent movement is untouched.
    let kept = app
        .get(&format!("/api/v1/movements/{}", recent[0]), Some(&officer))
        .await
        .expect(200);
    assert_eq!(kept.body["traveller"]["document_number"], "NEW1");
    assert_eq!(kept.body["erased_at"], Value::Null);

    // No longer found by document, nor by name.
    let h = app
        .get(
            "/api/v1/travellers/history?issuing_state=ZAF&document_number=OLD1",
            Some(&officer),
        )
        .await
        .expect(200);
    assert_eq!(
        h.body["movements"].as_array().unwrap().len(),
        0,
        "{}",
        h.text
    );
    assert_eq!(
        app.count("movements WHERE surname = 'DLAMINI' AND erased_at IS NOT NULL"),
        0
    );
    assert_eq!(app.count("stays WHERE document_number = 'OLD1'"), 0);

    // Idempotent: a second run erases nothing; each run is audited with its counts.
    let again = run_retention(&app).await;
    assert_eq!(again.erased, 0, "{again:?}");
    let runs = audit_entries(&app, "&action=retention.run").await;
    assert_eq!(runs.len(), 2);
    assert!(
        runs[0]["object"].as_str().unwrap().contains("erased=4"),
        "{}",
        runs[0]
    );
    assert!(
        runs[1]["object"].as_str().unwrap().contains("erased=0"),
        "{}",
        runs[1]
    );
    let batches = audit_entries(&app, "&action=retention.erase").await;
    assert_eq!(batches.len(), 1);
}

#[actix_web::test]
async fn an_erasure_keeps_statistics_exact_sqlite() {
    erasure_keeps_statistics_exact(Backend::Sqlite).await;
}

#[actix_web::test]
async fn an_erasure_keeps_statistics_exact_postgres() {
    erasure_keeps_statistics_exact(Backend::Postgres).await;
}

on_both_backends! {
    async fn retention_runs_in_batches_and_keeps_recent_overstays(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["*"]).await;
        // Many old crossings, more than one batch.
        let items: Vec<Value> = (0..25)
            .map(|i| crossing(&format!("b-{i}"), &format!("2019-03-{:02}T10:00:00Z", i + 1), "exit", &format!("B{i}"), "1980-01-01", false))
            .collect();
        record(&app, &officer, &items).await;
        // An overstay that ended 4 years ago: an entry seven years ago, permitted for a
        // month, and the exit two years later.
        let mut entry = crossing("over-in", "2019-05-01T10:00:00Z", "entry", "OVER1", "1980-01-01", false);
        entry["permitted_until"] = json!("2019-06-01");
        record(&app, &officer, &[entry]).await;
        let exit_at = (chrono::Utc::now() - chrono::Duration::days(4 * 365)).to_rfc3339();
        record(&app, &officer, &[crossing("over-out", &exit_at, "exit", "OVER1", "1980-01-01", false)]).await;

        let mut ctx = app.state.ctx.clone();
        let mut settings = (*ctx.settings).clone();
        settings.retention.batch_size = 7;
        ctx.settings = std::sync::Arc::new(settings);
        let report = retention::run(&ctx, Actor::command_line(), crossings::domain::time::now()).await.unwrap();
        assert_eq!(report.erased, 25, "{report:?}");
        assert_eq!(report.kept_overstay, 1, "{report:?}");
        assert!(report.batches >= 4, "{report:?}");
        let h = app.get("/api/v1/travellers/history?issuing_state=ZAF&document_number=OVER1", Some(&officer)).await.expect(200);
        assert_eq!(h.body["movements"].as_array().unwrap().len(), 2, "{}", h.text);

        // The command line does the same, and finds nothing left to erase.
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_crossings"))
            .args(["retention", "run"])
            .env("DATABASE_URL", &app.database_url)
            .env("CROSSINGS_CONFIG_DIR", "/nonexistent")
            .env("CROSSINGS_BOOTSTRAP_ADMIN_PASSWORD", crate::helpers::ADMIN_PASSWORD)
            .env("RUST_LOG", "error")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(printed["erased"], 0, "{printed}");
        assert_eq!(printed["kept_overstay"], 1, "{printed}");
    }

    async fn a_hold_keeps_a_document_past_retention(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["*"]).await;
        let police = app.user_token("inspector", &["police"], &["*"]).await;
        record(&app, &officer, &[
            crossing("h-1", "2019-02-01T10:00:00Z", "entry", "HELD1", "1980-01-01", false),
            crossing("h-2", "2019-02-01T11:00:00Z", "entry", "FREE1", "1980-01-01", false),
        ]).await;
        let until = (chrono::Utc::now() + chrono::Duration::days(30)).date_naive().to_string();
        let hold = app.post("/api/v1/holds", Some(&police), &json!({"issuing_state": "zaf", "document_number": "held-1", "reason": "Inquiry MSU-CR-42/2026", "until": until})).await.expect(201);
        assert_eq!(hold.body["document_number"], "HELD1");
        assert_eq!(hold.body["in_force"], true);
        let id = hold.body["id"].as_str().unwrap().to_owned();

        let report = run_retention(&app).await;
        assert_eq!((report.erased, report.kept_held), (1, 1), "{report:?}");
        let h = app.get("/api/v1/travellers/history?issuing_state=ZAF&document_number=HELD1", Some(&officer)).await.expect(200);
        assert_eq!(h.body["movements"].as_array().unwrap().len(), 1, "the held record is kept");

        let list = app.get("/api/v1/holds", Some(&police)).await.expect(200);
        assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
        app.get("/api/v1/holds", Some(&officer)).await.expect(403);

        // Released, the document follows retention again.
        let released = app.delete(&format!("/api/v1/holds/{id}"), Some(&police)).await.expect(200);
        assert_eq!(released.body["in_force"], false);
        assert_eq!(released.body["released_by"], "inspector");
        app.delete(&format!("/api/v1/holds/{id}"), Some(&police)).await.expect(409);
        app.delete("/api/v1/holds/no-such-hold", Some(&police)).await.expect(404);
        assert_eq!(app.get("/api/v1/holds", Some(&police)).await.expect(200).body["items"].as_array().unwrap().len(), 0);
        let report = run_retention(&app).await;
        assert_eq!((report.erased, report.kept_held), (1, 0), "{report:?}");

        // Placing, listing and releasing are audited, the placing with its reason.
        let placed = audit_entries(&app, "&action=hold.place").await;
        assert!(placed.iter().any(|e| e["reason"] == "Inquiry MSU-CR-42/2026" && e["actor"] == "inspector"));
        assert!(placed.iter().any(|e| e["object"] == "document:ZAF/HELD1"));
        assert_eq!(audit_entries(&app, "&action=hold.release").await.len(), 1);
        assert!(!audit_entries(&app, "&action=hold.list").await.is_empty());

        // Bad holds change nothing and name their fields.
        let today = chrono::Utc::now().date_naive().to_string();
        let cases = [
            (json!({"issuing_state": "QQQ", "document_number": "A1", "reason": "Inquiry 1", "until": until}), "issuing_state"),
            (json!({"issuing_state": "ZAF", "document_number": "", "reason": "Inquiry 1", "until": until}), "document_number"),
            (json!({"issuing_state": "ZAF", "document_number": "A1", "reason": "why", "until": until}), "reason"),
            (json!({"issuing_state": "ZAF", "document_number": "A1", "reason": "Inquiry 1", "until": today}), "until"),
            (json!({"issuing_state": "ZAF", "document_number": "A1", "reason": "Inquiry 1", "until": "2027-02-30"}), "until"),
            (json!({"issuing_state": "ZAF", "document_number": "A1", "reason": "Inquiry 1"}), "until"),
        ];
        for (body, field) in cases {
            let a = app.post("/api/v1/holds", Some(&police), &body).await.expect(422);
            assert!(a.error_fields().contains(&field.to_owned()), "{body}: {}", a.text);
        }
        assert_eq!(app.count("holds"), 1);
    }

    async fn a_report_shows_a_police_read_with_its_reason(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["*"]).await;
        let police = app.user_token("inspector", &["police"], &["*"]).await;
        let lra = app.user_token("customs", &["lra"], &["*"]).await;
        let mut car = crossing("r-1", &minutes_ago(60), "entry", "R1", "1990-05-17", true);
        car["traveller"]["surname"] = json!("O'Brien");
        car["purpose"] = json!("visit");
        let ids = record(&app, &officer, &[car]).await;
        app.post(&format!("/api/v1/movements/{}/declarations", ids[0]), Some(&lra), &json!({"reference": "D-1", "goods": "tyres", "value": "100.00", "currency": "ZAR"})).await.expect(201);
        app.get("/api/v1/travellers/history?issuing_state=ZAF&document_number=R1&reason=case%2077%2F2026", Some(&police)).await.expect(200);

        let r = app.get("/api/v1/travellers/report?issuing_state=ZAF&document_number=R1&reason=SAR-2026-001", Some(&officer)).await.expect(200);
        assert_eq!(r.body["movements"].as_array().unwrap().len(), 1, "{}", r.text);
        assert_eq!(r.body["stays"].as_array().unwrap().len(), 1);
        assert_eq!(r.body["declarations"][0]["reference"], "D-1");
        let accesses = r.body["accesses"].as_array().unwrap();
        let police_read = accesses.iter().find(|a| a["action"] == "traveller.history.read").expect("the police read is listed");
        assert_eq!(police_read["actor"], "inspector");
        assert_eq!(police_read["roles"], "police");
        assert_eq!(police_read["reason"], "case 77/2026");
        assert!(accesses.iter().any(|a| a["action"] == "movement.record" && a["actor"] == "officer"));
        assert!(accesses.iter().any(|a| a["action"] == "declaration.create" && a["actor"] == "customs"));
        let own = accesses.iter().find(|a| a["action"] == "traveller.report.read").expect("the report lists itself");
        assert_eq!(own["reason"], "SAR-2026-001");

        // A printable page, by parameter or by Accept; every value escaped.
        let page = app.get("/api/v1/travellers/report?issuing_state=ZAF&document_number=R1&format=html", Some(&officer)).await.expect(200);
        assert!(page.headers["content-type"].to_str().unwrap().starts_with("text/html"));
        assert!(page.text.contains("case 77/2026") && page.text.contains("inspector"), "{}", page.text);
        assert!(page.text.contains("O&#39;BRIEN &lt;SCRIPT&gt;") || !page.text.contains("<script>"), "{}", page.text);
        assert!(!page.text.contains("<script"), "nothing unescaped");
        let by_accept = app.send(app.client.get(app.url("/api/v1/travellers/report?issuing_state=ZAF&document_number=R1")).bearer_auth(&officer).header("accept", "text/html")).await.expect(200);
        assert!(by_accept.text.starts_with("<!doctype html>"));

        // Audited: two reports, two entries.
        assert_eq!(audit_entries(&app, "&action=traveller.report.read").await.len(), 3);
        // Only immigration; bad input is 422.
        app.get("/api/v1/travellers/report?issuing_state=ZAF&document_number=R1", Some(&police)).await.expect(403);
        let bad = app.get("/api/v1/travellers/report?issuing_state=ZAF", Some(&officer)).await.expect(422);
        assert!(bad.error_fields().contains(&"document_number".to_owned()));
        app.get("/api/v1/travellers/report?issuing_state=ZAF&document_number=R1&format=pdf", Some(&officer)).await.expect(422);
    }

    async fn statistics_queries_and_audit_reads_are_audited(app: TestApp) {
        let analyst = app.user_token("analyst", &["analyst"], &[]).await;
        app.get("/api/v1/stats/movements?from=2026-01-01&to=2026-01-02&group_by=poe", Some(&analyst)).await.expect(200);
        app.get("/api/v1/stats/summary?date=2026-01-01", Some(&analyst)).await.expect(200);
        let admin = app.admin_token().await;
        app.get("/api/v1/audit/verify", Some(&admin)).await.expect(200);
        let stats = audit_entries(&app, "&action=stats.query").await;
        assert_eq!(stats.len(), 2, "{stats:?}");
        assert_eq!(stats[0]["actor"], "analyst");
        assert_eq!(stats[0]["object"], "/stats/movements?from=2026-01-01&to=2026-01-02&group_by=poe");
        assert_eq!(stats[1]["object"], "/stats/summary?date=2026-01-01");
        assert_eq!(audit_entries(&app, "&action=audit.verify").await.len(), 1);
        let reads = audit_entries(&app, "&action=audit.read").await;
        assert!(reads.iter().any(|e| e["object"].as_str().unwrap().contains("action=stats.query")), "{reads:?}");
        // A refused caller leaves no query entry.
        app.get("/api/v1/stats/summary?date=2026-01-01", None).await.expect(401);
        assert_eq!(audit_entries(&app, "&action=stats.query").await.len(), 2);
    }

    async fn the_database_allows_an_erasure_and_nothing_else(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["*"]).await;
        let ids = record(&app, &officer, &[crossing("t-1", "2020-06-15T08:30:00Z", "entry", "TRG1", "1988-03-14", true)]).await;
        let id = &ids[0];
        // Born 1988-03-14, crossing 2020-06-15: 32, band 25-34.
        let erase = |dob: &str, surname: &str| format!(
            "UPDATE movements SET surname = '{surname}', given_names = '', document_number = '', payload_hash = 'erased', \
             mrz = NULL, vehicle_registration = NULL, date_of_birth = '{dob}', erased_at = '2026-12-01 10:00:00' WHERE id = '{id}'");
        let refused = [
            (format!("UPDATE movements SET poe = 'MPB' WHERE id = '{id}'"), "another column"),
            (format!("DELETE FROM movements WHERE id = '{id}'"), "a delete"),
            (erase("1995-06-15", "DLAMINI"), "an erasure that keeps the name"),
            (erase("2000-01-01", ""), "an erasure that moves the age band"),
            (format!("UPDATE movements SET surname = '', given_names = '', document_number = '', payload_hash = 'erased', \
             mrz = NULL, vehicle_registration = NULL, nationality = 'LSO', erased_at = '2026-12-01 10:00:00' WHERE id = '{id}'"), "an erasure that changes the nationality"),
        ];
        for (sql, what) in &refused {
            assert!(app.try_sql(sql).is_err(), "{what} was allowed");
        }
        app.try_sql(&erase("1995-06-15", "")).expect("a proper erasure is allowed");
        assert!(app.try_sql(&erase("1995-06-15", "")).is_err(), "a second erasure is refused");
        assert!(app.try_sql(&format!("UPDATE movements SET erased_at = NULL WHERE id = '{id}'")).is_err(), "un-erasing is refused");
        assert!(app.try_sql(&format!("UPDATE movements SET surname = 'X' WHERE id = '{id}'")).is_err(), "writing a name back is refused");
        // A void still works on an erased movement.
        app.post(&format!("/api/v1/movements/{id}/void"), Some(&officer), &json!({"reason": "entered twice"})).await.expect(200);
    }

    async fn a_tail_cut_by_sql_is_caught_by_verify_with_the_key(app: TestApp) {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("audit").display().to_string();
        let files = dir.path().join("checkpoints");
        let cli = |args: &[&str]| {
            std::process::Command::new(env!("CARGO_BIN_EXE_crossings"))
                .args(args)
                .env("DATABASE_URL", &app.database_url)
                .env("CROSSINGS_CONFIG_DIR", "/nonexistent")
                .env("CROSSINGS__AUDIT__CHECKPOINT_KEY_PATH", format!("{prefix}.key"))
                .env("CROSSINGS__AUDIT__CHECKPOINT_DIR", files.display().to_string())
                .env("RUST_LOG", "error")
                .output()
                .unwrap()
        };
        assert!(cli(&["audit", "keygen", "--out", &prefix]).status.success());
        assert!(!cli(&["audit", "keygen", "--out", &prefix]).status.success(), "an existing key is not overwritten");
        let officer = app.user_token("officer", &["immigration"], &["*"]).await;
        for i in 0..3 {
            app.post("/api/v1/movements", Some(&officer), &movement(&format!("c-{i}"), "MSU", "exit", &minutes_ago(5 - i), &format!("C{i}"))).await.expect(201);
        }
        let signed = cli(&["audit", "checkpoint"]);
        assert!(signed.status.success(), "{}", String::from_utf8_lossy(&signed.stderr));
        let checkpoint: Value = serde_json::from_slice(&signed.stdout).unwrap();
        let covered = checkpoint["seq"].as_i64().unwrap();
        app.post("/api/v1/movements", Some(&officer), &movement("c-9", "MSU", "exit", &minutes_ago(1), "C9")).await.expect(201);
        let public = format!("{prefix}.pub");
        let ok = cli(&["audit", "verify", "--key", &public]);
        assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stdout));

        // Someone with the database cuts the tail, checkpointed entries included, and points
        // the head at the new end: the chain alone still verifies.
        let keep = covered - 2;
        app.tamper_audit(&format!(
            "DELETE FROM audit_log WHERE seq > {keep}; \
             UPDATE audit_head SET seq = {keep}, hash = (SELECT hash FROM audit_log WHERE seq = {keep})"
        ));
        assert!(cli(&["audit", "verify"]).status.success(), "the recomputed chain hides the cut");
        let caught = cli(&["audit", "verify", "--key", &public]);
        assert!(!caught.status.success());
        let report: Value = serde_json::from_slice(&caught.stdout).unwrap();
        assert_eq!(report["ok"], false);
        assert!(report["problems"].to_string().contains("missing"), "{report}");

        // Removing the checkpoints from the database does not help: the files remember.
        app.try_sql("DELETE FROM audit_checkpoints").unwrap();
        assert!(!cli(&["audit", "verify", "--key", &public]).status.success());
        // A checkpoint signed by another key is not trusted.
        let other = dir.path().join("other").display().to_string();
        assert!(cli(&["audit", "keygen", "--out", &other]).status.success());
        let forged = cli(&["audit", "verify", "--key", &format!("{other}.pub")]);
        assert!(String::from_utf8_lossy(&forged.stdout).contains("not signed by this key"));
    }
}

async fn the_service_signs_its_head_by_itself(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("audit").display().to_string();
    crossings::service::checkpoints::keygen(&prefix).unwrap();
    let files = dir.path().join("checkpoints");
    let key_path = format!("{prefix}.key");
    let files_path = files.display().to_string();
    let Some(app) = spawn_app_with(backend, move |s| {
        s.audit.checkpoint_key_path = key_path;
        s.audit.checkpoint_dir = files_path;
        s.audit.checkpoint_secs = 1;
    })
    .await
    else {
        return;
    };
    app.user_token("officer", &["immigration"], &["*"]).await;
    // The service writes the row, then the file: wait for both.
    let files_written = || std::fs::read_dir(&files).map_or(0, |d| d.count());
    let mut waited = 0;
    while (app.count("audit_checkpoints") == 0 || files_written() == 0) && waited < 100 {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
        waited += 1;
    }
    assert!(
        app.count("audit_checkpoints") >= 1,
        "no checkpoint within 10 s"
    );
    assert!(files_written() >= 1, "no checkpoint file within 10 s");
    let key = crossings::service::checkpoints::verifying_key(std::path::Path::new(&format!(
        "{prefix}.pub"
    )))
    .unwrap();
    let report = crossings::service::checkpoints::verify(&app.state.ctx.db, &key, Some(&files))
        .await
        .unwrap();
    assert!(report.ok, "{report:?}");
    assert!(report.covered_to.is_some(), "{report:?}");
}

#[actix_web::test]
async fn the_service_signs_its_head_by_itself_sqlite() {
    the_service_signs_its_head_by_itself(Backend::Sqlite).await;
}

#[actix_web::test]
async fn the_service_signs_its_head_by_itself_postgres() {
    the_service_signs_its_head_by_itself(Backend::Postgres).await;
}
