//! nash's reports: statistics computed from result files alone (Parquet + manifest.json), and
//! the renderers that present them. Nothing here knows what a search method is.

pub mod compare;
pub mod cross_task;
pub mod document;
pub mod estimation;
pub mod export;
pub mod incidents;
pub mod parallel;
pub mod pareto;
pub mod plot;
pub mod power;
pub mod published;
pub mod rank;
pub mod records;
pub mod runtime;
pub mod search;
pub mod significance;
pub mod stats;
pub mod trials;

use std::path::{Path, PathBuf};

use records::manifest::{Manifest, Run};

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

/// Reads a run directory and writes its report in every format (`report.md`, `report.tex`,
/// `report.html`, `report.json`) with the SVG figures beside them; returns the Markdown path.
pub fn report(dir: &Path) -> Result<PathBuf, ReportError> {
    let manifest = Manifest::read(dir)?;
    let doc = match &manifest.run {
        Run::Estimation { .. } => estimation_report(dir, &manifest)?,
        Run::Search { .. } => search_report(dir, &manifest)?,
    };
    for block in &doc.blocks {
        if let document::Block::Figure(figure) = block {
            write(&dir.join(&figure.file), &figure.svg)?;
        }
    }
    for exporter in export::all() {
        write(
            &dir.join(format!("report.{}", exporter.extension())),
            &exporter.render(&doc),
        )?;
    }
    Ok(dir.join("report.md"))
}

/// `nash plan`: for each task and method of a search run, the replicates per method that a
/// difference of `effect` (objective units) from the baseline needs, from the run's spreads
/// (`power.rs`).
pub fn plan(dir: &Path, effect: f64) -> Result<document::Document, ReportError> {
    let manifest = Manifest::read(dir)?;
    let bad = |message: String| ReportError::Format {
        path: dir.join(records::manifest::FILE),
        message,
    };
    let search = manifest
        .search()
        .ok_or_else(|| bad("nash plan reads search runs; this is an estimation run".into()))?;
    let baseline = search.baseline().ok_or_else(|| {
        bad(
            "no baseline to plan against: the protocol has no `baseline` and no random_search"
                .into(),
        )
    })?;
    let groups = trials::read_groups(dir, manifest.maximize())?;
    let analysis = search::analyse(&manifest, &groups).map_err(bad)?;
    Ok(document::plan(&analysis, baseline, effect))
}

