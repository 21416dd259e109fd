//! Signed checkpoints of the audit chain. The service signs the chain's head (sequence number,
//! hash, time) with an Ed25519 key kept outside the database, into `audit_checkpoints` and,
//! when configured, a folder of files elsewhere. Verification with the public key then proves
//! that no entry up to the last checkpoint was removed or changed, even by someone who could
//! write the database and recompute the chain: they cannot sign.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDateTime;
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::domain::audit::{checkpoint_signed_by, sign_checkpoint};
use crate::domain::time;
use crate::error::{Error, Result};
use crate::store::audit::CheckpointRow;
use crate::store::{self, Db};

/// Why a key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file does not hold a key.
    #[error("{0}: not an Ed25519 key (64 hexadecimal digits expected)")]
    Malformed(PathBuf),
}

fn read_32(path: &Path) -> std::result::Result<[u8; 32], KeyError> {
    let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
        path: path.to_owned(),
        source,
    })?;
    hex::decode(text.trim())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .ok_or_else(|| KeyError::Malformed(path.to_owned()))
}

/// Reads a private key written by [`keygen`].
pub fn signing_key(path: &Path) -> std::result::Result<SigningKey, KeyError> {
    Ok(SigningKey::from_bytes(&read_32(path)?))
}

/// Reads a public key written by [`keygen`].
pub fn verifying_key(path: &Path) -> std::result::Result<VerifyingKey, KeyError> {
    VerifyingKey::from_bytes(&read_32(path)?).map_err(|_| KeyError::Malformed(path.to_owned()))
}

/// Makes a key pair: `PREFIX.key` (private, hex, readable by its owner only) and `PREFIX.pub`
/// (public, hex). Refuses to overwrite an existing private key.
pub fn keygen(prefix: &str) -> std::result::Result<(PathBuf, PathBuf), KeyError> {
    let private = PathBuf::from(format!("{prefix}.key"));
    let public = PathBuf::from(format!("{prefix}.pub"));
    let mut seed = [0u8; 32];
    rand::fill(&mut seed);
    let key = SigningKey::from_bytes(&seed);
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| KeyError::Io { path, source }
    };
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&private).map_err(io(&private))?;
        writeln!(file, "{}", hex::encode(key.to_bytes())).map_err(io(&private))?;
    }
    std::fs::write(
        &public,
        format!("{}\n", hex::encode(key.verifying_key().to_bytes())),
    )
    .map_err(io(&public))?;
    Ok((private, public))
}

/// A checkpoint as written to a file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CheckpointFile {
    /// Last sequence number covered.
    pub seq: i64,
    /// That entry's hash.
    pub hash: String,
    /// When signed (UTC, RFC 3339 with microseconds).
    pub signed_at: String,
    /// Public key (hex).
    pub public_key: String,
    /// Signature (hex).
    pub signature: String,
}

const STAMP: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

impl From<&CheckpointRow> for CheckpointFile {
    fn from(r: &CheckpointRow) -> Self {
        Self {
            seq: r.seq,
            hash: r.hash.clone(),
            signed_at: r.signed_at.format(STAMP).to_string(),
            public_key: r.public_key.clone(),
            signature: r.signature.clone(),
        }
    }
}

/// Signs the chain's head when it moved since the last checkpoint; answers the new checkpoint
/// (also written to `dir` when given).
pub async fn sign_head(
    db: &Db,
    key: &SigningKey,
    dir: Option<&Path>,
) -> Result<Option<CheckpointRow>> {
    let key = key.clone();
    let made = db
        .write(move |c| -> Result<Option<CheckpointRow>> {
            let (seq, hash) = store::audit::head(c)?;
            let last = store::audit::last_checkpoint(c)?;
            if seq == 0 || last.is_some_and(|l| l.seq >= seq) {
                return Ok(None);
            }
            let signed_at = time::now();
            let row = CheckpointRow {
                seq,
                signature: sign_checkpoint(&key, seq, &hash, signed_at),
                hash,
                signed_at,
                public_key: hex::encode(key.verifying_key().to_bytes()),
            };
            Ok(store::audit::insert_checkpoint(c, &row)?.then_some(row))
        })
        .await?;
    if let (Some(row), Some(dir)) = (&made, dir) {
        write_file(dir, row)?;
    }
    Ok(made)
}

