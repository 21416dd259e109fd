//! What HQ and an edge (the same binary at a post that may lose its link) say to each other:
//! the package an edge pulls down (its post's accounts, the watchlist's changes, the POE
//! registry) and the movements it forwards up. Plain data, the same types on both sides.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::poe::Poe;

/// An account posted at the edge's post, as the edge keeps it to sign officers in while HQ is
/// away. Holds the password's Argon2id hash and the second factor's secret: only the edge
/// credential of that post ever receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SyncedAccount {
    /// Account id (the same at HQ and at the edge).
    pub id: String,
    /// Login name.
    pub username: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Roles, comma-separated, as stored.
    pub roles: String,
    /// Postings, `*` or comma-separated codes, as stored.
    pub poes: String,
    /// Whether the account may sign in.
    pub active: bool,
    /// The password must be changed before anything else.
    pub password_change_required: bool,
    /// Whether sign-in needs a one-time code.
    pub totp_enabled: bool,
    /// The TOTP secret (base32), when the second factor is on.
    pub totp_secret: Option<String>,
}

/// An alert as an edge needs it to match movements: never the police's reason, nor who made
/// it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SyncedAlert {
    /// The alert's number in the sequence of watchlist changes.
    pub seq: i64,
    /// Alert id.
    pub id: String,
    /// `document` or `person`.
    pub kind: String,
    /// Document alerts.
    pub issuing_state: Option<String>,
    /// Document alerts (normalised).
    pub document_number: Option<String>,
    /// Person alerts.
    pub surname: Option<String>,
    /// Person alerts.
    pub given_names: Option<String>,
    /// Person alerts.
    pub date_of_birth: Option<NaiveDate>,
    /// Person alerts: the normalised key.
    pub person_key: Option<String>,
    /// Category.
    pub category: String,
    /// Action at the post.
    pub action: String,
    /// Lapses.
    pub expires_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Removed (the edge stops matching it).
    pub removed_at: Option<DateTime<Utc>>,
}

/// `GET /edge/sync`: what an edge pulls down.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SyncPackage {
    /// The edge's post.
    pub poe: String,
    /// Every account posted at the post (an account missing here is disabled at the edge).
    pub accounts: Vec<SyncedAccount>,
    /// Watchlist changes after the `since` asked for, in order (an alert that changed twice
    /// is sent in its present state).
    pub alerts: Vec<SyncedAlert>,
    /// The last change included: ask from it next time.
    pub watchlist_seq: i64,
    /// More changes wait: ask again at once.
    pub watchlist_more: bool,
    /// The POE registry.
    pub poes: Vec<Poe>,
}

/// One movement forwarded by an edge.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardedMovement {
    /// The movement's id at the edge, kept at HQ.
    #[schema(min_length = 1, max_length = 64)]
    pub id: String,
    /// The recording officer's account id; the officer must be posted at the edge's post.
    #[schema(min_length = 1, max_length = 64)]
    pub officer: String,
    /// When the edge recorded it (its clock): `late` is judged on it.
    pub recorded_at: DateTime<Utc>,
    /// The movement as the officer's terminal sent it (its `client_event_id` included).
    #[schema(value_type = Object)]
    pub movement: serde_json::Value,
    /// The watchlist hits the edge made on it (what the officer was shown), kept at HQ under
    /// the same ids, even for an alert removed at HQ since.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub hits: Vec<ForwardedHit>,
}

/// A watchlist hit made at an edge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardedHit {
    /// The hit's id at the edge (the officer was shown it), kept at HQ.
    #[schema(min_length = 1, max_length = 64)]
    pub id: String,
    /// The alert (an id HQ sent the edge).
    #[schema(min_length = 1, max_length = 64)]
    pub alert_id: String,
    /// The action the officer was shown: `detain`, `refer` or `notify`.
    #[schema(min_length = 1, max_length = 16)]
    pub action: String,
    /// When the edge made it (its clock).
    pub created_at: DateTime<Utc>,
}

/// A void made at an edge, forwarded after its movement.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardedVoid {
    /// The movement's id (as forwarded before, or in the same batch).
    #[schema(min_length = 1, max_length = 64)]
    pub movement_id: String,
    /// The username of the officer who voided it; posted at the edge's post at HQ.
    #[schema(min_length = 1, max_length = 64)]
    pub voided_by: String,
    /// When the edge voided it (its clock).
    pub voided_at: DateTime<Utc>,
    /// The officer's reason: 3 to 500 characters.
    #[schema(min_length = 3, max_length = 500)]
    pub reason: String,
}

/// `POST /edge/movements`: movements and voids (together at least one).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardedBatch {
    /// In the order recorded at the edge.
    #[schema(max_items = 1000)]
    pub movements: Vec<ForwardedMovement>,
    /// Voids, applied after the movements of the batch.
    #[serde(default)]
    #[schema(max_items = 1000)]
    pub voids: Vec<ForwardedVoid>,
    /// Movements still waiting at the edge after this batch (reported to HQ's admins).
    #[serde(default)]
    #[schema(minimum = 0)]
    pub backlog: Option<i64>,
}

/// What became of one forwarded movement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ForwardedResult {
    /// The edge's movement id.
    pub id: String,
    /// `created`, `duplicate` (recorded before: a resent batch), or `rejected`.
    pub status: String,
    /// Why it was rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The answer to `POST /edge/movements`: one result per item, in order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ForwardedAnswer {
    /// One per movement, in the order sent.
    pub results: Vec<ForwardedResult>,
    /// One per void, in the order sent (`id` is the movement's): `voided`, `duplicate`
    /// (voided before) or `rejected`.
    #[serde(default)]
    pub void_results: Vec<ForwardedResult>,
}
