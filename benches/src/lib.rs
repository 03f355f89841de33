//! # marshal-benches
//!
//! The engine's benchmarks: criterion groups under `benches/` (run with
//! `cargo bench -p marshal-benches`) and the report binary (`--bin report`),
//! the project's main command, which runs a short fixed suite with every
//! baseline in the same run and prints one table.
#![warn(missing_docs)]

pub mod corpus;
pub mod measure;
pub mod suite;
pub mod suite_ole;
pub mod suite_strings;
pub mod suite_structs;
