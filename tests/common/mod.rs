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
