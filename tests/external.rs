//! End-to-end tests of external methods (nash-external/1): the Python examples, the Optuna
//! bridge (the project's .venv, which `just test` makes) and a program that misbehaves on
//! purpose (tests/external/faulty.py), on the real NB201 table.

mod common;

use common::{nash, repo, scratch, stderr, write};
use reports::trials::read_groups;

/// A search protocol on NB201 CIFAR-10 with `methods` (YAML list items).
fn search_protocol(name: &str, queries: u32, replicates: u32, methods: &str) -> String {
    format!(
        "name: {name}\nkind: search\nbenchmark: nb201\ntasks: [cifar10]\n\
         budget: {{ queries: {queries} }}\nreplicates: {replicates}\nmethods:\n{methods}"
    )
}

fn python(example: &str) -> String {
    format!(
        "[python3, {}]",
        repo(&format!("examples/external/{example}"))
    )
}

fn faulty(role: &str, fault: &str, replicate: u32) -> String {
    let path = repo("tests/external/faulty.py");
    format!("[python3, {path}, {role}, {fault}, {replicate}]")
}

/// Runs `protocol` with 1 and 2 threads into `dir/t1` and `dir/t2`.
fn run_with_one_and_two_threads(protocol: &str, dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    ["1", "2"]
        .iter()
        .map(|threads| {
            let out_dir = dir.join(format!("t{threads}"));
            let out = nash(&[
                "run",
                protocol,
                "--out",
                out_dir.to_str().unwrap(),
                "--threads",
                threads,
            ]);
            assert!(out.status.success(), "{}", stderr(&out));
            out_dir
        })
        .collect()
}

