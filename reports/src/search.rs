//! The search report: per task and method, the final incumbent's statistics, relative
//! improvement over random sampling, and incumbent curves. A pure function of the trial
//! records and the manifest.
//!
//! Relative improvement (Yang, Esperança & Carlucci, "NAS evaluation is frustratingly hard",
//! ICLR 2020): `RI = 100 · (Acc_m − Acc_r) / Acc_r`, where `Acc_m` is the mean over runs of
//! the final incumbent's accuracy and `Acc_r` the mean accuracy of randomly sampled
//! architectures. For a minimized objective (a loss) the sign is flipped,
//! `RI = 100 · (Acc_r − Acc_m) / Acc_r`, so positive always means better than random.
//! nash reports two baselines: `Acc_r` exact (the mean over the whole space, available on a
//! tabular benchmark) and `Acc_r` sampled (the mean of the protocol's `random_baseline`
//! seeded random architectures, as Yang et al. did with 8). Accuracies here are seed means
//! from the table, so evaluation noise does not favour the method that queried more often.

use crate::incidents::Incidents;
use crate::pareto;
use crate::power;
use crate::records::manifest::{Manifest, ParetoInfo, SearchInfo, TaskInfo};
use crate::significance::{self, Test};
use crate::stats::{self, Interval, Sample, Summary, bootstrap_ci, bootstrap_rng};
use rayon::prelude::*;

use crate::runtime::{self, MethodRuntime, Target};
use crate::trials::{Change, Group, StepCurve, TrialCurve};

/// Median and interquartile range of the incumbent across trials, at each x.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Curve {
    pub x: Vec<f64>,
    pub median: Vec<f64>,
    pub q1: Vec<f64>,
    pub q3: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MethodResult {
    pub method: String,
    /// The final incumbent's seed-mean objective, one value per trial that did not fail.
    pub finals: Vec<f64>,
    /// The replicate of each of `finals`.
    pub replicates: Vec<u32>,
    /// Statistics of `finals` (none with a single trial).
    pub summary: Option<Summary>,
    /// Statistics of the final incumbent's observed objective.
    pub observed: Option<Summary>,
    /// Statistics of the final incumbent's test value, when the table has one.
    pub test: Option<Summary>,
    /// Distance of the mean final value from the best in the space (≥ 0).
    pub regret: f64,
    /// RI against the exact space mean, with a 95% CI when there are ≥ 2 trials.
    pub ri_exact: (f64, Option<Interval>),
    /// RI against the mean of the k sampled random architectures.
    pub ri_sampled: (f64, Option<Interval>),
    /// RI against the free prior (the task's first `prior_order` method: architectures by
    /// decreasing tabulated property), when the protocol runs one.
    pub ri_prior: Option<(f64, Option<Interval>)>,
    pub over_queries: Curve,
    pub over_time: Option<Curve>,
    /// Mean over runs of the distinct architectures and isomorphism classes evaluated.
    pub unique_archs: f64,
    pub unique_cells: f64,
    /// Hypervolume of each run's evaluations against the second objective, when the protocol
    /// has one.
    pub hypervolume: Option<HypervolumeResult>,
    /// Runtime to the task's targets, the ECDF over them and the area under the regret curve.
    pub runtime: MethodRuntime,
}

