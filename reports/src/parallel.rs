//! Simulated parallel workers (`workers:` in a search protocol; `workers.parquet`): per task,
//! method and worker count k, the simulated wall-clock a run took (its makespan), the share of
//! worker time left idle, and the expected wall-clock time to come within 0.5 of the space's
//! best (ERT in simulated seconds: every run's time until it reached the target or ended,
//! over the successful runs) — and the speed-ups of both against the same method with one
//! worker. A method that must be told every result before it is asked again (`Sequential`)
//! gains nothing: its other workers wait.

use crate::records::manifest::Manifest;
use crate::records::workers::Row;
use crate::runtime::REGRET_TARGETS;
use crate::search::SearchAnalysis;

/// The regret level of the wall-clock target: the runtime analysis' middle one.
pub const TARGET_REGRET: f64 = REGRET_TARGETS[1];

/// One method with k workers on one task.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkersResult {
    /// The method's id without `@k`.
    pub method: String,
    pub workers: u32,
    /// Runs with a workers row (those that did not fail).
    pub runs: usize,
    /// Mean simulated wall-clock seconds until a run's last evaluation finished.
    pub makespan: f64,
    /// Mean share of worker time spent idle.
    pub idle: f64,
    /// Runs that came within `TARGET_REGRET` of the best, of the method's finished runs.
    pub reached: usize,
    /// ERT in simulated seconds to that target (the runtime analysis'; infinite when no run
    /// reached it).
    pub ert_seconds: f64,
    /// The same method's one-worker makespan and ERT over this one's (None without k = 1).
    pub speedup_makespan: Option<f64>,
    pub speedup_ert: Option<f64>,
}

/// Per task, each method and worker count of a run whose trials' workers are `rows`.
pub fn analyse(
    manifest: &Manifest,
    analysis: &SearchAnalysis,
    rows: &[Row],
) -> Vec<(String, Vec<WorkersResult>)> {
    let Some(search) = manifest.search() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for task in &analysis.tasks {
        let target = task
            .targets
            .iter()
            .position(|t| t.label == format!("within {TARGET_REGRET}"));
        let mut results: Vec<WorkersResult> = Vec::new();
        for m in &search.methods {
            let Some(k) = m.workers else { continue };
            let Some(result) = task.methods.iter().find(|r| r.method == m.id) else {
                continue;
            };
            let mine: Vec<&Row> = rows
                .iter()
                .filter(|r| r.task == task.info.task && r.method == m.id)
                .collect();
            if mine.is_empty() {
                continue;
            }
            let runs = mine.len();
            let mean =
                |f: &dyn Fn(&Row) -> f64| mine.iter().map(|r| f(r)).sum::<f64>() / runs as f64;
            let runtime = target.map(|i| &result.runtime.targets[i]);
            let base = m.id.strip_suffix(&format!("@{k}")).unwrap_or(&m.id);
            results.push(WorkersResult {
                method: base.to_string(),
                workers: k,
                runs,
                makespan: mean(&|r| r.makespan),
                idle: mean(&|r| {
                    let share = r.idle / (f64::from(k) * r.makespan);
                    if share.is_finite() { share } else { 0.0 }
                }),
                reached: runtime.map_or(0, |t| t.reached),
                ert_seconds: runtime.and_then(|t| t.ert_seconds).unwrap_or(f64::INFINITY),
                speedup_makespan: None,
                speedup_ert: None,
            });
        }
        let ones: Vec<(String, f64, f64)> = results
            .iter()
            .filter(|r| r.workers == 1)
            .map(|r| (r.method.clone(), r.makespan, r.ert_seconds))
            .collect();
        for r in &mut results {
            if let Some((_, makespan, ert)) = ones.iter().find(|(m, _, _)| *m == r.method) {
                r.speedup_makespan = Some(makespan / r.makespan);
                r.speedup_ert =
                    (ert.is_finite() && r.ert_seconds.is_finite()).then(|| ert / r.ert_seconds);
            }
        }
        out.push((task.info.task.clone(), results));
    }
    out
}
