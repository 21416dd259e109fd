//! Recording, reading, listing and voiding movements: the rules that need the registry, the
//! caller's postings and the database together.
//!
//! A batch is one transaction of a few statements, whatever its size: find the replays, check
//! the watchlist, append the changes to the counters, lock the documents, load the neighbours
//! of every new movement's document, insert all new rows (COPY or multi-row INSERTs), write
//! the audit entries. Items stay independent because every rule is checked before the
//! transaction and every replay is sorted out inside it, so nothing in the transaction fails
//! for one item alone.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{Duration, NaiveDateTime};

use super::access::{self, AtPost};
use super::{Caller, Context};
use crate::auth::Principal;
use crate::domain::audit::{Actor, AuditEvent};
use crate::domain::movement::{Direction, MovementInput, NewMovement, Rules, VoidReason};
use crate::domain::names::FoldedName;
use crate::domain::paging::{Page, PageSize};
use crate::domain::poe::{Poe, PoeCode};
use crate::domain::stats::{self, Counted};
use crate::domain::stays::{self, StayKind, StayNote, StayRules};
use crate::domain::time;
use crate::domain::timeline::{self, Timeline};
use crate::domain::validation::{ValidationErrors, from_json_value};
use crate::domain::watchlist::{Action, Candidate, OfficerAlert};
use crate::error::{Error, Result};
use crate::store::movements::{self as rows, ListFilter, MovementRow, Span};
use crate::store::stays::StayRow;
use crate::store::watchlist::NewHit;
use crate::store::{self, DbConnection, StoreError, StoreResult};

impl AtPost for MovementRow {
    fn poe(&self) -> &PoeCode {
        &self.poe
    }
}

/// A recorded movement, with what its answer says of the stay it opens or closes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The movement.
    pub row: MovementRow,
    /// A visitor's entry: the stay's end; a visitor's exit that closes a stay: its length.
    pub stay: Option<StayNote>,
    /// What the watchlist asks of the officer, when the movement matched an alert.
    pub alert: Option<OfficerAlert>,
}

/// What became of one submitted movement.
#[derive(Debug, Clone)]
pub enum ItemOutcome {
    /// Recorded now.
    Created(Box<Recorded>),
    /// A replay of a recorded movement: the original.
    Duplicate(Box<Recorded>),
    /// Refused, with every reason.
    Rejected(ValidationErrors),
    /// The key was used before with another payload.
    Conflict {
        /// The movement recorded under that key.
        existing_id: String,
    },
    /// The caller is not posted at the movement's POE.
    NotPosted(String),
}

/// Validates and records `items` (raw JSON, one movement each) sent by the caller. Items are
/// independent: a rejected one never affects the others.
pub async fn record(
    ctx: &Context,
    caller: &Caller,
    items: Vec<serde_json::Value>,
) -> Result<Vec<ItemOutcome>> {
    let registry = ctx.registry.get(&ctx.db).await?;
    let settings = &ctx.settings;
    let rules = Rules {
        now: chrono::Utc::now(),
        future_tolerance: Duration::seconds(settings.movements.future_tolerance_secs),
        registry: &registry,
        home_state: &settings.stays.home_state,
    };

    // An edge records its own post's movements only: HQ would refuse the others.
    let edge_post = ctx.edge.as_ref().and_then(|e| e.post());
    let mut outcomes: Vec<Option<ItemOutcome>> = Vec::with_capacity(items.len());
    let mut valid: Vec<(usize, NewMovement)> = Vec::new();
    for (i, raw) in items.into_iter().enumerate() {
        let parsed = from_json_value::<MovementInput>(raw)
            .and_then(|input| NewMovement::parse(input, &rules));
        match parsed {
            Err(errors) => outcomes.push(Some(ItemOutcome::Rejected(errors))),
            Ok(m) if edge_post.as_ref().is_some_and(|p| *p != m.poe) => {
                outcomes.push(Some(ItemOutcome::Rejected(ValidationErrors::one(
                    "poe",
                    format!(
                        "this is the edge of {}: record a crossing at the post where it happens",
                        edge_post
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_default()
                    ),
                ))));
            }
            Ok(m) if !caller.principal.is_posted_at(&m.poe) => {
                outcomes.push(Some(ItemOutcome::NotPosted(m.poe.to_string())));
            }
            Ok(m) => {
                outcomes.push(None);
                valid.push((i, m));
            }
        }
    }

    if !valid.is_empty() {
        let sender = Sender {
            key: caller.principal.key(),
            name: caller.name(),
        };
        let batch: Vec<NewMovement> = valid.iter().map(|(_, m)| m.clone()).collect();
        let recorded = record_with_retry(ctx, sender, batch, caller.actor(), registry).await?;
        for ((i, _), item) in valid.iter().zip(after_commit(ctx, recorded, "api")) {
            outcomes[*i] = Some(item);
        }
    }

    let outcomes: Vec<ItemOutcome> = outcomes
        .into_iter()
        .map(|o| o.ok_or_else(|| Error::internal("a movement was left without an outcome")))
        .collect::<Result<_>>()?;
    let rejected = outcomes
        .iter()
        .filter(|o| {
            matches!(
                o,
                ItemOutcome::Rejected(_) | ItemOutcome::NotPosted(_) | ItemOutcome::Conflict { .. }
            )
        })
        .count();
    if rejected > 0 {
        metrics::counter!("crossings_movement_items_rejected_total").increment(rejected as u64);
        tracing::info!(rejected, total = outcomes.len(), "movements rejected");
    }
    Ok(outcomes)
}

