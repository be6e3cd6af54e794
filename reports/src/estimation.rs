//! The estimation report: rank correlations and top-k agreement per task, estimator and
//! training-set size (mean and seeded bootstrap 95% CI over replicates), the Kendall-tau
//! against training-set size figure of White et al. (NeurIPS 2021), and score-versus-truth
//! scatter plots. [`analyse`] is a pure function of the summary records and the manifest.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::ReportError;
use crate::incidents::{Failure, Incidents};
use crate::records::manifest::Manifest;
use crate::records::summary::{self, TopK};
use crate::records::{self, Status};
use crate::stats::{self, Interval, bootstrap_ci, bootstrap_rng};

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
pub struct EstimationTaskResult {
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

/// The trials of one (task, estimator, train size), in first-seen order.
struct Group<'a> {
    key: (&'a str, &'a str, u32),
    rows: Vec<&'a summary::Row<'a>>,
    incidents: Incidents,
}

/// Groups consecutive rows of the same (task, estimator, train size), counting failures and
/// fallbacks.
fn groups<'a>(rows: &'a [summary::Row<'a>]) -> Vec<Group<'a>> {
    let mut groups: Vec<Group> = Vec::new();
    for row in rows {
        let id = &row.identity;
        let key = (id.task, id.estimator, id.train_size);
        if groups.last().is_none_or(|g| g.key != key) {
            groups.push(Group {
                key,
                rows: Vec::new(),
                incidents: Incidents::default(),
            });
        }
        let g = groups.last_mut().expect("pushed above");
        g.rows.push(row);
        let failure = (row.end.status == Status::Failed).then(|| Failure {
            replicate: id.replicate,
            error: row.end.error.unwrap_or("").to_string(),
            evaluations: None,
        });
        g.incidents
            .add(failure, row.end.fallbacks, row.end.fallback_reason);
    }
    groups
}

/// A group's measures over its replicates; `protocol_sha256` starts their bootstrap labels.
fn cell(g: Group, protocol_sha256: &str) -> Cell {
    let (task, estimator, size) = g.key;
    let of = |f: &dyn Fn(&summary::Row) -> f64| g.rows.iter().map(|r| f(r)).collect::<Vec<f64>>();
    let label = |what: &str| format!("{protocol_sha256}/{task}/{estimator}/{size}/{what}");
    let k_of =
        |i: usize, f: fn(&TopK) -> f64| of(&|r: &summary::Row| r.top_k.get(i).map_or(f64::NAN, f));
    let top_k = g.rows[0]
        .top_k
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let k = t.k;
            let p = measure(&k_of(i, |t| t.precision), &label(&format!("p@{k}")));
            let n = measure(&k_of(i, |t| t.ndcg), &label(&format!("ndcg@{k}")));
            (k, p, n)
        })
        .collect();
    let mut warnings: Vec<String> = g
        .rows
        .iter()
        .filter_map(|r| r.warning.map(str::to_string))
        .collect();
    warnings.dedup();
    Cell {
        train_size: size,
        kendall: measure(&of(&|r| r.kendall_tau), &label("tau")),
        spearman: measure(&of(&|r| r.spearman_rho), &label("rho")),
        top_k,
        fit_seconds: mean_defined(&of(&|r| r.fit_seconds)),
        score_seconds: mean_defined(&of(&|r| r.score_seconds)),
        warnings,
        incidents: g.incidents,
    }
}

/// Aggregates the trials of `estimates_summary.parquet`, in the order they were written.
pub fn analyse(manifest: &Manifest, rows: &[summary::Row]) -> Vec<EstimationTaskResult> {
    let mut tasks: Vec<EstimationTaskResult> = Vec::new();
    for g in groups(rows) {
        let (task, estimator, _) = g.key;
        let cell = cell(g, &manifest.protocol.sha256);
        if tasks.last().is_none_or(|t| t.task != task) {
            tasks.push(EstimationTaskResult {
                task: task.to_string(),
                estimators: Vec::new(),
            });
        }
        let t = tasks.last_mut().expect("pushed above");
        if t.estimators.last().is_none_or(|e| e.estimator != estimator) {
            t.estimators.push(EstimatorResult {
                estimator: estimator.to_string(),
                cells: Vec::new(),
            });
        }
        let e = t.estimators.last_mut().expect("pushed above");
        e.cells.push(cell);
    }
    tasks
}

/// nash's proxy against the benchmark file's recorded score of the same proxy (NASLib's, in
/// NAS-Bench-Suite-Zero's samples): Spearman rho between the two scores of the same
/// architectures, per replicate, then their mean.
#[derive(Debug, Clone, PartialEq)]
pub struct Agreement {
    pub task: String,
    pub nash: String,
    pub recorded: String,
    pub spearman: f64,
    pub architectures: usize,
    pub replicates: usize,
}

/// The agreement of each `(nash, recorded)` estimator pair in every task, from the run's
/// per-architecture scores.
pub fn agreement(dir: &Path, pairs: &[(String, String)]) -> Result<Vec<Agreement>, ReportError> {
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    // (task, estimator, replicate) -> scores by architecture.
    let mut scores: BTreeMap<(String, String, u32), BTreeMap<u32, f64>> = BTreeMap::new();
    let wanted = |e: &str| pairs.iter().any(|(n, r)| n == e || r == e);
    for batch in records::estimates::read(&dir.join(records::estimates::FILE))? {
        let batch = batch?;
        for i in 0..batch.len() {
            let row = batch.row(i);
            let id = &row.identity;
            if wanted(id.estimator) {
                let key = (id.task.to_string(), id.estimator.to_string(), id.replicate);
                scores
                    .entry(key)
                    .or_default()
                    .insert(row.arch_id, row.score);
            }
        }
    }
    let tasks: Vec<String> = scores
        .keys()
        .map(|k| k.0.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut out = Vec::new();
    for task in &tasks {
        for (nash, recorded) in pairs {
            let per_replicate: Vec<(f64, usize)> = scores
                .iter()
                .filter(|((t, e, _), _)| t == task && e == nash)
                .filter_map(|((_, _, r), ours)| {
                    let theirs = scores.get(&(task.clone(), recorded.clone(), *r))?;
                    let (a, b): (Vec<f64>, Vec<f64>) = ours
                        .iter()
                        .filter_map(|(arch, &x)| Some((x, *theirs.get(arch)?)))
                        .unzip();
                    Some((crate::rank::spearman(&a, &b).value, a.len()))
                })
                .collect();
            if per_replicate.is_empty() {
                continue;
            }
            let rhos: Vec<f64> = per_replicate.iter().map(|p| p.0).collect();
            out.push(Agreement {
                task: task.clone(),
                nash: nash.clone(),
                recorded: recorded.clone(),
                spearman: mean_defined(&rhos),
                architectures: per_replicate[0].1,
                replicates: per_replicate.len(),
            });
        }
    }
    Ok(out)
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
    let mut out: Vec<Scatter> = Vec::new();
    for batch in records::estimates::read(&dir.join(records::estimates::FILE))? {
        let batch = batch?;
        for i in 0..batch.len() {
            let row = batch.row(i);
            let id = &row.identity;
            if id.replicate != 0 {
                continue;
            }
            let (t, e, s) = (id.task, id.estimator, id.train_size);
            let point = (row.truth, row.score);
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
