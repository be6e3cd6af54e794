//! Runtime to target, as COCO and IOHprofiler analyse black-box optimisers (Hansen et al.,
//! "COCO: Performance Assessment", arXiv:1605.03560; Doerr et al., "IOHprofiler",
//! arXiv:1810.05281). nash's tables are exhaustive, so the optimum and every architecture's
//! rank are known, and a run's runtime to a target — the queries (and simulated seconds) until
//! its incumbent's seed-mean objective first reaches the target — is exact.
//!
//! - **Targets**: within 0.1, 0.5 and 1 (objective units: accuracy points) of the space's best
//!   seed-mean value, and the values of the table's 1st, 10th and 100th best architectures
//!   (top-1, top-10, top-100; recorded in the manifest by `nash run`).
//! - **Success**: the fraction of runs that reach a target within their budget.
//! - **ERT** (expected running time, COCO's aRT): the queries of all runs until they reached
//!   the target or ended, summed, over the number of successful runs; infinite without one.
//!   Its 95% CI is a percentile bootstrap of the statistic over resampled runs (COCO instead
//!   reports the spread of simulated restarts; a CI of the mean is what `nash compare`
//!   needs).
//! - **ECDF**: for each budget, the fraction of (run, target) pairs reached within it,
//!   aggregated over the six targets — COCO's main plot ("data profile").
//! - **AUC**: the area under the run's incumbent-regret curve over its queries, divided by
//!   their number: the mean regret over the run, lower is better (anytime performance; Ye et
//!   al., "Benchmarking Discrete Optimization Heuristics with IOHprofiler", 2019, use the
//!   area under the ECDF, which orders methods the same way on one target set).

use crate::records::manifest::TaskInfo;
use crate::stats::{self, Interval, Sample, Summary, bootstrap_cis_of_runs, bootstrap_rng};
use crate::trials::StepCurve;

/// Regret levels of the targets, in objective units.
pub const REGRET_TARGETS: [f64; 3] = [0.1, 0.5, 1.0];
/// Ranks of the targets (the k-th best architecture of the table).
pub const RANK_TARGETS: [u32; 3] = [1, 10, 100];

/// A target: its name and the seed-mean objective value that reaches it.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub label: String,
    pub value: f64,
}

/// The targets of a task: regret levels, then the ranks the manifest records.
pub fn targets(info: &TaskInfo, maximize: bool) -> Vec<Target> {
    let regret = REGRET_TARGETS.iter().map(|&d| Target {
        label: format!("within {d}"),
        value: if maximize {
            info.space_best - d
        } else {
            info.space_best + d
        },
    });
    let ranks = info.rank_values.iter().map(|r| Target {
        label: format!("top-{}", r.rank),
        value: r.value,
    });
    regret.chain(ranks).collect()
}

/// When a run first reached a target: queries, and simulated seconds (NaN without training
/// times); None when it did not.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub queries: u32,
    pub seconds: f64,
}

fn reaches(value: f64, target: f64, maximize: bool) -> bool {
    if maximize {
        value >= target
    } else {
        value <= target
    }
}

/// The first evaluation at which `curve` reaches `target`.
pub fn first_hit(curve: &StepCurve, target: f64, maximize: bool) -> Option<Hit> {
    curve
        .changes
        .iter()
        .find(|c| reaches(c.value, target, maximize))
        .map(|c| Hit {
            queries: c.at + 1,
            seconds: c.seconds,
        })
}

/// A method's runtimes to one target.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetRuntime {
    pub reached: usize,
    pub runs: usize,
    /// Expected running time in queries (infinite when no run reached the target).
    pub ert: f64,
    /// Its 95% bootstrap CI (None with fewer than 2 runs or no success).
    pub ert_ci: Option<Interval>,
    /// ERT in simulated seconds, when the table has training times: every run's simulated
    /// time until it reached the target or ended, over the successful runs.
    pub ert_seconds: Option<f64>,
}

/// A method's runtime-to-target analysis on one task.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodRuntime {
    pub method: String,
    /// One per target of the task, in order.
    pub targets: Vec<TargetRuntime>,
    /// (budget in queries, fraction of (run, target) pairs reached by it).
    pub ecdf: Vec<(f64, f64)>,
    /// The same over simulated seconds, when the table has training times.
    pub ecdf_seconds: Option<Vec<(f64, f64)>>,
    /// Mean regret over each run's queries (area under the regret curve over its length).
    pub auc: Vec<f64>,
    pub auc_summary: Option<Summary>,
}

/// ERT in queries of runs that reached the target after `hits[i]` queries, or ended after
/// `lengths[i]` without reaching it.
pub fn ert(hits: &[Option<u32>], lengths: &[u32]) -> f64 {
    let successes = hits.iter().flatten().count();
    let spent: f64 = hits
        .iter()
        .zip(lengths)
        .map(|(h, &len)| f64::from(h.unwrap_or(len)))
        .sum();
    if successes == 0 {
        f64::INFINITY
    } else {
        spent / successes as f64
    }
}

