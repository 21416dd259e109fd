//! `/stats/*`: HOBA's statistics (analysts and admins), as JSON or CSV. No answer holds a
//! name, a document number or a date of birth: every dimension is a code or a category.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::csv;
use super::extract::ApiQuery;
use crate::app::AppState;
use crate::domain::movement::{Direction, Mode, Purpose};
use crate::domain::poe::PoeCode;
use crate::domain::stats::{AGE_BANDS, Dimension, Interval};
use crate::domain::time::{
    LESOTHO_TZ, format_local as format_bucket, local_time, local_today, parse_bound, parse_date,
};
use crate::domain::traveller::{Sex, StateCode};
use crate::domain::validation::ValidationErrors;
use crate::error::Result;
use crate::service::stats::{self as service, MovementQuery, StatsRow};
use crate::store::counts::Filters;

/// `GET /stats/movements`
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MovementStatsQuery {
    /// Start, inclusive: a local date (`2026-01-01`, its midnight in Lesotho) or an RFC 3339
    /// instant; before `to`, within the interval's longest span (`stats.max_span_days_*`).
    #[param(required = true, value_type = crate::domain::schemas::DateOrInstant)]
    pub from: Option<String>,
    /// End, exclusive, likewise.
    #[param(required = true, value_type = crate::domain::schemas::DateOrInstant, example = "2026-11-02")]
    pub to: Option<String>,
    /// `hour`, `day` (default), `week` (from Monday) or `month`.
    #[param(value_type = Option<crate::domain::schemas::Interval>)]
    pub interval: Option<String>,
    /// Comma-separated dimensions to break down by (a personal field is refused).
    #[param(value_type = Option<Vec<crate::domain::stats::Dimension>>, style = Form, explode = false)]
    pub group_by: Option<String>,
    /// Only these POEs (comma-separated codes).
    #[param(value_type = Option<Vec<crate::domain::poe::PoeCode>>, style = Form, explode = false, min_items = 1)]
    pub poe: Option<String>,
    /// Only entries or only exits.
    #[param(value_type = Option<Vec<crate::domain::movement::Direction>>, style = Form, explode = false, min_items = 1)]
    pub direction: Option<String>,
    /// Only these nationalities (comma-separated ICAO codes).
    #[param(value_type = Option<Vec<crate::domain::traveller::StateCode>>, style = Form, explode = false, min_items = 1)]
    pub nationality: Option<String>,
    /// Only these sexes.
    #[param(value_type = Option<Vec<crate::domain::traveller::Sex>>, style = Form, explode = false, min_items = 1)]
    pub sex: Option<String>,
    /// Only these age bands (`0-14`, `15-24`, …, `65+`).
    #[param(value_type = Option<Vec<crate::domain::schemas::AgeBand>>, style = Form, explode = false, min_items = 1)]
    pub age_band: Option<String>,
    /// Only these purposes.
    #[param(value_type = Option<Vec<crate::domain::movement::Purpose>>, style = Form, explode = false, min_items = 1)]
    pub purpose: Option<String>,
    /// Only these modes.
    #[param(value_type = Option<Vec<crate::domain::movement::Mode>>, style = Form, explode = false, min_items = 1)]
    pub mode: Option<String>,
    /// `json` (default) or `csv`; `Accept: text/csv` also gives CSV.
    #[param(value_type = Option<crate::domain::schemas::AnswerFormat>)]
    pub format: Option<String>,
}

