//! # marshal-conformance
//!
//! Checks the engine against golden vector files (the formats of
//! `conformance/vectors/README.md`): every line is rebuilt from its own fields,
//! evaluated by the family it belongs to, and compared with the recorded result
//! under its verdict.
#![warn(missing_docs)]

pub mod abi;
pub mod families;
pub mod oracle_value;
pub mod outcome;
pub mod runner;

pub use outcome::Outcome;