/// The area under a run's regret curve over its evaluations, divided by their number (its
/// mean regret); `best` is the space's best seed-mean value.
pub fn mean_regret(curve: &StepCurve, best: f64, maximize: bool) -> f64 {
    let regret = |v: f64| if maximize { best - v } else { v - best };
    let mut area = 0.0;
    for (i, c) in curve.changes.iter().enumerate() {
        let until = curve.changes.get(i + 1).map_or(curve.len, |n| n.at);
        area += regret(c.value) * f64::from(until - c.at);
    }
    area / f64::from(curve.len.max(1))
}

/// Budgets at which the ECDF is drawn: 1 to `longest` queries on a log scale (each integer
/// once).
fn budgets(longest: u32) -> Vec<u32> {
    let mut out: Vec<u32> = (0..=48)
        .map(|i| {
            let b = f64::from(longest.max(1)).powf(f64::from(i) / 48.0);
            b.round() as u32
        })
        .collect();
    out.dedup();
    out
}

/// ERT in simulated seconds of runs that reached the target at `hits[i]` seconds or ended at
/// `ends[i]` without reaching it.
fn ert_seconds(hits: &[Option<f64>], ends: &[f64]) -> f64 {
    let successes = hits.iter().flatten().count();
    let spent: f64 = hits.iter().zip(ends).map(|(h, &e)| h.unwrap_or(e)).sum();
    if successes == 0 {
        f64::INFINITY
    } else {
        spent / successes as f64
    }
}

/// The runtime analysis of one method's runs (`curves`: each run's incumbent seed mean;
/// `ends`: when each ended on the simulated clock, if the table has training times) on a
/// task with `targets`; `label` seeds the bootstraps.
pub fn analyse(
    method: &str,
    (curves, ends): (&[&StepCurve], Option<&[f64]>),
    targets: &[Target],
    (best, maximize): (f64, bool),
    label: &str,
) -> MethodRuntime {
    let lengths: Vec<u32> = curves.iter().map(|c| c.len).collect();
    // Per target, per run: the first hit, if any.
    let hits: Vec<Vec<Option<Hit>>> = targets
        .iter()
        .map(|t| {
            curves
                .iter()
                .map(|c| first_hit(c, t.value, maximize))
                .collect()
        })
        .collect();
    let queries: Vec<Vec<Option<u32>>> = hits
        .iter()
        .map(|h| h.iter().map(|h| h.as_ref().map(|h| h.queries)).collect())
        .collect();
    let seconds: Option<Vec<Vec<Option<f64>>>> = ends.map(|_| {
        let seconds = |h: &[Option<Hit>]| h.iter().map(|h| h.as_ref().map(|h| h.seconds)).collect();
        hits.iter().map(|h| seconds(h)).collect()
    });
    let cis = (curves.len() >= 2).then(|| ert_cis(&queries, &lengths, label));
    let per_target = queries
        .iter()
        .enumerate()
        .map(|(k, hits)| {
            let reached = hits.iter().flatten().count();
            TargetRuntime {
                reached,
                runs: curves.len(),
                ert: ert(hits, &lengths),
                ert_ci: cis.as_ref().filter(|_| reached > 0).map(|c| c[k]),
                ert_seconds: seconds
                    .as_ref()
                    .zip(ends)
                    .map(|(s, ends)| ert_seconds(&s[k], ends)),
            }
        })
        .collect();
    let pairs = (curves.len() * targets.len()).max(1) as f64;
    let auc: Vec<f64> = curves
        .iter()
        .map(|c| mean_regret(c, best, maximize))
        .collect();
    let auc_summary = Sample::new(auc.clone())
        .ok()
        .map(|s| Summary::of(&s, &mut bootstrap_rng(&format!("{label}/auc"))));
    MethodRuntime {
        method: method.to_string(),
        targets: per_target,
        ecdf: ecdf_queries(&queries, &lengths, pairs),
        ecdf_seconds: seconds
            .as_ref()
            .zip(ends)
            .map(|(s, e)| ecdf_seconds(s, e, pairs)),
        auc,
        auc_summary,
    }
}

/// Every target's ERT CI on the same bootstrap resamples of the runs (`hits`: per target,
/// per run, the queries of its first hit).
fn ert_cis(hits: &[Vec<Option<u32>>], lengths: &[u32], label: &str) -> Vec<Interval> {
    // One value per run and target: its runtime, negated when it did not reach the target
    // (runtimes are at least 1, so the sign is never ambiguous).
    let signed: Vec<Vec<f64>> = hits
        .iter()
        .map(|hits| {
            hits.iter()
                .zip(lengths)
                .map(|(h, &len)| match h {
                    Some(q) => f64::from(*q),
                    None => -f64::from(len),
                })
                .collect()
        })
        .collect();
    // The queries summed over the successes (the sum `ert` takes, in the same order).
    bootstrap_cis_of_runs(
        (lengths.len(), hits.len()),
        |runs, erts| {
            for (ert, signed) in erts.iter_mut().zip(&signed) {
                let spent: f64 = runs.iter().map(|&r| signed[r].abs()).sum();
                *ert = match runs.iter().filter(|&&r| signed[r] > 0.0).count() {
                    0 => f64::INFINITY,
                    successes => spent / successes as f64,
                };
            }
        },
        0.95,
        &mut bootstrap_rng(&format!("{label}/ert")),
    )
}

