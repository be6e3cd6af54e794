//! A search run in IOHprofiler's data format, so that IOHanalyzer (Wang et al., "IOHanalyzer:
//! Detailed Performance Analyses for Iterative Optimization Heuristics", ACM TELO 2022; a
//! public web tool) reads nash's runs: the format IOHexperimenter ≥ 0.3.3 writes
//! (`ioh.logger.Analyzer`) and IOHanalyzer's `read_index_file__json` reads.
//!
//! Layout, one directory per method (an IOHprofiler JSON file holds one algorithm), one
//! "function" per task (its 1-based position in the protocol):
//!
//! ```text
//! OUT/<method>/IOHprofiler_f<k>_<task>.json
//! OUT/<method>/data_f<k>_<task>/IOHprofiler_f<k>_DIM<d>.dat
//! ```
//!
//! The JSON holds `version` (IOHanalyzer reads JSON only from 0.3.3 on), `suite`
//! (`nash-<benchmark>`), `function_id`, `function_name` (the task), `maximization` (a JSON
//! boolean), `algorithm` {`name`: the method id, `info`: its parameters}, the protocol as
//! `experiment_attributes`, `attributes` ["evaluations", "raw_y"] (IOHanalyzer renumbers
//! evaluations unless "evaluations" is listed), and one scenario (`dimension` = the space's
//! decisions, `path` to the .dat relative to the JSON) whose `runs` are the trials:
//! `instance` 1, `evals`, `best` {`evals`, `y`, `x`: the best architecture's choice per
//! decision}, and the run attributes `replicate` and
//! `status` (a failed trial is a shorter run marked "failed": its evaluations are real).
//! The .dat file has, per run, the unquoted header line `evaluations raw_y` and then one line
//! per evaluation (every evaluation, as IOHexperimenter's ALWAYS trigger writes; the last is
//! the run's last), space-separated. `raw_y` is the observed objective of each evaluation, so
//! IOHanalyzer's best-so-far equals nash's incumbent (`incumbent_value`); nash's own report
//! scores incumbents by their seed mean, which is the same value under `seed_policy: mean`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::ReportError;
use crate::records::manifest::Manifest;
use crate::records::{self, Status};

/// One trial's evaluations as IOHprofiler records them.
struct IohRun {
    replicate: u32,
    /// (architecture, observed value) of each evaluation.
    values: Vec<(u32, f64)>,
    failed: bool,
}

/// A task's space as the export needs it: an architecture's choice for each decision.
pub type Choices<'a> = &'a dyn Fn(&str, u32) -> Vec<usize>;

/// The IOHprofiler version whose format nash writes.
const VERSION: &str = "0.3.23";

/// What an export wrote.
pub struct Written {
    /// The JSON index files.
    pub files: Vec<PathBuf>,
    /// Trials that failed before their first evaluation: IOHprofiler has no run without
    /// one, so they are not in the export (trials.parquet and the report have them).
    pub without_evaluations: usize,
}

/// Writes the IOHprofiler files of the search run in `run` into `out`; `choices` gives an
/// architecture's decisions in a task's space (the scenario's dimension is their number).
pub fn write(run: &Path, out: &Path, choices: Choices) -> Result<Written, ReportError> {
    let manifest = Manifest::read(run)?;
    let path = run.join(records::trials::FILE);
    let bad = |message: String| ReportError::Format {
        path: path.clone(),
        message,
    };
    let search = manifest
        .search()
        .ok_or_else(|| bad("IOHprofiler export reads search runs".into()))?;
    let cells = read_runs(&path)?;
    let maximize = manifest.maximize();
    let mut written = Written {
        files: Vec::new(),
        without_evaluations: cells
            .values()
            .flatten()
            .filter(|r| r.values.is_empty())
            .count(),
    };
    for ((task, method), runs) in &cells {
        let function = search
            .tasks
            .iter()
            .position(|t| t.task == *task)
            .ok_or_else(|| bad(format!("task '{task}' is not in the manifest")))?
            + 1;
        let info = search
            .methods
            .iter()
            .find(|m| m.id == *method)
            .map_or(String::new(), |m| m.params.to_string());
        let dimension = runs
            .iter()
            .find_map(|r| r.values.first())
            .map_or(0, |&(arch, _)| choices(task, arch).len());
        let dir = out.join(file_safe(method));
        let data_dir = format!("data_f{function}_{}", file_safe(task));
        let dat_name = format!("IOHprofiler_f{function}_DIM{dimension}.dat");
        let (dat, json_runs) = runs_data(runs, &|arch| choices(task, arch), maximize);
        let index = json!({
            "version": VERSION,
            "suite": format!("nash-{}", manifest.protocol.benchmark),
            "function_id": function,
            "function_name": task,
            "maximization": maximize,
            "algorithm": { "name": method, "info": info },
            "experiment_attributes": [
                { "protocol": manifest.protocol.name },
                { "protocol_sha256": manifest.protocol.sha256 },
                { "objective": manifest.protocol.objective },
            ],
            "run_attributes": ["replicate", "status"],
            "attributes": ["evaluations", "raw_y"],
            "scenarios": [{
                "dimension": dimension,
                "path": format!("{data_dir}/{dat_name}"),
                "runs": json_runs,
            }],
        });
        let json_name = format!("IOHprofiler_f{function}_{}.json", file_safe(task));
        let json_path = dir.join(json_name);
        let data_path = dir.join(&data_dir);
        write_files(&data_path.join(&dat_name), &dat, &json_path, &index)?;
        written.files.push(json_path);
    }
    Ok(written)
}

