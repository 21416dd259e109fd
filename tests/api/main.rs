//! Black-box HTTP tests: a real server, a real database, each test on SQLite and PostgreSQL.

mod helpers;

mod auth;
mod errors;
mod health;
mod poe_systems;
mod poes;
mod users;
