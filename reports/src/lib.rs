//! nash's reports: statistics computed from result files alone (Parquet + manifest.json), and
//! the renderers that present them. Nothing here knows what a search method is.

pub mod compare;
pub mod estimation;
pub mod manifest;
pub mod markdown;
mod parquet_io;
pub mod plot;
pub mod published;
pub mod rank;
pub mod search;
pub mod significance;
pub mod stats;
pub mod trials;

use std::path::{Path, PathBuf};

use manifest::Manifest;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
}

/// Reads a run directory, writes `report.md` and its SVG plots into it, and returns the
/// report's path.
pub fn report(dir: &Path) -> Result<PathBuf, ReportError> {
    let manifest = Manifest::read(dir)?;
    let md = match manifest.kind.as_str() {
        "estimation" => estimation_report(dir, &manifest)?,
        _ => search_report(dir, &manifest)?,
    };
    let path = dir.join("report.md");
    write(&path, &md)?;
    Ok(path)
}

fn search_report(dir: &Path, manifest: &Manifest) -> Result<String, ReportError> {
    let groups = trials::read_groups(dir)?;
    let tasks = search::analyse(manifest, &groups).map_err(|message| ReportError::Format {
        path: dir.join(trials::TRIALS),
        message,
    })?;
    let objective = &manifest.protocol.objective;
    let mut plots: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for task in &tasks {
        let mut files = Vec::new();
        let name = &task.info.task;
        let queries: Vec<(&str, &search::Curve)> = task
            .methods
            .iter()
            .map(|m| (m.method.as_str(), &m.over_queries))
            .collect();
        let file = format!("curves-{name}-queries.svg");
        let title = format!("{name}: incumbent {objective} (seed mean) over queries");
        let chart = plot::Chart {
            title: &title,
            x_label: "queries",
            y_label: objective,
            log_x: false,
            skip_start: true,
        };
        write(&dir.join(&file), &plot::curves_svg(&chart, &queries))?;
        files.push((file, title.clone()));
        let time: Option<Vec<(&str, &search::Curve)>> = task
            .methods
            .iter()
            .map(|m| m.over_time.as_ref().map(|c| (m.method.as_str(), c)))
            .collect();
        if let Some(time) = time {
            let file = format!("curves-{name}-time.svg");
            let title = format!("{name}: incumbent {objective} (seed mean) over simulated time");
            let chart = plot::Chart {
                title: &title,
                x_label: "simulated seconds",
                y_label: objective,
                log_x: false,
                skip_start: true,
            };
            write(&dir.join(&file), &plot::curves_svg(&chart, &time))?;
            files.push((file, title));
        }
        plots.push((name.clone(), files));
    }
    let lookup = |task: &str| {
        plots
            .iter()
            .find(|(t, _)| t == task)
            .map(|(_, f)| f.clone())
            .unwrap_or_default()
    };
    Ok(markdown::render(manifest, &tasks, &lookup))
}

fn estimation_report(dir: &Path, manifest: &Manifest) -> Result<String, ReportError> {
    let tasks = estimation::analyse(dir, manifest)?;
    let points = estimation::scatter_points(dir)?;
    let objective = &manifest.protocol.objective;
    let mut plots: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for task in &tasks {
        let mut files = Vec::new();
        let name = &task.task;
        // Kendall tau against training-set size; estimators that do not learn are flat lines.
        let sizes: Vec<f64> = task
            .estimators
            .iter()
            .flat_map(|e| e.cells.iter().map(|c| c.train_size as f64))
            .filter(|&s| s > 0.0)
            .collect();
        if !sizes.is_empty() {
            let (lo, hi) = sizes
                .iter()
                .fold((f64::INFINITY, 0.0f64), |(l, h), &s| (l.min(s), h.max(s)));
            let curves: Vec<(String, search::Curve)> = task
                .estimators
                .iter()
                .map(|e| {
                    let mut c = search::Curve {
                        x: Vec::new(),
                        median: Vec::new(),
                        q1: Vec::new(),
                        q3: Vec::new(),
                    };
                    let cells: Vec<(f64, &estimation::Cell)> =
                        if e.cells.len() == 1 && e.cells[0].train_size == 0 {
                            vec![(lo, &e.cells[0]), (hi, &e.cells[0])]
                        } else {
                            e.cells
                                .iter()
                                .map(|cell| (cell.train_size as f64, cell))
                                .collect()
                        };
                    for (x, cell) in cells.into_iter().filter(|(_, c)| c.kendall.n > 0) {
                        let k = &cell.kendall;
                        c.x.push(x);
                        c.median.push(k.mean);
                        c.q1.push(k.ci.map_or(k.mean, |ci| ci.low));
                        c.q3.push(k.ci.map_or(k.mean, |ci| ci.high));
                    }
                    (e.estimator.clone(), c)
                })
                .collect();
            let refs: Vec<(&str, &search::Curve)> =
                curves.iter().map(|(n, c)| (n.as_str(), c)).collect();
            let file = format!("kendall-{name}.svg");
            let title = format!("{name}: Kendall tau vs training-set size (mean, 95% CI)");
            let chart = plot::Chart {
                title: &title,
                x_label: "training architectures",
                y_label: "Kendall tau",
                log_x: true,
                skip_start: false,
            };
            write(&dir.join(&file), &plot::curves_svg(&chart, &refs))?;
            files.push((file, title));
        }
        for sc in points.iter().filter(|sc| &sc.task == name) {
            let (t, est) = (&sc.task, &sc.estimator);
            let file = format!("scatter-{t}-{est}.svg");
            let trained = if sc.train_size > 0 {
                format!(", {} training archs", sc.train_size)
            } else {
                String::new()
            };
            let title = format!("{t}: {est} score vs true {objective} (replicate 0{trained})");
            let chart = plot::Chart {
                title: &title,
                x_label: objective,
                y_label: "score",
                log_x: false,
                skip_start: false,
            };
            write(&dir.join(&file), &plot::scatter_svg(&chart, &sc.points))?;
            files.push((file, title));
        }
        plots.push((name.clone(), files));
    }
    let lookup = |task: &str| {
        plots
            .iter()
            .find(|(t, _)| t == task)
            .map(|(_, f)| f.clone())
            .unwrap_or_default()
    };
    Ok(markdown::render_estimation(manifest, &tasks, &lookup))
}

fn write(path: &Path, text: &str) -> Result<(), ReportError> {
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| ReportError::Io {
            path: path.to_path_buf(),
            source: e,
        })
}