/// How often a batch is tried when concurrent writers keep recording its keys first.
const RECORD_ATTEMPTS: u32 = 4;

/// Runs the recording transaction; when a concurrent writer recorded one of its keys first
/// (the unique constraint refused the insert: two terminals replaying the same event at the
/// same moment), runs it again, which then finds the other writer's row as a replay. A batch
/// can lose such a race to more than one writer; after [`RECORD_ATTEMPTS`] the caller gets a
/// 409 and may send it again.
async fn record_with_retry(
    ctx: &Context,
    sender: Sender,
    batch: Vec<NewMovement>,
    actor: Actor,
    registry: Arc<Vec<Poe>>,
) -> Result<Vec<Outcome>> {
    if let ([movement], Some(group)) = (batch.as_slice(), &ctx.group_commit) {
        let single = Single {
            sender,
            actor,
            movement: movement.clone(),
            registry,
        };
        return Ok(vec![group.record(single).await?]);
    }
    let late_after = Duration::hours(ctx.settings.movements.late_after_hours);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (sender, batch, actor, registry) = (
            sender.clone(),
            batch.clone(),
            actor.clone(),
            registry.clone(),
        );
        let stay_rules = stay_rules(&ctx.settings.stays);
        let result = ctx
            .db
            .write(move |c| -> StoreResult<Vec<Outcome>> {
                let plan = RecordContext {
                    registry: &registry,
                    recorded_at: time::now(),
                    late_after,
                    stay_rules,
                    given: None,
                };
                record_batch(c, Senders::One(&sender, &actor), &batch, &plan)
            })
            .await;
        match result {
            Err(StoreError::Conflict(m)) if attempt < RECORD_ATTEMPTS => {
                // Expected now and then (concurrent replays); nothing for an operator to do
                // unless it climbs (a sender resending everything from many connections).
                metrics::counter!("crossings_movement_record_retries_total").increment(1);
                tracing::debug!(cause = %m, "idempotency race: recording the batch again");
            }
            other => return Ok(other?),
        }
    }
}

/// Records one officer's movements that an edge recorded first and now forwards: each keeps
/// its edge id and edge time, is judged `late` on that time, is checked against HQ's
/// watchlist again (a hit the edge missed is recorded here), and gets a receipt naming the
/// edge and the time of arrival, in the same transaction. Exactly once: a batch sent again
/// (its answer was lost) answers `Duplicate` for what was recorded.
pub async fn record_forwarded(
    ctx: &Context,
    sender: Sender,
    actor: Actor,
    edge_id: String,
    items: Vec<(NewMovement, Given)>,
) -> Result<Vec<ItemOutcome>> {
    let registry = ctx.registry.get(&ctx.db).await?;
    let late_after = Duration::hours(ctx.settings.movements.late_after_hours);
    let given: Arc<HashMap<String, Given>> = Arc::new(
        items
            .iter()
            .map(|(m, g)| (m.client_event_id.as_str().to_owned(), g.clone()))
            .collect(),
    );
    let batch: Vec<NewMovement> = items.into_iter().map(|(m, _)| m).collect();
    let mut attempt = 0;
    let outcomes = loop {
        attempt += 1;
        let (sender, batch, actor, registry, given, edge_id) = (
            sender.clone(),
            batch.clone(),
            actor.clone(),
            registry.clone(),
            given.clone(),
            edge_id.clone(),
        );
        let stay_rules = stay_rules(&ctx.settings.stays);
        let result = ctx
            .db
            .write(move |c| -> StoreResult<Vec<Outcome>> {
                let received_at = time::now();
                let plan = RecordContext {
                    registry: &registry,
                    recorded_at: received_at,
                    late_after,
                    stay_rules,
                    given: Some(&given),
                };
                let outcomes = record_batch(c, Senders::One(&sender, &actor), &batch, &plan)?;
                let receipts: Vec<store::edges::ReceiptRow> = outcomes
                    .iter()
                    .filter_map(|o| match o {
                        Outcome::Created(r, _) => Some(store::edges::ReceiptRow {
                            movement_id: r.row.id.clone(),
                            edge_id: edge_id.clone(),
                            received_at,
                        }),
                        _ => None,
                    })
                    .collect();
                store::edges::insert_receipts(c, &receipts)?;
                Ok(outcomes)
            })
            .await;
        match result {
            Err(StoreError::Conflict(m)) if attempt < RECORD_ATTEMPTS => {
                metrics::counter!("crossings_movement_record_retries_total").increment(1);
                tracing::debug!(cause = %m, "idempotency race: recording the forwarded batch again");
            }
            other => break other?,
        }
    };
    Ok(after_commit(ctx, outcomes, "edge"))
}

