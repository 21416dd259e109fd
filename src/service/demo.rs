//! `crossings demo`: a week of realistic synthetic traffic and one login per role, for a
//! first look at the service and the dashboard.

use chrono::{Duration, Utc};

use super::movements::{self as recording, ItemOutcome};
use super::users::{self, NewUser, UserPatch};
use super::{Caller, Client, Context, poe_systems};
use crate::auth::{Identity, Principal, tokens::random_secret};
use crate::domain::audit::Actor;
use crate::domain::poe::PoeCode;
use crate::domain::user::{Postings, Role, RoleSet};
use crate::domain::watchlist::{AlertInput, NewAlert};
use crate::error::{Error, Result};
use crate::synthetic::Generator;

/// One login the demo made.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    /// Role.
    pub role: &'static str,
    /// Username, or the POE system's client id.
    pub username: String,
    /// Password, or the client secret.
    pub password: String,
}

/// What the demo did.
#[derive(Debug, Clone)]
pub struct DemoReport {
    /// Movements recorded.
    pub movements: usize,
    /// Days covered.
    pub days: u32,
    /// Logins.
    pub logins: Vec<DemoLogin>,
}

/// Creates (or resets) one user per role, registers a POE system at Maseru Bridge, puts two
/// travellers on the watchlist, and records `days` days of traffic ending now (about
/// `per_day` movements a day) through the same path as the API.
pub async fn run(ctx: &Context, days: u32, per_day: u32) -> Result<DemoReport> {
    may_run(ctx).await?;
    let mut logins = Vec::new();
    for (role, name, poes) in [
        (Role::Admin, "demo.admin", "*"),
        (Role::Immigration, "demo.immigration", "*"),
        (Role::Police, "demo.police", "*"),
        (Role::Lra, "demo.lra", "*"),
        (Role::Analyst, "demo.analyst", "*"),
    ] {
        let password = random_secret()[..20].to_owned();
        upsert_user(ctx, role, name, poes, &password).await?;
        logins.push(DemoLogin {
            role: role.as_str(),
            username: name.to_owned(),
            password,
        });
    }
    let msu = PoeCode::parse("MSU")?;
    let creds =
        poe_systems::register(ctx, Actor::command_line(), msu, "demo e-gate".to_owned()).await?;
    logins.push(DemoLogin {
        role: "poe_system",
        username: creds.client_id,
        password: creds.client_secret,
    });

    let run_tag = format!("demo{}", Utc::now().format("%Y%m%d%H%M%S"));
    let generator = Caller {
        principal: Principal {
            identity: Identity::System {
                id: run_tag.clone(),
                client_id: GENERATOR.to_owned(),
            },
            roles: RoleSet::only(Role::PoeSystem),
            postings: Postings::All,
        },
        client: Client::default(),
    };
    let now = Utc::now().naive_utc();
    let today = crate::domain::time::local_time(now).date();
    let mut g = Generator::new(7, 300_000, &run_tag);
    let mut days_of_traffic = Vec::new();
    for back in (0..days).rev() {
        let date = today - Duration::days(i64::from(back));
        days_of_traffic.push(
            g.day(date, per_day)
                .into_iter()
                .filter(|e| e.occurred_at <= now)
                .collect::<Vec<_>>(),
        );
    }
    // Two travellers of the last day go on the watchlist first, so that the police have hits.
    let last_day = days_of_traffic.last().cloned().unwrap_or_default();
    for (i, event) in last_day.iter().rev().take(2).enumerate() {
        watch(ctx, event.person, i == 0).await?;
    }
    let mut recorded = 0;
    for events in days_of_traffic {
        for chunk in events.chunks(1000) {
            let items = chunk.iter().map(Generator::to_json).collect();
            let outcomes = recording::record(ctx, &generator, items).await?;
            recorded += outcomes
                .iter()
                .filter(|o| matches!(o, ItemOutcome::Created(..)))
                .count();
        }
    }
    Ok(DemoReport {
        movements: recorded,
        days,
        logins,
    })
}

/// Puts a generated person on the watchlist: by document, or by name and date of birth.
async fn watch(ctx: &Context, person: u32, by_document: bool) -> Result<()> {
    let p = crate::synthetic::Person::at(person);
    let input: AlertInput = serde_json::from_value(if by_document {
        serde_json::json!({
            "issuing_state": p.nationality, "document_number": p.document_number,
            "category": "stolen_document", "action": "secondary_inspection",
            "reason": "Demo: reported stolen"
        })
    } else {
        serde_json::json!({
            "surname": p.surname, "given_names": p.given_names,
            "date_of_birth": p.date_of_birth.format("%Y-%m-%d").to_string(),
            "category": "wanted", "action": "refer_to_police", "reason": "Demo: warrant"
        })
    })
    .map_err(|e| Error::internal_from("demo alert", e))?;
    let alert = NewAlert::parse(input, Utc::now())?;
    super::watchlist::add(
        ctx,
        Actor {
            name: "demo".to_owned(),
            ..Actor::command_line()
        },
        alert,
    )
    .await?;
    Ok(())
}

/// The demo writes accounts (an admin among them) and traffic: it refuses a production
/// deployment, and any database holding movements or accounts it did not make (the
/// bootstrap admin aside).
pub async fn may_run(ctx: &Context) -> Result<()> {
    if ctx.settings.environment == crate::config::Environment::Production {
        return Err(Error::Forbidden(
            "the demo does not run with CROSSINGS_ENV=production".to_owned(),
        ));
    }
    let generator = format!("poe-system:{GENERATOR}");
    let (foreign_movements, users) = ctx
        .read(move |c| {
            Ok((
                crate::store::movements::count_not_recorded_by(c, &generator)?,
                crate::store::users::list(c)?,
            ))
        })
        .await?;
    let foreign_users: Vec<String> = users
        .into_iter()
        .map(|u| u.username)
        .filter(|u| u != "admin" && !u.starts_with("demo."))
        .collect();
    if foreign_movements > 0 || !foreign_users.is_empty() {
        return Err(Error::Conflict(format!(
            "the demo runs only on a database it made: this one holds {foreign_movements} movement(s) and {} account(s) it did not make; use an empty database",
            foreign_users.len()
        )));
    }
    Ok(())
}

/// The client id of the demo's traffic generator.
const GENERATOR: &str = "demo-generator";

async fn upsert_user(
    ctx: &Context,
    role: Role,
    name: &str,
    poes: &str,
    password: &str,
) -> Result<()> {
    match users::by_username(ctx, name.to_owned()).await? {
        Some(user) => {
            let patch = UserPatch {
                password: Some(password.to_owned()),
                roles: Some(RoleSet::only(role)),
                postings: Some(Postings::parse(&[poes.to_owned()])?),
                active: Some(true),
                // Demo accounts are the demo's own, printed for whoever runs it.
                password_chosen_by_owner: true,
            };
            users::update(ctx, Actor::command_line(), user.id, patch).await?;
        }
        None => {
            let mut user = NewUser::parse(
                name,
                password,
                &[role.as_str().to_owned()],
                &[poes.to_owned()],
                true,
            )
            .map_err(Error::from)?;
            user.password_change_required = false;
            users::create(ctx, Actor::command_line(), user).await?;
        }
    }
    Ok(())
}
