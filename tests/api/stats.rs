//! Statistics: exact counts, buckets in Lesotho time, suppression, CSV, and who may ask.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app_with};
use crate::on_both_backends;

/// One generated movement.
#[derive(Debug, Clone)]
struct Spec {
    at: NaiveDateTime,
    poe: &'static str,
    direction: &'static str,
    nationality: &'static str,
    sex: &'static str,
    dob: NaiveDate,
    purpose: &'static str,
    mode: &'static str,
}

const POES: [&str; 3] = ["MSU", "MPB", "MIA"];
const NATIONALITIES: [&str; 3] = ["LSO", "ZAF", "MOZ"];
const SEXES: [&str; 3] = ["F", "M", "X"];
const PURPOSES: [&str; 3] = ["work", "visit", "returning_resident"];

fn base() -> NaiveDateTime {
    // A Sunday; the range runs over a month end and several local midnights.
    NaiveDate::from_ymd_opt(2026, 5, 31)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
}

/// Movements spread over ten days, with many exactly at 21:59:59Z and 22:00:00Z (the two
/// sides of local midnight).
fn specs() -> impl Strategy<Value = Vec<Spec>> {
    let one = (
        0u32..10,
        0u32..6,
        0usize..3,
        0usize..2,
        0usize..3,
        0usize..3,
        0i64..30_000,
        0usize..3,
        0u32..86_400,
    )
        .prop_map(|(day, kind, poe, dir, nat, sex, age_days, purpose, secs)| {
            let day_start = base() + Duration::days(i64::from(day));
            let at = match kind {
                0 => day_start + Duration::seconds(21 * 3600 + 59 * 60 + 59),
                1 => day_start + Duration::hours(22),
                _ => day_start + Duration::seconds(i64::from(secs)),
            };
            let poe = POES[poe];
            Spec {
                at,
                poe,
                direction: ["entry", "exit"][dir],
                nationality: NATIONALITIES[nat],
                sex: SEXES[sex],
                dob: at.date() - Duration::days(age_days),
                purpose: PURPOSES[purpose],
                mode: if poe == "MIA" { "air" } else { "pedestrian" },
            }
        });
    proptest::collection::vec(one, 40..120)
}

fn json_of(i: usize, s: &Spec, tag: &str) -> Value {
    json!({
        "client_event_id": format!("{tag}-{i}"),
        "poe": s.poe,
        "direction": s.direction,
        "occurred_at": format!("{}Z", s.at.format("%Y-%m-%dT%H:%M:%S")),
        "mode": s.mode,
        "purpose": s.purpose,
        "traveller": {
            "document_type": "passport",
            "document_number": format!("{tag}DOC{i}"),
            "issuing_state": s.nationality,
            "nationality": s.nationality,
            "surname": "TESTER",
            "given_names": "ONE",
            "date_of_birth": s.dob.format("%Y-%m-%d").to_string(),
            "sex": s.sex,
        }
    })
}

/// The test's own age bands, written from the specification, not from the service's code.
fn band(dob: NaiveDate, on: NaiveDate) -> &'static str {
    let mut age = on.year() - dob.year();
    if (on.month(), on.day()) < (dob.month(), dob.day()) {
        age -= 1;
    }
    match age {
        ..15 => "0-14",
        15..25 => "15-24",
        25..35 => "25-34",
        35..45 => "35-44",
        45..55 => "45-54",
        55..65 => "55-64",
        _ => "65+",
    }
}

fn local(s: &Spec) -> NaiveDateTime {
    s.at + Duration::hours(2)
}

fn bucket(interval: &str, t: NaiveDateTime) -> String {
    let d = t.date();
    let start = match interval {
        "hour" => d
            .and_hms_opt(t.time().format("%H").to_string().parse().unwrap(), 0, 0)
            .unwrap(),
        "day" => d.and_hms_opt(0, 0, 0).unwrap(),
        "week" => (d - Duration::days(i64::from(d.weekday().num_days_from_monday())))
            .and_hms_opt(0, 0, 0)
            .unwrap(),
        _ => d.with_day(1).unwrap().and_hms_opt(0, 0, 0).unwrap(),
    };
    format!("{}+02:00", start.format("%Y-%m-%dT%H:%M:%S"))
}

