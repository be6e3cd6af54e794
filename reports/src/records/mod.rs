//! The result files' contract, owned here: for each file a typed row, its schema (every
//! column name is spelled once, in its module's `col`), its writer and its reader. The
//! harness writes records; the reports read them by name. Any Parquet reader opens the files.
//!
//! | file | module | one row per |
//! |---|---|---|
//! | `trials.parquet` | [`trials`] | evaluation of a search trial (and a failed trial's last row) |
//! | `estimates.parquet` | [`estimates`] | architecture scored by an estimation trial |
//! | `estimates_summary.parquet` | [`summary`] | estimation trial |
//! | `cross_task.parquet` | [`cross_task`] | search trial's final incumbent on another task |
//! | `manifest.json` | [`manifest`] | run |

pub mod cross_task;
pub mod estimates;
pub mod manifest;
mod parquet_file;
pub mod summary;
pub mod trials;

pub use parquet_file::{ParquetWriter, PartialFile};

use std::fmt;

/// How a trial ended, in every file that has trials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Result<Status, String> {
        match text {
            "ok" => Ok(Status::Ok),
            "failed" => Ok(Status::Failed),
            other => Err(format!("unknown status '{other}'")),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a trial ended and what its method fell back on: the columns every trial file has.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrialEnd<'a> {
    pub status: Status,
    /// The first line of a failed trial's error.
    pub error: Option<&'a str>,
    /// How often the method departed from its published algorithm, and the first reason.
    pub fallbacks: u32,
    pub fallback_reason: Option<&'a str>,
}
