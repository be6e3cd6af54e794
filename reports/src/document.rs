//! A report as a format-free document — headings, text, tables, figures — built from the
//! analyses; each exporter (`export/`) renders it as Markdown, LaTeX, HTML or JSON.
//!
//! Text may contain `code` spans in backticks; exporters render them in their own way.

use serde::Serialize;

use crate::compare::{CompareResult, Verdict};
use crate::cross_task::CrossGroup;
use crate::estimation::{self, Measure};
use crate::incidents::Incidents;
use crate::parallel::WorkersResult;
use crate::power;
use crate::published;
use crate::records::manifest::{DataSource, EvaluatedTask, Manifest, MethodInfo, ParetoInfo};
use crate::search::{
    MethodResult, OverallRanks, Ranks, SearchAnalysis, SearchTaskResult, VersusBaseline,
};
use crate::stats::{Interval, Summary};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    pub title: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Block {
    Heading(String),
    Text(String),
    Table(Table),
    Figure(Figure),
    Bullets(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    pub text: String,
    /// The best value of its column.
    pub bold: bool,
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell { text, bold: false }
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::from(text.to_string())
    }
}

/// Decimals that show four significant digits of values around `scale`.
pub fn decimals_for(scale: f64) -> usize {
    if scale == 0.0 || !scale.is_finite() {
        return 4;
    }
    (3 - scale.abs().log10().floor() as i64).clamp(2, 8) as usize
}

