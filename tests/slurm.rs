//! `nash slurm` on a real Slurm: Debian's slurm-wlm with slurmctld and slurmd on this host
//! (`.ci/start-slurm`, run by `just test`). nb201-search is submitted as an array of 4 shards
//! and a merge job held by `--dependency=afterok`; the merged files equal a local run's.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{nash, repo, scratch, stderr};

fn sha256(path: &Path) -> String {
    datasets::files::sha256_file(path).unwrap().1
}

/// What `sacct`-less Slurm can tell about the run: the queue and the logs.
fn diagnostics(out: &Path) -> String {
    let queue = Command::new("squeue").arg("-a").output();
    let mut text = match queue {
        Ok(q) => String::from_utf8_lossy(&q.stdout).into_owned(),
        Err(e) => format!("squeue: {e}\n"),
    };
    if let Ok(entries) = std::fs::read_dir(out.join("slurm")) {
        for entry in entries.flatten() {
            if entry.path().extension().is_some_and(|e| e == "log") {
                let log = std::fs::read_to_string(entry.path()).unwrap_or_default();
                text += &format!("--- {}\n{log}", entry.path().display());
            }
        }
    }
    text
}

#[test]
fn nb201_search_as_4_slurm_shards_equals_a_local_run() {
    let answers = Command::new("sinfo").arg("-h").output();
    assert!(
        answers.as_ref().is_ok_and(|o| o.status.success()),
        "Slurm does not answer (sinfo: {answers:?}); `bash .ci/start-slurm` starts it"
    );
    let dir = scratch("slurm");
    let protocol = repo("protocols/nb201-search.yaml");
    let local = dir.join("local");
    let ran = nash(&["run", &protocol, "--out", local.to_str().unwrap()]);
    assert!(ran.status.success(), "{}", stderr(&ran));

    let out = dir.join("on-slurm");
    let started = Instant::now();
    let submitted = nash(&[
        "slurm",
        &protocol,
        "--shards",
        "4",
        "--out",
        out.to_str().unwrap(),
        "--time",
        "10:00",
        "--mem",
        "1G",
    ]);
    assert!(submitted.status.success(), "{}", stderr(&submitted));
    assert!(stderr(&submitted).contains("submitted shards as array job"));
    let script = std::fs::read_to_string(out.join("slurm/shards.sbatch")).unwrap();
    assert!(script.contains("#SBATCH --array=0-3"), "{script}");
    let merge = std::fs::read_to_string(out.join("slurm/merge.sbatch")).unwrap();
    assert!(merge.contains(" merge "), "{merge}");

    while !out.join("manifest.json").exists() {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "no merged run after 10 minutes:\n{}",
            diagnostics(&out)
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    eprintln!(
        "4 shards on Slurm and their merge: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    for shard in 0..4 {
        let shard_dir = out.join("shards").join(shard.to_string());
        assert!(
            shard_dir.join("shard.json").exists(),
            "{}",
            diagnostics(&out)
        );
    }
    assert_eq!(
        sha256(&local.join("trials.parquet")),
        sha256(&out.join("trials.parquet")),
        "trials.parquet differs:\n{}",
        diagnostics(&out)
    );
    let status = nash(&["status", out.to_str().unwrap()]);
    assert!(status.status.success(), "{}", stderr(&status));
    std::fs::remove_dir_all(&dir).unwrap();
}
