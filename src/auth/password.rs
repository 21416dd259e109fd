//! Password hashing with Argon2id. Both functions are slow on purpose (tens of
//! milliseconds): call them on the blocking pool, never on an async worker.

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use secrecy::{ExposeSecret, SecretString};

/// Argon2id cost; the configuration refuses anything below OWASP's baseline.
#[derive(Debug, Clone, Copy)]
pub struct HashCost {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

/// Hashing failed: a bug or exhausted memory, never the user's fault.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

impl From<HashError> for crate::error::Error {
    fn from(e: HashError) -> Self {
        Self::internal_from("password hashing", e)
    }
}

fn hasher(cost: HashCost) -> Result<Argon2<'static>, HashError> {
    let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
        .map_err(|e| HashError(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub fn hash(password: &SecretString, cost: HashCost) -> Result<String, HashError> {
    let hash = hasher(cost)?
        .hash_password(password.expose_secret().as_bytes())
        .map_err(|e| HashError(e.to_string()))?;
    Ok(hash.to_string())
}

/// Whether `password` matches `phc`. A malformed stored hash is an error, not a match.
pub fn verify(password: &str, phc: &str) -> Result<bool, HashError> {
    let parsed = PasswordHash::new(phc).map_err(|e| HashError(e.to_string()))?;
    match Argon2::default().verify_password(password.as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(e) => Err(HashError(e.to_string())),
    }
}

/// A hash of a random password, verified against when a username does not exist, so that
/// an unknown name costs the same time as a wrong password.
pub fn decoy_hash(cost: HashCost) -> Result<String, HashError> {
    let mut bytes = [0u8; 24];
    rand::fill(&mut bytes);
    hash(&SecretString::from(hex::encode(bytes)), cost)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWASP: HashCost = HashCost {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    #[test]
    fn a_hash_verifies_its_password_and_nothing_else() {
        let h = hash(&SecretString::from("correct horse battery"), OWASP).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", &h).unwrap());
        assert!(!verify("correct horse batterY", &h).unwrap());
        assert!(!verify("", &h).unwrap());
    }

    #[test]
    fn a_malformed_stored_hash_is_an_error_not_a_match() {
        assert!(verify("anything", "not-a-phc-string").is_err());
    }

    #[test]
    fn hashes_are_salted() {
        let a = hash(&SecretString::from("same password!"), OWASP).unwrap();
        let b = hash(&SecretString::from("same password!"), OWASP).unwrap();
        assert_ne!(a, b);
    }
}
