//! Long runs: the fault matrix. A search run (on simulated workers), an estimation run, an
//! estimation run with zero-cost proxies, a run with external programs, a shard and a merge,
//! each killed with SIGKILL at many moments (before its first chunk, at a chunk's marker,
//! while parts are written, and at spread moments) and resumed by the same command — the one
//! `nash status` prints — end with result files byte-identical to an uninterrupted run's. A
//! changed protocol is refused with what differs; a damaged chunk is run again; shards merged
//! give the unsharded run's files, and bad sets of shards are refused.

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

/// Starts `nash args` and kills it (SIGKILL) once `now()` holds, unless it finished first;
/// whether it was killed.
fn kill_when(args: &[&str], now: impl Fn() -> bool) -> bool {
    let mut child = Command::new(NASH)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    while !now() && child.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_micros(200));
    }
    let killed = child.try_wait().unwrap().is_none();
    if killed {
        child.kill().unwrap();
    }
    child.wait().unwrap();
    killed
}

/// Kills `nash args` at `kills` moments, the same command every time, each after a fixed
/// spread fraction of `within`. Stops once the run in `out` has finished; returns how many
/// attempts were killed.
fn kill_at_spread_moments(args: &[&str], out: &Path, kills: usize, within: Duration) -> usize {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut killed = 0;
    for _ in 0..kills {
        if finished(out) {
            break;
        }
        // xorshift: a fixed, spread set of fractions in [0, 1).
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let fraction = (state % 1000) as f64 / 1000.0;
        let at = Instant::now() + within.mul_f64(fraction);
        killed += usize::from(kill_when(args, || Instant::now() >= at));
    }
    killed
}

/// Whether the run in `out` has finished: its manifest written, its checkpoint gone.
fn finished(out: &Path) -> bool {
    out.join("manifest.json").exists() && !out.join(nash::checkpoint::DIR).exists()
}

/// Kills `nash args` writing into `out` at the moments that matter to a checkpoint: before
/// anything is written, at the first chunk's marker, and while a part is being written (or,
/// when no part is seen being written, at the next marker); returns how many were killed.
fn kill_at_checkpoint_moments(args: &[&str], out: &Path) -> usize {
    let checkpoint = out.join(nash::checkpoint::DIR);
    let entries = || -> Vec<String> {
        std::fs::read_dir(&checkpoint).map_or(Vec::new(), |d| {
            d.filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().into_owned()))
                .collect()
        })
    };
    let markers = || entries().iter().filter(|n| n.ends_with(".done")).count();
    let before = usize::from(kill_when(args, || true));
    let first = usize::from(kill_when(args, || markers() > 0));
    // At a part being written, or at the next marker if no part was seen being written.
    let done = markers();
    let partial = || entries().iter().any(|n| n.ends_with(".partial"));
    before + first + usize::from(kill_when(args, || partial() || markers() > done))
}