fn value(s: &Spec, dim: &str) -> String {
    match dim {
        "poe" => s.poe.to_owned(),
        "direction" => s.direction.to_owned(),
        "nationality" => s.nationality.to_owned(),
        "sex" => s.sex.to_owned(),
        "age_band" => band(s.dob, local(s).date()).to_owned(),
        "purpose" => s.purpose.to_owned(),
        _ => s.mode.to_owned(),
    }
}

/// What the answer must be: counted by the test from its own inputs.
fn expected(
    live: &[Spec],
    interval: &str,
    group: &[&str],
    from: NaiveDateTime,
    to: NaiveDateTime,
    filter: Option<(&str, &str)>,
) -> BTreeMap<(String, Vec<String>), i64> {
    let mut out = BTreeMap::new();
    for s in live.iter().filter(|s| s.at >= from && s.at < to) {
        if let Some((dim, v)) = filter {
            if value(s, dim) != v {
                continue;
            }
        }
        let keys = group.iter().map(|d| value(s, d)).collect();
        *out.entry((bucket(interval, local(s)), keys)).or_insert(0) += 1;
    }
    out
}

fn answered(body: &Value, group: &[&str]) -> BTreeMap<(String, Vec<String>), i64> {
    body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let keys = group
                .iter()
                .map(|d| r[*d].as_str().unwrap().to_owned())
                .collect();
            (
                (r["bucket"].as_str().unwrap().to_owned(), keys),
                r["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn utc(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%SZ").unwrap()
}

async fn exact_counts(
    backend: Backend,
    case: usize,
    specs: Vec<Spec>,
    voids: Vec<usize>,
    late: Vec<usize>,
) {
    // k = 1: nothing withheld, so every cell can be compared. Pending changes are folded
    // into the counters only where this test says, so that each case reads them in another
    // state: case 0 all pending, case 1 the first batch folded and the rest pending, case 2
    // all folded.
    let Some(app) = spawn_app_with(backend, |s| {
        s.stats.min_cell_count = 1;
        s.stats.fold_interval_ms = 60_000;
    })
    .await
    else {
        return;
    };
    let fold = || async {
        app.state
            .ctx
            .db
            .write(crossings::store::counts::fold)
            .await
            .unwrap()
            .expect("no other node folds")
    };
    let officer = app.user_token("officer", &["immigration"], &["*"]).await;
    let analyst = app.user_token("hoba", &["analyst"], &[]).await;
    let tag = format!("c{case}");

    // Some arrive late: they are held back and sent after the first query.
    type Numbered<'a> = Vec<(usize, &'a Spec)>;
    let (held, first): (Numbered, Numbered) = specs
        .iter()
        .enumerate()
        .partition(|(i, _)| late.contains(i));
    let body =
        json!({"movements": first.iter().map(|(i, s)| json_of(*i, s, &tag)).collect::<Vec<_>>()});
    let recorded = app
        .post("/api/v1/movements/batch", Some(&officer), &body)
        .await
        .expect(200);
    assert_eq!(recorded.body["rejected"], 0, "{}", recorded.text);
    let mut ids: BTreeMap<usize, String> = first
        .iter()
        .zip(recorded.body["results"].as_array().unwrap())
        .map(|((i, _), r)| (*i, r["id"].as_str().unwrap().to_owned()))
        .collect();

    if case == 1 {
        fold().await;
    }
    let query =
        "/api/v1/stats/movements?from=2026-05-31&to=2026-06-11&interval=day&group_by=poe,direction";
    let before = app.get(query, Some(&analyst)).await.expect(200);
    let live_first: Vec<Spec> = first.iter().map(|(_, s)| (*s).clone()).collect();
    let (from, to) = (utc("2026-05-30T22:00:00Z"), utc("2026-06-10T22:00:00Z"));
    assert_eq!(
        answered(&before.body, &["poe", "direction"]),
        expected(&live_first, "day", &["poe", "direction"], from, to, None)
    );

    // The late ones, then the voids.
    if !held.is_empty() {
        let body = json!({"movements": held.iter().map(|(i, s)| json_of(*i, s, &tag)).collect::<Vec<_>>()});
        let r = app
            .post("/api/v1/movements/batch", Some(&officer), &body)
            .await
            .expect(200);
        for ((i, _), res) in held.iter().zip(r.body["results"].as_array().unwrap()) {
            ids.insert(*i, res["id"].as_str().unwrap().to_owned());
        }
    }
    for v in &voids {
        app.post(
            &format!("/api/v1/movements/{}/void", ids[v]),
            Some(&officer),
            &json!({"reason": "test void"}),
        )
        .await
        .expect(200);
    }
    let live: Vec<Spec> = specs
        .iter()
        .enumerate()
        .filter(|(i, _)| !voids.contains(i))
        .map(|(_, s)| s.clone())
        .collect();

    if case == 2 {
        let folded = fold().await;
        assert!(folded.changes > 0, "{folded:?}");
        // Nothing is left pending: the counters alone now hold every count (checked below).
        assert_eq!(fold().await.changes, 0);
    }
    type Case<'a> = (
        &'a str,
        &'a str,
        Vec<&'a str>,
        Option<(&'a str, &'a str)>,
        NaiveDateTime,
        NaiveDateTime,
    );
    let cases: Vec<Case> = vec![
        (
            "day",
            "from=2026-05-31&to=2026-06-11",
            vec!["poe", "direction"],
            None,
            from,
            to,
        ),
        (
            "hour",
            "from=2026-06-01&to=2026-06-03",
            vec!["direction"],
            None,
            utc("2026-05-31T22:00:00Z"),
            utc("2026-06-02T22:00:00Z"),
        ),
        (
            "hour",
            "from=2026-06-01&to=2026-06-03",
            vec!["nationality"],
            None,
            utc("2026-05-31T22:00:00Z"),
            utc("2026-06-02T22:00:00Z"),
        ),
        (
            "month",
            "from=2026-05-31&to=2026-06-11",
            vec!["nationality", "sex"],
            None,
            from,
            to,
        ),
        (
            "week",
            "from=2026-05-31&to=2026-06-11",
            vec!["purpose", "mode"],
            Some(("nationality", "LSO")),
            from,
            to,
        ),
        (
            "day",
            "from=2026-06-02T21:59:59Z&to=2026-06-07T22:00:01Z",
            vec!["mode"],
            None,
            utc("2026-06-02T21:59:59Z"),
            utc("2026-06-07T22:00:01Z"),
        ),
        // Broken down by age band: protected, so whole local days only.
        (
            "day",
            "from=2026-06-03&to=2026-06-08",
            vec!["age_band"],
            None,
            utc("2026-06-02T22:00:00Z"),
            utc("2026-06-07T22:00:00Z"),
        ),
        (
            "month",
            "from=2026-06-01T10:30:00%2B02:00&to=2026-06-09T03:15:00Z",
            vec!["purpose", "poe", "mode"],
            Some(("direction", "exit")),
            utc("2026-06-01T08:30:00Z"),
            utc("2026-06-09T03:15:00Z"),
        ),
        (
            "day",
            "from=2026-05-31&to=2026-06-11",
            vec![],
            None,
            from,
            to,
        ),
    ];
    for (interval, range, group, filter, f, t) in cases {
        let mut path = format!(
            "/api/v1/stats/movements?{range}&interval={interval}&group_by={}",
            group.join(",")
        );
        if let Some((d, v)) = filter {
            path.push_str(&format!("&{d}={v}"));
        }
        let a = app.get(&path, Some(&analyst)).await.expect(200);
        let want = expected(&live, interval, &group, f, t, filter);
        assert_eq!(answered(&a.body, &group), want, "{path}");
        assert_eq!(
            a.body["total"].as_i64().unwrap(),
            want.values().sum::<i64>(),
            "{path}"
        );
    }
    assert_counters_agree_with_a_recount(&app);
}

