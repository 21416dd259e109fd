//! Domain rules in plain Rust: no actix, no diesel. A value of these types that exists is
//! valid.

pub mod audit;
pub mod codes;
pub mod declaration;
pub mod edge;
pub mod movement;
pub mod mrz;
pub mod names;
pub mod paging;
pub mod poe;
pub mod retention;
pub mod schemas;
pub mod search;
pub mod stats;
pub mod stays;
pub mod time;
pub mod timeline;
pub mod traveller;
pub mod user;
pub mod validation;
pub mod watchlist;
