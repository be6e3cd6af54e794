//! Comparing a candidate run with a baseline run of the same protocol, for CI: every
//! (task, method) of a search run and every (task, estimator, training size) of an estimation
//! run is tested for a change, and a change counts as a regression only when it is both
//! significant (Holm-adjusted p below `alpha`) and larger than the noise threshold — the rule
//! of criterion.rs, so run-to-run noise never fails a build.
//!
//! A cell the baseline has is a regression, whatever the statistics, when the candidate lacks
//! it, has failed trials in it, or has more undefined (NaN) values in it than the baseline: a
//! method that breaks completely must fail the gate. Cells only the candidate has are listed
//! in the notes.
//!
//! Search runs compare the final incumbents' seed-mean objective, the area under each run's
//! regret curve (its mean regret, `runtime.rs`) and each run's queries until its incumbent
//! came within 0.5 of the space's best (censored at the run's length when it did not: the
//! rank tests count those runs as the slowest; the comparison also gives both runs' ERT).
//! The last two are lower-is-better. Runs paired by replicate (the same seeds) use the
//! Wilcoxon signed-rank test, unpaired ones Mann-Whitney U. The noise
//! threshold is relative to the baseline mean (0.01 = 1%). Estimation runs compare the
//! per-replicate Kendall tau and Spearman rho with the same tests, each a comparison of its
//! own; there the threshold is an absolute change of the coefficient. Effect sizes (median
//! difference; for search also the difference of exact RI) come with seeded bootstrap 95% CIs.

use std::collections::BTreeMap;
use std::path::Path;

use crate::ReportError;
use crate::records::manifest::{Manifest, Run, short};
use crate::records::{self, Status, summary};
use crate::significance::{Test, holm, mann_whitney, wilcoxon};
use crate::stats::{self, Interval, bootstrap_ci, bootstrap_rng};
use crate::{runtime, search, trials};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub alpha: f64,
    pub noise_threshold: f64,
    pub allow_different_protocol: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Regression,
    Improvement,
    NoChange,
}

/// One compared cell.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Comparison {
    /// `task/method` or `task/estimator/n_train`.
    pub name: String,
    /// Why the cell could not be tested: broken in the candidate (missing, failed trials, more
    /// NaN; the verdict is a regression) or too few values on a side (no change, untested).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// What is compared: the final objective, Kendall tau or Spearman rho.
    pub measure: String,
    pub paired: bool,
    pub n_baseline: usize,
    pub n_candidate: usize,
    pub baseline_mean: f64,
    pub candidate_mean: f64,
    /// Candidate minus baseline: the median of paired differences, or the difference of
    /// medians for unpaired samples.
    pub median_difference: f64,
    /// Bootstrap 95% CI of the mean difference (of paired differences when paired).
    pub difference_ci: Option<(f64, f64)>,
    /// Search: candidate minus baseline exact RI (percentage points; RI's random baseline is
    /// the space mean, so this is the mean difference over the space mean), and its CI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ri_difference: Option<(f64, (f64, f64))>,
    /// Runtime to a target: the baseline's and the candidate's ERT in queries (∞ as null).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ert: Option<(Option<f64>, Option<f64>)>,
    /// The change compared with the noise threshold (relative for search, absolute for tau),
    /// oriented so that positive is better.
    pub change: f64,
    pub statistic: f64,
    pub p_value: f64,
    pub p_holm: f64,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CompareResult {
    pub kind: String,
    pub protocol: String,
    pub baseline_sha256: String,
    pub candidate_sha256: String,
    pub alpha: f64,
    pub noise_threshold: f64,
    /// Differences of setup that `allow_different_protocol` let through.
    pub notes: Vec<String>,
    pub comparisons: Vec<Comparison>,
}

impl CompareResult {
    pub fn regressions(&self) -> usize {
        self.comparisons
            .iter()
            .filter(|c| c.verdict == Verdict::Regression)
            .count()
    }
}

