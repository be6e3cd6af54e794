//! The nash harness: protocols, seeding, the runner, the Parquet sink and the CLI commands.

pub mod protocol;
pub mod runner;
pub mod seeding;
pub mod sink;
pub mod timestamp;