/// The command `nash status DIR` says resumes the interrupted run in `dir`, run by a shell;
/// it must succeed.
fn resume_as_status_says(dir: &Path) -> std::process::Output {
    assert!(!finished(dir), "{}: finished already", dir.display());
    let status = nash(&["status", dir.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&status.stdout).into_owned();
    let said = "interrupted: resume it with the same command: ";
    let line = text
        .lines()
        .find_map(|l| l.trim().strip_prefix(said))
        .unwrap_or_else(|| {
            panic!(
                "no resume command in nash status:\n{text}{}",
                stderr(&status)
            )
        });
    let out = Command::new("sh").args(["-c", line]).output().unwrap();
    assert!(out.status.success(), "{line}: {}", stderr(&out));
    out
}

/// Kills `nash args` (writing into `out`) at the checkpoint's moments and at `kills` spread
/// moments, then resumes it as `nash status` says, unless an attempt finished it; returns how
/// many attempts were killed. An attempt is killed within 1.5 `duration` / `kills` (the
/// time an uninterrupted run takes), so that the attempts together do about three quarters
/// of the run.
fn kill_and_resume(args: &[&str], out: &Path, kills: usize, duration: Duration) -> usize {
    let within = duration.mul_f64(1.5 / kills as f64);
    let killed =
        kill_at_checkpoint_moments(args, out) + kill_at_spread_moments(args, out, kills, within);
    if !finished(out) {
        resume_as_status_says(out);
    }
    killed
}

fn check_resumes_identically(name: &str, text: &str, kills: usize, files: &[&str]) {
    let dir = scratch(name);
    let protocol = write(&dir, "p.yaml", text);
    let reference = dir.join("reference");
    let started = Instant::now();
    let out = nash(&["run", &protocol, "--out", reference.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let duration = started.elapsed();
    let resumed = dir.join("resumed");
    let args = ["run", &protocol, "--out", resumed.to_str().unwrap()];
    let killed = kill_and_resume(&args, &resumed, kills, duration);
    assert!(
        killed >= 3 + kills / 4,
        "only {killed} of {} attempts were killed before finishing",
        kills + 3
    );
    for file in files {
        assert_eq!(
            sha256(&reference.join(file)),
            sha256(&resumed.join(file)),
            "{name}: {file} differs after {killed} kills"
        );
    }
    eprintln!("{name}: {killed} attempts killed before finishing; files identical");
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
        20,
        &["trials.parquet", "workers.parquet"],
    );
}

#[test]
fn an_estimation_run_killed_20_times_resumes_to_identical_files() {
    // estimates_summary.parquet holds fit and score times, which differ between any two runs.
    check_resumes_identically("resume-estimation", ESTIMATION, 20, &["estimates.parquet"]);
}

/// An estimation run whose first stage scores 1,000 real NB201 networks with a zero-cost
/// proxy (4 chunks of networks), then fits its estimators.
const PROXIES: &str = "\
name: kill-proxies
kind: estimation
benchmark: nb201
tasks: [cifar10]
seed_policy: mean
evaluation: 1000
train_sizes: [20]
top_k: [1]
replicates: 1
images: noise
proxy_batch: 2
estimators:
  - params: {}
  - l2_norm: {}
  - ridge: {}
";

#[test]
fn an_estimation_run_with_proxies_killed_12_times_resumes_to_identical_files() {
    check_resumes_identically("resume-proxies", PROXIES, 12, &["estimates.parquet"]);
}

#[test]
fn a_run_with_external_programs_killed_12_times_resumes_to_identical_files() {
    let program = common::repo("examples/external/random_search.py");
    let text = format!(
        "name: kill-external\nkind: search\nbenchmark: nb201\ntasks: [cifar10]\n\
         budget: {{ queries: 100 }}\nreplicates: 500\nmethods:\n  - random_search: {{}}\n\
         \x20 - external: {{ id: py-random, command: [python3, {program}] }}\n"
    );
    check_resumes_identically("resume-external", &text, 12, &["trials.parquet"]);
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
        text.contains(&format!(
            "interrupted: resume it with the same command: {NASH} run {protocol} --out {o}"
        )),
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
            // A merge speaks of merging, not of resuming an interrupted run.
            let said = stderr(&out);
            assert!(said.contains(&format!("merging {n} shards: ")), "{said}");
            assert!(!said.contains("resuming an interrupted run"), "{said}");
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

/// Shard 1 of 3 killed at the checkpoint's moments and at spread moments, resumed by the
/// command `nash status` prints (its own `nash run … --shard 1/3`), then `nash merge` killed
/// the same way and resumed by its own command: the merged files equal the unsharded run's.
/// Another shard's command into that directory is refused, naming both.
#[test]
fn an_interrupted_shard_and_an_interrupted_merge_resume_by_their_own_commands() {
    let dir = scratch("resume-shard");
    let protocol = write(&dir, "p.yaml", SEARCH);
    let reference = dir.join("reference");
    let started = Instant::now();
    let out = nash(&["run", &protocol, "--out", reference.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let duration = started.elapsed();

    let shard = dir.join("s1");
    let args = [
        "run",
        &protocol,
        "--shard",
        "1/3",
        "--out",
        shard.to_str().unwrap(),
    ];
    let killed = kill_at_checkpoint_moments(&args, &shard)
        + kill_at_spread_moments(&args, &shard, 8, duration / 12);
    let status = nash(&["status", shard.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(text.starts_with("shard 1/3: "), "{text}");
    let other = nash(&[
        "run",
        &protocol,
        "--shard",
        "0/3",
        "--out",
        shard.to_str().unwrap(),
    ]);
    assert_eq!(other.status.code(), Some(2));
    assert!(
        stderr(&other).contains("holds shard 1/3 of a run, not shard 0/3"),
        "{}",
        stderr(&other)
    );
    let unsharded = nash(&["run", &protocol, "--out", shard.to_str().unwrap()]);
    assert!(
        stderr(&unsharded).contains("holds shard 1/3 of a run; resume it with --shard 1/3"),
        "{}",
        stderr(&unsharded)
    );
    let resumed = resume_as_status_says(&shard);
    assert!(
        stderr(&resumed).contains("shard 1/3: "),
        "{}",
        stderr(&resumed)
    );
    eprintln!("shard 1/3: {killed} attempts killed, then resumed");
    // Run again, a finished shard is kept as it is.
    let again = nash(&args);
    assert!(again.status.success(), "{}", stderr(&again));
    let mut shards = run_shards(&protocol, &dir, "s", 3);
    shards[1] = shard.display().to_string();

    // A merge keeps nothing of its own but the joined checkpoint: every attempt redoes the
    // rest, so each is killed within the time a whole merge takes, and at its files' moments.
    let started = Instant::now();
    let out = merge(&shards, &dir.join("merged-whole"));
    assert!(out.status.success(), "{}", stderr(&out));
    let whole = started.elapsed();
    let merged = dir.join("merged");
    let mut merge_args = vec!["merge"];
    merge_args.extend(shards.iter().map(String::as_str));
    merge_args.extend(["--out", merged.to_str().unwrap()]);
    let at = |file: &str| {
        let path = merged.join(file);
        move || path.exists()
    };
    let killed = kill_at_checkpoint_moments(&merge_args, &merged)
        + usize::from(kill_when(&merge_args, at("trials.parquet.partial")))
        + usize::from(kill_when(&merge_args, at("manifest.json")))
        + kill_at_spread_moments(&merge_args, &merged, 6, whole / 2);
    // A fast merge may finish before its last kill comes: then there is nothing to resume.
    if !finished(&merged) {
        resume_as_status_says(&merged);
    }
    eprintln!(
        "nash merge ({:.2} s whole): {killed} attempts killed, then resumed",
        whole.as_secs_f64()
    );
    for file in ["trials.parquet", "workers.parquet"] {
        assert_eq!(
            sha256(&reference.join(file)),
            sha256(&merged.join(file)),
            "{file} differs from the unsharded run's"
        );
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
