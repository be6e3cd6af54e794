//! The nash harness: protocols, seeding, the runners, the run directory and the CLI commands.

pub mod catalogue;
pub mod checkpoint;
pub mod claim;
pub mod estimation;
pub mod faults;
pub mod merge;
pub mod protocol;
pub mod run_dir;
pub mod runner;
pub mod search;
pub mod seeding;
pub mod shard;
pub mod slurm;
pub mod status;
pub mod timestamp;
pub mod workers;

use anyhow::{Context, Result};
use datasets::Cache;
use reports::records::manifest::Manifest;

use crate::protocol::Protocol;
use crate::runner::{Finished, Ran, RunOptions};
use crate::shard::ShardDone;

/// How a `nash run` ended: a finished run with its manifest (its report written), or one
/// shard of a run, for `nash merge`.
pub enum Outcome {
    Finished(Box<Manifest>),
    Shard(ShardDone),
}

/// Runs a protocol of any kind to completion (or one shard of it) and writes its report.
/// The output directory stays locked until the report is written.
pub fn run(protocol: &Protocol, cache: &Cache, opts: &RunOptions) -> Result<Outcome> {
    let ran = match protocol {
        Protocol::Search(p) => search::run(p, cache, opts)?,
        Protocol::Estimation(p) => estimation::run(p, cache, opts)?,
    };
    match ran {
        Ran::Finished(finished) => {
            // The report analyses its cells in parallel: on as many threads as the run.
            rayon::ThreadPoolBuilder::new()
                .num_threads(opts.threads)
                .build()
                .context("cannot start the report's threads")?
                .install(|| reports::report(finished.dir.path()))?;
            let Finished {
                manifest,
                checkpoint,
                ..
            } = *finished;
            checkpoint.remove()?;
            Ok(Outcome::Finished(Box::new(manifest)))
        }
        Ran::Shard(done) => Ok(Outcome::Shard(done)),
    }
}
