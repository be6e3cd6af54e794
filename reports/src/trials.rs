//! Reading `trials.parquet` back into per-trial incumbent curves, and the failed trials.

use std::path::Path;

use crate::ReportError;
use crate::incidents::Failure;
use crate::records::{self, Status, trials::Row};

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

/// Reads the groups of a run directory's `trials.parquet`, in the order they were written.
pub fn read_groups(dir: &Path) -> Result<Vec<Group>, ReportError> {
    let path = dir.join(records::trials::FILE);
    let bad = |message: String| ReportError::Format {
        path: path.clone(),
        message,
    };
    let mut groups: Vec<Group> = Vec::new();
    let mut seen = Seen::default();
    for batch in records::trials::read(&path)? {
        let batch = batch?;
        for i in 0..batch.len() {
            let row = batch.row(i).map_err(&bad)?;
            append_row(&row, i, &mut groups, &mut seen).map_err(&bad)?;
        }
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

/// Adds one row (row `i` of its batch, for messages) to the groups.
fn append_row(row: &Row, i: usize, groups: &mut Vec<Group>, seen: &mut Seen) -> Result<(), String> {
    let (t, m, r, s) = (row.task, row.method, row.replicate, row.step);
    let failed = row.end.status == Status::Failed;
    let out_of_order = || format!("row {i}: {t}/{m} replicate {r} step {s} is out of order");
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
                error: row.end.error.unwrap_or("").to_string(),
                evaluations: Some(0),
            });
        } else {
            let evaluation = row.evaluation.as_ref();
            group.trials.push(TrialCurve {
                replicate: r,
                incumbent_mean: Vec::new(),
                incumbent_value: Vec::new(),
                incumbent_test: row.incumbent.and_then(|i| i.test_value).map(|_| Vec::new()),
                cumulative_cost: evaluation
                    .and_then(|e| e.cumulative_cost)
                    .map(|_| Vec::new()),
                unique_archs: 0,
                unique_cells: 0,
                points: evaluation.and_then(|e| e.second_value).map(|_| Vec::new()),
                fallbacks: row.end.fallbacks,
                fallback_reason: row.end.fallback_reason.map(str::to_string),
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
        if row.evaluation.is_some() {
            trial.evaluations = trial.evaluations.map(|e| e + 1);
        }
        return Ok(());
    }
    let trial = group
        .trials
        .last_mut()
        .filter(|c| c.replicate == r && c.incumbent_mean.len() + 1 == s as usize)
        .ok_or_else(out_of_order)?;
    let (Some(evaluation), Some(incumbent)) = (&row.evaluation, row.incumbent) else {
        return Err(format!(
            "row {i}: an evaluation of a trial that did not fail has nulls"
        ));
    };
    seen.archs.push(evaluation.arch_id);
    seen.cells.push(evaluation.canonical_arch_id);
    trial.incumbent_mean.push(incumbent.mean_value);
    trial.incumbent_value.push(incumbent.value);
    if let Some(v) = trial.incumbent_test.as_mut() {
        v.push(incumbent.test_value.unwrap_or(f64::NAN));
    }
    if let Some(v) = trial.cumulative_cost.as_mut() {
        v.push(evaluation.cumulative_cost.unwrap_or(f64::NAN));
    }
    if let Some(v) = trial.points.as_mut() {
        v.push([
            evaluation.value,
            evaluation.second_value.unwrap_or(f64::NAN),
        ]);
    }
    Ok(())
}
