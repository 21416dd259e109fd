//! Recording, reading and voiding movements: the rules that need the registry, the caller's
//! postings and the database together.

use std::sync::Arc;

use chrono::Duration;

use crate::auth::Principal;
use crate::domain::audit::{Actor, AuditEvent};
use crate::domain::movement::{MovementInput, NewMovement, Rules};
use crate::domain::poe::PoeCode;
use crate::domain::stays::StayRules;
use crate::domain::validation::{ValidationErrors, from_json_value};
use crate::error::{Error, Result};
use crate::startup::AppState;
use crate::store::movements::{self, MovementRow, Outcome, RecordContext, Sender};
use crate::store::{self, StoreError};

/// What became of one submitted movement.
#[derive(Debug, Clone)]
pub enum ItemOutcome {
    /// Recorded now.
    Created(Box<MovementRow>),
    /// A replay of a recorded movement: the original.
    Duplicate(Box<MovementRow>),
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

/// Validates and records `items` (raw JSON, one movement each) sent by `principal`. Items are
/// independent: a rejected one never affects the others.
pub async fn record(
    state: &Arc<AppState>,
    principal: &Principal,
    actor: Actor,
    items: Vec<serde_json::Value>,
) -> Result<Vec<ItemOutcome>> {
    let registry = state.registry.get(&state.db).await?;
    let settings = &state.settings;
    let now = chrono::Utc::now();
    let rules = Rules {
        now,
        future_tolerance: Duration::seconds(settings.movements.future_tolerance_secs),
        registry: &registry,
        home_state: &settings.stays.home_state,
    };

    let mut outcomes: Vec<Option<ItemOutcome>> = Vec::with_capacity(items.len());
    let mut valid: Vec<(usize, NewMovement)> = Vec::new();
    for (i, raw) in items.into_iter().enumerate() {
        let parsed = from_json_value::<MovementInput>(raw)
            .and_then(|input| NewMovement::parse(input, &rules));
        match parsed {
            Err(errors) => outcomes.push(Some(ItemOutcome::Rejected(errors))),
            Ok(m) if !principal.is_posted_at(&m.poe) => {
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
            key: principal.key(),
            name: principal.display_name(),
        };
        let late_after = Duration::hours(settings.movements.late_after_hours);
        let batch: Vec<NewMovement> = valid.iter().map(|(_, m)| m.clone()).collect();
        let recorded =
            record_with_retry(state, sender, batch, actor, registry.clone(), late_after).await?;
        for ((i, _), outcome) in valid.iter().zip(recorded) {
            outcomes[*i] = Some(match outcome {
                Outcome::Created(row, alerts) => {
                    metrics::counter!("crossings_movements_recorded_total",
                        "poe" => row.poe.clone(), "direction" => row.direction.clone())
                    .increment(1);
                    for alert_id in &alerts {
                        // Enough for the police to act on; no personal data in the log.
                        tracing::warn!(
                            movement_id = %row.id,
                            alert_id = %alert_id,
                            poe = %row.poe,
                            action = row.alert_action.as_deref().unwrap_or(""),
                            "watchlist hit"
                        );
                        metrics::counter!("crossings_alert_hits_total", "poe" => row.poe.clone())
                            .increment(1);
                    }
                    ItemOutcome::Created(row)
                }
                Outcome::Duplicate(row) => {
                    metrics::counter!("crossings_movements_duplicate_total").increment(1);
                    ItemOutcome::Duplicate(row)
                }
                Outcome::Conflict { existing_id } => ItemOutcome::Conflict { existing_id },
            });
        }
    }

    let outcomes: Vec<ItemOutcome> = outcomes
        .into_iter()
        .map(|o| {
            o.ok_or_else(|| Error::Internal("a movement was left without an outcome".to_owned()))
        })
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
    state: &Arc<AppState>,
    sender: Sender,
    batch: Vec<NewMovement>,
    actor: Actor,
    registry: Arc<Vec<crate::domain::poe::Poe>>,
    late_after: Duration,
) -> Result<Vec<Outcome>> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (sender, batch, actor, registry) = (
            sender.clone(),
            batch.clone(),
            actor.clone(),
            registry.clone(),
        );
        let stay_rules = stay_rules(&state.settings.stays);
        let result = state
            .db
            .write(move |c| {
                let ctx = RecordContext {
                    registry: &registry,
                    recorded_at: store::now(),
                    late_after,
                    stay_rules,
                };
                movements::record(c, &sender, &batch, &actor, &ctx)
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

/// A movement the caller may see: immigration at its POE, LRA at its POE when it has a
/// vehicle. Anything else is "not found", so that a movement of another post reveals nothing.
pub fn visible_to(row: &MovementRow, principal: &Principal) -> bool {
    let Ok(poe) = PoeCode::parse(&row.poe) else {
        return false;
    };
    if !principal.is_posted_at(&poe) {
        return false;
    }
    principal.has_role(crate::domain::user::Role::Immigration)
        || (principal.has_role(crate::domain::user::Role::Lra)
            && row.vehicle_registration.is_some())
}

/// Reads one movement, writing the read to the audit log.
pub async fn read_one(
    state: &Arc<AppState>,
    principal: &Principal,
    actor: Actor,
    id: String,
) -> Result<MovementRow> {
    let p = principal.clone();
    let found = state
        .db
        .write(move |c| {
            let Some(row) = movements::by_id(c, &id)? else {
                return Ok(None);
            };
            if !visible_to(&row, &p) {
                return Ok(None);
            }
            store::audit::append(
                c,
                &actor,
                store::now(),
                &[AuditEvent::new("movement.read", format!("movement:{id}"))],
            )?;
            Ok(Some(row))
        })
        .await?;
    found.ok_or_else(|| Error::NotFound("no such movement at your posts".to_owned()))
}

/// Voids a movement: immigration at the movement's POE; final; the original stays.
pub async fn void(
    state: &Arc<AppState>,
    principal: &Principal,
    actor: Actor,
    id: String,
    reason: String,
) -> Result<MovementRow> {
    let p = principal.clone();
    let by = principal.display_name();
    let rules = stay_rules(&state.settings.stays);
    enum Voided {
        Done(Box<MovementRow>),
        Missing,
        Already,
    }
    let outcome = state
        .db
        .write(move |c| {
            let Some(row) = movements::by_id(c, &id)? else {
                return Ok(Voided::Missing);
            };
            let posted = PoeCode::parse(&row.poe).is_ok_and(|poe| p.is_posted_at(&poe));
            if !posted {
                return Ok(Voided::Missing);
            }
            let now = store::now();
            if !movements::void(c, &row, now, &by, &reason, &rules)? {
                return Ok(Voided::Already);
            }
            store::audit::append(
                c,
                &actor,
                now,
                &[AuditEvent::with_reason(
                    "movement.void",
                    format!("movement:{id}"),
                    Some(reason.clone()),
                )],
            )?;
            let row = movements::by_id(c, &id)?.ok_or(StoreError::NotFound)?;
            Ok(Voided::Done(Box::new(row)))
        })
        .await?;
    match outcome {
        Voided::Done(row) => {
            metrics::counter!("crossings_movements_voided_total", "poe" => row.poe.clone())
                .increment(1);
            Ok(*row)
        }
        Voided::Missing => Err(Error::NotFound("no such movement at your posts".to_owned())),
        Voided::Already => Err(Error::Conflict(
            "the movement is voided already; a void is final".to_owned(),
        )),
    }
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
