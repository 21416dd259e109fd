//! crossings: the national record of every border crossing of the Kingdom of Lesotho.
//!
//! Layers, arrows pointing inward (ARCHITECTURE.md): [`http`] parses requests, calls one
//! [`service`] function and shapes the answer; [`service`] holds every use case (transaction,
//! access per object, audit); [`domain`] is the rules in plain Rust; [`store`] is the SQL;
//! [`auth`] is the credential machinery. [`app`] is the state handlers reach, [`startup`]
//! wires it all together, [`cli`] is the binary.

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod domain;
pub mod edge;
pub mod error;
pub mod hq;
pub mod http;
pub mod net;
pub mod service;
pub mod startup;
pub mod store;
pub mod synthetic;
pub mod telemetry;