/// A deterministic program given the same seeds gives byte-identical results for any
/// thread count, and the manifest says how far that goes.
#[test]
fn python_methods_are_deterministic_for_any_thread_count() {
    let dir = scratch("external-threads");
    let methods = format!(
        "  - external: {{ id: py-re, command: {}, params: {{ population: 5, sample_size: 2 }} }}\n\
         \x20 - external: {{ id: py-ls, command: {} }}\n",
        python("regularized_evolution.py"),
        python("local_search.py")
    );
    let protocol = write(&dir, "p.yaml", &search_protocol("ext", 40, 8, &methods));
    let files: Vec<Vec<u8>> = run_with_one_and_two_threads(&protocol, &dir)
        .iter()
        .map(|run| std::fs::read(run.join("trials.parquet")).unwrap())
        .collect();
    assert!(
        files[0] == files[1],
        "trials.parquet differs between 1 and 2 threads"
    );
    let groups = read_groups(&dir.join("t2"), true).unwrap();
    for g in &groups {
        assert_eq!((g.trials.len(), g.failed.len()), (8, 0), "{}", g.method);
        // Every trial evaluated its whole budget.
        assert!(
            g.trials.iter().all(|t| t.incumbent_mean.len == 40),
            "{}",
            g.method
        );
    }
    let manifest = std::fs::read_to_string(dir.join("t2/manifest.json")).unwrap();
    assert!(
        manifest.contains("\"reproducibility\": \"external_programs\""),
        "{manifest}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A program that declares `asynchronous: true` is asked by every free simulated worker and
/// told in completion order (Python random search keeps its workers busy); one that does not
/// is told each result before it is asked again (Python local search idles three of four),
/// and both give the same files for any thread count.
#[test]
fn asynchronous_programs_keep_simulated_workers_busy() {
    let dir = scratch("external-workers");
    let methods = format!(
        "  - external: {{ id: py-rs, command: {}, asynchronous: true }}\n\
         \x20 - external: {{ id: py-ls, command: {} }}\n",
        python("random_search.py"),
        python("local_search.py")
    );
    let text = search_protocol("ext-workers", 24, 3, &methods) + "workers: [1, 4]\n";
    let protocol = write(&dir, "p.yaml", &text);
    let runs = run_with_one_and_two_threads(&protocol, &dir);
    for file in ["trials.parquet", "workers.parquet"] {
        let bytes = |d: &std::path::Path| std::fs::read(d.join(file)).unwrap();
        assert!(
            bytes(&runs[0]) == bytes(&runs[1]),
            "{file} differs by thread count"
        );
    }
    let report = std::fs::read_to_string(runs[0].join("report.md")).unwrap();
    let idle = |method: &str| -> f64 {
        let row = report
            .lines()
            .find(|l| l.starts_with(&format!("| {method} | 4 |")))
            .unwrap_or_else(|| panic!("{method}: {report}"));
        let cell = row.split('|').nth(6).unwrap().trim();
        cell.trim_end_matches('%').parse().unwrap()
    };
    assert!(idle("py-rs") < 20.0, "{report}");
    assert_eq!(idle("py-ls"), 75.0, "{report}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Random search written in Python, on the same seeds and budget as the built-in one, is
/// not significantly different: `nash compare` passes it as the same method.
#[test]
fn python_random_search_is_not_significantly_different_from_the_built_in() {
    let dir = scratch("external-compare");
    let built_in = search_protocol("rs", 150, 100, "  - random_search: {}\n");
    let external = search_protocol(
        "rs",
        150,
        100,
        &format!(
            "  - external: {{ id: random_search, command: {} }}\n",
            python("random_search.py")
        ),
    );
    let d = |n: &str| dir.join(n).display().to_string();
    for (name, text) in [("built-in", &built_in), ("python", &external)] {
        let protocol = write(&dir, &format!("{name}.yaml"), text);
        let out = nash(&["run", &protocol, "--out", &d(name)]);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
    }
    let compared = nash(&[
        "compare",
        &d("built-in"),
        &d("python"),
        "--allow-different-protocol",
    ]);
    let md = String::from_utf8_lossy(&compared.stdout);
    assert_eq!(compared.status.code(), Some(0), "{md}{}", stderr(&compared));
    assert!(md.contains("| cifar10/random_search |"), "{md}");
    assert!(!md.contains("regression"), "{md}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Each way a program can misbehave fails its own trial only, with a one-line error that
/// says what happened (and the program's last stderr lines); the child is restarted for the
/// next trial, the run finishes and exits 1, and the report lists the failures. A program
/// that closes its input does not kill nash (SIGPIPE); one that exits between trials is
/// replaced without a failure.
#[test]
fn a_misbehaving_program_fails_only_its_trial() {
    let dir = scratch("external-faults");
    let cases = [
        (
            "crash",
            "exit status: 3; stderr: boom: the faulty method crashed on purpose",
        ),
        ("exit", "exited early (end of its output); exit status: 0"),
        (
            "garbage",
            "printed a line that is not a nash-external/1 message",
        ),
        (
            "outside",
            "proposed architecture id 15632, outside the nb201 space's 0..15625",
        ),
        ("nan", "sent NaN or Infinity, which JSON cannot carry"),
        (
            "hang",
            "sent no reply within timeout_s = 1: it printed nothing at all since its last \
             message (a program that does not flush its output after every line, e.g. Python's \
             print without flush=True on a pipe, looks like this); nash stopped it",
        ),
        (
            "error",
            "reported an error: RuntimeError: the faulty method raised on purpose",
        ),
        ("closein", "stopped reading its input (Broken pipe"),
        ("extra", "printed a line nash did not ask for"),
    ];
    let mut methods = String::from("  - random_search: {}\n");
    for (fault, _) in &cases {
        methods += &format!(
            "  - external: {{ id: {fault}, command: {}, timeout_s: 1 }}\n",
            faulty("search", fault, 1)
        );
    }
    methods += &format!(
        "  - external: {{ id: version, command: {} }}\n\
         \x20 - external: {{ id: die-idle, command: {} }}\n",
        faulty("search", "version", 0),
        faulty("search", "die-idle", 1)
    );
    let protocol = write(&dir, "p.yaml", &search_protocol("faults", 10, 3, &methods));
    let out_dir = dir.join("run");
    let out = nash(&["run", &protocol, "--out", out_dir.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("error: 12 of 36 trials failed"), "{err}");
    let groups = read_groups(&out_dir, true).unwrap();
    for (fault, expected) in &cases {
        let g = groups.iter().find(|g| g.method == *fault).unwrap();
        assert_eq!(g.failed.len(), 1, "{fault}");
        let failed = &g.failed[0];
        assert_eq!(failed.replicate, 1, "{fault}");
        assert!(
            failed
                .error
                .starts_with(&format!("external method '{fault}': ")),
            "{failed:?}"
        );
        assert!(failed.error.contains(expected), "{fault}: {}", failed.error);
        // The replicates before and after ran whole: the child was restarted.
        let ok: Vec<u32> = g.trials.iter().map(|t| t.replicate).collect();
        assert_eq!(ok, [0, 2], "{fault}");
    }
    let version = groups.iter().find(|g| g.method == "version").unwrap();
    assert_eq!(version.failed.len(), 3);
    assert!(
        version.failed[0]
            .error
            .contains("speaks protocol 'nash-external/0', nash speaks 'nash-external/1'"),
        "{:?}",
        version.failed[0]
    );
    // A program that exits between trials is replaced: no trial fails.
    let idle = groups.iter().find(|g| g.method == "die-idle").unwrap();
    assert_eq!((idle.trials.len(), idle.failed.len()), (3, 0));
    let report = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
    assert!(report.contains("⚠️ 12 trials failed"), "{report}");
    assert!(
        report.contains("`crash`: 1 of 3 trials failed and have no final value (replicate 1"),
        "{report}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Between trials, on one thread: a line printed out of turn fails the next trial, saying
/// what nash expected and what came; a program that exits is started anew, which fails
/// nothing and is counted in the manifest and the report.
#[test]
fn a_line_out_of_turn_fails_a_trial_and_a_restart_is_counted() {
    let dir = scratch("external-between-trials");
    let methods = format!(
        "  - external: {{ id: late, command: {} }}\n\
         \x20 - external: {{ id: die-idle, command: {} }}\n",
        faulty("search", "late", 1),
        faulty("search", "die-idle", 1)
    );
    let protocol = write(&dir, "p.yaml", &search_protocol("between", 10, 3, &methods));
    let out_dir = dir.join("run");
    let o = out_dir.to_str().unwrap();
    let out = nash(&["run", &protocol, "--out", o, "--threads", "1"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let groups = read_groups(&out_dir, true).unwrap();
    let late = groups.iter().find(|g| g.method == "late").unwrap();
    assert_eq!(late.failed.len(), 1);
    assert_eq!(late.failed[0].replicate, 2);
    let expected = "sent 'trial_ended' where nash expected 'started'";
    assert!(
        late.failed[0].error.contains(expected),
        "{:?}",
        late.failed[0]
    );
    assert!(
        late.failed[0]
            .error
            .contains("it had served an earlier trial"),
        "{:?}",
        late.failed[0]
    );
    let idle = groups.iter().find(|g| g.method == "die-idle").unwrap();
    assert_eq!((idle.trials.len(), idle.failed.len()), (3, 0));
    let manifest = std::fs::read_to_string(out_dir.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"external_restarts\": 1"), "{manifest}");
    let report = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
    assert!(
        report.contains("1 times an external program exited after its trial had ended"),
        "{report}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// External estimators fit on the training architectures' observed values and score the
/// evaluation sample; a kNN in Python ranks NB201 cells better than chance, and one that
/// sends NaN fails its trial alone.
#[test]
fn external_estimators_fit_and_score() {
    let dir = scratch("external-estimators");
    let text = format!(
        "name: ext-est\nkind: estimation\nbenchmark: nb201\ntasks: [cifar10]\nevaluation: 300\n\
         train_sizes: [100]\nreplicates: 3\nestimators:\n\
         \x20 - external: {{ id: py-knn, command: {}, params: {{ k: 5 }} }}\n\
         \x20 - external: {{ id: nan, command: {} }}\n",
        python("knn_estimator.py"),
        faulty("estimator", "nan", 2)
    );
    let protocol = write(&dir, "p.yaml", &text);
    let out_dir = dir.join("run");
    let out = nash(&["run", &protocol, "--out", out_dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let path = out_dir.join(reports::records::summary::FILE);
    let mut rows = Vec::new();
    for batch in reports::records::summary::read(&path).unwrap() {
        let batch = batch.unwrap();
        for i in 0..batch.len() {
            let row = batch.row(i).unwrap();
            rows.push((
                row.identity.estimator.to_string(),
                row.identity.replicate,
                row.kendall_tau,
                row.end.error.map(str::to_string),
            ));
        }
    }
    for (estimator, replicate, tau, error) in &rows {
        match (estimator.as_str(), replicate, error) {
            ("nan", 2, Some(e)) => assert!(e.contains("sent NaN or Infinity"), "{e}"),
            ("py-knn", _, None) => assert!(*tau > 0.1, "{replicate}: tau {tau}"),
            ("nan", _, None) => assert!(tau.is_finite()),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(rows.len(), 6);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Optuna's samplers (a client nash did not write) drive NB201 through the bridge in the
/// project's .venv, seeded per trial: TPE finds better cells than Optuna's random sampler.
#[test]
fn optuna_samplers_run_through_the_bridge() {
    let dir = scratch("external-optuna");
    let python = repo(".venv/bin/python");
    assert!(
        std::path::Path::new(&python).is_file(),
        "{python} is missing: run `bash .ci/install-python-env` (just test does)"
    );
    let bridge = repo("examples/external/optuna_bridge.py");
    let methods = format!(
        "  - external: {{ id: optuna-tpe, command: [{python}, {bridge}], params: {{ sampler: tpe }} }}\n\
         \x20 - external: {{ id: optuna-random, command: [{python}, {bridge}], params: {{ sampler: random }} }}\n"
    );
    let protocol = write(
        &dir,
        "p.yaml",
        &search_protocol("optuna", 150, 10, &methods),
    );
    let out_dir = dir.join("run");
    let out = nash(&["run", &protocol, "--out", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let groups = read_groups(&out_dir, true).unwrap();
    let mean_final = |id: &str| {
        let g = groups.iter().find(|g| g.method == id).unwrap();
        assert_eq!((g.trials.len(), g.failed.len()), (10, 0), "{id}");
        let finals: Vec<f64> = g.trials.iter().map(|t| t.final_mean()).collect();
        finals.iter().sum::<f64>() / finals.len() as f64
    };
    let (tpe, random) = (mean_final("optuna-tpe"), mean_final("optuna-random"));
    assert!(tpe > random, "TPE {tpe} vs random {random}");
    std::fs::remove_dir_all(&dir).unwrap();
}
