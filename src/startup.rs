//! Building the application: state, database, first-start work, and the HTTP server bound to
//! a listener (port 0 in tests).

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{Condition, DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};
use secrecy::ExposeSecret;

pub use crate::app::AppState;
use crate::auth::AuthService;
use crate::config::{self, Settings};
use crate::http;
use crate::service::{self, Context};
use crate::store::{self, Db, PoolOptions};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// The database could not be prepared.
    #[error("database: {0}")]
    Store(#[from] store::StoreError),
    /// First-start work failed.
    #[error("{0}")]
    Init(#[from] crate::error::Error),
    /// The listener or TLS could not be set up.
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
}

/// Opens the database pool described by the settings.
pub fn connect(settings: &Settings) -> Result<Db, StartupError> {
    let url = settings.database.effective_url();
    Ok(Db::connect(
        &url,
        &PoolOptions {
            size: settings.database.pool_size,
            connection_timeout: Duration::from_secs(settings.database.connection_timeout_secs),
            sqlite_busy_timeout_ms: settings.database.sqlite_busy_timeout_ms,
        },
    )?)
}

/// The read replica's pool (`database.read_url`), when one is set: as many connections as
/// statistics may use at once, which wait at most a second for one (a replica that is down
/// then costs a read a second, once every few seconds, before it goes to the primary).
/// Never migrated: it replays the primary.
pub fn connect_replica(
    settings: &Settings,
) -> Result<Option<Arc<service::replica::ReadReplica>>, StartupError> {
    let Some(url) = settings.database.replica_url() else {
        return Ok(None);
    };
    let db = Db::connect(
        &url,
        &PoolOptions {
            size: (settings.database.pool_size / 2).max(1),
            connection_timeout: Duration::from_secs(settings.database.connection_timeout_secs)
                .min(Duration::from_secs(1)),
            sqlite_busy_timeout_ms: settings.database.sqlite_busy_timeout_ms,
        },
    )?;
    tracing::info!("statistics read the replica of database.read_url");
    Ok(Some(Arc::new(service::replica::ReadReplica::new(db))))
}

/// Migrates (when configured), seeds the POE registry on first start, and builds the state,
/// creating the first admin if there is none.
pub async fn prepare(settings: Settings) -> Result<Arc<AppState>, StartupError> {
    let db = connect(&settings)?;
    let registry = config::load_poe_registry(&settings.config_dir)?;
    let migrate = settings.database.migrate_on_start;
    let setup_db = db.clone();
    let seeded =
        actix_web::rt::task::spawn_blocking(move || -> Result<usize, store::StoreError> {
            if migrate {
                let applied = store::migrations::run(&setup_db)?;
                if !applied.is_empty() {
                    tracing::info!(count = applied.len(), "database migrated");
                }
            }
            // Before serving: this month's movements go to their own partition from the
            // first. A failure is not fatal (the DEFAULT partition takes them meanwhile).
            if let Err(e) = service::partitions::make_ahead(&setup_db, crate::domain::time::now()) {
                tracing::warn!(error = %e, "making the movements partitions ahead failed");
            }
            setup_db.write_sync(|c| {
                store::poes::seed_if_empty(c, &registry, crate::domain::time::now())
            })
        })
        .await
        .map_err(|e| store::StoreError::Task(e.to_string()))??;
    if seeded > 0 {
        tracing::info!(count = seeded, "POE registry loaded from poes.toml");
    }

    let auth_settings = settings.auth.clone();
    let auth = actix_web::rt::task::spawn_blocking(move || AuthService::new(&auth_settings))
        .await
        .map_err(|e| crate::error::Error::internal_from("start-up", e))??;
    let bootstrap_password = settings.bootstrap_admin_password.clone();
    let stats_slots = usize::try_from(settings.database.pool_size / 2)
        .unwrap_or(1)
        .max(1);
    let listen_url = match db.backend() {
        store::Backend::Postgres => Some(settings.database.effective_url()),
        store::Backend::Sqlite => None,
    };
    let hits =
        service::hit_stream::HitHub::start(db.clone(), listen_url, settings.alerts.stream_buffer);
    let replica = connect_replica(&settings)?;
    let mut ctx = Context {
        hits,
        db,
        settings: Arc::new(settings),
        registry: Default::default(),
        auth: Arc::new(auth),
        group_commit: None,
        stats_slots: Arc::new(tokio::sync::Semaphore::new(stats_slots)),
        replica,
        edge: None,
    };
    if ctx.settings.edge.enabled() {
        ctx.edge = Some(service::edges::EdgeNode::start(&ctx).await?);
    }
    if ctx.settings.ingest.group_commit_max > 1 {
        let group_commit =
            service::group_commit::GroupCommit::start(ctx.clone(), &ctx.settings.ingest)?;
        ctx.group_commit = Some(Arc::new(group_commit));
    }
    // An edge holds HQ's accounts of its post only: no admin of its own.
    let bootstrap = if ctx.settings.edge.enabled() {
        None
    } else {
        service::sessions::bootstrap_admin(&ctx, bootstrap_password).await?
    };
    if let Some(outcome) = bootstrap {
        match outcome.generated_password {
            Some(password) => {
                tracing::warn!(
                    "no admin existed: created user `admin` with a generated password, printed once on standard output"
                );
                print_once(&format!(
                    "\n  First start: created user `admin` with password  {}\n  Sign in and create personal accounts; this password is not shown again.\n",
                    password.expose_secret()
                ));
            }
            None => tracing::info!(
                "no admin existed: created user `admin` with CROSSINGS_BOOTSTRAP_ADMIN_PASSWORD"
            ),
        }
    }
    Ok(Arc::new(AppState { ctx }))
}

#[expect(
    clippy::print_stdout,
    reason = "the generated admin password is shown to the operator once"
)]
fn print_once(text: &str) {
    println!("{text}");
}

