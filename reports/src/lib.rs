//! nash's reports: statistics computed from result files alone (Parquet + manifest.json), and
//! the renderers that present them. Nothing here knows what a search method is.

pub mod manifest;
pub mod markdown;
pub mod plot;
pub mod rank;
pub mod search;
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
    let groups = trials::read_groups(dir)?;
    let tasks = search::analyse(&manifest, &groups).map_err(|message| ReportError::Format {
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
        write(
            &dir.join(&file),
            &plot::curves_svg(&title, "queries", objective, &queries),
        )?;
        files.push((file, title));
        let time: Option<Vec<(&str, &search::Curve)>> = task
            .methods
            .iter()
            .map(|m| m.over_time.as_ref().map(|c| (m.method.as_str(), c)))
            .collect();
        if let Some(time) = time {
            let file = format!("curves-{name}-time.svg");
            let title = format!("{name}: incumbent {objective} (seed mean) over simulated time");
            write(
                &dir.join(&file),
                &plot::curves_svg(&title, "simulated seconds", objective, &time),
            )?;
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
    let md = markdown::render(&manifest, &tasks, &lookup);
    let path = dir.join("report.md");
    write(&path, &md)?;
    Ok(path)
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
