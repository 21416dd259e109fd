//! `/travellers/history`: every movement of one document, national, for immigration and
//! police (police state a reason, which goes into the audit log with the read).

use actix_web::web;
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiJson, ApiQuery};
use super::movements::MovementView;
use crate::app::AppState;
use crate::domain::search::{SearchInput, TravellerQuery};
use crate::domain::stays::overstayed;
use crate::domain::time::{local_time, local_today};
use crate::domain::traveller::parse_document;
use crate::domain::validation::ValidationErrors;
use crate::error::Result;
use crate::service::{Caller, travellers as service};
use crate::store::stays::StayRow;

/// `GET /travellers/history`
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Issuing state (ICAO code).
    #[param(required = true, value_type = crate::domain::traveller::StateCode)]
    pub issuing_state: Option<String>,
    /// Document number: 1 to 20 letters and digits; spaces, hyphens and `<` are ignored.
    #[param(required = true, pattern = "^[ <-]*([A-Za-z0-9][ <-]*){1,20}$")]
    pub document_number: Option<String>,
    /// Why you look, recorded in the audit log: at most 500 characters; required of police,
    /// with at least 5. Kept for compatibility: prefer `POST /travellers/search`, which takes
    /// the reason in its body (this one is never logged, but a URL travels through proxies).
    #[param(max_length = 500)]
    pub reason: Option<String>,
}

/// A stay (visitor) or trip (citizen) of the document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StayView {
    /// `visit` (a non-citizen in Lesotho) or `trip` (a citizen abroad).
    pub kind: String,
    /// The movement that opened it.
    pub opening_movement_id: String,
    /// When it opened.
    pub opened_at: chrono::DateTime<Utc>,
    /// Where.
    pub opened_poe: String,
    /// The movement that closed it.
    pub closing_movement_id: Option<String>,
    /// When it closed.
    pub closed_at: Option<chrono::DateTime<Utc>>,
    /// Where.
    pub closed_poe: Option<String>,
    /// Last authorised day (visits).
    pub ends_on: Option<NaiveDate>,
    /// Days from opening to closing (or to today while open).
    pub days: i64,
    /// Open past its end, or closed after it.
    pub overstayed: bool,
}

impl StayView {
    /// The view of a stored stay, judged on `today` (local).
    pub fn of(row: StayRow, today: NaiveDate) -> Self {
        let opened_on = local_time(row.opened_at).date();
        let until = row.closed_on.unwrap_or(today);
        Self {
            overstayed: overstayed(row.ends_on, row.closed_on, today),
            days: (until - opened_on).num_days(),
            kind: row.kind,
            opening_movement_id: row.opening_id,
            opened_at: row.opened_at.and_utc(),
            opened_poe: row.opened_poe,
            closing_movement_id: row.closing_id,
            closed_at: row.closed_at.map(|t| t.and_utc()),
            closed_poe: row.closed_poe,
            ends_on: row.ends_on,
        }
    }
}

/// A document's history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct History {
    /// Issuing state.
    pub issuing_state: String,
    /// Document number (normalised).
    pub document_number: String,
    /// Every movement, oldest first, at every POE; voided ones marked.
    pub movements: Vec<MovementView>,
    /// Stays (visitors) or trips abroad (citizens), oldest first.
    pub stays: Vec<StayView>,
    /// At an edge whose HQ did not answer: only this post's own records are shown. (At HQ,
    /// and at an edge that merged HQ's records, false.)
    #[serde(default)]
    pub partial: bool,
}

/// Every movement of one document, oldest first, at every POE.
#[utoipa::path(get, operation_id = "traveller_history", path = "/api/v1/travellers/history", tag = "travellers", params(HistoryQuery), security(("bearer" = [])),
    responses((status = 200, body = History), (status = 422, description = "Missing document, or police without a reason", body = super::error::Problem)))]