/// `id` (name {params}) for each method or estimator.
fn specs(list: &[MethodInfo]) -> String {
    list.iter()
        .map(|m| {
            // Params serialize as {"name": {...}}; show the inner object.
            let params = m.params.get(&m.method).unwrap_or(&m.params);
            format!("`{}` ({} {params})", m.id, m.method)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where a run's numbers come from: protocol hash, nash version, machine, data.
fn provenance(manifest: &Manifest, data: Option<&DataSource>) -> Vec<Block> {
    let mut blocks = vec![Block::Text(format!(
        "Protocol sha256 `{}`; nash {}{}; {} rows in {:.2} s on {} threads ({}, {} CPUs); results {}.",
        manifest.protocol.sha256,
        manifest.nash_version,
        manifest
            .git_commit
            .as_ref()
            .map(|c| format!(" (commit {})", crate::records::manifest::short(c)))
            .unwrap_or_default(),
        manifest.rows,
        manifest.wall_seconds,
        manifest.threads,
        manifest.host.hostname,
        manifest.host.cpus,
        manifest.reproducibility.describe()
    ))];
    if let Some(r) = manifest.resumed {
        blocks.push(Block::Text(format!(
            "Resumed: {} of {} chunks of trials came from a checkpoint (an interrupted attempt's, \
             or the shards `nash merge` joined); the time above covers the last process only.",
            r.chunks_reused, r.chunks
        )));
    }
    if manifest.external_restarts > 0 {
        blocks.push(Block::Text(format!(
            "⚠️ {} times an external program exited after its trial had ended (no trial failed; \
             its thread's next trial, if any, started it anew, paying its start-up again).",
            manifest.external_restarts
        )));
    }
    if let Some(d) = data {
        blocks.push(Block::Text(format!(
            "Data: {} {} (sha256 `{}`).",
            d.package, d.version, d.wheel_sha256
        )));
    }
    blocks
}

/// A warning at the top of a report whose run had failed trials.
fn failed_trials(manifest: &Manifest) -> Option<Block> {
    (manifest.failed_trials > 0).then(|| {
        Block::Text(format!(
            "⚠️ {} trials failed and have no result; each task's \"Failures and fallbacks\" list says which and why.",
            manifest.failed_trials
        ))
    })
}

pub fn interval(ci: &Interval, d: usize) -> String {
    format!("[{:.d$}, {:.d$}]", ci.low, ci.high)
}

fn mean_std(s: &Summary, d: usize) -> String {
    format!("{:.d$} ± {:.d$}", s.mean, s.std)
}

/// An SVG figure written beside the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    pub file: String,
    pub caption: String,
    pub svg: String,
}

/// How the report names the baseline method: "random search" for the default one.
fn baseline_label(id: Option<&str>) -> String {
    match id {
        None | Some("random_search") => "random search".into(),
        Some(id) => format!("`{id}`"),
    }
}

/// The search report.
pub fn search(
    manifest: &Manifest,
    analysis: &SearchAnalysis,
    (cross, parallel): (&[CrossGroup], &[(String, Vec<WorkersResult>)]),
    figures: &dyn Fn(&str) -> Vec<Figure>,
) -> Document {
    let tasks = &analysis.tasks;
    let p = &manifest.protocol;
    let search = manifest
        .search()
        .expect("a search report is built for a search run");
    let budget = match search.budget_kind.as_str() {
        "queries" => format!("{} queries", search.budget),
        _ => format!(
            "{} simulated seconds (cost scale {})",
            search.budget, search.cost_scale
        ),
    };
    let mut blocks = vec![
        Block::Text(format!(
            "Benchmark `{}`, objective `{}` ({}), seed policy `{}`, budget {budget}, {} replicates, base seed {}.",
            p.benchmark, p.objective, p.direction, p.seed_policy, p.replicates, p.base_seed
        )),
        Block::Text(format!("Methods: {}.", specs(&search.methods))),
    ];
    if let Some(images) = &search.supernet_images {
        blocks.push(Block::Text(format!(
            "Weight-sharing methods train their supernets on {images}, split in halves; their \
             evaluation's cost is the supernet's measured CPU time."
        )));
    }
    blocks.extend(provenance(manifest, search.tasks.first().map(|t| &t.data)));
    blocks.extend(failed_trials(manifest));
    let baseline = baseline_label(search.baseline());
    for task in tasks {
        search_task(
            &mut blocks,
            manifest,
            task,
            &baseline,
            figures(&task.info.task),
        );
    }
    overall_ranks(&mut blocks, tasks, &analysis.overall);
    if parallel.iter().any(|(_, r)| !r.is_empty()) {
        parallel_workers(&mut blocks, parallel);
    }
    if !cross.is_empty() {
        cross_task(&mut blocks, manifest, tasks, cross);
    }
    blocks.push(Block::Heading("Definitions".into()));
    blocks.push(Block::Bullets(vec![
        "Final: the incumbent (best observed objective) after the whole budget; its value is the table's mean over training seeds, so evaluation noise does not reward luck.".into(),
        "Regret: best value in the space minus the mean final value. Bold: the best mean of the task.".into(),
        format!("† / ‡: significantly better / worse than {baseline} (Mann-Whitney U, Holm-adjusted over the task's methods, α = 0.05)."),
        "Distinct archs (cells): architectures evaluated per run, and isomorphism classes among them (NB201's rule), averaged over runs.".into(),
        "RI (Yang et al., ICLR 2020): `100 · (Acc_m − Acc_r) / Acc_r` (sign flipped for minimized objectives). Exact: `Acc_r` is the mean over the whole space. Sampled: `Acc_r` is the mean of the protocol's k seeded random architectures.".into(),
        "CIs are 95% percentile bootstraps (2,000 resamples, seeded from the run's sha256), over runs and, for sampled RI, jointly over the k random architectures.".into(),
        "Ranks: per replicate index, methods ranked by final value (1 = best); Friedman test over replicates; Nemenyi critical difference at α = 0.05 (Demšar, JMLR 2006).".into(),
        "Curves: median (line) and interquartile range (band) across runs.".into(),
    ]));
    if tasks.iter().any(|t| t.info.pareto.is_some())
        && let Some(Block::Bullets(b)) = blocks.last_mut()
    {
        b.push("Hypervolume: area dominated by a run's evaluated architectures (observed objective against the second objective) up to the reference point, divided by that of the table's exact front (1 = the whole front found); hypervolume regret: the exact front's hypervolume minus the mean run's.".into());
    }
    Document {
        title: format!("nash report: {}", p.name),
        blocks,
    }
}

fn search_task(
    blocks: &mut Vec<Block>,
    manifest: &Manifest,
    task: &SearchTaskResult,
    baseline: &str,
    figures: Vec<Figure>,
) {
    let info = &task.info;
    let d = decimals_for(info.space_best);
    let objective = &manifest.protocol.objective;
    blocks.push(Block::Heading(info.task.clone()));
    let unique = info
        .unique_cells
        .map(|u| format!(" ({u} unique up to isomorphism)"))
        .unwrap_or_default();
    blocks.push(Block::Text(format!(
        "{} architectures{unique}. Best {objective} in the space: {:.d$} (`{}`). Exact random baseline (space mean): {:.d$}. Sampled random baseline (k = {}): {:.d$}{}.",
        info.space_size,
        info.space_best,
        info.space_best_arch,
        info.space_mean,
        info.random_sample.len(),
        task.random_mean,
        task.random_ci.as_ref().map(|ci| format!(" {}", interval(ci, d))).unwrap_or_default(),
    )));
    blocks.push(Block::Table(finals_table(manifest, task, d)));
    let bullets = task
        .incidents
        .iter()
        .flat_map(|(method, i)| {
            let cell = format!("`{method}`");
            incident_bullets(
                &cell,
                i,
                "final value",
                "fell back from the published method at least once",
            )
        })
        .collect();
    incidents_block(blocks, bullets);
    if let Some(ranks) = &task.ranks {
        ranks_table(blocks, task, ranks, baseline);
    }
    runtime_table(blocks, task, d);
    power_table(blocks, task, baseline, d);
    if let Some(pareto) = &info.pareto {
        pareto_table(blocks, objective, task, pareto);
    }
    blocks.extend(figures.into_iter().map(Block::Figure));
}

/// Which optional columns a task's table of final values has.
struct FinalsColumns {
    prior: bool,
    test: bool,
}

/// A search task's table: per method its final values, regret, RI and what it evaluated;
/// `d` decimals.
fn finals_table(manifest: &Manifest, task: &SearchTaskResult, d: usize) -> Table {
    let objective = &manifest.protocol.objective;
    let has = FinalsColumns {
        prior: task.methods.iter().any(|m| m.ri_prior.is_some()),
        test: task.methods.iter().any(|m| m.test.is_some()),
    };
    let mut columns: Vec<String> = [
        "method".to_string(),
        "runs".into(),
        format!("final {objective} mean ± std"),
        "95% CI".into(),
        "median [IQR]".into(),
        "regret".into(),
        "RI exact % [95% CI]".into(),
        "RI sampled % [95% CI]".into(),
    ]
    .into();
    if has.prior {
        columns.push("RI over prior_order % [95% CI]".into());
    }
    columns.push(format!("observed {objective}"));
    columns.push("distinct archs (cells)".into());
    if has.test {
        let test = manifest
            .search()
            .and_then(|s| s.test_metric.as_deref())
            .unwrap_or("test value");
        columns.push(format!("final {test}"));
    }
    let mean_of = |m: &MethodResult| m.summary.as_ref().map_or(m.finals[0], |s| s.mean);
    let maximize = manifest.maximize();
    let best = task
        .methods
        .iter()
        .map(mean_of)
        .fold(None, |b: Option<f64>, v| {
            Some(b.map_or(v, |b| if maximize { b.max(v) } else { b.min(v) }))
        });
    let rows = task
        .methods
        .iter()
        .zip(&task.versus_baseline)
        .map(|(m, versus)| finals_row(task, m, versus.as_ref(), (best, d), &has))
        .collect();
    Table { columns, rows }
}

/// One method's row of `finals_table`; `best` is the task's best mean, bold.
fn finals_row(
    task: &SearchTaskResult,
    m: &MethodResult,
    versus: Option<&VersusBaseline>,
    (best, d): (Option<f64>, usize),
    has: &FinalsColumns,
) -> Vec<Cell> {
    let ri = |(v, ci): &(f64, Option<Interval>)| match ci {
        Some(ci) => format!("{v:+.2} {}", interval(ci, 2)),
        None => format!("{v:+.2}"),
    };
    let sign = match versus.and_then(|v| v.significantly_better) {
        Some(true) => " †",
        Some(false) => " ‡",
        None => "",
    };
    let failed = task
        .incidents
        .iter()
        .find(|(method, _)| *method == m.method)
        .map_or(0, |(_, i)| i.failed.len());
    let runs = match failed {
        0 => m.finals.len().to_string(),
        f => format!("{} ({f} failed)", m.finals.len()),
    };
    let mut row: Vec<Cell> = vec![m.method.as_str().into(), runs.into()];
    match &m.summary {
        Some(s) => {
            row.push(Cell {
                text: format!("{}{sign}", mean_std(s, d)),
                bold: Some(s.mean) == best,
            });
            row.push(interval(&s.ci, d).into());
            row.push(format!("{:.d$} [{:.d$}, {:.d$}]", s.median, s.q1, s.q3).into());
        }
        None => {
            row.push(Cell {
                text: format!("{:.d$}", m.finals[0]),
                bold: Some(m.finals[0]) == best,
            });
            row.push("–".into());
            row.push("–".into());
        }
    }
    row.push(format!("{:.d$}", m.regret).into());
    row.push(ri(&m.ri_exact).into());
    row.push(ri(&m.ri_sampled).into());
    let or_dash = |s: Option<String>| -> Cell { s.unwrap_or_else(|| "–".into()).into() };
    if has.prior {
        row.push(or_dash(m.ri_prior.as_ref().map(ri)));
    }
    row.push(or_dash(m.observed.as_ref().map(|s| mean_std(s, d))));
    row.push(format!("{:.1} ({:.1})", m.unique_archs, m.unique_cells).into());
    if has.test {
        row.push(or_dash(m.test.as_ref().map(|s| mean_std(s, d))));
    }
    row
}

/// The simulated-workers section (`parallel.rs`).
fn parallel_workers(blocks: &mut Vec<Block>, parallel: &[(String, Vec<WorkersResult>)]) {
    blocks.push(Block::Heading("Parallel workers".into()));
    blocks.push(Block::Text(format!(
        "Each method ran on k simulated workers (`workers.parquet`: per trial its makespan, idle worker time and the sha256 of its event transcript). Makespan: the simulated wall-clock seconds until a run's last evaluation finished. Idle: the share of worker time spent waiting (a method that must be told every result before it is asked again uses one worker). ERT: the expected simulated wall-clock seconds to come within {} of the best. Speed-ups are against the same method with one worker. The curves over simulated time above are over this wall-clock.",
        crate::parallel::TARGET_REGRET
    )));
    let seconds = |v: f64| {
        if v.is_finite() {
            format!("{v:.0}")
        } else {
            "∞".into()
        }
    };
    let ratio = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.2}×"));
    for (task, results) in parallel {
        blocks.push(Block::Text(format!("{task}:")));
        let rows = results
            .iter()
            .map(|r| {
                vec![
                    r.method.as_str().into(),
                    r.workers.to_string().into(),
                    r.runs.to_string().into(),
                    seconds(r.makespan).into(),
                    ratio(r.speedup_makespan).into(),
                    format!("{:.1}%", 100.0 * r.idle).into(),
                    format!("{}/{} · {}", r.reached, r.runs, seconds(r.ert_seconds)).into(),
                    ratio(r.speedup_ert).into(),
                ]
            })
            .collect();
        blocks.push(Block::Table(Table {
            columns: [
                "method",
                "workers",
                "runs",
                "makespan (s)",
                "speed-up",
                "idle",
                "reached · ERT (s)",
                "ERT speed-up",
            ]
            .map(String::from)
            .into(),
            rows,
        }));
    }
}

/// `nash plan`'s answer: per task, each method's replicates for `effect` against `baseline`.
pub fn plan(analysis: &SearchAnalysis, baseline: &str, effect: f64) -> Document {
    let mut blocks = vec![Block::Text(format!(
        "Replicates per method for the Mann-Whitney test against `{baseline}` to detect a difference of {effect} in the mean final value at α = 0.05 with 80% power, from the spreads this run measured (normal approximation with the rank test's π/3, before Holm's correction over a task's methods; `power.rs`)."
    ))];
    for task in &analysis.tasks {
        let Some(b) = task.baseline.map(|b| &task.methods[b]) else {
            blocks.push(Block::Text(format!(
                "{}: `{baseline}` has no finished runs.",
                task.info.task
            )));
            continue;
        };
        let spread = |m: &MethodResult| m.summary.as_ref().map(|s| s.std);
        blocks.push(Block::Heading(task.info.task.clone()));
        let rows = task
            .methods
            .iter()
            .filter(|m| m.method != b.method)
            .map(|m| {
                let (needed, detectable) = match (spread(m), spread(b)) {
                    (Some(sm), Some(sb)) => (
                        power::replicates_needed(sm, sb, effect).to_string(),
                        format!(
                            "±{:.4}",
                            power::detectable_difference(
                                (sm, m.finals.len()),
                                (sb, b.finals.len())
                            )
                        ),
                    ),
                    _ => ("– (fewer than 2 runs)".to_string(), "–".to_string()),
                };
                vec![
                    m.method.as_str().into(),
                    m.finals.len().to_string().into(),
                    spread(m).map_or("–".into(), |s| format!("{s:.4}")).into(),
                    detectable.into(),
                    needed.into(),
                ]
            })
            .collect();
        blocks.push(Block::Table(Table {
            columns: vec![
                "method".into(),
                "runs now".into(),
                "std".into(),
                "detectable Δ now".into(),
                format!("replicates for Δ = {effect}"),
            ],
            rows,
        }));
    }
    Document {
        title: "nash plan".into(),
        blocks,
    }
}

/// What each comparison against the baseline could detect (`power.rs`).
fn power_table(blocks: &mut Vec<Block>, task: &SearchTaskResult, baseline: &str, d: usize) {
    let rows: Vec<Vec<Cell>> = task
        .methods
        .iter()
        .zip(&task.versus_baseline)
        .filter_map(|(m, v)| {
            let v = v.as_ref()?;
            let needed = match v.replicates_for_difference {
                n if v.difference == 0.0 || n > 1_000_000 => "–".to_string(),
                n => n.to_string(),
            };
            Some(vec![
                m.method.as_str().into(),
                m.finals.len().to_string().into(),
                format!("{:+.d$}", v.difference).into(),
                format!("±{:.d$}", v.detectable).into(),
                needed.into(),
            ])
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    blocks.push(Block::Text(format!(
        "Power against {baseline}: the smallest difference of mean final values the Mann-Whitney test could detect at α = 0.05 with 80% power given these runs and their spread (normal approximation with the rank test's π/3; before Holm's correction), and the replicates per method the observed difference would need. `nash plan DIR --effect D` gives the replicates for a difference D."
    )));
    blocks.push(Block::Table(Table {
        columns: vec![
            "method".into(),
            "runs".into(),
            "observed Δ".into(),
            "detectable Δ".into(),
            "replicates for observed Δ".into(),
        ],
        rows,
    }));
}

/// Each method's runtime to the task's targets (COCO's ERT, `runtime.rs`) and its mean regret
/// over its queries (the area under the regret curve).
fn runtime_table(blocks: &mut Vec<Block>, task: &SearchTaskResult, d: usize) {
    let targets: Vec<String> = task
        .targets
        .iter()
        .map(|t| format!("{} ({:.d$})", t.label, t.value))
        .collect();
    blocks.push(Block::Text(format!(
        "Runtime to target: per target, the runs that reached it and the expected running time in queries (ERT: all runs' queries until they reached it or ended, over the successful runs; ∞ when none did) with its 95% bootstrap CI, then, when the table has training times, the ERT in simulated seconds. Targets: {}. AUC: the mean regret over a run's queries (the area under its regret curve divided by its length; lower is better).",
        targets.join(", ")
    )));
    let ert = |t: &crate::runtime::TargetRuntime| {
        let value = |v: f64| {
            if v.is_finite() {
                format!("{v:.1}")
            } else {
                "∞".to_string()
            }
        };
        let ci = t
            .ert_ci
            .as_ref()
            .map(|ci| format!(" [{}, {}]", value(ci.low), value(ci.high)))
            .unwrap_or_default();
        let seconds = match t.ert_seconds {
            Some(s) if s.is_finite() => format!(" · {s:.0} s"),
            Some(_) => " · ∞ s".to_string(),
            None => String::new(),
        };
        format!("{}/{} · {}{ci}{seconds}", t.reached, t.runs, value(t.ert))
    };
    let rows = task
        .methods
        .iter()
        .map(|m| {
            let r = &m.runtime;
            let auc = r.auc_summary.as_ref().map_or_else(
                || format!("{:.d$}", crate::runtime::mean_auc(r)),
                |s| format!("{} {}", mean_std(s, d), interval(&s.ci, d)),
            );
            let mut row: Vec<Cell> = vec![m.method.as_str().into(), auc.into()];
            row.extend(r.targets.iter().map(|t| ert(t).into()));
            row
        })
        .collect();
    let mut columns = vec!["method".to_string(), "AUC (mean regret) [95% CI]".into()];
    columns.extend(task.targets.iter().map(|t| t.label.clone()));
    blocks.push(Block::Table(Table { columns, rows }));
}

/// Each method's hypervolume against the table's exact front.
fn pareto_table(
    blocks: &mut Vec<Block>,
    objective: &str,
    task: &SearchTaskResult,
    pareto: &ParetoInfo,
) {
    let second = &pareto.second_objective;
    let d = decimals_for(pareto.reference[0]);
    blocks.push(Block::Text(format!(
        "Pareto front of {objective} (observed, maximized or minimized as above) against `{second}` (minimized): the table's exact front has {} architectures and hypervolume {:.4} (reference point: {objective} {:.d$}, {second} {:.4}, the worst of the table).",
        pareto.front.len(),
        pareto.hypervolume,
        pareto.reference[0],
        pareto.reference[1],
    )));
    let best = task
        .methods
        .iter()
        .filter_map(|m| m.hypervolume.as_ref())
        .map(|h| h.summary.as_ref().map_or(h.finals[0], |s| s.mean))
        .fold(f64::NEG_INFINITY, f64::max);
    let rows = task
        .methods
        .iter()
        .filter_map(|m| m.hypervolume.as_ref().map(|h| (m, h)))
        .map(|(m, h)| {
            let mean = h.summary.as_ref().map_or(h.finals[0], |s| s.mean);
            vec![
                m.method.as_str().into(),
                h.finals.len().to_string().into(),
                Cell {
                    text: h
                        .summary
                        .as_ref()
                        .map_or_else(|| format!("{mean:.4}"), |s| mean_std(s, 4)),
                    bold: mean == best,
                },
                h.summary
                    .as_ref()
                    .map_or_else(|| "–".into(), |s| interval(&s.ci, 4))
                    .into(),
                format!("{:.4}", pareto.hypervolume * (1.0 - mean)).into(),
                format!("{:.1}", h.front_size).into(),
            ]
        })
        .collect();
    blocks.push(Block::Table(Table {
        columns: vec![
            "method".into(),
            "runs".into(),
            "hypervolume / exact mean ± std".into(),
            "95% CI".into(),
            "hypervolume regret".into(),
            "front size".into(),
        ],
        rows,
    }));
}

/// The report's words for a cell's failures and fallbacks (`cell` names it, `result` is what
/// a failed trial lacks, `fallback` what a fallback did): never silent.
fn incident_bullets(cell: &str, i: &Incidents, result: &str, fallback: &str) -> Vec<String> {
    let mut bullets = Vec::new();
    if let Some(first) = i.failed.first() {
        let after = match first.evaluations {
            None => String::new(),
            Some(1) => ", after 1 evaluation".into(),
            Some(n) => format!(", after {n} evaluations"),
        };
        bullets.push(format!(
            "{cell}: {} of {} trials failed and have no {result} (replicate {}{after}: {})",
            i.failed.len(),
            i.trials,
            first.replicate,
            first.error
        ));
    }
    if i.trials_with_fallbacks > 0 {
        bullets.push(format!(
            "{cell}: {} of {} trials {fallback} ({} in all): {}",
            i.trials_with_fallbacks,
            i.trials,
            i.fallbacks,
            i.fallback_reason.as_deref().unwrap_or("no reason recorded")
        ));
    }
    bullets
}

/// A "Failures and fallbacks" list, when there is anything to list.
fn incidents_block(blocks: &mut Vec<Block>, bullets: Vec<String>) {
    if !bullets.is_empty() {
        blocks.push(Block::Text("Failures and fallbacks:".into()));
        blocks.push(Block::Bullets(bullets));
    }
}

fn ranks_table(blocks: &mut Vec<Block>, task: &SearchTaskResult, ranks: &Ranks, baseline: &str) {
    let mut columns = vec!["method".to_string(), "average rank".into()];
    if ranks.against_baseline.is_some() {
        columns.push(format!("wins / ties / losses vs {baseline}"));
    }
    let best_rank = ranks.average.iter().copied().fold(f64::INFINITY, f64::min);
    let table_rows = task
        .methods
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let average = ranks.average[i];
            let mut row: Vec<Cell> = vec![
                m.method.as_str().into(),
                Cell {
                    text: format!("{average:.2}"),
                    bold: average == best_rank,
                },
            ];
            if let Some(against) = &ranks.against_baseline {
                let (w, t, l) = against[i];
                row.push(if Some(i) == task.baseline {
                    "–".into()
                } else {
                    format!("{w} / {t} / {l}").into()
                });
            }
            row
        })
        .collect();
    let cd = ranks.critical_difference;
    blocks.push(Block::Text(format!(
        "Ranks over {} replicates: Friedman χ² = {:.2}, p = {}{}.",
        ranks.replicates,
        ranks.friedman.statistic,
        p_value(ranks.friedman.p_value),
        cd.map(|cd| format!("; Nemenyi critical difference {cd:.3} (average ranks further apart than this differ at α = 0.05)")).unwrap_or_default()
    )));
    blocks.push(Block::Table(Table {
        columns,
        rows: table_rows,
    }));
    if let Some(cd) = cd {
        let names: Vec<&str> = task.methods.iter().map(|m| m.method.as_str()).collect();
        let file = format!("cd-{}.svg", task.info.task);
        let caption = format!(
            "{}: critical-difference diagram (Nemenyi, α = 0.05)",
            task.info.task
        );
        blocks.push(Block::Figure(Figure {
            svg: crate::plot::critical_difference_svg(&caption, &names, &ranks.average, cd),
            file,
            caption,
        }));
    }
}

/// Average ranks over tasks (each task's mean final value per method).
fn overall_ranks(blocks: &mut Vec<Block>, tasks: &[SearchTaskResult], overall: &OverallRanks) {
    let ranks = match overall {
        OverallRanks::NotApplicable => return,
        OverallRanks::Skipped { first, other } => {
            // A method whose every run failed on some task has no value there to rank.
            blocks.push(Block::Heading("All tasks".into()));
            blocks.push(Block::Text(format!(
                "No ranking over tasks: `{first}` and `{other}` do not have the same methods with finished runs (see their failures)."
            )));
            return;
        }
        OverallRanks::Ranked(ranks) => ranks,
    };
    let names: Vec<&str> = tasks[0].methods.iter().map(|m| m.method.as_str()).collect();
    blocks.push(Block::Heading("All tasks".into()));
    blocks.push(Block::Text(format!(
        "Average rank of each method's mean final value over the {} tasks (1 = best), and its relative improvement over the sampled random baseline per task, as Yang et al.'s RI table (ICLR 2020) reports it: RI % [95% CI].",
        tasks.len()
    )));
    let mut columns: Vec<String> = vec!["method".into(), "average rank over tasks".into()];
    columns.extend(tasks.iter().map(|t| format!("RI % {}", t.info.task)));
    blocks.push(Block::Table(Table {
        columns,
        rows: names
            .iter()
            .zip(ranks)
            .enumerate()
            .map(|(i, (n, r))| {
                let mut row: Vec<Cell> = vec![(*n).into(), format!("{r:.2}").into()];
                row.extend(tasks.iter().map(|t| {
                    let (v, ci) = &t.methods[i].ri_sampled;
                    Cell::from(match ci {
                        Some(ci) => format!("{v:+.2} {}", interval(ci, 2)),
                        None => format!("{v:+.2}"),
                    })
                }));
                row
            })
            .collect(),
    }));
}

/// Each searched task's final incumbents on the `evaluate_on` tasks, beside the published
/// figures when the run reproduces a published setting.
fn cross_task(
    blocks: &mut Vec<Block>,
    manifest: &Manifest,
    tasks: &[SearchTaskResult],
    cross: &[CrossGroup],
) {
    let objective = &manifest.protocol.objective;
    blocks.push(Block::Heading(
        "Searched architectures on other tasks".into(),
    ));
    blocks.push(Block::Text(format!(
        "Each run's final incumbent, found searching the task named above its table, looked up in every `evaluate_on` task's table: seed-mean {objective}, mean ± std over runs."
    )));
    for task in tasks {
        let name = &task.info.task;
        let groups: Vec<&CrossGroup> = cross.iter().filter(|g| &g.task == name).collect();
        let table = CrossTable::new(manifest, task, groups);
        blocks.push(Block::Text(format!("Searched on `{name}`:")));
        blocks.push(Block::Table(table.table()));
        let failed: Vec<String> = task
            .incidents
            .iter()
            .filter(|(_, i)| !i.failed.is_empty())
            .map(|(m, i)| format!("`{m}` ({} of {})", i.failed.len(), i.trials))
            .collect();
        if !failed.is_empty() {
            blocks.push(Block::Text(format!(
                "Failed runs have no final incumbent and are not in this table: {}.",
                failed.join(", ")
            )));
        }
    }
    if let Some(note) = published::nb201_search_note(manifest) {
        blocks.push(Block::Text(note));
    }
}

/// One searched task's architectures looked up on every `evaluate_on` task: per evaluated
/// task the objective, the published figure (where one exists) and the test metric (where
/// the benchmark has one).
struct CrossTable<'a> {
    manifest: &'a Manifest,
    searched: &'a str,
    methods: Vec<&'a str>,
    groups: Vec<&'a CrossGroup>,
    evaluated: &'a [EvaluatedTask],
    /// Per evaluated task, whether it has a published column.
    published: Vec<bool>,
    /// The test metric's name, when a group has test values.
    test: Option<&'a str>,
}

