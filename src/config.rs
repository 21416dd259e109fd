//! Typed configuration: `config/default.toml` (compiled in), then `config/$CROSSINGS_ENV.toml`,
//! then `CROSSINGS__SECTION__KEY` variables, then the documented shortcuts.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The shipped configuration, also the base layer of every start.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");
/// The JWT key that ships in `default.toml`; refused in production.
const DEVELOPMENT_JWT_SECRET: &str = "development-only-key-do-not-use-in-production-0123456789";

/// Why the configuration could not be loaded; the message names the offending key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A layer could not be read or a value has the wrong type.
    #[error("configuration: {0}")]
    Load(#[from] config::ConfigError),
    /// A value has the right type but is not acceptable.
    #[error("configuration key `{key}`: {message}")]
    Invalid {
        /// Dotted key, e.g. `auth.jwt_secret`.
        key: &'static str,
        /// What is wrong with it.
        message: String,
    },
}

/// Deployment environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Laptops, tests and demos.
    Development,
    /// A real deployment: stricter start-up checks.
    Production,
}

/// All settings.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// Which environment this is.
    pub environment: Environment,
    /// HTTP server.
    pub server: ServerSettings,
    /// Optional TLS.
    pub tls: TlsSettings,
    /// Storage.
    pub database: DatabaseSettings,
    /// Authentication and abuse limits.
    pub auth: AuthSettings,
    /// Recording movements.
    pub movements: MovementSettings,
    /// Stays and trips.
    pub stays: StaySettings,
    /// Statistics.
    pub stats: StatsSettings,
    /// The police's live stream of hits.
    pub alerts: AlertSettings,
    /// Logs.
    pub telemetry: TelemetrySettings,
    /// How long personal data are kept.
    pub retention: RetentionSettings,
    /// Signed checkpoints of the audit chain.
    pub audit: AuditSettings,
    /// Group commit of single posts.
    pub ingest: IngestSettings,
    /// Running at a post as an edge of HQ.
    #[serde(default)]
    pub edge: EdgeSettings,
    /// Password for the first admin (`CROSSINGS_BOOTSTRAP_ADMIN_PASSWORD`); generated when
    /// absent.
    #[serde(default)]
    pub bootstrap_admin_password: Option<SecretString>,
    /// Where the configuration files were looked for.
    #[serde(skip)]
    pub config_dir: PathBuf,
}

/// `[server]`
#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    /// Listen address.
    pub bind: String,
    /// Worker threads, 0 = cores.
    pub workers: usize,
    /// Largest accepted body.
    pub body_limit_bytes: usize,
    /// Grace period on shutdown.
    pub shutdown_timeout_secs: u64,
    /// Reverse proxies (CIDRs) whose `X-Forwarded-For` is believed; empty = none.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// CORS origins; empty = off.
    pub cors_allowed_origins: Vec<String>,
    /// TLS ends at a proxy in front (production may then run without `[tls]`).
    #[serde(default)]
    pub tls_offloaded: bool,
}

/// `[tls]`
#[derive(Debug, Clone, Deserialize)]
pub struct TlsSettings {
    /// PEM certificate chain.
    pub cert_path: String,
    /// PEM private key.
    pub key_path: String,
}

impl TlsSettings {
    /// Both files, when TLS is configured.
    pub fn files(&self) -> Option<(&Path, &Path)> {
        if self.cert_path.is_empty() || self.key_path.is_empty() {
            None
        } else {
            Some((Path::new(&self.cert_path), Path::new(&self.key_path)))
        }
    }
}

/// `[database]`
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// Database URL; empty = SQLite under `./data`.
    pub url: SecretString,
    /// Pool size.
    pub pool_size: u32,
    /// Wait for a connection before 503.
    pub connection_timeout_secs: u64,
    /// SQLite lock wait.
    pub sqlite_busy_timeout_ms: u32,
    /// Migrate at start.
    pub migrate_on_start: bool,
    /// A PostgreSQL streaming replica that statistics and the dashboard read; empty = they
    /// read the primary.
    pub read_url: SecretString,
}