pub async fn history(
    state: web::Data<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<web::Json<History>> {
    let mut e = ValidationErrors::default();
    let document = parse_document(
        q.issuing_state.as_deref(),
        q.document_number.as_deref(),
        "is required",
        &mut e,
    );
    let reason = e.take("", service::lookup_reason(&caller, q.reason.as_deref()));
    let (Some((issuing_state, number)), Some(reason), true) = (document, reason, e.is_empty())
    else {
        return Err(e.into());
    };
    let (found, hq) = service::history(
        &state.ctx,
        &caller,
        issuing_state.clone(),
        number.clone(),
        reason,
    )
    .await?;
    let here = History::of(found, local_today());
    let (mut documents, partial) = with_hq(vec![here], hq);
    let mut history = match documents.iter().position(|d| {
        d.issuing_state == issuing_state.as_str() && d.document_number == number.as_str()
    }) {
        Some(i) => documents.swap_remove(i),
        None => History {
            issuing_state: issuing_state.to_string(),
            document_number: number.as_str().to_owned(),
            movements: Vec::new(),
            stays: Vec::new(),
            partial,
        },
    };
    history.partial = partial;
    Ok(web::Json(history))
}

/// At an edge, the post's own documents merged with HQ's answer, and whether the result is
/// partial (HQ did not answer). Per document, movements are joined by id (the post's copy wins:
/// a void made here may not have reached HQ yet), oldest first; stays are HQ's, with the
/// post's where HQ has none for the same opening movement or the post's has closed it;
/// documents are ordered by their latest movement, newest first, at most
/// [`service::MAX_DOCUMENTS`].
fn with_hq(here: Vec<History>, hq: service::FromHq) -> (Vec<History>, bool) {
    let answer = match hq {
        service::FromHq::NotAnEdge => return (here, false),
        service::FromHq::Unanswered => {
            let mut here = here;
            for d in &mut here {
                d.partial = true;
            }
            return (here, true);
        }
        service::FromHq::Answered(answer) => answer,
    };
    let theirs = match serde_json::from_value::<SearchResult>(answer) {
        Ok(r) => r.documents,
        Err(e) => {
            tracing::warn!(error = %e, "edge: HQ's search answer could not be read; answering with this post's records only");
            return with_hq(here, service::FromHq::Unanswered);
        }
    };
    let mut merged: Vec<History> = theirs;
    for mine in here {
        match merged.iter_mut().find(|d| {
            d.issuing_state == mine.issuing_state && d.document_number == mine.document_number
        }) {
            Some(doc) => doc.take_in(mine),
            None => merged.push(mine),
        }
    }
    merged.retain(|d| !d.movements.is_empty());
    merged.sort_by_key(|d| std::cmp::Reverse(d.movements.iter().map(|m| m.occurred_at).max()));
    merged.truncate(service::MAX_DOCUMENTS);
    for d in &mut merged {
        d.partial = false;
    }
    (merged, false)
}

impl History {
    /// Takes the post's own records of the same document in (see [`with_hq`]).
    fn take_in(&mut self, mine: History) {
        for m in mine.movements {
            match self.movements.iter_mut().find(|t| t.id == m.id) {
                Some(t) => *t = m,
                None => self.movements.push(m),
            }
        }
        self.movements
            .sort_by(|a, b| (a.occurred_at, &a.id).cmp(&(b.occurred_at, &b.id)));
        for s in mine.stays {
            match self
                .stays
                .iter_mut()
                .find(|t| t.opening_movement_id == s.opening_movement_id)
            {
                Some(t) if t.closing_movement_id.is_none() && s.closing_movement_id.is_some() => {
                    *t = s;
                }
                Some(_) => {}
                None => self.stays.push(s),
            }
        }
        self.stays.sort_by_key(|s| s.opened_at);
    }
}

impl History {
    fn of(mut found: service::History, today: NaiveDate) -> Self {
        Self {
            issuing_state: found.issuing_state,
            document_number: found.document_number,
            movements: found
                .movements
                .into_iter()
                .map(|r| {
                    let alert = found.alerts.remove(&r.id);
                    MovementView::with_alert(r, alert)
                })
                .collect(),
            stays: found
                .stays
                .into_iter()
                .map(|s| StayView::of(s, today))
                .collect(),
            partial: false,
        }
    }
}

/// The documents a search found.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchResult {
    /// Each document with its movements (oldest first) and stays; by person, the most
    /// recently used document first, at most 50.
    pub documents: Vec<History>,
    /// At an edge whose HQ did not answer: only this post's own records were searched.
    #[serde(default)]
    pub partial: bool,
}

impl SearchResult {
    /// The view of what a search found in this node's records.
    pub fn of(found: Vec<service::History>) -> Self {
        let today = local_today();
        Self {
            documents: found.into_iter().map(|h| History::of(h, today)).collect(),
            partial: false,
        }
    }
}