/// Each (task, method)'s trials in replicate order, from `trials.parquet` at `path`.
fn read_runs(path: &Path) -> Result<BTreeMap<(String, String), Vec<IohRun>>, ReportError> {
    let bad = |message: String| ReportError::Format {
        path: path.to_path_buf(),
        message,
    };
    let mut cells: BTreeMap<(String, String), Vec<IohRun>> = BTreeMap::new();
    for batch in records::trials::read_columns(path, records::trials::REPORT_COLUMNS)? {
        let batch = batch?;
        for i in 0..batch.len() {
            let row = batch.row(i).map_err(&bad)?;
            let runs = cells
                .entry((row.task.to_string(), row.method.to_string()))
                .or_default();
            if runs.last().is_none_or(|r| r.replicate != row.replicate) {
                runs.push(IohRun {
                    replicate: row.replicate,
                    values: Vec::new(),
                    failed: false,
                });
            }
            let current = runs.last_mut().expect("pushed above");
            if let Some(e) = row.evaluation {
                current.values.push((e.arch_id, e.value));
            }
            current.failed |= row.end.status == Status::Failed;
        }
    }
    Ok(cells)
}

/// The .dat text of the runs with evaluations, and each one's entry of the JSON index;
/// `choices` gives an architecture's decisions.
fn runs_data(
    runs: &[IohRun],
    choices: &dyn Fn(u32) -> Vec<usize>,
    maximize: bool,
) -> (String, Vec<serde_json::Value>) {
    let mut dat = String::new();
    let mut json_runs = Vec::new();
    for r in runs.iter().filter(|r| !r.values.is_empty()) {
        dat.push_str("evaluations raw_y\n");
        let mut best: Option<(usize, u32, f64)> = None;
        for (k, &(arch, v)) in r.values.iter().enumerate() {
            let _ = writeln!(dat, "{} {v}", k + 1);
            let better = |b: f64| if maximize { v > b } else { v < b };
            if !v.is_nan() && best.is_none_or(|(_, _, b)| better(b)) {
                best = Some((k + 1, arch, v));
            }
        }
        let last = r.values.last().map_or(0, |&(arch, _)| arch);
        let (best_evals, best_arch, best_y) = best.unwrap_or((r.values.len(), last, f64::NAN));
        json_runs.push(json!({
            "instance": 1,
            "evals": r.values.len(),
            "best": { "evals": best_evals, "y": best_y, "x": choices(best_arch) },
            "replicate": r.replicate,
            "status": if r.failed { "failed" } else { "ok" },
        }));
    }
    (dat, json_runs)
}

/// Writes one (task, method)'s .dat file (creating its directory) and JSON index.
fn write_files(
    dat_path: &Path,
    dat: &str,
    json_path: &Path,
    index: &serde_json::Value,
) -> Result<(), ReportError> {
    let io = |path: &Path, e: std::io::Error| ReportError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let data_dir = dat_path.parent().expect("a file in a directory");
    std::fs::create_dir_all(data_dir).map_err(|e| io(data_dir, e))?;
    std::fs::write(dat_path, dat).map_err(|e| io(dat_path, e))?;
    let text = serde_json::to_string_pretty(index).expect("JSON values serialize");
    std::fs::write(json_path, text).map_err(|e| io(json_path, e))
}

/// A name as a file name: characters other than letters, digits, `-`, `_` and `.` become `_`.
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}