fn search_report(dir: &Path, manifest: &Manifest) -> Result<document::Document, ReportError> {
    let groups = trials::read_groups(dir, manifest.maximize())?;
    let analysis = search::analyse(manifest, &groups).map_err(|message| ReportError::Format {
        path: dir.join(records::trials::FILE),
        message,
    })?;
    let objective = &manifest.protocol.objective;
    let figures = |name: &str| -> Vec<document::Figure> {
        let Some(task) = analysis.tasks.iter().find(|t| t.info.task == name) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let queries: Vec<(&str, &search::Curve)> = task
            .methods
            .iter()
            .map(|m| (m.method.as_str(), &m.over_queries))
            .collect();
        let title = format!("{name}: incumbent {objective} (seed mean) over queries");
        let chart = plot::Chart {
            title: &title,
            x_label: "queries",
            y_label: objective,
            log_x: false,
            skip_start: true,
        };
        out.push(document::Figure {
            file: format!("curves-{name}-queries.svg"),
            caption: title.clone(),
            svg: plot::curves_svg(&chart, &queries),
        });
        let time: Option<Vec<(&str, &search::Curve)>> = task
            .methods
            .iter()
            .map(|m| m.over_time.as_ref().map(|c| (m.method.as_str(), c)))
            .collect();
        if let Some(time) = time {
            let title = format!("{name}: incumbent {objective} (seed mean) over simulated time");
            let chart = plot::Chart {
                title: &title,
                x_label: "simulated seconds",
                y_label: objective,
                log_x: false,
                skip_start: true,
            };
            out.push(document::Figure {
                file: format!("curves-{name}-time.svg"),
                caption: title.clone(),
                svg: plot::curves_svg(&chart, &time),
            });
        }
        let as_curve = |points: &[(f64, f64)]| {
            let (x, y): (Vec<f64>, Vec<f64>) = points.iter().copied().unzip();
            search::Curve {
                x,
                median: y.clone(),
                q1: y.clone(),
                q3: y,
            }
        };
        let over_time: Option<Vec<(&str, search::Curve)>> = task
            .methods
            .iter()
            .map(|m| {
                Some((
                    m.method.as_str(),
                    as_curve(m.runtime.ecdf_seconds.as_ref()?),
                ))
            })
            .collect();
        let queries = task
            .methods
            .iter()
            .map(|m| (m.method.as_str(), as_curve(&m.runtime.ecdf)))
            .collect();
        for (axis, x_label, ecdf) in [
            ("", "queries (log scale)", Some(queries)),
            ("-time", "simulated seconds (log scale)", over_time),
        ] {
            let Some(ecdf) = ecdf else { continue };
            let by = if axis.is_empty() {
                "queries"
            } else {
                "simulated time"
            };
            let title = format!(
                "{name}: runtime ECDF over the {} targets by {by} (fraction of run-target pairs reached)",
                task.targets.len()
            );
            let chart = plot::Chart {
                title: &title,
                x_label,
                y_label: "fraction reached",
                log_x: true,
                skip_start: false,
            };
            let refs: Vec<(&str, &search::Curve)> = ecdf.iter().map(|(n, c)| (*n, c)).collect();
            out.push(document::Figure {
                file: format!("ecdf-{name}{axis}.svg"),
                caption: title.clone(),
                svg: plot::curves_svg(&chart, &refs),
            });
        }
        if let Some(p) = &task.info.pareto {
            let over_queries: Option<Vec<(&str, &search::Curve)>> = task
                .methods
                .iter()
                .map(|m| {
                    m.hypervolume
                        .as_ref()
                        .map(|h| (m.method.as_str(), &h.over_queries))
                })
                .collect();
            let over_time: Option<Vec<(&str, &search::Curve)>> = task
                .methods
                .iter()
                .map(|m| {
                    let h = m.hypervolume.as_ref()?;
                    Some((m.method.as_str(), h.over_time.as_ref()?))
                })
                .collect();
            for (axis, x_label, series) in [
                ("queries", "queries", over_queries),
                ("time", "simulated seconds", over_time),
            ] {
                let Some(series) = series else { continue };
                let title = format!(
                    "{name}: hypervolume of {objective} vs {} over {x_label}",
                    p.second_objective
                );
                let chart = plot::Chart {
                    title: &title,
                    x_label,
                    y_label: "hypervolume / exact",
                    log_x: false,
                    skip_start: true,
                };
                out.push(document::Figure {
                    file: format!("hypervolume-{name}-{axis}.svg"),
                    caption: title.clone(),
                    svg: plot::curves_svg(&chart, &series),
                });
            }
        }
        out
    };
    let cross = match manifest.search() {
        Some(s) if !s.evaluated_on.is_empty() => cross_task::read(dir)?,
        _ => Vec::new(),
    };
    let workers_path = dir.join(records::workers::FILE);
    let parallel = if workers_path.exists() {
        let batches = records::workers::read(&workers_path)?.collect::<Result<Vec<_>, _>>()?;
        let rows: Vec<records::workers::Row> = batches
            .iter()
            .flat_map(|b| (0..b.len()).map(move |i| b.row(i)))
            .collect();
        parallel::analyse(manifest, &analysis, &rows)
    } else {
        Vec::new()
    };
    Ok(document::search(
        manifest,
        &analysis,
        (&cross, &parallel),
        &figures,
    ))
}

fn estimation_report(dir: &Path, manifest: &Manifest) -> Result<document::Document, ReportError> {
    let batches = records::summary::read(&dir.join(records::summary::FILE))?
        .collect::<Result<Vec<_>, _>>()?;
    let rows = batches
        .iter()
        .flat_map(|b| (0..b.len()).map(move |i| b.row(i)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|message| ReportError::Format {
            path: dir.join(records::summary::FILE),
            message,
        })?;
    let tasks = estimation::analyse(manifest, &rows);
    let points = estimation::scatter_points(dir)?;
    let objective = &manifest.protocol.objective;
    let figures = |name: &str| -> Vec<document::Figure> {
        let Some(task) = tasks.iter().find(|t| t.task == name) else {
            return Vec::new();
        };
        let mut out = Vec::new();
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
            let title = format!("{name}: Kendall tau vs training-set size (mean, 95% CI)");
            let chart = plot::Chart {
                title: &title,
                x_label: "training architectures",
                y_label: "Kendall tau",
                log_x: true,
                skip_start: false,
            };
            out.push(document::Figure {
                file: format!("kendall-{name}.svg"),
                caption: title.clone(),
                svg: plot::curves_svg(&chart, &refs),
            });
        }
        for sc in points.iter().filter(|sc| sc.task == name) {
            let (t, est) = (&sc.task, &sc.estimator);
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
            out.push(document::Figure {
                file: format!("scatter-{t}-{est}.svg"),
                caption: title.clone(),
                svg: plot::scatter_svg(&chart, &sc.points),
            });
        }
        out
    };
    Ok(document::estimation(manifest, &tasks, &figures))
}

fn write(path: &Path, text: &str) -> Result<(), ReportError> {
    datasets::files::write_atomic(path, text.as_bytes()).map_err(|e| ReportError::Io {
        path: path.to_path_buf(),
        source: e,
    })
}