/// Find a traveller by document, or by surname, given names and date of birth (names compare
/// as person alerts do: case, spaces, hyphens, apostrophes and diacritics aside, given names in
/// any order, one in common). The reason travels in the body, never in a URL, and is kept in
/// the audit log with the search.
#[utoipa::path(post, operation_id = "search_travellers", path = "/api/v1/travellers/search", tag = "travellers", request_body = SearchInput, security(("bearer" = [])),
    responses((status = 200, body = SearchResult), (status = 422, description = "Neither a document nor a person, or police without a reason", body = super::error::Problem)))]
pub async fn search(
    state: web::Data<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SearchInput>,
) -> Result<web::Json<SearchResult>> {
    let mut e = ValidationErrors::default();
    let query = e.take("", TravellerQuery::parse(&body));
    let reason = e.take("", service::lookup_reason(&caller, body.reason.as_deref()));
    let (Some(query), Some(reason), true) = (query, reason, e.is_empty()) else {
        return Err(e.into());
    };
    let (found, hq) = service::search(&state.ctx, &caller, query, reason).await?;
    let (documents, partial) = with_hq(SearchResult::of(found).documents, hq);
    Ok(web::Json(SearchResult { documents, partial }))
}

/// `GET /travellers/report`
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// Issuing state (ICAO code).
    #[param(required = true, value_type = crate::domain::traveller::StateCode)]
    pub issuing_state: Option<String>,
    /// Document number: 1 to 20 letters and digits; spaces, hyphens and `<` are ignored.
    #[param(required = true, pattern = "^[ <-]*([A-Za-z0-9][ <-]*){1,20}$")]
    pub document_number: Option<String>,
    /// The request being answered (e.g. its reference), recorded in the audit log: at most 500
    /// characters.
    #[param(max_length = 500)]
    pub reason: Option<String>,
    /// `json` (default) or `html` (a printable page; also chosen by `Accept: text/html`).
    #[param(value_type = Option<ReportFormat>)]
    pub format: Option<String>,
}

/// The form of a subject access report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum ReportFormat {
    /// JSON.
    Json,
    /// A printable HTML page.
    Html,
}

/// A customs declaration in a report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportDeclaration {
    /// Id.
    pub id: String,
    /// The movement.
    pub movement_id: String,
    /// Reference.
    pub reference: String,
    /// Goods.
    pub goods: String,
    /// Value.
    pub value: String,
    /// Currency.
    pub currency: String,
    /// Recorded.
    pub created_at: chrono::DateTime<Utc>,
    /// By whom.
    pub created_by: String,
}

/// A watchlist hit in a report: that a movement matched, and what was done; never the police's
/// reason or the alert itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportHit {
    /// Id.
    pub id: String,
    /// The movement.
    pub movement_id: String,
    /// Where.
    pub poe: String,
    /// When the crossing occurred.
    pub occurred_at: chrono::DateTime<Utc>,
    /// The action shown at the post.
    pub action: String,
    /// Acknowledged by the police.
    pub acknowledged_at: Option<chrono::DateTime<Utc>>,
}

/// One audit entry that touched the document.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportAccess {
    /// Position in the audit chain.
    pub seq: i64,
    /// When.
    pub at: chrono::DateTime<Utc>,
    /// Who (username, POE system or `system`).
    pub actor: String,
    /// With which roles.
    pub roles: String,
    /// What was done, e.g. `traveller.history.read`, `movement.record`.
    pub action: String,
    /// To what.
    pub object: String,
    /// The reason the actor stated, if any.
    pub reason: Option<String>,
}

/// Everything held on one document (Data Protection Act 2011, subject access).
#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectAccessReport {
    /// Issuing state.
    pub issuing_state: String,
    /// Document number (normalised).
    pub document_number: String,
    /// When the report was made.
    pub generated_at: chrono::DateTime<Utc>,
    /// Who made it.
    pub generated_by: String,
    /// Every movement, oldest first, voided ones marked.
    pub movements: Vec<MovementView>,
    /// Stays (visitors) or trips abroad (citizens).
    pub stays: Vec<StayView>,
    /// Customs declarations on the movements.
    pub declarations: Vec<ReportDeclaration>,
    /// Watchlist hits on the movements (police information: check the law-enforcement
    /// exemptions before disclosing).
    pub hits: Vec<ReportHit>,
    /// Police holds that keep the records past retention (police information, as above).
    pub holds: Vec<super::holds::HoldView>,
    /// Every audit entry about the document, its movements, hits and holds, this report's
    /// reading included: who, when, with which role, and the reason stated.
    pub accesses: Vec<ReportAccess>,
}

