//! The use cases: one function per action, the only home of the rules that need the caller,
//! an object and the database together. Each takes a [`Context`] and the caller (a [`Caller`],
//! or for admin work that the command line does too, the audit [`Actor`]), opens the
//! transaction, finds the object, checks it is at one of the caller's posts
//! ([`access::at_callers_posts`]), acts through store functions, appends the audit entry and
//! commits. No actix type and no HTTP status: errors are [`crate::error::Error`].
//!
//! [`Actor`]: crate::domain::audit::Actor

pub mod access;
pub mod audit;
pub mod caller;
pub mod checkpoints;
pub mod context;
pub mod declarations;
pub mod demo;
pub mod edges;
pub mod group_commit;
pub mod hit_stream;
pub mod holds;
pub mod movements;
pub mod partitions;
pub mod poe_systems;
pub mod poes;
pub mod registry;
pub mod replica;
pub mod retention;
pub mod sessions;
pub mod stats;
pub mod stays;
pub mod travellers;
pub mod users;
pub mod watchlist;

pub use caller::{Caller, Client};
pub use context::Context;
