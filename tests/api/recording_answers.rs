//! What the officer terminal needs of the API: a movement that gives its MRZ alone, and
//! recording answers that say what became of the stay.

use chrono::{Duration, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::helpers::{minutes_ago, movement};
use crate::on_both_backends;

use crossings::domain::mrz::{MrzFields, MrzFormat, MrzSex, encode};

/// A South African passport's TD3 MRZ.
fn passport_mrz(number: &str, born: NaiveDate) -> Vec<String> {
    encode(&MrzFields {
        format: MrzFormat::Td3,
        document_code: "P".into(),
        issuing_state: "ZAF".into(),
        document_number: number.into(),
        nationality: "ZAF".into(),
        date_of_birth: born,
        sex: MrzSex::F,
        date_of_expiry: NaiveDate::from_ymd_opt(2033, 3, 1).unwrap(),
        surname: "Nkosi".into(),
        given_names: "Thandiwe Grace".into(),
        optional_data: String::new(),
    })
    .unwrap()
}

/// A movement at MSU that gives only the MRZ.
fn by_mrz(cei: &str, direction: &str, at: &str, mrz: &[String]) -> Value {
    let mut m = movement(cei, "MSU", direction, at, "unused");
    m.as_object_mut().unwrap().remove("traveller");
    m["mrz"] = json!(mrz);
    m
}

fn days_ago(days: i64) -> String {
    (Utc::now() - Duration::days(days)).to_rfc3339()
}

/// The Lesotho date `days` from today.
fn local_date(days: i64) -> NaiveDate {
    (Utc::now() + Duration::hours(2) + Duration::days(days)).date_naive()
}

on_both_backends! {
    async fn a_movement_may_give_its_mrz_alone(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["MSU"]).await;
        let mrz = passport_mrz("M1234567", NaiveDate::from_ymd_opt(1990, 5, 17).unwrap());
        let m = by_mrz("mrz-1", "entry", &minutes_ago(2), &mrz);
        let a = app.post("/api/v1/movements", Some(&officer), &m).await.expect(201);
        assert_eq!(
            a.body["traveller"],
            json!({
                "document_type": "passport", "document_number": "M1234567", "issuing_state": "ZAF",
                "nationality": "ZAF", "surname": "NKOSI", "given_names": "THANDIWE GRACE",
                "date_of_birth": "1990-05-17", "sex": "F"
            })
        );
        assert_eq!(a.body["mrz"], json!(mrz));

        // The same movement with the traveller typed as well is the same payload: a replay.
        let mut typed = m.clone();
        typed["traveller"] = a.body["traveller"].clone();
        let replay = app.post("/api/v1/movements", Some(&officer), &typed).await.expect(200);
        assert_eq!(replay.body["id"], a.body["id"]);

        // An MRZ of a child born this century.
        let child = passport_mrz("C7654321", NaiveDate::from_ymd_opt(2019, 1, 30).unwrap());
        let a = app.post("/api/v1/movements", Some(&officer), &by_mrz("mrz-2", "entry", &minutes_ago(1), &child)).await.expect(201);
        assert_eq!(a.body["traveller"]["date_of_birth"], "2019-01-30");
        assert_eq!(app.count("movements"), 2);
    }

    async fn an_mrz_alone_that_is_wrong_is_refused_naming_the_mrz_field(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["MSU"]).await;
        let good = passport_mrz("M1234567", NaiveDate::from_ymd_opt(1990, 5, 17).unwrap());
        let mut line2: Vec<char> = good[1].chars().collect();
        // The date of birth's check digit (line 2, twentieth character).
        line2[19] = if line2[19] == '3' { '4' } else { '3' };
        let bad = vec![good[0].clone(), line2.into_iter().collect::<String>()];
        let cases: Vec<(&str, Value, &str)> = vec![
            ("a wrong check digit", by_mrz("bad-1", "entry", &minutes_ago(1), &bad), "mrz.date_of_birth"),
            ("a short line", by_mrz("bad-2", "entry", &minutes_ago(1), &[good[0].clone(), good[1][..40].to_owned()]), "mrz"),
            ("neither traveller nor MRZ", {
                let mut m = movement("bad-3", "MSU", "entry", &minutes_ago(1), "X1");
                m.as_object_mut().unwrap().remove("traveller");
                m
            }, "traveller"),
        ];
        for (why, body, field) in cases {
            let refused = app.post("/api/v1/movements", Some(&officer), &body).await.expect(422);
            assert!(refused.error_fields().contains(&field.to_owned()), "{why}: {}", refused.text);
        }
        assert_eq!(app.count("movements"), 0);
    }

    async fn an_entrys_answer_gives_a_visitors_stay_end(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["MSU"]).await;
        // No permit: the default of 30 days from the Lesotho date of entry.
        let a = app.post("/api/v1/movements", Some(&officer), &movement("e-1", "MSU", "entry", &minutes_ago(3), "V1")).await.expect(201);
        assert_eq!(a.body["stay"], json!({"permitted_until": (local_date(0) + Duration::days(30)).to_string()}));
        // With a permit: the permit.
        let mut permit = movement("e-2", "MSU", "entry", &minutes_ago(3), "V2");
        permit["permitted_until"] = json!(local_date(7).to_string());
        let a = app.post("/api/v1/movements", Some(&officer), &permit).await.expect(201);
        assert_eq!(a.body["stay"]["permitted_until"], local_date(7).to_string());
        // A replay says the same.
        let replay = app.post("/api/v1/movements", Some(&officer), &permit).await.expect(200);
        assert_eq!(replay.body["stay"], a.body["stay"]);
        // Citizens have no stay.
        let mut citizen = movement("e-3", "MSU", "entry", &minutes_ago(3), "C1");
        citizen["traveller"]["nationality"] = json!("LSO");
        citizen["traveller"]["issuing_state"] = json!("LSO");
        let a = app.post("/api/v1/movements", Some(&officer), &citizen).await.expect(201);
        assert!(a.body.get("stay").is_none(), "{}", a.text);
        // Reading a movement does not carry it.
        let id = a.body["id"].as_str().unwrap();
        let read = app.get(&format!("/api/v1/movements/{id}"), Some(&officer)).await.expect(200);
        assert!(read.body.get("stay").is_none());
    }

    async fn an_exits_answer_gives_the_length_of_the_stay_it_closes(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["MSU", "MPB"]).await;
        // In time: entered 12 days ago at MSU, leaves now at MPB.
        let entry = movement("x-1", "MSU", "entry", &days_ago(12), "V1");
        let entered = app.post("/api/v1/movements", Some(&officer), &entry).await.expect(201);
        let a = app.post("/api/v1/movements", Some(&officer), &movement("x-2", "MPB", "exit", &minutes_ago(1), "V1")).await.expect(201);
        let stay = &a.body["stay"];
        assert_eq!(stay["entered_at"], entered.body["occurred_at"]);
        assert_eq!(stay["entered_poe"], "MSU");
        assert_eq!(stay["days"], 12);
        assert_eq!(stay["overstayed"], false);
        assert_eq!(stay["permitted_until"], entered.body["stay"]["permitted_until"]);

        // Overstayed: entered 40 days ago with a permit to 10 days ago.
        let mut over = movement("x-3", "MSU", "entry", &days_ago(40), "V2");
        over["permitted_until"] = json!(local_date(-10).to_string());
        app.post("/api/v1/movements", Some(&officer), &over).await.expect(201);
        let batch = json!({"movements": [movement("x-4", "MSU", "exit", &minutes_ago(1), "V2")]});
        let a = app.post("/api/v1/movements/batch", Some(&officer), &batch).await.expect(200);
        let stay = &a.body["results"][0]["stay"];
        assert_eq!(stay["days"], 40, "{}", a.text);
        assert_eq!(stay["overstayed"], true);

        // An exit with no entry on record closes nothing.
        let a = app.post("/api/v1/movements", Some(&officer), &movement("x-5", "MSU", "exit", &minutes_ago(1), "V3")).await.expect(201);
        assert!(a.body.get("stay").is_none(), "{}", a.text);
    }
}

on_both_backends! {
    async fn the_terminal_is_served_from_the_binary_with_a_strict_csp(app: TestApp) {
        let page = app.get("/terminal/", None).await.expect(200);
        assert!(page.text.contains("<label for=\"mrz\""), "the page has no field labelled MRZ");
        for (asset, kind) in [
            ("/terminal/", "text/html"),
            ("/terminal/app.js", "text/javascript"),
            ("/terminal/mrz.js", "text/javascript"),
            ("/terminal/i18n.js", "text/javascript"),
            ("/terminal/style.css", "text/css"),
        ] {
            let a = app.get(asset, None).await.expect(200);
            assert!(a.headers["content-type"].to_str().unwrap().starts_with(kind), "{asset}");
            let csp = a.headers["content-security-policy"].to_str().unwrap();
            for rule in ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"] {
                assert!(csp.contains(rule), "{asset}: {csp}");
            }
            // Nothing from the network: no absolute URL to load anything from.
            assert!(!a.text.contains("https://") && !a.text.contains("http://"), "{asset} names a URL");
        }
    }
}
