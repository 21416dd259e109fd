//! Alerts that reach the police in seconds (issue 18): rich hits, the officer's instruction,
//! acknowledgements with an outcome, tolerant person matching, the traveller search, and the
//! live stream of hits (Server-Sent Events) on one node and across two.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{
    ADMIN_PASSWORD, Backend, INITIAL_PASSWORD, OFFICER_PASSWORD, TestApp, minutes_ago, movement,
    spawn_app_with, test_database,
};
use crate::on_both_backends;

/// One Server-Sent Event (or comment) as a client reads it.
#[derive(Debug, Default, Clone)]
struct Event {
    id: Option<i64>,
    event: Option<String>,
    data: Value,
    comment: Option<String>,
}

/// A real streaming client: reads the response chunk by chunk as it arrives.
struct Sse {
    res: reqwest::Response,
    buf: String,
}

impl Sse {
    async fn connect(base: &str, token: &str, last_event_id: Option<i64>) -> Sse {
        let client = reqwest::Client::new();
        let mut req = client
            .get(format!("{base}/api/v1/alert-hits/stream"))
            .bearer_auth(token);
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id.to_string());
        }
        let res = req.send().await.expect("stream opens");
        assert_eq!(res.status(), 200, "the stream opens");
        assert_eq!(
            res.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Sse {
            res,
            buf: String::new(),
        }
    }

    /// The next block (event or comment), waiting at most `within`.
    async fn next(&mut self, within: Duration) -> Option<Event> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut e = Event::default();
                for line in block.lines() {
                    if let Some(c) = line.strip_prefix(':') {
                        e.comment = Some(c.trim().to_owned());
                    } else if let Some(v) = line.strip_prefix("id: ") {
                        e.id = v.parse().ok();
                    } else if let Some(v) = line.strip_prefix("event: ") {
                        e.event = Some(v.to_owned());
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        e.data = serde_json::from_str(v).expect("data is JSON");
                    }
                }
                return Some(e);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            match tokio::time::timeout(left, self.res.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }

    /// The next hit event, skipping comments, waiting at most `within`.
    async fn next_hit(&mut self, within: Duration) -> Option<Event> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let e = self.next(left).await?;
            if e.event.as_deref() == Some("hit") {
                return Some(e);
            }
        }
    }
}

async fn police_and_officer(app: &TestApp) -> (String, String) {
    (
        app.user_token("police", &["police"], &["MSU"]).await,
        app.user_token("officer", &["immigration"], &["MSU"]).await,
    )
}

