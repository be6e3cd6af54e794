//! Reading `trials.parquet` back into per-trial incumbent curves, and the failed trials.
//!
//! A curve is kept as the evaluations where it changed ([`StepCurve`]): an incumbent changes a
//! few times in a trial of 150 queries, so a report holds a few hundred bytes per trial
//! instead of every row, and reads a run of 67.5 M rows in bounded memory. The curves over
//! queries and over simulated time computed from it are exactly those of the full rows.

use std::path::Path;

use crate::ReportError;
use crate::incidents::Failure;
use crate::pareto::Front;
use crate::records::{
    self, Status,
    trials::{Evaluation, Incumbent, Row},
};

/// Where a trial's curve took a new value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Change {
    /// The evaluation (0-based) from which the curve holds `value`.
    pub at: u32,
    pub value: f64,
    /// When that evaluation finished on the simulated clock: the largest cumulative cost so
    /// far, and +inf from the first missing one on (the trial's time axis ends there); NaN
    /// when the table has no training times.
    pub seconds: f64,
}

/// A value after each evaluation of a trial, kept as the evaluations where it changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepCurve {
    /// Evaluations in the trial.
    pub len: u32,
    /// The changes by evaluation; the first is at evaluation 0.
    pub changes: Vec<Change>,
}

impl StepCurve {
    /// Appends the value after the next evaluation (kept only when its bits differ from the
    /// value before).
    pub fn push(&mut self, value: f64, seconds: f64) {
        if self
            .changes
            .last()
            .is_none_or(|c| c.value.to_bits() != value.to_bits())
        {
            self.changes.push(Change {
                at: self.len,
                value,
                seconds,
            });
        }
        self.len += 1;
    }

    /// The value after the last evaluation.
    pub fn last(&self) -> Option<f64> {
        self.changes.last().map(|c| c.value)
    }
}

/// An evaluation that entered its trial's Pareto front (`[observed objective, second
/// objective]`); the evaluations between two of them left the front as it was.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrontEntry {
    pub at: u32,
    pub point: [f64; 2],
    /// As [`Change::seconds`].
    pub seconds: f64,
}

/// One trial's incumbent after every evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialCurve {
    pub replicate: u32,
    /// The incumbent's seed-mean objective in the table.
    pub incumbent_mean: StepCurve,
    /// The final incumbent's observed objective (under the protocol's seed policy).
    pub final_value: f64,
    /// The final incumbent's test value, when the table has one.
    pub final_test: Option<f64>,
    /// Simulated seconds spent by the last evaluation, when the table has training times.
    pub final_cost: Option<f64>,
    /// Distinct architectures evaluated, and distinct isomorphism classes among them.
    pub unique_archs: usize,
    pub unique_cells: usize,
    /// The evaluations that entered the trial's Pareto front, when the protocol has a second
    /// objective.
    pub front_entries: Option<Vec<FrontEntry>>,
    /// How often the method fell back from its published algorithm, and the first reason.
    pub fallbacks: u32,
    pub fallback_reason: Option<String>,
}

