//! `estimates.parquet`: one row per architecture an estimation trial scored.
//!
//! Columns, in order: the trial's identity — `protocol`, `task`, `train_task`, `estimator`,
//! `estimator_params_hash`, `train_size`, `replicate` (shared with `estimates_summary.parquet`)
//! — then `arch_id`, `arch`, `score` (higher means predicted better; NaN in a failed trial) and
//! `truth` (the task's seed-mean objective, as in the table).

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use super::parquet_file::{column, read_records, strings};
use crate::ReportError;

pub const FILE: &str = "estimates.parquet";

/// The column names.
pub mod col {
    pub const PROTOCOL: &str = "protocol";
    pub const TASK: &str = "task";
    pub const TRAIN_TASK: &str = "train_task";
    pub const ESTIMATOR: &str = "estimator";
    pub const ESTIMATOR_PARAMS_HASH: &str = "estimator_params_hash";
    pub const TRAIN_SIZE: &str = "train_size";
    pub const REPLICATE: &str = "replicate";
    pub const ARCH_ID: &str = "arch_id";
    pub const ARCH: &str = "arch";
    pub const SCORE: &str = "score";
    pub const TRUTH: &str = "truth";
}

/// Which estimation trial a row belongs to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Identity<'a> {
    pub protocol: &'a str,
    pub task: &'a str,
    /// The task whose labels trained the estimator (the task itself unless transferring).
    pub train_task: &'a str,
    pub estimator: &'a str,
    pub estimator_params_hash: &'a str,
    /// 0 for estimators that do not learn.
    pub train_size: u32,
    pub replicate: u32,
}

impl Identity<'_> {
    pub(super) fn fields() -> Vec<Field> {
        let utf8 = |name| Field::new(name, DataType::Utf8, false);
        let u32 = |name| Field::new(name, DataType::UInt32, false);
        vec![
            utf8(col::PROTOCOL),
            utf8(col::TASK),
            utf8(col::TRAIN_TASK),
            utf8(col::ESTIMATOR),
            utf8(col::ESTIMATOR_PARAMS_HASH),
            u32(col::TRAIN_SIZE),
            u32(col::REPLICATE),
        ]
    }

    /// The identity columns of `rows`.
    pub(super) fn columns<'r, T>(
        rows: &'r [T],
        id: impl Fn(&'r T) -> &'r Identity<'r> + Copy,
    ) -> Vec<ArrayRef> {
        let u32s = |f: fn(&Identity) -> u32| -> ArrayRef {
            Arc::new(UInt32Array::from_iter_values(rows.iter().map(|r| f(id(r)))))
        };
        vec![
            strings(rows, |r| Some(id(r).protocol)),
            strings(rows, |r| Some(id(r).task)),
            strings(rows, |r| Some(id(r).train_task)),
            strings(rows, |r| Some(id(r).estimator)),
            strings(rows, |r| Some(id(r).estimator_params_hash)),
            u32s(|i| i.train_size),
            u32s(|i| i.replicate),
        ]
    }
}

/// The identity columns as read.
pub(super) struct IdentityColumns {
    protocol: StringArray,
    task: StringArray,
    train_task: StringArray,
    estimator: StringArray,
    estimator_params_hash: StringArray,
    train_size: UInt32Array,
    replicate: UInt32Array,
}

impl IdentityColumns {
    pub(super) fn from_record(b: &RecordBatch) -> Result<IdentityColumns, String> {
        Ok(IdentityColumns {
            protocol: column::<StringArray>(b, col::PROTOCOL)?.clone(),
            task: column::<StringArray>(b, col::TASK)?.clone(),
            train_task: column::<StringArray>(b, col::TRAIN_TASK)?.clone(),
            estimator: column::<StringArray>(b, col::ESTIMATOR)?.clone(),
            estimator_params_hash: column::<StringArray>(b, col::ESTIMATOR_PARAMS_HASH)?.clone(),
            train_size: column::<UInt32Array>(b, col::TRAIN_SIZE)?.clone(),
            replicate: column::<UInt32Array>(b, col::REPLICATE)?.clone(),
        })
    }

    pub(super) fn len(&self) -> usize {
        self.replicate.len()
    }

    pub(super) fn row(&self, i: usize) -> Identity<'_> {
        Identity {
            protocol: self.protocol.value(i),
            task: self.task.value(i),
            train_task: self.train_task.value(i),
            estimator: self.estimator.value(i),
            estimator_params_hash: self.estimator_params_hash.value(i),
            train_size: self.train_size.value(i),
            replicate: self.replicate.value(i),
        }
    }
}

/// One scored architecture.
#[derive(Debug, Clone, PartialEq)]
pub struct Row<'a> {
    pub identity: Identity<'a>,
    pub arch_id: u32,
    pub arch: Cow<'a, str>,
    pub score: f64,
    pub truth: f64,
}

pub fn schema() -> SchemaRef {
    let mut fields = Identity::fields();
    fields.extend([
        Field::new(col::ARCH_ID, DataType::UInt32, false),
        Field::new(col::ARCH, DataType::Utf8, false),
        Field::new(col::SCORE, DataType::Float64, false),
        Field::new(col::TRUTH, DataType::Float64, false),
    ]);
    Arc::new(Schema::new(fields))
}

/// The record batch of `rows`.
pub fn batch(rows: &[Row]) -> RecordBatch {
    let mut columns = Identity::columns(rows, |r| &r.identity);
    columns.push(Arc::new(UInt32Array::from_iter_values(
        rows.iter().map(|r| r.arch_id),
    )));
    columns.push(Arc::new(StringArray::from_iter_values(
        rows.iter().map(|r| r.arch.as_ref()),
    )));
    columns.push(Arc::new(Float64Array::from_iter_values(
        rows.iter().map(|r| r.score),
    )));
    columns.push(Arc::new(Float64Array::from_iter_values(
        rows.iter().map(|r| r.truth),
    )));
    RecordBatch::try_new(schema(), columns).expect("columns match the schema")
}

/// A batch of rows as read, each row a view into it.
pub struct Batch {
    identity: IdentityColumns,
    arch_id: UInt32Array,
    arch: StringArray,
    score: Float64Array,
    truth: Float64Array,
}

impl Batch {
    pub fn len(&self) -> usize {
        self.identity.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn row(&self, i: usize) -> Row<'_> {
        Row {
            identity: self.identity.row(i),
            arch_id: self.arch_id.value(i),
            arch: Cow::Borrowed(self.arch.value(i)),
            score: self.score.value(i),
            truth: self.truth.value(i),
        }
    }
}

/// The batches of an `estimates.parquet`, as they are read.
pub fn read(path: &Path) -> Result<impl Iterator<Item = Result<Batch, ReportError>>, ReportError> {
    read_records(path, None, |b| {
        Ok(Batch {
            identity: IdentityColumns::from_record(b)?,
            arch_id: column::<UInt32Array>(b, col::ARCH_ID)?.clone(),
            arch: column::<StringArray>(b, col::ARCH)?.clone(),
            score: column::<Float64Array>(b, col::SCORE)?.clone(),
            truth: column::<Float64Array>(b, col::TRUTH)?.clone(),
        })
    })
}