/// "a search" or "an estimation".
fn with_article(kind: &str) -> String {
    match kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
        true => format!("an {kind}"),
        false => format!("a {kind}"),
    }
}

fn major(version: &str) -> &str {
    version.split('.').next().unwrap_or(version)
}

/// Why two runs cannot be compared, if they cannot.
fn check(base: &Manifest, cand: &Manifest, allow: bool) -> Result<Vec<String>, String> {
    if base.kind() != cand.kind() {
        return Err(format!(
            "the baseline is {} run and the candidate {} run; only runs of one kind compare",
            with_article(base.kind()),
            with_article(cand.kind())
        ));
    }
    let mut differences = Vec::new();
    if base.protocol.sha256 != cand.protocol.sha256 {
        differences.push(format!(
            "protocol sha256 differs ({}… vs {}…)",
            short(&base.protocol.sha256),
            short(&cand.protocol.sha256)
        ));
    }
    if major(&base.nash_version) != major(&cand.nash_version) {
        differences.push(format!(
            "nash {} vs {}",
            base.nash_version, cand.nash_version
        ));
    }
    let checksums = |m: &Manifest| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = match &m.run {
            Run::Search { search } => search
                .tasks
                .iter()
                .map(|t| (t.task.clone(), t.data.table_sha256.clone()))
                .collect(),
            Run::Estimation { estimation } => estimation
                .tasks
                .iter()
                .map(|t| (t.task.clone(), t.data.table_sha256.clone()))
                .collect(),
        };
        v.sort();
        v
    };
    if checksums(base) != checksums(cand) {
        differences.push("data checksums differ".into());
    }
    if differences.is_empty() || allow {
        Ok(differences)
    } else {
        Err(format!(
            "the runs differ: {}; pass --allow-different-protocol to compare them anyway",
            differences.join("; ")
        ))
    }
}

/// One cell of a run: its values keyed by replicate (NaN where undefined), and its failed
/// trials as (replicate, error).
#[derive(Debug, Default)]
struct Cell {
    values: BTreeMap<u32, f64>,
    failed: Vec<(u32, String)>,
    /// A cost (mean regret, runtime) rather than the objective: lower is better.
    lower_is_better: bool,
    /// Runtimes: whether each replicate reached the target (the rest are censored).
    reached: BTreeMap<u32, bool>,
}

impl Cell {
    fn undefined(&self) -> usize {
        self.values.values().filter(|v| v.is_nan()).count()
    }

    /// Every replicate the cell ran, failed or not, in order.
    fn replicates(&self) -> Vec<u32> {
        let mut all: Vec<u32> = self.values.keys().copied().collect();
        all.extend(self.failed.iter().map(|(r, _)| *r));
        all.sort_unstable();
        all
    }
}

/// Cells by (name, measure).
type Cells = BTreeMap<(String, String), Cell>;

/// The measure name of the final objective's cells.
fn final_measure(objective: &str) -> String {
    format!("final {objective} (seed mean)")
}

/// The regret level of the runtime measure: the runtime analysis' middle one.
const RUNTIME_REGRET: f64 = runtime::REGRET_TARGETS[1];

