//! The Markdown search report.

use std::fmt::Write;

use crate::manifest::{DataSource, Manifest, MethodInfo};
use crate::search::TaskResult;
use crate::stats::{Interval, Summary};

/// Decimals that show four significant digits of values around `scale`.
pub fn decimals_for(scale: f64) -> usize {
    if scale == 0.0 || !scale.is_finite() {
        return 4;
    }
    (3 - scale.abs().log10().floor() as i64).clamp(2, 8) as usize
}

/// `id` (name {params}) for each method or estimator.
pub fn specs(list: &[MethodInfo]) -> String {
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
pub fn provenance(manifest: &Manifest, data: Option<&DataSource>) -> String {
    let mut md = format!(
        "Protocol sha256 `{}`; nash {}{}; {} rows in {:.2} s on {} threads ({}, {} CPUs).\n\n",
        manifest.protocol.sha256,
        manifest.nash_version,
        manifest
            .git_commit
            .as_ref()
            .map(|c| format!(" (commit {})", &c[..c.len().min(12)]))
            .unwrap_or_default(),
        manifest.rows,
        manifest.wall_seconds,
        manifest.threads,
        manifest.host.hostname,
        manifest.host.cpus
    );
    if let Some(d) = data {
        md.push_str(&format!(
            "Data: {} {} (wheel sha256 `{}`).\n\n",
            d.package, d.version, d.wheel_sha256
        ));
    }
    md
}

pub fn interval(ci: &Interval, d: usize) -> String {
    format!("[{:.d$}, {:.d$}]", ci.low, ci.high)
}

fn mean_std(s: &Summary, d: usize) -> String {
    format!("{:.d$} ± {:.d$}", s.mean, s.std)
}

/// Renders the report; `plots(task)` gives the SVG files written for a task.
pub fn render(
    manifest: &Manifest,
    tasks: &[TaskResult],
    plots: &dyn Fn(&str) -> Vec<(String, String)>,
) -> String {
    let p = &manifest.protocol;
    let search = manifest
        .search
        .as_ref()
        .expect("a search report is rendered for a search run");
    let mut md = String::new();
    let _ = writeln!(md, "# nash report: {}\n", p.name);
    let budget = match search.budget_kind.as_str() {
        "queries" => format!("{} queries", search.budget),
        _ => format!(
            "{} simulated seconds (cost scale {})",
            search.budget, search.cost_scale
        ),
    };
    let _ = writeln!(
        md,
        "Benchmark **{}**, objective **{}** ({}), seed policy `{}`, budget {}, {} replicates, \
         base seed {}.\n",
        p.benchmark, p.objective, p.direction, p.seed_policy, budget, p.replicates, p.base_seed
    );
    let _ = writeln!(md, "Methods: {}.\n", specs(&search.methods));
    md.push_str(&provenance(manifest, search.tasks.first().map(|t| &t.data)));
    for task in tasks {
        render_task(&mut md, manifest, task, &plots(&task.info.task));
    }
    md.push_str(
        "## Definitions\n\n\
         - *Final*: the incumbent (best observed objective) after the whole budget; its value \
         is the table's mean over training seeds, so evaluation noise does not reward luck.\n\
         - *Regret*: best value in the space minus the mean final value.\n\
         - *Distinct archs (cells)*: architectures evaluated per run, and isomorphism classes \
         among them (NB201's rule), averaged over runs.\n\
         - *RI* (Yang et al., ICLR 2020): `100 · (Acc_m − Acc_r) / Acc_r` (sign flipped for \
         minimized objectives). *Exact*: `Acc_r` is the mean over the whole space. *Sampled*: \
         `Acc_r` is the mean of the protocol's k seeded random architectures.\n\
         - CIs are 95% percentile bootstraps (2,000 resamples, seeded from the run's sha256), \
         over runs and, for sampled RI, jointly over the k random architectures.\n\
         - Curves: median (line) and interquartile range (band) across runs.\n",
    );
    md
}

fn render_task(
    md: &mut String,
    manifest: &Manifest,
    task: &TaskResult,
    plots: &[(String, String)],
) {
    let info = &task.info;
    let d = decimals_for(info.space_best);
    let objective = &manifest.protocol.objective;
    let _ = writeln!(md, "## {}\n", info.task);
    let unique = info
        .unique_cells
        .map(|u| format!(" ({u} unique up to isomorphism)"))
        .unwrap_or_default();
    let _ = writeln!(
        md,
        "{} architectures{unique}. Best {objective} in the space: {:.d$} (`{}`). \
         Exact random baseline (space mean): {:.d$}. Sampled random baseline (k = {}): {:.d$}{}.\n",
        info.space_size,
        info.space_best,
        info.space_best_arch,
        info.space_mean,
        info.random_sample.len(),
        task.random_mean,
        task.random_ci
            .as_ref()
            .map(|ci| format!(" {}", interval(ci, d)))
            .unwrap_or_default(),
    );
    let has_test = task.methods.iter().any(|m| m.test.is_some());
    let _ = write!(
        md,
        "| method | runs | final {objective} mean ± std | 95% CI | median [IQR] | regret | \
         RI exact % [95% CI] | RI sampled % [95% CI] | observed {objective} | distinct archs (cells) |"
    );
    if has_test {
        let test = manifest
            .search
            .as_ref()
            .and_then(|s| s.test_metric.as_deref())
            .unwrap_or("test value");
        let _ = write!(md, " final {test} |");
    }
    let _ = writeln!(md);
    let columns = if has_test { 11 } else { 10 };
    let _ = writeln!(md, "|{}", "---|".repeat(columns));
    for m in &task.methods {
        let ri = |(v, ci): &(f64, Option<Interval>)| match ci {
            Some(ci) => format!("{v:+.2} {}", interval(ci, 2)),
            None => format!("{v:+.2}"),
        };
        let stats = match &m.summary {
            Some(s) => format!(
                "{} | {} | {:.d$} [{:.d$}, {:.d$}]",
                mean_std(s, d),
                interval(&s.ci, d),
                s.median,
                s.q1,
                s.q3
            ),
            None => format!("{:.d$} | – | –", m.finals[0]),
        };
        let _ = write!(
            md,
            "| {} | {} | {stats} | {:.d$} | {} | {} | {} | {:.1} ({:.1}) |",
            m.method,
            m.finals.len(),
            m.regret,
            ri(&m.ri_exact),
            ri(&m.ri_sampled),
            m.observed
                .as_ref()
                .map(|s| mean_std(s, d))
                .unwrap_or_else(|| "–".into()),
            m.unique_archs,
            m.unique_cells,
        );
        if has_test {
            let _ = write!(
                md,
                " {} |",
                m.test
                    .as_ref()
                    .map(|s| mean_std(s, d))
                    .unwrap_or_else(|| "–".into())
            );
        }
        let _ = writeln!(md);
    }
    let _ = writeln!(md);
    for (file, caption) in plots {
        let _ = writeln!(md, "![{caption}]({file})\n");
    }
}

/// Renders the estimation report; `plots(task)` gives the SVG files written for a task.
pub fn render_estimation(
    manifest: &Manifest,
    tasks: &[crate::estimation::TaskResult],
    plots: &dyn Fn(&str) -> Vec<(String, String)>,
) -> String {
    use crate::estimation::Measure;
    let p = &manifest.protocol;
    let info = manifest
        .estimation
        .as_ref()
        .expect("an estimation report is rendered for an estimation run");
    let mut md = String::new();
    let _ = writeln!(md, "# nash report: {}\n", p.name);
    let transfer = info
        .train_task
        .as_ref()
        .map(|t| format!(", predictors trained on **{t}** labels (transfer)"))
        .unwrap_or_default();
    let _ = writeln!(
        md,
        "Benchmark **{}**, truth **{}** ({}, seed mean){transfer}; training labels under seed \
         policy `{}`; {} evaluated architectures per trial; training sizes {:?}; {} replicates, \
         base seed {}.\n",
        p.benchmark,
        p.objective,
        p.direction,
        p.seed_policy,
        info.evaluation,
        info.train_sizes,
        p.replicates,
        p.base_seed
    );
    let _ = writeln!(md, "Estimators: {}.\n", specs(&info.estimators));
    md.push_str(&provenance(manifest, info.tasks.first().map(|t| &t.data)));
    let cell = |m: &Measure| match m.ci {
        _ if m.n == 0 => "–".to_string(),
        Some(ci) => format!("{:.3} {}", m.mean, interval(&ci, 3)),
        None => format!("{:.3}", m.mean),
    };
    let sizes = &info.train_sizes;
    for task in tasks {
        let _ = writeln!(md, "## {}\n", task.task);
        for (title, pick) in [
            (
                "Kendall tau-b",
                (|c: &crate::estimation::Cell| &c.kendall)
                    as fn(&crate::estimation::Cell) -> &Measure,
            ),
            ("Spearman rho", |c| &c.spearman),
        ] {
            let _ = writeln!(
                md,
                "{title}, mean [95% CI] over replicates, by training-set size:\n"
            );
            let _ = write!(md, "| estimator | no training |");
            for s in sizes {
                let _ = write!(md, " {s} |");
            }
            let _ = writeln!(md, "\n|---|---|{}", "---|".repeat(sizes.len()));
            for e in &task.estimators {
                let _ = write!(md, "| {} |", e.estimator);
                let zero = e.cells.iter().find(|c| c.train_size == 0);
                let _ = write!(md, " {} |", zero.map_or("".into(), |c| cell(pick(c))));
                for &s in sizes {
                    let c = e.cells.iter().find(|c| c.train_size as usize == s);
                    let _ = write!(md, " {} |", c.map_or("".into(), |c| cell(pick(c))));
                }
                let _ = writeln!(md);
            }
            let _ = writeln!(md);
        }
        let _ = writeln!(
            md,
            "Top-k agreement at the largest training size (precision@k = share of the true top k \
             in the predicted top k; NDCG@k with min-max scaled truth as gain), and mean fit and \
             score time per trial:\n"
        );
        let _ = write!(md, "| estimator | train size |");
        for k in &info.top_k {
            let _ = write!(md, " precision@{k} | NDCG@{k} |");
        }
        let _ = writeln!(md, " fit s | score s |");
        let _ = writeln!(
            md,
            "|---|---|{}---|---|",
            "---|---|".repeat(info.top_k.len())
        );
        for e in &task.estimators {
            let Some(c) = e.cells.last() else { continue };
            let _ = write!(md, "| {} | {} |", e.estimator, c.train_size);
            for (_, precision, ndcg) in &c.top_k {
                let _ = write!(md, " {} | {} |", cell(precision), cell(ndcg));
            }
            let _ = writeln!(md, " {:.4} | {:.4} |", c.fit_seconds, c.score_seconds);
        }
        let _ = writeln!(md);
        let proxies: Vec<&crate::estimation::EstimatorResult> = task
            .estimators
            .iter()
            .filter(|e| {
                info.proxy_inputs.iter().any(|(id, _)| *id == e.estimator)
                    || crate::published::proxy_spearman(&p.benchmark, &task.task, &e.estimator)
                        .is_some()
            })
            .collect();
        if !proxies.is_empty() {
            let _ = writeln!(
                md,
                "Training-free estimators beside published figures ({}):\n",
                crate::published::PROXIES_SOURCE
            );
            let _ = writeln!(
                md,
                "| estimator | input | nash \\|Spearman\\| [95% CI] | published | gap |\n|---|---|---|---|---|"
            );
            for e in proxies {
                let Some(c) = e.cells.first() else { continue };
                let rho = &c.spearman;
                let input = info
                    .proxy_inputs
                    .iter()
                    .find(|(id, _)| *id == e.estimator)
                    .map_or("table (no input)", |(_, i)| i.as_str());
                let published =
                    crate::published::proxy_spearman(&p.benchmark, &task.task, &e.estimator);
                let nash = match rho.ci {
                    Some(ci) if rho.mean < 0.0 => format!(
                        "{:.3} {}",
                        -rho.mean,
                        interval(
                            &Interval {
                                low: -ci.high,
                                high: -ci.low
                            },
                            3
                        )
                    ),
                    Some(ci) => format!("{:.3} {}", rho.mean, interval(&ci, 3)),
                    None => format!("{:.3}", rho.mean.abs()),
                };
                let _ = writeln!(
                    md,
                    "| {} | {input} | {nash} | {} | {} |",
                    e.estimator,
                    published.map_or("–".into(), |v| format!("{v:.3}")),
                    published.map_or("–".into(), |v| format!("{:+.3}", rho.mean.abs() - v)),
                );
            }
            let _ = writeln!(md);
        }
        let warnings: Vec<String> = task
            .estimators
            .iter()
            .flat_map(|e| {
                e.cells.iter().flat_map(move |c| {
                    c.warnings
                        .iter()
                        .map(move |w| format!("- {} ({}): {w}", e.estimator, c.train_size))
                })
            })
            .collect();
        if !warnings.is_empty() {
            let _ = writeln!(md, "Warnings:\n\n{}\n", warnings.join("\n"));
        }
        for (file, caption) in plots(&task.task) {
            let _ = writeln!(md, "![{caption}]({file})\n");
        }
    }
    md.push_str(
        "## Definitions\n\n\
         - Each replicate splits the space once: training sets are nested prefixes of a seeded \
         permutation, the evaluated architectures its tail, disjoint from every training set.\n\
         - Kendall tau-b (Knight's O(n log n) algorithm) and Spearman rho handle ties; both are \
         computed with the truth oriented so that higher is better.\n\
         - CIs are 95% percentile bootstraps over replicates (2,000 resamples, seeded from the \
         run's sha256).\n",
    );
    md
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
