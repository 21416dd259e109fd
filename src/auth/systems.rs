//! Registering and revoking automated POE systems, for the API and the command line.

use serde::Serialize;
use utoipa::ToSchema;

use super::tokens::{random_secret, secret_hash};
use crate::domain::audit::{Actor, AuditEvent};
use crate::domain::poe::PoeCode;
use crate::domain::validation::ValidationErrors;
use crate::error::{Error, Result};
use crate::store::{self, poe_systems::PoeSystemRow};

/// The answer to a registration: the secret appears here once and is never shown again.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoeSystemCredentials {
    /// Registration id (for revocation).
    pub id: String,
    /// Client id for `POST /auth/token`.
    pub client_id: String,
    /// Client secret for `POST /auth/token`: store it in the device now.
    pub client_secret: String,
    /// Its POE.
    pub poe: String,
}

/// Registers a POE system; used by the API and the command line.
pub async fn register(
    db: &store::Db,
    poe: PoeCode,
    label: String,
    actor: Actor,
) -> Result<PoeSystemCredentials> {
    let secret = random_secret();
    let mut suffix = [0u8; 4];
    rand::fill(&mut suffix);
    let now = store::now();
    let row = PoeSystemRow {
        id: uuid::Uuid::now_v7().to_string(),
        client_id: format!(
            "{}-{}",
            poe.as_str().to_ascii_lowercase(),
            hex::encode(suffix)
        ),
        secret_hash: secret_hash(&secret),
        poe: poe.as_str().to_owned(),
        label,
        created_at: now,
        revoked_at: None,
    };
    let view = PoeSystemCredentials {
        id: row.id.clone(),
        client_id: row.client_id.clone(),
        client_secret: secret,
        poe: row.poe.clone(),
    };
    let known = db
        .write(move |c| {
            if store::poes::get(c, &row.poe)?.is_none() {
                return Ok(false);
            }
            store::poe_systems::insert(c, &row)?;
            store::audit::append(
                c,
                &actor,
                now,
                &[AuditEvent::new(
                    "poe_system.create",
                    format!("poe_system:{}", row.id),
                )],
            )?;
            Ok(true)
        })
        .await?;
    if !known {
        return Err(ValidationErrors::one("poe", "unknown POE").into());
    }
    Ok(view)
}

/// Revokes a POE system; used by the API and the command line.
pub async fn revoke(db: &store::Db, id: String, actor: Actor) -> Result<()> {
    let now = store::now();
    let found = db
        .write(move |c| {
            if !store::poe_systems::revoke(c, &id, now)? {
                return Ok(false);
            }
            store::audit::append(
                c,
                &actor,
                now,
                &[AuditEvent::new(
                    "poe_system.revoke",
                    format!("poe_system:{id}"),
                )],
            )?;
            Ok(true)
        })
        .await?;
    if found {
        Ok(())
    } else {
        Err(Error::NotFound("no such POE system".to_owned()))
    }
}
