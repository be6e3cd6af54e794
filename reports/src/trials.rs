//! Reading `trials.parquet` back into per-trial incumbent curves, and the failed trials.

use std::path::Path;

use arrow_array::{Array, Float64Array, RecordBatch, StringArray, UInt32Array};

use crate::ReportError;
use crate::incidents::Failure;
use crate::parquet_io::{column, read_columns};

pub const TRIALS: &str = "trials.parquet";

/// One trial's incumbent after every evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialCurve {
    pub replicate: u32,
    /// The incumbent's seed-mean objective in the table.
    pub incumbent_mean: Vec<f64>,
    /// The incumbent's observed objective (under the protocol's seed policy).
    pub incumbent_value: Vec<f64>,
    /// The incumbent's test value, when the table has one.
    pub incumbent_test: Option<Vec<f64>>,
    /// Simulated seconds spent after each evaluation, when the table has training times.
    pub cumulative_cost: Option<Vec<f64>>,
    /// Distinct architectures evaluated, and distinct isomorphism classes among them.
    pub unique_archs: usize,
    pub unique_cells: usize,
    /// `[observed objective, second objective]` of every evaluation, when the protocol has a
    /// second objective.
    pub points: Option<Vec<[f64; 2]>>,
    /// How often the method fell back from its published algorithm, and the first reason.
    pub fallbacks: u32,
    pub fallback_reason: Option<String>,
}

impl TrialCurve {
    /// The final incumbent's seed-mean value (the reader refuses a trial without rows).
    pub fn final_mean(&self) -> f64 {
        *self
            .incumbent_mean
            .last()
            .expect("trials have at least one row")
    }
}

/// All trials of one (task, method), in replicate order: those that finished, and those that
/// failed.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub task: String,
    pub method: String,
    pub trials: Vec<TrialCurve>,
    pub failed: Vec<Failure>,
}

const COLUMNS: [&str; 16] = [
    "task",
    "value",
    "second_value",
    "arch_id",
    "canonical_arch_id",
    "method",
    "replicate",
    "step",
    "incumbent_value",
    "incumbent_mean_value",
    "incumbent_test_value",
    "cumulative_cost",
    "status",
    "error",
    "fallbacks",
    "fallback_reason",
];

/// Reads the groups of a run directory's `trials.parquet`, in the order they were written.
pub fn read_groups(dir: &Path) -> Result<Vec<Group>, ReportError> {
    let path = dir.join(TRIALS);
    let bad = |message: String| ReportError::Format {
        path: path.clone(),
        message,
    };
    let names: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    let batches = read_columns(&path, &names)?;
    let mut groups: Vec<Group> = Vec::new();
    let mut seen = Seen::default();
    for batch in &batches {
        append_batch(batch, &mut groups, &mut seen).map_err(bad)?;
    }
    seen.close(&mut groups);
    if groups.is_empty() {
        return Err(bad("no rows".into()));
    }
    Ok(groups)
}

/// Architectures and classes of the trial being read.
#[derive(Default)]
struct Seen {
    archs: Vec<u32>,
    cells: Vec<u32>,
}

impl Seen {
    /// Stores the counts in the last trial read, and starts afresh.
    fn close(&mut self, groups: &mut [Group]) {
        if self.archs.is_empty() {
            // The trial read last failed (its evaluations are not counted), or none was read.
            return;
        }
        if let Some(trial) = groups.last_mut().and_then(|g| g.trials.last_mut()) {
            for v in [&mut self.archs, &mut self.cells] {
                v.sort_unstable();
                v.dedup();
            }
            trial.unique_archs = self.archs.len();
            trial.unique_cells = self.cells.len();
        }
        self.archs.clear();
        self.cells.clear();
    }
}