/// What follows a recording transaction's commit: its hits handed to this process's streams
/// (SQLite; on PostgreSQL the NOTIFY sent in the transaction reaches every node), never
/// waiting and never failing; the counters and a log line per hit (ids only, enough for the
/// police to act on); and each outcome as its answer. `via` says how the movements came
/// (`api`, `edge`).
fn after_commit(ctx: &Context, recorded: Vec<Outcome>, via: &'static str) -> Vec<ItemOutcome> {
    if ctx.db.backend() == store::Backend::Sqlite {
        let hit_ids: Vec<String> = recorded
            .iter()
            .flat_map(|o| match o {
                Outcome::Created(_, hits) => hits.iter().map(|(id, _)| id.clone()).collect(),
                _ => Vec::new(),
            })
            .collect();
        ctx.hits.announce(hit_ids);
    }
    recorded
        .into_iter()
        .map(|outcome| match outcome {
            Outcome::Created(recorded, hits) => {
                let row = &recorded.row;
                metrics::counter!("crossings_movements_recorded_total",
                    "poe" => row.poe.to_string(), "direction" => row.direction.as_str())
                .increment(1);
                for (hit_id, alert_id) in &hits {
                    tracing::warn!(
                        movement_id = %row.id,
                        hit_id = %hit_id,
                        alert_id = %alert_id,
                        poe = %row.poe,
                        action = row.alert_action.as_deref().unwrap_or(""),
                        via,
                        "watchlist hit"
                    );
                    metrics::counter!("crossings_alert_hits_total", "poe" => row.poe.to_string())
                        .increment(1);
                }
                ItemOutcome::Created(recorded)
            }
            Outcome::Duplicate(recorded) => {
                metrics::counter!("crossings_movements_duplicate_total").increment(1);
                ItemOutcome::Duplicate(recorded)
            }
            Outcome::Conflict { existing_id } => ItemOutcome::Conflict { existing_id },
        })
        .collect()
}

/// Who is sending a batch.
#[derive(Debug, Clone)]
pub struct Sender {
    /// Idempotency namespace (`Principal::key`).
    pub key: String,
    /// Display name.
    pub name: String,
}

/// What recording needs besides the movements.
#[derive(Debug, Clone)]
pub struct RecordContext<'a> {
    /// The POE registry (opening hours).
    pub registry: &'a [Poe],
    /// Receipt time.
    pub recorded_at: NaiveDateTime,
    /// A movement older than this on receipt is `late`.
    pub late_after: Duration,
    /// How stays and trips open, close and end.
    pub stay_rules: StayRules,
    /// Movements recorded elsewhere first (at an edge), by `client_event_id`: the id and the
    /// time they were recorded there, which they keep.
    pub given: Option<&'a HashMap<String, Given>>,
}

/// What a movement recorded at an edge keeps when HQ records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Given {
    /// Its id at the edge.
    pub id: String,
    /// When the edge recorded it (UTC).
    pub recorded_at: NaiveDateTime,
    /// The hits the edge made on it.
    pub hits: Vec<GivenHit>,
}

/// A watchlist hit an edge made on a movement it forwards: HQ keeps it under the same id, for
/// the alert HQ matches again as much as for one removed at HQ since (the officer at the post
/// was shown it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GivenHit {
    /// Its id at the edge.
    pub id: String,
    /// The alert.
    pub alert_id: String,
    /// The action the officer was shown.
    pub action: Action,
    /// When the edge made it (UTC).
    pub created_at: NaiveDateTime,
}

/// Who sent the items of one recording transaction.
#[derive(Clone, Copy)]
enum Senders<'a> {
    /// A batch: one sender, one actor, for every item.
    One(&'a Sender, &'a Actor),
    /// Single posts of different callers gathered by group commit: one each, in order.
    Each(&'a [Single]),
}

impl Senders<'_> {
    /// The sender of item `i`.
    fn sender(&self, i: usize) -> &Sender {
        match self {
            Self::One(sender, _) => sender,
            Self::Each(singles) => &singles[i].sender,
        }
    }

    /// The movements recorded before under the items' keys, by (sender, key): one look-up per
    /// sender.
    fn replays(
        &self,
        conn: &mut DbConnection,
        items: &[NewMovement],
    ) -> StoreResult<HashMap<(String, String), MovementRow>> {
        let mut keys: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (i, m) in items.iter().enumerate() {
            keys.entry(self.sender(i).key.as_str())
                .or_default()
                .push(m.client_event_id.as_str());
        }
        let mut found = HashMap::new();
        for (principal, keys) in keys {
            for r in rows::replays(conn, principal, &keys)? {
                found.insert((r.principal.clone(), r.client_event_id.clone()), r);
            }
        }
        Ok(found)
    }

    /// Appends the audit entries of the new movements (`events[j]` is of item `items[j]`),
    /// each under its own sender's actor.
    fn audit(
        &self,
        conn: &mut DbConnection,
        items: &[usize],
        at: NaiveDateTime,
        events: &[AuditEvent],
    ) -> StoreResult<()> {
        match self {
            Self::One(_, actor) => store::audit::append(conn, actor, at, events),
            Self::Each(singles) => {
                let entries: Vec<(&Actor, &AuditEvent)> = items
                    .iter()
                    .zip(events)
                    .map(|(&i, e)| (&singles[i].actor, e))
                    .collect();
                store::audit::append_each(conn, at, &entries)
            }
        }
    }
}

/// A single post waiting for group commit: the movement, checked, and who sent it.
#[derive(Debug, Clone)]
pub(super) struct Single {
    sender: Sender,
    actor: Actor,
    movement: NewMovement,
    registry: Arc<Vec<Poe>>,
}