/// A statistics answer. Each row holds `bucket`, one key per `group_by` dimension, and
/// `count` (null when withheld as a small cell).
#[derive(Debug, Serialize, ToSchema)]
pub struct MovementStats {
    /// The interval.
    #[schema(example = "day")]
    pub interval: String,
    /// Always `Africa/Maseru`: buckets are Lesotho time.
    #[schema(example = "Africa/Maseru")]
    pub timezone: &'static str,
    /// The range asked for (RFC 3339, Lesotho time).
    pub from: String,
    /// End of the range (exclusive).
    pub to: String,
    /// The dimensions, in the order asked for.
    pub group_by: Vec<String>,
    /// Rows by bucket, then keys; buckets without movements are absent.
    #[schema(value_type = Vec<Object>, example = json!([{"bucket": "2026-01-02T00:00:00+02:00", "poe": "MSU", "count": 15231}]))]
    pub rows: RowsOut,
    /// All matching non-voided movements, withheld cells included; null when withheld
    /// itself (a protected answer's total under k).
    pub total: Option<i64>,
    /// How many counts (cells and the total) were withheld in a protected answer (one broken
    /// down or narrowed by nationality, sex or age band): counts from 1 to k-1, and cells
    /// that could have been worked out from the total.
    pub suppressed_cells: i64,
    /// k: the smallest count shown in such a breakdown.
    pub min_cell_count: i64,
    /// The counts are as of this instant (UTC) or later: the last commit a read replica
    /// replayed (`database.read_url`), or the time of the query on the primary. Absent only
    /// while a freshly started replica has replayed nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<DateTime<Utc>>,
}

/// The rows of an answer, serialised straight from the service's rows to
/// `{bucket, <key>…, count}`: answers can hold tens of thousands of rows, and nothing is copied
/// on the way (each bucket is formatted once).
#[derive(Debug)]
pub struct RowsOut {
    rows: Vec<StatsRow>,
    dims: Vec<&'static str>,
}

impl Serialize for RowsOut {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.rows.len()))?;
        let mut bucket: Option<(NaiveDateTime, String)> = None;
        for row in &self.rows {
            if bucket.as_ref().map(|(b, _)| *b) != Some(row.bucket) {
                bucket = Some((row.bucket, format_bucket(row.bucket)));
            }
            let text = bucket.as_ref().map(|(_, t)| t.as_str()).unwrap_or_default();
            seq.serialize_element(&RowOut {
                bucket: text,
                dims: &self.dims,
                row,
            })?;
        }
        seq.end()
    }
}

/// One row of [`RowsOut`].
struct RowOut<'a> {
    bucket: &'a str,
    dims: &'a [&'static str],
    row: &'a StatsRow,
}

impl Serialize for RowOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.dims.len() + 2))?;
        m.serialize_entry("bucket", self.bucket)?;
        for (k, v) in self.dims.iter().zip(self.row.keys.values()) {
            m.serialize_entry(k, v)?;
        }
        m.serialize_entry("count", &self.row.count)?;
        m.end()
    }
}