async fn exactness_property(backend: Backend) {
    let mut runner = TestRunner::deterministic();
    let strategy = specs().prop_flat_map(|s| {
        let n = s.len();
        (
            proptest::strategy::Just(s),
            proptest::collection::vec(0..n, 0..n / 4),
            proptest::collection::vec(0..n, 0..n / 4),
        )
    });
    for case in 0..3 {
        let (specs, voids, late) = strategy.new_tree(&mut runner).unwrap().current();
        let mut voids = voids;
        voids.sort_unstable();
        voids.dedup();
        exact_counts(backend, case, specs, voids, late).await;
    }
}

#[actix_web::test]
async fn counts_equal_the_movements_whatever_the_voids_and_late_arrivals_sqlite() {
    exactness_property(Backend::Sqlite).await;
}

#[actix_web::test]
async fn counts_equal_the_movements_whatever_the_voids_and_late_arrivals_postgres() {
    exactness_property(Backend::Postgres).await;
}

/// Writers, readers and the folder at work together (the folder every 10 ms): every answer
/// read meanwhile counts each recorded movement once (never more than were sent, never fewer
/// than an earlier answer), and at the end the counts are exact.
async fn folding_while_writing(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| {
        s.stats.min_cell_count = 1;
        s.stats.fold_interval_ms = 10;
    })
    .await
    else {
        return;
    };
    let officer = app.user_token("officer", &["immigration"], &["*"]).await;
    let analyst = app.user_token("hoba", &["analyst"], &[]).await;
    let (writers, batches, size) = (4, 5, 40);
    let sent = (writers * batches * size) as i64;
    let query =
        "/api/v1/stats/movements?from=2026-06-01&to=2026-06-02&interval=day&group_by=direction";
    let done = std::sync::atomic::AtomicBool::new(false);
    let write = futures_util::future::join_all((0..writers).map(|w| {
        let (app, officer) = (&app, &officer);
        async move {
            for b in 0..batches {
                let items = (0..size)
                    .map(|i| {
                        let n = (w * batches + b) * size + i;
                        let direction = if n % 2 == 0 { "entry" } else { "exit" };
                        simple(n, "MSU", direction, "2026-06-01T10:00:00Z", "ZAF")
                    })
                    .collect();
                record(app, officer, items).await;
            }
        }
    }));
    let read = async {
        let mut seen = Vec::new();
        while !done.load(std::sync::atomic::Ordering::Relaxed) {
            let a = app.get(query, Some(&analyst)).await.expect(200);
            seen.push(a.body["total"].as_i64().unwrap());
        }
        seen
    };
    let finish = async {
        write.await;
        done.store(true, std::sync::atomic::Ordering::Relaxed);
    };
    let ((), seen) = futures_util::future::join(finish, read).await;
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert!(seen.iter().all(|n| *n <= sent), "{seen:?}");

    let a = app.get(query, Some(&analyst)).await.expect(200);
    assert_eq!(a.body["total"], sent, "{}", a.text);
    let rows = a.body["rows"].as_array().unwrap();
    assert!(rows.iter().all(|r| r["count"] == sent / 2), "{}", a.text);
    assert_counters_agree_with_a_recount(&app);
}

