//! Application services: the work of one request that needs the domain rules, the caller and
//! the database together, shared by the HTTP handlers and the command line.

pub mod demo;
pub mod movements;
pub mod registry;
pub mod stats;
pub mod watchlist;