/// Records single posts of different callers in one transaction with the batch's recipe
/// (group commit): each keeps its own idempotency key, answer and audit entry. Run again,
/// like a batch, when a concurrent replay wins one of its keys. Synchronous: the group
/// commit's writers call it on their own threads.
pub(super) fn record_singles(ctx: &Context, singles: &[Single]) -> Result<Vec<Outcome>> {
    let Some(first) = singles.first() else {
        return Ok(Vec::new());
    };
    let registry = first.registry.clone();
    let movements: Vec<NewMovement> = singles.iter().map(|s| s.movement.clone()).collect();
    let late_after = Duration::hours(ctx.settings.movements.late_after_hours);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let plan = RecordContext {
            registry: &registry,
            recorded_at: time::now(),
            late_after,
            stay_rules: stay_rules(&ctx.settings.stays),
            given: None,
        };
        let result = ctx.db.write_sync(|c| -> StoreResult<Vec<Outcome>> {
            record_batch(c, Senders::Each(singles), &movements, &plan)
        });
        match result {
            Err(StoreError::Conflict(m)) if attempt < RECORD_ATTEMPTS => {
                metrics::counter!("crossings_movement_record_retries_total").increment(1);
                tracing::debug!(cause = %m, "idempotency race: recording the group again");
            }
            other => return Ok(other?),
        }
    }
}

/// What became of one movement of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Outcome {
    /// Recorded now (with what the officer is told), and the (hit, alert) ids of every match.
    Created(Box<Recorded>, Vec<(String, String)>),
    /// Recorded before with the same payload: the original (and its alert, as first answered).
    Duplicate(Box<Recorded>),
    /// The key was used before with another payload.
    Conflict {
        /// The movement recorded under that key.
        existing_id: String,
    },
}

/// Records `items` sent by `sender`, exactly once each, inside the caller's transaction.
///
/// Only the part that reads and extends document timelines runs under the documents' locks
/// (see [`rows::lock_documents`]): everything before it (the replays, the new rows, the
/// watchlist, the changes to the counters) needs none, so that concurrent batches wait for each
/// other as briefly as they can.
fn record_batch(
    conn: &mut DbConnection,
    from: Senders<'_>,
    items: &[NewMovement],
    ctx: &RecordContext<'_>,
) -> StoreResult<Vec<Outcome>> {
    // Replays: keys their senders used before (see `rows::replays` for the race).
    let recorded = from.replays(conn, items)?;

    // What each item becomes: an outcome now (a replay or a conflict), a new row, or a repeat
    // of an earlier item of this batch.
    let mut outcomes: Vec<Option<Outcome>> = vec![None; items.len()];
    let mut fresh: Vec<MovementRow> = Vec::with_capacity(items.len());
    let mut fresh_items: Vec<usize> = Vec::with_capacity(items.len());
    let mut repeats: Vec<(usize, usize)> = Vec::new();
    let mut in_batch: HashMap<(&str, &str), usize> = HashMap::with_capacity(items.len());
    for (i, m) in items.iter().enumerate() {
        let sender = from.sender(i);
        let key = (sender.key.as_str(), m.client_event_id.as_str());
        let hash = m.payload_hash();
        if let Some(existing) = recorded.get(&(key.0.to_owned(), key.1.to_owned())) {
            outcomes[i] = Some(if existing.payload_hash == hash {
                Outcome::Duplicate(Box::new(Recorded {
                    stay: stay_note_stored(conn, existing)?,
                    row: existing.clone(),
                    alert: None,
                }))
            } else {
                Outcome::Conflict {
                    existing_id: existing.id.clone(),
                }
            });
        } else if let Some(&r) = in_batch.get(&key) {
            if fresh[r].payload_hash == hash {
                repeats.push((i, r));
            } else {
                outcomes[i] = Some(Outcome::Conflict {
                    existing_id: fresh[r].id.clone(),
                });
            }
        } else {
            in_batch.insert(key, fresh.len());
            let mut row = new_row(m, hash, sender, ctx);
            if let Some(given) = ctx.given.and_then(|g| g.get(key.1)) {
                row.id.clone_from(&given.id);
                row.recorded_at = given.recorded_at;
                row.late = m.is_late(given.recorded_at, ctx.late_after);
            }
            fresh.push(row);
            fresh_items.push(i);
        }
    }

    let hits = check_watchlist(conn, &mut fresh, ctx)?;
    // Their changes to the counters are appended, not upserted: no lock needed either.
    if cfg!(not(feature = "bench-no-counts")) {
        let counted: Vec<Counted> = fresh.iter().map(MovementRow::counted).collect();
        store::counts::record(conn, &stats::deltas(counted.iter(), 1))?;
    }

    rows::lock_documents(conn, fresh.iter().map(MovementRow::document))?;
    let stays = apply_timelines(conn, &mut fresh, &ctx.stay_rules)?;
    rows::insert_rows(conn, &fresh)?;
    let new_hits: Vec<NewHit> = hits.iter().map(|(h, _)| h.clone()).collect();
    store::watchlist::insert_hits(conn, &new_hits)?;
    store::stays::upsert(conn, &stays)?;
    let events: Vec<AuditEvent> = fresh
        .iter()
        .map(|r| AuditEvent::new("movement.record", format!("movement:{}", r.id)))
        .collect();
    from.audit(conn, &fresh_items, ctx.recorded_at, &events)?;

    // Replays answer the alert they were first answered with.
    let replayed_with_alert: Vec<&str> = recorded
        .values()
        .filter(|r| r.alert_action.is_some())
        .map(|r| r.id.as_str())
        .collect();
    let replayed_alerts = store::watchlist::officer_alerts(conn, &replayed_with_alert)?;
    for o in outcomes.iter_mut().flatten() {
        if let Outcome::Duplicate(recorded) = o {
            recorded.alert = replayed_alerts.get(&recorded.row.id).cloned();
        }
    }
    let mut hit_alerts: HashMap<&str, MovementHits> = HashMap::new();
    for (h, category) in &hits {
        let entry = hit_alerts.entry(h.movement_id.as_str()).or_default();
        entry.1.push((h.id.clone(), h.alert_id.clone()));
        if entry
            .0
            .as_ref()
            .is_none_or(|a| h.action.urgency() > a.action.urgency())
        {
            entry.0 = Some(OfficerAlert {
                hit_id: h.id.clone(),
                action: h.action,
                category: *category,
            });
        }
    }
    for (i, r) in repeats {
        let alert = hit_alerts
            .get(fresh[r].id.as_str())
            .and_then(|(a, _)| a.clone());
        outcomes[i] = Some(Outcome::Duplicate(Box::new(Recorded {
            stay: stay_note(&fresh[r].id, &stays),
            row: fresh[r].clone(),
            alert,
        })));
    }
    for (i, row) in fresh_items.into_iter().zip(fresh) {
        let (alert, matched) = hit_alerts.remove(row.id.as_str()).unwrap_or_default();
        let stay = stay_note(&row.id, &stays);
        outcomes[i] = Some(Outcome::Created(
            Box::new(Recorded { row, stay, alert }),
            matched,
        ));
    }
    outcomes
        .into_iter()
        .map(|o| {
            o.ok_or_else(|| StoreError::Task("a movement was left without an outcome".to_owned()))
        })
        .collect()
}

