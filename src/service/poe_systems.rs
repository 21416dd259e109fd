//! Registering, listing and revoking automated POE systems, for the API and the command line.

use super::Context;
use crate::auth::tokens::ClientCredential;
use crate::domain::audit::{Actor, AuditEvent};
use crate::domain::poe::PoeCode;
use crate::domain::time;
use crate::domain::validation::ValidationErrors;
use crate::error::{Error, Result};
use crate::store::{self, poe_systems::PoeSystemRow};

/// The credentials of a new registration: the secret appears here once and is never stored.
#[derive(Debug)]
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

/// Every registration, newest first.
pub async fn list(ctx: &Context) -> Result<Vec<PoeSystemRow>> {
    ctx.read(|c| Ok(store::poe_systems::list(c)?)).await
}

/// Registers a POE system at a post of the registry. Audited.
pub async fn register(
    ctx: &Context,
    actor: Actor,
    poe: PoeCode,
    label: String,
) -> Result<PoeSystemCredentials> {
    let credential = ClientCredential::new(&poe.as_str().to_ascii_lowercase());
    let secret = credential.secret;
    let now = time::now();
    let row = PoeSystemRow {
        id: uuid::Uuid::now_v7().to_string(),
        client_id: credential.client_id,
        secret_hash: credential.secret_hash,
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
    ctx.write(move |c| {
        if store::poes::get(c, &row.poe)?.is_none() {
            return Err(ValidationErrors::one("poe", "unknown POE").into());
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
        Ok(())
    })
    .await?;
    Ok(view)
}

/// Revokes a POE system: its tokens stop working at once. Audited.
pub async fn revoke(ctx: &Context, actor: Actor, id: String) -> Result<()> {
    let now = time::now();
    ctx.write(move |c| {
        if !store::poe_systems::revoke(c, &id, now)? {
            return Err(Error::NotFound("no such POE system".to_owned()));
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
        Ok(())
    })
    .await
}