impl<'a> CrossTable<'a> {
    fn new(
        manifest: &'a Manifest,
        task: &'a SearchTaskResult,
        groups: Vec<&'a CrossGroup>,
    ) -> Self {
        let search = manifest.search().expect("a search run");
        let searched = task.info.task.as_str();
        let methods: Vec<&str> = task.methods.iter().map(|m| m.method.as_str()).collect();
        let published = search
            .evaluated_on
            .iter()
            .map(|e| {
                methods
                    .iter()
                    .any(|m| published::nb201_search(manifest, searched, m, &e.task).is_some())
            })
            .collect();
        let test = groups
            .iter()
            .any(|g| !g.tests.is_empty())
            .then(|| search.test_metric.as_deref().unwrap_or("test"));
        CrossTable {
            manifest,
            searched,
            methods,
            groups,
            evaluated: &search.evaluated_on,
            published,
            test,
        }
    }

    fn group(&self, method: &str, eval_task: &str) -> Option<&'a CrossGroup> {
        let found = self
            .groups
            .iter()
            .find(|g| g.method == method && g.eval_task == eval_task);
        found.copied()
    }

    /// The mean objective of a method's runs on an evaluated task, if it has any.
    fn mean(&self, method: &str, eval_task: &str) -> Option<f64> {
        let g = self
            .group(method, eval_task)
            .filter(|g| !g.values.is_empty())?;
        Some(crate::stats::mean(&g.values))
    }

    fn table(&self) -> Table {
        let objective = &self.manifest.protocol.objective;
        let mut columns = vec!["method".to_string()];
        for (e, &published) in self.evaluated.iter().zip(&self.published) {
            columns.push(format!("{} {objective}", e.task));
            if published {
                columns.push(format!("{} published", e.task));
            }
            if let Some(test) = self.test {
                columns.push(format!("{} {test}", e.task));
            }
        }
        let maximize = self.manifest.maximize();
        let best: Vec<Option<f64>> = self
            .evaluated
            .iter()
            .map(|e| {
                let means = self.methods.iter().filter_map(|m| self.mean(m, &e.task));
                means.reduce(|a, b| if (a > b) == maximize { a } else { b })
            })
            .collect();
        let mut rows: Vec<Vec<Cell>> = self.methods.iter().map(|m| self.row(m, &best)).collect();
        rows.push(self.reference_row("best in the table", |e| {
            let published = published::nb201_optimal(self.manifest, &e.task);
            (
                e.space_best,
                published.map_or("–".into(), |v| format!("{v:.2}")),
            )
        }));
        rows.push(
            self.reference_row("mean of the table (random baseline)", |e| {
                (e.space_mean, "–".into())
            }),
        );
        Table { columns, rows }
    }

    /// A method's row; `best` holds each evaluated task's best mean, bold.
    fn row(&self, method: &str, best: &[Option<f64>]) -> Vec<Cell> {
        let mut row: Vec<Cell> = vec![method.into()];
        for ((e, best), &published) in self.evaluated.iter().zip(best).zip(&self.published) {
            let g = self.group(method, &e.task);
            let d = decimals_for(e.space_best);
            let mean = self.mean(method, &e.task);
            row.push(Cell {
                text: g.map_or("–".into(), |g| spread(&g.values, g.missing, d)),
                bold: mean.is_some() && mean == *best,
            });
            if published {
                let figure = published::nb201_search(self.manifest, self.searched, method, &e.task);
                let text =
                    figure.map_or("–".into(), |(mean, std)| format!("{mean:.2} ± {std:.2}"));
                row.push(text.into());
            }
            if self.test.is_some() {
                row.push(g.map_or("–".into(), |g| spread(&g.tests, 0, d)).into());
            }
        }
        row
    }

    /// A row of the tables' own figures: `value` gives each evaluated task's value and its
    /// published counterpart.
    fn reference_row(
        &self,
        label: &str,
        value: impl Fn(&EvaluatedTask) -> (f64, String),
    ) -> Vec<Cell> {
        let mut row: Vec<Cell> = vec![label.into()];
        for (e, &published) in self.evaluated.iter().zip(&self.published) {
            let (v, figure) = value(e);
            row.push(format!("{:.*}", decimals_for(e.space_best), v).into());
            if published {
                row.push(figure.into());
            }
            if self.test.is_some() {
                row.push("–".into());
            }
        }
        row
    }
}