impl DatabaseSettings {
    /// The URL to connect to, with the SQLite default filled in.
    pub fn effective_url(&self) -> String {
        let url = self.url.expose_secret().trim();
        if url.is_empty() {
            "sqlite://./data/crossings.db".to_owned()
        } else {
            url.to_owned()
        }
    }

    /// The read replica's URL, when one is set.
    pub fn replica_url(&self) -> Option<String> {
        let url = self.read_url.expose_secret().trim();
        (!url.is_empty()).then(|| url.to_owned())
    }
}

/// `[auth]`
#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    /// HS256 key.
    pub jwt_secret: SecretString,
    /// `iss` claim.
    pub issuer: String,
    /// `aud` claim.
    pub audience: String,
    /// Access token lifetime.
    pub access_token_ttl_secs: i64,
    /// Refresh token lifetime.
    pub refresh_token_ttl_secs: i64,
    /// Failures before lockout.
    pub lockout_threshold: u32,
    /// Lockout length.
    pub lockout_minutes: i64,
    /// Failures per address per window.
    pub address_failure_limit: u32,
    /// The window.
    pub address_failure_window_secs: u64,
    /// Argon2 memory (KiB).
    pub argon2_memory_kib: u32,
    /// Argon2 passes.
    pub argon2_iterations: u32,
    /// Argon2 lanes.
    pub argon2_parallelism: u32,
    /// Failures for one username from all addresses within an hour that lock it everywhere.
    pub account_failure_limit: u32,
    /// Password verifications at once; 0 = twice the cores.
    pub max_concurrent_hashes: usize,
    /// A session ends this long after sign-in, whatever the refreshes.
    pub session_max_secs: i64,
    /// Roles that must enrol a second factor before they may do anything else.
    #[serde(default)]
    pub mfa_required_roles: Vec<String>,
}

impl AuthSettings {
    /// How many password verifications may run at once.
    pub fn hash_permits(&self) -> usize {
        if self.max_concurrent_hashes > 0 {
            self.max_concurrent_hashes
        } else {
            std::thread::available_parallelism().map_or(2, |n| n.get()) * 2
        }
    }
}

/// `[movements]`
#[derive(Debug, Clone, Deserialize)]
pub struct MovementSettings {
    /// Batch size limit.
    pub max_batch_items: usize,
    /// Clock skew allowed for `occurred_at`.
    pub future_tolerance_secs: i64,
    /// Hours after which a movement is `late`.
    pub late_after_hours: i64,
    /// Page size limit.
    pub max_page_size: i64,
}

/// `[stays]`
#[derive(Debug, Clone, Deserialize)]
pub struct StaySettings {
    /// Citizens' state.
    pub home_state: String,
    /// Default stay length.
    pub default_days: i64,
    /// Per-nationality stay lengths.
    pub days_by_nationality: BTreeMap<String, i64>,
}

/// `[alerts]`
#[derive(Debug, Clone, Deserialize)]
pub struct AlertSettings {
    /// Seconds without an event before a heartbeat comment.
    pub stream_heartbeat_secs: u64,
    /// Hits buffered per stream client before it is dropped.
    pub stream_buffer: usize,
    /// Most hits replayed on reconnect.
    pub stream_replay_max: i64,
}

/// `[edge]`: this node runs at a post as an edge of HQ when `hq_url` is set (or with
/// `crossings edge`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct EdgeSettings {
    /// HQ's base URL, e.g. `https://crossings.example.ls`; empty = not an edge.
    pub hq_url: String,
    /// The edge credential's client id (`POST /api/v1/edges` at HQ).
    pub client_id: String,
    /// The edge credential's secret.
    pub client_secret: SecretString,
    /// Seconds between pulls from HQ (accounts, watchlist, registry) while it answers.
    pub sync_interval_secs: u64,
    /// Most movements forwarded in one request.
    pub forward_batch: usize,
    /// Seconds an HTTP request to HQ may take before it is given up (and retried).
    pub request_timeout_secs: u64,
    /// Milliseconds an officer's request at the edge waits for HQ (a traveller's history, a
    /// password change) before the edge answers alone.
    pub officer_timeout_ms: u64,
}

