//! Posts that go offline. At HQ: issuing, listing and revoking edge credentials, the edge's
//! token, the package an edge pulls down, and the movements it forwards. At an edge: taking a
//! package in, what waits to be forwarded, and the edge's status. (The HTTP client that
//! carries these between the two is `crate::edge`.)

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};

use super::movements::{self, Given, GivenHit, ItemOutcome, Sender};
use super::{Caller, Client, Context};
use crate::auth::IssuedTokens;
use crate::auth::principal::Identity;
use crate::auth::tokens::{ClientCredential, secret_hash};
use crate::domain::audit::{Actor, AuditEvent};
use crate::domain::edge::{
    ForwardedAnswer, ForwardedBatch, ForwardedHit, ForwardedMovement, ForwardedResult,
    ForwardedVoid, SyncPackage, SyncedAccount, SyncedAlert,
};
use crate::domain::movement::{MovementInput, NewMovement, Rules, VoidReason};
use crate::domain::poe::PoeCode;
use crate::domain::search::TravellerQuery;
use crate::domain::time;
use crate::domain::user::{Postings, Role, RoleSet};
use crate::domain::validation::{ValidationErrors, from_json_value};
use crate::domain::watchlist::{Action, Category};
use crate::error::{Error, Result};
use crate::hq::{Hq, HqError, OfficerSession};
use crate::store::edges::EdgeRow;
use crate::store::movements::MovementRow;
use crate::store::users::UserRow;
use crate::store::watchlist::{AlertRow, HitRow};
use crate::store::{self, StoreError};

/// Most watchlist changes in one package (an edge asks again at once when there are more).
pub const SYNC_ALERTS_MAX: i64 = 1000;

/// The credentials of a new edge: the secret appears here once and is never stored.
#[derive(Debug)]
pub struct EdgeCredentials {
    /// Edge id (for revocation).
    pub id: String,
    /// Client id, for `POST /auth/token` and the edge's `edge.client_id`.
    pub client_id: String,
    /// Client secret, for the edge's `edge.client_secret`: shown once.
    pub client_secret: String,
    /// Its post.
    pub poe: String,
}

/// An edge, authenticated by its token.
#[derive(Debug, Clone)]
pub struct EdgeCaller {
    /// Edge id.
    pub id: String,
    /// Its client id.
    pub client_id: String,
    /// Its post.
    pub poe: PoeCode,
    /// From where.
    pub client: Client,
}

impl EdgeCaller {
    /// The audit actor of this edge.
    pub fn actor(&self) -> Actor {
        Actor {
            name: format!("edge:{}", self.client_id),
            roles: "edge".to_owned(),
            client_addr: self.client.addr_string(),
            request_id: self.client.request_id.clone(),
        }
    }
}

/// Every edge, newest first.
pub async fn list(ctx: &Context) -> Result<Vec<EdgeRow>> {
    ctx.read(|c| Ok(store::edges::list(c)?)).await
}

/// Issues a credential for an edge at a post of the registry. Audited.
pub async fn register(
    ctx: &Context,
    actor: Actor,
    poe: PoeCode,
    label: String,
) -> Result<EdgeCredentials> {
    let credential = ClientCredential::new(&format!("edge-{}", poe.as_str().to_ascii_lowercase()));
    let secret = credential.secret;
    let now = time::now();
    let row = EdgeRow {
        id: uuid::Uuid::now_v7().to_string(),
        client_id: credential.client_id,
        secret_hash: credential.secret_hash,
        poe: poe.as_str().to_owned(),
        label,
        created_at: now,
        revoked_at: None,
        last_contact_at: None,
        last_backlog: None,
    };
    let view = EdgeCredentials {
        id: row.id.clone(),
        client_id: row.client_id.clone(),
        client_secret: secret,
        poe: row.poe.clone(),
    };
    ctx.write(move |c| {
        if store::poes::get(c, &row.poe)?.is_none() {
            return Err(ValidationErrors::one("poe", "unknown POE").into());
        }
        store::edges::insert(c, &row)?;
        store::audit::append(
            c,
            &actor,
            now,
            &[AuditEvent::new("edge.create", format!("edge:{}", row.id))],
        )?;
        Ok(())
    })
    .await?;
    Ok(view)
}

/// Revokes an edge: its tokens stop working at once, and it receives nothing more. Audited.
pub async fn revoke(ctx: &Context, actor: Actor, id: String) -> Result<()> {
    let now = time::now();
    ctx.write(move |c| {
        if !store::edges::revoke(c, &id, now)? {
            return Err(Error::NotFound("no such edge".to_owned()));
        }
        store::audit::append(
            c,
            &actor,
            now,
            &[AuditEvent::new("edge.revoke", format!("edge:{id}"))],
        )?;
        Ok(())
    })
    .await
}