impl TrialCurve {
    /// The final incumbent's seed-mean value (the reader refuses a trial without rows).
    pub fn final_mean(&self) -> f64 {
        self.incumbent_mean
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
/// `maximize` is the objective's direction (the Pareto fronts of a two-objective run depend on
/// it).
pub fn read_groups(dir: &Path, maximize: bool) -> Result<Vec<Group>, ReportError> {
    let path = dir.join(records::trials::FILE);
    let bad = |message: String| ReportError::Format {
        path: path.clone(),
        message,
    };
    let mut groups: Vec<Group> = Vec::new();
    let mut reading = Reading::new(maximize);
    for batch in records::trials::read_columns(&path, records::trials::REPORT_COLUMNS)? {
        let batch = batch?;
        for i in 0..batch.len() {
            let row = batch.row(i).map_err(&bad)?;
            reading.row(&row, i, &mut groups).map_err(&bad)?;
        }
    }
    reading.close(&mut groups);
    if groups.is_empty() {
        return Err(bad("no rows".into()));
    }
    Ok(groups)
}

/// A trial's simulated clock after an evaluation whose cumulative cost is `cost`, from
/// `before` (-inf before the first): the largest cost so far, so that "finished by time t" is
/// a prefix of the evaluations; it stops at +inf at the first unknown cost, as the trial's
/// time axis cannot go on.
pub(crate) fn clock(before: f64, cost: f64) -> f64 {
    if cost.is_nan() || before == f64::INFINITY {
        f64::INFINITY
    } else {
        before.max(cost)
    }
}

/// What the reader tracks within the trial being read.
struct Reading {
    maximize: bool,
    archs: Vec<u32>,
    cells: Vec<u32>,
    /// The trial's simulated clock (see [`Change::seconds`]).
    seconds: f64,
    front: Front,
}

impl Reading {
    fn new(maximize: bool) -> Reading {
        Reading {
            maximize,
            archs: Vec::new(),
            cells: Vec::new(),
            seconds: f64::NEG_INFINITY,
            front: Front::new(maximize),
        }
    }

    /// Stores the counts in the last trial read, and starts afresh.
    fn close(&mut self, groups: &mut [Group]) {
        self.seconds = f64::NEG_INFINITY;
        self.front = Front::new(self.maximize);
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
            trial.incumbent_mean.changes.shrink_to_fit();
            if let Some(entries) = trial.front_entries.as_mut() {
                entries.shrink_to_fit();
            }
        }
        self.archs.clear();
        self.cells.clear();
    }

    /// Adds one row (row `i` of its batch, for messages) to the groups.
    fn row(&mut self, row: &Row, i: usize, groups: &mut Vec<Group>) -> Result<(), String> {
        let (t, m, r, s) = (row.task, row.method, row.replicate, row.step);
        let failed = row.end.status == Status::Failed;
        let out_of_order = || format!("row {i}: {t}/{m} replicate {r} step {s} is out of order");
        if s == 1 {
            self.close(groups);
            start_trial(row, groups);
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
            .filter(|c| c.incumbent_mean.len + 1 == s && c.replicate == r)
            .ok_or_else(out_of_order)?;
        let (Some(evaluation), Some(incumbent)) = (&row.evaluation, row.incumbent) else {
            return Err(format!(
                "row {i}: an evaluation of a trial that did not fail has nulls"
            ));
        };
        self.evaluated(trial, evaluation, incumbent);
        Ok(())
    }

    /// Follows a trial that did not fail through one evaluation and its incumbent.
    fn evaluated(
        &mut self,
        trial: &mut TrialCurve,
        evaluation: &Evaluation<'_>,
        incumbent: Incumbent,
    ) {
        self.archs.push(evaluation.arch_id);
        self.cells.push(evaluation.canonical_arch_id);
        let seconds = match trial.final_cost {
            None => f64::NAN,
            Some(_) => {
                let cost = evaluation.cumulative_cost.unwrap_or(f64::NAN);
                trial.final_cost = Some(cost);
                self.seconds = clock(self.seconds, cost);
                self.seconds
            }
        };
        let at = trial.incumbent_mean.len;
        trial.incumbent_mean.push(incumbent.mean_value, seconds);
        trial.final_value = incumbent.value;
        if trial.final_test.is_some() {
            trial.final_test = Some(incumbent.test_value.unwrap_or(f64::NAN));
        }
        if let Some(entries) = trial.front_entries.as_mut() {
            let point = [
                evaluation.value,
                evaluation.second_value.unwrap_or(f64::NAN),
            ];
            if self.front.insert(point) {
                entries.push(FrontEntry { at, point, seconds });
            }
        }
    }
}

/// The first row of a trial starts its record in its (task, method) group, a new group
/// when the previous row was another's.
fn start_trial(row: &Row, groups: &mut Vec<Group>) {
    let (t, m, r) = (row.task, row.method, row.replicate);
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
    if row.end.status == Status::Failed {
        group.failed.push(Failure {
            replicate: r,
            error: row.end.error.unwrap_or("").to_string(),
            evaluations: Some(0),
        });
        return;
    }
    let evaluation = row.evaluation.as_ref();
    group.trials.push(TrialCurve {
        replicate: r,
        incumbent_mean: StepCurve::default(),
        final_value: f64::NAN,
        final_test: row.incumbent.and_then(|i| i.test_value),
        final_cost: evaluation.and_then(|e| e.cumulative_cost),
        unique_archs: 0,
        unique_cells: 0,
        front_entries: evaluation.and_then(|e| e.second_value).map(|_| Vec::new()),
        fallbacks: row.end.fallbacks,
        fallback_reason: row.end.fallback_reason.map(str::to_string),
    });
}
