//! Who is asking: the authenticated principal, and where the request came from (for the audit
//! log and the login throttles).

use std::net::IpAddr;

use crate::auth::Principal;
use crate::domain::audit::Actor;

/// Where a request came from.
#[derive(Debug, Clone, Default)]
pub struct Client {
    /// The client's address (the peer, or what a trusted proxy says).
    pub addr: Option<IpAddr>,
    /// The request id.
    pub request_id: Option<String>,
}

impl Client {
    /// The address as text.
    pub fn addr_string(&self) -> Option<String> {
        self.addr.map(|a| a.to_string())
    }

    /// The audit actor of a request made without credentials (sign-in, refresh).
    pub fn anonymous_actor(&self, name: &str) -> Actor {
        Actor {
            name: name.to_owned(),
            roles: String::new(),
            client_addr: self.addr_string(),
            request_id: self.request_id.clone(),
        }
    }
}

/// An authenticated caller of a use case.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who, with the roles and postings the database holds now.
    pub principal: Principal,
    /// From where.
    pub client: Client,
}

impl Caller {
    /// The audit actor of this caller.
    pub fn actor(&self) -> Actor {
        self.principal
            .actor(self.client.addr_string(), self.client.request_id.clone())
    }

    /// The name written on records this caller makes (`recorded_by`, `voided_by`, …).
    pub fn name(&self) -> String {
        self.principal.display_name()
    }
}