/// Hypervolume of the evaluated architectures as a fraction of the table's exact front's.
#[derive(Debug, Clone, PartialEq)]
pub struct HypervolumeResult {
    /// Final hypervolume ratio per run.
    pub finals: Vec<f64>,
    pub summary: Option<Summary>,
    /// Mean size of each run's final front.
    pub front_size: f64,
    /// The ratio after each query, across runs.
    pub over_queries: Curve,
    /// The ratio over simulated time, when the table has training times.
    pub over_time: Option<Curve>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchTaskResult {
    pub info: TaskInfo,
    /// The runtime targets (`runtime.rs`), in the order of each method's `runtime.targets`.
    pub targets: Vec<Target>,
    /// Mean of the sampled random baseline and its bootstrap CI.
    pub random_mean: f64,
    pub random_ci: Option<Interval>,
    /// Methods with at least one trial that did not fail.
    pub methods: Vec<MethodResult>,
    /// Each method with failed trials or fallbacks, in the order they ran.
    pub incidents: Vec<(String, Incidents)>,
    /// The baseline method's index in `methods`, when it has finished runs.
    pub baseline: Option<usize>,
    /// Each method's final values against the baseline's (None for the baseline itself, or
    /// with fewer than 2 runs on a side).
    pub versus_baseline: Vec<Option<VersusBaseline>>,
    /// Ranks over the replicates every method finished (none with one method or fewer than
    /// two such replicates).
    pub ranks: Option<Ranks>,
}

/// A method's final values tested against the baseline's: Mann-Whitney U (different methods
/// draw from different seeds), Holm-adjusted over the task's methods.
#[derive(Debug, Clone, PartialEq)]
pub struct VersusBaseline {
    pub test: Test,
    pub p_holm: f64,
    /// The method's mean final value minus the baseline's.
    pub difference: f64,
    /// The smallest difference the test could detect at α = 0.05 with 80% power, given both
    /// sides' runs and spreads (`power.rs`).
    pub detectable: f64,
    /// Replicates per method that would detect `difference` with 80% power.
    pub replicates_for_difference: u64,
    /// Significant at α = 0.05: Some(true) when better than the baseline, Some(false) when
    /// worse.
    pub significantly_better: Option<bool>,
}

/// The methods ranked per replicate (1 = best), over the replicates every method finished.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranks {
    pub replicates: usize,
    /// One per method of the task, in its order.
    pub average: Vec<f64>,
    pub friedman: Test,
    /// Nemenyi's critical difference at α = 0.05.
    pub critical_difference: Option<f64>,
    /// Per method, (wins, ties, losses) against the baseline, when there is one.
    pub against_baseline: Option<Vec<(usize, usize, usize)>>,
}

/// The methods ranked over tasks by their mean final value (Yang et al.'s RI table).
#[derive(Debug, Clone, PartialEq)]
pub enum OverallRanks {
    /// One task, or a task with fewer than two methods: nothing to rank over tasks.
    NotApplicable,
    /// Average rank over tasks, one per method of the first task, in its order.
    Ranked(Vec<f64>),
    /// Two tasks whose methods with finished runs differ (some method failed every run on
    /// one of them).
    Skipped { first: String, other: String },
}

/// The whole search analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchAnalysis {
    pub tasks: Vec<SearchTaskResult>,
    pub overall: OverallRanks,
}

/// The failures and fallbacks of a method's trials.
fn incidents(group: &Group) -> Incidents {
    let mut incidents = Incidents::default();
    for t in &group.trials {
        incidents.add(None, t.fallbacks, t.fallback_reason.as_deref());
    }
    for f in &group.failed {
        incidents.add(Some(f.clone()), 0, None);
    }
    incidents
}

/// Computes every task's results and the ranks over tasks. Groups whose task the manifest does
/// not describe are an error (the run directory is inconsistent).
pub fn analyse(manifest: &Manifest, groups: &[Group]) -> Result<SearchAnalysis, String> {
    let tasks = analyse_tasks(manifest, groups)?;
    let overall = overall_ranks(&tasks, manifest.maximize());
    Ok(SearchAnalysis { tasks, overall })
}

