//! Domain rules in plain Rust: no actix, no diesel. A value of these types that exists is
//! valid.

pub mod audit;
pub mod codes;
pub mod mrz;
pub mod poe;
pub mod user;
pub mod validation;