/// Everything held on one document, and every recorded access to it (immigration): for a
/// traveller's subject access request. As JSON, or as a printable page with `format=html` or
/// `Accept: text/html`. The report is itself audited.
#[utoipa::path(get, operation_id = "subject_access_report", path = "/api/v1/travellers/report", tag = "travellers", params(ReportQuery), security(("bearer" = [])),
    responses((status = 200, content(
        (SubjectAccessReport = "application/json"),
        (String = "text/html"),
    )), (status = 422, description = "Missing or malformed document", body = super::error::Problem)))]
pub async fn report(
    state: web::Data<AppState>,
    caller: Caller,
    req: actix_web::HttpRequest,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<actix_web::HttpResponse> {
    let mut e = ValidationErrors::default();
    let document = parse_document(
        q.issuing_state.as_deref(),
        q.document_number.as_deref(),
        "is required",
        &mut e,
    );
    let reason = e.take("", service::lookup_reason(&caller, q.reason.as_deref()));
    let html = match q.format.as_deref() {
        Some("html") => true,
        Some("json") => false,
        Some(_) => {
            e.push("format", "must be json or html");
            false
        }
        None => req
            .headers()
            .get(actix_web::http::header::ACCEPT)
            .and_then(|a| a.to_str().ok())
            .is_some_and(|a| a.contains("text/html")),
    };
    let (Some((issuing_state, number)), Some(reason), true) = (document, reason, e.is_empty())
    else {
        return Err(e.into());
    };
    let found = service::report(
        &state.ctx,
        &caller,
        issuing_state.clone(),
        number.clone(),
        reason,
    )
    .await?;
    let today = local_today();
    let report = SubjectAccessReport {
        issuing_state: issuing_state.to_string(),
        document_number: number.as_str().to_owned(),
        generated_at: Utc::now(),
        generated_by: caller.name(),
        movements: found
            .movements
            .into_iter()
            .map(MovementView::from)
            .collect(),
        stays: found
            .stays
            .into_iter()
            .map(|s| StayView::of(s, today))
            .collect(),
        declarations: found
            .declarations
            .into_iter()
            .map(|d| ReportDeclaration {
                id: d.id,
                movement_id: d.movement_id,
                reference: d.reference,
                goods: d.goods,
                value: d.value,
                currency: d.currency,
                created_at: d.created_at.and_utc(),
                created_by: d.created_by,
            })
            .collect(),
        hits: found
            .hits
            .into_iter()
            .map(|h| ReportHit {
                id: h.id,
                movement_id: h.movement_id,
                poe: h.poe.to_string(),
                occurred_at: h.occurred_at.and_utc(),
                action: h.action.as_str().to_owned(),
                acknowledged_at: h.acknowledged_at.map(|t| t.and_utc()),
            })
            .collect(),
        holds: found
            .holds
            .into_iter()
            .map(|h| super::holds::HoldView::of(h, today))
            .collect(),
        accesses: found
            .audit
            .into_iter()
            .map(|a| ReportAccess {
                seq: a.seq,
                at: a.at.and_utc(),
                actor: a.actor,
                roles: a.roles,
                action: a.action,
                object: a.object,
                reason: a.reason,
            })
            .collect(),
    };
    if html {
        Ok(actix_web::HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((
                "Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
            ))
            .body(report_page(&report)))
    } else {
        Ok(actix_web::HttpResponse::Ok().json(report))
    }
}

/// Text made safe for HTML.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn when(t: chrono::DateTime<Utc>) -> String {
    crate::domain::time::format_local(local_time(t.naive_utc()))
}