fn analyse_tasks(manifest: &Manifest, groups: &[Group]) -> Result<Vec<SearchTaskResult>, String> {
    let search = manifest.search().ok_or("not a search run")?;
    let maximize = manifest.maximize();
    let random =
        |info: &TaskInfo| -> Vec<f64> { info.random_sample.iter().map(|s| s.value).collect() };
    // Every (task, method) cell is analysed on its own (its bootstraps seeded by its label),
    // so the cells are spread over the threads; the order is kept.
    let cells: Vec<(&TaskInfo, &Group, Option<f64>)> = search
        .tasks
        .iter()
        .flat_map(|info| {
            let task_groups: Vec<&Group> = groups.iter().filter(|g| g.task == info.task).collect();
            let time_end = time_axis_end(search, &task_groups);
            task_groups
                .into_iter()
                .filter(|g| !g.trials.is_empty())
                .map(move |g| (info, g, time_end))
        })
        .collect();
    let mut results = cells
        .par_iter()
        .map(|&(info, g, time_end)| {
            analyse_group(manifest, info, &random(info), g, maximize, time_end)
        })
        .collect::<Vec<MethodResult>>()
        .into_iter();
    let mut tasks: Vec<SearchTaskResult> = Vec::new();
    for info in &search.tasks {
        let random = random(info);
        let label = format!("{}/{}/random", manifest.protocol.sha256, info.task);
        let random_ci = (random.len() >= 2).then(|| {
            bootstrap_ci(
                &[&random],
                |s| stats::mean(&s[0]),
                0.95,
                &mut bootstrap_rng(&label),
            )
        });
        let task_groups: Vec<&Group> = groups.iter().filter(|g| g.task == info.task).collect();
        let analysed = cells.iter().filter(|c| std::ptr::eq(c.0, info)).count();
        let mut methods: Vec<MethodResult> = results.by_ref().take(analysed).collect();
        add_ri_over_prior(manifest, search, &mut methods, &info.task);
        let baseline = search
            .baseline()
            .and_then(|b| methods.iter().position(|m| m.method == b));
        let paired = paired_baselines(search, &methods, baseline);
        let versus_baseline = versus_baseline(&methods, &paired, maximize);
        let ranks = ranks(&methods, baseline, maximize);
        tasks.push(SearchTaskResult {
            targets: runtime::targets(info, maximize),
            baseline,
            versus_baseline,
            ranks,
            info: info.clone(),
            random_mean: stats::mean(&random),
            random_ci,
            methods,
            incidents: task_groups
                .iter()
                .map(|g| (g.method.clone(), incidents(g)))
                .filter(|(_, i)| !i.is_empty())
                .collect(),
        });
    }
    if let Some(g) = groups
        .iter()
        .find(|g| !search.tasks.iter().any(|t| t.task == g.task))
    {
        return Err(format!(
            "trials of task '{}' are not in the manifest",
            g.task
        ));
    }
    Ok(tasks)
}

/// Each method's RI over the free prior: the first method of the protocol whose name is
/// `prior_order` (RI against it uses its mean final value as `Acc_r`; the CI bootstraps both
/// sets of runs).
fn add_ri_over_prior(
    manifest: &Manifest,
    search: &SearchInfo,
    methods: &mut [MethodResult],
    task: &str,
) {
    let maximize = manifest.maximize();
    let Some(prior) = search
        .methods
        .iter()
        .find(|m| m.method == PRIOR_ORDER)
        .and_then(|info| methods.iter().find(|m| m.method == info.id))
        .map(|m| m.finals.clone())
    else {
        return;
    };
    let prior_mean = stats::mean(&prior);
    for m in methods.iter_mut() {
        let label = format!("{}/{task}/{}/ri-prior", manifest.protocol.sha256, m.method);
        let ci = (m.finals.len() >= 2 && prior.len() >= 2).then(|| {
            bootstrap_ci(
                &[&m.finals, &prior],
                |s| ri(stats::mean(&s[0]), stats::mean(&s[1]), maximize),
                0.95,
                &mut bootstrap_rng(&label),
            )
        });
        m.ri_prior = Some((ri(stats::mean(&m.finals), prior_mean, maximize), ci));
    }
}

/// The free prior's method name (`methods::search::prior_order`).
pub const PRIOR_ORDER: &str = "prior_order";

/// Each method's final values against the baseline's, Holm-adjusted within the task.
/// The method each method is tested against: the baseline, or, in a run with several worker
/// counts (`id@k`), the baseline's trials with the same k.
fn paired_baselines(
    search: &SearchInfo,
    methods: &[MethodResult],
    baseline: Option<usize>,
) -> Vec<Option<usize>> {
    let info = |id: &str| search.methods.iter().find(|m| m.id == id);
    let stem = |id: &str| match info(id).and_then(|m| m.workers) {
        Some(k) => id.strip_suffix(&format!("@{k}")).unwrap_or(id).to_string(),
        None => id.to_string(),
    };
    let Some(b) = baseline else {
        return vec![None; methods.len()];
    };
    let base_stem = stem(&methods[b].method);
    methods
        .iter()
        .map(|m| match info(&m.method).and_then(|i| i.workers) {
            Some(k) if m.method.ends_with(&format!("@{k}")) => {
                let id = format!("{base_stem}@{k}");
                methods.iter().position(|x| x.method == id)
            }
            _ => Some(b),
        })
        .collect()
}

