//! `manifest.json`: everything needed to know what a run was, and the per-task reference
//! figures the report needs (the space's exact mean for RI, the random-sample baseline). It
//! is written by the harness and read here; any JSON reader can read it too.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::ReportError;

pub const FILE: &str = "manifest.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub nash_version: String,
    pub git_commit: Option<String>,
    pub protocol: ProtocolInfo,
    /// The kind of run (`"kind": "search"` or `"estimation"`) and its section.
    #[serde(flatten)]
    pub run: Run,
    pub host: HostInfo,
    pub threads: usize,
    pub started: String,
    pub finished: String,
    pub wall_seconds: f64,
    pub rows: u64,
    /// Trials run, and those that failed (status `failed` in the result files; `nash run`
    /// exited 1).
    #[serde(default)]
    pub trials: u64,
    #[serde(default)]
    pub failed_trials: u64,
    /// Which machines reproduce the result files bit for bit.
    #[serde(default)]
    pub reproducibility: Reproducibility,
    /// Chunks of trials read back from an interrupted attempt's checkpoint, when the run
    /// resumed one (the times then cover the last attempt only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed: Option<Resumed>,
    /// External programs that exited between two trials and were started anew (no trial
    /// failed; the report says how many).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub external_restarts: u64,
    /// The run's result files, each with its size and sha256 (written last, so a directory
    /// whose files do not match was left half-replaced).
    #[serde(default)]
    pub files: Vec<FileEntry>,
}

/// The first 12 characters of a checksum or commit, whatever a hand-edited manifest holds.
pub fn short(hex: &str) -> String {
    hex.chars().take(12).collect()
}

/// Whether `dir/<entry.name>` is the file the manifest describes.
fn check_file(dir: &Path, entry: &FileEntry) -> Result<(), ReportError> {
    let path = dir.join(&entry.name);
    let mismatch = |what: String| ReportError::Format {
        path: path.clone(),
        message: format!(
            "{what} manifest.json says: the directory holds parts of two runs (one interrupted \
             while replacing the other?); rerun with --force"
        ),
    };
    if entry.name.contains(['/', '\\']) || entry.name.starts_with('.') {
        return Err(mismatch(format!("'{}' is not a file name, as", entry.name)));
    }
    let found = FileEntry::of(&entry.name, &path).map_err(|e| ReportError::Io {
        path: path.clone(),
        source: e,
    })?;
    let (bytes, sha256) = (found.bytes, found.sha256);
    if bytes != entry.bytes || sha256 != entry.sha256 {
        return Err(mismatch(format!(
            "{bytes} bytes with sha256 {}…, not the {} bytes with sha256 {}… that",
            short(&sha256),
            entry.bytes,
            short(&entry.sha256)
        )));
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

impl FileEntry {
    /// The entry of the file at `path`, listed as `name`.
    pub fn of(name: &str, path: &Path) -> std::io::Result<FileEntry> {
        let (bytes, sha256) = datasets::files::sha256_file(path)?;
        Ok(FileEntry {
            name: name.to_string(),
            bytes,
            sha256,
        })
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// How much of a resumed run an earlier attempt had done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resumed {
    pub chunks_reused: u64,
    pub chunks: u64,
}

/// Whether a run's result files are identical on every machine, or only on machines with
/// the same CPU instructions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reproducibility {
    /// Table lookups, nash's own integer draws and libm's floats: the same bits everywhere
    /// (and for any thread count).
    #[default]
    AnyMachine,
    /// Some method builds burn networks, whose matrix kernels (gemm) pick CPU instructions at
    /// run time: identical for any thread count on one machine, possibly not in the last bits
    /// on another CPU.
    SameCpu,
    /// Some method is an external program: nash gives it the same seeds and messages, so a
    /// deterministic program gives the same bits for any thread count; nash cannot promise
    /// more.
    ExternalPrograms,
    /// Some method trains a weight-sharing supernet: its architectures and values are as
    /// `SameCpu`'s, but its evaluation's cost is measured CPU time, which varies run to run.
    MeasuredCosts,
}

impl Reproducibility {
    pub fn describe(self) -> &'static str {
        match self {
            Reproducibility::AnyMachine => "bit-identical on any machine and for any thread count",
            Reproducibility::SameCpu => {
                "bit-identical for any thread count on this CPU; burn networks (gemm picks CPU instructions at run time) may differ in the last bits on another CPU"
            }
            Reproducibility::ExternalPrograms => {
                "as reproducible as the external programs: each gets the same seed and messages, so a deterministic one gives the same bits for any thread count"
            }
            Reproducibility::MeasuredCosts => {
                "architectures and values bit-identical for any thread count on this CPU; the cost of a weight-sharing method's evaluation is its supernet's measured CPU time, which varies from run to run"
            }
        }
    }
}

/// A run's kind and what only that kind has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Run {
    Search { search: SearchInfo },
    Estimation { estimation: EstimationInfo },
}

/// What every protocol kind has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProtocolInfo {
    pub name: String,
    pub sha256: String,
    pub text: String,
    pub benchmark: String,
    pub objective: String,
    /// `maximize` or `minimize`.
    pub direction: String,
    pub seed_policy: String,
    pub replicates: u32,
    pub base_seed: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchInfo {
    pub test_metric: Option<String>,
    /// `queries` or `simulated_seconds`.
    pub budget_kind: String,
    pub budget: f64,
    pub cost_scale: f64,
    pub random_baseline: u32,
    pub methods: Vec<MethodInfo>,
    /// The method id the protocol named as the baseline (`baseline:`), if it named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
    pub tasks: Vec<TaskInfo>,
    /// The tasks on which each trial's final incumbent was looked up after the search
    /// (`evaluate_on`; rows in `cross_task.parquet`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evaluated_on: Vec<EvaluatedTask>,
    /// The images weight-sharing methods trained their supernets on and how many, when the
    /// protocol has such methods (e.g. `fashion-mnist, 2000 images`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supernet_images: Option<String>,
}

