//! Helpers of the end-to-end tests (each test binary uses some of them).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const NASH: &str = env!("CARGO_BIN_EXE_nash");

/// A scratch directory, emptied when the test starts.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nash-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn nash(args: &[&str]) -> Output {
    Command::new(NASH).args(args).output().expect("nash runs")
}

/// Runs nash with extra environment variables.
pub fn nash_with(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(NASH)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("nash runs")
}

/// A path inside the repository.
pub fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .display()
        .to_string()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// Column `name` of a trials.parquet as f64 (u32 and f64 columns).
pub fn trials_column(path: &Path, name: &str) -> Vec<f64> {
    use arrow_array::{Array, Float64Array, UInt32Array};
    let file = std::fs::File::open(path).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut out = Vec::new();
    for batch in reader {
        let column = batch.unwrap().column_by_name(name).unwrap().clone();
        if let Some(c) = column.as_any().downcast_ref::<UInt32Array>() {
            out.extend(c.values().iter().map(|&v| f64::from(v)));
        } else {
            let c = column.as_any().downcast_ref::<Float64Array>().unwrap();
            out.extend((0..c.len()).map(|i| if c.is_null(i) { f64::NAN } else { c.value(i) }));
        }
    }
    out
}