fn versus_baseline(
    methods: &[MethodResult],
    baselines: &[Option<usize>],
    maximize: bool,
) -> Vec<Option<VersusBaseline>> {
    let tests: Vec<Option<Test>> = methods
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let base = &methods[baselines[i]?];
            (baselines[i] != Some(i) && m.finals.len() >= 2 && base.finals.len() >= 2)
                .then(|| significance::mann_whitney(&m.finals, &base.finals))
        })
        .collect();
    let p: Vec<f64> = tests.iter().flatten().map(|t| t.p_value).collect();
    let mut adjusted = significance::holm(&p).into_iter();
    let mean = |m: &MethodResult| m.summary.as_ref().map_or(m.finals[0], |s| s.mean);
    tests
        .into_iter()
        .zip(methods)
        .zip(baselines)
        .map(|((test, m), b)| {
            let test = test?;
            let base = &methods[b.expect("tested against it")];
            let p_holm = adjusted.next().expect("one per test");
            let spread = |m: &MethodResult| m.summary.as_ref().map_or(0.0, |s| s.std);
            let difference = mean(m) - mean(base);
            Some(VersusBaseline {
                difference,
                detectable: power::detectable_difference(
                    (spread(m), m.finals.len()),
                    (spread(base), base.finals.len()),
                ),
                replicates_for_difference: power::replicates_needed(
                    spread(m),
                    spread(base),
                    difference.abs(),
                ),
                significantly_better: (p_holm < 0.05).then(|| (mean(m) > mean(base)) == maximize),
                test,
                p_holm,
            })
        })
        .collect()
}

/// Final values by replicate, one row per replicate that every method finished (a failed
/// trial drops its replicate from every method, so ranks compare the same seeds).
fn blocks_by_replicate(methods: &[MethodResult]) -> Vec<Vec<f64>> {
    let Some(first) = methods.first() else {
        return Vec::new();
    };
    first
        .replicates
        .iter()
        .filter_map(|r| {
            methods
                .iter()
                .map(|m| {
                    let i = m.replicates.iter().position(|x| x == r)?;
                    Some(m.finals[i])
                })
                .collect()
        })
        .collect()
}

/// The methods' ranks over the replicates every one of them finished.
fn ranks(methods: &[MethodResult], baseline: Option<usize>, maximize: bool) -> Option<Ranks> {
    if methods.len() < 2 {
        return None;
    }
    let rows = blocks_by_replicate(methods);
    if rows.len() < 2 {
        return None;
    }
    let against_baseline = baseline.map(|b| {
        (0..methods.len())
            .map(|i| {
                let (mut w, mut t, mut l) = (0, 0, 0);
                for r in &rows {
                    let (a, base) = (r[i], r[b]);
                    if a == base {
                        t += 1;
                    } else if (a > base) == maximize {
                        w += 1;
                    } else {
                        l += 1;
                    }
                }
                (w, t, l)
            })
            .collect()
    });
    Some(Ranks {
        replicates: rows.len(),
        average: significance::average_ranks_over(&rows, maximize),
        friedman: significance::friedman(&rows),
        critical_difference: significance::nemenyi_cd(methods.len(), rows.len()),
        against_baseline,
    })
}

/// Average ranks over tasks of each method's mean final value, when every task has the same
/// methods with finished runs.
fn overall_ranks(tasks: &[SearchTaskResult], maximize: bool) -> OverallRanks {
    if tasks.len() < 2 || tasks.iter().any(|t| t.methods.len() < 2) {
        return OverallRanks::NotApplicable;
    }
    let names = |t: &SearchTaskResult| {
        t.methods
            .iter()
            .map(|m| m.method.clone())
            .collect::<Vec<_>>()
    };
    if let Some(other) = tasks.iter().find(|t| names(t) != names(&tasks[0])) {
        return OverallRanks::Skipped {
            first: tasks[0].info.task.clone(),
            other: other.info.task.clone(),
        };
    }
    let rows: Vec<Vec<f64>> = tasks
        .iter()
        .map(|t| t.methods.iter().map(|m| stats::mean(&m.finals)).collect())
        .collect();
    OverallRanks::Ranked(significance::average_ranks_over(&rows, maximize))
}

/// Relative improvement (Yang et al., ICLR 2020) of `m` over the random baseline `r`, in %.
pub(crate) fn ri(m: f64, r: f64, maximize: bool) -> f64 {
    if maximize {
        100.0 * (m - r) / r
    } else {
        100.0 * (r - m) / r
    }
}

