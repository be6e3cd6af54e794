//! The report's figures: which plots each task of a run gets, drawn as SVG by `plot.rs`.

use crate::document::Figure;
use crate::estimation::{Cell, EstimationTaskResult, EstimatorResult, Scatter};
use crate::plot::{self, Chart};
use crate::search::{Curve, SearchTaskResult};

/// A line chart of several named curves.
fn lines(file: String, chart: &Chart, series: &[(&str, &Curve)]) -> Figure {
    Figure {
        file,
        caption: chart.title.to_string(),
        svg: plot::curves_svg(chart, series),
    }
}

/// A chart's axes and scales.
fn chart<'a>(title: &'a str, x_label: &'a str, y_label: &'a str, log_x: bool) -> Chart<'a> {
    Chart {
        title,
        x_label,
        y_label,
        log_x,
        // The linear-x charts are incumbent and hypervolume curves, whose first tenth (a few
        // random draws) would squash the rest; the log-x ones show everything.
        skip_start: !log_x,
    }
}

/// A search task's figures: incumbent curves, runtime ECDFs and, with a second objective,
/// hypervolume curves.
pub fn search(task: &SearchTaskResult, objective: &str) -> Vec<Figure> {
    let mut out = incumbents(task, objective);
    out.extend(runtime_ecdfs(task));
    out.extend(hypervolumes(task, objective));
    out
}

/// The incumbent's seed mean over queries and, where costs are simulated, over time.
fn incumbents(task: &SearchTaskResult, objective: &str) -> Vec<Figure> {
    let name = &task.info.task;
    let mut out = Vec::new();
    let queries: Vec<(&str, &Curve)> = task
        .methods
        .iter()
        .map(|m| (m.method.as_str(), &m.over_queries))
        .collect();
    let title = format!("{name}: incumbent {objective} (seed mean) over queries");
    let file = format!("curves-{name}-queries.svg");
    out.push(lines(
        file,
        &chart(&title, "queries", objective, false),
        &queries,
    ));
    let time: Option<Vec<(&str, &Curve)>> = task
        .methods
        .iter()
        .map(|m| m.over_time.as_ref().map(|c| (m.method.as_str(), c)))
        .collect();
    if let Some(time) = time {
        let title = format!("{name}: incumbent {objective} (seed mean) over simulated time");
        let axes = chart(&title, "simulated seconds", objective, false);
        out.push(lines(format!("curves-{name}-time.svg"), &axes, &time));
    }
    out
}

/// A curve through (x, y) points, with no spread.
fn point_curve(points: &[(f64, f64)]) -> Curve {
    let (x, y): (Vec<f64>, Vec<f64>) = points.iter().copied().unzip();
    Curve {
        x,
        median: y.clone(),
        q1: y.clone(),
        q3: y,
    }
}

/// The fraction of (run, target) pairs reached, by queries and by simulated time.
fn runtime_ecdfs(task: &SearchTaskResult) -> Vec<Figure> {
    let name = &task.info.task;
    let by_time: Option<Vec<(&str, Curve)>> = task
        .methods
        .iter()
        .map(|m| {
            Some((
                m.method.as_str(),
                point_curve(m.runtime.ecdf_seconds.as_ref()?),
            ))
        })
        .collect();
    let by_queries = task
        .methods
        .iter()
        .map(|m| (m.method.as_str(), point_curve(&m.runtime.ecdf)))
        .collect();
    let mut out = Vec::new();
    for (axis, by, x_label, ecdf) in [
        ("", "queries", "queries (log scale)", Some(by_queries)),
        (
            "-time",
            "simulated time",
            "simulated seconds (log scale)",
            by_time,
        ),
    ] {
        let Some(ecdf) = ecdf else { continue };
        let title = format!(
            "{name}: runtime ECDF over the {} targets by {by} (fraction of run-target pairs reached)",
            task.targets.len()
        );
        let refs: Vec<(&str, &Curve)> = ecdf.iter().map(|(n, c)| (*n, c)).collect();
        let axes = chart(&title, x_label, "fraction reached", true);
        out.push(lines(format!("ecdf-{name}{axis}.svg"), &axes, &refs));
    }
    out
}