#[actix_web::test]
async fn folding_while_writing_and_reading_loses_and_doubles_nothing_sqlite() {
    folding_while_writing(Backend::Sqlite).await;
}

#[actix_web::test]
async fn folding_while_writing_and_reading_loses_and_doubles_nothing_postgres() {
    folding_while_writing(Backend::Postgres).await;
}

/// The kept counters (folded and pending) agree with a recount from the movements.
#[track_caller]
fn assert_counters_agree_with_a_recount(app: &TestApp) {
    let mut conn = app.state.ctx.db.get().unwrap();
    let differences = crossings::store::counts::check(&mut conn).unwrap();
    assert!(differences.is_empty(), "{differences:?}");
}

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

fn simple(i: usize, poe: &str, direction: &str, at: &str, nationality: &str) -> Value {
    let mut m = crate::helpers::movement(&format!("s-{i}"), poe, direction, at, &format!("S{i}"));
    m["traveller"]["nationality"] = json!(nationality);
    m["traveller"]["issuing_state"] = json!(nationality);
    m
}

on_both_backends! {
    async fn small_cells_are_withheld_and_cannot_be_worked_out_from_the_total(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["*"]).await;
        let analyst = app.user_token("hoba", &["analyst"], &[]).await;
        let mut items: Vec<Value> = (0..7).map(|i| simple(i, "MSU", "entry", "2026-03-03T08:00:00Z", "LSO")).collect();
        items.extend((7..10).map(|i| simple(i, "MSU", "entry", "2026-03-03T08:00:00Z", "MOZ")));
        record(&app, &officer, items).await;
        let a = app.get("/api/v1/stats/movements?from=2026-03-03&to=2026-03-04&group_by=nationality", Some(&analyst)).await.expect(200);
        let rows = a.body["rows"].as_array().unwrap();
        let of = |n: &str| rows.iter().find(|r| r["nationality"] == n).unwrap()["count"].clone();
        assert_eq!(of("MOZ"), Value::Null, "3 is below k = 5");
        // 10 - 7 would give the 3 away: the next smallest cell is withheld too.
        assert_eq!(of("LSO"), Value::Null);
        assert_eq!(a.body["suppressed_cells"], 2);
        assert_eq!(a.body["total"], 10);
        assert_eq!(a.body["min_cell_count"], 5);
        // Narrowing to one nationality is a breakdown too, and the total is a count like any.
        let b = app.get("/api/v1/stats/movements?from=2026-03-03&to=2026-03-04&group_by=poe&nationality=MOZ", Some(&analyst)).await.expect(200);
        assert_eq!(b.body["rows"][0]["count"], Value::Null);
        assert_eq!(b.body["total"], Value::Null);
        assert_eq!(b.body["suppressed_cells"], 2);
        // Posts and directions are not sensitive.
        let c = app.get("/api/v1/stats/movements?from=2026-03-03&to=2026-03-04&group_by=poe&direction=entry", Some(&analyst)).await.expect(200);
        assert_eq!(c.body["rows"][0]["count"], 10);
        assert_eq!(c.body["timezone"], "Africa/Maseru");
        assert_eq!(c.body["rows"][0]["bucket"], "2026-03-03T00:00:00+02:00");
    }

    async fn bad_questions_are_422_saying_what_is_wrong(app: TestApp) {
        let analyst = app.user_token("hoba", &["analyst"], &[]).await;
        let cases = [
            ("from=2026-01-01&to=2026-01-02&interval=fortnight", "interval"),
            ("from=2026-01-01&to=2026-01-02&group_by=surname", "group_by"),
            ("from=2026-01-01&to=2026-01-02&group_by=document_number", "group_by"),
            ("from=2026-01-01&to=2026-01-02&group_by=colour", "group_by"),
            ("from=2026-01-02&to=2026-01-01", "from"),
            ("from=2026-01-01&to=2026-01-01", "from"),
            ("from=2026-01-01&to=2026-03-01&interval=hour", "to"),
            ("to=2026-01-02", "from"),
            ("from=yesterday&to=2026-01-02", "from"),
            ("from=2026-01-01&to=2026-01-02&poe=msu", "poe"),
            ("from=2026-01-01&to=2026-01-02&age_band=10-20", "age_band"),
            ("from=2026-01-01&to=2026-01-02&format=xml", "format"),
            ("from=2026-01-01&to=2026-01-02&name=x", "body"),
        ];
        for (q, field) in cases {
            let a = app.get(&format!("/api/v1/stats/movements?{q}"), Some(&analyst)).await;
            assert_eq!(a.status.as_u16(), 422, "{q}: {}", a.text);
            assert!(a.error_fields().iter().any(|f| f == field) || (field == "body" && a.text.contains("unknown field")), "{q}: {}", a.text);
        }
        let too_long = app.get("/api/v1/stats/movements?from=2026-01-01&to=2026-03-01&interval=hour", Some(&analyst)).await;
        assert!(too_long.text.contains("at most 31 days"), "{}", too_long.text);
        let personal = app.get("/api/v1/stats/movements?from=2026-01-01&to=2026-01-02&group_by=date_of_birth", Some(&analyst)).await;
        assert!(personal.text.contains("personal"), "{}", personal.text);
    }

    async fn csv_has_the_same_rows_as_json(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["*"]).await;
        let analyst = app.user_token("hoba", &["analyst"], &[]).await;
        record(&app, &officer, (0..12).map(|i| simple(i, if i % 2 == 0 { "MSU" } else { "MPB" }, "exit", "2026-03-03T08:00:00Z", "ZAF")).collect()).await;
        let q = "/api/v1/stats/movements?from=2026-03-03&to=2026-03-05&group_by=poe,direction";
        let j = app.get(q, Some(&analyst)).await.expect(200);
        let c = app.get(&format!("{q}&format=csv"), Some(&analyst)).await.expect(200);
        assert!(c.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
        let lines: Vec<&str> = c.text.lines().collect();
        assert_eq!(lines[0], "bucket,date,poe,poe_name,direction,count");
        let name = |poe: &str| if poe == "MSU" { "Maseru Bridge" } else { "Maputsoe Bridge" };
        let rows: Vec<String> = j.body["rows"].as_array().unwrap().iter()
            .map(|r| {
                let bucket = r["bucket"].as_str().unwrap();
                let poe = r["poe"].as_str().unwrap();
                format!("{bucket},{},{poe},{},{},{}", &bucket[..10], name(poe), r["direction"].as_str().unwrap(), r["count"])
            })
            .collect();
        assert_eq!(lines[1..].to_vec(), rows);
        let accept = app.send(app.client.get(app.url(q)).bearer_auth(&analyst).header("Accept", "text/csv")).await.expect(200);
        assert_eq!(accept.text, c.text);
        for path in ["/api/v1/stats/summary?date=2026-03-03&format=csv", "/api/v1/stats/citizen-flow?from=2026-03-01&to=2026-03-05&format=csv", "/api/v1/stats/hour-profile?from=2026-03-02&to=2026-03-09&format=csv"] {
            let r = app.get(path, Some(&analyst)).await.expect(200);
            assert!(r.headers["content-type"].to_str().unwrap().starts_with("text/csv"), "{path}");
        }
    }

    async fn only_analysts_and_admins_see_statistics_and_never_a_person(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["*"]).await;
        record(&app, &officer, (0..6).map(|i| simple(i, "MSU", "entry", "2026-03-03T08:00:00Z", "ZAF")).collect()).await;
        // Every dimension, filtered enough to stay under stats.max_cells.
        let q = "/api/v1/stats/movements?from=2026-03-01&to=2026-03-05&group_by=poe,direction,nationality,sex,age_band,purpose,mode&nationality=ZAF&purpose=visit";
        for role in ["analyst", "admin"] {
            let t = app.user_token(&format!("s-{role}"), &[role], &["*"]).await;
            let a = app.get(q, Some(&t)).await.expect(200);
            for personal in ["DLAMINI", "SIPHO", "S1", "1988-03-14"] {
                assert!(!a.text.contains(personal), "{role} saw {personal}");
            }
        }
        for role in ["immigration", "police", "lra"] {
            let t = app.user_token(&format!("n-{role}"), &[role], &["*"]).await;
            app.get(q, Some(&t)).await.expect(403);
            app.get("/api/v1/stats/summary", Some(&t)).await.expect(403);
        }
        let gate = app.system_token("MSU").await;
        app.get(q, Some(&gate)).await.expect(403);
        app.get(q, None).await.expect(401);
    }

    async fn the_summary_shows_each_post_today(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["*"]).await;
        let analyst = app.user_token("hoba", &["analyst"], &[]).await;
        record(&app, &officer, vec![
            simple(1, "MSU", "entry", "2026-03-03T06:00:00Z", "LSO"),
            simple(2, "MSU", "entry", "2026-03-03T07:00:00Z", "LSO"),
            simple(3, "MSU", "exit", "2026-03-03T21:59:59Z", "LSO"),
            simple(4, "MSU", "exit", "2026-03-03T22:00:00Z", "LSO"),
            simple(5, "MPB", "exit", "2026-03-03T12:00:00Z", "ZAF"),
        ]).await;
        let a = app.get("/api/v1/stats/summary?date=2026-03-03", Some(&analyst)).await.expect(200);
        let rows = a.body["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 15);
        let msu = rows.iter().find(|r| r["poe"] == "MSU").unwrap();
        assert_eq!((msu["entries"].as_i64(), msu["exits"].as_i64(), msu["net"].as_i64()), (Some(2), Some(1), Some(1)));
        assert_eq!(msu["last_event_at"], "2026-03-03T23:59:59+02:00");
        assert_eq!(msu["alert_hits"], 0);
        assert_eq!(msu["open_now"], Value::Null, "not today");
        let quiet = rows.iter().find(|r| r["poe"] == "SNP").unwrap();
        assert_eq!(quiet["last_event_at"], Value::Null);
        app.get("/api/v1/stats/summary?date=03/03/2026", Some(&analyst)).await.expect(422);
        let today = app.get("/api/v1/stats/summary", Some(&analyst)).await.expect(200);
        assert!(today.body["rows"][0]["open_now"].is_boolean());
    }

    async fn the_hour_profile_is_a_mean_per_hour_of_the_week(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["*"]).await;
        let analyst = app.user_token("hoba", &["analyst"], &[]).await;
        // Monday 2 March 2026 08:xx local (06:xx UTC): 3 crossings; Monday 9 March: 1.
        record(&app, &officer, vec![
            simple(1, "MSU", "entry", "2026-03-02T06:05:00Z", "LSO"),
            simple(2, "MSU", "entry", "2026-03-02T06:35:00Z", "LSO"),
            simple(3, "MSU", "exit", "2026-03-02T06:59:59Z", "LSO"),
            simple(4, "MSU", "entry", "2026-03-09T06:10:00Z", "LSO"),
            simple(5, "MPB", "entry", "2026-03-09T06:10:00Z", "LSO"),
        ]).await;
        let a = app.get("/api/v1/stats/hour-profile?poe=MSU&from=2026-03-02&to=2026-03-16", Some(&analyst)).await.expect(200);
        let cells = a.body["cells"].as_array().unwrap();
        assert_eq!(cells.len(), 168);
        let monday_8 = cells.iter().find(|c| c["weekday"] == 1 && c["hour"] == 8).unwrap();
        assert_eq!(monday_8["mean"].as_f64(), Some(2.0), "4 crossings over two Mondays");
        let monday_9 = cells.iter().find(|c| c["weekday"] == 1 && c["hour"] == 9).unwrap();
        assert_eq!(monday_9["mean"].as_f64(), Some(0.0));
        app.get("/api/v1/stats/hour-profile?from=2026-03-02T10:30:00Z&to=2026-03-16", Some(&analyst)).await.expect(422);
    }

    async fn a_rebuild_recounts_every_counter_from_the_movements(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["*"]).await;
        let analyst = app.user_token("hoba", &["analyst"], &[]).await;
        let items = (0..12)
            .map(|i| {
                let direction = if i % 3 == 0 { "exit" } else { "entry" };
                simple(i, "MSU", direction, "2026-03-03T08:00:00Z", "ZAF")
            })
            .collect();
        record(&app, &officer, items).await;
        let query =
            "/api/v1/stats/movements?from=2026-03-01&to=2026-03-05&interval=day&group_by=direction";
        let before = app.get(query, Some(&analyst)).await.expect(200);
        let recounted = app.state.ctx.db.write(crossings::store::counts::rebuild).await.unwrap();
        assert_eq!(recounted, 12);
        // Nothing is left pending: the rebuilt counters alone answer.
        let fold = app.state.ctx.db.write(crossings::store::counts::fold).await.unwrap();
        assert_eq!(fold.map(|f| f.changes), Some(0));
        let after = app.get(query, Some(&analyst)).await.expect(200);
        assert_eq!(after.body["total"], 12, "{}", after.text);
        assert_eq!(after.body["rows"], before.body["rows"]);
        assert_counters_agree_with_a_recount(&app);
    }

    async fn citizen_flow_counts_basotho_in_and_out(app: TestApp) {
        let officer = app.user_token("officer", &["immigration"], &["*"]).await;
        let analyst = app.user_token("hoba", &["analyst"], &[]).await;
        let mut items: Vec<Value> = (0..8).map(|i| simple(i, "MSU", "entry", "2026-03-03T08:00:00Z", "LSO")).collect();
        items.extend((8..14).map(|i| simple(i, "MPB", "exit", "2026-03-03T09:00:00Z", "LSO")));
        items.extend((14..20).map(|i| simple(i, "MPB", "exit", "2026-03-03T09:00:00Z", "ZAF")));
        record(&app, &officer, items).await;
        let a = app.get("/api/v1/stats/citizen-flow?from=2026-03-01&to=2026-03-08&interval=day", Some(&analyst)).await.expect(200);
        assert_eq!(a.body["nationality"], "LSO");
        assert_eq!(a.body["rows"], json!([{"bucket": "2026-03-03T00:00:00+02:00", "entries": 8, "exits": 6, "net": 2}]));
        assert_eq!((a.body["entries"].as_i64(), a.body["exits"].as_i64(), a.body["net"].as_i64()), (Some(8), Some(6), Some(2)));
    }
}

/// PostgreSQL keeps each aggregate's counters in a partition of its own (migration
/// `counts_by_aggregate`), so that reading a small aggregate never reads the large one's pages:
/// an aggregate without one would have nowhere to go, and its fold would fail.
#[actix_web::test]
async fn every_aggregate_has_its_own_partition_on_postgres() {
    let Some(app) = crate::helpers::spawn_app(Backend::Postgres).await else {
        return;
    };
    for cuboid in crossings::domain::stats::CUBOIDS {
        let partitions = app.count(&format!(
            "pg_partition_tree('movement_counts') AS t JOIN pg_class AS c ON c.oid = t.relid \
             WHERE t.isleaf AND pg_get_expr(c.relpartbound, c.oid) = 'FOR VALUES IN (''{}'')'",
            cuboid.id
        ));
        assert_eq!(
            partitions, 1,
            "aggregate {} has no partition of its own",
            cuboid.id
        );
    }
}