/// What the answer to recording movement `id` says of the visit it opens or closes, from the
/// stays as they now stand (`stays` holds every stay the movement opens or closes).
fn stay_note(id: &str, stays: &[StayRow]) -> Option<StayNote> {
    let visits = || stays.iter().filter(|s| s.kind == StayKind::Visit.as_str());
    if let Some(opened) = visits().find(|s| s.opening_id == id) {
        return opened.ends_on.map(|ends_on| StayNote::Opened { ends_on });
    }
    visits()
        .find(|s| s.closing_id.as_deref() == Some(id))
        .and_then(|closed| {
            closed.closed_on.map(|closed_on| {
                StayNote::closed(
                    closed.opened_at,
                    closed.opened_poe.clone(),
                    closed.ends_on,
                    closed_on,
                )
            })
        })
}

/// [`stay_note`] of a movement recorded before (a replay), from the stored stays of its
/// document.
fn stay_note_stored(conn: &mut DbConnection, row: &MovementRow) -> StoreResult<Option<StayNote>> {
    if row.voided_at.is_some() {
        return Ok(None);
    }
    let (state, number) = row.document();
    let stays = store::stays::of_document(conn, state, number)?;
    Ok(stay_note(&row.id, &stays))
}

/// Per movement: what its officer is told, and the (hit, alert) ids of every match.
type MovementHits = (Option<OfficerAlert>, Vec<(String, String)>);

/// Looks every new movement up on the watchlist (two indexed look-ups for the whole batch:
/// by document number, and person alerts by date of birth, whose names are then compared
/// tolerantly here), sets the most urgent action on each that matched, and answers the hits to
/// store with their alerts' categories. A movement forwarded by an edge keeps the hits the
/// edge made (their ids, times and the actions the officer was shown): one hit per alert,
/// whether HQ matches the alert again or it was removed at HQ since.
fn check_watchlist(
    conn: &mut DbConnection,
    fresh: &mut [MovementRow],
    ctx: &RecordContext<'_>,
) -> StoreResult<Vec<(NewHit, crate::domain::watchlist::Category)>> {
    if fresh.is_empty() {
        return Ok(Vec::new());
    }
    let mut numbers: Vec<String> = fresh.iter().map(|r| r.document_number.clone()).collect();
    numbers.sort_unstable();
    numbers.dedup();
    let mut births: Vec<chrono::NaiveDate> = fresh.iter().map(|r| r.date_of_birth).collect();
    births.sort_unstable();
    births.dedup();
    let live = store::watchlist::live_matches(conn, &numbers, &births, ctx.recorded_at)?;
    let mut from_edge = edge_hits(conn, fresh, ctx)?;
    if live.is_empty() && from_edge.is_empty() {
        return Ok(Vec::new());
    }
    let mut hits = Vec::new();
    for row in fresh.iter_mut() {
        let (state, number) = row.document();
        let candidate = Candidate {
            issuing_state: state,
            document_number: number,
            name: FoldedName::new(&row.surname, &row.given_names),
            date_of_birth: row.date_of_birth,
        };
        let mut matched: Vec<_> = live
            .iter()
            .filter(|alert| alert.matches(&candidate).is_some())
            .collect();
        // One alert found by both look-ups is one match.
        matched.sort_by(|a, b| a.alert_id.cmp(&b.alert_id));
        matched.dedup_by(|a, b| a.alert_id == b.alert_id);
        let mut made_at_edge = from_edge.remove(&row.id).unwrap_or_default();
        let hit = |id: String, alert_id: String, action, created_at| NewHit {
            id,
            alert_id,
            movement_id: row.id.clone(),
            poe: row.poe.clone(),
            occurred_at: row.occurred_at,
            action,
            created_at,
            seq: None,
        };
        let mut row_hits = Vec::with_capacity(matched.len() + made_at_edge.len());
        for alert in matched {
            let made = made_at_edge
                .iter()
                .position(|(h, _)| h.alert_id == alert.alert_id)
                .map(|i| made_at_edge.remove(i).0);
            row_hits.push((
                match made {
                    Some(h) => hit(h.id, h.alert_id, h.action, h.created_at),
                    None => hit(
                        uuid::Uuid::now_v7().to_string(),
                        alert.alert_id.clone(),
                        alert.action,
                        ctx.recorded_at,
                    ),
                },
                alert.category,
            ));
        }
        for (h, category) in made_at_edge {
            row_hits.push((hit(h.id, h.alert_id, h.action, h.created_at), category));
        }
        // The most urgent first: its hit is the one the officer is shown.
        row_hits.sort_by_key(|(h, _)| std::cmp::Reverse(h.action.urgency()));
        row.alert_action = row_hits.first().map(|(h, _)| h.action.as_str().to_owned());
        hits.extend(row_hits);
    }
    Ok(hits)
}