fn append_batch(
    batch: &RecordBatch,
    groups: &mut Vec<Group>,
    seen: &mut Seen,
) -> Result<(), String> {
    let task = column::<StringArray>(batch, "task")?;
    let method = column::<StringArray>(batch, "method")?;
    let replicate = column::<UInt32Array>(batch, "replicate")?;
    let step = column::<UInt32Array>(batch, "step")?;
    let inc_value = column::<Float64Array>(batch, "incumbent_value")?;
    let inc_mean = column::<Float64Array>(batch, "incumbent_mean_value")?;
    let inc_test = column::<Float64Array>(batch, "incumbent_test_value")?;
    let cost = column::<Float64Array>(batch, "cumulative_cost")?;
    let arch = column::<UInt32Array>(batch, "arch_id")?;
    let cell = column::<UInt32Array>(batch, "canonical_arch_id")?;
    let value = column::<Float64Array>(batch, "value")?;
    let second = column::<Float64Array>(batch, "second_value")?;
    let status = column::<StringArray>(batch, "status")?;
    let error = column::<StringArray>(batch, "error")?;
    let fallbacks = column::<UInt32Array>(batch, "fallbacks")?;
    let fallback_reason = column::<StringArray>(batch, "fallback_reason")?;
    for row in 0..batch.num_rows() {
        let (t, m, r, s) = (
            task.value(row),
            method.value(row),
            replicate.value(row),
            step.value(row),
        );
        let failed = match status.value(row) {
            "ok" => false,
            "failed" => true,
            other => return Err(format!("row {row}: unknown status '{other}'")),
        };
        let out_of_order = || format!("row {row}: {t}/{m} replicate {r} step {s} is out of order");
        if s == 1 {
            seen.close(groups);
            let same_group = groups.last().is_some_and(|g| g.task == t && g.method == m);
            if !same_group {
                groups.push(Group {
                    task: t.to_string(),
                    method: m.to_string(),
                    trials: Vec::new(),
                    failed: Vec::new(),
                });
            }
            let group = groups.last_mut().expect("pushed above");
            if failed {
                group.failed.push(Failure {
                    replicate: r,
                    error: if error.is_valid(row) {
                        error.value(row)
                    } else {
                        ""
                    }
                    .into(),
                    evaluations: Some(0),
                });
            } else {
                group.trials.push(TrialCurve {
                    replicate: r,
                    incumbent_mean: Vec::new(),
                    incumbent_value: Vec::new(),
                    incumbent_test: (!inc_test.is_null(row)).then(Vec::new),
                    cumulative_cost: (!cost.is_null(row)).then(Vec::new),
                    unique_archs: 0,
                    unique_cells: 0,
                    points: (!second.is_null(row)).then(Vec::new),
                    fallbacks: fallbacks.value(row),
                    fallback_reason: fallback_reason
                        .is_valid(row)
                        .then(|| fallback_reason.value(row).to_string()),
                });
            }
        }
        let group = groups.last_mut().ok_or_else(out_of_order)?;
        if failed {
            // A failed trial's rows only count its evaluations (the last row has none).
            let trial = group
                .failed
                .last_mut()
                .filter(|f| f.replicate == r && f.evaluations.map(|e| e + 1) == Some(s))
                .ok_or_else(out_of_order)?;
            if arch.is_valid(row) {
                trial.evaluations = trial.evaluations.map(|e| e + 1);
            }
            continue;
        }
        let trial = group
            .trials
            .last_mut()
            .filter(|c| c.replicate == r && c.incumbent_mean.len() + 1 == s as usize)
            .ok_or_else(out_of_order)?;
        let missing = [
            arch.is_null(row),
            cell.is_null(row),
            value.is_null(row),
            inc_value.is_null(row),
            inc_mean.is_null(row),
        ];
        if missing.contains(&true) {
            return Err(format!(
                "row {row}: an evaluation of a trial that did not fail has nulls"
            ));
        }
        seen.archs.push(arch.value(row));
        seen.cells.push(cell.value(row));
        trial.incumbent_mean.push(inc_mean.value(row));
        trial.incumbent_value.push(inc_value.value(row));
        if let Some(v) = trial.incumbent_test.as_mut() {
            v.push(inc_test.value(row));
        }
        if let Some(v) = trial.cumulative_cost.as_mut() {
            v.push(cost.value(row));
        }
        if let Some(v) = trial.points.as_mut() {
            v.push([value.value(row), second.value(row)]);
        }
    }
    Ok(())
}