/// The cells of a search run, three measures per (task, method): the final objective, the
/// mean regret (AUC) and the runtime to within 0.5 of the best, the last two against the
/// space's best in the manifest `manifest`.
fn search_cells(dir: &Path, manifest: &Manifest) -> Result<Cells, ReportError> {
    let maximize = manifest.maximize();
    let mut cells = Cells::new();
    let search = manifest.search().ok_or_else(|| ReportError::Format {
        path: dir.join(records::manifest::FILE),
        message: "not a search run".into(),
    })?;
    for g in trials::read_groups(dir, maximize)? {
        let name = format!("{}/{}", g.task, g.method);
        let best = search
            .tasks
            .iter()
            .find(|t| t.task == g.task)
            .map_or(f64::NAN, |t| t.space_best);
        let target = if maximize {
            best - RUNTIME_REGRET
        } else {
            best + RUNTIME_REGRET
        };
        let measures = [
            final_measure(&manifest.protocol.objective),
            AUC.to_string(),
            runtime_measure(),
        ];
        for (k, measure) in measures.into_iter().enumerate() {
            let cell = cells.entry((name.clone(), measure)).or_default();
            cell.lower_is_better = k > 0;
            for t in &g.trials {
                let curve = &t.incumbent_mean;
                let value = match k {
                    0 => t.final_mean(),
                    1 => runtime::mean_regret(curve, best, maximize),
                    _ => {
                        // A run that never reached the target counts one query past its
                        // end: slower than any that reached it, even on its last query.
                        let hit = runtime::first_hit(curve, target, maximize);
                        cell.reached.insert(t.replicate, hit.is_some());
                        f64::from(hit.map_or(curve.len + 1, |h| h.queries))
                    }
                };
                cell.values.insert(t.replicate, value);
            }
            cell.failed
                .extend(g.failed.iter().map(|f| (f.replicate, f.error.clone())));
        }
    }
    Ok(cells)
}

const AUC: &str = "AUC (mean regret over queries)";

fn runtime_measure() -> String {
    format!("queries to within {RUNTIME_REGRET} of the best")
}

/// ERT in queries of a runtime cell's runs (None when infinite).
fn cell_ert(cell: &Cell) -> Option<f64> {
    let (hits, lengths): (Vec<Option<u32>>, Vec<u32>) = cell
        .values
        .iter()
        .map(
            |(r, &v)| match cell.reached.get(r).copied().unwrap_or(false) {
                true => (Some(v as u32), v as u32),
                // Censored one query past the run's end.
                false => (None, v as u32 - 1),
            },
        )
        .unzip();
    Some(runtime::ert(&hits, &lengths)).filter(|e| e.is_finite())
}

fn estimation_cells(dir: &Path) -> Result<Cells, ReportError> {
    let path = dir.join(records::summary::FILE);
    let mut cells = Cells::new();
    for batch in records::summary::read(&path)? {
        let batch = batch?;
        for i in 0..batch.len() {
            let row = batch.row(i).map_err(|message| ReportError::Format {
                path: path.clone(),
                message,
            })?;
            let id = &row.identity;
            let name = format!("{}/{}/{}", id.task, id.estimator, id.train_size);
            for (measure, value) in [
                (summary::col::KENDALL_TAU, row.kendall_tau),
                (summary::col::SPEARMAN_RHO, row.spearman_rho),
            ] {
                let cell = cells
                    .entry((name.clone(), measure.to_string()))
                    .or_default();
                match row.end.status {
                    Status::Ok => {
                        cell.values.insert(id.replicate, value);
                    }
                    Status::Failed => cell
                        .failed
                        .push((id.replicate, row.end.error.unwrap_or("").to_string())),
                }
            }
        }
    }
    Ok(cells)
}

/// What every cell's comparison shares.
struct Setup {
    estimation: bool,
    maximize: bool,
    /// The start of each cell's bootstrap label (both runs' protocol sha256).
    label: String,
}

/// A comparison the cell's problem keeps from being tested.
fn untested(
    name: &str,
    measure: &str,
    base_cell: &Cell,
    problem: String,
    verdict: Verdict,
) -> Comparison {
    Comparison {
        name: name.to_string(),
        problem: Some(problem),
        measure: measure.to_string(),
        paired: false,
        n_baseline: base_cell.values.len() - base_cell.undefined(),
        n_candidate: 0,
        baseline_mean: stats::mean(&stats::defined(base_cell.values.values().copied())),
        candidate_mean: f64::NAN,
        median_difference: f64::NAN,
        difference_ci: None,
        ri_difference: None,
        ert: None,
        change: f64::NAN,
        statistic: f64::NAN,
        p_value: f64::NAN,
        p_holm: f64::NAN,
        verdict,
    }
}

