//! The command line: `serve` (the default), `migrate`, user and POE-system administration,
//! and audit verification.

use std::io::BufRead;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::domain::audit::Actor;
use crate::domain::poe::PoeCode;
use crate::error::Error;
use crate::service::users::{self, NewUser, UserPatch};
use crate::service::{Context, checkpoints, poe_systems};
use crate::startup::{self, Application, StartupError};
use crate::store;

/// crossings: the national record of border crossings of the Kingdom of Lesotho.
#[derive(Debug, Parser)]
#[command(name = "crossings", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Serve at a post as an edge of HQ: SQLite here, HQ's accounts and watchlist pulled
    /// down, movements forwarded up exactly once. Needs `edge.hq_url`, `edge.client_id` and
    /// `edge.client_secret` (or CROSSINGS__EDGE__HQ_URL, …).
    Edge,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage automated POE systems.
    #[command(subcommand, name = "poe-system")]
    PoeSystem(PoeSystemCommand),
    /// Audit log tools.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Retention: erase the personal fields of movements past `retention.*`.
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Statistics counters: check them against the movements, or rebuild them.
    #[command(subcommand)]
    Stats(StatsCommand),
    /// Ask a running service whether it is ready (for container health checks): exits 0 when
    /// `/health/ready` answers 200. Plain HTTP only.
    Probe {
        /// Address of the service (default: the configured bind address).
        #[arg(long)]
        addr: Option<String>,
    },
    /// Load a week of realistic synthetic traffic and print one login per role.
    Demo {
        /// Days of traffic, ending now.
        #[arg(long, default_value_t = 7)]
        days: u32,
        /// Movements on an ordinary day (busier at weekends and in the festive season).
        #[arg(long, default_value_t = 6000)]
        per_day: u32,
    },
}