/// The fraction of the (run, target) `pairs` reached within each query budget.
fn ecdf_queries(hits: &[Vec<Option<u32>>], lengths: &[u32], pairs: f64) -> Vec<(f64, f64)> {
    budgets(lengths.iter().copied().max().unwrap_or(1))
        .into_iter()
        .map(|b| {
            let reached = hits.iter().flatten().flatten().filter(|&&q| q <= b).count();
            (f64::from(b), reached as f64 / pairs)
        })
        .collect()
}

/// The fraction of the (run, target) `pairs` reached within simulated time, from a
/// thousandth of the longest run to its end on a log scale.
fn ecdf_seconds(hits: &[Vec<Option<f64>>], ends: &[f64], pairs: f64) -> Vec<(f64, f64)> {
    let longest = ends.iter().copied().fold(0.0, f64::max);
    (0..=48)
        .map(|i| {
            let b = longest * 10f64.powf(3.0 * (f64::from(i) / 48.0 - 1.0));
            let reached = hits.iter().flatten().flatten().filter(|&&t| t <= b).count();
            (b, reached as f64 / pairs)
        })
        .collect()
}

/// The mean of a method's AUCs (its point estimate where there is no summary).
pub fn mean_auc(m: &MethodRuntime) -> f64 {
    stats::mean(&m.auc)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run whose incumbent takes `values` at the given evaluations, over `len` of them.
    fn curve(len: u32, changes: &[(u32, f64)]) -> StepCurve {
        let mut c = StepCurve::default();
        let mut current = changes[0].1;
        for q in 0..len {
            if let Some(&(_, v)) = changes.iter().find(|(at, _)| *at == q) {
                current = v;
            }
            c.push(current, f64::from(q + 1) * 10.0);
        }
        c
    }

    #[test]
    fn ert_sums_every_runs_queries_over_the_successes() {
        // COCO's example: two successes after 10 and 30 evaluations, one failure after 100.
        assert_eq!(ert(&[Some(10), Some(30), None], &[100, 100, 100]), 70.0);
        assert_eq!(ert(&[None, None], &[50, 50]), f64::INFINITY);
        assert_eq!(ert(&[Some(4)], &[9]), 4.0);
    }

    #[test]
    fn first_hits_mean_regret_and_the_ecdf_follow_the_runs() {
        let best = 91.0;
        let a = curve(10, &[(0, 85.0), (3, 90.6), (7, 91.0)]);
        let b = curve(10, &[(0, 88.0), (5, 89.0)]);
        assert_eq!(
            first_hit(&a, 90.5, true),
            Some(Hit {
                queries: 4,
                seconds: 40.0
            })
        );
        assert_eq!(first_hit(&b, 90.5, true), None);
        // Regret 6 for 3 queries, 0.4 for 4, 0 for 3: (18 + 1.6) / 10.
        assert!((mean_regret(&a, best, true) - 1.96).abs() < 1e-12);
        let targets = [
            Target {
                label: "within 0.5".into(),
                value: 90.5,
            },
            Target {
                label: "top-1".into(),
                value: 91.0,
            },
        ];
        let ends = [100.0, 100.0];
        let m = analyse("m", (&[&a, &b], Some(&ends)), &targets, (best, true), "t");
        // Reached at 40 s (query 4) and 80 s (query 8); the other run ended at 100 s.
        assert_eq!(m.targets[0].ert_seconds, Some(140.0));
        assert_eq!(m.targets[1].ert_seconds, Some(180.0));
        let by = |b: f64| {
            m.ecdf_seconds
                .as_ref()
                .unwrap()
                .iter()
                .rev()
                .find(|(x, _)| *x <= b)
                .unwrap()
                .1
        };
        assert_eq!((by(39.0), by(100.0)), (0.0, 0.5));
        assert_eq!((m.targets[0].reached, m.targets[0].runs), (1, 2));
        // (4 + 10) / 1 and (8 + 10) / 1.
        assert_eq!(m.targets[0].ert, 14.0);
        assert_eq!(m.targets[1].ert, 18.0);
        let at = |b: f64| m.ecdf.iter().find(|(x, _)| *x == b).unwrap().1;
        assert_eq!((at(1.0), at(4.0), at(8.0), at(10.0)), (0.0, 0.25, 0.5, 0.5));
        // A loss (minimised): reaching means going below.
        let loss = curve(4, &[(0, 2.0), (2, 0.5)]);
        assert_eq!(first_hit(&loss, 0.6, false).map(|h| h.queries), Some(3));
    }
}