/// The candidate's cell, or why it counts as a regression before any test: missing, a
/// failed trial, or more NaN values than the baseline's.
fn tested_candidate<'a>(base_cell: &Cell, cand_cell: Option<&'a Cell>) -> Result<&'a Cell, String> {
    let Some(cand_cell) = cand_cell else {
        return Err("missing in the candidate".into());
    };
    let runs = cand_cell.values.len() + cand_cell.failed.len();
    if let Some((replicate, error)) = cand_cell.failed.first() {
        return Err(format!(
            "{} of {runs} candidate trials failed (replicate {replicate}: {error})",
            cand_cell.failed.len()
        ));
    }
    let (nan_base, nan_cand) = (base_cell.undefined(), cand_cell.undefined());
    if nan_cand > nan_base {
        return Err(format!(
            "{nan_cand} of {runs} candidate values are NaN (baseline: {nan_base})"
        ));
    }
    Ok(cand_cell)
}

/// The values compared: paired by replicate when both ran the same ones (a replicate failed
/// or undefined on either side leaves both), else each side's defined values.
fn samples(base_cell: &Cell, cand_cell: &Cell) -> (bool, Vec<f64>, Vec<f64>) {
    let paired = base_cell.replicates() == cand_cell.replicates();
    let (bv, cv) = if paired {
        base_cell
            .values
            .iter()
            .filter_map(|(r, &b)| Some((b, *cand_cell.values.get(r)?)))
            .filter(|(b, c)| !b.is_nan() && !c.is_nan())
            .unzip()
    } else {
        (
            stats::defined(base_cell.values.values().copied()),
            stats::defined(cand_cell.values.values().copied()),
        )
    };
    (paired, bv, cv)
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    stats::quantile_sorted(&s, 0.5)
}

/// The label that seeds a cell's bootstrap.
fn bootstrap_label(setup: &Setup, name: &str, measure: &str, base_cell: &Cell) -> String {
    // Kendall tau and the final value keep the label they always had, so their CIs do not
    // move; every other measure resamples on its own.
    let suffix = if measure == summary::col::SPEARMAN_RHO {
        "/rho".to_string()
    } else if base_cell.lower_is_better {
        format!("/{measure}")
    } else {
        String::new()
    };
    format!("{}/{name}{suffix}", setup.label)
}

/// The 95% bootstrap CI of the mean difference, candidate minus baseline.
fn difference_ci(paired: bool, cv: &[f64], bv: &[f64], label: &str) -> Interval {
    let mut rng = bootstrap_rng(label);
    if paired {
        let d: Vec<f64> = cv.iter().zip(bv).map(|(c, b)| c - b).collect();
        bootstrap_ci(&[&d], |s| stats::mean(&s[0]), 0.95, &mut rng)
    } else {
        let mean_difference = |s: &[Vec<f64>]| stats::mean(&s[0]) - stats::mean(&s[1]);
        bootstrap_ci(&[cv, bv], mean_difference, 0.95, &mut rng)
    }
}