fn table(out: &mut String, title: &str, head: &[&str], rows: Vec<Vec<String>>, note: &str) {
    out.push_str(&format!("<h2>{} ({})</h2>", esc(title), rows.len()));
    if !note.is_empty() {
        out.push_str(&format!("<p class=\"note\">{}</p>", esc(note)));
    }
    if rows.is_empty() {
        out.push_str("<p>None held.</p>");
        return;
    }
    out.push_str("<table><thead><tr>");
    for h in head {
        out.push_str(&format!("<th>{}</th>", esc(h)));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            out.push_str(&format!("<td>{}</td>", esc(&cell)));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
}

/// The report as a printable page (A4, no script, every value escaped).
fn report_page(r: &SubjectAccessReport) -> String {
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    let mut out = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Subject access report</title>\
         <style>body{font:11pt/1.4 sans-serif;margin:2em}table{border-collapse:collapse;width:100%;margin-bottom:1em}\
         th,td{border:1px solid #999;padding:2px 4px;text-align:left;vertical-align:top;font-size:9pt}\
         th{background:#eee}.note{font-size:9pt;color:#444}@page{size:A4;margin:15mm}\
         @media print{h2{break-after:avoid}tr{break-inside:avoid}}</style></head><body>",
    );
    out.push_str("<h1>Subject access report</h1>");
    out.push_str(&format!(
        "<p>Kingdom of Lesotho, national border-crossing record (Data Protection Act 2011).<br>\
         Document: <strong>{} {}</strong><br>Made {} by {}.</p>",
        esc(&r.issuing_state),
        esc(&r.document_number),
        esc(&when(r.generated_at)),
        esc(&r.generated_by)
    ));
    let first = r.movements.first();
    if let Some(m) = first {
        out.push_str(&format!(
            "<p>Holder as recorded: {} {}, born {}, nationality {}, sex {}.</p>",
            esc(&m.traveller.given_names),
            esc(&m.traveller.surname),
            m.traveller.date_of_birth,
            esc(&m.traveller.nationality),
            esc(&m.traveller.sex)
        ));
    }
    table(
        &mut out,
        "Crossings",
        &[
            "When (Lesotho)",
            "Post",
            "Direction",
            "Mode",
            "Purpose",
            "Names",
            "Vehicle",
            "Recorded by",
            "Notes",
        ],
        r.movements
            .iter()
            .map(|m| {
                let mut notes = Vec::new();
                if m.sequence_anomaly {
                    notes.push("sequence anomaly".to_owned());
                }
                if m.outside_hours {
                    notes.push("outside opening hours".to_owned());
                }
                if m.late {
                    notes.push("received late".to_owned());
                }
                if let Some(v) = &m.voided_at {
                    notes.push(format!("voided {} ({})", when(*v), opt(&m.void_reason)));
                }
                if let Some(p) = m.permitted_until {
                    notes.push(format!("permitted until {p}"));
                }
                vec![
                    when(m.occurred_at),
                    m.poe.clone(),
                    m.direction.clone(),
                    m.mode.clone(),
                    m.purpose.clone(),
                    format!("{} / {}", m.traveller.surname, m.traveller.given_names),
                    m.vehicle
                        .as_ref()
                        .map(|v| format!("{} ({})", v.registration, v.country))
                        .unwrap_or_default(),
                    m.recorded_by.clone(),
                    notes.join("; "),
                ]
            })
            .collect(),
        "",
    );
    table(
        &mut out,
        "Stays and trips",
        &[
            "Kind",
            "From",
            "Post",
            "To",
            "Post",
            "Authorised until",
            "Days",
            "Overstayed",
        ],
        r.stays
            .iter()
            .map(|s| {
                vec![
                    s.kind.clone(),
                    when(s.opened_at),
                    s.opened_poe.clone(),
                    s.closed_at.map(when).unwrap_or_else(|| "open".to_owned()),
                    opt(&s.closed_poe),
                    s.ends_on.map(|d| d.to_string()).unwrap_or_default(),
                    s.days.to_string(),
                    if s.overstayed { "yes" } else { "no" }.to_owned(),
                ]
            })
            .collect(),
        "",
    );
    table(
        &mut out,
        "Customs declarations",
        &["Recorded", "Reference", "Goods", "Value", "By"],
        r.declarations
            .iter()
            .map(|d| {
                vec![
                    when(d.created_at),
                    d.reference.clone(),
                    d.goods.clone(),
                    format!("{} {}", d.value, d.currency),
                    d.created_by.clone(),
                ]
            })
            .collect(),
        "",
    );
    table(
        &mut out,
        "Watchlist hits",
        &["Crossing", "Post", "Action at the post", "Acknowledged"],
        r.hits
            .iter()
            .map(|h| {
                vec![
                    when(h.occurred_at),
                    h.poe.clone(),
                    h.action.clone(),
                    h.acknowledged_at.map(when).unwrap_or_default(),
                ]
            })
            .collect(),
        "Police information: check the law-enforcement exemptions before disclosing this section.",
    );
    table(
        &mut out,
        "Police holds",
        &["Placed", "By", "Reason", "Until", "Released"],
        r.holds
            .iter()
            .map(|h| {
                vec![
                    when(h.created_at),
                    h.created_by.clone(),
                    h.reason.clone(),
                    h.until.to_string(),
                    h.released_at.map(when).unwrap_or_default(),
                ]
            })
            .collect(),
        "Police information: check the law-enforcement exemptions before disclosing this section.",
    );
    table(
        &mut out,
        "Who recorded or looked at these records",
        &[
            "When (Lesotho)",
            "Who",
            "Role",
            "What",
            "Object",
            "Reason stated",
        ],
        r.accesses
            .iter()
            .map(|a| {
                vec![
                    when(a.at),
                    a.actor.clone(),
                    a.roles.clone(),
                    a.action.clone(),
                    a.object.clone(),
                    opt(&a.reason),
                ]
            })
            .collect(),
        "From the audit log. Lists of movements by post and time are logged by their filters, not by each movement shown, so they do not appear here.",
    );
    out.push_str("</body></html>");
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code: a panic is a test failure")]

    use serde_json::{Value, json};

    use super::*;

    fn movement(id: &str, minute: u32, voided: bool) -> Value {
        let mut m = json!({
            "id": id, "client_event_id": id, "poe": "SNP", "direction": "entry",
            "occurred_at": format!("2026-11-30T10:{minute:02}:00Z"),
            "recorded_at": "2026-11-30T11:00:00Z", "recorded_by": "thabo",
            "mode": "pedestrian", "purpose": "visit",
            "traveller": {"document_type": "passport", "document_number": "A1",
                "issuing_state": "ZAF", "nationality": "ZAF", "surname": "DLAMINI",
                "given_names": "SIPHO", "date_of_birth": "1988-03-14", "sex": "M"},
            "sequence_anomaly": false, "outside_hours": false, "late": false,
        });
        if voided {
            m["voided_at"] = json!("2026-11-30T12:00:00Z");
        }
        m
    }

    fn stay(opening: &str, closing: Option<&str>) -> Value {
        json!({"kind": "visit", "opening_movement_id": opening,
            "opened_at": "2026-11-30T10:00:00Z", "opened_poe": "SNP",
            "closing_movement_id": closing, "days": 0, "overstayed": false})
    }

    fn document(movements: Vec<Value>, stays: Vec<Value>) -> History {
        serde_json::from_value(json!({"issuing_state": "ZAF", "document_number": "A1",
            "movements": movements, "stays": stays}))
        .unwrap()
    }

    fn ids(h: &History) -> Vec<&str> {
        h.movements.iter().map(|m| m.id.as_str()).collect()
    }

    #[test]
    fn at_hq_the_answer_is_whole_and_unchanged() {
        let here = vec![document(vec![movement("a", 1, false)], vec![])];
        let (docs, partial) = with_hq(here, service::FromHq::NotAnEdge);
        assert!(!partial);
        assert_eq!(ids(&docs[0]), ["a"]);
        assert!(!docs[0].partial);
    }

    #[test]
    fn without_hq_the_posts_records_are_marked_partial() {
        let here = vec![document(vec![movement("a", 1, false)], vec![])];
        let (docs, partial) = with_hq(here, service::FromHq::Unanswered);
        assert!(partial);
        assert!(docs[0].partial);
        // An answer that cannot be read is no answer.
        let here = vec![document(vec![movement("a", 1, false)], vec![])];
        let (_, partial) = with_hq(here, service::FromHq::Answered(json!({"nonsense": 1})));
        assert!(partial);
    }

    #[test]
    fn hqs_records_and_the_posts_are_joined_by_id_the_posts_copy_winning() {
        let hq = json!({"documents": [{
            "issuing_state": "ZAF", "document_number": "A1",
            "movements": [movement("a", 1, false), movement("b", 3, false)],
            "stays": [stay("a", None)],
        }, {
            "issuing_state": "ZAF", "document_number": "B2",
            "movements": [], "stays": [],
        }]});
        // The post holds `b` voided (not yet at HQ) and `c` (not yet forwarded), which
        // closed the stay `a` opened.
        let here = vec![document(
            vec![movement("c", 2, false), movement("b", 3, true)],
            vec![stay("a", Some("c"))],
        )];
        let (docs, partial) = with_hq(here, service::FromHq::Answered(hq));
        assert!(!partial);
        assert_eq!(docs.len(), 1, "a document without movements is left out");
        assert_eq!(ids(&docs[0]), ["a", "c", "b"], "oldest first, each once");
        assert!(docs[0].movements[2].voided_at.is_some(), "the post's void");
        assert_eq!(docs[0].stays.len(), 1);
        assert_eq!(docs[0].stays[0].closing_movement_id.as_deref(), Some("c"));
        assert!(!docs[0].partial);
    }
}
