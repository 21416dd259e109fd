//! Who is calling: a signed-in user or a POE system, with the roles and postings that the
//! database holds for them at the moment of the request.

use crate::domain::audit::Actor;
use crate::domain::poe::PoeCode;
use crate::domain::user::{Postings, Role, RoleSet};

/// The identity behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// A person with an account.
    User {
        /// Account id.
        id: String,
        /// Login name.
        username: String,
        /// The session the token belongs to.
        session_id: String,
    },
    /// An automated POE system.
    System {
        /// Registration id.
        id: String,
        /// Its client id.
        client_id: String,
    },
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Who.
    pub identity: Identity,
    /// Current roles.
    pub roles: RoleSet,
    /// Current postings.
    pub postings: Postings,
}

impl Principal {
    /// The namespace of this caller's idempotency keys and its `recorded_by`: `user:<id>` or
    /// `system:<id>`.
    pub fn key(&self) -> String {
        match &self.identity {
            Identity::User { id, .. } => format!("user:{id}"),
            Identity::System { id, .. } => format!("system:{id}"),
        }
    }

    /// The name shown in the audit log and on records.
    pub fn display_name(&self) -> String {
        match &self.identity {
            Identity::User { username, .. } => username.clone(),
            Identity::System { client_id, .. } => format!("poe-system:{client_id}"),
        }
    }

    /// Whether the caller holds `role`.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.has(role)
    }

    /// Whether the caller is posted at `poe`.
    pub fn is_posted_at(&self, poe: &PoeCode) -> bool {
        self.postings.covers(poe)
    }

    /// The audit actor for one request.
    pub fn actor(&self, client_addr: Option<String>, request_id: Option<String>) -> Actor {
        Actor {
            name: self.display_name(),
            roles: self.roles.to_storage(),
            client_addr,
            request_id,
        }
    }
}