fn summarize(values: &[f64], label: &str) -> Option<Summary> {
    let sample = Sample::new(values.to_vec()).ok()?;
    Some(Summary::of(&sample, &mut bootstrap_rng(label)))
}

fn analyse_group(
    manifest: &Manifest,
    info: &TaskInfo,
    random: &[f64],
    group: &Group,
    maximize: bool,
    time_end: Option<f64>,
) -> MethodResult {
    let label = |what: &str| {
        format!(
            "{}/{}/{}/{what}",
            manifest.protocol.sha256, group.task, group.method
        )
    };
    let finals: Vec<f64> = group.trials.iter().map(TrialCurve::final_mean).collect();
    let observed: Vec<f64> = group.trials.iter().map(|t| t.final_value).collect();
    let test: Option<Vec<f64>> = group.trials.iter().map(|t| t.final_test).collect();
    let incumbents: Vec<&StepCurve> = group.trials.iter().map(|t| &t.incumbent_mean).collect();
    let ends: Option<Vec<f64>> = group.trials.iter().map(|t| t.final_cost).collect();
    let summary = summarize(&finals, &label("final"));
    let mean = stats::mean(&finals);
    let space_mean = info.space_mean;
    let random_mean = stats::mean(random);
    let ri_exact_ci = summary.as_ref().map(|s| {
        let (a, b) = (
            ri(s.ci.low, space_mean, maximize),
            ri(s.ci.high, space_mean, maximize),
        );
        Interval {
            low: a.min(b),
            high: a.max(b),
        }
    });
    let ri_sampled_ci = ri_sampled_ci(&finals, random, maximize, &label("ri-sampled"));
    let regret = if maximize {
        info.space_best - mean
    } else {
        mean - info.space_best
    };
    MethodResult {
        method: group.method.clone(),
        summary,
        observed: summarize(&observed, &label("observed")),
        test: test.and_then(|t| summarize(&t, &label("test"))),
        regret,
        ri_exact: (ri(mean, space_mean, maximize), ri_exact_ci),
        ri_sampled: (ri(mean, random_mean, maximize), ri_sampled_ci),
        ri_prior: None,
        runtime: runtime::analyse(
            &group.method,
            (&incumbents, ends.as_deref()),
            &runtime::targets(info, maximize),
            (info.space_best, maximize),
            &label("runtime"),
        ),
        over_queries: curve_over_queries(&incumbents),
        unique_archs: mean_of(&group.trials, |t| t.unique_archs),
        unique_cells: mean_of(&group.trials, |t| t.unique_cells),
        over_time: time_end
            .filter(|_| group.trials.iter().all(|t| t.final_cost.is_some()))
            .map(|end| curve_over_time(&incumbents, end)),
        hypervolume: info
            .pareto
            .as_ref()
            .and_then(|p| hypervolume(p, &group.trials, maximize, time_end, &label("hypervolume"))),
        finals,
        replicates: group.trials.iter().map(|t| t.replicate).collect(),
    }
}

/// The mean of a count over the trials.
fn mean_of(trials: &[TrialCurve], count: impl Fn(&TrialCurve) -> usize) -> f64 {
    stats::mean(&trials.iter().map(|t| count(t) as f64).collect::<Vec<_>>())
}

/// The CI of RI over the sampled random baseline: finals and the k random architectures
/// resampled jointly; none with fewer than two finals.
fn ri_sampled_ci(finals: &[f64], random: &[f64], maximize: bool, label: &str) -> Option<Interval> {
    (finals.len() >= 2 && !random.is_empty()).then(|| {
        bootstrap_ci(
            &[finals, random],
            |s| ri(stats::mean(&s[0]), stats::mean(&s[1]), maximize),
            0.95,
            &mut bootstrap_rng(label),
        )
    })
}

