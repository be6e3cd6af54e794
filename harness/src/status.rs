//! `nash status DIR`: how far a run has got, read from what it leaves on disk — a finished
//! run's manifest, an unfinished run's checkpoint markers (progress per stage, whether a
//! process holds the directory, the time left), a shard's record, or a `nash slurm`
//! directory's shards before their merge.

use std::path::Path;

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
        if !manifest_path.exists() && run_dir.join(crate::slurm::SHARDS).is_dir() {
            return slurm_status(run_dir);
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
            (false, None) => interrupted(run_dir),
        };
        return Ok(format!(
            "shard {}/{}: {done} of its {} chunks of {} done\n{state}",
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
        None => interrupted(run_dir),
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

/// What to do about an interrupted run, shard or merge: the command that wrote its
/// checkpoint, which resumes it.
fn interrupted(run_dir: &Path) -> String {
    let here = std::env::current_dir().unwrap_or_default();
    match checkpoint::recorded_command(run_dir) {
        Some(command) => format!(
            "interrupted: resume it with the same command: {}",
            command.shell_line(&here)
        ),
        None => "interrupted: run the same `nash run` command to resume".to_string(),
    }
}

/// A `nash slurm` run directory before its merge: each shard's progress, and the commands
/// that resubmit the shards that did not finish, then the merge.
fn slurm_status(run_dir: &Path) -> Result<String> {
    let script = run_dir.join("slurm").join("shards.sbatch");
    let count = crate::slurm::array_size(&script)?;
    let mut lines = vec!["not merged yet".to_string()];
    let mut unfinished = Vec::new();
    for index in 0..count {
        let dir = run_dir.join(crate::slurm::SHARDS).join(index.to_string());
        let text = match status(&dir) {
            Ok(text) => text,
            Err(_) if !dir.join(checkpoint::DIR).exists() => format!(
                "not started (its array task is pending, or ended before it began: see {})",
                run_dir
                    .join("slurm")
                    .join(format!("shard-{index}.log"))
                    .display()
            ),
            Err(e) => format!("{e:#}"),
        };
        let finished = shard::read_record(&dir).is_ok_and(|r| r.finished);
        if !finished && run_dir::holder(&dir).is_none() {
            unfinished.push(index.to_string());
        }
        lines.push(format!(
            "{}:\n  {}",
            dir.display(),
            text.replace('\n', "\n  ")
        ));
    }
    let slurm = run_dir.join("slurm");
    let merge = checkpoint::shell_quote(&slurm.join("merge.sbatch").display().to_string());
    lines.push(match unfinished.is_empty() {
        true => format!(
            "every shard has finished or is running; if the merge job is no longer queued \
             (squeue), merge with: sbatch {merge}"
        ),
        false => format!(
            "if these shards' jobs are no longer queued (squeue), resubmit them, then the merge \
             (Slurm cancelled the first when a shard failed):\n  jid=$(sbatch --parsable \
             --array={} {}) && sbatch {} {merge}",
            unfinished.join(","),
            checkpoint::shell_quote(&slurm.join("shards.sbatch").display().to_string()),
            crate::slurm::merge_after("$jid").join(" ")
        ),
    });
    Ok(lines.join("\n"))
}
