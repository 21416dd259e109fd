//! crossings: the national record of every border crossing of the Kingdom of Lesotho.
//!
//! Layers, arrows pointing inward: [`http`] → [`domain`] ← [`store`]; [`auth`] turns
//! credentials into principals; [`service`] holds work that needs all three; [`startup`] wires
//! them together; [`cli`] is the binary.

pub mod auth;
pub mod cli;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod service;
pub mod startup;
pub mod store;
pub mod synthetic;
pub mod telemetry;
