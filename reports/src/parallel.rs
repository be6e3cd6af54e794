//! Simulated parallel workers (`workers:` in a search protocol; `workers.parquet`): per task,
//! method and worker count k, the simulated wall-clock a run took (its makespan), the share of
//! worker time left idle, and the expected wall-clock time to come within 0.5 of the space's
//! best (ERT in simulated seconds: every run's time until it reached the target or ended,
//! over the successful runs) — and the speed-ups of both against the same method with one
//! worker. A method that must be told every result before it is asked again (`Sequential`)
//! gains nothing: its other workers wait.

use std::collections::BTreeMap;

use crate::records::manifest::Manifest;
use crate::records::workers::Row;
use crate::runtime;
use crate::trials::Group;

/// The regret level of the wall-clock target.
pub const TARGET_REGRET: f64 = 0.5;

/// One method with k workers on one task.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkersResult {
    /// The method's id without `@k`.
    pub method: String,
    pub workers: u32,
    pub runs: usize,
    /// Mean simulated wall-clock seconds until a run's last evaluation finished.
    pub makespan: f64,
    /// Mean share of worker time spent idle.
    pub idle: f64,
    /// Runs that came within `TARGET_REGRET` of the best.
    pub reached: usize,
    /// ERT in simulated seconds to that target (infinite when no run reached it).
    pub ert_seconds: f64,
    /// The same method's one-worker makespan and ERT over this one's (None without k = 1).
    pub speedup_makespan: Option<f64>,
    pub speedup_ert: Option<f64>,
}

/// Per task, each method and worker count of a run whose trials' workers are `rows`.
pub fn analyse(
    manifest: &Manifest,
    groups: &[Group],
    rows: &[Row],
) -> Vec<(String, Vec<WorkersResult>)> {
    let Some(search) = manifest.search() else {
        return Vec::new();
    };
    let maximize = manifest.maximize();
    let mut out = Vec::new();
    for info in &search.tasks {
        let target = if maximize {
            info.space_best - TARGET_REGRET
        } else {
            info.space_best + TARGET_REGRET
        };
        let mut results: Vec<WorkersResult> = Vec::new();
        for m in &search.methods {
            let Some(k) = m.workers else { continue };
            let Some(group) = groups
                .iter()
                .find(|g| g.task == info.task && g.method == m.id)
            else {
                continue;
            };
            let makespans: BTreeMap<u32, (f64, f64)> = rows
                .iter()
                .filter(|r| r.task == info.task && r.method == m.id)
                .map(|r| {
                    (
                        r.replicate,
                        (r.makespan, r.idle / (f64::from(k) * r.makespan)),
                    )
                })
                .collect();
            let (mut spent, mut reached, mut idle, mut makespan) = (0.0, 0, 0.0, 0.0);
            for t in &group.trials {
                let Some(&(end, idle_share)) = makespans.get(&t.replicate) else {
                    continue;
                };
                makespan += end;
                idle += if idle_share.is_finite() {
                    idle_share
                } else {
                    0.0
                };
                match runtime::first_hit(&t.incumbent_mean, target, maximize) {
                    Some(hit) => {
                        spent += hit.seconds;
                        reached += 1;
                    }
                    None => spent += end,
                }
            }
            let runs = makespans.len().min(group.trials.len()).max(1);
            let base =
                m.id.strip_suffix(&format!("@{k}"))
                    .unwrap_or(&m.id)
                    .to_string();
            results.push(WorkersResult {
                method: base,
                workers: k,
                runs: group.trials.len(),
                makespan: makespan / runs as f64,
                idle: idle / runs as f64,
                reached,
                ert_seconds: if reached == 0 {
                    f64::INFINITY
                } else {
                    spent / reached as f64
                },
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
        out.push((info.task.clone(), results));
    }
    out
}