impl SearchInfo {
    /// The id of the method others are tested against: the protocol's `baseline`, else the
    /// first random search.
    pub fn baseline(&self) -> Option<&str> {
        self.baseline.as_deref().or_else(|| {
            self.methods
                .iter()
                .find(|m| m.method == "random_search")
                .map(|m| m.id.as_str())
        })
    }
}

/// A task the searched architectures were evaluated on, with its reference figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluatedTask {
    pub task: String,
    /// The best seed-mean objective in the task's table, and its architecture.
    pub space_best: f64,
    pub space_best_arch: String,
    /// Mean over the task's table of each architecture's seed-mean objective.
    pub space_mean: f64,
    pub data: DataSource,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstimationInfo {
    /// The task whose labels trained the predictors, when it is not the evaluated task.
    pub train_task: Option<String>,
    /// `all` or the number of architectures ranked per trial.
    pub evaluation: String,
    pub train_sizes: Vec<usize>,
    pub top_k: Vec<usize>,
    pub estimators: Vec<MethodInfo>,
    pub tasks: Vec<EstimationTaskInfo>,
    /// The images the data-dependent zero-cost proxies saw, and the batch size, when the
    /// protocol has proxies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_images: Option<String>,
    /// The images the one-shot estimator's supernets trained on and how many, when the
    /// protocol has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supernet_images: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_batch: Option<usize>,
    /// The input each zero-cost proxy saw, by estimator id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proxy_inputs: Vec<(String, String)>,
    /// Pairs (nash's proxy, the estimator reading the file's recorded score of the same proxy)
    /// whose scores the report compares architecture by architecture.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agreement: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstimationTaskInfo {
    pub task: String,
    pub space_size: u64,
    pub n_eval: u64,
    pub data: DataSource,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodInfo {
    pub id: String,
    pub method: String,
    pub params_hash: String,
    pub params: serde_json::Value,
    /// The simulated workers its trials ran with, when the protocol has `workers:`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workers: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskInfo {
    pub task: String,
    pub space_size: u64,
    /// Isomorphism classes, where the space defines them.
    pub unique_cells: Option<u64>,
    /// Mean over the whole space of each architecture's seed-mean objective: the exact
    /// random-sampling baseline for RI.
    pub space_mean: f64,
    /// The best seed-mean objective in the space, and its architecture.
    pub space_best: f64,
    pub space_best_arch: String,
    /// The k random architectures of the sampled RI baseline, with their seed-mean objective.
    pub random_sample: Vec<SampledArch>,
    pub data: DataSource,
    /// The exact Pareto front of the table when the protocol has a second objective.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pareto: Option<ParetoInfo>,
    /// The seed-mean objective of the table's k-th best architecture for the runtime
    /// targets' ranks (top-1, top-10, top-100); empty in runs written before nash recorded it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rank_values: Vec<RankValue>,
}

/// The value of the table's `rank`-th best architecture (1 = the best; ties share a value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankValue {
    pub rank: u32,
    pub value: f64,
}

/// The table's exact front of seed-mean objective against a minimized property.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParetoInfo {
    /// The property, e.g. `params`.
    pub second_objective: String,
    /// `[worst objective, largest property]` over the whole table.
    pub reference: [f64; 2],
    /// `[objective, property]` of the non-dominated architectures, by increasing property.
    pub front: Vec<[f64; 2]>,
    pub hypervolume: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampledArch {
    pub arch_id: u32,
    pub arch: String,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSource {
    pub package: String,
    pub version: String,
    pub wheel_sha256: String,
    pub member: String,
    pub member_sha256: String,
    pub table_sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostInfo {
    pub hostname: String,
    pub os: String,
    pub arch: String,
    pub cpus: usize,
}

impl Manifest {
    /// Reads a run directory's manifest and checks that every result file it lists is the
    /// one the run wrote.
    pub fn read(dir: &Path) -> Result<Manifest, ReportError> {
        let path = dir.join(FILE);
        let not_a_run = |why: String| ReportError::Format {
            path: dir.to_path_buf(),
            message: why,
        };
        if dir.is_file() {
            return Err(not_a_run("a file, not a run directory".into()));
        }
        let text = std::fs::read_to_string(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound if !dir.exists() => {
                not_a_run("no such run directory".into())
            }
            std::io::ErrorKind::NotFound => not_a_run(format!(
                "not a finished run (no {FILE}; `nash status {}` says what is there)",
                dir.display()
            )),
            _ => ReportError::Io {
                path: path.clone(),
                source: e,
            },
        })?;
        let manifest: Manifest = serde_json::from_str(&text).map_err(|e| ReportError::Format {
            path,
            message: e.to_string(),
        })?;
        for entry in &manifest.files {
            check_file(dir, entry)?;
        }
        Ok(manifest)
    }

    pub fn maximize(&self) -> bool {
        self.protocol.direction == "maximize"
    }

    /// `search` or `estimation`.
    pub fn kind(&self) -> &'static str {
        match self.run {
            Run::Search { .. } => "search",
            Run::Estimation { .. } => "estimation",
        }
    }

    /// The search section, when this is a search run.
    pub fn search(&self) -> Option<&SearchInfo> {
        match &self.run {
            Run::Search { search } => Some(search),
            Run::Estimation { .. } => None,
        }
    }

    /// The estimation section, when this is an estimation run.
    pub fn estimation(&self) -> Option<&EstimationInfo> {
        match &self.run {
            Run::Estimation { estimation } => Some(estimation),
            Run::Search { .. } => None,
        }
    }
}
