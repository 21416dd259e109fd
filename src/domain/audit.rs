//! The audit trail's rules: what an entry holds and how entries are chained.

use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

/// The hash that the first entry of the chain points back to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did something, from where, for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Username, or `poe-system:<client id>`, or `system` for the command line.
    pub name: String,
    /// Roles held, comma-separated.
    pub roles: String,
    /// Client address as the server saw it.
    pub client_addr: Option<String>,
    /// The request's id (`X-Request-Id`).
    pub request_id: Option<String>,
}

impl Actor {
    /// The operator at the command line.
    pub fn command_line() -> Self {
        Self {
            name: "system".to_owned(),
            roles: "command_line".to_owned(),
            client_addr: None,
            request_id: None,
        }
    }
}

/// One thing to record: an action on an object, with an optional stated reason. Never holds a
/// password, secret or token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// What was done, e.g. `movement.record`, `traveller.history.read`, `user.create`.
    pub action: String,
    /// What it was done to, e.g. `movement:0193…`, `user:0193…`, `document:LSO/RA1234567`.
    pub object: String,
    /// The reason the actor gave (police reads), if any.
    pub reason: Option<String>,
}

impl AuditEvent {
    /// An event without a stated reason.
    pub fn new(action: &str, object: impl Into<String>) -> Self {
        Self {
            action: action.to_owned(),
            object: object.into(),
            reason: None,
        }
    }

    /// An event with a stated reason.
    pub fn with_reason(action: &str, object: impl Into<String>, reason: Option<String>) -> Self {
        Self {
            action: action.to_owned(),
            object: object.into(),
            reason,
        }
    }
}

/// The fields of one stored entry that its hash covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedFields<'a> {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When, UTC (microseconds).
    pub at: NaiveDateTime,
    /// Actor name.
    pub actor: &'a str,
    /// Actor roles.
    pub roles: &'a str,
    /// Action.
    pub action: &'a str,
    /// Object.
    pub object: &'a str,
    /// Client address.
    pub client_addr: Option<&'a str>,
    /// Request id.
    pub request_id: Option<&'a str>,
    /// Stated reason.
    pub reason: Option<&'a str>,
}

/// The hash of an entry: SHA-256 over the previous entry's hash and a JSON array of the
/// entry's fields (JSON keeps the encoding unambiguous: no field can bleed into the next).
pub fn entry_hash(prev_hash: &str, f: &ChainedFields<'_>) -> String {
    let canonical = serde_json::json!([
        prev_hash,
        f.seq,
        f.at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        f.actor,
        f.roles,
        f.action,
        f.object,
        f.client_addr,
        f.request_id,
        f.reason,
    ]);
    let mut hasher = Sha256::new();
    hasher.update(canonical.to_string().as_bytes());
    hex::encode(hasher.finalize())
}

/// What a checkpoint signs: the chain's head (its sequence number and hash) and when it was
/// signed, in one unambiguous line.
pub fn checkpoint_message(seq: i64, hash: &str, signed_at: NaiveDateTime) -> Vec<u8> {
    format!(
        "crossings-audit-checkpoint/v1 {seq} {hash} {}",
        signed_at.format("%Y-%m-%dT%H:%M:%S%.6fZ")
    )
    .into_bytes()
}

/// Signs a head of the chain; answers the signature in hex.
pub fn sign_checkpoint(
    key: &ed25519_dalek::SigningKey,
    seq: i64,
    hash: &str,
    signed_at: NaiveDateTime,
) -> String {
    use ed25519_dalek::Signer;
    hex::encode(
        key.sign(&checkpoint_message(seq, hash, signed_at))
            .to_bytes(),
    )
}

/// Whether `signature` (hex) is `key`'s signature of this head.
pub fn checkpoint_signed_by(
    key: &ed25519_dalek::VerifyingKey,
    seq: i64,
    hash: &str,
    signed_at: NaiveDateTime,
    signature: &str,
) -> bool {
    let Ok(bytes) = hex::decode(signature) else {
        return false;
    };
    let Ok(bytes) = <[u8; 64]>::try_from(bytes.as_slice()) else {
        return false;
    };
    let signature = ed25519_dalek::Signature::from_bytes(&bytes);
    key.verify_strict(&checkpoint_message(seq, hash, signed_at), &signature)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(seq: i64, action: &str) -> ChainedFields<'_> {
        ChainedFields {
            seq,
            at: chrono::DateTime::from_timestamp(1_767_225_600, 123_456_000)
                .unwrap()
                .naive_utc(),
            actor: "thabo",
            roles: "immigration",
            action,
            object: "movement:1",
            client_addr: Some("10.0.0.1"),
            request_id: None,
            reason: None,
        }
    }

    #[test]
    fn every_field_and_the_previous_hash_change_the_hash() {
        let base = entry_hash(GENESIS_HASH, &fields(1, "movement.record"));
        assert_eq!(base.len(), 64);
        assert_ne!(
            base,
            entry_hash(GENESIS_HASH, &fields(2, "movement.record"))
        );
        assert_ne!(base, entry_hash(GENESIS_HASH, &fields(1, "movement.void")));
        assert_ne!(base, entry_hash(&base, &fields(1, "movement.record")));
        let mut with_reason = fields(1, "movement.record");
        with_reason.reason = Some("");
        assert_ne!(
            base,
            entry_hash(GENESIS_HASH, &with_reason),
            "None and Some(\"\") differ"
        );
    }

    #[test]
    fn the_hash_is_deterministic() {
        let a = entry_hash(GENESIS_HASH, &fields(7, "user.create"));
        let b = entry_hash(GENESIS_HASH, &fields(7, "user.create"));
        assert_eq!(a, b);
    }

    #[test]
    fn a_checkpoint_verifies_only_as_signed_and_only_with_its_key() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        let other = ed25519_dalek::SigningKey::from_bytes(&[8u8; 32]);
        let at = fields(1, "x").at;
        let sig = sign_checkpoint(&key, 42, "ab", at);
        let public = key.verifying_key();
        assert!(checkpoint_signed_by(&public, 42, "ab", at, &sig));
        assert!(!checkpoint_signed_by(&public, 41, "ab", at, &sig));
        assert!(!checkpoint_signed_by(&public, 42, "ac", at, &sig));
        assert!(!checkpoint_signed_by(
            &public,
            42,
            "ab",
            at + chrono::Duration::seconds(1),
            &sig
        ));
        assert!(!checkpoint_signed_by(
            &other.verifying_key(),
            42,
            "ab",
            at,
            &sig
        ));
        assert!(!checkpoint_signed_by(&public, 42, "ab", at, "not hex"));
    }
}
