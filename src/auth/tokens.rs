//! Access tokens (JWT, HS256 pinned) and the opaque secrets behind refresh tokens and POE
//! system credentials.

use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer, checked.
    pub iss: String,
    /// Audience, checked.
    pub aud: String,
    /// `user:<uuid>` or `system:<uuid>`.
    pub sub: String,
    /// Expiry (seconds since the epoch), checked.
    pub exp: i64,
    /// Not before, checked.
    pub nbf: i64,
    /// Issued at.
    pub iat: i64,
    /// Token id.
    pub jti: String,
    /// Roles at issue time (authorisation re-reads them from the database per request).
    pub roles: Vec<String>,
    /// POEs at issue time, or `["*"]`.
    pub poes: Vec<String>,
    /// Session id for users; absent for POE systems.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// Why a token was refused. Deliberately coarse: the reason goes to the log, not the client.
#[derive(Debug, thiserror::Error)]
#[error("invalid access token: {0}")]
pub struct TokenError(String);

impl From<TokenError> for crate::error::Error {
    fn from(e: TokenError) -> Self {
        Self::internal_from("access token", e)
    }
}

/// Signs and checks access tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl_secs: i64,
}

impl TokenKeys {
    /// Keys from the configured secret.
    pub fn new(
        secret: &SecretString,
        issuer: &str,
        audience: &str,
        ttl_secs: i64,
    ) -> Result<Self, TokenError> {
        let bytes = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub", "jti"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.leeway = 30;
        Ok(Self {
            encoding: EncodingKey::from_secret(bytes).map_err(|e| TokenError(e.to_string()))?,
            decoding: DecodingKey::from_secret(bytes).map_err(|e| TokenError(e.to_string()))?,
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            ttl_secs,
        })
    }

    /// Lifetime of the tokens issued, in seconds.
    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    /// Issues a token for `sub`, valid from now for the configured lifetime.
    pub fn issue(
        &self,
        sub: String,
        roles: Vec<String>,
        poes: Vec<String>,
        sid: Option<String>,
    ) -> Result<String, TokenError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub,
            exp: now + self.ttl_secs,
            nbf: now,
            iat: now,
            jti: uuid::Uuid::now_v7().to_string(),
            roles,
            poes,
            sid,
        };
        self.sign(&claims)
    }

    /// Signs arbitrary claims (tests forge expired or edited tokens with it).
    pub fn sign(&self, claims: &Claims) -> Result<String, TokenError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| TokenError(e.to_string()))
    }

    /// Checks signature, algorithm, issuer, audience, expiry and not-before.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| TokenError(e.to_string()))
    }
}

/// A fresh random secret: 32 bytes, URL-safe base64 (43 characters).
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a high-entropy secret, hex. Random 256-bit secrets need no slow hash: nothing
/// can be guessed, and the stored hash alone does not let anyone present the secret.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new machine credential (a POE system's, an edge's): the client id, `{prefix}-` and 8 random
/// hex digits; the secret, to be shown once; and the secret's hash, the only thing stored.
pub struct ClientCredential {
    /// Public name of the client.
    pub client_id: String,
    /// Shown once.
    pub secret: String,
    /// [`secret_hash`] of the secret.
    pub secret_hash: String,
}

impl ClientCredential {
    /// A fresh credential whose client id starts with `prefix`.
    pub fn new(prefix: &str) -> Self {
        let mut suffix = [0u8; 4];
        rand::fill(&mut suffix);
        let secret = random_secret();
        Self {
            client_id: format!("{prefix}-{}", hex::encode(suffix)),
            secret_hash: secret_hash(&secret),
            secret,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(
            &SecretString::from("test-key-test-key-test-key-test-key!"),
            "crossings",
            "crossings-api",
            900,
        )
        .unwrap()
    }

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn an_issued_token_verifies() {
        let k = keys();
        let t = k
            .issue(
                "user:1".into(),
                vec!["admin".into()],
                vec!["*".into()],
                Some("s".into()),
            )
            .unwrap();
        let c = k.verify(&t).unwrap();
        assert_eq!(c.sub, "user:1");
        assert_eq!(c.exp - c.iat, 900);
    }

    #[test]
    fn alg_none_is_refused() {
        let k = keys();
        let t = k.issue("user:1".into(), vec![], vec![], None).unwrap();
        let payload = t.split('.').nth(1).unwrap();
        let forged = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), payload);
        assert!(k.verify(&forged).is_err());
    }

    #[test]
    fn edited_claims_break_the_signature() {
        let k = keys();
        let t = k
            .issue("user:1".into(), vec!["analyst".into()], vec![], None)
            .unwrap();
        let parts: Vec<&str> = t.split('.').collect();
        let claims = String::from_utf8(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(parts[1])
                .unwrap(),
        )
        .unwrap()
        .replace("analyst", "admin");
        let forged = format!("{}.{}.{}", parts[0], b64(&claims), parts[2]);
        assert!(k.verify(&forged).is_err());
    }

    #[test]
    fn wrong_issuer_audience_or_expiry_are_refused() {
        let k = keys();
        let now = chrono::Utc::now().timestamp();
        let good = Claims {
            iss: "crossings".into(),
            aud: "crossings-api".into(),
            sub: "user:1".into(),
            exp: now + 60,
            nbf: now,
            iat: now,
            jti: "j".into(),
            roles: vec![],
            poes: vec![],
            sid: None,
        };
        assert!(k.verify(&k.sign(&good).unwrap()).is_ok());
        for bad in [
            Claims {
                iss: "evil".into(),
                ..good.clone()
            },
            Claims {
                aud: "other".into(),
                ..good.clone()
            },
            Claims {
                exp: now - 120,
                ..good.clone()
            },
            Claims {
                nbf: now + 600,
                ..good.clone()
            },
        ] {
            assert!(k.verify(&k.sign(&bad).unwrap()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let other = TokenKeys::new(
            &SecretString::from("another-key-another-key-another-key!"),
            "crossings",
            "crossings-api",
            900,
        )
        .unwrap();
        let t = other.issue("user:1".into(), vec![], vec![], None).unwrap();
        assert!(keys().verify(&t).is_err());
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let a = random_secret();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_secret());
        assert_eq!(secret_hash(&a).len(), 64);
        assert_eq!(secret_hash(&a), secret_hash(&a));
    }
}