/// Compares one cell of the baseline with the candidate's (if it has it); `ri_baseline` is
/// the exact random baseline of a search cell's task. The p-value is adjusted and the verdict
/// set afterwards, across cells, unless the cell has a problem.
fn compare_cell(
    setup: &Setup,
    name: &str,
    measure: &str,
    base_cell: &Cell,
    cand_cell: Option<&Cell>,
    ri_baseline: Option<f64>,
) -> Comparison {
    let cand_cell = match tested_candidate(base_cell, cand_cell) {
        Ok(cell) => cell,
        Err(problem) => return untested(name, measure, base_cell, problem, Verdict::Regression),
    };
    let (paired, bv, cv) = samples(base_cell, cand_cell);
    if bv.len() < 2 || cv.len() < 2 {
        let problem = format!(
            "not tested: {} baseline and {} candidate values (2 needed on each side)",
            bv.len(),
            cv.len()
        );
        return Comparison {
            n_candidate: cv.len(),
            ..untested(name, measure, base_cell, problem, Verdict::NoChange)
        };
    }
    let test: Test = if paired {
        wilcoxon(&cv, &bv)
    } else {
        mann_whitney(&cv, &bv)
    };
    let median_difference = if paired {
        median(&cv.iter().zip(&bv).map(|(c, b)| c - b).collect::<Vec<_>>())
    } else {
        median(&cv) - median(&bv)
    };
    let label = bootstrap_label(setup, name, measure, base_cell);
    let ci = difference_ci(paired, &cv, &bv, &label);
    let (bm, cm) = (stats::mean(&bv), stats::mean(&cv));
    let raw_change = if setup.estimation {
        cm - bm
    } else {
        (cm - bm) / bm.abs().max(f64::MIN_POSITIVE)
    };
    // RI is linear in the accuracy, so the difference of the two runs' RI is the RI of
    // `bm + Δ` minus that of `bm`, for the mean difference and its CI bounds alike.
    let maximize = setup.maximize && !base_cell.lower_is_better;
    let ri_difference = ri_baseline.map(|r| {
        let ri = |d: f64| search::ri(bm + d, r, maximize) - search::ri(bm, r, maximize);
        let (low, high) = (ri(ci.low), ri(ci.high));
        (ri(cm - bm), (low.min(high), low.max(high)))
    });
    Comparison {
        name: name.to_string(),
        problem: None,
        measure: measure.to_string(),
        paired,
        n_baseline: bv.len(),
        n_candidate: cv.len(),
        baseline_mean: bm,
        candidate_mean: cm,
        median_difference,
        difference_ci: Some((ci.low, ci.high)),
        ri_difference,
        ert: (!base_cell.reached.is_empty()).then(|| (cell_ert(base_cell), cell_ert(cand_cell))),
        change: if maximize { raw_change } else { -raw_change },
        statistic: test.statistic,
        p_value: test.p_value,
        p_holm: f64::NAN,
        verdict: Verdict::NoChange,
    }
}

/// Adjusts the tested cells' p-values by Holm within each measure (adding Spearman rho to an
/// estimation comparison leaves the Kendall tau family, and its adjusted p-values, as they
/// were) and gives each its verdict.
fn judge(comparisons: &mut [Comparison], opts: &Options) {
    let mut measures: Vec<String> = comparisons.iter().map(|c| c.measure.clone()).collect();
    measures.sort();
    measures.dedup();
    for measure in &measures {
        let family: Vec<usize> = (0..comparisons.len())
            .filter(|&i| &comparisons[i].measure == measure && comparisons[i].problem.is_none())
            .collect();
        let p: Vec<f64> = family.iter().map(|&i| comparisons[i].p_value).collect();
        for (&i, adjusted) in family.iter().zip(holm(&p)) {
            comparisons[i].p_holm = adjusted;
        }
    }
    for c in comparisons.iter_mut().filter(|c| c.problem.is_none()) {
        let p = c.p_holm;
        c.verdict = if p < opts.alpha && c.change < -opts.noise_threshold {
            Verdict::Regression
        } else if p < opts.alpha && c.change > opts.noise_threshold {
            Verdict::Improvement
        } else {
            Verdict::NoChange
        };
    }
}