/// `mean ± std` of `values` (the value alone for one run), noting runs without a value.
fn spread(values: &[f64], missing: usize, d: usize) -> String {
    let text = match crate::stats::Sample::new(values.to_vec()) {
        Ok(s) => format!("{:.d$} ± {:.d$}", s.mean(), s.std()),
        Err(_) if values.len() == 1 => format!("{:.d$}", values[0]),
        Err(_) => "–".into(),
    };
    match missing {
        0 => text,
        n => format!("{text} ({n} runs: not in the table)"),
    }
}

fn measure_cell(m: &Measure) -> String {
    match m.ci {
        _ if m.n == 0 => "–".to_string(),
        Some(ci) => format!("{:.3} {}", m.mean, interval(&ci, 3)),
        None => format!("{:.3}", m.mean),
    }
}

/// The estimation report.
pub fn estimation(
    manifest: &Manifest,
    (tasks, agreement): (
        &[estimation::EstimationTaskResult],
        &[estimation::Agreement],
    ),
    figures: &dyn Fn(&str) -> Vec<Figure>,
) -> Document {
    let p = &manifest.protocol;
    let info = manifest
        .estimation()
        .expect("an estimation report is built for an estimation run");
    let transfer = info
        .train_task
        .as_ref()
        .map(|t| format!(", predictors trained on `{t}` labels (transfer)"))
        .unwrap_or_default();
    let mut blocks = vec![
        Block::Text(format!(
            "Benchmark `{}`, truth `{}` ({}, seed mean){transfer}; training labels under seed policy `{}`; {} evaluated architectures per trial; training sizes {:?}; {} replicates, base seed {}.",
            p.benchmark,
            p.objective,
            p.direction,
            p.seed_policy,
            info.evaluation,
            info.train_sizes,
            p.replicates,
            p.base_seed
        )),
        Block::Text(format!("Estimators: {}.", specs(&info.estimators))),
    ];
    if let Some(images) = &info.proxy_images {
        blocks.push(Block::Text(format!(
            "Zero-cost proxies: networks at initialisation; data-dependent ones see {images}, batch {}.",
            info.proxy_batch.unwrap_or(0)
        )));
    }
    if let Some(images) = &info.supernet_images {
        blocks.push(Block::Text(format!(
            "The one-shot estimator's supernets train on {images}, split in halves."
        )));
    }
    blocks.extend(provenance(manifest, info.tasks.first().map(|t| &t.data)));
    blocks.extend(failed_trials(manifest));
    for task in tasks {
        estimation_task(&mut blocks, manifest, task, figures(&task.task));
        agreement_table(&mut blocks, agreement, &task.task);
    }
    blocks.push(Block::Heading("Definitions".into()));
    blocks.push(Block::Bullets(vec![
        "Each replicate splits the space once: training sets are nested prefixes of a seeded permutation, the evaluated architectures its tail, disjoint from every training set.".into(),
        "Kendall tau-b (Knight's O(n log n) algorithm) and Spearman rho handle ties; both are computed with the truth oriented so that higher is better.".into(),
        "CIs are 95% percentile bootstraps over replicates (2,000 resamples, seeded from the run's sha256).".into(),
    ]));
    Document {
        title: format!("nash report: {}", p.name),
        blocks,
    }
}