fn list(s: &Option<String>) -> Vec<String> {
    s.as_deref()
        .map(|v| {
            v.split(',')
                .map(|x| x.trim().to_owned())
                .filter(|x| !x.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Parses a comma list of one dimension's values, each checked by `check`.
fn filter_values<T>(
    errors: &mut ValidationErrors,
    field: &'static str,
    raw: &Option<String>,
    check: impl Fn(&str) -> std::result::Result<T, ValidationErrors>,
) -> Option<Vec<T>> {
    raw.as_ref()?;
    let values: Vec<T> = list(raw)
        .iter()
        .filter_map(|v| errors.take(field, check(v)))
        .collect();
    if values.is_empty() {
        errors.push(field, "must list at least one value");
        return None;
    }
    Some(values)
}

fn filters(q: &MovementStatsQuery, errors: &mut ValidationErrors) -> Filters {
    let mut f: Filters = Vec::new();
    let mut add = |d: Dimension, v: Option<Vec<String>>| {
        if let Some(v) = v {
            f.push((d, v));
        }
    };
    add(
        Dimension::Poe,
        filter_values(errors, "poe", &q.poe, |v| {
            PoeCode::parse(v).map(|c| c.to_string())
        }),
    );
    add(
        Dimension::Direction,
        filter_values(errors, "direction", &q.direction, |v| {
            Direction::parse(v).map(|d| d.as_str().to_owned())
        }),
    );
    add(
        Dimension::Nationality,
        filter_values(errors, "nationality", &q.nationality, |v| {
            StateCode::parse(v).map(|c| c.to_string())
        }),
    );
    add(
        Dimension::Sex,
        filter_values(errors, "sex", &q.sex, |v| {
            Sex::parse(v).map(|s| s.as_str().to_owned())
        }),
    );
    add(
        Dimension::AgeBand,
        filter_values(errors, "age_band", &q.age_band, |v| {
            AGE_BANDS
                .iter()
                .find(|b| **b == v)
                .map(|b| (*b).to_owned())
                .ok_or_else(|| {
                    ValidationErrors::one("", format!("must be one of {}", AGE_BANDS.join(", ")))
                })
        }),
    );
    add(
        Dimension::Purpose,
        filter_values(errors, "purpose", &q.purpose, |v| {
            Purpose::parse(v).map(|p| p.as_str().to_owned())
        }),
    );
    add(
        Dimension::Mode,
        filter_values(errors, "mode", &q.mode, |v| {
            Mode::parse(v).map(|m| m.as_str().to_owned())
        }),
    );
    f
}

/// The range of a query; both bounds are required.
fn range(
    errors: &mut ValidationErrors,
    from: &Option<String>,
    to: &Option<String>,
) -> Option<(NaiveDateTime, NaiveDateTime)> {
    let mut bound = |field: &'static str, v: &Option<String>| match v {
        Some(s) => parse_bound(field, s)
            .map_err(|e| errors.extend_prefixed("", e))
            .ok(),
        None => {
            errors.push(field, "is required (a local date or an RFC 3339 instant)");
            None
        }
    };
    let from = bound("from", from);
    let to = bound("to", to);
    from.zip(to)
}

fn interval(errors: &mut ValidationErrors, raw: &Option<String>) -> Option<Interval> {
    match raw {
        None => Some(Interval::Day),
        Some(s) => errors.take("interval", Interval::parse(s)),
    }
}

/// Counts of non-voided movements by bucket and dimension. Exact at the moment of the query:
/// late arrivals and voids included.
#[utoipa::path(get, operation_id = "movement_stats", path = "/api/v1/stats/movements", tag = "statistics", params(MovementStatsQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "JSON, or CSV with the same rows (`format=csv` or `Accept: text/csv`; the CSV adds a local `date`, `time` by the hour, and `poe_name` beside `poe`)", content((MovementStats = "application/json"), (String = "text/csv"))),
        (status = 422, description = "Unknown interval or dimension, a personal field, `from` not before `to`, or a span too long for the interval", body = super::error::Problem),
    ))]