/// CORS for the configured origins only (CORS is off when none are configured).
fn cors(origins: &[String]) -> actix_cors::Cors {
    origins
        .iter()
        .fold(actix_cors::Cors::default(), |c, o| c.allowed_origin(o))
        .allowed_methods(["GET", "POST", "PATCH", "DELETE"])
        .allowed_headers([
            actix_web::http::header::AUTHORIZATION,
            actix_web::http::header::CONTENT_TYPE,
            actix_web::http::header::ACCEPT,
        ])
        .allowed_header("x-request-id")
        .expose_headers(["x-request-id"])
        .max_age(3600)
}

/// A rustls server configuration (ring provider) from PEM files.
fn tls_config(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<rustls::ServerConfig, StartupError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |what: &str, path: &std::path::Path, e: &dyn std::fmt::Display| {
        StartupError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("tls: cannot read the {what} {}: {e}", path.display()),
        ))
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| bad("certificate", cert, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| bad("certificate", cert, &e))?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| bad("key", key, &e))?;
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| {
            StartupError::Io(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("tls: {e}"),
            ))
        })
}

/// A running server.
pub struct Application {
    port: u16,
    server: Server,
    state: Arc<AppState>,
    metrics: Option<(u16, Server)>,
}

/// The metrics listener (`telemetry.metrics_bind`): `/metrics` and the probes, apart from
/// the API. A taken or bad address is logged and the service runs without it, rather than
/// refusing to serve traffic over metrics.
fn metrics_server(state: &Arc<AppState>) -> Option<(u16, Server)> {
    let bind = state.settings().telemetry.metrics_bind.trim().to_owned();
    if bind.is_empty() {
        return None;
    }
    let started = TcpListener::bind(&bind).and_then(|listener| {
        let port = listener.local_addr()?.port();
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .service(web::resource("/metrics").get(http::metrics::render))
                // Probes too, so that a health check inside the host needs no TLS.
                .service(web::resource("/health/live").get(http::health::live))
                .service(web::resource("/health/ready").get(http::health::ready))
                .default_service(web::to(http::not_found))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run();
        Ok((port, server))
    });
    match started {
        Ok((port, server)) => {
            tracing::info!(port, "serving metrics");
            Some((port, server))
        }
        Err(e) => {
            tracing::error!(bind = %bind, error = %e, "cannot serve metrics on telemetry.metrics_bind; running without them");
            None
        }
    }
}

