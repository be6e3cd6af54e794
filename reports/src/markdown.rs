//! The Markdown search report.

use std::fmt::Write;

use crate::manifest::Manifest;
use crate::search::TaskResult;
use crate::stats::{Interval, Summary};

/// Decimals that show four significant digits of values around `scale`.
pub fn decimals_for(scale: f64) -> usize {
    if scale == 0.0 || !scale.is_finite() {
        return 4;
    }
    (3 - scale.abs().log10().floor() as i64).clamp(2, 8) as usize
}

fn interval(ci: &Interval, d: usize) -> String {
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
    let mut md = String::new();
    let _ = writeln!(md, "# nash report: {}\n", p.name);
    let budget = match p.budget_kind.as_str() {
        "queries" => format!("{} queries", p.budget),
        _ => format!(
            "{} simulated seconds (cost scale {})",
            p.budget, p.cost_scale
        ),
    };
    let _ = writeln!(
        md,
        "Benchmark **{}**, objective **{}** ({}), seed policy `{}`, budget {}, {} replicates, \
         base seed {}.\n",
        p.benchmark, p.objective, p.direction, p.seed_policy, budget, p.replicates, p.base_seed
    );
    let methods: Vec<String> = p
        .methods
        .iter()
        .map(|m| {
            // Params serialize as {"method": {...}}; show the inner object.
            let params = m.params.get(&m.method).unwrap_or(&m.params);
            format!("`{}` ({} {params})", m.id, m.method)
        })
        .collect();
    let _ = writeln!(md, "Methods: {}.\n", methods.join(", "));
    let _ = writeln!(
        md,
        "Protocol sha256 `{}`; nash {}{}; {} rows in {:.2} s on {} threads ({}, {} CPUs).\n",
        p.sha256,
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
    if let Some(t) = manifest.tasks.first() {
        let _ = writeln!(
            md,
            "Data: {} {} (wheel sha256 `{}`).\n",
            t.data.package, t.data.version, t.data.wheel_sha256
        );
    }
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
        let _ = write!(
            md,
            " test {} |",
            manifest.protocol.test_metric.as_deref().unwrap_or("value")
        );
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