/// Each run's hypervolume ratio after every query (the front of all evaluations so far,
/// observed objective against the second objective).
fn hypervolume(
    pareto: &ParetoInfo,
    trials: &[TrialCurve],
    maximize: bool,
    time_end: Option<f64>,
    label: &str,
) -> Option<HypervolumeResult> {
    let mut curves = Vec::with_capacity(trials.len());
    let mut front_sizes = Vec::with_capacity(trials.len());
    for t in trials {
        // The front, and so its hypervolume, changes only where an evaluation entered it.
        let mut front = pareto::Front::new(maximize);
        let changes = t
            .front_entries
            .as_ref()?
            .iter()
            .map(|e| {
                front.insert(e.point);
                Change {
                    at: e.at,
                    value: front.hypervolume(pareto.reference) / pareto.hypervolume,
                    seconds: e.seconds,
                }
            })
            .collect();
        front_sizes.push(front.len() as f64);
        curves.push(StepCurve {
            len: t.incumbent_mean.len,
            changes,
        });
    }
    let finals: Vec<f64> = curves
        .iter()
        .map(|c| c.last().expect("trials have at least one row"))
        .collect();
    let timed = trials.iter().all(|t| t.final_cost.is_some());
    let curves: Vec<&StepCurve> = curves.iter().collect();
    Some(HypervolumeResult {
        summary: summarize(&finals, label),
        finals,
        front_size: stats::mean(&front_sizes),
        over_queries: curve_over_queries(&curves),
        over_time: time_end
            .filter(|_| timed)
            .map(|end| curve_over_time(&curves, end)),
    })
}

fn quartiles(values: &mut [f64]) -> (f64, f64, f64) {
    // Values equal under total_cmp have equal bits: an unstable sort gives the same order.
    values.sort_unstable_by(f64::total_cmp);
    (
        stats::quantile_sorted(values, 0.25),
        stats::quantile_sorted(values, 0.5),
        stats::quantile_sorted(values, 0.75),
    )
}

/// A curve (e.g. the incumbent's seed-mean objective) after each query, across the trials
/// still running.
pub fn curve_over_queries(trials: &[&StepCurve]) -> Curve {
    let steps = trials.iter().map(|t| t.len).max().unwrap_or(0);
    let mut curve = Curve::default();
    // Each trial's change in force at the current step.
    let mut cursor = vec![0usize; trials.len()];
    let mut column = Vec::with_capacity(trials.len());
    for step in 0..steps {
        column.clear();
        for (trial, cursor) in trials.iter().zip(&mut cursor) {
            if step >= trial.len {
                continue;
            }
            while trial.changes.get(*cursor + 1).is_some_and(|c| c.at <= step) {
                *cursor += 1;
            }
            column.push(trial.changes[*cursor].value);
        }
        let (q1, median, q3) = quartiles(&mut column);
        curve.x.push((step + 1) as f64);
        curve.median.push(median);
        curve.q1.push(q1);
        curve.q3.push(q3);
    }
    curve
}

/// The end of a task's time axis: the simulated-seconds budget, or under a query budget the
/// longest spend of any trial; `None` when the table has no training times.
fn time_axis_end(search: &SearchInfo, groups: &[&Group]) -> Option<f64> {
    if search.budget_kind == "simulated_seconds" {
        return Some(search.budget);
    }
    let mut end: f64 = 0.0;
    for trial in groups.iter().flat_map(|g| &g.trials) {
        end = end.max(trial.final_cost?);
    }
    (end > 0.0).then_some(end)
}