/// The hits edges made on the movements of `fresh` they forward, per movement id, with their
/// alerts' categories: a hit on an alert HQ does not hold is left out (logged), and one whose
/// id HQ already holds is kept under a new id.
fn edge_hits(
    conn: &mut DbConnection,
    fresh: &[MovementRow],
    ctx: &RecordContext<'_>,
) -> StoreResult<HashMap<String, Vec<(GivenHit, crate::domain::watchlist::Category)>>> {
    let Some(given) = ctx.given else {
        return Ok(HashMap::new());
    };
    let made: Vec<(&str, &GivenHit)> = fresh
        .iter()
        .filter_map(|r| given.get(&r.client_event_id).map(|g| (r.id.as_str(), g)))
        .flat_map(|(id, g)| g.hits.iter().map(move |h| (id, h)))
        .collect();
    if made.is_empty() {
        return Ok(HashMap::new());
    }
    let alert_ids: Vec<String> = made.iter().map(|(_, h)| h.alert_id.clone()).collect();
    let categories = store::watchlist::categories(conn, &alert_ids)?;
    let hit_ids: Vec<String> = made.iter().map(|(_, h)| h.id.clone()).collect();
    let mut taken = store::watchlist::existing_hit_ids(conn, &hit_ids)?;
    let mut out: HashMap<String, Vec<(GivenHit, crate::domain::watchlist::Category)>> =
        HashMap::new();
    for (movement_id, h) in made {
        let Some(category) = categories.get(&h.alert_id) else {
            tracing::warn!(movement_id, alert_id = %h.alert_id, "an edge's hit names an alert HQ does not hold; not kept");
            continue;
        };
        let mut h = h.clone();
        if !taken.insert(h.id.clone()) {
            tracing::warn!(movement_id, hit_id = %h.id, "an edge's hit id is taken at HQ; kept under a new id");
            h.id = uuid::Uuid::now_v7().to_string();
        }
        out.entry(movement_id.to_owned())
            .or_default()
            .push((h, *category));
    }
    Ok(out)
}

/// The row a new movement becomes, every flag but the sequence check set (the benchmarks build
/// their baseline from it).
pub fn new_row(
    m: &NewMovement,
    payload_hash: String,
    sender: &Sender,
    ctx: &RecordContext<'_>,
) -> MovementRow {
    let poe = ctx.registry.iter().find(|p| p.code == m.poe.as_str());
    let t = &m.traveller;
    MovementRow {
        id: uuid::Uuid::now_v7().to_string(),
        principal: sender.key.clone(),
        client_event_id: m.client_event_id.as_str().to_owned(),
        payload_hash,
        poe: m.poe.clone(),
        direction: m.direction,
        occurred_at: m.occurred_at,
        recorded_at: ctx.recorded_at,
        recorded_by: sender.name.clone(),
        mode: m.mode,
        purpose: m.purpose,
        document_type: t.document_type,
        document_number: t.document_number.as_str().to_owned(),
        issuing_state: t.issuing_state.clone(),
        nationality: t.nationality.clone(),
        surname: t.surname.as_str().to_owned(),
        given_names: t.given_names.as_str().to_owned(),
        date_of_birth: t.date_of_birth,
        sex: t.sex,
        mrz: m.mrz.as_ref().map(|lines| lines.join("\n")),
        permitted_until: m.permitted_until,
        vehicle_registration: m.vehicle.as_ref().map(|v| v.registration.clone()),
        vehicle_country: m.vehicle.as_ref().map(|v| v.country.as_str().to_owned()),
        vehicle_category: m.vehicle.as_ref().map(|v| v.category.as_str().to_owned()),
        sequence_anomaly: false,
        outside_hours: poe.is_some_and(|p| m.outside_hours(p)),
        late: m.is_late(ctx.recorded_at, ctx.late_after),
        alert_action: None,
        voided_at: None,
        voided_by: None,
        void_reason: None,
        erased_at: None,
    }
}

/// A document's key in the maps below.
type DocumentKey = (String, String);

fn document_key(r: &MovementRow) -> DocumentKey {
    (r.issuing_state.to_string(), r.document_number.clone())
}

