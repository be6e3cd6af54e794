//! nash's reports: statistics computed from result files alone (Parquet + manifest.json), and
//! the renderers that present them. Nothing here knows what a search method is.

pub mod compare;
pub mod cross_task;
pub mod document;
pub mod estimation;
pub mod export;
pub mod figures;
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
    let figures = |name: &str| match analysis.tasks.iter().find(|t| t.info.task == name) {
        Some(task) => figures::search(task, objective),
        None => Vec::new(),
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
    let info = manifest.estimation().expect("an estimation run");
    let agreement = estimation::agreement(dir, &info.agreement)?;
    let objective = &manifest.protocol.objective;
    let figures = |name: &str| match tasks.iter().find(|t| t.task == name) {
        Some(task) => figures::estimation(task, &points, objective),
        None => Vec::new(),
    };
    Ok(document::estimation(
        manifest,
        (&tasks, &agreement),
        &figures,
    ))
}

fn write(path: &Path, text: &str) -> Result<(), ReportError> {
    datasets::files::write_atomic(path, text.as_bytes()).map_err(|e| ReportError::Io {
        path: path.to_path_buf(),
        source: e,
    })
}