/// A curve over simulated time, on 101 points from 0 to `end`. A trial counts at time t once
/// its first evaluation has finished, and keeps its final value after its last.
pub fn curve_over_time(trials: &[&StepCurve], end: f64) -> Curve {
    // Each trial's changes that have happened by the current time.
    let mut cursor = vec![0usize; trials.len()];
    let mut curve = Curve::default();
    let mut column = Vec::with_capacity(trials.len());
    for j in 0..=100 {
        let t = end * j as f64 / 100.0;
        column.clear();
        for (trial, cursor) in trials.iter().zip(&mut cursor) {
            while trial.changes.get(*cursor).is_some_and(|c| c.seconds <= t) {
                *cursor += 1;
            }
            if *cursor > 0 {
                column.push(trial.changes[*cursor - 1].value);
            }
        }
        if column.is_empty() {
            continue;
        }
        let (q1, median, q3) = quartiles(&mut column);
        curve.x.push(t);
        curve.median.push(median);
        curve.q1.push(q1);
        curve.q3.push(q3);
    }
    curve
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A trial's curve from its value and cumulative cost after each evaluation, as the
    /// reader makes it.
    fn trial(values: &[f64], costs: &[f64]) -> StepCurve {
        let mut curve = StepCurve::default();
        let mut seconds = f64::NEG_INFINITY;
        for (&v, &c) in values.iter().zip(costs) {
            seconds = crate::trials::clock(seconds, c);
            curve.push(v, seconds);
        }
        curve
    }

    #[test]
    fn relative_improvement_definition() {
        assert!((ri(91.0, 83.69, true) - 100.0 * (91.0 - 83.69) / 83.69).abs() < 1e-12);
        // For a loss, lower than random is a positive improvement.
        assert!(ri(0.5, 1.0, false) > 0.0);
        assert_eq!(ri(2.0, 1.0, false), -100.0);
    }

    #[test]
    fn query_curve_is_the_median_across_trials() {
        let trials = [
            trial(&[1.0, 2.0], &[f64::NAN; 2]),
            trial(&[3.0, 4.0], &[f64::NAN; 2]),
            trial(&[5.0, 6.0], &[f64::NAN; 2]),
        ];
        let c = curve_over_queries(&trials.iter().collect::<Vec<_>>());
        assert_eq!(c.x, vec![1.0, 2.0]);
        assert_eq!(c.median, vec![3.0, 4.0]);
        assert_eq!((c.q1[0], c.q3[0]), (2.0, 4.0));
    }

    #[test]
    fn time_curve_steps_at_each_evaluation() {
        let trials = [trial(&[1.0, 2.0, 3.0], &[10.0, 50.0, 100.0])];
        let c = curve_over_time(&[&trials[0]], 100.0);
        // Nothing has finished before t = 10.
        assert_eq!(c.x[0], 10.0);
        let at = |t: f64| c.median[c.x.iter().position(|&x| x == t).unwrap()];
        assert_eq!(
            (at(10.0), at(49.0), at(50.0), at(100.0)),
            (1.0, 1.0, 2.0, 3.0)
        );
    }

    /// The curves from the changes alone equal those from every evaluation's value and cost,
    /// computed the direct way (a trial counts at t while its evaluations' costs stay ≤ t), on
    /// trials of unequal lengths with repeated values, NaN values, costs that fall and unknown
    /// costs.
    #[test]
    fn curves_from_changes_equal_curves_from_every_evaluation() {
        let mut rng = datasets::rng::from_seed([7; 32]);
        let mut below = |n: usize| datasets::rng::below(&mut rng, n);
        let mut full: Vec<(Vec<f64>, Vec<f64>)> = Vec::new();
        for _ in 0..300 {
            let len = 1 + below(40);
            let (mut values, mut costs) = (Vec::new(), Vec::new());
            let (mut best, mut spent) = (0.0, 0.0);
            for _ in 0..len {
                if below(4) == 0 {
                    best = [f64::NAN, below(20) as f64][below(2)];
                }
                spent += below(10) as f64 - 1.0;
                values.push(best);
                costs.push(if below(50) == 0 { f64::NAN } else { spent });
            }
            full.push((values, costs));
        }
        let curves: Vec<StepCurve> = full.iter().map(|(v, c)| trial(v, c)).collect();
        let curves: Vec<&StepCurve> = curves.iter().collect();
        let same = |a: &Curve, b: &Curve| {
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&a.x), bits(&b.x));
            assert_eq!(bits(&a.median), bits(&b.median));
            assert_eq!(bits(&a.q1), bits(&b.q1));
            assert_eq!(bits(&a.q3), bits(&b.q3));
        };
        let longest = full.iter().map(|(v, _)| v.len()).max().unwrap();
        let mut direct = Curve::default();
        for step in 0..longest {
            let mut column: Vec<f64> = full
                .iter()
                .filter_map(|(v, _)| v.get(step))
                .copied()
                .collect();
            let (q1, median, q3) = quartiles(&mut column);
            direct.x.push((step + 1) as f64);
            direct.median.push(median);
            direct.q1.push(q1);
            direct.q3.push(q3);
        }
        same(&curve_over_queries(&curves), &direct);
        let end = 150.0;
        let mut direct = Curve::default();
        for j in 0..=100 {
            let t = end * j as f64 / 100.0;
            let mut column: Vec<f64> = full
                .iter()
                .filter_map(|(v, c)| {
                    let done = c.iter().take_while(|&&c| c <= t).count();
                    (done > 0).then(|| v[done - 1])
                })
                .collect();
            if column.is_empty() {
                continue;
            }
            let (q1, median, q3) = quartiles(&mut column);
            direct.x.push(t);
            direct.median.push(median);
            direct.q1.push(q1);
            direct.q3.push(q3);
        }
        same(&curve_over_time(&curves, end), &direct);
    }
}
