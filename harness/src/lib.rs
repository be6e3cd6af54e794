//! The nash harness: protocols, seeding, the runners, the run directory and the CLI commands.

pub mod checkpoint;
pub mod estimation;
pub mod faults;
pub mod protocol;
pub mod run_dir;
pub mod runner;
pub mod search;
pub mod seeding;
pub mod timestamp;

use anyhow::Result;
use datasets::Cache;
use reports::records::manifest::Manifest;

use crate::protocol::Protocol;
use crate::runner::RunOptions;

/// Runs a protocol of any kind to completion, writes its report and returns its manifest.
/// The output directory stays locked until the report is written.
pub fn run(protocol: &Protocol, cache: &Cache, opts: &RunOptions) -> Result<Manifest> {
    let finished = match protocol {
        Protocol::Search(p) => search::run(p, cache, opts)?,
        Protocol::Estimation(p) => estimation::run(p, cache, opts)?,
    };
    reports::report(finished.dir.path())?;
    Ok(finished.manifest)
}
