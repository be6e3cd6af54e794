//! The nash harness: protocols, seeding, the runners, the Parquet sinks and the CLI commands.

pub mod estimation;
pub mod faults;
pub mod protocol;
pub mod run_dir;
pub mod runner;
pub mod search;
pub mod seeding;
pub mod sink;
pub mod timestamp;