/// Loads, per document, its crossings from just before the first new one to just after the
/// last; then inserts the new ones in order of receipt, flags each whose predecessor went the
/// same way, and answers the stays and trips that changed: those the new crossings open, and
/// those their predecessors open (whose next crossing changed).
fn apply_timelines(
    conn: &mut DbConnection,
    fresh: &mut [MovementRow],
    rules: &StayRules,
) -> StoreResult<Vec<StayRow>> {
    let mut spans: BTreeMap<DocumentKey, (NaiveDateTime, NaiveDateTime)> = BTreeMap::new();
    for r in fresh.iter() {
        let span = spans
            .entry(document_key(r))
            .or_insert((r.occurred_at, r.occurred_at));
        span.0 = span.0.min(r.occurred_at);
        span.1 = span.1.max(r.occurred_at);
    }
    let spans: Vec<Span> = spans
        .into_iter()
        .map(|((issuing_state, document_number), (from, to))| Span {
            issuing_state,
            document_number,
            from,
            to,
        })
        .collect();
    let mut timelines = rows::load_timelines(conn, &spans)?;
    // Per document, the ids of crossings whose stay may have changed.
    let mut touched: BTreeMap<DocumentKey, Vec<String>> = BTreeMap::new();
    for r in fresh.iter_mut() {
        let doc = document_key(r);
        let timeline = timelines.entry(doc.clone()).or_default();
        let crossing = r.crossing();
        let previous = timeline.previous(crossing.at, &crossing.id).cloned();
        r.sequence_anomaly = timeline::is_sequence_anomaly(previous.as_ref(), crossing.direction);
        let ids = touched.entry(doc).or_default();
        ids.extend(previous.map(|p| p.id));
        ids.push(crossing.id.clone());
        timeline.insert(crossing);
    }
    Ok(stays_after(&timelines, touched, rules))
}

/// The stays, as the timelines now stand, of the touched crossings that open one.
fn stays_after(
    timelines: &HashMap<DocumentKey, Timeline>,
    touched: BTreeMap<DocumentKey, Vec<String>>,
    rules: &StayRules,
) -> Vec<StayRow> {
    let mut out = Vec::new();
    for ((state, number), mut ids) in touched {
        ids.sort_unstable();
        ids.dedup();
        let Some(timeline) = timelines.get(&(state.clone(), number.clone())) else {
            continue;
        };
        for c in timeline
            .crossings()
            .iter()
            .filter(|c| ids.binary_search(&c.id).is_ok())
        {
            if let Some(stay) = stays::stay_of(timeline, c, rules) {
                out.push(StayRow::of(&stay, &state, &number));
            }
        }
    }
    out
}

/// The movement `id` when it is at one of the caller's posts; else "not found".
pub(super) fn at_posts(
    c: &mut DbConnection,
    principal: &Principal,
    id: &str,
) -> Result<MovementRow> {
    access::at_callers_posts(rows::by_id(c, id)?, principal, "movement")
}

/// The movement `id` when the caller may read it: at one of its posts, and for LRA only with a
/// vehicle; else "not found".
pub(super) fn readable(
    c: &mut DbConnection,
    principal: &Principal,
    id: &str,
) -> Result<MovementRow> {
    let row = at_posts(c, principal, id)?;
    if access::may_read_movement(principal, row.vehicle_registration.is_some())
        || (principal.has_role(crate::domain::user::Role::Police)
            && store::watchlist::movement_has_hit(c, id)?)
    {
        Ok(row)
    } else {
        Err(access::not_found("movement"))
    }
}

/// What the watchlist asked of the officers about these movements, for a caller who may know
/// (never LRA alone: [`access::may_see_alerts`]).
pub(super) fn alerts_for(
    c: &mut DbConnection,
    principal: &Principal,
    rows: &[MovementRow],
) -> StoreResult<HashMap<String, OfficerAlert>> {
    if !access::may_see_alerts(principal) {
        return Ok(HashMap::new());
    }
    let ids: Vec<&str> = rows
        .iter()
        .filter(|r| r.alert_action.is_some())
        .map(|r| r.id.as_str())
        .collect();
    store::watchlist::officer_alerts(c, &ids)
}

/// Reads one movement at the caller's posts (LRA: one with a vehicle; police: one that left a
/// hit), writing the read to the audit log; with its alert for those who may know.
pub async fn read_one(
    ctx: &Context,
    caller: &Caller,
    id: String,
) -> Result<(MovementRow, Option<OfficerAlert>)> {
    let (principal, actor) = (caller.principal.clone(), caller.actor());
    ctx.write(move |c| {
        let row = readable(c, &principal, &id)?;
        let alert = alerts_for(c, &principal, std::slice::from_ref(&row))?.remove(&row.id);
        store::audit::append(
            c,
            &actor,
            time::now(),
            &[AuditEvent::new("movement.read", format!("movement:{id}"))],
        )?;
        Ok((row, alert))
    })
    .await
}

/// What a movement list asks for.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// One POE (default: every post the caller is posted at).
    pub poe: Option<PoeCode>,
    /// One direction.
    pub direction: Option<Direction>,
    /// From (UTC, inclusive), on `occurred_at`.
    pub from: Option<NaiveDateTime>,
    /// To (UTC, exclusive).
    pub to: Option<NaiveDateTime>,
    /// After this position (keyset).
    pub after: Option<(NaiveDateTime, String)>,
    /// Page size.
    pub limit: PageSize,
}

