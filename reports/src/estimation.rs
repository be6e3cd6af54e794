//! The estimation report: rank correlations and top-k agreement per task, estimator and
//! training-set size (mean and seeded bootstrap 95% CI over replicates), the Kendall-tau
//! against training-set size figure of White et al. (NeurIPS 2021), and score-versus-truth
//! scatter plots. Pure functions of `estimates_summary.parquet`, `estimates.parquet` and the
//! manifest.

use std::path::Path;

use arrow_array::{Array, Float64Array, StringArray, UInt32Array};

use crate::ReportError;
use crate::incidents::{Failure, Incidents};
use crate::manifest::Manifest;
use crate::parquet_io::{column, read_columns};
use crate::stats::{self, Interval, bootstrap_ci, bootstrap_rng};

pub const SUMMARY: &str = "estimates_summary.parquet";
pub const ESTIMATES: &str = "estimates.parquet";

/// One measure over the replicates of a (task, estimator, training size).
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    pub mean: f64,
    /// Bootstrap 95% CI of the mean; none with fewer than 2 defined values.
    pub ci: Option<Interval>,
    /// Replicates where the measure was defined (not NaN).
    pub n: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub train_size: u32,
    pub kendall: Measure,
    pub spearman: Measure,
    /// (k, precision@k, NDCG@k)
    pub top_k: Vec<(usize, Measure, Measure)>,
    pub fit_seconds: f64,
    pub score_seconds: f64,
    pub warnings: Vec<String>,
    pub incidents: Incidents,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EstimatorResult {
    pub estimator: String,
    /// One cell per training size (a single size 0 for estimators that do not learn).
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskResult {
    pub task: String,
    pub estimators: Vec<EstimatorResult>,
}

/// The mean of the values that are not NaN (a failed trial's are), NaN if none is.
fn mean_defined(values: &[f64]) -> f64 {
    let defined = stats::defined(values.iter().copied());
    if defined.is_empty() {
        f64::NAN
    } else {
        stats::mean(&defined)
    }
}

fn measure(values: &[f64], label: &str) -> Measure {
    let defined = stats::defined(values.iter().copied());
    let ci = (defined.len() >= 2).then(|| {
        bootstrap_ci(
            &[&defined],
            |s| stats::mean(&s[0]),
            0.95,
            &mut bootstrap_rng(label),
        )
    });
    Measure {
        mean: if defined.is_empty() {
            f64::NAN
        } else {
            stats::mean(&defined)
        },
        ci,
        n: defined.len(),
    }
}

/// Reads the summary file and aggregates it, in the order trials were written.
pub fn analyse(dir: &Path, manifest: &Manifest) -> Result<Vec<TaskResult>, ReportError> {
    let info = manifest
        .estimation()
        .map_err(|message| ReportError::Format {
            path: dir.join("manifest.json"),
            message,
        })?;
    // The measures, in the order `col(i)` reads them below.
    let mut numeric: Vec<String> = [
        "kendall_tau",
        "spearman_rho",
        "fit_seconds",
        "score_seconds",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    for k in &info.top_k {
        numeric.push(format!("precision_at_{k}"));
        numeric.push(format!("ndcg_at_{k}"));
    }
    let mut names: Vec<String> = [
        "task",
        "estimator",
        "train_size",
        "warning",
        "replicate",
        "status",
        "error",
        "fallbacks",
        "fallback_reason",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    names.extend(numeric.iter().cloned());
    let path = dir.join(SUMMARY);
    let batches = read_columns(&path, &names)?;
    // Rows grouped by (task, estimator, train size), in first-seen order.
    struct Group {
        key: (String, String, u32),
        rows: Vec<Vec<f64>>,
        warnings: Vec<String>,
        incidents: Incidents,
    }
    let mut groups: Vec<Group> = Vec::new();
    for batch in &batches {
        let bad = |m: String| ReportError::Format {
            path: path.clone(),
            message: m,
        };
        let task = column::<StringArray>(batch, "task").map_err(bad)?;
        let est = column::<StringArray>(batch, "estimator").map_err(bad)?;
        let size = column::<UInt32Array>(batch, "train_size").map_err(bad)?;
        let warning = column::<StringArray>(batch, "warning").map_err(bad)?;
        let replicate = column::<UInt32Array>(batch, "replicate").map_err(bad)?;
        let status = column::<StringArray>(batch, "status").map_err(bad)?;
        let error = column::<StringArray>(batch, "error").map_err(bad)?;
        let fallbacks = column::<UInt32Array>(batch, "fallbacks").map_err(bad)?;
        let fallback_reason = column::<StringArray>(batch, "fallback_reason").map_err(bad)?;
        let measures: Vec<&Float64Array> = numeric
            .iter()
            .map(|n| column::<Float64Array>(batch, n))
            .collect::<Result<_, _>>()
            .map_err(bad)?;
        for row in 0..batch.num_rows() {
            let key = (
                task.value(row).to_string(),
                est.value(row).to_string(),
                size.value(row),
            );
            if groups.last().is_none_or(|g| g.key != key) {
                groups.push(Group {
                    key: key.clone(),
                    rows: Vec::new(),
                    warnings: Vec::new(),
                    incidents: Incidents::default(),
                });
            }
            let g = groups.last_mut().expect("pushed above");
            g.rows.push(measures.iter().map(|c| c.value(row)).collect());
            if !warning.is_null(row) {
                g.warnings.push(warning.value(row).to_string());
            }
            let failure = match status.value(row) {
                "ok" => None,
                "failed" => Some(Failure {
                    replicate: replicate.value(row),
                    error: error.value(row).to_string(),
                    evaluations: None,
                }),
                other => return Err(bad(format!("row {row}: unknown status '{other}'"))),
            };
            let reason = fallback_reason
                .is_valid(row)
                .then(|| fallback_reason.value(row));
            g.incidents.add(failure, fallbacks.value(row), reason);
        }
    }
    let mut tasks: Vec<TaskResult> = Vec::new();
    for g in groups {
        let (task, estimator, size) = g.key;
        let col = |i: usize| g.rows.iter().map(|r| r[i]).collect::<Vec<f64>>();
        let label = |what: &str| {
            format!(
                "{}/{task}/{estimator}/{size}/{what}",
                manifest.protocol.sha256
            )
        };
        let top_k = info
            .top_k
            .iter()
            .enumerate()
            .map(|(i, &k)| {
                let p = measure(&col(4 + 2 * i), &label(&format!("p@{k}")));
                let n = measure(&col(5 + 2 * i), &label(&format!("ndcg@{k}")));
                (k, p, n)
            })
            .collect();
        let mut warnings = g.warnings;
        warnings.dedup();
        let cell = Cell {
            train_size: size,
            kendall: measure(&col(0), &label("tau")),
            spearman: measure(&col(1), &label("rho")),
            top_k,
            fit_seconds: mean_defined(&col(2)),
            score_seconds: mean_defined(&col(3)),
            warnings,
            incidents: g.incidents,
        };
        if tasks.last().is_none_or(|t| t.task != task) {
            tasks.push(TaskResult {
                task: task.clone(),
                estimators: Vec::new(),
            });
        }
        let t = tasks.last_mut().expect("pushed above");
        if t.estimators.last().is_none_or(|e| e.estimator != estimator) {
            t.estimators.push(EstimatorResult {
                estimator: estimator.clone(),
                cells: Vec::new(),
            });
        }
        t.estimators
            .last_mut()
            .expect("pushed above")
            .cells
            .push(cell);
    }
    Ok(tasks)
}

/// (truth, score) of one estimator's replicate 0 at its largest training size.
#[derive(Debug, Clone, PartialEq)]
pub struct Scatter {
    pub task: String,
    pub estimator: String,
    pub train_size: u32,
    pub points: Vec<(f64, f64)>,
}

/// The scatter of every (task, estimator), for the plots.
pub fn scatter_points(dir: &Path) -> Result<Vec<Scatter>, ReportError> {
    let path = dir.join(ESTIMATES);
    let names: Vec<String> = [
        "task",
        "estimator",
        "train_size",
        "replicate",
        "score",
        "truth",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let batches = read_columns(&path, &names)?;
    let mut out: Vec<Scatter> = Vec::new();
    for batch in &batches {
        let bad = |m: String| ReportError::Format {
            path: path.clone(),
            message: m,
        };
        let task = column::<StringArray>(batch, "task").map_err(bad)?;
        let est = column::<StringArray>(batch, "estimator").map_err(bad)?;
        let size = column::<UInt32Array>(batch, "train_size").map_err(bad)?;
        let rep = column::<UInt32Array>(batch, "replicate").map_err(bad)?;
        let score = column::<Float64Array>(batch, "score").map_err(bad)?;
        let truth = column::<Float64Array>(batch, "truth").map_err(bad)?;
        for row in 0..batch.num_rows() {
            if rep.value(row) != 0 {
                continue;
            }
            let (t, e, s) = (task.value(row), est.value(row), size.value(row));
            let point = (truth.value(row), score.value(row));
            match out.iter_mut().find(|x| x.task == t && x.estimator == e) {
                Some(x) if s > x.train_size => {
                    x.train_size = s;
                    x.points = vec![point];
                }
                Some(x) if s == x.train_size => x.points.push(point),
                Some(_) => {}
                None => out.push(Scatter {
                    task: t.into(),
                    estimator: e.into(),
                    train_size: s,
                    points: vec![point],
                }),
            }
        }
    }
    // A failed trial's scores are all NaN: it has no scatter (the report lists the failure).
    out.retain(|x| x.points.iter().any(|p| !p.1.is_nan()));
    Ok(out)
}
