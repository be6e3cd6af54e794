//! `workers.parquet` (search protocols with `workers:`): what each trial's simulated workers
//! did (the harness' `workers.rs`).
//!
//! Columns, in order: `protocol`, `task`, `method` (as in trials.parquet: `<id>@<k>` when the
//! protocol lists several worker counts), `replicate`, `workers` (k), `evaluations`,
//! `makespan` (simulated seconds until the last evaluation finished), `busy` (worker-seconds
//! spent evaluating), `idle` (k · makespan − busy: workers waiting, for a free worker the
//! method would not be asked, or for the last evaluations), `transcript_sha256` (sha256 of the
//! trial's event transcript: every ask and tell with its worker, simulated time and
//! architecture). A failed trial has no row.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt32Array, UInt64Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use super::parquet_file::{column, read_records, strings};
use crate::ReportError;

pub const FILE: &str = "workers.parquet";

/// The column names.
pub mod col {
    pub const PROTOCOL: &str = "protocol";
    pub const TASK: &str = "task";
    pub const METHOD: &str = "method";
    pub const REPLICATE: &str = "replicate";
    pub const WORKERS: &str = "workers";
    pub const EVALUATIONS: &str = "evaluations";
    pub const MAKESPAN: &str = "makespan";
    pub const BUSY: &str = "busy";
    pub const IDLE: &str = "idle";
    pub const TRANSCRIPT_SHA256: &str = "transcript_sha256";
}

/// One trial's workers.
#[derive(Debug, Clone, PartialEq)]
pub struct Row<'a> {
    pub protocol: &'a str,
    pub task: &'a str,
    pub method: &'a str,
    pub replicate: u32,
    pub workers: u32,
    pub evaluations: u64,
    pub makespan: f64,
    pub busy: f64,
    pub idle: f64,
    pub transcript_sha256: &'a str,
}

pub fn schema() -> SchemaRef {
    let utf8 = |name| Field::new(name, DataType::Utf8, false);
    let f64 = |name| Field::new(name, DataType::Float64, false);
    Arc::new(Schema::new(vec![
        utf8(col::PROTOCOL),
        utf8(col::TASK),
        utf8(col::METHOD),
        Field::new(col::REPLICATE, DataType::UInt32, false),
        Field::new(col::WORKERS, DataType::UInt32, false),
        Field::new(col::EVALUATIONS, DataType::UInt64, false),
        f64(col::MAKESPAN),
        f64(col::BUSY),
        f64(col::IDLE),
        utf8(col::TRANSCRIPT_SHA256),
    ]))
}

/// The record batch of `rows`.
pub fn batch(rows: &[Row]) -> RecordBatch {
    let f64s = |f: &dyn Fn(&Row) -> f64| -> ArrayRef {
        Arc::new(Float64Array::from_iter_values(rows.iter().map(f)))
    };
    let columns: Vec<ArrayRef> = vec![
        strings(rows, |r| Some(r.protocol)),
        strings(rows, |r| Some(r.task)),
        strings(rows, |r| Some(r.method)),
        Arc::new(UInt32Array::from_iter_values(
            rows.iter().map(|r| r.replicate),
        )),
        Arc::new(UInt32Array::from_iter_values(
            rows.iter().map(|r| r.workers),
        )),
        Arc::new(UInt64Array::from_iter_values(
            rows.iter().map(|r| r.evaluations),
        )),
        f64s(&|r| r.makespan),
        f64s(&|r| r.busy),
        f64s(&|r| r.idle),
        strings(rows, |r| Some(r.transcript_sha256)),
    ];
    RecordBatch::try_new(schema(), columns).expect("columns match the schema")
}

/// A batch of rows as read, each row a view into it.
pub struct Batch {
    protocol: StringArray,
    task: StringArray,
    method: StringArray,
    replicate: UInt32Array,
    workers: UInt32Array,
    evaluations: UInt64Array,
    makespan: Float64Array,
    busy: Float64Array,
    idle: Float64Array,
    transcript_sha256: StringArray,
}

impl Batch {
    fn from_record(b: &RecordBatch) -> Result<Batch, String> {
        let text = |name: &str| column::<StringArray>(b, name).cloned();
        let f64s = |name: &str| column::<Float64Array>(b, name).cloned();
        Ok(Batch {
            protocol: text(col::PROTOCOL)?,
            task: text(col::TASK)?,
            method: text(col::METHOD)?,
            replicate: column::<UInt32Array>(b, col::REPLICATE).cloned()?,
            workers: column::<UInt32Array>(b, col::WORKERS).cloned()?,
            evaluations: column::<UInt64Array>(b, col::EVALUATIONS).cloned()?,
            makespan: f64s(col::MAKESPAN)?,
            busy: f64s(col::BUSY)?,
            idle: f64s(col::IDLE)?,
            transcript_sha256: text(col::TRANSCRIPT_SHA256)?,
        })
    }

    pub fn len(&self) -> usize {
        self.replicate.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn row(&self, i: usize) -> Row<'_> {
        Row {
            protocol: self.protocol.value(i),
            task: self.task.value(i),
            method: self.method.value(i),
            replicate: self.replicate.value(i),
            workers: self.workers.value(i),
            evaluations: self.evaluations.value(i),
            makespan: self.makespan.value(i),
            busy: self.busy.value(i),
            idle: self.idle.value(i),
            transcript_sha256: self.transcript_sha256.value(i),
        }
    }
}

/// The batches of a `workers.parquet`, as they are read.
pub fn read(path: &Path) -> Result<impl Iterator<Item = Result<Batch, ReportError>>, ReportError> {
    read_records(path, None, Batch::from_record)
}