/// The hypervolume of the objective against the second one, over queries and time.
fn hypervolumes(task: &SearchTaskResult, objective: &str) -> Vec<Figure> {
    let Some(pareto) = &task.info.pareto else {
        return Vec::new();
    };
    let name = &task.info.task;
    let over_queries: Option<Vec<(&str, &Curve)>> = task
        .methods
        .iter()
        .map(|m| Some((m.method.as_str(), &m.hypervolume.as_ref()?.over_queries)))
        .collect();
    let over_time: Option<Vec<(&str, &Curve)>> = task
        .methods
        .iter()
        .map(|m| {
            Some((
                m.method.as_str(),
                m.hypervolume.as_ref()?.over_time.as_ref()?,
            ))
        })
        .collect();
    let mut out = Vec::new();
    for (axis, x_label, series) in [
        ("queries", "queries", over_queries),
        ("time", "simulated seconds", over_time),
    ] {
        let Some(series) = series else { continue };
        let title = format!(
            "{name}: hypervolume of {objective} vs {} over {x_label}",
            pareto.second_objective
        );
        let axes = chart(&title, x_label, "hypervolume / exact", false);
        out.push(lines(
            format!("hypervolume-{name}-{axis}.svg"),
            &axes,
            &series,
        ));
    }
    out
}

/// An estimation task's figures: Kendall tau against training-set size, and each
/// estimator's scores against the truth.
pub fn estimation(
    task: &EstimationTaskResult,
    scatters: &[Scatter],
    objective: &str,
) -> Vec<Figure> {
    let mut out: Vec<Figure> = kendall_by_size(task).into_iter().collect();
    for sc in scatters.iter().filter(|sc| sc.task == task.task) {
        out.push(scatter(sc, objective));
    }
    out
}

/// Kendall tau (mean, 95% CI) against training-set size; estimators that do not learn are
/// flat lines across the sizes.
fn kendall_by_size(task: &EstimationTaskResult) -> Option<Figure> {
    let sizes: Vec<f64> = task
        .estimators
        .iter()
        .flat_map(|e| e.cells.iter().map(|c| c.train_size as f64))
        .filter(|&s| s > 0.0)
        .collect();
    if sizes.is_empty() {
        return None;
    }
    let (lo, hi) = sizes
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(l, h), &s| (l.min(s), h.max(s)));
    let curves: Vec<(&str, Curve)> = task
        .estimators
        .iter()
        .map(|e| (e.estimator.as_str(), kendall_curve(e, (lo, hi))))
        .collect();
    let refs: Vec<(&str, &Curve)> = curves.iter().map(|(n, c)| (*n, c)).collect();
    let name = &task.task;
    let title = format!("{name}: Kendall tau vs training-set size (mean, 95% CI)");
    let axes = chart(&title, "training architectures", "Kendall tau", true);
    Some(lines(format!("kendall-{name}.svg"), &axes, &refs))
}

/// One estimator's Kendall tau per training size; one that does not learn spans `sizes`.
fn kendall_curve(estimator: &EstimatorResult, (lo, hi): (f64, f64)) -> Curve {
    let cells = &estimator.cells;
    let at: Vec<(f64, &Cell)> = if cells.len() == 1 && cells[0].train_size == 0 {
        vec![(lo, &cells[0]), (hi, &cells[0])]
    } else {
        cells.iter().map(|c| (c.train_size as f64, c)).collect()
    };
    let mut curve = point_curve(&[]);
    for (x, cell) in at.into_iter().filter(|(_, c)| c.kendall.n > 0) {
        let k = &cell.kendall;
        curve.x.push(x);
        curve.median.push(k.mean);
        curve.q1.push(k.ci.map_or(k.mean, |ci| ci.low));
        curve.q3.push(k.ci.map_or(k.mean, |ci| ci.high));
    }
    curve
}

/// An estimator's scores against the true objective, replicate 0.
fn scatter(sc: &Scatter, objective: &str) -> Figure {
    let (t, est) = (&sc.task, &sc.estimator);
    let trained = if sc.train_size > 0 {
        format!(", {} training archs", sc.train_size)
    } else {
        String::new()
    };
    let title = format!("{t}: {est} score vs true {objective} (replicate 0{trained})");
    let axes = chart(&title, objective, "score", false);
    Figure {
        file: format!("scatter-{t}-{est}.svg"),
        caption: title.clone(),
        svg: plot::scatter_svg(
            &Chart {
                skip_start: false,
                ..axes
            },
            &sc.points,
        ),
    }
}