#[derive(Debug, Subcommand)]
enum StatsCommand {
    /// Recount every counter from the movements and report differences; exits 1 if any.
    Check,
    /// Rebuild every counter from the movements (after a bulk load or a failed check).
    Rebuild,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account. The password is read from standard input with --password-stdin,
    /// otherwise one is generated and printed.
    Create {
        /// Login name.
        #[arg(long)]
        username: String,
        /// A role (repeatable): admin, immigration, police, lra, analyst.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// A POE code (repeatable), or `*` for all.
        #[arg(long = "poe")]
        poes: Vec<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts.
    List,
    /// Disable an account and revoke its sessions.
    Disable {
        /// Login name.
        username: String,
    },
}

#[derive(Debug, Subcommand)]
enum PoeSystemCommand {
    /// Register a system for a POE; prints its client id and secret (shown once).
    Create {
        /// POE code.
        #[arg(long)]
        poe: String,
        /// What it is.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Revoke a system by registration id.
    Revoke {
        /// Registration id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum RetentionCommand {
    /// Erase what is past retention now (held documents and recent overstays are kept);
    /// prints the counts. Safe while the service runs; running it again erases nothing twice.
    Run,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain; exits 1 when it is broken. With --key, also check every
    /// signed checkpoint (in the database and in --checkpoints): a checkpoint's entry that is
    /// missing or changed fails, even when the chain was recomputed after the change.
    Verify {
        /// The public key (`PREFIX.pub` from `audit keygen`).
        #[arg(long)]
        key: Option<std::path::PathBuf>,
        /// A folder of checkpoint files (default: `audit.checkpoint_dir`, when set).
        #[arg(long)]
        checkpoints: Option<std::path::PathBuf>,
    },
    /// Make an Ed25519 key pair for signed checkpoints: PREFIX.key (private) and PREFIX.pub.
    Keygen {
        /// Path prefix of the two files.
        #[arg(long)]
        out: String,
    },
    /// Sign the chain's head now with `audit.checkpoint_key_path` (as the service does every
    /// `audit.checkpoint_secs`).
    Checkpoint,
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("crossings: cannot start: {e}");
            return ExitCode::from(2);
        }
    };
    crate::telemetry::init(&settings.telemetry);
    let result = actix_web::rt::System::new().block_on(run(cli, settings));
    match result {
        Ok(code) => code,
        Err(e) => {
            tracing::error!(error = %e, "crossings stopped with an error");
            eprintln!("crossings: {e}");
            ExitCode::FAILURE
        }
    }
}

#[expect(clippy::print_stdout, reason = "command-line output")]
async fn run(cli: Cli, settings: Settings) -> Result<ExitCode, StartupError> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(settings).await?;
            app.run_until_stopped().await?;
        }
        Command::Edge => {
            if !settings.edge.enabled() {
                return Err(StartupError::Config(crate::config::ConfigError::Invalid {
                    key: "edge.hq_url",
                    message: "`crossings edge` needs HQ's URL (CROSSINGS__EDGE__HQ_URL)".to_owned(),
                }));
            }
            let app = Application::build(settings).await?;
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            let db = startup::connect(&settings)?;
            let applied = actix_web::rt::task::spawn_blocking(move || store::migrations::run(&db))
                .await
                .map_err(|e| store::StoreError::Task(e.to_string()))??;
            println!("applied {} migration(s)", applied.len());
            for m in applied {
                println!("  {m}");
            }
        }
        Command::User(cmd) => {
            let state = startup::prepare(settings).await?;
            user_command(cmd, &state.ctx).await?;
        }
        Command::PoeSystem(PoeSystemCommand::Create { poe, label }) => {
            let state = startup::prepare(settings).await?;
            let poe = PoeCode::parse(&poe).map_err(Error::from)?;
            let creds =
                poe_systems::register(&state.ctx, Actor::command_line(), poe, label).await?;
            println!("id:            {}", creds.id);
            println!("client_id:     {}", creds.client_id);
            println!("client_secret: {}", creds.client_secret);
            println!("(the secret is not stored and will not be shown again)");
        }
        Command::PoeSystem(PoeSystemCommand::Revoke { id }) => {
            let state = startup::prepare(settings).await?;
            poe_systems::revoke(&state.ctx, Actor::command_line(), id).await?;
            println!("revoked");
        }
        Command::Probe { addr } => {
            let addr = addr.unwrap_or_else(|| settings.server.bind.replace("0.0.0.0", "127.0.0.1"));
            return Ok(if probe(&addr) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            });
        }
        Command::Stats(StatsCommand::Check) => {
            let db = startup::connect(&settings)?;
            let differences = db.read(store::counts::check).await?;
            for (key, expected, kept) in differences.iter().take(20) {
                println!("counter {key:?}: movements say {expected}, kept {kept}");
            }
            println!("{} counter(s) differ", differences.len());
            if !differences.is_empty() {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Stats(StatsCommand::Rebuild) => {
            let db = startup::connect(&settings)?;
            let counted = db.write(store::counts::rebuild).await?;
            println!("counters rebuilt from {counted} movements");
        }
        Command::Demo { days, per_day } => {
            let bind = settings.server.bind.clone();
            let state = startup::prepare(settings).await?;
            let report = crate::service::demo::run(&state.ctx, days, per_day).await?;
            println!(
                "Recorded {} movements over {} days at 15 posts.",
                report.movements, report.days
            );
            println!(
                "Serve with `crossings` and open http://{bind}/dashboard/ (analyst) or http://{bind}/docs/."
            );
            println!();
            println!(
                "  {:<12} {:<26} password / secret",
                "role", "username / client id"
            );
            for l in &report.logins {
                println!("  {:<12} {:<26} {}", l.role, l.username, l.password);
            }
        }
        Command::Retention(RetentionCommand::Run) => {
            let state = startup::prepare(settings).await?;
            let report = crate::service::retention::run(
                &state.ctx,
                Actor::command_line(),
                crate::domain::time::now(),
            )
            .await?;
            println!(
                "{}",
                serde_json::to_string(&report).map_err(|e| Error::internal_from("report", e))?
            );
        }
        Command::Audit(AuditCommand::Keygen { out }) => {
            let (private, public) = checkpoints::keygen(&out).map_err(key_error)?;
            println!(
                "private key: {} (keep it off the database host)",
                private.display()
            );
            println!("public key:  {}", public.display());
        }
        Command::Audit(AuditCommand::Checkpoint) => {
            let path = settings.audit.checkpoint_key_path.clone();
            if path.is_empty() {
                return Err(StartupError::Init(Error::BadRequest(
                    "audit.checkpoint_key_path is not set".to_owned(),
                )));
            }
            let key = checkpoints::signing_key(std::path::Path::new(&path)).map_err(key_error)?;
            let dir = non_empty(&settings.audit.checkpoint_dir);
            let db = startup::connect(&settings)?;
            match checkpoints::sign_head(&db, &key, dir.as_deref()).await? {
                Some(row) => println!("{{\"seq\": {}, \"hash\": \"{}\"}}", row.seq, row.hash),
                None => println!("{{\"seq\": null}}"),
            }
        }
        Command::Audit(AuditCommand::Verify {
            key: Some(key),
            checkpoints: dir,
        }) => {
            let key = checkpoints::verifying_key(&key).map_err(key_error)?;
            let dir = dir.or_else(|| non_empty(&settings.audit.checkpoint_dir));
            let db = startup::connect(&settings)?;
            let report = checkpoints::verify(&db, &key, dir.as_deref()).await?;
            println!(
                "{}",
                serde_json::to_string(&report).map_err(|e| Error::internal_from("report", e))?
            );
            if !report.ok {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Audit(AuditCommand::Verify { key: None, .. }) => {
            let db = startup::connect(&settings)?;
            let report = db.read(store::audit::verify).await?;
            println!(
                "{{\"ok\": {}, \"entries\": {}, \"first_bad\": {}}}",
                report.ok,
                report.entries,
                report
                    .first_bad
                    .map_or("null".to_owned(), |s| s.to_string())
            );
            if !report.ok {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[expect(clippy::print_stdout, reason = "command-line output")]
async fn user_command(cmd: UserCommand, ctx: &Context) -> Result<(), StartupError> {
    match cmd {
        UserCommand::Create {
            username,
            roles,
            poes,
            password_stdin,
        } => {
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                (line.trim_end_matches(['\r', '\n']).to_owned(), false)
            } else {
                (crate::auth::tokens::random_secret(), true)
            };
            let user =
                NewUser::parse(&username, &password, &roles, &poes, true).map_err(Error::from)?;
            let row = users::create(ctx, Actor::command_line(), user).await?;
            println!("created user {} ({})", row.username, row.id);
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::List => {
            for u in users::list(ctx).await? {
                println!(
                    "{}\t{}\troles={}\tpoes={}\t{}",
                    u.id,
                    u.username,
                    u.roles,
                    u.poes,
                    if u.active { "active" } else { "disabled" }
                );
            }
        }
        UserCommand::Disable { username } => {
            let name = username.trim().to_ascii_lowercase();
            let user = users::by_username(ctx, name.clone())
                .await?
                .ok_or_else(|| Error::NotFound(format!("no user {name}")))?;
            let patch = UserPatch {
                active: Some(false),
                password_chosen_by_owner: false,
                ..UserPatch::default()
            };
            users::update(ctx, Actor::command_line(), user.id, patch).await?;
            println!("disabled {name}");
        }
    }
    Ok(())
}

fn non_empty(path: &str) -> Option<std::path::PathBuf> {
    (!path.is_empty()).then(|| std::path::PathBuf::from(path))
}

fn key_error(e: checkpoints::KeyError) -> StartupError {
    StartupError::Init(Error::BadRequest(e.to_string()))
}

/// `GET /health/ready` over plain HTTP with a short timeout; true on a 200.
fn probe(addr: &str) -> bool {
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpStream};
    use std::time::Duration;
    let Ok(socket) = addr.parse::<SocketAddr>() else {
        return false;
    };
    let Ok(mut stream) = TcpStream::connect_timeout(&socket, Duration::from_secs(2)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request =
        format!("GET /health/ready HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}
