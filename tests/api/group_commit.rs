//! Group commit of single posts: concurrent `POST /movements` share a transaction, and each
//! keeps its own answer, idempotency, audit entry and fate.
//!
//! The servers here gather a group for up to 300 ms, so that posts sent together surely meet
//! in one; movements of one group share their `recorded_at` (the group's transaction time),
//! which is how the tests see that a group was formed.

use std::collections::BTreeSet;

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, minutes_ago, movement, spawn_app_with};

/// A server whose groups wait long enough to gather every post sent at once.
async fn grouping_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |s| {
        s.ingest.group_commit_max = 64;
        s.ingest.group_commit_wait_ms = 300;
        s.ingest.group_commit_writers = 2;
    })
    .await
}

macro_rules! on_both_backends_grouping {
    ($( async fn $name:ident($app:ident : TestApp) $body:block )*) => {
        $(
            mod $name {
                use super::*;

                async fn body($app: TestApp) $body

                #[actix_web::test]
                async fn sqlite() {
                    if let Some(app) = grouping_app(Backend::Sqlite).await {
                        body(app).await;
                    }
                }

                #[actix_web::test]
                async fn postgres() {
                    if let Some(app) = grouping_app(Backend::Postgres).await {
                        body(app).await;
                    }
                }
            }
        )*
    };
}

fn with(mut m: Value, pointer: &str, value: Value) -> Value {
    *m.pointer_mut(pointer).expect("field exists") = value;
    m
}