pub async fn movements(
    state: web::Data<AppState>,
    req: HttpRequest,
    ApiQuery(q): ApiQuery<MovementStatsQuery>,
) -> Result<HttpResponse> {
    let mut errors = ValidationErrors::default();
    let csv_wanted = errors
        .take("format", csv::wants_csv(&req, q.format.as_deref()))
        .unwrap_or(false);
    let range = range(&mut errors, &q.from, &q.to);
    let interval = interval(&mut errors, &q.interval);
    let mut group_by: Vec<Dimension> = Vec::new();
    for name in list(&q.group_by) {
        if let Some(d) = errors.take("group_by", Dimension::parse(&name)) {
            if !group_by.contains(&d) {
                group_by.push(d);
            }
        }
    }
    let filters = filters(&q, &mut errors);
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let (Some((from, to)), Some(interval)) = (range, interval) else {
        return Err(ValidationErrors::one("", "invalid query").into());
    };
    let query = MovementQuery {
        from,
        to,
        interval,
        group_by: group_by.clone(),
        filters,
    };
    let crate::service::context::Fresh {
        value: answer,
        as_of,
    } = service::movements(&state.ctx, query).await?;

    if csv_wanted {
        // For spreadsheets: the local date (and time, by the hour) beside the instant, and the
        // post's name beside its code.
        let names = if group_by.contains(&Dimension::Poe) {
            poe_names(&state).await?
        } else {
            Default::default()
        };
        let mut header = csv_bucket_header(interval);
        for d in &group_by {
            header.push(d.as_str());
            if *d == Dimension::Poe {
                header.push("poe_name");
            }
        }
        header.push("count");
        let rows = answer.rows.into_iter().map(|r| {
            let mut v = csv_bucket_cells(r.bucket, interval);
            for (d, value) in group_by.iter().zip(r.keys.values()) {
                v.push(value.to_owned());
                if *d == Dimension::Poe {
                    v.push(names.get(value).cloned().unwrap_or_default());
                }
            }
            v.push(r.count.map(|n| n.to_string()).unwrap_or_default());
            v
        });
        return Ok(csv::response("movements.csv", &header, rows));
    }
    let rows = RowsOut {
        rows: answer.rows,
        dims: group_by.iter().map(|d| d.as_str()).collect(),
    };
    // A row takes about 40 bytes and 25 more a dimension: the buffer is sized once, rather
    // than grown and copied again and again on the way to a megabyte.
    let size = rows.rows.len() * (40 + 25 * group_by.len()) + 512;
    json_answer(
        size,
        &MovementStats {
            interval: interval.as_str().to_owned(),
            timezone: LESOTHO_TZ,
            from: format_bucket(local_time(from)),
            to: format_bucket(local_time(to)),
            group_by: group_by.iter().map(|d| d.as_str().to_owned()).collect(),
            rows,
            total: answer.total,
            suppressed_cells: answer.suppressed_cells,
            min_cell_count: state.settings().stats.min_cell_count,
            as_of: as_of.map(|t| t.and_utc()),
        },
    )
}

/// The first columns of a CSV row: the bucket as an instant, then its local date, then (by
/// the hour) its local time.
fn csv_bucket_header(interval: Interval) -> Vec<&'static str> {
    match interval {
        Interval::Hour => vec!["bucket", "date", "time"],
        _ => vec!["bucket", "date"],
    }
}

/// The cells under [`csv_bucket_header`] for a bucket (local start).
fn csv_bucket_cells(local: NaiveDateTime, interval: Interval) -> Vec<String> {
    let mut cells = vec![format_bucket(local), local.format("%Y-%m-%d").to_string()];
    if interval == Interval::Hour {
        cells.push(local.format("%H:%M").to_string());
    }
    cells
}

/// Each post's name by its code.
async fn poe_names(state: &AppState) -> Result<std::collections::HashMap<String, String>> {
    let registry = crate::service::poes::registry(&state.ctx).await?;
    Ok(registry
        .iter()
        .map(|p| (p.code.clone(), p.name.clone()))
        .collect())
}

/// A JSON answer written into a buffer of `size` bytes to start with.
fn json_answer(size: usize, value: &impl Serialize) -> Result<HttpResponse> {
    let mut body = Vec::with_capacity(size);
    serde_json::to_writer(&mut body, value)
        .map_err(|e| crate::error::Error::internal_from("cannot write the answer", e))?;
    Ok(HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(body))
}

/// `GET /stats/summary`
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SummaryQuery {
    /// Local date (default: today in Lesotho).
    #[param(value_type = Option<crate::domain::schemas::LocalDate>)]
    pub date: Option<String>,
    /// `json` or `csv`.
    #[param(value_type = Option<crate::domain::schemas::AnswerFormat>)]
    pub format: Option<String>,
}

/// One POE on the day.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoeSummary {
    /// Code.
    pub poe: String,
    /// Name.
    pub name: String,
    /// Entries (non-voided).
    pub entries: i64,
    /// Exits.
    pub exits: i64,
    /// Entries minus exits.
    pub net: i64,
    /// Watchlist hits.
    pub alert_hits: i64,
    /// The latest crossing of the day.
    pub last_event_at: Option<String>,
    /// Whether the post is open now (today only; null for other days).
    pub open_now: Option<bool>,
}

