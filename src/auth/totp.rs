//! Time-based one-time passwords (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps), the
//! second factor. Codes of the step before and after the current one are accepted (clock
//! drift); the step a code belongs to is returned so that the caller can refuse it a
//! second time.

use chrono::NaiveDateTime;
use totp_rs::{Algorithm, Secret, TOTP};

/// Seconds per step.
const STEP: u64 = 30;
/// Issuer shown by authenticator apps.
const ISSUER: &str = "crossings";

/// A new random secret, base32 (160 bits, as RFC 4226 recommends).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::fill(&mut bytes);
    Secret::Raw(bytes.to_vec()).to_encoded().to_string()
}

fn totp(secret_base32: &str, account: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret_base32.to_owned()).to_bytes().ok()?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP,
        bytes,
        Some(ISSUER.to_owned()),
        account.to_owned(),
    )
    .ok()
}

/// The `otpauth://` URI an authenticator app reads (usually from a QR code).
pub fn otpauth_uri(secret_base32: &str, account: &str) -> Option<String> {
    Some(totp(secret_base32, account)?.get_url())
}

/// The time step whose code `code` is, among the current one and its two neighbours.
pub fn matching_step(secret_base32: &str, code: &str, now: NaiveDateTime) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // The account name is not part of the code.
    let totp = totp(secret_base32, "user")?;
    let now = u64::try_from(now.and_utc().timestamp()).ok()?;
    let current = now / STEP;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|step| constant_time_eq(totp.generate(step * STEP).as_bytes(), code.as_bytes()))
        .and_then(|step| i64::try_from(step).ok())
}

/// The code of a step (tests and the dashboard's end-to-end test use it).
pub fn code_at(secret_base32: &str, unix_secs: u64) -> Option<String> {
    Some(totp(secret_base32, "user")?.generate(unix_secs))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_sha1_test_vector() {
        // RFC 6238 appendix B: secret "12345678901234567890", T = 59 s → 94287082 (8 digits);
        // its last six digits are the 6-digit code.
        let secret = Secret::Raw(b"12345678901234567890".to_vec())
            .to_encoded()
            .to_string();
        assert_eq!(code_at(&secret, 59).unwrap(), "287082");
        assert_eq!(code_at(&secret, 1_111_111_109).unwrap(), "081804");
    }

    #[test]
    fn a_code_matches_its_step_and_one_step_of_drift_only() {
        let secret = new_secret();
        let at = |secs: i64| {
            chrono::DateTime::from_timestamp(secs, 0)
                .unwrap()
                .naive_utc()
        };
        let t = 1_800_000_000_u64;
        let code = code_at(&secret, t).unwrap();
        let step = i64::try_from(t / 30).unwrap();
        assert_eq!(matching_step(&secret, &code, at(t as i64)), Some(step));
        assert_eq!(matching_step(&secret, &code, at(t as i64 + 30)), Some(step));
        assert_eq!(matching_step(&secret, &code, at(t as i64 - 30)), Some(step));
        assert_eq!(matching_step(&secret, &code, at(t as i64 + 90)), None);
        assert_eq!(matching_step(&secret, "12345", at(t as i64)), None);
        assert_eq!(matching_step(&secret, "abcdef", at(t as i64)), None);
    }

    #[test]
    fn the_uri_names_issuer_and_account() {
        let uri = otpauth_uri(&new_secret(), "thabo").unwrap();
        assert!(uri.starts_with("otpauth://totp/crossings:thabo?"), "{uri}");
        assert!(uri.contains("issuer=crossings"), "{uri}");
    }
}