on_both_backends_grouping! {
    async fn concurrent_singles_of_many_senders_are_each_recorded_and_audited_once(app: TestApp) {
        // Four officers at four posts and two gates, six posts each, all at once.
        let mut senders: Vec<(String, String, String)> = Vec::new();
        for (name, poe) in [("mpho", "MSU"), ("lerato", "MPB"), ("thabo", "CAL"), ("palesa", "MIA")] {
            let token = app.user_token(name, &["immigration"], &[poe]).await;
            senders.push((token, name.to_owned(), poe.to_owned()));
        }
        for poe in ["MSU", "VRG"] {
            senders.push((app.system_token(poe).await, "poe-system:".to_owned(), poe.to_owned()));
        }
        let app = &app;
        let mut sends = Vec::new();
        for (s, (token, name, poe)) in senders.iter().enumerate() {
            for k in 0..6 {
                // The same key for every sender: keys are per sender, in a group too.
                let m = movement(&format!("k-{k}"), poe, "entry", &minutes_ago(5), &format!("D{s}{k:05}"));
                sends.push(async move {
                    (name.clone(), app.post("/api/v1/movements", Some(token), &m).await)
                });
            }
        }
        let answers = join_all(sends).await;
        for (_, a) in &answers {
            assert_eq!(a.status.as_u16(), 201, "{}", a.text);
        }
        for (name, a) in &answers {
            assert!(a.body["recorded_by"].as_str().unwrap().starts_with(name.as_str()), "{}", a.text);
        }
        let ids: BTreeSet<&str> = answers.iter().map(|(_, a)| a.body["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), 36, "one movement per post");
        assert_eq!(app.count("movements"), 36);
        let groups: BTreeSet<&str> = answers.iter().map(|(_, a)| a.body["recorded_at"].as_str().unwrap()).collect();
        assert!(groups.len() < 36, "posts sent together share transactions ({} groups)", groups.len());

        // One audit entry per movement, under its own sender, with its own request id.
        assert_eq!(app.count("audit_log WHERE action = 'movement.record'"), 36);
        assert_eq!(
            app.count(
                "movements m JOIN audit_log a ON a.object = 'movement:' || m.id \
                 AND a.action = 'movement.record' AND a.actor = m.recorded_by"
            ),
            36
        );
        assert_eq!(
            app.count("(SELECT DISTINCT request_id FROM audit_log WHERE action = 'movement.record') AS r"),
            36
        );
        let admin = app.admin_token().await;
        let verify = app.get("/api/v1/audit/verify", Some(&admin)).await.expect(200);
        assert_eq!(verify.body["ok"], true, "{}", verify.text);
    }

    async fn a_replay_and_a_conflict_in_a_group_answer_as_they_would_alone(app: TestApp) {
        let officer = app.user_token("mpho", &["immigration"], &["MSU"]).await;
        let other = app.user_token("lerato", &["immigration"], &["MSU"]).await;
        let recorded = movement("seen-1", "MSU", "entry", &minutes_ago(30), "R0000001");
        let first = app.post("/api/v1/movements", Some(&officer), &recorded).await.expect(201);

        let replay = recorded.clone();
        let conflict = with(recorded.clone(), "/purpose", json!("business"));
        let fresh = movement("new-1", "MSU", "entry", &minutes_ago(2), "N0000001");
        let same_key_other_sender = recorded.clone();
        let twice = movement("twice-1", "MSU", "exit", &minutes_ago(1), "T0000001");
        let twice_changed = with(twice.clone(), "/purpose", json!("business"));
        let bad = with(fresh.clone(), "/poe", json!("XXX"));
        let (r_replay, r_conflict, r_fresh, r_other, r_twice, r_twice_changed, r_bad) = futures_util::join!(
            app.post("/api/v1/movements", Some(&officer), &replay),
            app.post("/api/v1/movements", Some(&officer), &conflict),
            app.post("/api/v1/movements", Some(&officer), &fresh),
            app.post("/api/v1/movements", Some(&other), &same_key_other_sender),
            app.post("/api/v1/movements", Some(&officer), &twice),
            app.post("/api/v1/movements", Some(&officer), &twice_changed),
            app.post("/api/v1/movements", Some(&officer), &bad),
        );
        // A replay: the original, 200.
        let r_replay = r_replay.expect(200);
        assert_eq!(r_replay.body["id"], first.body["id"]);
        assert_eq!(r_replay.body["recorded_at"], first.body["recorded_at"]);
        // Another payload under a used key: 409 naming the original.
        let r_conflict = r_conflict.expect(409);
        assert!(r_conflict.text.contains(first.body["id"].as_str().unwrap()), "{}", r_conflict.text);
        // The same key from another sender is another movement.
        let r_fresh = r_fresh.expect(201);
        let r_other = r_other.expect(201);
        assert_ne!(r_other.body["id"], first.body["id"]);
        assert_eq!(r_other.body["recorded_by"], "lerato");
        assert_eq!(r_fresh.body["recorded_at"], r_other.body["recorded_at"], "one group");
        // One new key sent twice with two payloads at once: one is recorded, the other is
        // refused as a conflict, whichever came first.
        let mut statuses = [r_twice.status.as_u16(), r_twice_changed.status.as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 409], "{} / {}", r_twice.text, r_twice_changed.text);
        // A bad movement is refused before any group, naming its field.
        let r_bad = r_bad.expect(422);
        assert!(r_bad.error_fields().contains(&"poe".to_owned()), "{}", r_bad.text);

        assert_eq!(app.count("movements"), 4);
        assert_eq!(app.count("audit_log WHERE action = 'movement.record'"), 4);
    }

    async fn a_post_the_database_refuses_fails_alone_and_its_group_is_recorded(app: TestApp) {
        // The database refuses one document (a trigger made for this test): the group's
        // transaction fails, and its posts are recorded one by one.
        let trigger = match app.backend {
            Backend::Postgres => "CREATE FUNCTION refuse_poison() RETURNS trigger AS $$ \
                 BEGIN IF NEW.document_number = 'POISON1' THEN RAISE EXCEPTION 'refused by the test'; END IF; \
                 RETURN NEW; END $$ LANGUAGE plpgsql; \
                 CREATE TRIGGER refuse_poison BEFORE INSERT ON movements FOR EACH ROW EXECUTE FUNCTION refuse_poison();",
            Backend::Sqlite => "CREATE TRIGGER refuse_poison BEFORE INSERT ON movements \
                 WHEN NEW.document_number = 'POISON1' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
        };
        app.try_sql(trigger).expect("trigger created");
        let gate = app.system_token("MSU").await;
        let officer = app.user_token("mpho", &["immigration"], &["MSU"]).await;
        let app = &app;
        let mut sends = Vec::new();
        for k in 0..8 {
            let doc = if k == 3 { "POISON1".to_owned() } else { format!("G{k:07}") };
            let token = if k % 2 == 0 { &gate } else { &officer };
            let m = movement(&format!("g-{k}"), "MSU", "entry", &minutes_ago(3), &doc);
            sends.push(async move { app.post("/api/v1/movements", Some(token), &m).await });
        }
        let answers = join_all(sends).await;
        for (k, a) in answers.iter().enumerate() {
            if k == 3 {
                assert_eq!(a.status.as_u16(), 500, "the refused post fails: {}", a.text);
            } else {
                assert_eq!(a.status.as_u16(), 201, "its neighbours are recorded: {}", a.text);
            }
        }
        assert_eq!(app.count("movements"), 7);
        assert_eq!(app.count("movements WHERE document_number = 'POISON1'"), 0);
        assert_eq!(app.count("audit_log WHERE action = 'movement.record'"), 7);
    }
}

mod off {
    use super::*;

    /// `ingest.group_commit_max = 1`: every post alone, with the same answers.
    async fn body(app: TestApp) {
        let gate = app.system_token("MPB").await;
        let m = movement("off-1", "MPB", "exit", &minutes_ago(1), "B7654321");
        let sends = (0..6).map(|_| app.post("/api/v1/movements", Some(&gate), &m));
        let answers = join_all(sends).await;
        let mut statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 200, 200, 200, 200, 201]);
        assert_eq!(app.count("movements"), 1);
    }

    async fn app(backend: Backend) -> Option<TestApp> {
        spawn_app_with(backend, |s| s.ingest.group_commit_max = 1).await
    }

    #[actix_web::test]
    async fn group_commit_off_records_each_post_alone_sqlite() {
        if let Some(app) = app(Backend::Sqlite).await {
            body(app).await;
        }
    }

    #[actix_web::test]
    async fn group_commit_off_records_each_post_alone_postgres() {
        if let Some(app) = app(Backend::Postgres).await {
            body(app).await;
        }
    }
}
