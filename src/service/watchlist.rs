//! Adding alerts to the watchlist, for the API and the demo alike.

use crate::domain::audit::{Actor, AuditEvent};
use crate::domain::watchlist::{NewAlert, Subject};
use crate::error::Result;
use crate::store::{self, Db, watchlist::AlertRow};

/// Stores a valid alert, audited as created by `actor`; answers the stored row.
pub async fn add(db: &Db, alert: NewAlert, actor: Actor) -> Result<AlertRow> {
    let now = store::now();
    let (kind, issuing_state, document_number, surname, given_names, date_of_birth) =
        match &alert.subject {
            Subject::Document {
                issuing_state,
                document_number,
            } => (
                "document",
                Some(issuing_state.to_string()),
                Some(document_number.as_str().to_owned()),
                None,
                None,
                None,
            ),
            Subject::Person {
                surname,
                given_names,
                date_of_birth,
            } => (
                "person",
                None,
                None,
                Some(surname.as_str().to_owned()),
                Some(given_names.as_str().to_owned()),
                Some(*date_of_birth),
            ),
        };
    let row = AlertRow {
        id: uuid::Uuid::now_v7().to_string(),
        kind: kind.to_owned(),
        issuing_state,
        document_number,
        surname,
        given_names,
        date_of_birth,
        person_key: alert.subject.person_key(),
        category: alert.category.as_str().to_owned(),
        action: alert.action.as_str().to_owned(),
        reason: alert.reason,
        expires_at: alert.expires_at,
        created_at: now,
        created_by: actor.name.clone(),
        removed_at: None,
        removed_by: None,
    };
    let stored = row.clone();
    db.write(move |c| {
        store::watchlist::insert(c, &stored)?;
        store::audit::append(
            c,
            &actor,
            now,
            &[AuditEvent::new(
                "alert.create",
                format!("alert:{}", stored.id),
            )],
        )
    })
    .await?;
    tracing::info!(alert_id = %row.id, kind = %row.kind, action = %row.action, "alert added to the watchlist");
    Ok(row)
}
