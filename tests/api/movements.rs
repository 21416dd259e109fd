//! Recording movements exactly once, reading, listing and voiding them.

use serde_json::{Value, json};

use crate::helpers::{minutes_ago, movement};
use crate::on_both_backends;

fn with(mut m: Value, pointer: &str, value: Value) -> Value {
    *m.pointer_mut(pointer).expect("field exists") = value;
    m
}

on_both_backends! {
    async fn a_movement_is_recorded_once_and_replays_return_the_original(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["MSU"]).await;
        let m = movement("t1-0001", "MSU", "entry", &minutes_ago(5), "A1234567");
        let first = app.post("/api/v1/movements", Some(&officer), &m).await.expect(201);
        assert_eq!(first.body["poe"], "MSU");
        assert_eq!(first.body["traveller"]["surname"], "DLAMINI");
        assert_eq!(first.body["recorded_by"], "officer");
        assert_eq!(first.body["sequence_anomaly"], false);
        let id = first.body["id"].as_str().unwrap().to_owned();
        assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 7);

        // Same key, same payload (spelt differently): the original, with 200.
        let replay = with(m.clone(), "/traveller/surname", json!("  dlamini "));
        let second = app.post("/api/v1/movements", Some(&officer), &replay).await.expect(200);
        assert_eq!(second.body["id"], id);
        assert_eq!(second.body["recorded_at"], first.body["recorded_at"]);

        // Same key, another payload: 409, and nothing recorded.
        let other = with(m.clone(), "/purpose", json!("business"));
        app.post("/api/v1/movements", Some(&officer), &other).await.expect(409);
        assert_eq!(app.count("movements"), 1);

        // Another sender may use the same key: keys are per principal.
        let gate = app.system_token("MSU").await;
        app.post("/api/v1/movements", Some(&gate), &m).await.expect(201);
        assert_eq!(app.count("movements"), 2);
    }

    async fn concurrent_replays_record_one_movement(app: TestApp) {
        let gate = app.system_token("MPB").await;
        let m = movement("gate-7-000042", "MPB", "exit", &minutes_ago(1), "B7654321");
        let sends = (0..12).map(|_| app.post("/api/v1/movements", Some(&gate), &m));
        let answers = futures_util::future::join_all(sends).await;
        let created = answers.iter().filter(|a| a.status.as_u16() == 201).count();
        let replayed = answers.iter().filter(|a| a.status.as_u16() == 200).count();
        assert_eq!((created, replayed), (1, 11), "{:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
        let ids: std::collections::BTreeSet<_> = answers.iter().map(|a| a.body["id"].to_string()).collect();
        assert_eq!(ids.len(), 1);
        assert_eq!(app.count("movements"), 1);
    }

    async fn concurrent_replays_of_a_batch_record_each_item_once(app: TestApp) {
        // A post's system resending its backlog from several connections at once: whichever
        // batch records an item first, the others answer it as a duplicate of that record.
        let gate = app.system_token("MPB").await;
        let at = minutes_ago(10);
        let items: Vec<Value> = (0..40)
            .map(|i| movement(&format!("gate-3-{i:04}"), "MPB", "entry", &at, &format!("R{i:07}")))
            .collect();
        let body = json!({ "movements": items });
        let sends = (0..6).map(|_| app.post("/api/v1/movements/batch", Some(&gate), &body));
        let answers = futures_util::future::join_all(sends).await;
        let mut created = 0;
        let mut ids: Vec<std::collections::BTreeSet<String>> = vec![Default::default(); 40];
        for a in &answers {
            assert_eq!(a.status.as_u16(), 200, "{}", a.text);
            created += a.body["created"].as_u64().unwrap();
            assert_eq!(a.body["rejected"], 0, "{}", a.text);
            for (i, r) in a.body["results"].as_array().unwrap().iter().enumerate() {
                ids[i].insert(r["id"].as_str().unwrap().to_owned());
            }
        }
        assert_eq!(created, 40, "each item created by exactly one of the batches");
        assert!(ids.iter().all(|s| s.len() == 1), "every answer names the one record of its item");
        assert_eq!(app.count("movements"), 40);
        assert_eq!(app.count("audit_log WHERE action = 'movement.record'"), 40);
    }

    async fn a_batch_answers_each_item_in_order_and_items_stand_alone(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["MSU", "MPB"]).await;
        let at = minutes_ago(30);
        let good = movement("b-1", "MSU", "entry", &at, "C1000001");
        let bad_date = with(movement("b-2", "MSU", "entry", &at, "C1000002"), "/traveller/date_of_birth", json!("1990-02-30"));
        let other_post = movement("b-3", "QNK", "entry", &at, "C1000003");
        let good2 = movement("b-4", "MPB", "exit", &at, "C1000004");
        let not_an_object = json!(17);
        let same_again = movement("b-1", "MSU", "entry", &at, "C1000001");
        let body = json!({"movements": [good, bad_date, other_post, good2, not_an_object, same_again]});
        let a = app.post("/api/v1/movements/batch", Some(&officer), &body).await.expect(200);
        let statuses: Vec<&str> = a.body["results"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["created", "rejected", "rejected", "created", "rejected", "duplicate"]);
        assert_eq!(a.body["results"][1]["errors"][0]["field"], "traveller.date_of_birth");
        assert_eq!(a.body["results"][2]["errors"][0]["field"], "poe");
        assert_eq!(a.body["results"][5]["id"], a.body["results"][0]["id"]);
        assert_eq!((a.body["created"].as_u64(), a.body["rejected"].as_u64()), (Some(2), Some(3)));
        assert_eq!(app.count("movements"), 2);

        // The whole batch again: everything recorded is a duplicate, nothing new.
        let again = app.post("/api/v1/movements/batch", Some(&officer), &body).await.expect(200);
        let statuses: Vec<&str> = again.body["results"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["duplicate", "rejected", "rejected", "duplicate", "rejected", "duplicate"]);
        assert_eq!(app.count("movements"), 2);
    }

    async fn batches_are_bounded(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["MSU"]).await;
        app.post("/api/v1/movements/batch", Some(&officer), &json!({"movements": []})).await.expect(422);
        let many: Vec<Value> = (0..1001).map(|i| movement(&format!("k{i}"), "MSU", "entry", &minutes_ago(1), "D1")).collect();
        let a = app.post("/api/v1/movements/batch", Some(&officer), &json!({"movements": many})).await.expect(422);
        assert_eq!(a.error_fields(), ["movements"]);
        app.post("/api/v1/movements/batch", Some(&officer), &json!([1, 2])).await.expect(422);
        assert_eq!(app.count("movements"), 0);
    }

    async fn bad_movements_are_422_naming_the_field(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["*"]).await;
        let m = movement("v-1", "MSU", "entry", &minutes_ago(1), "E1");
        let in_ten_minutes = (chrono::Utc::now() + chrono::Duration::minutes(10)).to_rfc3339();
        let cases = [
            ("/poe", json!("XYZ"), "poe", "unknown POE"),
            ("/direction", json!("sideways"), "direction", "bad direction"),
            ("/occurred_at", json!(in_ten_minutes), "occurred_at", "ten minutes ahead"),
            ("/occurred_at", json!("yesterday"), "occurred_at", "not RFC 3339"),
            ("/mode", json!("donkey"), "mode", "bad mode"),
            ("/purpose", json!("smuggling"), "purpose", "bad purpose"),
            ("/traveller/issuing_state", json!("XYZ"), "traveller.issuing_state", "not an ICAO code"),
            ("/traveller/nationality", json!(""), "traveller.nationality", "empty nationality"),
            ("/traveller/date_of_birth", json!("2100-01-01"), "traveller.date_of_birth", "born in the future"),
            ("/traveller/date_of_birth", json!("1999-02-29"), "traveller.date_of_birth", "not a calendar date"),
            ("/traveller/sex", json!("Q"), "traveller.sex", "bad sex"),
            ("/traveller/document_number", json!("??"), "traveller.document_number", "bad document number"),
            ("/traveller/surname", json!(42), "traveller.surname", "wrong type"),
            ("/client_event_id", json!(""), "client_event_id", "empty key"),
        ];
        for (pointer, value, field, why) in cases {
            let a = app.post("/api/v1/movements", Some(&officer), &with(m.clone(), pointer, value)).await;
            assert_eq!(a.status.as_u16(), 422, "{why}: {}", a.text);
            assert!(a.error_fields().contains(&field.to_owned()), "{why}: {}", a.text);
        }
        let mut missing = m.clone();
        missing.as_object_mut().unwrap().remove("direction");
        assert_eq!(app.post("/api/v1/movements", Some(&officer), &missing).await.expect(422).error_fields(), ["direction"]);
        app.post_raw("/api/v1/movements", Some(&officer), b"{\"poe\":".to_vec()).await.expect(400);
        assert_eq!(app.count("movements"), 0);
    }

    async fn names_are_normalised(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["MSU"]).await;
        let m = with(movement("n-1", "MSU", "entry", &minutes_ago(1), "ab 12-34"), "/traveller/given_names", json!("  sipho   themba "));
        let a = app.post("/api/v1/movements", Some(&officer), &m).await.expect(201);
        assert_eq!(a.body["traveller"]["given_names"], "SIPHO THEMBA");
        assert_eq!(a.body["traveller"]["document_number"], "AB1234");
    }

    async fn the_poe_must_be_one_the_sender_is_posted_at(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["MSU"]).await;
        let gate = app.system_token("MSU").await;
        let elsewhere = movement("p-1", "MPB", "entry", &minutes_ago(1), "F1");
        app.post("/api/v1/movements", Some(&officer), &elsewhere).await.expect(403);
        app.post("/api/v1/movements", Some(&gate), &elsewhere).await.expect(403);
        for role in [&["police"][..], &["lra"], &["analyst"], &["admin"]] {
            let name = format!("u-{}", role[0]);
            let token = app.user_token(&name, role, &["*"]).await;
            app.post("/api/v1/movements", Some(&token), &elsewhere).await.expect(403);
        }
        app.post("/api/v1/movements", None, &elsewhere).await.expect(401);
        assert_eq!(app.count("movements"), 0);
    }

    async fn flags_mark_anomalies_closed_posts_and_late_arrivals(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["*"]).await;
        let first = app.post("/api/v1/movements", Some(&officer), &movement("f-1", "MSU", "entry", &minutes_ago(60), "G1")).await.expect(201);
        assert_eq!(first.body["sequence_anomaly"], false);
        let twice = app.post("/api/v1/movements", Some(&officer), &movement("f-2", "MSU", "entry", &minutes_ago(30), "G1")).await.expect(201);
        assert_eq!(twice.body["sequence_anomaly"], true, "two entries in a row");
        let out = app.post("/api/v1/movements", Some(&officer), &movement("f-3", "MSU", "exit", &minutes_ago(10), "G1")).await.expect(201);
        assert_eq!(out.body["sequence_anomaly"], false);
        // A late arrival between the two entries: an exit after an entry is fine.
        let between = app.post("/api/v1/movements", Some(&officer), &movement("f-4", "MSU", "exit", &minutes_ago(45), "G1")).await.expect(201);
        assert_eq!(between.body["sequence_anomaly"], false);

        // Sani Pass is open 08:00-16:00; 23:30 in Lesotho is 21:30 UTC.
        let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).format("%Y-%m-%dT21:30:00Z").to_string();
        let night = app.post("/api/v1/movements", Some(&officer), &movement("f-5", "SNP", "entry", &yesterday, "G2")).await.expect(201);
        assert_eq!(night.body["outside_hours"], true);
        let noon = (chrono::Utc::now() - chrono::Duration::days(1)).format("%Y-%m-%dT10:00:00Z").to_string();
        let day = app.post("/api/v1/movements", Some(&officer), &movement("f-6", "SNP", "exit", &noon, "G3")).await.expect(201);
        assert_eq!(day.body["outside_hours"], false);

        let old = (chrono::Utc::now() - chrono::Duration::hours(25)).to_rfc3339();
        let late = app.post("/api/v1/movements", Some(&officer), &movement("f-7", "MSU", "entry", &old, "G4")).await.expect(201);
        assert_eq!(late.body["late"], true);
        assert_eq!(first.body["late"], false);
    }

    async fn sequence_flags_follow_time_within_one_batch(app: TestApp) {
        let gate = app.system_token("MSU").await;
        // Sent out of order: the exit (10:00) arrives before the entry (09:00), then a
        // second exit (11:00).
        let day = (chrono::Utc::now() - chrono::Duration::days(2)).format("%Y-%m-%d").to_string();
        let body = json!({"movements": [
            movement("s-2", "MSU", "exit", &format!("{day}T10:00:00Z"), "H1"),
            movement("s-1", "MSU", "entry", &format!("{day}T09:00:00Z"), "H1"),
            movement("s-3", "MSU", "exit", &format!("{day}T11:00:00Z"), "H1"),
        ]});
        let a = app.post("/api/v1/movements/batch", Some(&gate), &body).await.expect(200);
        let flags: Vec<bool> = a.body["results"].as_array().unwrap().iter().map(|r| r["sequence_anomaly"].as_bool().unwrap()).collect();
        assert_eq!(flags, [false, false, true]);
    }

    async fn a_bad_mrz_check_digit_is_422_naming_the_field(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["MSU"]).await;
        let mut m = movement("m-1", "MSU", "entry", &minutes_ago(1), "L898902C3");
        m["traveller"] = json!({
            "document_type": "passport", "document_number": "L898902C3", "issuing_state": "LSO",
            "nationality": "LSO", "surname": "Eriksson", "given_names": "Anna Maria",
            "date_of_birth": "1974-08-12", "sex": "F"
        });
        let good = crossings::domain::mrz::encode(&crossings::domain::mrz::MrzFields {
            format: crossings::domain::mrz::MrzFormat::Td3,
            document_code: "P".into(),
            issuing_state: "LSO".into(),
            document_number: "L898902C3".into(),
            nationality: "LSO".into(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1974, 8, 12).unwrap(),
            sex: crossings::domain::mrz::MrzSex::F,
            date_of_expiry: chrono::NaiveDate::from_ymd_opt(2032, 4, 15).unwrap(),
            surname: "ERIKSSON".into(),
            given_names: "ANNA MARIA".into(),
            optional_data: "ZE184226B".into(),
        })
        .unwrap();
        m["mrz"] = json!(good);
        let accepted = app.post("/api/v1/movements", Some(&officer), &m).await.expect(201);
        assert_eq!(accepted.body["mrz"], json!(good));

        // The document number's check digit (line 2, tenth character) made wrong.
        let mut bad = m.clone();
        bad["client_event_id"] = json!("m-2");
        let mut line2: Vec<char> = good[1].chars().collect();
        line2[9] = if line2[9] == '7' { '8' } else { '7' };
        bad["mrz"] = json!([good[0].clone(), line2.into_iter().collect::<String>()]);
        let refused = app.post("/api/v1/movements", Some(&officer), &bad).await.expect(422);
        assert!(refused.error_fields().contains(&"mrz.document_number".to_owned()), "{}", refused.text);
        let mut disagrees = m.clone();
        disagrees["client_event_id"] = json!("m-3");
        disagrees["traveller"]["date_of_birth"] = json!("1974-08-13");
        let refused = app.post("/api/v1/movements", Some(&officer), &disagrees).await.expect(422);
        assert_eq!(refused.error_fields(), ["traveller.date_of_birth"]);
    }

    async fn movements_are_read_only_at_the_readers_posts(app: TestApp) {
        let recorder = app.user_token("recorder", &["immigration"], &["*"]).await;
        let on_foot = app.post("/api/v1/movements", Some(&recorder), &movement("r-1", "MSU", "entry", &minutes_ago(5), "J1")).await.expect(201);
        let mut car = movement("r-2", "MSU", "exit", &minutes_ago(4), "J2");
        car["mode"] = json!("private_vehicle");
        car["vehicle"] = json!({"registration": "ab 123 gp", "country": "ZAF", "category": "car"});
        let by_car = app.post("/api/v1/movements", Some(&recorder), &car).await.expect(201);
        assert_eq!(by_car.body["vehicle"]["registration"], "AB123GP");
        let foot_id = on_foot.body["id"].as_str().unwrap();
        let car_id = by_car.body["id"].as_str().unwrap();

        let msu = app.user_token("msu-officer", &["immigration"], &["MSU"]).await;
        let mpb = app.user_token("mpb-officer", &["immigration"], &["MPB"]).await;
        let lra = app.user_token("lra-msu", &["lra"], &["MSU"]).await;
        app.get(&format!("/api/v1/movements/{foot_id}"), Some(&msu)).await.expect(200);
        app.get(&format!("/api/v1/movements/{foot_id}"), Some(&mpb)).await.expect(404);
        app.get(&format!("/api/v1/movements/{foot_id}"), Some(&lra)).await.expect(404);
        app.get(&format!("/api/v1/movements/{car_id}"), Some(&lra)).await.expect(200);
        app.get("/api/v1/movements/no-such-id", Some(&msu)).await.expect(404);
        for role in ["police", "analyst", "admin"] {
            let t = app.user_token(&format!("x-{role}"), &[role], &["*"]).await;
            // Police read only movements that left a hit (tests/api/alerts.rs): this one did not.
            let one = if role == "police" { 404 } else { 403 };
            app.get(&format!("/api/v1/movements/{foot_id}"), Some(&t)).await.expect(one);
            app.get("/api/v1/movements", Some(&t)).await.expect(403);
        }
        let gate = app.system_token("MSU").await;
        app.get(&format!("/api/v1/movements/{foot_id}"), Some(&gate)).await.expect(403);

        let lra_list = app.get("/api/v1/movements", Some(&lra)).await.expect(200);
        let ids: Vec<&str> = lra_list.body["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [car_id]);
        let mpb_list = app.get("/api/v1/movements", Some(&mpb)).await.expect(200);
        assert!(mpb_list.body["items"].as_array().unwrap().is_empty());
        app.get("/api/v1/movements?poe=MSU", Some(&mpb)).await.expect(403);
    }

    async fn listing_pages_through_every_movement_once_in_a_stable_order(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["MSU", "MPB"]).await;
        let items: Vec<Value> = (0..23)
            .map(|i| movement(&format!("l-{i}"), if i % 3 == 0 { "MPB" } else { "MSU" }, if i % 2 == 0 { "entry" } else { "exit" }, &minutes_ago(100 - i), &format!("K{i}")))
            .collect();
        app.post("/api/v1/movements/batch", Some(&officer), &json!({"movements": items})).await.expect(200);

        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/movements?limit=5&cursor={c}"),
                None => "/api/v1/movements?limit=5".to_owned(),
            };
            let page = app.get(&path, Some(&officer)).await.expect(200);
            for m in page.body["items"].as_array().unwrap() {
                seen.push(m["occurred_at"].as_str().unwrap().to_owned());
            }
            match page.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen.len(), 23);
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(seen, sorted);

        let msu_entries = app.get("/api/v1/movements?poe=MSU&direction=entry&limit=500", Some(&officer)).await.expect(200);
        assert!(msu_entries.body["items"].as_array().unwrap().iter().all(|m| m["poe"] == "MSU" && m["direction"] == "entry"));
        // Half a minute before the eleventh movement (90 minutes ago): it and the 12 after it.
        let from = urlencode(&(chrono::Utc::now() - chrono::Duration::seconds(90 * 60 + 30)).to_rfc3339());
        let recent = app.get(&format!("/api/v1/movements?from={from}"), Some(&officer)).await.expect(200);
        assert_eq!(recent.body["items"].as_array().unwrap().len(), 13);

        app.get("/api/v1/movements?limit=501", Some(&officer)).await.expect(422);
        app.get("/api/v1/movements?limit=0", Some(&officer)).await.expect(422);
        app.get("/api/v1/movements?cursor=garbage", Some(&officer)).await.expect(422);
        app.get("/api/v1/movements?direction=up", Some(&officer)).await.expect(422);
        app.get("/api/v1/movements?from=yesterday", Some(&officer)).await.expect(422);
        app.get("/api/v1/movements?colour=red", Some(&officer)).await.expect(422);
    }

    async fn a_void_keeps_the_original_and_is_final(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["MSU"]).await;
        let created = app.post("/api/v1/movements", Some(&officer), &movement("vd-1", "MSU", "entry", &minutes_ago(3), "M1")).await.expect(201);
        let id = created.body["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/movements/{id}/void");
        app.post(&path, Some(&officer), &json!({"reason": ""})).await.expect(422);
        app.post(&path, Some(&officer), &json!({})).await.expect(422);
        let other = app.user_token("other", &["immigration"], &["MPB"]).await;
        app.post(&path, Some(&other), &json!({"reason": "not mine"})).await.expect(404);
        let lra = app.user_token("lra", &["lra"], &["MSU"]).await;
        app.post(&path, Some(&lra), &json!({"reason": "not mine"})).await.expect(403);

        let voided = app.post(&path, Some(&officer), &json!({"reason": "scanned twice"})).await.expect(200);
        assert_eq!(voided.body["void_reason"], "scanned twice");
        assert_eq!(voided.body["voided_by"], "officer");
        assert!(voided.body["voided_at"].is_string());
        assert_eq!(voided.body["traveller"], created.body["traveller"]);
        app.post(&path, Some(&officer), &json!({"reason": "again"})).await.expect(409);
        let read = app.get(&format!("/api/v1/movements/{id}"), Some(&officer)).await.expect(200);
        assert_eq!(read.body["void_reason"], "scanned twice");
        assert_eq!(app.count("movements"), 1);

        // After the void, the next entry of the document is not "two entries in a row".
        let next = app.post("/api/v1/movements", Some(&officer), &movement("vd-2", "MSU", "entry", &minutes_ago(1), "M1")).await.expect(201);
        assert_eq!(next.body["sequence_anomaly"], false);
    }

    async fn the_database_refuses_to_change_or_delete_movements(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["MSU"]).await;
        let created = app.post("/api/v1/movements", Some(&officer), &movement("db-1", "MSU", "entry", &minutes_ago(3), "N1")).await.expect(201);
        let id = created.body["id"].as_str().unwrap();
        assert!(app.try_sql(&format!("UPDATE movements SET surname = 'X' WHERE id = '{id}'")).is_err());
        assert!(app.try_sql(&format!("DELETE FROM movements WHERE id = '{id}'")).is_err());
        assert!(app.try_sql(&format!("UPDATE movements SET voided_at = '2026-01-01 00:00:00' WHERE id = '{id}'")).is_err(), "a void needs by and reason");
        assert!(app.try_sql(&format!(
            "UPDATE movements SET voided_at = '2026-01-01 00:00:00', voided_by = 'x', void_reason = 'y', poe = 'MPB' WHERE id = '{id}'")).is_err(), "a void changes nothing else");
        app.try_sql(&format!(
            "UPDATE movements SET voided_at = '2026-01-01 00:00:00', voided_by = 'x', void_reason = 'y' WHERE id = '{id}'")).unwrap();
        assert!(app.try_sql(&format!("UPDATE movements SET void_reason = 'z' WHERE id = '{id}'")).is_err(), "a void is final");
        if app.backend == crate::helpers::Backend::Postgres {
            assert!(app.try_sql("TRUNCATE movements").is_err());
        }
        assert_eq!(app.count("movements"), 1);
    }
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}
