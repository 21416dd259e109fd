//! Black-box HTTP tests: a real server, a real database, each test on SQLite and PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a panic is a test failure"
)]

mod helpers;

mod access;
mod agencies;
mod alerts;
mod audit;
mod auth;
mod data_protection;
mod errors;
mod group_commit;
mod health;
mod movements;
mod nodes;
mod openapi;
mod operations;
mod partitions;
mod poe_systems;
mod poes;
mod recording_answers;
mod security;
mod stats;
mod stats_dashboard;
mod users;
