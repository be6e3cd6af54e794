//! `nash slurm` on a real Slurm: Debian's slurm-wlm with slurmctld and slurmd on this host
//! (`.ci/start-slurm`, run by `just test`). nb201-search is submitted as an array of 4 shards
//! and a merge job held by `--dependency=afterok`; the merged files equal a local run's. And a
//! shard killed inside its job is resubmitted as docs/scaling-out.md says (the merge job cancelled by
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

/// Chunks done in the shard directory `shard`.
fn chunks_done(shard: &Path) -> usize {
    std::fs::read_dir(shard.join(nash::checkpoint::DIR)).map_or(0, |d| {
        d.flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "done"))
            .count()
    })
}

/// `kill -9` of the `nash run` writing into `shard` (its pid is in the lock file) once it
/// has more than `after` chunks done; returns the chunks done then.
fn kill_shard_after(shard: &Path, out: &Path, after: usize) -> usize {
    let started = Instant::now();
    while chunks_done(shard) <= after {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "shard {} did not pass chunk {after}:\n{}",
            shard.display(),
            diagnostics(out)
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    let pid = std::fs::read_to_string(shard.join(".nash.lock")).unwrap();
    let killed = Command::new("kill")
        .args(["-9", pid.trim()])
        .status()
        .unwrap();
    assert!(killed.success(), "kill -9 {pid}");
    chunks_done(shard)
}

fn finished_shard(shard: &Path) -> bool {
    std::fs::read_to_string(shard.join("shard.json"))
        .is_ok_and(|t| t.contains("\"finished\": true"))
}

/// The id of the merge job that `sbatch` or `nash slurm` said it submitted.
fn job_id(said: &str, after: &str) -> String {
    said.split(after)
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no job id after '{after}' in: {said}"))
        .to_string()
}

/// The guide's "On Slurm" recovery (docs/scaling-out.md), run as written. Shard 1 of 2 is killed inside its job
/// (`kill -9` of its `nash run`, by the pid in its lock file) after its first chunk: Slurm
/// cancels the merge job, whose dependency can no longer be met, and `nash status` lists the
/// shard as interrupted with the line that resubmits it and then the merge, which is run.
/// Killed again in that resubmitted job, the shard is resubmitted as the page's other
/// sentence says (`sbatch --array=1 DIR/slurm/shards.sbatch`, which resumes it from its
/// checkpoint), then `sbatch DIR/slurm/merge.sbatch`: trials.parquet equals the unsharded
/// run's.
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
    let merge_job = job_id(&stderr(&submitted), "the merge as job ");
    let shard = out.join("shards/1");
    let done = kill_shard_after(&shard, &out, 0);
    // Shard 0 finishes; the merge job is cancelled, not left pending for ever.
    wait_for("finished shard 0", &out, || {
        finished_shard(&out.join("shards/0"))
    });
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
    let again = Command::new("bash")
        .args(["-c", &resubmit])
        .output()
        .unwrap();
    assert!(again.status.success(), "{resubmit}: {}", stderr(&again));
    let merge_job = job_id(
        &String::from_utf8_lossy(&again.stdout),
        "Submitted batch job ",
    );

    // Killed again, in the resubmitted job: that merge is cancelled too.
    kill_shard_after(&shard, &out, done);
    wait_for("cancelled second merge job", &out, || !queued(&merge_job));
    assert!(!out.join("manifest.json").exists(), "{}", diagnostics(&out));
    let script = slurm.join("shards.sbatch");
    let again = Command::new("sbatch")
        .args(["--array=1", script.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", stderr(&again));
    wait_for("resubmitted shard 1", &out, || finished_shard(&shard));
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