impl Default for EdgeSettings {
    fn default() -> Self {
        Self {
            hq_url: String::new(),
            client_id: String::new(),
            client_secret: SecretString::from(String::new()),
            sync_interval_secs: 10,
            forward_batch: 500,
            request_timeout_secs: 30,
            officer_timeout_ms: 3000,
        }
    }
}

impl EdgeSettings {
    /// Whether this node is an edge.
    pub fn enabled(&self) -> bool {
        !self.hq_url.trim().is_empty()
    }
}

/// `[stats]`
#[derive(Debug, Clone, Deserialize)]
pub struct StatsSettings {
    /// k of small-cell suppression.
    pub min_cell_count: i64,
    /// Span limit for hourly queries.
    pub max_span_days_hour: i64,
    /// Span limit for daily queries.
    pub max_span_days_day: i64,
    /// Span limit for weekly queries.
    pub max_span_days_week: i64,
    /// Span limit for monthly queries.
    pub max_span_days_month: i64,
    /// How often pending changes are folded into the counters, in milliseconds.
    pub fold_interval_ms: u64,
    /// Most cells one answer may have (estimated before it runs).
    pub max_cells: u64,
    /// Statistics statements stop after this long (PostgreSQL), in milliseconds.
    pub statement_timeout_ms: u64,
}

/// `[retention]`
#[derive(Debug, Clone, Deserialize)]
pub struct RetentionSettings {
    /// Years after a crossing that its personal fields are kept.
    pub personal_data_years: u32,
    /// Years after an overstayed stay's end that its movements' personal fields are kept.
    pub overstayer_years: u32,
    /// Whether the service erases what is past retention once a day by itself.
    pub daily: bool,
    /// Movements per erasure transaction.
    pub batch_size: i64,
}

impl RetentionSettings {
    /// The policy these settings describe.
    pub fn policy(&self) -> crate::domain::retention::RetentionPolicy {
        crate::domain::retention::RetentionPolicy {
            personal_data_years: self.personal_data_years,
            overstayer_years: self.overstayer_years,
        }
    }
}

/// `[audit]`
#[derive(Debug, Clone, Deserialize)]
pub struct AuditSettings {
    /// The Ed25519 private key (`crossings audit keygen`); empty = no checkpoints.
    pub checkpoint_key_path: String,
    /// Seconds between checkpoints.
    pub checkpoint_secs: u64,
    /// A folder outside the database that receives a copy of every checkpoint; empty = none.
    pub checkpoint_dir: String,
}

/// `[ingest]`
#[derive(Debug, Clone, Deserialize)]
pub struct IngestSettings {
    /// Most single posts recorded in one transaction; 1 = each alone (group commit off).
    pub group_commit_max: usize,
    /// How long a group waits for more single posts after its first, in milliseconds.
    pub group_commit_wait_ms: u64,
    /// Writers recording groups at once (each a connection while it writes); 0 = one per CPU
    /// core, at most 4 ([`IngestSettings::writers`]).
    pub group_commit_writers: usize,
}

impl IngestSettings {
    /// The group-commit writers to run: as configured, or with 0 one per CPU core, at most 4.
    /// Every recording transaction extends the one audit chain, so writers beyond the cores
    /// only wait for each other and split the posts into smaller groups (BENCHMARKS.md).
    pub fn writers(&self) -> usize {
        match self.group_commit_writers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 4)),
            n => n,
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// `[telemetry]`
#[derive(Debug, Clone, Deserialize)]
pub struct TelemetrySettings {
    /// Format.
    pub log_format: LogFormat,
    /// Filter directive.
    pub log_level: String,
    /// Where `/metrics` is served (not on the API listener); empty = nowhere.
    #[serde(default)]
    pub metrics_bind: String,
}