/// Movements at the caller's posts, oldest first, keyset-paged; LRA officers see only
/// movements with a vehicle (and never an alert). Audited.
pub async fn list(
    ctx: &Context,
    caller: &Caller,
    q: ListQuery,
) -> Result<(Page<MovementRow>, HashMap<String, OfficerAlert>)> {
    if let (Some(f), Some(t)) = (q.from, q.to) {
        if f >= t {
            return Err(ValidationErrors::one("from", "must be before `to`").into());
        }
    }
    let description = format!(
        "movements:poe={};direction={};from={};to={}",
        q.poe.as_ref().map_or("*", PoeCode::as_str),
        q.direction.map_or("*", Direction::as_str),
        q.from.map(|t| t.and_utc().to_rfc3339()).unwrap_or_default(),
        q.to.map(|t| t.and_utc().to_rfc3339()).unwrap_or_default(),
    );
    let filter = ListFilter {
        poes: access::list_scope(&caller.principal, q.poe)?,
        direction: q.direction,
        from: q.from,
        to: q.to,
        vehicles_only: !caller
            .principal
            .has_role(crate::domain::user::Role::Immigration),
        after: q.after,
    };
    let (actor, principal) = (caller.actor(), caller.principal.clone());
    let limit = q.limit;
    let (mut items, alerts) = ctx
        .write(move |c| {
            let found = rows::list(c, &filter, limit.probe())?;
            let alerts = alerts_for(c, &principal, &found)?;
            store::audit::append(
                c,
                &actor,
                time::now(),
                &[AuditEvent::new("movement.list", description)],
            )?;
            Ok((found, alerts))
        })
        .await?;
    let more = limit.cut(&mut items);
    Ok((Page { items, more }, alerts))
}

/// Voids a movement at the caller's posts: final; the original stays, showing who voided it,
/// when and why; it leaves statistics, stays and sequence checks.
pub async fn void(
    ctx: &Context,
    caller: &Caller,
    id: String,
    reason: VoidReason,
) -> Result<(MovementRow, Option<OfficerAlert>)> {
    let (principal, actor, by) = (caller.principal.clone(), caller.actor(), caller.name());
    let rules = stay_rules(&ctx.settings.stays);
    let row = ctx
        .write(move |c| {
            let row = at_posts(c, &principal, &id)?;
            let now = time::now();
            if !void_row(c, &row, now, &by, reason.as_str(), &rules)? {
                return Err(Error::Conflict(
                    "the movement is voided already; a void is final".to_owned(),
                ));
            }
            store::audit::append(
                c,
                &actor,
                now,
                &[AuditEvent::with_reason(
                    "movement.void",
                    format!("movement:{id}"),
                    Some(reason.as_str().to_owned()),
                )],
            )?;
            let row = rows::by_id(c, &id)?.ok_or(StoreError::NotFound)?;
            let alert = alerts_for(c, &principal, std::slice::from_ref(&row))?.remove(&row.id);
            Ok((row, alert))
        })
        .await?;
    metrics::counter!("crossings_movements_voided_total", "poe" => row.0.poe.to_string())
        .increment(1);
    Ok(row)
}

/// Voids, at HQ, a movement that an edge recorded and then voided: at the edge's time, by the
/// edge's officer, with their reason. Answers false when it was voided already (a void sent
/// again). The caller has checked that the movement came through that edge.
pub async fn void_forwarded(
    ctx: &Context,
    actor: Actor,
    id: String,
    at: NaiveDateTime,
    by: String,
    reason: VoidReason,
) -> Result<bool> {
    let rules = stay_rules(&ctx.settings.stays);
    let poe = ctx
        .write(move |c| {
            let row = rows::by_id(c, &id)?.ok_or_else(|| access::not_found("movement"))?;
            if !void_row(c, &row, at, &by, reason.as_str(), &rules)? {
                return Ok(None);
            }
            store::audit::append(
                c,
                &actor,
                time::now(),
                &[AuditEvent::with_reason(
                    "movement.void",
                    format!("movement:{id}"),
                    Some(reason.as_str().to_owned()),
                )],
            )?;
            Ok(Some(row.poe))
        })
        .await?;
    if let Some(poe) = &poe {
        metrics::counter!("crossings_movements_voided_total", "poe" => poe.to_string())
            .increment(1);
    }
    Ok(poe.is_some())
}

/// Voids a movement that is not voided yet, taking it out of the counts and its document's
/// timeline; answers false when it was voided already. Inside the caller's transaction.
fn void_row(
    conn: &mut DbConnection,
    row: &MovementRow,
    at: NaiveDateTime,
    by: &str,
    reason: &str,
    rules: &StayRules,
) -> StoreResult<bool> {
    let (state, number) = row.document();
    rows::lock_document(conn, state, number)?;
    let span = Span {
        issuing_state: state.to_owned(),
        document_number: number.to_owned(),
        from: row.occurred_at,
        to: row.occurred_at,
    };
    let mut timelines = rows::load_timelines(conn, std::slice::from_ref(&span))?;
    if !rows::mark_voided(conn, &row.id, at, by, reason)? {
        return Ok(false);
    }
    store::counts::record(conn, &stats::deltas([row.counted()].iter(), -1))?;

    // The voided crossing leaves its timeline: its own stay goes, and its predecessor's stay
    // now runs to whatever follows.
    let doc = document_key(row);
    let timeline = timelines.entry(doc.clone()).or_default();
    let previous = timeline
        .previous(row.occurred_at, &row.id)
        .map(|p| p.id.clone());
    timeline.remove(&row.id);
    store::stays::remove(conn, std::slice::from_ref(&row.id))?;
    let touched: BTreeMap<DocumentKey, Vec<String>> = [(doc, previous.into_iter().collect())]
        .into_iter()
        .collect();
    store::stays::upsert(conn, &stays_after(&timelines, touched, rules))?;
    Ok(true)
}

/// The stay rules of the configuration.
pub fn stay_rules(settings: &crate::config::StaySettings) -> StayRules {
    StayRules {
        home_state: settings.home_state.clone(),
        default_days: settings.default_days,
        days_by_nationality: settings
            .days_by_nationality
            .iter()
            .map(|(k, v)| (k.to_ascii_uppercase(), *v))
            .collect(),
    }
}
