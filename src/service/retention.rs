//! Retention: erasing the personal fields of movements past `retention.personal_data_years`
//! (or, for overstays, `retention.overstayer_years` after the stay ended), except documents
//! under a police hold. A batch per short transaction, each audited with its counts, so the
//! service keeps recording while it runs; running it again erases nothing twice.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};

use super::Context;
use crate::domain::audit::{Actor, AuditEvent};
use crate::domain::retention::{RetentionPolicy, coarse_date_of_birth};
use crate::domain::time;
use crate::error::Result;
use crate::store;

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RetentionReport {
    /// Movements that occurred before this instant (UTC) were past retention.
    pub cutoff: Option<NaiveDateTime>,
    /// Movements past the cutoff looked at.
    pub examined: u64,
    /// Movements whose personal fields were erased.
    pub erased: u64,
    /// Kept because a police hold covers their document.
    pub kept_held: u64,
    /// Kept because they belong to an overstay that ended less than
    /// `retention.overstayer_years` ago (or is still open).
    pub kept_overstay: u64,
    /// Transactions used.
    pub batches: u64,
}

/// One batch's outcome, and where the next starts.
struct Batch {
    examined: u64,
    erased: u64,
    kept_held: u64,
    kept_overstay: u64,
    next: Option<(NaiveDateTime, String)>,
}

/// Erases what is past retention at `now`, by `actor` (the command line, or the daily task).
pub async fn run(ctx: &Context, actor: Actor, now: NaiveDateTime) -> Result<RetentionReport> {
    let policy = ctx.settings.retention.policy();
    let batch_size = ctx.settings.retention.batch_size;
    let cutoff = policy.cutoff(now);
    let today = time::local_time(now).date();
    let mut report = RetentionReport {
        cutoff: Some(cutoff),
        ..RetentionReport::default()
    };
    let mut after: Option<(NaiveDateTime, String)> = None;
    loop {
        let actor = actor.clone();
        let from = after.clone();
        let batch = ctx
            .write(move |c| erase_batch(c, &policy, &actor, cutoff, today, now, from, batch_size))
            .await?;
        report.batches += 1;
        report.examined += batch.examined;
        report.erased += batch.erased;
        report.kept_held += batch.kept_held;
        report.kept_overstay += batch.kept_overstay;
        match batch.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let summary = format!(
        "retention:cutoff={};examined={};erased={};kept_held={};kept_overstay={}",
        cutoff.format("%Y-%m-%dT%H:%M:%SZ"),
        report.examined,
        report.erased,
        report.kept_held,
        report.kept_overstay
    );
    ctx.write(move |c| {
        store::audit::append(
            c,
            &actor,
            time::now(),
            &[AuditEvent::new("retention.run", summary)],
        )?;
        Ok(())
    })
    .await?;
    Ok(report)
}

#[expect(clippy::too_many_arguments, reason = "one batch's whole context")]
fn erase_batch(
    c: &mut store::DbConnection,
    policy: &RetentionPolicy,
    actor: &Actor,
    cutoff: NaiveDateTime,
    today: NaiveDate,
    now: NaiveDateTime,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> Result<Batch> {
    let found = store::retention::candidates(c, cutoff, after.as_ref(), limit)?;
    let next = (found.len() as i64 == limit)
        .then(|| found.last().map(|m| (m.occurred_at, m.id.clone())))
        .flatten();
    let held: HashSet<(String, String)> = if found.is_empty() {
        HashSet::new()
    } else {
        store::holds::held_documents(c, today)?
    };
    let ids: Vec<&str> = found.iter().map(|m| m.id.as_str()).collect();
    let mut kept_for_overstay: HashSet<String> = HashSet::new();
    for stay in store::retention::stays_of(c, &ids)? {
        if policy.keeps_for_overstay(stay.ends_on, stay.closed_on, today) {
            kept_for_overstay.insert(stay.opening_id.clone());
            if let Some(closing) = stay.closing_id {
                kept_for_overstay.insert(closing);
            }
        }
    }
    let mut counts: HashMap<&str, u64> = HashMap::new();
    let mut erasures = Vec::new();
    for m in &found {
        let key = (m.issuing_state.clone(), m.document_number.clone());
        if held.contains(&key) {
            *counts.entry("held").or_default() += 1;
        } else if kept_for_overstay.contains(&m.id) {
            *counts.entry("overstay").or_default() += 1;
        } else {
            erasures.push((
                m.id.clone(),
                coarse_date_of_birth(m.date_of_birth, m.occurred_at),
            ));
        }
    }
    let erased = store::retention::erase(c, &erasures, now)? as u64;
    let kept_held = counts.get("held").copied().unwrap_or(0);
    let kept_overstay = counts.get("overstay").copied().unwrap_or(0);
    if erased > 0 {
        store::audit::append(
            c,
            actor,
            time::now(),
            &[AuditEvent::new(
                "retention.erase",
                format!(
                    "movements:erased={erased};kept_held={kept_held};kept_overstay={kept_overstay}"
                ),
            )],
        )?;
    }
    Ok(Batch {
        examined: found.len() as u64,
        erased,
        kept_held,
        kept_overstay,
        next,
    })
}

/// The daily task: a run a minute after start, then every `every`. Failures are logged and
/// tried again at the next turn.
pub async fn run_forever(ctx: Context, first: Duration, every: Duration) {
    actix_web::rt::time::sleep(first).await;
    loop {
        let actor = Actor {
            name: "system:retention".to_owned(),
            roles: "system".to_owned(),
            client_addr: None,
            request_id: None,
        };
        match run(&ctx, actor, time::now()).await {
            Ok(r) => tracing::info!(
                erased = r.erased,
                kept_held = r.kept_held,
                kept_overstay = r.kept_overstay,
                batches = r.batches,
                "retention run done"
            ),
            Err(e) => {
                tracing::warn!(error = %e.chain(), "retention run failed; trying again at the next turn")
            }
        }
        actix_web::rt::time::sleep(every).await;
    }
}
