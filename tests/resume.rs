//! Long runs: a run killed with SIGKILL at many moments, resumed each time by the same
//! command, ends with result files byte-identical to an uninterrupted run's; a changed
//! protocol is refused with what differs; a damaged chunk is run again; shards merged give
//! the unsharded run's files, and bad sets of shards are refused.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{NASH, nash, scratch, stderr, trials_column, write};

const SEARCH: &str = "\
name: kill-search
kind: search
benchmark: nb201
tasks: [cifar10, cifar100, imagenet16-120]
budget: { queries: 150, cost_scale: 0.06 }
replicates: 150
workers: [1, 4]
methods:
  - random_search: {}
  - regularized_evolution: {}
  - local_search: {}
";

const ESTIMATION: &str = "\
name: kill-estimation
kind: estimation
benchmark: nb201
tasks: [cifar10]
evaluation: 200
train_sizes: [20, 100]
replicates: 150
estimators:
  - params: {}
  - ridge: {}
  - knn: { k: 5 }
";

/// Weight-sharing searches long enough to be killed in their middle: DARTS (one loop of
/// epochs), few-shot NAS (a warm-up and a loop per sub-supernet) and ENAS (a controller
/// beside the supernet).
const SUPERNET: &str = "\
name: kill-supernet
kind: search
benchmark: nb201
tasks: [cifar10]
budget: { queries: 1 }
replicates: 2
supernet_images: 400
images: noise
methods:
  - darts: { supernet: { channels: 4, input_size: 8, epochs: 12, batch: 16 } }
  - few_shot: { probe_batches: 1, candidates: 4, supernet: { channels: 4, input_size: 8, epochs: 12, batch: 16 } }
  - enas: { controller_steps: 3, candidates: 4, supernet: { channels: 4, input_size: 8, epochs: 12, batch: 16 } }
";

fn sha256(path: &Path) -> String {
    datasets::files::sha256_file(path).unwrap().1
}