/// Whether a client id is an edge's (edges' ids are made `edge-…`).
pub fn is_edge_client_id(client_id: &str) -> bool {
    client_id.starts_with("edge-")
}

/// Gives an edge an access token (subject `edge:<id>`), good only for the edge endpoints.
pub async fn token(ctx: &Context, client_id: &str, client_secret: &str) -> Result<IssuedTokens> {
    let lookup = client_id.to_owned();
    let edge = ctx
        .read(move |c| Ok(store::edges::by_client_id(c, &lookup)?))
        .await?;
    let presented = secret_hash(client_secret);
    let Some(edge) = edge.filter(|e| {
        e.revoked_at.is_none() && constant_time_eq(e.secret_hash.as_bytes(), presented.as_bytes())
    }) else {
        metrics::counter!("crossings_login_failures_total").increment(1);
        tracing::warn!(client_id = %crate::telemetry::clip(client_id), "edge token refused");
        return Err(Error::Unauthenticated(
            "invalid client credentials".to_owned(),
        ));
    };
    let token = ctx.auth.keys().issue(
        format!("edge:{}", edge.id),
        vec!["edge".to_owned()],
        vec![edge.poe.clone()],
        None,
    )?;
    tracing::info!(client_id = %edge.client_id, poe = %edge.poe, "edge token issued");
    Ok(IssuedTokens {
        access_token: token,
        expires_in: ctx.auth.keys().ttl_secs(),
        refresh_token: None,
        password_change_required: false,
        mfa_enrolment_required: false,
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The edge behind a bearer token, read from the database (a revoked edge is refused at once).
pub async fn authenticate(ctx: &Context, bearer: &str, client: Client) -> Result<EdgeCaller> {
    let refused = || Error::Unauthenticated("an edge's access token is required".to_owned());
    let claims = ctx.auth.keys().verify(bearer).map_err(|e| {
        tracing::info!(error = %e, "edge token refused");
        refused()
    })?;
    let id = claims
        .sub
        .strip_prefix("edge:")
        .ok_or_else(refused)?
        .to_owned();
    let edge = ctx
        .read(move |c| Ok(store::edges::by_id(c, &id)?))
        .await?
        .filter(|e| e.revoked_at.is_none())
        .ok_or_else(refused)?;
    let poe = PoeCode::parse(&edge.poe)
        .map_err(|_| Error::internal(format!("edge {} has a bad POE", edge.id)))?;
    Ok(EdgeCaller {
        id: edge.id,
        client_id: edge.client_id,
        poe,
        client,
    })
}

/// Whether an account belongs at an edge of `poe`: posted there (or everywhere) and holding a
/// role that works at a post. Admins and analysts have nothing to do at an edge, so their
/// hashes never leave HQ.
fn belongs_at(user: &UserRow, poe: &PoeCode) -> bool {
    let posted = Postings::from_storage(&user.poes).is_some_and(|p| p.covers(poe));
    let works_at_posts = RoleSet::from_storage(&user.roles)
        .is_some_and(|r| r.has(Role::Immigration) || r.has(Role::Police) || r.has(Role::Lra));
    posted && works_at_posts
}

fn synced_alert(seq: i64, a: AlertRow) -> SyncedAlert {
    SyncedAlert {
        seq,
        id: a.id,
        kind: a.kind,
        issuing_state: a.issuing_state,
        document_number: a.document_number,
        surname: a.surname,
        given_names: a.given_names,
        date_of_birth: a.date_of_birth,
        person_key: a.person_key,
        category: a.category.as_str().to_owned(),
        action: a.action.as_str().to_owned(),
        expires_at: a.expires_at.map(|t| t.and_utc()),
        created_at: a.created_at.and_utc(),
        removed_at: a.removed_at.map(|t| t.and_utc()),
    }
}

/// What an edge pulls down: its post's accounts, the watchlist's changes after `since`, the
/// registry. Notes the contact and the backlog the edge reports; audits a package that
/// carries watchlist changes (personal data).
pub async fn sync(
    ctx: &Context,
    edge: &EdgeCaller,
    since: i64,
    backlog: Option<i64>,
) -> Result<SyncPackage> {
    let (edge_id, poe, actor) = (edge.id.clone(), edge.poe.clone(), edge.actor());
    ctx.write(move |c| {
        let now = time::now();
        store::edges::touch(c, &edge_id, now, backlog)?;
        let accounts: Vec<SyncedAccount> = store::users::list(c)?
            .into_iter()
            .filter(|u| belongs_at(u, &poe))
            .map(|u| SyncedAccount {
                totp_secret: if u.totp_enabled { u.totp_secret } else { None },
                id: u.id,
                username: u.username,
                password_hash: u.password_hash,
                roles: u.roles,
                poes: u.poes,
                active: u.active,
                password_change_required: u.password_change_required,
                totp_enabled: u.totp_enabled,
            })
            .collect();
        let mut changes = store::edges::alert_changes_after(c, since, SYNC_ALERTS_MAX + 1)?;
        let more = changes.len() as i64 > SYNC_ALERTS_MAX;
        changes.truncate(usize::try_from(SYNC_ALERTS_MAX).unwrap_or(1000));
        let last = changes.last().map_or(since, |(seq, _)| *seq);
        // An alert changed twice is sent once, in its present state, at its last number.
        let mut latest: BTreeMap<String, i64> = BTreeMap::new();
        for (seq, a) in &changes {
            latest.insert(a.id.clone(), *seq);
        }
        let alerts: Vec<SyncedAlert> = changes
            .into_iter()
            .filter(|(seq, a)| latest.get(&a.id) == Some(seq))
            .map(|(seq, a)| synced_alert(seq, a))
            .collect();
        if !alerts.is_empty() {
            store::audit::append(
                c,
                &actor,
                now,
                &[AuditEvent::new(
                    "edge.sync_watchlist",
                    format!("watchlist:{}..{last}", since + 1),
                )],
            )?;
        }
        Ok(SyncPackage {
            poe: poe.to_string(),
            accounts,
            alerts,
            watchlist_seq: last,
            watchlist_more: more,
            poes: store::poes::list(c)?,
        })
    })
    .await
}

/// Records the movements an edge forwards, in order, exactly once. Each names its recording
/// officer, who must be an immigration officer posted at the edge's post at HQ; a movement at
/// another post, of an unknown officer, or that the rules refuse is rejected (the edge keeps
/// it for an admin to see) and never affects its neighbours.
pub async fn receive(
    ctx: &Context,
    edge: &EdgeCaller,
    batch: ForwardedBatch,
) -> Result<ForwardedAnswer> {
    let max = ctx.settings.movements.max_batch_items;
    if batch.movements.len() > max {
        return Err(ValidationErrors::one(
            "movements",
            format!("must hold at most {max} movements"),
        )
        .into());
    }
    if batch.voids.len() > max {
        return Err(
            ValidationErrors::one("voids", format!("must hold at most {max} voids")).into(),
        );
    }
    if batch.movements.is_empty() && batch.voids.is_empty() {
        return Err(
            ValidationErrors::one("movements", "a batch holds a movement or a void").into(),
        );
    }
    if batch.backlog.is_some_and(|b| b < 0) {
        return Err(ValidationErrors::one("backlog", "must not be negative").into());
    }
    let registry = ctx.registry.get(&ctx.db).await?;
    let settings = &ctx.settings;
    let rules = Rules {
        now: Utc::now(),
        future_tolerance: chrono::Duration::seconds(settings.movements.future_tolerance_secs),
        registry: &registry,
        home_state: &settings.stays.home_state,
    };
    let voids = batch.voids;
    let officer_ids: Vec<String> = {
        let mut ids: Vec<String> = batch.movements.iter().map(|m| m.officer.clone()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let officers: HashMap<String, UserRow> = ctx
        .read(move |c| {
            let mut found = HashMap::new();
            for id in officer_ids {
                if let Some(u) = store::users::by_id(c, &id)? {
                    found.insert(id, u);
                }
            }
            Ok(found)
        })
        .await?;

    let n = batch.movements.len();
    let mut results: Vec<Option<ForwardedResult>> = vec![None; n];
    // Per officer, in order of first appearance: (item index, movement, what it keeps).
    let mut groups: Vec<(String, Vec<Accepted>)> = Vec::new();
    for (i, item) in batch.movements.into_iter().enumerate() {
        let reject = |reason: String| {
            Some(ForwardedResult {
                id: item.id.clone(),
                status: "rejected".to_owned(),
                reason: Some(reason),
            })
        };
        if item.id.is_empty() || item.id.len() > 64 {
            results[i] = reject("id: must be 1 to 64 characters".to_owned());
            continue;
        }
        let Some(officer) = officers.get(&item.officer) else {
            results[i] = reject("officer: no such account at HQ".to_owned());
            continue;
        };
        if !officer_may_record_at(officer, &edge.poe) {
            results[i] = reject(format!(
                "officer: {} is not an immigration officer posted at {} at HQ",
                officer.username, edge.poe
            ));
            continue;
        }
        let parsed = from_json_value::<MovementInput>(item.movement)
            .and_then(|input| NewMovement::parse(input, &rules));
        let m = match parsed {
            Ok(m) => m,
            Err(errors) => {
                results[i] = reject(format!("movement: {errors}"));
                continue;
            }
        };
        if m.poe != edge.poe {
            results[i] = reject(format!("movement.poe: this edge records for {}", edge.poe));
            continue;
        }
        let hits = match given_hits(item.hits) {
            Ok(h) => h,
            Err(reason) => {
                results[i] = reject(reason);
                continue;
            }
        };
        let given = Given {
            id: item.id,
            recorded_at: time::truncate_micros(item.recorded_at.naive_utc()),
            hits,
        };
        match groups.iter_mut().find(|(o, _)| *o == officer.id) {
            Some((_, items)) => items.push((i, m, given)),
            None => groups.push((officer.id.clone(), vec![(i, m, given)])),
        }
    }

    for (officer_id, items) in groups {
        let name = officers
            .get(&officer_id)
            .map(|u| u.username.clone())
            .unwrap_or_default();
        let sender = Sender {
            key: format!("user:{officer_id}"),
            name,
        };
        let indexes: Vec<(usize, String)> =
            items.iter().map(|(i, _, g)| (*i, g.id.clone())).collect();
        let items: Vec<(NewMovement, Given)> = items.into_iter().map(|(_, m, g)| (m, g)).collect();
        let outcomes =
            movements::record_forwarded(ctx, sender, edge.actor(), edge.id.clone(), items).await?;
        for ((i, id), outcome) in indexes.into_iter().zip(outcomes) {
            let (status, reason) = match outcome {
                ItemOutcome::Created(_) => ("created", None),
                ItemOutcome::Duplicate(r) if r.row.id == id => ("duplicate", None),
                ItemOutcome::Duplicate(r) => (
                    "rejected",
                    Some(format!(
                        "client_event_id: recorded before at HQ as movement {}",
                        r.row.id
                    )),
                ),
                ItemOutcome::Conflict { existing_id } => (
                    "rejected",
                    Some(format!(
                        "client_event_id: used before with another payload (movement {existing_id})"
                    )),
                ),
                ItemOutcome::Rejected(errors) => ("rejected", Some(errors.to_string())),
                ItemOutcome::NotPosted(poe) => ("rejected", Some(format!("not posted at {poe}"))),
            };
            results[i] = Some(ForwardedResult {
                id,
                status: status.to_owned(),
                reason,
            });
        }
    }

    let mut void_results = Vec::with_capacity(voids.len());
    for v in voids {
        void_results.push(receive_void(ctx, edge, v).await?);
    }

    let (edge_id, backlog) = (edge.id.clone(), batch.backlog);
    ctx.write(move |c| Ok(store::edges::touch(c, &edge_id, time::now(), backlog)?))
        .await?;
    let results = results
        .into_iter()
        .map(|r| r.ok_or_else(|| Error::internal("a forwarded movement was left without a result")))
        .collect::<Result<Vec<_>>>()?;
    Ok(ForwardedAnswer {
        results,
        void_results,
    })
}

/// One void an edge forwards: of a movement that came through this edge, by an immigration
/// officer posted at its post at HQ.
async fn receive_void(
    ctx: &Context,
    edge: &EdgeCaller,
    v: ForwardedVoid,
) -> Result<ForwardedResult> {
    let result = |status: &str, reason: Option<String>| ForwardedResult {
        id: v.movement_id.clone(),
        status: status.to_owned(),
        reason,
    };
    let reason = match VoidReason::parse(&v.reason) {
        Ok(r) => r,
        Err(e) => return Ok(result("rejected", Some(e.to_string()))),
    };
    let (id, by, edge_id) = (v.movement_id.clone(), v.voided_by.clone(), edge.id.clone());
    let (officer, receipt) = ctx
        .read(move |c| {
            let officer = store::users::by_username(c, &by)?;
            let receipt = store::edges::receipts(c, &[id.as_str()])?
                .into_iter()
                .any(|r| r.edge_id == edge_id);
            Ok((officer, receipt))
        })
        .await?;
    let Some(officer) = officer.filter(|o| officer_may_record_at(o, &edge.poe)) else {
        return Ok(result(
            "rejected",
            Some(format!(
                "voided_by: not an immigration officer posted at {} at HQ",
                edge.poe
            )),
        ));
    };
    if !receipt {
        return Ok(result(
            "rejected",
            Some("movement_id: not a movement this edge forwarded".to_owned()),
        ));
    }
    let at = time::truncate_micros(v.voided_at.naive_utc());
    let voided = movements::void_forwarded(
        ctx,
        edge.actor(),
        v.movement_id.clone(),
        at,
        officer.username,
        reason,
    )
    .await?;
    Ok(result(if voided { "voided" } else { "duplicate" }, None))
}

/// At an edge, after an officer signed in here: signs them in at HQ too, with what they typed
/// (nothing is kept but HQ's tokens, in memory, for this session), within
/// `edge.officer_timeout_ms`. Their HQ session is how the edge reads HQ's records and changes
/// their password for them: the edge's own credential opens neither. HQ out of reach (or
/// refusing): the session here works as ever, its searches marked partial.
pub async fn sign_in_at_hq(
    ctx: &Context,
    session_id: &str,
    username: &str,
    password: &str,
    otp: Option<&str>,
) {
    let Some(node) = ctx.edge.as_ref() else {
        return;
    };
    match node.hq.sign_in(username, password, otp).await {
        Ok(session) => {
            node.officers.lock().await.insert(
                session_id.to_owned(),
                Arc::new(tokio::sync::Mutex::new(session)),
            );
        }
        Err(e) => {
            tracing::warn!(error = %e, username, "edge: the officer could not be signed in at HQ too; HQ's records will not be shown in this session");
        }
    }
}

/// At an edge, a session ended here: its HQ session is forgotten.
pub async fn signed_out_here(ctx: &Context, session_id: &str) {
    if let Some(node) = ctx.edge.as_ref() {
        node.officers.lock().await.remove(session_id);
    }
}

/// The caller's HQ session, if they have one.
async fn officer_session(
    ctx: &Context,
    caller: &Caller,
) -> Option<Arc<tokio::sync::Mutex<OfficerSession>>> {
    let node = ctx.edge.as_ref()?;
    let Identity::User { session_id, .. } = &caller.principal.identity else {
        return None;
    };
    node.officers.lock().await.get(session_id).cloned()
}

/// At an edge: HQ's answer to an officer's search (the JSON of `POST /travellers/search`),
/// asked in the officer's own HQ session, or `None` when there is none, HQ cannot be reached,
/// or it does not answer within `edge.officer_timeout_ms` (the officer then sees the post's
/// own records, marked partial).
pub async fn search_at_hq(
    ctx: &Context,
    caller: &Caller,
    query: &TravellerQuery,
    reason: Option<String>,
) -> Option<serde_json::Value> {
    let node = ctx.edge.as_ref()?;
    let Some(session) = officer_session(ctx, caller).await else {
        tracing::info!(
            "edge: the officer has no HQ session (signed in while HQ was away); answering with this post's records only"
        );
        return None;
    };
    let mut session = session.lock().await;
    match node.hq.search(&mut session, &query.to_input(reason)).await {
        Ok(answer) => Some(answer),
        Err(e) => {
            tracing::warn!(error = %e, "edge: HQ did not answer a traveller search; answering with this post's records only");
            None
        }
    }
}

/// At an edge: a signed-in officer's password change, made at HQ first, in their HQ session
/// (HQ holds the accounts: a change made here alone would be undone by the next sync). HQ's
/// refusal is the officer's (422); no HQ session, or HQ out of reach, is a 503 (the password
/// stays as it is everywhere).
pub async fn change_password_at_hq(
    ctx: &Context,
    caller: &Caller,
    current_password: &str,
    new_password: &str,
) -> Result<()> {
    let Some(node) = ctx.edge.as_ref() else {
        return Ok(());
    };
    let unavailable = |why: &str| Error::Busy {
        detail: format!(
            "a password is changed at HQ, and {why}: sign in again while HQ can be reached, then change it"
        ),
        retry_after_secs: 60,
    };
    let Some(session) = officer_session(ctx, caller).await else {
        return Err(unavailable(
            "this session was opened while HQ was out of reach",
        ));
    };
    let mut session = session.lock().await;
    match node
        .hq
        .change_password(&mut session, current_password, new_password)
        .await
    {
        Ok(()) => Ok(()),
        Err(HqError::Status(422, detail)) => {
            Err(ValidationErrors::one("new_password", format!("HQ refused it: {detail}")).into())
        }
        Err(e) => {
            tracing::warn!(error = %e, "edge: a password change could not be made at HQ");
            Err(unavailable("HQ could not make it now"))
        }
    }
}

/// Most hits one forwarded movement may carry.
const HITS_PER_MOVEMENT_MAX: usize = 100;

/// The hits an edge made on a movement, checked; a reason to reject the movement otherwise.
fn given_hits(hits: Vec<ForwardedHit>) -> std::result::Result<Vec<GivenHit>, String> {
    if hits.len() > HITS_PER_MOVEMENT_MAX {
        return Err(format!("hits: at most {HITS_PER_MOVEMENT_MAX}"));
    }
    hits.into_iter()
        .map(|h| {
            if h.id.is_empty() || h.id.len() > 64 || h.alert_id.is_empty() || h.alert_id.len() > 64
            {
                return Err("hits: id and alert_id must be 1 to 64 characters".to_owned());
            }
            let action = Action::parse(&h.action).map_err(|e| format!("hits: {e}"))?;
            Ok(GivenHit {
                id: h.id,
                alert_id: h.alert_id,
                action,
                created_at: time::truncate_micros(h.created_at.naive_utc()),
            })
        })
        .collect()
}

/// A forwarded movement that passed the checks: its place in the batch, the movement, and
/// what it keeps from the edge.
type Accepted = (usize, NewMovement, Given);

fn officer_may_record_at(officer: &UserRow, poe: &PoeCode) -> bool {
    Postings::from_storage(&officer.poes).is_some_and(|p| p.covers(poe))
        && RoleSet::from_storage(&officer.roles).is_some_and(|r| r.has(Role::Immigration))
}

// ----- at an edge -----

/// What a node running at a post holds: its link to HQ, and its post (HQ names it in every
/// package; kept in the edge's state, so it is known from the start after the first sync).
#[derive(Debug)]
pub struct EdgeNode {
    /// The link to HQ.
    pub hq: Hq,
    post: std::sync::RwLock<Option<PoeCode>>,
    /// The officers' HQ sessions, by the id of their session here.
    officers: tokio::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<OfficerSession>>>>,
}

impl EdgeNode {
    /// The node of this edge: its link to HQ, and its post as the last package named it.
    pub async fn start(ctx: &Context) -> Result<Arc<Self>> {
        let hq = Hq::new(&ctx.settings.edge).map_err(|e| Error::internal(e.to_string()))?;
        let post = ctx
            .read(|c| Ok(store::edges::state(c, key::POST)?))
            .await?
            .and_then(|p| PoeCode::parse(&p).ok());
        Ok(Arc::new(Self {
            hq,
            post: std::sync::RwLock::new(post),
            officers: tokio::sync::Mutex::new(HashMap::new()),
        }))
    }

    /// The post this edge records for; `None` before the first package from HQ (when no
    /// account is known here either).
    pub fn post(&self) -> Option<PoeCode> {
        self.post.read().map_or(None, |p| p.clone())
    }

    fn set_post(&self, post: PoeCode) {
        if let Ok(mut held) = self.post.write() {
            *held = Some(post);
        }
    }
}

/// Keys of the edge's state.
mod key {
    /// The position (SQLite rowid) of the last movement HQ has answered for.
    pub const FORWARDED: &str = "forwarded_rowid";
    /// The last watchlist change taken in.
    pub const WATCHLIST_SEQ: &str = "watchlist_seq";
    /// When the last package was taken in (RFC 3339).
    pub const LAST_SYNC: &str = "last_sync";
    /// Whether HQ answered the agent's last attempt (`true`/`false`).
    pub const HQ_REACHABLE: &str = "hq_reachable";
    /// Prefix of movements HQ rejected: `rejected:<movement id>` → reason.
    pub const REJECTED: &str = "rejected:";
    /// The post HQ issued this edge's credential for.
    pub const POST: &str = "poe";
}

/// The watchlist change to ask HQ for changes after.
pub async fn watchlist_seq(ctx: &Context) -> Result<i64> {
    ctx.read(|c| {
        Ok(store::edges::state(c, key::WATCHLIST_SEQ)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    })
    .await
}

fn alert_row(a: SyncedAlert) -> Result<AlertRow> {
    let bad =
        |e: ValidationErrors| Error::internal(format!("HQ sent an alert we cannot read: {e}"));
    Ok(AlertRow {
        id: a.id,
        kind: a.kind,
        issuing_state: a.issuing_state,
        document_number: a.document_number,
        surname: a.surname,
        given_names: a.given_names,
        date_of_birth: a.date_of_birth,
        person_key: a.person_key,
        category: Category::parse(&a.category).map_err(bad)?,
        action: Action::parse(&a.action).map_err(bad)?,
        // The police's reason never leaves HQ.
        reason: String::new(),
        expires_at: a.expires_at.map(|t| t.naive_utc()),
        created_at: a.created_at.naive_utc(),
        created_by: "hq".to_owned(),
        removed_at: a.removed_at.map(|t| t.naive_utc()),
        removed_by: a.removed_at.map(|_| "hq".to_owned()),
    })
}

/// Takes a package from HQ in, in one transaction: the post's accounts (an account no longer
/// in it is disabled here, and its sessions end), the watchlist's changes, the registry.
pub async fn apply_sync(ctx: &Context, package: SyncPackage) -> Result<()> {
    let now = time::now();
    let post = PoeCode::parse(&package.poe)
        .map_err(|e| Error::internal(format!("HQ named a post we cannot read: {e}")))?;
    let alerts: Vec<AlertRow> = package
        .alerts
        .into_iter()
        .map(alert_row)
        .collect::<Result<_>>()?;
    let accounts: Vec<UserRow> = package
        .accounts
        .into_iter()
        .map(|a| UserRow {
            id: a.id,
            username: a.username,
            password_hash: a.password_hash,
            roles: a.roles,
            poes: a.poes,
            active: a.active,
            created_at: now,
            updated_at: now,
            password_change_required: a.password_change_required,
            totp_secret: a.totp_secret,
            totp_enabled: a.totp_enabled,
            totp_last_step: None,
        })
        .collect();
    let (seq, poes, code) = (package.watchlist_seq, package.poes, post.to_string());
    ctx.write(move |c| {
        for a in &accounts {
            match store::edges::upsert_account(c, a) {
                Ok(()) => {}
                Err(StoreError::Conflict(_)) => {
                    tracing::warn!(user_id = %a.id, "an account of the same name exists at this edge under another id; HQ's is not taken in");
                }
                Err(e) => return Err(e.into()),
            }
        }
        let keep: Vec<String> = accounts
            .iter()
            .filter(|a| a.active)
            .map(|a| a.id.clone())
            .collect();
        store::edges::disable_accounts_except(c, &keep, now)?;
        store::edges::revoke_sessions_of_inactive(c, now)?;
        for a in &alerts {
            store::edges::upsert_alert(c, a)?;
        }
        for p in &poes {
            store::edges::upsert_poe(c, p, now)?;
        }
        store::edges::set_state(c, key::WATCHLIST_SEQ, &seq.to_string())?;
        store::edges::set_state(c, key::LAST_SYNC, &now.and_utc().to_rfc3339())?;
        store::edges::set_state(c, key::POST, &code)?;
        Ok(())
    })
    .await?;
    if let Some(node) = &ctx.edge {
        node.set_post(post);
    }
    Ok(())
}

/// A movement waiting to be forwarded: its position, the row, and the hits made on it here.
pub type Waiting = (i64, MovementRow, Vec<HitRow>);

/// The next movements to forward (at most `limit`, in the order recorded), with their
/// positions and hits, and how many wait in all.
pub async fn outbox(ctx: &Context, limit: i64) -> Result<(Vec<Waiting>, i64)> {
    ctx.read(move |c| {
        let after = forwarded_position(c)?;
        let rows = store::edges::waiting(c, after, limit)?;
        let (backlog, _) = store::edges::backlog(c, after)?;
        let flagged: Vec<String> = rows
            .iter()
            .filter(|(_, r)| r.alert_action.is_some())
            .map(|(_, r)| r.id.clone())
            .collect();
        let mut hits: HashMap<String, Vec<HitRow>> = HashMap::new();
        for h in store::watchlist::hits_of_movements(c, &flagged)? {
            hits.entry(h.movement_id.clone()).or_default().push(h);
        }
        let waiting = rows
            .into_iter()
            .map(|(at, row)| {
                let made = hits.remove(&row.id).unwrap_or_default();
                (at, row, made)
            })
            .collect();
        Ok((waiting, backlog))
    })
    .await
}

fn forwarded_position(c: &mut store::DbConnection) -> Result<i64> {
    Ok(store::edges::state(c, key::FORWARDED)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// A movement recorded at this edge, as it is forwarded to HQ with the hits made on it here:
/// the officer's payload rebuilt from the row (the same row gives the same payload, so a
/// resent batch is a duplicate at HQ, never a conflict).
pub fn forwarded(row: &MovementRow, hits: &[HitRow]) -> Option<ForwardedMovement> {
    let officer = row.principal.strip_prefix("user:")?.to_owned();
    let mut movement = serde_json::json!({
        "client_event_id": row.client_event_id,
        "poe": row.poe.as_str(),
        "direction": row.direction.as_str(),
        "occurred_at": row.occurred_at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        "mode": row.mode.as_str(),
        "purpose": row.purpose.as_str(),
        "traveller": {
            "document_type": row.document_type.as_str(),
            "document_number": row.document_number,
            "issuing_state": row.issuing_state.as_str(),
            "nationality": row.nationality.as_str(),
            "surname": row.surname,
            "given_names": row.given_names,
            "date_of_birth": row.date_of_birth.format("%Y-%m-%d").to_string(),
            "sex": row.sex.as_str(),
        },
    });
    if let Some(obj) = movement.as_object_mut() {
        if let Some(mrz) = &row.mrz {
            obj.insert(
                "mrz".to_owned(),
                serde_json::json!(mrz.split('\n').collect::<Vec<_>>()),
            );
        }
        if let Some(until) = row.permitted_until {
            obj.insert(
                "permitted_until".to_owned(),
                serde_json::json!(until.format("%Y-%m-%d").to_string()),
            );
        }
        if let (Some(registration), Some(country), Some(category)) = (
            &row.vehicle_registration,
            &row.vehicle_country,
            &row.vehicle_category,
        ) {
            obj.insert(
                "vehicle".to_owned(),
                serde_json::json!({"registration": registration, "country": country, "category": category}),
            );
        }
    }
    Some(ForwardedMovement {
        id: row.id.clone(),
        officer,
        recorded_at: row.recorded_at.and_utc(),
        movement,
        hits: hits
            .iter()
            .map(|h| ForwardedHit {
                id: h.id.clone(),
                alert_id: h.alert_id.clone(),
                action: h.action.as_str().to_owned(),
                created_at: h.created_at.and_utc(),
            })
            .collect(),
    })
}

/// Voids made here whose movements HQ has answered for, not yet sent (at most `limit`).
pub async fn void_outbox(ctx: &Context, limit: i64) -> Result<Vec<ForwardedVoid>> {
    ctx.read(move |c| {
        let upto = forwarded_position(c)?;
        Ok(store::edges::waiting_voids(c, upto, limit)?
            .into_iter()
            .filter_map(|r| {
                Some(ForwardedVoid {
                    movement_id: r.id,
                    voided_by: r.voided_by?,
                    voided_at: r.voided_at?.and_utc(),
                    reason: r.void_reason?,
                })
            })
            .collect())
    })
    .await
}

/// Notes what HQ answered for voids: (movement id, status, reason); a rejected one is kept
/// for an admin to see.
pub async fn mark_voids_sent(ctx: &Context, answered: Vec<(String, String, String)>) -> Result<()> {
    ctx.write(move |c| {
        for (id, status, reason) in &answered {
            store::edges::set_state(c, &format!("void_sent:{id}"), status)?;
            if status == "rejected" {
                store::edges::set_state(c, &format!("{}void:{id}", key::REJECTED), reason)?;
            }
        }
        Ok(())
    })
    .await
}

/// Notes that HQ has answered for every movement up to position `upto`; those it rejected are
/// kept, with the reason, for an admin to see.
pub async fn mark_forwarded(
    ctx: &Context,
    upto: i64,
    rejected: Vec<(String, String)>,
) -> Result<()> {
    ctx.write(move |c| {
        for (id, reason) in &rejected {
            store::edges::set_state(c, &format!("{}{id}", key::REJECTED), reason)?;
        }
        if upto > forwarded_position(c)? {
            store::edges::set_state(c, key::FORWARDED, &upto.to_string())?;
        }
        Ok(())
    })
    .await
}

/// What `GET /edge/status` says.
#[derive(Debug, Clone)]
pub struct EdgeStatus {
    /// Movements and voids recorded here that HQ has not yet answered for.
    pub backlog: i64,
    /// When the oldest of them was recorded.
    pub oldest_waiting: Option<DateTime<Utc>>,
    /// When the last package from HQ was taken in.
    pub last_sync: Option<DateTime<Utc>>,
    /// Whether HQ answered the last attempt.
    pub hq_reachable: bool,
    /// Movements HQ rejected, kept here: (movement id, reason).
    pub rejected: Vec<(String, String)>,
}

/// Notes whether HQ answered the agent's last attempt.
pub async fn note_reachable(ctx: &Context, reachable: bool) -> Result<()> {
    ctx.write(move |c| {
        Ok(store::edges::set_state(
            c,
            key::HQ_REACHABLE,
            if reachable { "true" } else { "false" },
        )?)
    })
    .await
}

/// The edge's own state (whether HQ answers is the agent's to say).
pub async fn status(ctx: &Context) -> Result<EdgeStatus> {
    ctx.read(|c| {
        let after = forwarded_position(c)?;
        let (backlog, oldest) = store::edges::backlog(c, after)?;
        let backlog = backlog + store::edges::voids_waiting(c)?;
        let last_sync = store::edges::state(c, key::LAST_SYNC)?
            .and_then(|v| DateTime::parse_from_rfc3339(&v).ok())
            .map(|t| t.with_timezone(&Utc));
        let rejected = store::edges::states_with_prefix(c, key::REJECTED)?
            .into_iter()
            .map(|(k, v)| (k.trim_start_matches(key::REJECTED).to_owned(), v))
            .collect();
        let hq_reachable = store::edges::state(c, key::HQ_REACHABLE)?.is_some_and(|v| v == "true");
        Ok(EdgeStatus {
            hq_reachable,
            backlog,
            oldest_waiting: oldest.map(|t: NaiveDateTime| t.and_utc()),
            last_sync,
            rejected,
        })
    })
    .await
}
