//! `cross_task.parquet` (search protocols with `evaluate_on`): each search trial's final
//! incumbent looked up on other tasks of the benchmark (NB201's paper searches CIFAR-10 and
//! reports the architecture found on all three datasets).
//!
//! Columns, in order: `protocol`, `task` (searched), `method`, `replicate`, `arch_id` and
//! `arch` (the final incumbent, in the searched task's ids), `eval_task`, `value` (its
//! seed-mean objective in `eval_task`'s table; null when that table lacks the architecture),
//! `test_value` (its seed-mean test metric, when the benchmark has one). A failed trial has no
//! final incumbent and no row.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use super::parquet_file::{column, f64_at, read_records, strings};
use crate::ReportError;

pub const FILE: &str = "cross_task.parquet";

/// The column names.
pub mod col {
    pub const PROTOCOL: &str = "protocol";
    pub const TASK: &str = "task";
    pub const METHOD: &str = "method";
    pub const REPLICATE: &str = "replicate";
    pub const ARCH_ID: &str = "arch_id";
    pub const ARCH: &str = "arch";
    pub const EVAL_TASK: &str = "eval_task";
    pub const VALUE: &str = "value";
    pub const TEST_VALUE: &str = "test_value";
}

/// One final incumbent on one evaluation task.
#[derive(Debug, Clone, PartialEq)]
pub struct Row<'a> {
    pub protocol: &'a str,
    pub task: &'a str,
    pub method: &'a str,
    pub replicate: u32,
    pub arch_id: u32,
    pub arch: Cow<'a, str>,
    pub eval_task: &'a str,
    pub value: Option<f64>,
    pub test_value: Option<f64>,
}

pub fn schema() -> SchemaRef {
    let utf8 = |name| Field::new(name, DataType::Utf8, false);
    let u32 = |name| Field::new(name, DataType::UInt32, false);
    Arc::new(Schema::new(vec![
        utf8(col::PROTOCOL),
        utf8(col::TASK),
        utf8(col::METHOD),
        u32(col::REPLICATE),
        u32(col::ARCH_ID),
        utf8(col::ARCH),
        utf8(col::EVAL_TASK),
        Field::new(col::VALUE, DataType::Float64, true),
        Field::new(col::TEST_VALUE, DataType::Float64, true),
    ]))
}

/// The record batch of `rows`.
pub fn batch(rows: &[Row]) -> RecordBatch {
    let u32s = |f: &dyn Fn(&Row) -> u32| -> ArrayRef {
        Arc::new(UInt32Array::from_iter_values(rows.iter().map(f)))
    };
    let columns: Vec<ArrayRef> = vec![
        strings(rows, |r| Some(r.protocol)),
        strings(rows, |r| Some(r.task)),
        strings(rows, |r| Some(r.method)),
        u32s(&|r| r.replicate),
        u32s(&|r| r.arch_id),
        strings(rows, |r| Some(r.arch.as_ref())),
        strings(rows, |r| Some(r.eval_task)),
        Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.value))),
        Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.test_value))),
    ];
    RecordBatch::try_new(schema(), columns).expect("columns match the schema")
}

/// A batch of rows as read, each row a view into it.
pub struct Batch {
    protocol: StringArray,
    task: StringArray,
    method: StringArray,
    replicate: UInt32Array,
    arch_id: UInt32Array,
    arch: StringArray,
    eval_task: StringArray,
    value: Float64Array,
    test_value: Float64Array,
}

impl Batch {
    fn from_record(b: &RecordBatch) -> Result<Batch, String> {
        let text = |name: &str| column::<StringArray>(b, name).cloned();
        let u32s = |name: &str| column::<UInt32Array>(b, name).cloned();
        let f64s = |name: &str| column::<Float64Array>(b, name).cloned();
        Ok(Batch {
            protocol: text(col::PROTOCOL)?,
            task: text(col::TASK)?,
            method: text(col::METHOD)?,
            replicate: u32s(col::REPLICATE)?,
            arch_id: u32s(col::ARCH_ID)?,
            arch: text(col::ARCH)?,
            eval_task: text(col::EVAL_TASK)?,
            value: f64s(col::VALUE)?,
            test_value: f64s(col::TEST_VALUE)?,
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
            arch_id: self.arch_id.value(i),
            arch: Cow::Borrowed(self.arch.value(i)),
            eval_task: self.eval_task.value(i),
            value: f64_at(&self.value, i),
            test_value: f64_at(&self.test_value, i),
        }
    }
}

/// The batches of a `cross_task.parquet`, as they are read.
pub fn read(path: &Path) -> Result<impl Iterator<Item = Result<Batch, ReportError>>, ReportError> {
    read_records(path, None, Batch::from_record)
}