/// The day at a glance.
#[derive(Debug, Serialize, ToSchema)]
pub struct Summary {
    /// The local date.
    pub date: NaiveDate,
    /// `Africa/Maseru`.
    pub timezone: &'static str,
    /// One row per POE, by code.
    pub rows: Vec<PoeSummary>,
    /// The counts are as of this instant (UTC) or later: the last commit a read replica
    /// replayed (`database.read_url`), or the time of the query on the primary. Absent only
    /// while a freshly started replica has replayed nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<DateTime<Utc>>,
}

/// Per POE for one local day: entries, exits, net, watchlist hits, and the time of the last
/// crossing.
#[utoipa::path(get, operation_id = "daily_summary", path = "/api/v1/stats/summary", tag = "statistics", params(SummaryQuery), security(("bearer" = [])),
    responses((status = 200, description = "JSON, or CSV with the same rows", content((Summary = "application/json"), (String = "text/csv"))), (status = 422, body = super::error::Problem)))]
pub async fn summary(
    state: web::Data<AppState>,
    req: HttpRequest,
    ApiQuery(q): ApiQuery<SummaryQuery>,
) -> Result<HttpResponse> {
    let mut errors = ValidationErrors::default();
    let csv_wanted = errors
        .take("format", csv::wants_csv(&req, q.format.as_deref()))
        .unwrap_or(false);
    let date = match &q.date {
        None => Some(local_today()),
        Some(d) => errors.take(
            "",
            parse_date("date", d)
                .map_err(|_| ValidationErrors::one("date", "must be a local date, YYYY-MM-DD")),
        ),
    };
    let (Some(date), true) = (date, errors.is_empty()) else {
        return Err(errors.into());
    };
    let crate::service::context::Fresh { value: days, as_of } =
        service::summary(&state.ctx, date).await?;
    let rows: Vec<PoeSummary> = days
        .into_iter()
        .map(|d| PoeSummary {
            name: d.name,
            open_now: d.open_now,
            net: d.entries - d.exits,
            last_event_at: d.last_event_at.map(|t| format_bucket(local_time(t))),
            poe: d.poe,
            entries: d.entries,
            exits: d.exits,
            alert_hits: d.alert_hits,
        })
        .collect();
    if csv_wanted {
        let header = [
            "poe",
            "name",
            "entries",
            "exits",
            "net",
            "alert_hits",
            "last_event_at",
            "open_now",
        ];
        let lines = rows.into_iter().map(|r| {
            vec![
                r.poe,
                r.name,
                r.entries.to_string(),
                r.exits.to_string(),
                r.net.to_string(),
                r.alert_hits.to_string(),
                r.last_event_at.unwrap_or_default(),
                r.open_now.map(|b| b.to_string()).unwrap_or_default(),
            ]
        });
        return Ok(csv::response(
            &format!("summary-{date}.csv"),
            &header,
            lines,
        ));
    }
    Ok(HttpResponse::Ok().json(Summary {
        date,
        timezone: LESOTHO_TZ,
        rows,
        as_of: as_of.map(|t| t.and_utc()),
    }))
}

/// `GET /stats/hour-profile`
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HourProfileQuery {
    /// Only these POEs (comma-separated; default all).
    #[param(value_type = Option<Vec<crate::domain::poe::PoeCode>>, style = Form, explode = false, min_items = 1)]
    pub poe: Option<String>,
    /// Start (local date, or an instant on a whole hour); before `to`, at most 366 days
    /// apart.
    #[param(required = true, value_type = crate::domain::schemas::DateOrInstant)]
    pub from: Option<String>,
    /// End, exclusive (likewise).
    #[param(required = true, value_type = crate::domain::schemas::DateOrInstant, example = "2026-11-02")]
    pub to: Option<String>,
    /// `json` or `csv`.
    #[param(value_type = Option<crate::domain::schemas::AnswerFormat>)]
    pub format: Option<String>,
}

/// One hour of the week.
#[derive(Debug, Serialize, ToSchema)]
pub struct HourCell {
    /// 1 = Monday … 7 = Sunday.
    pub weekday: u32,
    /// Local hour, 0–23.
    pub hour: u32,
    /// Mean crossings in that hour over the range.
    pub mean: f64,
}

