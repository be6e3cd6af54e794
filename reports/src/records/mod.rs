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
pub mod workers;

pub use parquet_file::{BackgroundWriter, ParquetWriter, PartialFile};

use std::fmt;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{DataType, Field};

use parquet_file::{column, strings, text_at};

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

/// The names of the [`TrialEnd`] columns, the last four of every trial file.
pub mod end_col {
    pub const STATUS: &str = "status";
    pub const ERROR: &str = "error";
    pub const FALLBACKS: &str = "fallbacks";
    pub const FALLBACK_REASON: &str = "fallback_reason";
}

impl TrialEnd<'_> {
    /// The schema fields of the trial-end columns.
    fn fields() -> [Field; 4] {
        [
            Field::new(end_col::STATUS, DataType::Utf8, false),
            Field::new(end_col::ERROR, DataType::Utf8, true),
            Field::new(end_col::FALLBACKS, DataType::UInt32, false),
            Field::new(end_col::FALLBACK_REASON, DataType::Utf8, true),
        ]
    }

    /// The trial-end columns of `rows`, each row's end given by `end`.
    fn columns<'r, R>(rows: &'r [R], end: impl Fn(&'r R) -> &'r TrialEnd<'r>) -> [ArrayRef; 4] {
        [
            strings(rows, |r| Some(end(r).status.as_str())),
            strings(rows, |r| end(r).error),
            Arc::new(UInt32Array::from_iter_values(
                rows.iter().map(|r| end(r).fallbacks),
            )),
            strings(rows, |r| end(r).fallback_reason),
        ]
    }
}

/// The trial-end columns of a batch as read.
struct TrialEndColumns {
    status: StringArray,
    error: StringArray,
    fallbacks: UInt32Array,
    fallback_reason: StringArray,
}

impl TrialEndColumns {
    fn from_record(b: &RecordBatch) -> Result<TrialEndColumns, String> {
        Ok(TrialEndColumns {
            status: column::<StringArray>(b, end_col::STATUS)?.clone(),
            error: column::<StringArray>(b, end_col::ERROR)?.clone(),
            fallbacks: column::<UInt32Array>(b, end_col::FALLBACKS)?.clone(),
            fallback_reason: column::<StringArray>(b, end_col::FALLBACK_REASON)?.clone(),
        })
    }

    /// Row `i`'s trial end; an error names the row.
    fn at(&self, i: usize) -> Result<TrialEnd<'_>, String> {
        Ok(TrialEnd {
            status: Status::parse(self.status.value(i)).map_err(|e| format!("row {i}: {e}"))?,
            error: text_at(&self.error, i),
            fallbacks: self.fallbacks.value(i),
            fallback_reason: text_at(&self.fallback_reason, i),
        })
    }
}