/// nash's proxies against the scores the benchmark file records for the same proxies.
fn agreement_table(blocks: &mut Vec<Block>, agreement: &[estimation::Agreement], task: &str) {
    let rows: Vec<Vec<Cell>> = agreement
        .iter()
        .filter(|a| a.task == task)
        .map(|a| {
            vec![
                a.nash.as_str().into(),
                a.recorded.as_str().into(),
                format!("{:.3}", a.spearman).into(),
                a.architectures.to_string().into(),
                a.replicates.to_string().into(),
            ]
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    blocks.push(Block::Text(
        "Agreement with the scores the benchmark file records for the same proxies (Spearman rho between nash's score and the recorded one over the same architectures, mean over replicates):".into(),
    ));
    blocks.push(Block::Table(Table {
        columns: [
            "nash",
            "recorded",
            "Spearman rho",
            "architectures",
            "replicates",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    }));
}

/// One task's section of the estimation report.
fn estimation_task(
    blocks: &mut Vec<Block>,
    manifest: &Manifest,
    task: &estimation::EstimationTaskResult,
    figures: Vec<Figure>,
) {
    let info = manifest.estimation().expect("estimation run");
    blocks.push(Block::Heading(task.task.clone()));
    for (title, pick) in [
        (
            "Kendall tau-b",
            (|c: &estimation::Cell| &c.kendall) as fn(&estimation::Cell) -> &Measure,
        ),
        ("Spearman rho", |c| &c.spearman),
    ] {
        blocks.push(Block::Text(format!(
            "{title}, mean [95% CI] over replicates, by training-set size:"
        )));
        blocks.push(Block::Table(by_train_size(task, &info.train_sizes, pick)));
    }
    blocks.push(Block::Text(
        "Top-k agreement at the largest training size (precision@k = share of the true top k in the predicted top k; NDCG@k with min-max scaled truth as gain), and mean fit and score time per trial:".into(),
    ));
    blocks.push(Block::Table(top_k_table(task, &info.top_k)));
    training_free(blocks, manifest, task);
    let warnings: Vec<String> = task
        .estimators
        .iter()
        .flat_map(|e| {
            e.cells.iter().flat_map(move |c| {
                c.warnings
                    .iter()
                    .map(move |w| format!("{} ({}): {w}", e.estimator, c.train_size))
            })
        })
        .collect();
    if !warnings.is_empty() {
        blocks.push(Block::Text("Warnings:".into()));
        blocks.push(Block::Bullets(warnings));
    }
    estimation_incidents(blocks, task);
    blocks.extend(figures.into_iter().map(Block::Figure));
}

/// A measure (`pick`) per estimator and training-set size.
fn by_train_size(
    task: &estimation::EstimationTaskResult,
    sizes: &[usize],
    pick: fn(&estimation::Cell) -> &Measure,
) -> Table {
    let mut columns = vec!["estimator".to_string(), "no training".into()];
    columns.extend(sizes.iter().map(|s| s.to_string()));
    let rows = task
        .estimators
        .iter()
        .map(|e| {
            let at = |size: usize| {
                let c = e.cells.iter().find(|c| c.train_size as usize == size);
                Cell::from(c.map_or(String::new(), |c| measure_cell(pick(c))))
            };
            let mut row: Vec<Cell> = vec![e.estimator.as_str().into(), at(0)];
            row.extend(sizes.iter().map(|&s| at(s)));
            row
        })
        .collect();
    Table { columns, rows }
}

/// Precision@k and NDCG@k at each estimator's largest training size, with its times.
fn top_k_table(task: &estimation::EstimationTaskResult, top_k: &[usize]) -> Table {
    let mut columns = vec!["estimator".to_string(), "train size".into()];
    for k in top_k {
        columns.push(format!("precision@{k}"));
        columns.push(format!("NDCG@{k}"));
    }
    columns.extend(["fit s".into(), "score s".into()]);
    let rows = task
        .estimators
        .iter()
        .filter_map(|e| {
            let c = e.cells.last()?;
            let mut row: Vec<Cell> =
                vec![e.estimator.as_str().into(), c.train_size.to_string().into()];
            for (_, precision, ndcg) in &c.top_k {
                row.push(measure_cell(precision).into());
                row.push(measure_cell(ndcg).into());
            }
            row.push(format!("{:.4}", c.fit_seconds).into());
            row.push(format!("{:.4}", c.score_seconds).into());
            Some(row)
        })
        .collect();
    Table { columns, rows }
}

/// Failed trials and fallbacks of each (estimator, training size) that had any.
fn estimation_incidents(blocks: &mut Vec<Block>, task: &estimation::EstimationTaskResult) {
    let mut bullets = Vec::new();
    for e in &task.estimators {
        for c in &e.cells {
            let cell = match c.train_size {
                0 => format!("`{}`", e.estimator),
                n => format!("`{}` (n = {n})", e.estimator),
            };
            bullets.extend(incident_bullets(
                &cell,
                &c.incidents,
                "figures",
                "ranked architectures without a defined score last",
            ));
        }
    }
    incidents_block(blocks, bullets);
}

/// Zero-cost proxies and tabulated estimators beside the published figures.
fn training_free(
    blocks: &mut Vec<Block>,
    manifest: &Manifest,
    task: &estimation::EstimationTaskResult,
) {
    let p = &manifest.protocol;
    let info = manifest.estimation().expect("estimation run");
    let listed: Vec<&estimation::EstimatorResult> = task
        .estimators
        .iter()
        .filter(|e| {
            info.proxy_inputs.iter().any(|(id, _)| *id == e.estimator)
                || published::proxy_spearman(&p.benchmark, &task.task, &e.estimator).is_some()
        })
        .collect();
    if listed.is_empty() {
        return;
    }
    blocks.push(Block::Text(format!(
        "Training-free estimators beside published figures ({}). The difference is shown only where this run measures the same thing as the paper; otherwise the last column says what differs:",
        published::PROXIES_SOURCE
    )));
    let evaluated = info
        .tasks
        .iter()
        .find(|t| t.task == task.task)
        .map_or(0, |t| t.n_eval);
    let rows = listed
        .iter()
        .filter_map(|e| training_free_row(manifest, &task.task, evaluated, e))
        .collect();
    blocks.push(Block::Table(Table {
        columns: [
            "estimator",
            "input",
            "nash |Spearman| [95% CI]",
            "published",
            "nash − published",
            "setting",
        ]
        .map(String::from)
        .into(),
        rows,
    }));
}

/// One training-free estimator's |Spearman| beside the published figure, if it has a
/// defined one; `evaluated` architectures per trial.
fn training_free_row(
    manifest: &Manifest,
    task: &str,
    evaluated: u64,
    e: &estimation::EstimatorResult,
) -> Option<Vec<Cell>> {
    let info = manifest.estimation().expect("estimation run");
    let rho = &e.cells.first()?.spearman;
    let input = info
        .proxy_inputs
        .iter()
        .find(|(id, _)| *id == e.estimator)
        .map_or("table (no input)", |(_, i)| i.as_str());
    let published = published::proxy_spearman(&manifest.protocol.benchmark, task, &e.estimator);
    let differences = published::proxy_setting_differences(manifest, evaluated, input);
    let (difference, setting) = match published {
        None => ("–".to_string(), "–".to_string()),
        Some(v) if differences.is_empty() => {
            (format!("{:+.3}", rho.mean.abs() - v), "the paper's".into())
        }
        Some(_) => ("not comparable".into(), differences.join("; ")),
    };
    Some(vec![
        e.estimator.as_str().into(),
        input.into(),
        absolute(rho).into(),
        published.map_or("–".into(), |v| format!("{v:.3}")).into(),
        difference.into(),
        setting.into(),
    ])
}

/// A correlation's absolute value with its CI (flipped when the mean is negative).
fn absolute(rho: &Measure) -> String {
    match rho.ci {
        Some(ci) if rho.mean < 0.0 => {
            let flipped = Interval {
                low: -ci.high,
                high: -ci.low,
            };
            format!("{:.3} {}", -rho.mean, interval(&flipped, 3))
        }
        Some(ci) => format!("{:.3} {}", rho.mean, interval(&ci, 3)),
        None => format!("{:.3}", rho.mean.abs()),
    }
}

/// Three significant digits, in scientific notation below 0.001.
pub fn p_value(p: f64) -> String {
    if p < 1e-3 {
        format!("{p:.2e}")
    } else {
        format!("{p:.3}")
    }
}

/// `nash compare`'s result, for a pull-request comment or `$GITHUB_STEP_SUMMARY`.
pub fn comparison(r: &CompareResult) -> Document {
    let mut blocks = vec![Block::Text(format!(
        "{} of {} comparisons regress (α = {}, noise threshold {}, Holm-adjusted).",
        r.regressions(),
        r.comparisons.len(),
        r.alpha,
        r.noise_threshold
    ))];
    blocks.extend(r.notes.iter().map(|n| Block::Text(format!("⚠️ {n}"))));
    let search = r.kind == "search";
    let mut columns: Vec<String> = [
        "cell",
        "measure",
        "baseline",
        "candidate",
        "change",
        "median Δ [95% CI of mean Δ]",
    ]
    .map(String::from)
    .into();
    if search {
        columns.push("Δ RI exact, points [95% CI] / ERT".into());
    }
    columns.extend(["test", "p (Holm)", "verdict"].map(String::from));
    let rows = r
        .comparisons
        .iter()
        .map(|c| {
            let mut row: Vec<Cell> = vec![
                c.name.as_str().into(),
                c.measure.as_str().into(),
                format!("{:.4} (n={})", c.baseline_mean, c.n_baseline).into(),
            ];
            if let Some(problem) = &c.problem {
                row.extend((3..columns.len() - 1).map(|_| Cell::from("–")));
                row.push(match c.verdict {
                    Verdict::Regression => format!("❌ regression: {problem}").into(),
                    _ => problem.as_str().into(),
                });
                return row;
            }
            let ci = c
                .difference_ci
                .map_or(String::new(), |(a, b)| format!(" [{a:+.4}, {b:+.4}]"));
            row.push(format!("{:.4} (n={})", c.candidate_mean, c.n_candidate).into());
            row.push(format!("{:+.4}", c.change).into());
            row.push(format!("{:+.4}{ci}", c.median_difference).into());
            if search {
                let ert = |e: Option<f64>| e.map_or("∞".to_string(), |e| format!("{e:.1}"));
                row.push(match (c.ri_difference, c.ert) {
                    (Some((d, (a, b))), _) => format!("{d:+.3} [{a:+.3}, {b:+.3}]").into(),
                    (None, Some((b, c))) => format!("ERT {} → {}", ert(b), ert(c)).into(),
                    (None, None) => "–".into(),
                });
            }
            row.push(if c.paired { "Wilcoxon" } else { "Mann-Whitney" }.into());
            row.push(format!("{} ({})", p_value(c.p_value), p_value(c.p_holm)).into());
            row.push(
                match c.verdict {
                    Verdict::Regression => "❌ regression",
                    Verdict::Improvement => "✅ improvement",
                    Verdict::NoChange => "no change",
                }
                .into(),
            );
            row
        })
        .collect();
    blocks.push(Block::Table(Table { columns, rows }));
    Document {
        title: format!("nash compare: {}", r.protocol),
        blocks,
    }
}

#[cfg(test)]
mod tests {
    use super::decimals_for;

    #[test]
    fn decimals_keep_four_significant_digits() {
        assert_eq!(decimals_for(91.61), 2);
        assert_eq!(decimals_for(0.8193), 4);
        assert_eq!(decimals_for(0.0017), 6);
        assert_eq!(decimals_for(1234.0), 2);
    }
}