/// The hour-of-week profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct HourProfile {
    /// The POEs, or null for all.
    pub poe: Option<Vec<String>>,
    /// Range start.
    pub from: String,
    /// Range end (exclusive).
    pub to: String,
    /// `Africa/Maseru`.
    pub timezone: &'static str,
    /// 168 cells, Monday 00:00 first.
    pub cells: Vec<HourCell>,
    /// The counts are as of this instant (UTC) or later: the last commit a read replica
    /// replayed (`database.read_url`), or the time of the query on the primary. Absent only
    /// while a freshly started replica has replayed nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<DateTime<Utc>>,
}

/// The mean count for each of the 7 × 24 hours of the week over a range, for staffing.
#[utoipa::path(get, operation_id = "hour_profile", path = "/api/v1/stats/hour-profile", tag = "statistics", params(HourProfileQuery), security(("bearer" = [])),
    responses((status = 200, description = "JSON, or CSV with the same cells", content((HourProfile = "application/json"), (String = "text/csv"))), (status = 422, body = super::error::Problem)))]
pub async fn hour_profile(
    state: web::Data<AppState>,
    req: HttpRequest,
    ApiQuery(q): ApiQuery<HourProfileQuery>,
) -> Result<HttpResponse> {
    let mut errors = ValidationErrors::default();
    let csv_wanted = errors
        .take("format", csv::wants_csv(&req, q.format.as_deref()))
        .unwrap_or(false);
    let range = range(&mut errors, &q.from, &q.to);
    let poes = filter_values(&mut errors, "poe", &q.poe, PoeCode::parse);
    let (Some((from, to)), true) = (range, errors.is_empty()) else {
        return Err(errors.into());
    };
    let crate::service::context::Fresh {
        value: means,
        as_of,
    } = service::hour_profile(&state.ctx, poes.clone(), from, to).await?;
    let cells: Vec<HourCell> = means
        .into_iter()
        .enumerate()
        .map(|(i, mean)| HourCell {
            weekday: i as u32 / 24 + 1,
            hour: i as u32 % 24,
            mean: (mean * 100.0).round() / 100.0,
        })
        .collect();
    if csv_wanted {
        let lines = cells.iter().map(|c| {
            vec![
                c.weekday.to_string(),
                c.hour.to_string(),
                format!("{:.2}", c.mean),
            ]
        });
        return Ok(csv::response(
            "hour-profile.csv",
            &["weekday", "hour", "mean"],
            lines,
        ));
    }
    Ok(HttpResponse::Ok().json(HourProfile {
        poe: poes.map(|p| p.iter().map(PoeCode::to_string).collect()),
        from: format_bucket(local_time(from)),
        to: format_bucket(local_time(to)),
        timezone: LESOTHO_TZ,
        cells,
        as_of: as_of.map(|t| t.and_utc()),
    }))
}

/// `GET /stats/citizen-flow`
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CitizenFlowQuery {
    /// Start: local date or RFC 3339 instant; before `to`, within the interval's longest
    /// span.
    #[param(required = true, value_type = crate::domain::schemas::DateOrInstant)]
    pub from: Option<String>,
    /// End, exclusive.
    #[param(required = true, value_type = crate::domain::schemas::DateOrInstant, example = "2026-11-02")]
    pub to: Option<String>,
    /// `hour`, `day` (default), `week` or `month`.
    #[param(value_type = Option<crate::domain::schemas::Interval>)]
    pub interval: Option<String>,
    /// Only these POEs (comma-separated codes; default all).
    #[param(value_type = Option<Vec<crate::domain::poe::PoeCode>>, style = Form, explode = false, min_items = 1)]
    pub poe: Option<String>,
    /// `json` or `csv`.
    #[param(value_type = Option<crate::domain::schemas::AnswerFormat>)]
    pub format: Option<String>,
}