impl Application {
    /// Prepares everything and binds the listener (from `server.bind`; port 0 picks one).
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let listener = TcpListener::bind(&settings.server.bind)?;
        let state = prepare(settings).await?;
        Self::serve(state, listener)
    }

    /// Starts serving `state` on `listener`.
    pub fn serve(state: Arc<AppState>, listener: TcpListener) -> Result<Self, StartupError> {
        let port = listener.local_addr()?.port();
        http::metrics::handle();
        let settings = state.settings();
        actix_web::rt::spawn(crate::service::stats::fold_counts_forever(
            state.ctx.db.clone(),
            Duration::from_millis(settings.stats.fold_interval_ms),
        ));
        actix_web::rt::spawn(service::partitions::make_ahead_forever(
            state.ctx.db.clone(),
            Duration::from_secs(24 * 3600),
        ));
        if settings.retention.daily {
            actix_web::rt::spawn(crate::service::retention::run_forever(
                state.ctx.clone(),
                Duration::from_secs(60),
                Duration::from_secs(24 * 3600),
            ));
        }
        let key_path = &settings.audit.checkpoint_key_path;
        if !key_path.is_empty() {
            let key =
                service::checkpoints::signing_key(std::path::Path::new(key_path)).map_err(|e| {
                    StartupError::Io(std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        format!("audit.checkpoint_key_path: {e}"),
                    ))
                })?;
            let dir = settings.audit.checkpoint_dir.clone();
            actix_web::rt::spawn(service::checkpoints::sign_forever(
                state.ctx.db.clone(),
                key,
                (!dir.is_empty()).then(|| std::path::PathBuf::from(dir)),
                Duration::from_secs(settings.audit.checkpoint_secs),
            ));
        }
        if settings.edge.enabled() {
            crate::edge::start(state.ctx.clone());
        }
        let data = web::Data::from(state.clone());
        let workers = match settings.server.workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        let body_limit = settings.server.body_limit_bytes;
        let tls = match settings.tls.files() {
            Some((cert, key)) => Some(tls_config(cert, key)?),
            None => None,
        };
        let origins = settings.server.cors_allowed_origins.clone();
        let hsts = tls.is_some();
        let server = HttpServer::new(move || {
            let mut headers = DefaultHeaders::new()
                .add(("X-Content-Type-Options", "nosniff"))
                .add(("X-Frame-Options", "DENY"))
                .add(("Referrer-Policy", "no-referrer"))
                .add(("Cross-Origin-Opener-Policy", "same-origin"));
            if hsts {
                headers = headers.add(("Strict-Transport-Security", "max-age=31536000"));
            }
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(body_limit))
                .wrap(Condition::new(!origins.is_empty(), cors(&origins)))
                .wrap(headers)
                .wrap(from_fn(http::observe::observe))
                .configure(http::configure)
                .default_service(web::to(http::not_found))
        })
        .workers(workers)
        .shutdown_timeout(settings.server.shutdown_timeout_secs);
        let scheme = if tls.is_some() { "https" } else { "http" };
        let server = match tls {
            Some(config) => server.listen_rustls_0_23(listener, config)?,
            None => server.listen(listener)?,
        }
        .run();
        tracing::info!(
            port,
            scheme,
            backend = state.ctx.db.backend().as_str(),
            "serving"
        );
        let metrics = metrics_server(&state);
        Ok(Self {
            port,
            server,
            state,
            metrics,
        })
    }

    /// The port of the metrics listener, when it runs.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state (tests reach the database through it).
    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }

    /// A handle to stop the server.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/SIGINT (then lets in-flight requests finish) or a stop.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics = self.metrics.map(|(_, server)| {
            let handle = server.handle();
            actix_web::rt::spawn(server);
            handle
        });
        let served = self.server.await;
        if let Some(handle) = metrics {
            handle.stop(true).await;
        }
        served
    }
}
