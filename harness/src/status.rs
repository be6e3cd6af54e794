//! `nash status DIR`: how far a run has got, read from what it leaves on disk — a finished
//! run's manifest, an unfinished run's checkpoint markers (progress per stage, whether a
//! process holds the directory, the time left), a shard's record, or a `nash slurm`
//! directory's shards before their merge.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::checkpoint::{self, ChunkDone, RunKey};
use crate::{run_dir, shard};

/// What `nash status` prints for a run directory: a finished run's trial counts, or an
/// unfinished run's progress per stage, whether a process is running it, and an estimate of
/// the time left (the mean time of its finished chunks, times the chunks left).
pub fn status(run_dir: &Path) -> Result<String> {
    let manifest_path = run_dir.join(reports::records::manifest::FILE);
    let key_path = run_dir.join(checkpoint::DIR).join(checkpoint::KEY);
    if !key_path.exists() {
        let shards = run_dir.join(crate::slurm::SHARDS);
        if !manifest_path.exists() && shards.is_dir() {
            // A `nash slurm` run directory, before its merge: each shard's progress.
            let mut dirs: Vec<PathBuf> = std::fs::read_dir(&shards)
                .with_context(|| format!("{}: cannot read", shards.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            dirs.sort_by_key(|d| {
                d.file_name()
                    .and_then(|n| n.to_str()?.parse::<usize>().ok())
            });
            let lines: Vec<String> = dirs
                .iter()
                .map(|d| match status(d) {
                    Ok(text) => format!("{}:\n  {}", d.display(), text.replace('\n', "\n  ")),
                    Err(e) => format!("{}: {e:#}", d.display()),
                })
                .collect();
            if lines.is_empty() {
                return Ok("not merged yet; no shard has started".into());
            }
            return Ok(format!("not merged yet\n{}", lines.join("\n")));
        }
        if !manifest_path.exists() {
            bail!("{}: no run has started here", run_dir.display());
        }
        let manifest = reports::records::manifest::Manifest::read(run_dir)?;
        return Ok(format!(
            "finished: {} of {} trials, {} failed, in {:.1} s",
            manifest.trials, manifest.trials, manifest.failed_trials, manifest.wall_seconds
        ));
    }
    let text = std::fs::read_to_string(&key_path)
        .with_context(|| format!("{}: cannot read", key_path.display()))?;
    let key: RunKey =
        serde_json::from_str(&text).with_context(|| format!("{}: damaged", key_path.display()))?;
    let dir = run_dir.join(checkpoint::DIR);
    let paths = checkpoint::Paths { dir: &dir };
    if run_dir.join(shard::RECORD).exists() {
        let record = shard::read_record(run_dir)?;
        let done =
            record.chunks.len() - checkpoint::missing(run_dir, &record.stage, &record.chunks);
        let state = match (record.finished, run_dir::holder(run_dir)) {
            (true, _) => "finished".to_string(),
            (false, Some(pid)) => format!("running (pid {pid})"),
            (false, None) => "interrupted: run the same command to resume".to_string(),
        };
        return Ok(format!(
            "shard {}/{}: {done} of its {} chunks of {} done; {state}",
            record.shard.index,
            record.shard.count,
            record.chunks.len(),
            record.stage
        ));
    }
    let mut lines = Vec::new();
    let (mut left, mut spent, mut chunks) = (0usize, 0.0, 0usize);
    for (stage, items) in &key.stages {
        let (mut done, mut failed) = (0u64, 0u64);
        for index in 0..(*items as usize).div_ceil(key.chunk) {
            let marker = std::fs::read(paths.done(stage, index)).ok();
            match marker.and_then(|bytes| serde_json::from_slice::<ChunkDone>(&bytes).ok()) {
                Some(chunk) => {
                    done += chunk.trials;
                    failed += chunk.failed;
                    spent += chunk.seconds;
                    chunks += 1;
                }
                None => left += 1,
            }
        }
        let what = if stage == "proxies" {
            "networks"
        } else {
            "trials"
        };
        lines.push(format!(
            "{stage}: {done} of {items} {what} done, {failed} failed"
        ));
    }
    lines.push(match run_dir::holder(run_dir) {
        Some(pid) => format!("running (pid {pid})"),
        None => "interrupted: run the same `nash run` command to resume".to_string(),
    });
    lines.push(match chunks {
        0 => "time left: unknown until a chunk finishes".to_string(),
        _ => format!(
            "time left: about {:.0} s ({left} chunks of {} at {:.1} s each)",
            left as f64 * spent / chunks as f64,
            key.chunk,
            spent / chunks as f64
        ),
    });
    Ok(lines.join("\n"))
}
