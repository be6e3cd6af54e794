//! `nash slurm` on a real Slurm: Debian's slurm-wlm with slurmctld and slurmd on this host
//! (`.ci/start-slurm`, run by `just test`). nb201-search is submitted as an array of 4 shards
//! and a merge job held by `--dependency=afterok`; the merged files equal a local run's. And a
//! shard killed inside its job is resubmitted as the README says (the merge job cancelled by
//! Slurm, then submitted again): the merged files equal a local run's too.

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

fn check_slurm_answers() {
    let answers = Command::new("sinfo").arg("-h").output();
    assert!(
        answers.as_ref().is_ok_and(|o| o.status.success()),
        "Slurm does not answer (sinfo: {answers:?}); `bash .ci/start-slurm` starts it"
    );
}

/// Waits until `done()` holds, at most 10 minutes.
fn wait_for(what: &str, out: &Path, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "no {what} after 10 minutes:\n{}",
            diagnostics(out)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether Slurm still knows job `id` as pending or running.
fn queued(id: &str) -> bool {
    let out = Command::new("squeue")
        .args(["-h", "-j", id, "-o", "%T"])
        .output()
        .unwrap();
    let states = String::from_utf8_lossy(&out.stdout);
    states
        .lines()
        .any(|s| ["PENDING", "RUNNING", "CONFIGURING"].contains(&s.trim()))
}

/// The README's "On Slurm" recovery, run as written: shard 1 of 2 is killed (`kill -9` of its
/// `nash run`, found by the pid in its lock file) after its first chunk; Slurm cancels the
/// merge job, whose dependency can no longer be met; `nash status` lists the shard as
/// interrupted and prints the resubmission; the README's `sbatch --array=1
/// DIR/slurm/shards.sbatch` resumes the shard from its checkpoint, and `sbatch
/// DIR/slurm/merge.sbatch` merges: trials.parquet equals the unsharded run's.
#[test]
fn a_shard_killed_in_its_job_resumes_when_resubmitted_as_the_readme_says() {
    check_slurm_answers();
    let dir = scratch("slurm-resubmit");
    let protocol = repo("protocols/nb201-search.yaml");
    let local = dir.join("local");
    let ran = nash(&["run", &protocol, "--out", local.to_str().unwrap()]);
    assert!(ran.status.success(), "{}", stderr(&ran));

    let out = dir.join("on-slurm");
    let o = out.to_str().unwrap();
    let submitted = nash(&["slurm", &protocol, "--shards", "2", "--out", o]);
    assert!(submitted.status.success(), "{}", stderr(&submitted));
    let said = stderr(&submitted);
    let merge_job = said
        .split("the merge as job ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no merge job id in: {said}"))
        .to_string();
    let shard = out.join("shards/1");
    let checkpoint = shard.join(nash::checkpoint::DIR);
    let first_chunk = || {
        std::fs::read_dir(&checkpoint).is_ok_and(|d| {
            d.flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "done"))
        })
    };
    wait_for("first chunk of shard 1", &out, first_chunk);
    let pid = std::fs::read_to_string(shard.join(".nash.lock")).unwrap();
    let killed = Command::new("kill")
        .args(["-9", pid.trim()])
        .status()
        .unwrap();
    assert!(killed.success(), "kill -9 {pid}");
    // Shard 0 finishes; the merge job is cancelled, not left pending for ever.
    let shard0_finished = || {
        std::fs::read_to_string(out.join("shards/0/shard.json"))
            .is_ok_and(|t| t.contains("\"finished\": true"))
    };
    wait_for("finished shard 0", &out, shard0_finished);
    wait_for("cancelled merge job", &out, || !queued(&merge_job));
    assert!(!out.join("manifest.json").exists(), "{}", diagnostics(&out));

    let status = nash(&["status", o]);
    let text = String::from_utf8_lossy(&status.stdout).into_owned();
    assert!(
        text.contains("shard 0/2: 9 of its 9 chunks of trials done\n  finished"),
        "{text}"
    );
    assert!(
        text.contains("interrupted: resume it with the same command: "),
        "{text}"
    );
    let slurm = out.join("slurm");
    let resubmit = format!(
        "jid=$(sbatch --parsable --array=1 {}) && sbatch --dependency=afterok:$jid \
         --kill-on-invalid-dep=yes {}",
        slurm.join("shards.sbatch").display(),
        slurm.join("merge.sbatch").display()
    );
    assert!(text.contains(&resubmit), "{text}");

    // The README: `sbatch --array=I DIR/slurm/shards.sbatch`, then `sbatch
    // DIR/slurm/merge.sbatch` once all shards are done.
    let script = slurm.join("shards.sbatch");
    let again = Command::new("sbatch")
        .args(["--array=1", script.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", stderr(&again));
    let shard1_finished = || {
        std::fs::read_to_string(shard.join("shard.json"))
            .is_ok_and(|t| t.contains("\"finished\": true"))
    };
    wait_for("resubmitted shard 1", &out, shard1_finished);
    let log = std::fs::read_to_string(slurm.join("shard-1.log")).unwrap();
    assert!(log.contains("resuming an interrupted run: "), "{log}");
    let merge = Command::new("sbatch")
        .arg(slurm.join("merge.sbatch"))
        .output()
        .unwrap();
    assert!(merge.status.success(), "{}", stderr(&merge));
    wait_for("merged run", &out, || out.join("report.md").exists());
    assert_eq!(
        sha256(&local.join("trials.parquet")),
        sha256(&out.join("trials.parquet")),
        "trials.parquet differs:\n{}",
        diagnostics(&out)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn nb201_search_as_4_slurm_shards_equals_a_local_run() {
    check_slurm_answers();
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