impl Settings {
    /// Loads from `CROSSINGS_CONFIG_DIR` (default `./config`) and the process environment.
    pub fn load() -> Result<Self, ConfigError> {
        let dir = std::env::var_os("CROSSINGS_CONFIG_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("config"));
        let vars: Vec<(String, String)> = std::env::vars().collect();
        Self::load_from(&dir, &vars)
    }

    /// Loads from a directory and an explicit set of environment variables (tests use this).
    pub fn load_from(dir: &Path, env: &[(String, String)]) -> Result<Self, ConfigError> {
        let var = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let env_name = var("CROSSINGS_ENV").unwrap_or_else(|| "development".to_owned());
        let env_map: config::Map<String, String> = env
            .iter()
            .filter(|(k, _)| k.starts_with("CROSSINGS__"))
            .cloned()
            .collect();

        let builder = config::Config::builder()
            .add_source(config::File::from_str(
                DEFAULT_TOML,
                config::FileFormat::Toml,
            ))
            .add_source(config::File::from(dir.join(format!("{env_name}.toml"))).required(false))
            .add_source(
                config::Environment::with_prefix("CROSSINGS")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    .list_separator(",")
                    .with_list_parse_key("server.cors_allowed_origins")
                    .with_list_parse_key("server.trusted_proxies")
                    .with_list_parse_key("auth.mfa_required_roles")
                    .source(Some(env_map)),
            )
            .set_override("environment", env_name)?
            .set_override_option("database.url", var("DATABASE_URL"))?
            .set_override_option("server.bind", var("CROSSINGS_BIND"))?
            .set_override_option(
                "bootstrap_admin_password",
                var("CROSSINGS_BOOTSTRAP_ADMIN_PASSWORD").filter(|p| !p.is_empty()),
            )?;

        let mut settings: Settings = builder.build()?.try_deserialize()?;
        settings.config_dir = dir.to_path_buf();
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &'static str, message: &str| {
            Err(ConfigError::Invalid {
                key,
                message: message.to_owned(),
            })
        };
        if self.server.bind.parse::<SocketAddr>().is_err() {
            return invalid(
                "server.bind",
                "must be an address and port, e.g. 127.0.0.1:8080",
            );
        }
        if !self.telemetry.metrics_bind.trim().is_empty()
            && self
                .telemetry
                .metrics_bind
                .trim()
                .parse::<SocketAddr>()
                .is_err()
        {
            return invalid(
                "telemetry.metrics_bind",
                "must be an address and port, e.g. 127.0.0.1:9464, or empty",
            );
        }
        if self.server.body_limit_bytes < 1024 {
            return invalid("server.body_limit_bytes", "must be at least 1024");
        }
        let secret = self.auth.jwt_secret.expose_secret();
        if secret.len() < 32 {
            return invalid("auth.jwt_secret", "must be at least 32 bytes long");
        }
        if self.environment == Environment::Production && secret == DEVELOPMENT_JWT_SECRET {
            return invalid(
                "auth.jwt_secret",
                "is the shipped development key; set CROSSINGS__AUTH__JWT_SECRET for production",
            );
        }
        if self.environment == Environment::Production
            && self.tls.files().is_none()
            && !self.server.tls_offloaded
        {
            return invalid(
                "tls.cert_path",
                "production needs TLS: set tls.cert_path and tls.key_path, or server.tls_offloaded = true when a proxy in front ends TLS",
            );
        }
        if self.auth.argon2_memory_kib < 19 * 1024
            || self.auth.argon2_iterations < 2
            || self.auth.argon2_parallelism < 1
        {
            return invalid(
                "auth.argon2_memory_kib",
                "argon2 cost is below OWASP's baseline (19456 KiB, 2 iterations, 1 lane)",
            );
        }
        if !(60..=3600).contains(&self.auth.access_token_ttl_secs) {
            return invalid("auth.access_token_ttl_secs", "must be between 60 and 3600");
        }
        if self.auth.refresh_token_ttl_secs < self.auth.access_token_ttl_secs {
            return invalid(
                "auth.refresh_token_ttl_secs",
                "must not be shorter than the access token's lifetime",
            );
        }
        if self.auth.lockout_threshold == 0 {
            return invalid("auth.lockout_threshold", "must be at least 1");
        }
        if self.auth.account_failure_limit == 0 {
            return invalid("auth.account_failure_limit", "must be at least 1");
        }
        if self.auth.session_max_secs < self.auth.access_token_ttl_secs {
            return invalid(
                "auth.session_max_secs",
                "must not be shorter than the access token's lifetime",
            );
        }
        for role in &self.auth.mfa_required_roles {
            if crate::domain::user::Role::parse(role).is_none() {
                return invalid(
                    "auth.mfa_required_roles",
                    "names a role that does not exist",
                );
            }
        }
        if crate::net::parse_proxies(&self.server.trusted_proxies).is_err() {
            return invalid(
                "server.trusted_proxies",
                "must be a list of addresses or CIDRs, e.g. 10.0.0.0/8",
            );
        }
        if self.auth.address_failure_limit == 0 {
            return invalid("auth.address_failure_limit", "must be at least 1");
        }
        if self.database.pool_size == 0 {
            return invalid("database.pool_size", "must be at least 1");
        }
        if let Some(url) = self.database.replica_url() {
            let postgres = |u: &str| u.starts_with("postgres://") || u.starts_with("postgresql://");
            if !postgres(&url) || !postgres(&self.database.effective_url()) {
                return invalid(
                    "database.read_url",
                    "a read replica is a PostgreSQL streaming replica of a PostgreSQL database.url",
                );
            }
        }
        if !(1..=1000).contains(&self.movements.max_batch_items) {
            return invalid("movements.max_batch_items", "must be between 1 and 1000");
        }
        if !(1..=500).contains(&self.movements.max_page_size) {
            return invalid("movements.max_page_size", "must be between 1 and 500");
        }
        if self.edge.enabled() {
            let hq = self.edge.hq_url.trim();
            // The edge sends its secret and officers' passwords to HQ: in clear text only to
            // this machine (a local proxy, a test).
            let this_machine = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
                .iter()
                .any(|local| {
                    hq.strip_prefix(local)
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
                });
            if !(hq.starts_with("https://") || this_machine) {
                return invalid(
                    "edge.hq_url",
                    "must start with https:// (the edge sends its secret and officers' passwords to HQ); http:// only to this machine",
                );
            }
            if self.edge.client_id.trim().is_empty()
                || secrecy::ExposeSecret::expose_secret(&self.edge.client_secret).is_empty()
            {
                return invalid(
                    "edge.client_id",
                    "an edge needs edge.client_id and edge.client_secret (POST /api/v1/edges at HQ)",
                );
            }
            let url = self.database.effective_url();
            if url.starts_with("postgres://") || url.starts_with("postgresql://") {
                return invalid(
                    "database.url",
                    "an edge keeps its record in SQLite (a file at the post), not PostgreSQL",
                );
            }
            if self.edge.sync_interval_secs == 0 {
                return invalid("edge.sync_interval_secs", "must be at least 1");
            }
            if self.edge.forward_batch == 0
                || self.edge.forward_batch > self.movements.max_batch_items
            {
                return invalid(
                    "edge.forward_batch",
                    "must be 1 to movements.max_batch_items",
                );
            }
            if self.edge.request_timeout_secs == 0 {
                return invalid("edge.request_timeout_secs", "must be at least 1");
            }
            if !(100..=60_000).contains(&self.edge.officer_timeout_ms) {
                return invalid("edge.officer_timeout_ms", "must be 100 to 60000");
            }
        }
        if self.alerts.stream_heartbeat_secs == 0 {
            return invalid("alerts.stream_heartbeat_secs", "must be at least 1");
        }
        if self.alerts.stream_buffer == 0 {
            return invalid("alerts.stream_buffer", "must be at least 1");
        }
        if self.alerts.stream_replay_max < 1 {
            return invalid("alerts.stream_replay_max", "must be at least 1");
        }
        if self.stays.default_days < 1 {
            return invalid("stays.default_days", "must be at least 1");
        }
        if self.stats.min_cell_count < 1 {
            return invalid("stats.min_cell_count", "must be at least 1");
        }
        if self.retention.personal_data_years < 1 {
            return invalid("retention.personal_data_years", "must be at least 1");
        }
        if self.retention.overstayer_years < 1 {
            return invalid("retention.overstayer_years", "must be at least 1");
        }
        if !(1..=10_000).contains(&self.retention.batch_size) {
            return invalid("retention.batch_size", "must be between 1 and 10000");
        }
        if !(1..=86_400).contains(&self.audit.checkpoint_secs) {
            return invalid("audit.checkpoint_secs", "must be between 1 and 86400");
        }
        if self.stats.max_cells == 0 {
            return invalid("stats.max_cells", "must be at least 1");
        }
        if self.stats.statement_timeout_ms == 0 {
            return invalid("stats.statement_timeout_ms", "must be at least 1");
        }
        if !(10..=60_000).contains(&self.stats.fold_interval_ms) {
            return invalid("stats.fold_interval_ms", "must be between 10 and 60000");
        }
        if !(1..=1000).contains(&self.ingest.group_commit_max) {
            return invalid("ingest.group_commit_max", "must be between 1 and 1000");
        }
        if self.ingest.group_commit_wait_ms > 1000 {
            return invalid("ingest.group_commit_wait_ms", "must be at most 1000");
        }
        if self.ingest.group_commit_writers > 64 {
            return invalid(
                "ingest.group_commit_writers",
                "must be between 0 (one per CPU core) and 64",
            );
        }
        Ok(())
    }
}

