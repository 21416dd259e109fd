//! Agency work: the watchlist and its hits, traveller histories, stays and trips, customs
//! declarations.

use serde_json::{Value, json};

use crate::helpers::{TestApp, minutes_ago, movement};
use crate::on_both_backends;

fn days_ago(days: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::days(days)).to_rfc3339()
}

fn date_days_ago(days: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

fn visitor(cei: &str, direction: &str, at: &str, doc: &str) -> Value {
    movement(cei, "MSU", direction, at, doc)
}

fn citizen(cei: &str, direction: &str, at: &str, doc: &str) -> Value {
    let mut m = movement(cei, "MSU", direction, at, doc);
    m["traveller"]["nationality"] = json!("LSO");
    m["traveller"]["issuing_state"] = json!("LSO");
    m
}

async fn stays(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    app.get(&format!("/api/v1/stays?{query}"), Some(token))
        .await
        .expect(200)
        .body["items"]
        .as_array()
        .unwrap()
        .clone()
}

on_both_backends! {
    async fn a_watchlisted_document_is_recorded_flagged_and_leaves_a_hit(app: TestApp) {
        let police = app.user_token("police", &["police"], &["*"]).await;
        let officer = app.user_token("officer", &["immigration"], &["MSU"]).await;
        let alert = app.post("/api/v1/watchlist", Some(&police), &json!({
            "issuing_state": "ZAF", "document_number": "a 55-001",
            "category": "stolen_document", "action": "secondary_inspection",
            "reason": "Reported stolen in Bloemfontein, case 88/2026"
        })).await.expect(201);
        assert_eq!(alert.body["document_number"], "A55001");
        let alert_id = alert.body["id"].as_str().unwrap().to_owned();

        let hit = app.post("/api/v1/movements", Some(&officer), &movement("w-1", "MSU", "entry", &minutes_ago(2), "A55001")).await.expect(201);
        assert_eq!(hit.body["alert"]["action"], "secondary_inspection");
        assert_eq!(hit.body["alert"]["category"], "stolen_document");
        assert_eq!(hit.body["alert"]["instruction"], "Send the traveller and their goods to secondary inspection before they go on.");
        assert_eq!(hit.body["alert"].as_object().unwrap().len(), 4, "hit_id, action, category, instruction: {}", hit.body["alert"]);
        for secret in ["Bloemfontein", &alert_id] {
            assert!(!hit.text.contains(secret), "the post sees {secret}");
        }
        // Unrelated travellers pass clean.
        let clean = app.post("/api/v1/movements", Some(&officer), &movement("w-2", "MSU", "entry", &minutes_ago(2), "A55002")).await.expect(201);
        assert!(clean.body.get("alert").is_none());

        let hits = app.get("/api/v1/alert-hits", Some(&police)).await.expect(200);
        let items = hits.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["alert_id"], alert_id);
        assert_eq!(items[0]["movement_id"], hit.body["id"]);
        let hit_id = items[0]["id"].as_str().unwrap().to_owned();
        assert_eq!(hit.body["alert"]["hit_id"], hit_id.as_str(), "the officer's answer names the hit");
        let by_date = app.get(&format!("/api/v1/alert-hits?poe=MSU&alert_id={alert_id}&unacknowledged=true"), Some(&police)).await.expect(200);
        assert_eq!(by_date.body["items"].as_array().unwrap().len(), 1);
        let acked = app.post(&format!("/api/v1/alert-hits/{hit_id}/acknowledge"), Some(&police), &json!({"outcome": "intercepted"})).await.expect(200);
        assert_eq!(acked.body["acknowledged_by"], "police");
        app.post(&format!("/api/v1/alert-hits/{hit_id}/acknowledge"), Some(&police), &json!({"outcome": "intercepted"})).await.expect(409);
        let open = app.get("/api/v1/alert-hits?unacknowledged=true", Some(&police)).await.expect(200);
        assert!(open.body["items"].as_array().unwrap().is_empty());

        let analyst = app.user_token("hoba", &["analyst"], &[]).await;
        // The local date of the crossings (two minutes ago, in Lesotho).
        let local_today = (chrono::Utc::now() - chrono::Duration::minutes(2) + chrono::Duration::hours(2)).format("%Y-%m-%d").to_string();
        let summary = app.get(&format!("/api/v1/stats/summary?date={local_today}"), Some(&analyst)).await.expect(200);
        let msu = summary.body["rows"].as_array().unwrap().iter().find(|r| r["poe"] == "MSU").unwrap().clone();
        assert_eq!(msu["alert_hits"], 1);
        assert_eq!(msu["entries"], 2);

        let metrics = app.metrics().await;
        assert!(metrics.text.contains("crossings_alert_hits_total"));
        // Immigration does not see the watchlist or the hits.
        app.get("/api/v1/watchlist", Some(&officer)).await.expect(403);
        app.get("/api/v1/alert-hits", Some(&officer)).await.expect(403);
    }

    async fn a_person_alert_matches_whatever_the_case_spacing_and_order_of_names(app: TestApp) {
        let police = app.user_token("police", &["police"], &["*"]).await;
        let gate = app.system_token("MSU").await;
        app.post("/api/v1/watchlist", Some(&police), &json!({
            "surname": "dlamini", "given_names": "Themba  Sipho", "date_of_birth": "1988-03-14",
            "category": "wanted", "action": "refer_to_police", "reason": "Warrant 123/2026"
        })).await.expect(201);
        let mut m = movement("p-1", "MSU", "exit", &minutes_ago(3), "ZZ999");
        m["traveller"]["surname"] = json!(" DLAMINI");
        m["traveller"]["given_names"] = json!("sipho themba");
        let mut other = movement("p-3", "MSU", "exit", &minutes_ago(3), "ZZ997");
        other["traveller"]["given_names"] = json!("Bongani");
        let batch = app.post("/api/v1/movements/batch", Some(&gate), &json!({"movements": [m, movement("p-2", "MSU", "exit", &minutes_ago(3), "ZZ998"), other]})).await.expect(200);
        assert_eq!(batch.body["results"][0]["alert"]["action"], "refer_to_police");
        assert_eq!(batch.body["results"][0]["alert"]["category"], "wanted");
        assert_eq!(batch.body["results"][1]["alert"]["action"], "refer_to_police", "Sipho is one of Themba Sipho's given names");
        assert!(batch.body["results"][2].get("alert").is_none(), "Bongani Dlamini of the same birth date is someone else");
    }

    async fn expired_and_removed_alerts_no_longer_match(app: TestApp) {
        let police = app.user_token("police", &["police"], &["*"]).await;
        let officer = app.user_token("officer", &["immigration"], &["MSU"]).await;
        let in_an_hour = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
        let expiring = app.post("/api/v1/watchlist", Some(&police), &json!({
            "issuing_state": "ZAF", "document_number": "EXP1", "category": "other",
            "action": "notify_only", "reason": "Until the hearing", "expires_at": in_an_hour
        })).await.expect(201);
        app.sql(&format!("UPDATE alerts SET expires_at = '2020-01-01 00:00:00' WHERE id = '{}'", expiring.body["id"].as_str().unwrap()));
        let a = app.post("/api/v1/movements", Some(&officer), &movement("e-1", "MSU", "entry", &minutes_ago(1), "EXP1")).await.expect(201);
        assert!(a.body.get("alert").is_none(), "an expired alert matched");

        let removed = app.post("/api/v1/watchlist", Some(&police), &json!({
            "issuing_state": "ZAF", "document_number": "REM1", "category": "other",
            "action": "notify_only", "reason": "Mistake"
        })).await.expect(201);
        let id = removed.body["id"].as_str().unwrap().to_owned();
        app.delete(&format!("/api/v1/watchlist/{id}"), Some(&police)).await.expect(204);
        app.delete(&format!("/api/v1/watchlist/{id}"), Some(&police)).await.expect(404);
        let b = app.post("/api/v1/movements", Some(&officer), &movement("e-2", "MSU", "entry", &minutes_ago(1), "REM1")).await.expect(201);
        assert!(b.body.get("alert").is_none(), "a removed alert matched");

        let live = app.get("/api/v1/watchlist", Some(&police)).await.expect(200);
        assert!(live.body["items"].as_array().unwrap().is_empty());
        let all = app.get("/api/v1/watchlist?show=all", Some(&police)).await.expect(200);
        let kept = all.body["items"].as_array().unwrap().iter().find(|a| a["id"] == id.as_str()).unwrap().clone();
        assert!(kept["removed_at"].is_string());
        assert_eq!(kept["live"], false);
        let admin = app.admin_token().await;
        let audit = app.get("/api/v1/audit?action=alert.remove", Some(&admin)).await.expect(200);
        assert_eq!(audit.body["items"][0]["object"], format!("alert:{id}"));
    }

    async fn bad_alerts_and_wrong_posts_are_refused(app: TestApp) {
        let police = app.user_token("police", &["police"], &["MSU"]).await;
        app.post("/api/v1/watchlist", Some(&police), &json!({"category": "wanted", "action": "notify_only", "reason": "who?"})).await.expect(422);
        app.post("/api/v1/watchlist", Some(&police), &json!({"issuing_state": "ZAF", "document_number": "X1", "category": "wanted", "action": "arrest", "reason": "abc"})).await.expect(422);
        app.get("/api/v1/alert-hits?poe=MPB", Some(&police)).await.expect(403);
        app.get("/api/v1/alert-hits?date=yesterday", Some(&police)).await.expect(422);
        app.get("/api/v1/watchlist?show=some", Some(&police)).await.expect(422);
        app.post("/api/v1/alert-hits/nope/acknowledge", Some(&police), &json!({"outcome": "other"})).await.expect(404);
        app.post("/api/v1/alert-hits/nope/acknowledge", Some(&police), &json!({"outcome": "arrested"})).await.expect(422);
        // A name alert without a date of birth would match too many travellers.
        let no_birth = app.post("/api/v1/watchlist", Some(&police), &json!({"surname": "Mofokeng", "given_names": "Teboho", "category": "wanted", "action": "refer_to_police", "reason": "Warrant 9/2026"})).await.expect(422);
        assert_eq!(no_birth.error_fields(), ["date_of_birth"]);
    }

    async fn histories_are_national_and_police_must_say_why(app: TestApp) {
        let msu = app.user_token("msu", &["immigration"], &["MSU"]).await;
        let mpb = app.user_token("mpb", &["immigration"], &["MPB"]).await;
        app.post("/api/v1/movements", Some(&msu), &movement("h-1", "MSU", "entry", &days_ago(3), "H100")).await.expect(201);
        app.post("/api/v1/movements", Some(&mpb), &movement("h-2", "MPB", "exit", &days_ago(1), "H100")).await.expect(201);
        app.post("/api/v1/movements", Some(&mpb), &movement("h-3", "MPB", "exit", &days_ago(1), "H200")).await.expect(201);

        let h = app.get("/api/v1/travellers/history?issuing_state=zaf&document_number=h%20100", Some(&msu)).await.expect(200);
        let posts: Vec<&str> = h.body["movements"].as_array().unwrap().iter().map(|m| m["poe"].as_str().unwrap()).collect();
        assert_eq!(posts, ["MSU", "MPB"], "national, oldest first");
        assert_eq!(h.body["stays"][0]["kind"], "visit");
        assert_eq!(h.body["stays"][0]["days"], 2);

        let police = app.user_token("police", &["police"], &["*"]).await;
        let refused = app.get("/api/v1/travellers/history?issuing_state=ZAF&document_number=H100", Some(&police)).await.expect(422);
        assert_eq!(refused.error_fields(), ["reason"]);
        app.get("/api/v1/travellers/history?issuing_state=ZAF&document_number=H100&reason=x", Some(&police)).await.expect(422);
        app.get("/api/v1/travellers/history?issuing_state=ZAF&document_number=H100&reason=Case%2042%2F2026%20smuggling", Some(&police)).await.expect(200);
        let admin = app.admin_token().await;
        let audit = app.get("/api/v1/audit?action=traveller.history.read", Some(&admin)).await.expect(200);
        let entries = audit.body["items"].as_array().unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1]["reason"], "Case 42/2026 smuggling");
        assert_eq!(entries[1]["object"], "document:ZAF/H100");
        for role in ["lra", "analyst", "admin"] {
            let t = app.user_token(&format!("x-{role}"), &[role], &["*"]).await;
            app.get("/api/v1/travellers/history?issuing_state=ZAF&document_number=H100&reason=looking%20around", Some(&t)).await.expect(403);
        }
        app.get("/api/v1/travellers/history?issuing_state=ZAF", Some(&msu)).await.expect(422);
    }

    async fn visitors_stays_open_close_and_overstay(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["MSU"]).await;
        // Entered 40 days ago with a permit to 10 days ago: overstayed and still here.
        let mut over = visitor("s-1", "entry", &days_ago(40), "V1");
        over["permitted_until"] = json!(date_days_ago(10));
        app.post("/api/v1/movements", Some(&officer), &over).await.expect(201);
        // Entered 5 days ago, no permit: 30 days by default.
        app.post("/api/v1/movements", Some(&officer), &visitor("s-2", "entry", &days_ago(5), "V2")).await.expect(201);
        // Entered 50 days ago, left 45 days ago: closed in time.
        app.post("/api/v1/movements", Some(&officer), &visitor("s-3", "entry", &days_ago(50), "V3")).await.expect(201);
        app.post("/api/v1/movements", Some(&officer), &visitor("s-4", "exit", &days_ago(45), "V3")).await.expect(201);

        let docs = |items: &[Value]| items.iter().map(|s| s["traveller"]["document_number"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
        assert_eq!(docs(&stays(&app, &officer, "status=overstayed").await), ["V1"]);
        assert_eq!(docs(&stays(&app, &officer, "status=open").await), ["V1", "V2"]);
        assert_eq!(docs(&stays(&app, &officer, "status=closed").await), ["V3"]);
        let v1 = stays(&app, &officer, "status=overstayed").await[0].clone();
        assert_eq!(v1["ends_on"], date_days_ago(10));
        assert_eq!(v1["overstayed"], true);
        assert_eq!(v1["traveller"]["surname"], "DLAMINI");

        // V1 leaves now: closed, but after its end, so still overstayed.
        app.post("/api/v1/movements", Some(&officer), &visitor("s-5", "exit", &minutes_ago(1), "V1")).await.expect(201);
        assert_eq!(docs(&stays(&app, &officer, "status=open").await), ["V2"]);
        assert_eq!(docs(&stays(&app, &officer, "status=overstayed").await), ["V1"]);

        // Other posts' officers do not see MSU's stays.
        let mpb = app.user_token("mpb", &["immigration"], &["MPB"]).await;
        assert!(stays(&app, &mpb, "status=open").await.is_empty());
        app.get("/api/v1/stays?poe=MSU", Some(&mpb)).await.expect(403);
        app.get("/api/v1/stays?status=gone", Some(&officer)).await.expect(422);
        let police = app.user_token("police", &["police"], &["*"]).await;
        app.get("/api/v1/stays", Some(&police)).await.expect(403);
    }

    async fn stays_follow_time_not_arrival_and_voids(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["MSU"]).await;
        // A backlog: the exit arrives before the entry it closes.
        app.post("/api/v1/movements", Some(&officer), &visitor("o-2", "exit", &days_ago(2), "T1")).await.expect(201);
        app.post("/api/v1/movements", Some(&officer), &visitor("o-1", "entry", &days_ago(4), "T1")).await.expect(201);
        let closed = stays(&app, &officer, "status=closed").await;
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0]["days"], 2);
        let exit_id = closed[0]["closing_movement_id"].as_str().unwrap().to_owned();

        // The exit was a mistake: voided, the stay is open again.
        app.post(&format!("/api/v1/movements/{exit_id}/void"), Some(&officer), &json!({"reason": "wrong traveller"})).await.expect(200);
        assert!(stays(&app, &officer, "status=closed").await.is_empty());
        assert_eq!(stays(&app, &officer, "status=open").await.len(), 1);
        // Voiding the entry takes the stay away.
        let entry_id = stays(&app, &officer, "status=open").await[0]["opening_movement_id"].as_str().unwrap().to_owned();
        app.post(&format!("/api/v1/movements/{entry_id}/void"), Some(&officer), &json!({"reason": "wrong traveller"})).await.expect(200);
        assert!(stays(&app, &officer, "status=open").await.is_empty());
    }

    async fn citizens_trips_abroad_are_kept_too(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["MSU"]).await;
        app.post("/api/v1/movements", Some(&officer), &citizen("c-1", "exit", &days_ago(20), "RA1")).await.expect(201);
        app.post("/api/v1/movements", Some(&officer), &citizen("c-2", "entry", &days_ago(6), "RA1")).await.expect(201);
        app.post("/api/v1/movements", Some(&officer), &citizen("c-3", "exit", &days_ago(3), "RA1")).await.expect(201);
        let closed = stays(&app, &officer, "kind=trip&status=closed").await;
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0]["days"], 14);
        assert_eq!(closed[0]["kind"], "trip");
        assert_eq!(stays(&app, &officer, "kind=trip&status=open").await.len(), 1);
        // Citizens never overstay, and have no visits.
        assert!(stays(&app, &officer, "kind=trip&status=overstayed").await.is_empty());
        assert!(stays(&app, &officer, "status=open").await.is_empty());
    }

    async fn lra_declares_goods_on_movements_with_a_vehicle(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["MSU"]).await;
        let mut car = movement("d-1", "MSU", "entry", &minutes_ago(4), "D1");
        car["mode"] = json!("truck");
        car["vehicle"] = json!({"registration": "FS 12 GP", "country": "ZAF", "category": "truck"});
        let with_vehicle = app.post("/api/v1/movements", Some(&officer), &car).await.expect(201);
        let on_foot = app.post("/api/v1/movements", Some(&officer), &movement("d-2", "MSU", "entry", &minutes_ago(4), "D2")).await.expect(201);
        let (vid, fid) = (with_vehicle.body["id"].as_str().unwrap(), on_foot.body["id"].as_str().unwrap());

        let lra = app.user_token("lra", &["lra"], &["MSU"]).await;
        let body = json!({"reference": "SAD500-2026-1", "goods": "Cement, 40 bags", "value": "12500.5", "currency": "LSL"});
        let d = app.post(&format!("/api/v1/movements/{vid}/declarations"), Some(&lra), &body).await.expect(201);
        assert_eq!(d.body["value"], "12500.50");
        let list = app.get(&format!("/api/v1/movements/{vid}/declarations"), Some(&lra)).await.expect(200);
        assert_eq!(list.body["items"].as_array().unwrap().len(), 1);

        // A movement without a vehicle is not one LRA may know of.
        app.post(&format!("/api/v1/movements/{fid}/declarations"), Some(&lra), &body).await.expect(404);
        let bad = app.post(&format!("/api/v1/movements/{vid}/declarations"), Some(&lra), &json!({"reference": "R1", "goods": "x", "value": "1,5", "currency": "LSX"})).await.expect(422);
        assert_eq!(bad.error_fields(), ["currency", "value"]);
        let elsewhere = app.user_token("lra-mpb", &["lra"], &["MPB"]).await;
        app.post(&format!("/api/v1/movements/{vid}/declarations"), Some(&elsewhere), &body).await.expect(404);
        app.get(&format!("/api/v1/movements/{vid}/declarations"), Some(&elsewhere)).await.expect(404);
        app.post(&format!("/api/v1/movements/{vid}/declarations"), Some(&officer), &body).await.expect(403);
        let again = app.get(&format!("/api/v1/movements/{vid}/declarations"), Some(&lra)).await.expect(200);
        assert_eq!(again.body["items"].as_array().unwrap().len(), 1, "refused declarations changed nothing");
    }
}
