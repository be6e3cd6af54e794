//! Which directory a run may write into. A new directory, or one that holds this run's own
//! interrupted attempt, is taken without a word; everything else is refused unless `--force`,
//! naming what the directory holds:
//!
//! - a directory with a checkpoint (`.nash-checkpoint/key.json`) holds an interrupted run (or
//!   shard, or merge): the same command resumes it, and `Checkpoint::open` refuses another run's
//!   checkpoint, naming the values that differ;
//! - a shard directory (`shard.json`) is resumed only as the same shard: another shard, another
//!   split or an unsharded run is refused, as is a shard run into an unsharded run's
//!   interrupted directory;
//! - otherwise any result file (trials.parquet, manifest.json, protocol.yaml, …) means a
//!   finished run, which only `--force` replaces (once the new run has finished).

use std::path::Path;

use anyhow::{Result, bail};

use crate::checkpoint;
use crate::run_dir::{self, RunDir};
use crate::shard::{self, Shard};

/// Locks `out` for a run (of `shard`, if given), or refuses it, as the module says.
pub fn claim(out: &Path, force: bool, shard: Option<Shard>) -> Result<RunDir> {
    let dir = RunDir::create(out)?;
    if force {
        return Ok(dir);
    }
    let record = match out.join(shard::RECORD).exists() {
        true => Some(shard::read_record(out)?.shard),
        false => None,
    };
    let interrupted = out.join(checkpoint::DIR).join(checkpoint::KEY).exists();
    let at = out.display();
    match (shard, record) {
        (Some(now), Some(then)) if now != then => bail!(
            "{at}: holds shard {}/{} of a run, not shard {}/{}; give shard {}/{} its own --out, \
             or pass --force to replace this one",
            then.index,
            then.count,
            now.index,
            now.count,
            now.index,
            now.count
        ),
        (None, Some(then)) => bail!(
            "{at}: holds shard {}/{} of a run; resume it with --shard {}/{}, join the shards \
             with `nash merge`, or choose another --out",
            then.index,
            then.count,
            then.index,
            then.count
        ),
        (Some(_), Some(_)) => Ok(dir),
        // A shard killed before it recorded itself has no chunk done yet.
        (Some(_), None) if interrupted && checkpoint::chunks_done(out) > 0 => bail!(
            "{at}: holds an interrupted run that is not sharded; resume it without --shard, or \
             choose another --out"
        ),
        (_, None) if interrupted => Ok(dir),
        _ => match run_dir::existing_result(out) {
            Some(existing) => bail!(
                "{at}: already holds results ({existing}); choose another --out, or pass \
                 --force to replace them once the new run has finished"
            ),
            None => Ok(dir),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("nash-claim-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn refusal(out: &Path, shard: Option<Shard>) -> String {
        claim(out, false, shard).err().unwrap().to_string()
    }

    const ONE_OF_TWO: Option<Shard> = Some(Shard { index: 1, count: 2 });

    #[test]
    fn finished_results_are_refused_unless_forced() {
        let dir = scratch("finished");
        claim(&dir, false, None).unwrap();
        std::fs::write(dir.join("trials.parquet"), b"x").unwrap();
        let e = refusal(&dir, None);
        assert!(e.contains("already holds results (trials.parquet)"), "{e}");
        claim(&dir, true, None).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_interrupted_run_is_taken_and_a_shard_only_as_itself() {
        let dir = scratch("interrupted");
        let checkpoint = dir.join(checkpoint::DIR);
        std::fs::create_dir_all(&checkpoint).unwrap();
        std::fs::write(checkpoint.join(checkpoint::KEY), b"{}").unwrap();
        // No chunk done yet: a shard killed before it recorded itself, or a run.
        claim(&dir, false, None).unwrap();
        claim(&dir, false, ONE_OF_TWO).unwrap();
        std::fs::write(checkpoint.join("trials-000000.done"), b"{}").unwrap();
        claim(&dir, false, None).unwrap();
        let e = refusal(&dir, ONE_OF_TWO);
        assert!(
            e.contains("holds an interrupted run that is not sharded"),
            "{e}"
        );

        // The same directory as shard 1/2's, with its protocol.yaml.
        std::fs::write(dir.join("protocol.yaml"), b"x").unwrap();
        let record = serde_json::json!({
            "shard": { "index": 1, "count": 2 }, "stage": "trials", "chunks": [0],
            "key": { "values": [], "stages": [], "chunk": 256 },
            "replicates": null, "images": null
        });
        std::fs::write(dir.join(shard::RECORD), record.to_string()).unwrap();
        claim(&dir, false, ONE_OF_TWO).unwrap();
        let e = refusal(&dir, Some(Shard { index: 0, count: 2 }));
        assert!(e.contains("holds shard 1/2 of a run, not shard 0/2"), "{e}");
        let e = refusal(&dir, Some(Shard { index: 1, count: 3 }));
        assert!(e.contains("not shard 1/3"), "{e}");
        let e = refusal(&dir, None);
        assert!(e.contains("resume it with --shard 1/2"), "{e}");
        claim(&dir, true, None).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