/// Compares two run directories.
pub fn compare(
    baseline: &Path,
    candidate: &Path,
    opts: Options,
) -> Result<CompareResult, ReportError> {
    let base = Manifest::read(baseline)?;
    let cand = Manifest::read(candidate)?;
    let notes = check(&base, &cand, opts.allow_different_protocol).map_err(|message| {
        ReportError::Format {
            path: candidate.to_path_buf(),
            message,
        }
    })?;
    let estimation = base.estimation().is_some();
    let (b, c) = if estimation {
        (estimation_cells(baseline)?, estimation_cells(candidate)?)
    } else {
        (
            search_cells(baseline, &base)?,
            search_cells(candidate, &cand)?,
        )
    };
    // RI's exact random baseline of each searched task: the baseline run's space mean.
    let space_mean = |name: &str| {
        let task = name.split('/').next()?;
        let info = base.search()?.tasks.iter().find(|t| t.task == task)?;
        Some(info.space_mean)
    };
    let maximize = base.maximize() || estimation;
    let mut comparisons = Vec::new();
    let mut notes = notes;
    let only_candidate: Vec<String> = c
        .keys()
        .filter(|k| !b.contains_key(*k))
        .map(|(name, measure)| format!("{name} ({measure})"))
        .collect();
    if !only_candidate.is_empty() {
        notes.push(format!(
            "only in the candidate, not compared: {}",
            only_candidate.join(", ")
        ));
    }
    let setup = Setup {
        estimation,
        maximize,
        label: format!("{}/{}", base.protocol.sha256, cand.protocol.sha256),
    };
    for ((name, measure), base_cell) in &b {
        let cand_cell = c.get(&(name.clone(), measure.clone()));
        let ri_baseline = space_mean(name)
            .filter(|_| !estimation && *measure == final_measure(&base.protocol.objective));
        comparisons.push(compare_cell(
            &setup,
            name,
            measure,
            base_cell,
            cand_cell,
            ri_baseline,
        ));
    }
    judge(&mut comparisons, &opts);
    Ok(CompareResult {
        kind: base.kind().to_string(),
        protocol: base.protocol.name.clone(),
        baseline_sha256: base.protocol.sha256.clone(),
        candidate_sha256: cand.protocol.sha256.clone(),
        alpha: opts.alpha,
        noise_threshold: opts.noise_threshold,
        notes,
        comparisons,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(values: &[(u32, f64)], failed: &[u32]) -> Cell {
        Cell {
            values: values.iter().copied().collect(),
            failed: failed.iter().map(|&r| (r, "boom".to_string())).collect(),
            ..Cell::default()
        }
    }

    #[test]
    fn a_cost_that_rises_is_a_regression_and_runtimes_give_their_ert() {
        // Mean regret (lower is better) up by a third in every replicate.
        let mut base = cell(&values(10, -89.0), &[]);
        let mut cand = cell(&values(10, -88.5), &[]);
        base.lower_is_better = true;
        cand.lower_is_better = true;
        let c = compare_cell(&setup(), "cifar10/m", AUC, &base, Some(&cand), None);
        assert!(c.change < 0.0, "{c:?}");
        assert!(c.p_value < 0.05);
        // Runtimes: 10 and 30 queries reached, one run of 100 queries that did not (counted
        // as 101, one past its end); the candidate reaches the target in every run.
        let runtime = |values: &[(u32, f64)], reached: &[bool]| {
            let mut c = cell(values, &[]);
            c.lower_is_better = true;
            c.reached = values
                .iter()
                .map(|v| v.0)
                .zip(reached.iter().copied())
                .collect();
            c
        };
        let base = runtime(&[(0, 10.0), (1, 30.0), (2, 101.0)], &[true, true, false]);
        let cand = runtime(&[(0, 5.0), (1, 6.0), (2, 7.0)], &[true, true, true]);
        let c = compare_cell(&setup(), "cifar10/m", "queries", &base, Some(&cand), None);
        assert_eq!(c.ert, Some((Some(70.0), Some(6.0))));
        assert!(c.change > 0.0, "fewer queries is better: {c:?}");
        assert!(c.ri_difference.is_none());
    }

    fn setup() -> Setup {
        Setup {
            estimation: false,
            maximize: true,
            label: "test".into(),
        }
    }

    fn run(base: &Cell, cand: Option<&Cell>) -> Comparison {
        compare_cell(&setup(), "cifar10/m", "final", base, cand, Some(80.0))
    }

    fn values(n: u32, offset: f64) -> Vec<(u32, f64)> {
        (0..n)
            .map(|r| (r, 90.0 + offset + r as f64 / 10.0))
            .collect()
    }

    #[test]
    fn a_cell_missing_from_the_candidate_is_a_regression() {
        let c = run(&cell(&values(10, 0.0), &[]), None);
        assert_eq!(c.verdict, Verdict::Regression);
        assert_eq!(c.problem.as_deref(), Some("missing in the candidate"));
        assert!(crate::export::junit::render(&result(c)).contains("missing in the candidate"));
    }

    #[test]
    fn failed_or_undefined_candidate_trials_are_a_regression() {
        let base = cell(&values(10, 0.0), &[]);
        let failed = run(&base, Some(&cell(&values(9, 0.0), &[9])));
        assert_eq!(failed.verdict, Verdict::Regression);
        assert!(
            failed
                .problem
                .unwrap()
                .contains("1 of 10 candidate trials failed")
        );
        let mut nan = values(10, 0.0);
        nan[4].1 = f64::NAN;
        let undefined = run(&base, Some(&cell(&nan, &[])));
        assert_eq!(undefined.verdict, Verdict::Regression);
        let all_nan: Vec<(u32, f64)> = (0..10).map(|r| (r, f64::NAN)).collect();
        assert_eq!(
            run(&base, Some(&cell(&all_nan, &[]))).verdict,
            Verdict::Regression
        );
        // Undefined on both sides alike (constant scores, say) is no change, and untested.
        let same = run(&cell(&all_nan, &[]), Some(&cell(&all_nan, &[])));
        assert_eq!(same.verdict, Verdict::NoChange);
        assert!(same.problem.unwrap().starts_with("not tested"));
    }

    #[test]
    fn a_failed_baseline_replicate_still_pairs_the_others() {
        let base = cell(&values(9, 0.0), &[9]);
        let cand = cell(&values(10, 0.0), &[]);
        let c = run(&base, Some(&cand));
        assert!(c.paired && c.problem.is_none(), "{c:?}");
        assert_eq!((c.n_baseline, c.n_candidate), (9, 9));
    }

    #[test]
    fn pairing_drops_a_replicate_from_both_sides() {
        let mut base = values(10, 0.0);
        base[1].1 = f64::NAN;
        let mut cand = values(10, 0.0);
        cand[2].1 = f64::NAN;
        let c = run(&cell(&base, &[]), Some(&cell(&cand, &[])));
        assert!(c.problem.is_none() && c.paired, "{c:?}");
        assert_eq!((c.n_baseline, c.n_candidate), (8, 8));
        // Identical values on the replicates both have: no difference at all.
        assert_eq!(c.median_difference, 0.0);
    }

    #[test]
    fn too_few_values_are_reported_not_dropped() {
        let c = run(
            &cell(&values(1, 0.0), &[]),
            Some(&cell(&values(1, 0.0), &[])),
        );
        assert_eq!(c.verdict, Verdict::NoChange);
        assert!(c.problem.unwrap().starts_with("not tested"));
    }

    fn result(c: Comparison) -> CompareResult {
        CompareResult {
            kind: "search".into(),
            protocol: "p".into(),
            baseline_sha256: String::new(),
            candidate_sha256: String::new(),
            alpha: 0.05,
            noise_threshold: 0.01,
            notes: Vec::new(),
            comparisons: vec![c],
        }
    }

    #[test]
    fn broken_cells_have_their_own_line() {
        let c = run(&cell(&values(10, 0.0), &[]), None);
        let md = crate::export::Exporter::render(
            &crate::export::Markdown,
            &crate::document::comparison(&result(c)),
        );
        let line = md.lines().find(|l| l.starts_with("| cifar10/m |")).unwrap();
        assert!(
            line.contains("❌ regression: missing in the candidate"),
            "{md}"
        );
        assert_eq!(line.matches('|').count(), 11, "{line}");
    }

    #[test]
    fn a_hand_edited_checksum_does_not_panic() {
        assert_eq!(short("é"), "é");
        assert_eq!(short(&"a".repeat(64)), "a".repeat(12));
    }
}