/// Kills `nash run protocol --out out --force` at `kills` moments spread over the time an
/// uninterrupted run takes, then lets it finish; returns how many attempts were killed
/// before they finished.
fn kill_and_resume(protocol: &str, out: &Path, kills: usize, duration: Duration) -> usize {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut killed = 0;
    for _ in 0..kills {
        // xorshift: a fixed, spread set of moments in [0, duration).
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let at = duration.mul_f64((state % 1000) as f64 / 1000.0);
        let mut child = Command::new(NASH)
            .args(["run", protocol, "--out", out.to_str().unwrap(), "--force"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(at);
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed += 1;
        }
        child.wait().unwrap();
    }
    let out = nash(&["run", protocol, "--out", out.to_str().unwrap(), "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    killed
}

fn check_resumes_identically(name: &str, text: &str, files: &[&str]) {
    let dir = scratch(name);
    let protocol = write(&dir, "p.yaml", text);
    let reference = dir.join("reference");
    let started = Instant::now();
    let out = nash(&["run", &protocol, "--out", reference.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let duration = started.elapsed();
    let resumed = dir.join("resumed");
    let killed = kill_and_resume(&protocol, &resumed, 20, duration);
    assert!(
        killed >= 10,
        "only {killed} of 20 attempts were killed before finishing"
    );
    for file in files {
        assert_eq!(
            sha256(&reference.join(file)),
            sha256(&resumed.join(file)),
            "{name}: {file} differs after {killed} kills"
        );
    }
    eprintln!("{name}: {killed} of 20 attempts killed before finishing; files identical");
    assert!(!resumed.join(nash::checkpoint::DIR).exists());
    let status = nash(&["status", resumed.to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&status.stdout).starts_with("finished: "),
        "{}",
        stderr(&status)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_search_run_killed_20_times_resumes_to_identical_files() {
    // With simulated workers, so that their transcripts resume too.
    check_resumes_identically(
        "resume-search",
        SEARCH,
        &["trials.parquet", "workers.parquet"],
    );
}

#[test]
fn an_estimation_run_killed_20_times_resumes_to_identical_files() {
    // estimates_summary.parquet holds fit and score times, which differ between any two runs.
    check_resumes_identically("resume-estimation", ESTIMATION, &["estimates.parquet"]);
}

/// Runs `protocol` into `out`, killed as soon as a weight-sharing trial has saved its first
/// round, then again to the end; returns the second run's stderr.
fn kill_at_first_snapshot(protocol: &str, out: &Path) -> String {
    let snapshots = out.join(nash::checkpoint::DIR).join("snapshots");
    let mut child = Command::new(NASH)
        .args(["run", protocol, "--out", out.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let saved = || std::fs::read_dir(&snapshots).is_ok_and(|mut d| d.next().is_some());
    while !saved() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before any snapshot"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let run = nash(&["run", protocol, "--out", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(!out.join(nash::checkpoint::DIR).exists());
    stderr(&run)
}

/// Runs killed while their supernets train resume each from its last saved round (said on
/// stderr): the searches find the architectures an uninterrupted run finds (and so do two
/// shards merged), and the one-shot estimator's scores are byte-identical.
#[test]
fn supernet_trials_killed_in_their_middle_resume_from_their_last_round() {
    let dir = scratch("resume-supernet");
    // `text` run whole, and killed at its first snapshot then resumed (which it says).
    let reference_and_resumed = |name: &str, text: &str| {
        let protocol = write(&dir, &format!("{name}.yaml"), text);
        let reference = dir.join(format!("{name}-reference"));
        let out = nash(&["run", &protocol, "--out", reference.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
        let resumed = dir.join(format!("{name}-resumed"));
        let said = kill_at_first_snapshot(&protocol, &resumed);
        let resuming = "resuming a supernet search (rounds done per loop: ";
        assert!(said.contains(resuming), "{said}");
        (reference, resumed)
    };
    let (reference, resumed) = reference_and_resumed("search", SUPERNET);
    // The run split in two shards (whose checkpoints keep their snapshots) and merged, too.
    let shards = run_shards(&dir.join("search.yaml").display().to_string(), &dir, "s", 2);
    let merged = dir.join("merged");
    let out = merge(&shards, &merged);
    assert!(out.status.success(), "{}", stderr(&out));
    let trials = |run: &Path, col: &str| trials_column(&run.join("trials.parquet"), col);
    for col in ["arch_id", "value"] {
        assert_eq!(trials(&reference, col), trials(&resumed, col), "{col}");
        assert_eq!(
            trials(&reference, col),
            trials(&merged, col),
            "merged {col}"
        );
    }
    let estimation = SUPERNET
        .split("methods:")
        .next()
        .unwrap()
        .replace("kind: search", "kind: estimation")
        .replace("budget: { queries: 1 }", "evaluation: 20")
        + "estimators:\n  - one_shot: { supernet: { channels: 4, input_size: 8, epochs: 12, \
           batch: 16 } }\n";
    let (reference, resumed) = reference_and_resumed("estimation", &estimation);
    assert_eq!(
        sha256(&reference.join("estimates.parquet")),
        sha256(&resumed.join("estimates.parquet"))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A run stopped part-way: `nash status` shows its progress; a changed protocol is refused,
/// naming what differs; a damaged chunk is run again with a warning; the resumed run's
/// manifest and report say that it resumed.
#[test]
fn an_interrupted_run_reports_its_progress_and_refuses_a_changed_protocol() {
    let dir = scratch("resume-checks");
    let protocol = write(&dir, "p.yaml", SEARCH);
    let out = dir.join("run");
    let o = out.to_str().unwrap();
    // Stop the run as soon as its second chunk is persisted.
    let mut child = Command::new(NASH)
        .args(["run", &protocol, "--out", o])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let second = out.join(nash::checkpoint::DIR).join("trials-000001.done");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !second.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let status = nash(&["status", o]);
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(text.contains(" of 2700 trials done, 0 failed"), "{text}");
    assert!(
        text.contains("interrupted: run the same `nash run` command"),
        "{text}"
    );
    assert!(text.contains("time left: about"), "{text}");

    let changed = write(
        &dir,
        "changed.yaml",
        &SEARCH.replace("replicates: 150", "replicates: 149"),
    );
    let refused = nash(&["run", &changed, "--out", o]);
    assert_eq!(refused.status.code(), Some(2));
    let err = stderr(&refused);
    assert!(
        err.contains("holds an interrupted run that differs from this one (protocol sha256:"),
        "{err}"
    );
    assert!(err.contains("replicates: 150 then, 149 now"), "{err}");

    // A damaged part: that chunk runs again.
    let part = out
        .join(nash::checkpoint::DIR)
        .join("trials-000000-0.arrow");
    std::fs::write(&part, b"not arrow").unwrap();
    let resumed = nash(&["run", &protocol, "--out", o]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let err = stderr(&resumed);
    assert!(err.contains("resuming an interrupted run"), "{err}");
    assert!(err.contains("running chunk 0 of trials again"), "{err}");
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"chunks_reused\""), "{manifest}");
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("came from a checkpoint"), "{report}");
    let reference = dir.join("reference");
    let clean = nash(&["run", &protocol, "--out", reference.to_str().unwrap()]);
    assert!(clean.status.success());
    assert_eq!(
        sha256(&reference.join("trials.parquet")),
        sha256(&out.join("trials.parquet"))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Runs shard i of n of `protocol` into `dir/{prefix}{i}` for every i; returns the
/// directories.
fn run_shards(protocol: &str, dir: &Path, prefix: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let out = dir.join(format!("{prefix}{i}")).display().to_string();
            let shard = format!("{i}/{n}");
            let ran = nash(&["run", protocol, "--shard", &shard, "--out", &out]);
            assert!(ran.status.success(), "{shard}: {}", stderr(&ran));
            assert!(stderr(&ran).contains(&format!("shard {shard}: ")));
            out
        })
        .collect()
}

fn merge(shards: &[String], out: &Path) -> std::process::Output {
    let mut args = vec!["merge"];
    args.extend(shards.iter().map(String::as_str));
    args.extend(["--out", out.to_str().unwrap()]);
    nash(&args)
}

/// 1, 3 and 7 shards of a search run and 3 of an estimation run, merged, give the files of
/// the unsharded run.
#[test]
fn merged_shards_equal_the_unsharded_run() {
    let dir = scratch("shards");
    for (name, text, files, counts) in [
        (
            "search",
            SEARCH,
            &["trials.parquet", "workers.parquet"][..],
            &[1usize, 3, 7][..],
        ),
        (
            "estimation",
            ESTIMATION,
            &["estimates.parquet"][..],
            &[3][..],
        ),
    ] {
        let protocol = write(&dir, &format!("{name}.yaml"), text);
        let reference = dir.join(format!("{name}-reference"));
        let out = nash(&["run", &protocol, "--out", reference.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
        for &n in counts {
            let shards = run_shards(&protocol, &dir, &format!("{name}-{n}-"), n);
            let merged = dir.join(format!("{name}-merged-{n}"));
            let out = merge(&shards, &merged);
            assert!(out.status.success(), "{name} {n}: {}", stderr(&out));
            for file in files {
                assert_eq!(
                    sha256(&reference.join(file)),
                    sha256(&merged.join(file)),
                    "{name}: {n} shards merged: {file} differs from the unsharded run"
                );
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `nash merge` refuses a missing, repeated or incomplete shard, shards of another split,
/// and shards of another protocol, naming what is wrong.
#[test]
fn merge_refuses_missing_repeated_incomplete_or_foreign_shards() {
    let dir = scratch("merge-refusals");
    let protocol = write(&dir, "p.yaml", SEARCH);
    let three = run_shards(&protocol, &dir, "a", 3);
    let two = run_shards(&protocol, &dir, "b", 2);
    let other = write(
        &dir,
        "other.yaml",
        &SEARCH.replace("replicates: 150", "replicates: 149"),
    );
    let foreign = run_shards(&other, &dir, "c", 3);
    let out = dir.join("merged");
    let refused = |shards: Vec<String>, expected: &str| {
        let result = merge(&shards, &out);
        assert_eq!(result.status.code(), Some(2), "{shards:?}");
        let err = stderr(&result);
        assert!(err.contains(expected), "{shards:?}: {err}");
    };
    refused(
        three[..2].to_vec(),
        "shard 2/3 is missing; nash merge needs all 3",
    );
    refused(
        vec![three[0].clone(), three[1].clone(), three[1].clone()],
        "shard 1/3 again",
    );
    refused(
        vec![three[0].clone(), two[1].clone()],
        "shard 1/2, from another split than",
    );
    refused(
        vec![three[0].clone(), three[1].clone(), foreign[2].clone()],
        "replicates: 150 there, 149 here",
    );
    // Shard 1's first finished chunk, lost.
    let marker = std::fs::read_dir(Path::new(&three[1]).join(nash::checkpoint::DIR))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "done"))
        .unwrap();
    std::fs::remove_file(marker).unwrap();
    refused(three.clone(), "shard 1/3 is incomplete (1 of ");
    std::fs::remove_dir_all(&dir).unwrap();
}