/// The shipped POE registry, used when the configuration directory has no `poes.toml`.
pub const DEFAULT_POES_TOML: &str = include_str!("../config/poes.toml");

#[derive(Deserialize)]
struct RegistryFile {
    poe: Vec<crate::domain::poe::Poe>,
}

/// Reads `poes.toml` from the configuration directory (or the shipped copy) and checks it:
/// valid codes, no code twice, valid hours.
pub fn load_poe_registry(dir: &Path) -> Result<Vec<crate::domain::poe::Poe>, ConfigError> {
    let path = dir.join("poes.toml");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => DEFAULT_POES_TOML.to_owned(),
        Err(e) => {
            return Err(ConfigError::Invalid {
                key: "poes.toml",
                message: format!("cannot read {}: {e}", path.display()),
            });
        }
    };
    let file: RegistryFile = toml::from_str(&text).map_err(|e| ConfigError::Invalid {
        key: "poes.toml",
        message: e.to_string(),
    })?;
    let mut seen = std::collections::BTreeSet::new();
    for poe in &file.poe {
        let problem = if crate::domain::poe::PoeCode::parse(&poe.code).is_err() {
            Some("is not three upper-case letters".to_owned())
        } else if !seen.insert(poe.code.clone()) {
            Some("appears twice".to_owned())
        } else {
            poe.hours
                .validate()
                .err()
                .map(|e| format!("has invalid hours: {e}"))
        };
        if let Some(problem) = problem {
            return Err(ConfigError::Invalid {
                key: "poes.toml",
                message: format!("POE {} {problem}", poe.code),
            });
        }
    }
    Ok(file.poe)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::load_from(Path::new("/nonexistent"), &env)
    }

    #[test]
    fn defaults_load_and_point_at_embedded_sqlite() {
        let s = load(&[]).unwrap();
        assert_eq!(s.environment, Environment::Development);
        assert_eq!(s.database.effective_url(), "sqlite://./data/crossings.db");
        assert_eq!(s.server.bind, "127.0.0.1:8080");
        assert_eq!(s.auth.lockout_threshold, 5);
    }

    #[test]
    fn an_edge_talks_to_hq_over_https_or_only_to_this_machine() {
        let edge = |url: &str| {
            load(&[
                ("CROSSINGS__EDGE__HQ_URL", url),
                ("CROSSINGS__EDGE__CLIENT_ID", "edge-snp-1"),
                ("CROSSINGS__EDGE__CLIENT_SECRET", "secret"),
            ])
        };
        assert!(edge("https://hq.example.ls").is_ok());
        assert!(edge("http://127.0.0.1:8080").is_ok());
        assert!(edge("http://localhost:8080/").is_ok());
        for url in [
            "http://hq.example.ls",
            "http://127.0.0.1.attacker.example",
            "ftp://hq",
        ] {
            let err = edge(url).unwrap_err().to_string();
            assert!(err.contains("edge.hq_url"), "{url}: {err}");
        }
    }

    #[test]
    fn group_commit_writers_default_to_one_per_core_at_most_four() {
        let s = load(&[]).unwrap();
        assert_eq!(s.ingest.group_commit_writers, 0);
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        assert_eq!(s.ingest.writers(), cores.clamp(1, 4));
        let s = load(&[("CROSSINGS__INGEST__GROUP_COMMIT_WRITERS", "6")]).unwrap();
        assert_eq!(s.ingest.writers(), 6);
        assert!(load(&[("CROSSINGS__INGEST__GROUP_COMMIT_WRITERS", "65")]).is_err());
    }

    #[test]
    fn environment_variables_override_the_files() {
        let s = load(&[
            ("CROSSINGS__SERVER__WORKERS", "3"),
            ("CROSSINGS_BIND", "0.0.0.0:9000"),
            ("DATABASE_URL", "postgres://x@y/z"),
        ])
        .unwrap();
        assert_eq!(s.server.workers, 3);
        assert_eq!(s.server.bind, "0.0.0.0:9000");
        assert_eq!(s.database.effective_url(), "postgres://x@y/z");
    }

    #[test]
    fn a_read_replica_is_off_by_default_and_must_be_postgresql() {
        assert_eq!(load(&[]).unwrap().database.replica_url(), None);
        let s = load(&[
            ("DATABASE_URL", "postgres://x@primary/z"),
            ("CROSSINGS__DATABASE__READ_URL", "postgres://x@replica/z"),
        ])
        .unwrap();
        assert_eq!(
            s.database.replica_url().as_deref(),
            Some("postgres://x@replica/z")
        );
        for (primary, replica) in [
            ("sqlite://./x.db", "postgres://x@replica/z"),
            ("postgres://x@primary/z", "sqlite://./y.db"),
        ] {
            let err = load(&[
                ("DATABASE_URL", primary),
                ("CROSSINGS__DATABASE__READ_URL", replica),
            ])
            .unwrap_err();
            assert!(err.to_string().contains("database.read_url"), "{err}");
        }
    }

    #[test]
    fn a_fold_interval_out_of_range_names_its_key() {
        assert_eq!(load(&[]).unwrap().stats.fold_interval_ms, 1000);
        for bad in ["0", "9", "60001"] {
            let err = load(&[("CROSSINGS__STATS__FOLD_INTERVAL_MS", bad)]).unwrap_err();
            assert!(err.to_string().contains("stats.fold_interval_ms"), "{err}");
        }
        assert!(load(&[("CROSSINGS__STATS__FOLD_INTERVAL_MS", "10")]).is_ok());
    }

    #[test]
    fn data_protection_defaults_and_bounds() {
        let s = load(&[]).unwrap();
        assert_eq!(s.retention.personal_data_years, 5);
        assert_eq!(s.retention.overstayer_years, 5);
        assert!(s.retention.daily);
        assert_eq!(s.audit.checkpoint_secs, 60);
        assert!(s.audit.checkpoint_key_path.is_empty());
        for (key, value, named) in [
            (
                "CROSSINGS__RETENTION__PERSONAL_DATA_YEARS",
                "0",
                "retention.personal_data_years",
            ),
            (
                "CROSSINGS__RETENTION__OVERSTAYER_YEARS",
                "0",
                "retention.overstayer_years",
            ),
            (
                "CROSSINGS__RETENTION__BATCH_SIZE",
                "0",
                "retention.batch_size",
            ),
            (
                "CROSSINGS__AUDIT__CHECKPOINT_SECS",
                "0",
                "audit.checkpoint_secs",
            ),
        ] {
            let err = load(&[(key, value)]).unwrap_err();
            assert!(err.to_string().contains(named), "{err}");
        }
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let err = load(&[("CROSSINGS__SERVER__WORKERS", "many")]).unwrap_err();
        assert!(err.to_string().contains("server.workers"), "{err}");
        let err = load(&[("CROSSINGS_BIND", "nowhere")]).unwrap_err();
        assert!(err.to_string().contains("server.bind"), "{err}");
    }

    #[test]
    fn production_refuses_the_development_key() {
        let err = load(&[("CROSSINGS_ENV", "production")]).unwrap_err();
        assert!(err.to_string().contains("auth.jwt_secret"), "{err}");
        let ok = load(&[
            ("CROSSINGS_ENV", "production"),
            (
                "CROSSINGS__AUTH__JWT_SECRET",
                "a-real-production-key-of-enough-length-42",
            ),
            ("CROSSINGS__SERVER__TLS_OFFLOADED", "true"),
        ]);
        assert!(ok.is_ok());
    }

    #[test]
    fn production_refuses_to_start_without_tls() {
        let key = (
            "CROSSINGS__AUTH__JWT_SECRET",
            "a-real-production-key-of-enough-length-42",
        );
        let err = load(&[("CROSSINGS_ENV", "production"), key]).unwrap_err();
        assert!(err.to_string().contains("tls.cert_path"), "{err}");
        assert!(err.to_string().contains("server.tls_offloaded"), "{err}");
        let with_tls = load(&[
            ("CROSSINGS_ENV", "production"),
            key,
            ("CROSSINGS__TLS__CERT_PATH", "/etc/crossings/tls/cert.pem"),
            ("CROSSINGS__TLS__KEY_PATH", "/etc/crossings/tls/key.pem"),
        ]);
        assert!(with_tls.is_ok());
        // Development runs without.
        assert!(load(&[]).is_ok());
    }

    #[test]
    fn trusted_proxies_must_be_cidrs() {
        let ok = load(&[(
            "CROSSINGS__SERVER__TRUSTED_PROXIES",
            "10.0.0.0/8,192.168.1.1",
        )])
        .unwrap();
        assert_eq!(ok.server.trusted_proxies.len(), 2);
        let err = load(&[("CROSSINGS__SERVER__TRUSTED_PROXIES", "everyone")]).unwrap_err();
        assert!(err.to_string().contains("server.trusted_proxies"), "{err}");
        let err = load(&[("CROSSINGS__AUTH__MFA_REQUIRED_ROLES", "admin,wizard")]).unwrap_err();
        assert!(err.to_string().contains("auth.mfa_required_roles"), "{err}");
    }

    #[test]
    fn the_shipped_registry_has_the_fifteen_posts() {
        let poes = load_poe_registry(Path::new("/nonexistent")).unwrap();
        assert_eq!(poes.len(), 15);
        let land = poes
            .iter()
            .filter(|p| p.kind == crate::domain::poe::PoeKind::Land)
            .count();
        assert_eq!(land, 14);
        assert_eq!(
            poes.iter().filter(|p| p.automated).count(),
            7,
            "half of them automated"
        );
    }

    #[test]
    fn argon2_cost_below_owasp_is_refused() {
        let err = load(&[("CROSSINGS__AUTH__ARGON2_MEMORY_KIB", "1024")]).unwrap_err();
        assert!(err.to_string().contains("argon2"), "{err}");
    }
}