fn write_file(dir: &Path, row: &CheckpointRow) -> Result<()> {
    let fail = |e: std::io::Error| {
        Error::internal_from(format!("checkpoint file in {}", dir.display()), e)
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let text = serde_json::to_string_pretty(&CheckpointFile::from(row))
        .map_err(|e| Error::internal_from("checkpoint file", e))?;
    let path = dir.join(format!("checkpoint-{:020}.json", row.seq));
    let partial = dir.join(format!(".checkpoint-{:020}.json.partial", row.seq));
    std::fs::write(&partial, text).map_err(fail)?;
    std::fs::rename(&partial, &path).map_err(fail)
}

/// Signs the head every `every` for as long as the service runs. Failures are logged and
/// tried again at the next turn.
pub async fn sign_forever(db: Db, key: SigningKey, dir: Option<PathBuf>, every: Duration) {
    loop {
        actix_web::rt::time::sleep(every).await;
        match sign_head(&db, &key, dir.as_deref()).await {
            Ok(Some(row)) => tracing::debug!(seq = row.seq, "audit checkpoint signed"),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e.chain(), "audit checkpoint failed; trying again at the next turn")
            }
        }
    }
}

/// The outcome of verifying the chain and its checkpoints with a public key.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct KeyedVerification {
    /// Whether the chain holds and every checkpoint is signed by the key and matches it.
    pub ok: bool,
    /// Entries checked.
    pub entries: i64,
    /// First entry of the chain that fails, if any.
    pub first_bad: Option<i64>,
    /// Checkpoints checked (table and files; one of each sequence number counted once).
    pub checkpoints: usize,
    /// The highest sequence number a valid checkpoint covers.
    pub covered_to: Option<i64>,
    /// What is wrong, in words.
    pub problems: Vec<String>,
}

/// Checks the chain, then every checkpoint in the table and in `dir`: each must carry the
/// key's signature, and the entry it names must still be in the chain with the hash signed.
/// Because the chain holds from the start, that entry's hash vouches for every one before.
pub async fn verify(db: &Db, key: &VerifyingKey, dir: Option<&Path>) -> Result<KeyedVerification> {
    let mut files = Vec::new();
    if let Some(dir) = dir {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| Error::internal_from(format!("reading {}", dir.display()), e))?;
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if !(name.starts_with("checkpoint-") && name.ends_with(".json")) {
                continue;
            }
            let parsed = std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| serde_json::from_str::<CheckpointFile>(&t).ok());
            files.push((path.display().to_string(), parsed));
        }
    }
    let key = *key;
    db.read(move |c| -> Result<KeyedVerification> {
        let chain = store::audit::verify(c)?;
        let mut problems = Vec::new();
        if !chain.ok {
            problems.push(format!(
                "the chain breaks at entry {}",
                chain.first_bad.unwrap_or_default()
            ));
        }
        let mut all: Vec<(String, Option<CheckpointFile>)> = store::audit::checkpoints(c)?
            .iter()
            .map(|r| {
                (
                    format!("table row {}", r.seq),
                    Some(CheckpointFile::from(r)),
                )
            })
            .collect();
        all.extend(files);
        let mut seen = std::collections::BTreeSet::new();
        let mut covered_to = None;
        for (source, file) in all {
            let Some(cp) = file else {
                problems.push(format!("{source}: not a checkpoint"));
                continue;
            };
            seen.insert(cp.seq);
            let signed_at = NaiveDateTime::parse_from_str(&cp.signed_at, "%Y-%m-%dT%H:%M:%S%.fZ");
            let genuine = signed_at
                .is_ok_and(|at| checkpoint_signed_by(&key, cp.seq, &cp.hash, at, &cp.signature));
            if !genuine {
                problems.push(format!(
                    "{source}: checkpoint {} is not signed by this key",
                    cp.seq
                ));
                continue;
            }
            match store::audit::hash_at(c, cp.seq)? {
                None => problems.push(format!(
                    "{source}: entry {} that the checkpoint covers is missing",
                    cp.seq
                )),
                Some(h) if h != cp.hash => problems.push(format!(
                    "{source}: entry {} differs from what the checkpoint signed",
                    cp.seq
                )),
                Some(_) => covered_to = covered_to.max(Some(cp.seq)),
            }
        }
        Ok(KeyedVerification {
            ok: problems.is_empty(),
            entries: chain.entries,
            first_bad: chain.first_bad,
            checkpoints: seen.len(),
            covered_to,
            problems,
        })
    })
    .await
}
