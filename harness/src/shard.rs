//! Shards: a run's chunks split over N independent processes (machines, Slurm array tasks),
//! each leaving a shard directory that `nash merge` (`merge.rs`) joins, so that the result
//! files are byte-identical to an unsharded run's.
//!
//! `nash run P --shard I/N --out DIR` runs the chunks of shard I (0 ≤ I < N) of the run's
//! first stage — the trials, or for an estimation protocol with zero-cost proxies the proxy
//! networks, which are nearly all of its time — and leaves in DIR its checkpoint, the
//! protocol and `shard.json`. Chunks go to shards by expected cost: from the most to the
//! least expensive, each to the shard with the least cost so far (ties to the lower index),
//! a deterministic split that every shard computes alike.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::checkpoint::{Checkpoint, RunKey};
use crate::run_dir::{self, RunDir};

/// A shard directory's record.
pub const RECORD: &str = "shard.json";

/// The most shards a run may be split into.
pub(crate) const MAX_SHARDS: usize = 10_000;

/// Shard `index` of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Reads `I/N`.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("--shard must be I/N with 0 <= I < N <= {MAX_SHARDS}, got '{text}'");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) = (i.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
        match (1..=MAX_SHARDS).contains(&count) && index < count {
            true => Ok(Shard { index, count }),
            false => Err(bad()),
        }
    }

    /// Which chunks this shard runs, given every chunk's expected cost.
    pub fn chunks(&self, costs: &[f64]) -> Vec<bool> {
        let mut order: Vec<usize> = (0..costs.len()).collect();
        order.sort_by(|&a, &b| costs[b].total_cmp(&costs[a]).then(a.cmp(&b)));
        let mut load = vec![0.0f64; self.count];
        let mut mine = vec![false; costs.len()];
        for chunk in order {
            let lightest = (0..self.count)
                .min_by(|&a, &b| load[a].total_cmp(&load[b]).then(a.cmp(&b)))
                .expect("at least one shard");
            load[lightest] += costs[chunk];
            mine[chunk] = lightest == self.index;
        }
        mine
    }
}

/// What a shard directory holds besides its checkpoint: which shard of which run, and the
/// options `nash merge` must repeat.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardRecord {
    pub shard: Shard,
    /// The stage whose chunks the shard ran, and their indices.
    pub stage: String,
    pub chunks: Vec<usize>,
    pub key: RunKey,
    pub replicates: Option<u32>,
    /// An estimation protocol's image source, as `--images` reads it.
    pub images: Option<String>,
    /// Whether the shard ran all its chunks (the record is written when it starts, for
    /// `nash status`, and again when it ends).
    #[serde(default)]
    pub finished: bool,
}

/// A finished shard.
pub struct ShardDone {
    pub shard: Shard,
    pub chunks: usize,
    pub dir: PathBuf,
}

/// Records a starting shard in its directory: which chunks it runs, and the protocol.
pub(crate) fn begin(dir: &RunDir, record: &ShardRecord, protocol_text: &str) -> Result<()> {
    run_dir::write_file(&dir.path().join("protocol.yaml"), protocol_text.as_bytes())?;
    write_record(dir.path(), record)
}

/// Records a finished shard: its checkpoint stays, for `nash merge`.
pub(crate) fn finish(
    dir: RunDir,
    checkpoint: Checkpoint,
    record: &mut ShardRecord,
) -> Result<ShardDone> {
    checkpoint.close()?;
    record.finished = true;
    write_record(dir.path(), record)?;
    Ok(ShardDone {
        shard: record.shard,
        chunks: record.chunks.len(),
        dir: dir.path().to_path_buf(),
    })
}

fn write_record(dir: &Path, record: &ShardRecord) -> Result<()> {
    let json = serde_json::to_string_pretty(record).expect("the record serializes");
    run_dir::write_file(&dir.join(RECORD), json.as_bytes())
}

pub(crate) fn read_record(dir: &Path) -> Result<ShardRecord> {
    let path = dir.join(RECORD);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "{}: not a shard directory (run `nash run P --shard I/N` into it)",
            path.display()
        )
    })?;
    serde_json::from_str(&text).with_context(|| format!("{}: damaged", path.display()))
}