/// Citizens in one bucket.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlowRow {
    /// Local start of the bucket.
    pub bucket: String,
    /// Citizens entering (returning home); null when withheld.
    pub entries: Option<i64>,
    /// Citizens leaving; null when withheld.
    pub exits: Option<i64>,
    /// Entries minus exits (returnees when positive); null when either is withheld.
    pub net: Option<i64>,
}

/// Citizens' flow.
#[derive(Debug, Serialize, ToSchema)]
pub struct CitizenFlow {
    /// Interval.
    pub interval: String,
    /// `Africa/Maseru`.
    pub timezone: &'static str,
    /// The citizens' state.
    pub nationality: String,
    /// The POEs counted, or null for all.
    pub poe: Option<Vec<String>>,
    /// Buckets with any movement.
    pub rows: Vec<FlowRow>,
    /// Total entries (null when withheld).
    pub entries: Option<i64>,
    /// Total exits (null when withheld).
    pub exits: Option<i64>,
    /// Total net (returnees), when both totals are shown.
    pub net: Option<i64>,
    /// Cells withheld.
    pub suppressed_cells: i64,
    /// k: the smallest count shown.
    pub min_cell_count: i64,
    /// The counts are as of this instant (UTC) or later: the last commit a read replica
    /// replayed (`database.read_url`), or the time of the query on the primary. Absent only
    /// while a freshly started replica has replayed nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<DateTime<Utc>>,
}

/// Net flow of citizens (Basotho): entries, exits and their difference per bucket.
#[utoipa::path(get, operation_id = "citizen_flow", path = "/api/v1/stats/citizen-flow", tag = "statistics", params(CitizenFlowQuery), security(("bearer" = [])),
    responses((status = 200, description = "JSON, or CSV with the same rows", content((CitizenFlow = "application/json"), (String = "text/csv"))), (status = 422, body = super::error::Problem)))]
pub async fn citizen_flow(
    state: web::Data<AppState>,
    req: HttpRequest,
    ApiQuery(q): ApiQuery<CitizenFlowQuery>,
) -> Result<HttpResponse> {
    let mut errors = ValidationErrors::default();
    let csv_wanted = errors
        .take("format", csv::wants_csv(&req, q.format.as_deref()))
        .unwrap_or(false);
    let range = range(&mut errors, &q.from, &q.to);
    let interval = interval(&mut errors, &q.interval);
    let poes = filter_values(&mut errors, "poe", &q.poe, PoeCode::parse);
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let (Some((from, to)), Some(interval)) = (range, interval) else {
        return Err(ValidationErrors::one("", "invalid query").into());
    };
    let crate::service::context::Fresh {
        value: answer,
        as_of,
    } = service::citizen_flow(&state.ctx, from, to, interval, poes.clone()).await?;
    let flow = CitizenFlow {
        interval: interval.as_str().to_owned(),
        timezone: LESOTHO_TZ,
        nationality: answer.nationality,
        poe: poes.map(|p| p.iter().map(PoeCode::to_string).collect()),
        rows: answer
            .buckets
            .iter()
            .map(|b| FlowRow {
                bucket: format_bucket(b.bucket),
                entries: b.entries,
                exits: b.exits,
                net: b.net,
            })
            .collect(),
        entries: answer.entries,
        exits: answer.exits,
        net: answer.entries.zip(answer.exits).map(|(a, b)| a - b),
        suppressed_cells: answer.suppressed_cells,
        min_cell_count: state.settings().stats.min_cell_count,
        as_of: as_of.map(|t| t.and_utc()),
    };
    let by_bucket_rows: Vec<NaiveDateTime> = answer.buckets.iter().map(|b| b.bucket).collect();
    if csv_wanted {
        let num = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        let mut header = csv_bucket_header(interval);
        header.extend(["entries", "exits", "net"]);
        let lines = by_bucket_rows.into_iter().zip(flow.rows).map(|(local, r)| {
            let mut v = csv_bucket_cells(local, interval);
            v.extend([num(r.entries), num(r.exits), num(r.net)]);
            v
        });
        return Ok(csv::response("citizen-flow.csv", &header, lines));
    }
    Ok(HttpResponse::Ok().json(flow))
}
