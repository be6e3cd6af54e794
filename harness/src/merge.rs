//! `nash merge`: joins the shard directories of one run (`shard.rs`) and finishes the run in
//! the output directory. It refuses shards that are missing, repeated, incomplete or of another
//! run (protocol, data, nash version, replicates, images), naming what differs; then it resumes
//! the run from the joined checkpoint, computing what the shards did not (an estimation
//! protocol's trials after its proxies), so the result files equal the unsharded run's. A
//! merge killed at any moment is resumed by the same command.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use datasets::Cache;

use crate::checkpoint;
use crate::faults::Faults;
use crate::protocol::Protocol;
use crate::runner::RunOptions;
use crate::shard::{Shard, read_record};

/// Joins `shards` into the run directory `out` and finishes the run there; returns what
/// `nash run` returns.
pub fn merge(
    shards: &[PathBuf],
    out: &Path,
    cache: &Cache,
    opts: RunOptions,
) -> Result<crate::Outcome> {
    let Some(first_dir) = shards.first() else {
        bail!("nash merge needs the shard directories");
    };
    let first = read_record(first_dir)?;
    let count = first.shard.count;
    let mut seen: Vec<Option<&PathBuf>> = vec![None; count];
    for dir in shards {
        let record = read_record(dir)?;
        let Shard { index, count: n } = record.shard;
        if n != count {
            bail!(
                "{}: shard {index}/{n}, from another split than {} ({}/{count})",
                dir.display(),
                first_dir.display(),
                first.shard.index
            );
        }
        if record.key != first.key {
            bail!(
                "{}: a shard of another run than {} ({})",
                dir.display(),
                first_dir.display(),
                checkpoint::differences(&first.key, &record.key, ("there", "here"))
            );
        }
        if let Some(other) = seen[index] {
            bail!(
                "{}: shard {index}/{count} again (also {})",
                dir.display(),
                other.display()
            );
        }
        seen[index] = Some(dir);
        let missing = checkpoint::missing(dir, &record.stage, &record.chunks);
        if missing > 0 {
            bail!(
                "{}: shard {index}/{count} is incomplete ({missing} of {} chunks missing); run \
                 it again with the same command, which resumes it",
                dir.display(),
                record.chunks.len()
            );
        }
    }
    if let Some(index) = seen.iter().position(Option::is_none) {
        bail!("shard {index}/{count} is missing; nash merge needs all {count}");
    }
    let text = std::fs::read_to_string(first_dir.join("protocol.yaml"))
        .with_context(|| format!("{}: cannot read", first_dir.join("protocol.yaml").display()))?;
    let mut protocol = Protocol::parse(
        &first_dir.join("protocol.yaml").display().to_string(),
        &text,
    )?;
    if let (Some(slot), Some(images)) = (protocol.images_mut(), &first.images) {
        *slot = datasets::images::ImageSource::parse(images).map_err(anyhow::Error::msg)?;
    }
    // The checkpoints are joined under the output directory's lock, released for the run.
    let locked = crate::claim::claim(out, opts.force, None)?;
    checkpoint::join(shards, out, &first.key, opts.force)?;
    drop(locked);
    let opts = RunOptions {
        out: out.to_path_buf(),
        replicates: first.replicates,
        faults: Faults::from_env()?,
        shard: None,
        merging: Some(count),
        ..opts
    };
    crate::run(&protocol, cache, &opts)
}