async fn document_alert(app: &TestApp, police: &str, doc: &str, action: &str) -> String {
    app.post(
        "/api/v1/watchlist",
        Some(police),
        &json!({
            "issuing_state": "ZAF", "document_number": doc, "category": "wanted",
            "action": action, "reason": "Warrant 77/2026, armed robbery in Mafeteng"
        }),
    )
    .await
    .expect(201)
    .body["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

on_both_backends! {
    async fn a_hit_carries_what_the_police_need_and_its_movement_is_theirs_to_read(app: TestApp) {
        let (police, officer) = police_and_officer(&app).await;
        let alert_id = document_alert(&app, &police, "RICH1", "refer_to_police").await;
        let mut m = movement("r-1", "MSU", "exit", &minutes_ago(4), "RICH1");
        m["mode"] = json!("private_vehicle");
        m["vehicle"] = json!({"registration": "ab 123 cd", "country": "ZAF", "category": "car"});
        let recorded = app.post("/api/v1/movements", Some(&officer), &m).await.expect(201);
        let alert = &recorded.body["alert"];
        assert_eq!(alert["action"], "refer_to_police");
        assert_eq!(alert["category"], "wanted");
        assert!(alert["instruction"].as_str().unwrap().contains("call the police"));
        assert!(!recorded.text.contains("Mafeteng"), "the police's reason stays with the police");

        let hits = app.get("/api/v1/alert-hits", Some(&police)).await.expect(200);
        let hit = hits.body["items"][0].clone();
        assert_eq!(hit["id"], alert["hit_id"]);
        assert_eq!(hit["alert_id"], alert_id.as_str());
        assert_eq!(hit["movement_id"], recorded.body["id"]);
        assert_eq!(hit["category"], "wanted");
        assert_eq!(hit["action"], "refer_to_police");
        assert_eq!(hit["matched_by"], "document");
        assert_eq!(hit["poe"], "MSU");
        assert_eq!(hit["direction"], "exit");
        assert!(hit["occurred_at"].is_string());
        assert_eq!(hit["traveller"]["document_number"], "RICH1");
        assert_eq!(hit["traveller"]["issuing_state"], "ZAF");
        assert_eq!(hit["traveller"]["surname"], "DLAMINI");
        assert_eq!(hit["traveller"]["given_names"], "SIPHO");
        assert_eq!(hit["traveller"]["date_of_birth"], "1988-03-14");
        assert_eq!(hit["vehicle"]["registration"], "AB123CD");
        assert!(hit["acknowledgement"].is_null());
        assert!(hit["seq"].as_i64().unwrap() > 0);

        // The police read the movement of the hit; the read is audited.
        let movement_id = recorded.body["id"].as_str().unwrap();
        let read = app.get(&format!("/api/v1/movements/{movement_id}"), Some(&police)).await.expect(200);
        assert_eq!(read.body["traveller"]["document_number"], "RICH1");
        // Not a movement without a hit.
        let clean = app.post("/api/v1/movements", Some(&officer), &movement("r-2", "MSU", "exit", &minutes_ago(4), "CLEAN1")).await.expect(201);
        app.get(&format!("/api/v1/movements/{}", clean.body["id"].as_str().unwrap()), Some(&police)).await.expect(404);
        let admin = app.admin_token().await;
        let audit = app.get("/api/v1/audit?action=movement.read", Some(&admin)).await.expect(200);
        assert!(audit.body["items"].as_array().unwrap().iter().any(|e| e["object"] == format!("movement:{movement_id}") && e["actor"] == "police"), "{}", audit.text);

        // Acknowledged with an outcome and a note.
        let hit_id = hit["id"].as_str().unwrap();
        let ack = app.post(&format!("/api/v1/alert-hits/{hit_id}/acknowledge"), Some(&police), &json!({"outcome": "intercepted", "note": "Held at the desk; handed to CID"})).await.expect(200);
        assert_eq!(ack.body["acknowledgement"]["outcome"], "intercepted");
        assert_eq!(ack.body["acknowledgement"]["note"], "Held at the desk; handed to CID");
        assert_eq!(ack.body["acknowledgement"]["by"], "police");
        let listed = app.get("/api/v1/alert-hits", Some(&police)).await.expect(200);
        assert_eq!(listed.body["items"][0]["acknowledgement"]["outcome"], "intercepted");
        let bad = app.post(&format!("/api/v1/alert-hits/{hit_id}/acknowledge"), Some(&police), &json!({"outcome": "shot", "note": "x"})).await.expect(422);
        assert_eq!(bad.error_fields(), ["outcome"]);
        let long = app.post(&format!("/api/v1/alert-hits/{hit_id}/acknowledge"), Some(&police), &json!({"outcome": "other", "note": "x".repeat(1001)})).await.expect(422);
        assert_eq!(long.error_fields(), ["note"]);
        let audit = app.get("/api/v1/audit?action=alert_hit.acknowledge", Some(&admin)).await.expect(200);
        assert_eq!(audit.body["items"][0]["reason"], "outcome: intercepted");
    }

    async fn lra_never_sees_an_alert(app: TestApp) {
        let (police, officer) = police_and_officer(&app).await;
        let lra = app.user_token("customs", &["lra"], &["MSU"]).await;
        document_alert(&app, &police, "LRA1", "secondary_inspection").await;
        let mut m = movement("l-1", "MSU", "entry", &minutes_ago(4), "LRA1");
        m["mode"] = json!("truck");
        m["vehicle"] = json!({"registration": "TRK1", "country": "ZAF", "category": "truck"});
        let recorded = app.post("/api/v1/movements", Some(&officer), &m).await.expect(201);
        assert!(recorded.body["alert"].is_object());
        let id = recorded.body["id"].as_str().unwrap();
        let one = app.get(&format!("/api/v1/movements/{id}"), Some(&lra)).await.expect(200);
        assert!(one.body.get("alert").is_none(), "{}", one.text);
        let list = app.get("/api/v1/movements?poe=MSU", Some(&lra)).await.expect(200);
        assert!(!list.text.contains("\"alert\""), "{}", list.text);
        // Immigration sees it when reading and listing.
        let seen = app.get(&format!("/api/v1/movements/{id}"), Some(&officer)).await.expect(200);
        assert_eq!(seen.body["alert"]["hit_id"], recorded.body["alert"]["hit_id"]);
        let listed = app.get("/api/v1/movements?poe=MSU", Some(&officer)).await.expect(200);
        assert_eq!(listed.body["items"][0]["alert"]["action"], "secondary_inspection");
        // A replay answers the same alert.
        let replay = app.post("/api/v1/movements", Some(&officer), &m).await.expect(200);
        assert_eq!(replay.body["alert"], recorded.body["alert"]);
    }

    async fn person_alerts_match_tolerantly_and_need_a_date_of_birth(app: TestApp) {
        let (police, officer) = police_and_officer(&app).await;
        app.post("/api/v1/watchlist", Some(&police), &json!({
            "surname": "MOFOKENG", "given_names": "TEBOHO", "date_of_birth": "1979-06-01",
            "category": "wanted", "action": "refer_to_police", "reason": "Warrant 5/2026"
        })).await.expect(201);
        app.post("/api/v1/watchlist", Some(&police), &json!({
            "surname": "Ntšekhe", "date_of_birth": "1985-02-03",
            "category": "missing_person", "action": "notify_only", "reason": "Reported missing"
        })).await.expect(201);
        let person = |cei: &str, doc: &str, surname: &str, given: &str, dob: &str| {
            let mut m = movement(cei, "MSU", "entry", &minutes_ago(3), doc);
            m["traveller"]["surname"] = json!(surname);
            m["traveller"]["given_names"] = json!(given);
            m["traveller"]["date_of_birth"] = json!(dob);
            m
        };
        let batch = app.post("/api/v1/movements/batch", Some(&officer), &json!({"movements": [
            person("t-1", "T1", "MO-FOKENG", "TEBOHO PAUL", "1979-06-01"),
            person("t-2", "T2", "mofokeng", "paul  teboho", "1979-06-01"),
            person("t-3", "T3", "MOFOKENG", "PAUL", "1979-06-01"),
            person("t-4", "T4", "MOFOKENG", "TEBOHO", "1979-06-02"),
            person("t-5", "T5", "NTSEKHE", "MPHO", "1985-02-03"),
            person("t-6", "T6", "Nt'sekhe", "", "1985-02-03"),
        ]})).await.expect(200);
        let actions: Vec<Value> = batch.body["results"].as_array().unwrap().iter().map(|r| r["alert"]["action"].clone()).collect();
        assert_eq!(actions, [json!("refer_to_police"), json!("refer_to_police"), Value::Null, Value::Null, json!("notify_only"), json!("notify_only")]);
        let hits = app.get("/api/v1/alert-hits", Some(&police)).await.expect(200);
        assert!(hits.body["items"].as_array().unwrap().iter().all(|h| h["matched_by"] == "person"));
        assert_eq!(hits.body["items"].as_array().unwrap().len(), 4);

        let refused = app.post("/api/v1/watchlist", Some(&police), &json!({
            "surname": "MOFOKENG", "given_names": "TEBOHO",
            "category": "wanted", "action": "refer_to_police", "reason": "No birth date known"
        })).await.expect(422);
        assert_eq!(refused.error_fields(), ["date_of_birth"]);
    }

    async fn travellers_are_found_by_document_or_by_name_with_a_reason_in_the_body(app: TestApp) {
        let (police, officer) = police_and_officer(&app).await;
        let person = |cei: &str, doc: &str, state: &str, surname: &str, given: &str| {
            let mut m = movement(cei, "MSU", "entry", &minutes_ago(30), doc);
            m["traveller"]["issuing_state"] = json!(state);
            m["traveller"]["nationality"] = json!(state);
            m["traveller"]["surname"] = json!(surname);
            m["traveller"]["given_names"] = json!(given);
            m["traveller"]["date_of_birth"] = json!("1979-06-01");
            m
        };
        for m in [
            person("s-1", "S1", "LSO", "MO-FOKENG", "TEBOHO PAUL"),
            person("s-2", "S2", "ZAF", "Mofokeng", "Teboho"),
            person("s-3", "S3", "LSO", "MOFOKENG", "LINEO"),
        ] {
            app.post("/api/v1/movements", Some(&officer), &m).await.expect(201);
        }
        let found = app.post("/api/v1/travellers/search", Some(&police), &json!({
            "surname": "mofokeng", "given_names": "paul teboho", "date_of_birth": "1979-06-01",
            "reason": "Case 12/2026: locating a witness"
        })).await.expect(200);
        let mut docs: Vec<String> = found.body["documents"].as_array().unwrap().iter().map(|d| d["document_number"].as_str().unwrap().to_owned()).collect();
        docs.sort();
        assert_eq!(docs, ["S1", "S2"], "{}", found.text);
        assert_eq!(found.body["documents"][0]["movements"].as_array().unwrap().len(), 1);
        assert!(found.body["documents"][0]["stays"].is_array());
        let lso = app.post("/api/v1/travellers/search", Some(&officer), &json!({
            "surname": "MOFOKENG", "date_of_birth": "1979-06-01", "nationality": "LSO"
        })).await.expect(200);
        assert_eq!(lso.body["documents"].as_array().unwrap().len(), 2, "S1 and S3: {}", lso.text);
        let by_doc = app.post("/api/v1/travellers/search", Some(&officer), &json!({"issuing_state": "zaf", "document_number": "s-2"})).await.expect(200);
        assert_eq!(by_doc.body["documents"][0]["document_number"], "S2");
        let none = app.post("/api/v1/travellers/search", Some(&officer), &json!({"issuing_state": "ZAF", "document_number": "NOBODY"})).await.expect(200);
        assert!(none.body["documents"].as_array().unwrap().is_empty());

        // Police must say why; everyone names a document or a person with a date of birth.
        let no_reason = app.post("/api/v1/travellers/search", Some(&police), &json!({"issuing_state": "ZAF", "document_number": "S2"})).await.expect(422);
        assert_eq!(no_reason.error_fields(), ["reason"]);
        let no_birth = app.post("/api/v1/travellers/search", Some(&officer), &json!({"surname": "MOFOKENG"})).await.expect(422);
        assert_eq!(no_birth.error_fields(), ["date_of_birth"]);
        app.post("/api/v1/travellers/search", Some(&officer), &json!({})).await.expect(422);
        let lra = app.user_token("customs", &["lra"], &["MSU"]).await;
        app.post("/api/v1/travellers/search", Some(&lra), &json!({"issuing_state": "ZAF", "document_number": "S2"})).await.expect(403);

        let admin = app.admin_token().await;
        let audit = app.get("/api/v1/audit?action=traveller.search", Some(&admin)).await.expect(200);
        let entry = audit.body["items"].as_array().unwrap().iter().find(|e| e["actor"] == "police").unwrap().clone();
        assert_eq!(entry["reason"], "Case 12/2026: locating a witness");
        assert!(entry["object"].as_str().unwrap().starts_with("person:MOFOKENG/"), "{entry}");
    }

    async fn a_hit_reaches_a_streaming_police_client_within_two_seconds(app: TestApp) {
        let (police, officer) = police_and_officer(&app).await;
        let elsewhere = app.user_token("police-mpb", &["police"], &["MPB"]).await;
        let mpb_officer = app.user_token("officer-mpb", &["immigration"], &["MPB"]).await;
        document_alert(&app, &police, "LIVE1", "refer_to_police").await;
        document_alert(&app, &police, "LIVE2", "notify_only").await;
        let mut stream = Sse::connect(&app.address, &police, None).await;
        let mut other = Sse::connect(&app.address, &elsewhere, None).await;
        let hello = stream.next(Duration::from_secs(5)).await.expect("the stream speaks at once");
        assert_eq!(hello.comment.as_deref(), Some("connected"));

        let started = Instant::now();
        let recorded = app.post("/api/v1/movements", Some(&officer), &movement("live-1", "MSU", "entry", &minutes_ago(1), "LIVE1")).await.expect(201);
        let event = stream.next_hit(Duration::from_secs(5)).await.expect("the hit arrives");
        assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
        assert_eq!(event.data["movement_id"], recorded.body["id"]);
        assert_eq!(event.data["id"], recorded.body["alert"]["hit_id"]);
        assert_eq!(event.data["traveller"]["document_number"], "LIVE1");
        assert_eq!(event.id, event.data["seq"].as_i64());
        // A hit at another post goes only to the police posted there.
        app.post("/api/v1/movements", Some(&mpb_officer), &movement("live-2", "MPB", "entry", &minutes_ago(1), "LIVE2")).await.expect(201);
        let at_mpb = other.next_hit(Duration::from_secs(5)).await.expect("the MPB hit reaches MPB's police");
        assert_eq!(at_mpb.data["poe"], "MPB");
        assert_eq!(at_mpb.data["traveller"]["document_number"], "LIVE2");
        assert!(stream.next_hit(Duration::from_millis(1500)).await.is_none(), "MSU's police hear nothing of MPB");

        // Gone, then back with Last-Event-ID: what was missed is replayed first, in order.
        let last = event.id.unwrap();
        drop(stream);
        let mut ids = Vec::new();
        for i in 0..3 {
            let r = app.post("/api/v1/movements", Some(&officer), &movement(&format!("live-r{i}"), "MSU", "exit", &minutes_ago(1), "LIVE1")).await.expect(201);
            ids.push(r.body["alert"]["hit_id"].as_str().unwrap().to_owned());
        }
        let mut back = Sse::connect(&app.address, &police, Some(last)).await;
        let mut replayed = Vec::new();
        for _ in 0..3 {
            let e = back.next_hit(Duration::from_secs(5)).await.expect("a missed hit is replayed");
            assert!(e.id.unwrap() > last);
            replayed.push(e.data["id"].as_str().unwrap().to_owned());
        }
        assert_eq!(replayed, ids);
        // And then live again.
        app.post("/api/v1/movements", Some(&officer), &movement("live-after", "MSU", "exit", &minutes_ago(1), "LIVE1")).await.expect(201);
        back.next_hit(Duration::from_secs(2)).await.expect("live after the replay");
        app.get("/api/v1/alert-hits/stream", Some(&officer)).await.expect(403);
        let bad = app.send(app.client.get(app.url("/api/v1/alert-hits/stream")).bearer_auth(&police).header("Last-Event-ID", "yesterday")).await.expect(422);
        assert_eq!(bad.error_fields(), ["Last-Event-ID"]);
        let admin = app.admin_token().await;
        let audit = app.get("/api/v1/audit?action=alert_hit.stream", Some(&admin)).await.expect(200);
        assert!(audit.body["items"].as_array().unwrap().len() >= 3);
    }

    async fn a_slow_or_vanished_stream_client_never_holds_up_recording(app: TestApp) {
        let (police, officer) = police_and_officer(&app).await;
        document_alert(&app, &police, "SLOW1", "notify_only").await;
        // A client that asks for the stream and never reads a byte, and one that goes away.
        let mut stalled = tokio::net::TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
        use tokio::io::AsyncWriteExt;
        stalled.write_all(format!("GET /api/v1/alert-hits/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {police}\r\n\r\n").as_bytes()).await.unwrap();
        let vanished = Sse::connect(&app.address, &police, None).await;
        drop(vanished);
        let mut healthy = Sse::connect(&app.address, &police, None).await;
        tokio::time::sleep(Duration::from_millis(300)).await;

        // Enough hits to fill any socket buffer and the per-client buffer many times over.
        let mut slowest = Duration::ZERO;
        for b in 0..4 {
            let items: Vec<Value> = (0..250).map(|i| movement(&format!("slow-{b}-{i}"), "MSU", if i % 2 == 0 { "entry" } else { "exit" }, &minutes_ago(1), "SLOW1")).collect();
            let started = Instant::now();
            let r = app.post("/api/v1/movements/batch", Some(&officer), &json!({"movements": items})).await.expect(200);
            slowest = slowest.max(started.elapsed());
            assert_eq!(r.body["created"], 250);
        }
        assert!(slowest < Duration::from_secs(20), "a batch took {slowest:?}");
        assert_eq!(app.count("alert_hits"), 1000);
        // The healthy client is either keeping up or was dropped for falling behind (it is
        // read only now); either way it reconnects and gets everything by replay.
        let mut got = 0;
        while healthy.next_hit(Duration::from_millis(500)).await.is_some() {
            got += 1;
        }
        let mut again = Sse::connect(&app.address, &police, Some(0)).await;
        let mut replayed = 0;
        while again.next_hit(Duration::from_secs(2)).await.is_some() {
            replayed += 1;
            if replayed == 1000 { break; }
        }
        assert_eq!(replayed, 1000, "a reconnect from 0 replays every hit (live ones got: {got})");
        drop(stalled);
        // Recording still works afterwards.
        app.post("/api/v1/movements", Some(&officer), &movement("slow-end", "MSU", "entry", &minutes_ago(1), "SLOW1")).await.expect(201);
    }
}

mod heartbeat {
    use super::*;

    #[actix_web::test]
    async fn a_quiet_stream_sends_a_comment_line_every_configured_interval() {
        let app = spawn_app_with(Backend::Sqlite, |s| s.alerts.stream_heartbeat_secs = 1)
            .await
            .unwrap();
        let police = app.user_token("police", &["police"], &["MSU"]).await;
        let mut stream = Sse::connect(&app.address, &police, None).await;
        assert_eq!(
            stream
                .next(Duration::from_secs(2))
                .await
                .unwrap()
                .comment
                .as_deref(),
            Some("connected")
        );
        for _ in 0..2 {
            let started = Instant::now();
            let beat = stream
                .next(Duration::from_secs(3))
                .await
                .expect("a heartbeat");
            assert_eq!(beat.comment.as_deref(), Some("heartbeat"));
            // One second apart, give or take a loaded machine (the default is 15 s).
            assert!(
                started.elapsed() < Duration::from_millis(2500),
                "{:?}",
                started.elapsed()
            );
        }
    }
}

/// A `crossings` server process of this test: killed when dropped.
struct Node {
    child: Child,
    base: String,
    log: std::path::PathBuf,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the built binary on `database_url`, logging to `log` at `rust_log`, and waits until
/// it is ready.
async fn start_node(database_url: &str, log: &Path, rust_log: &str) -> Node {
    let port = free_port();
    let file = std::fs::File::create(log).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_crossings"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("CROSSINGS_BIND", format!("127.0.0.1:{port}"))
        .env("CROSSINGS_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("CROSSINGS__SERVER__WORKERS", "2")
        .env("CROSSINGS__DATABASE__POOL_SIZE", "4")
        .env("CROSSINGS__TELEMETRY__METRICS_BIND", "127.0.0.1:0")
        .env("RUST_LOG", rust_log)
        .stdout(Stdio::null())
        .stderr(file)
        .spawn()
        .unwrap();
    let node = Node {
        child,
        base: format!("http://127.0.0.1:{port}"),
        log: log.to_owned(),
    };
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = client
            .get(format!("{}/health/ready", node.base))
            .send()
            .await
        {
            if r.status().is_success() {
                return node;
            }
        }
        assert!(
            Instant::now() < deadline,
            "node did not start: {}",
            std::fs::read_to_string(&node.log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn token(base: &str, username: &str) -> String {
    let r: Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": username, "password": if username == "admin" { ADMIN_PASSWORD } else { OFFICER_PASSWORD }}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["access_token"].as_str().unwrap().to_owned()
}

/// Creates an account at MSU as an admin does, with [`INITIAL_PASSWORD`], and makes the forced
/// change to [`OFFICER_PASSWORD`] as its owner does at the first sign-in.
async fn create_officer(base: &str, admin: &str, username: &str, role: &str) {
    let (status, body) = post(base, admin, "/api/v1/users", &json!({"username": username, "password": INITIAL_PASSWORD, "roles": [role], "poes": ["MSU"]})).await;
    assert_eq!(status, 201, "{body}");
    let first: Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": username, "password": INITIAL_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(first["password_change_required"], true, "{first}");
    let restricted = first["access_token"].as_str().unwrap();
    let (status, body) = post(
        base,
        restricted,
        "/api/v1/auth/password",
        &json!({"current_password": INITIAL_PASSWORD, "new_password": OFFICER_PASSWORD}),
    )
    .await;
    assert_eq!(status, 204, "{body}");
}

async fn post(base: &str, token: &str, path: &str, body: &Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[actix_web::test]
async fn a_hit_recorded_on_one_node_reaches_the_police_streaming_from_another() {
    let Some((_db, url)) = test_database(Backend::Postgres) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let a = start_node(&url, &dir.path().join("a.log"), "warn").await;
    let b = start_node(&url, &dir.path().join("b.log"), "warn").await;
    let admin = token(&a.base, "admin").await;
    for (name, role) in [("police", "police"), ("officer", "immigration")] {
        create_officer(&a.base, &admin, name, role).await;
    }
    let police = token(&b.base, "police").await;
    let officer = token(&a.base, "officer").await;
    let (status, _) = post(&b.base, &police, "/api/v1/watchlist", &json!({"issuing_state": "ZAF", "document_number": "NODE1", "category": "wanted", "action": "refer_to_police", "reason": "Two nodes test"})).await;
    assert_eq!(status, 201);
    let mut on_b = Sse::connect(&b.base, &police, None).await;
    let mut on_a = Sse::connect(&a.base, &police, None).await;
    on_b.next(Duration::from_secs(5)).await.expect("connected");
    on_a.next(Duration::from_secs(5)).await.expect("connected");

    let started = Instant::now();
    let (status, recorded) = post(
        &a.base,
        &officer,
        "/api/v1/movements",
        &movement("node-1", "MSU", "entry", &minutes_ago(1), "NODE1"),
    )
    .await;
    assert_eq!(status, 201, "{recorded}");
    let heard = on_b
        .next_hit(Duration::from_secs(5))
        .await
        .unwrap_or_else(|| {
            panic!(
                "node B never heard the hit; its log:\n{}",
                std::fs::read_to_string(&b.log).unwrap_or_default()
            )
        });
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(heard.data["movement_id"], recorded["id"]);
    let local = on_a
        .next_hit(Duration::from_secs(2))
        .await
        .expect("node A's own clients hear it too");
    assert_eq!(local.data["id"], heard.data["id"]);
    // A batch on node B reaches node A's client, every hit once.
    let items: Vec<Value> = (0..150)
        .map(|i| {
            movement(
                &format!("node-b-{i}"),
                "MSU",
                if i % 2 == 0 { "exit" } else { "entry" },
                &minutes_ago(1),
                "NODE1",
            )
        })
        .collect();
    let officer_b = token(&b.base, "officer").await;
    let (status, _) = post(
        &b.base,
        &officer_b,
        "/api/v1/movements/batch",
        &json!({"movements": items}),
    )
    .await;
    assert_eq!(status, 200);
    let mut seen = std::collections::HashSet::new();
    while let Some(e) = on_a.next_hit(Duration::from_secs(3)).await {
        assert!(
            seen.insert(e.data["id"].as_str().unwrap().to_owned()),
            "a hit sent twice"
        );
    }
    assert_eq!(seen.len(), 150);
}

#[actix_web::test]
async fn the_reason_of_a_history_lookup_never_reaches_the_log() {
    let Some((_db, url)) = test_database(Backend::Sqlite) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("node.log");
    let node = start_node(&url, &log, "debug").await;
    let admin = token(&node.base, "admin").await;
    create_officer(&node.base, &admin, "police", "police").await;
    let police = token(&node.base, "police").await;
    let secret = "Informant-Lerato-says-hes-armed";
    let r = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/travellers/history?issuing_state=ZAF&document_number=Q1&reason={secret}",
            node.base
        ))
        .bearer_auth(&police)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (status, _) = post(
        &node.base,
        &police,
        "/api/v1/travellers/search",
        &json!({"issuing_state": "ZAF", "document_number": "Q1", "reason": secret}),
    )
    .await;
    assert_eq!(status, 200);
    // Something of the request did reach the log (so the capture works), but not the reason.
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(node);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("/api/v1/travellers/history"),
        "the log captured the request:\n{text}"
    );
    assert!(
        !text.contains("Informant"),
        "the reason reached the log:\n{text}"
    );
}
