//! `trials.parquet`: one row per evaluation of a search trial.
//!
//! Columns, in order: `protocol`, `task`, `method`, `method_params_hash`, `replicate`, `step`
//! (1-based), `arch_id`, `canonical_arch_id` (the smallest id of its isomorphism class),
//! `arch`, `benchmark_seed` (the training seed the value came from; null for a mean over
//! seeds), `value`, `test_value`, `cost`, `cumulative_cost` (simulated seconds; null when the
//! table has no training time), `incumbent_arch_id`, `incumbent_value` (best observed so far),
//! `incumbent_test_value`, `incumbent_mean_value` (the incumbent's seed-mean objective: its
//! quality without evaluation noise), `second_value` (the `second_objective` property of the
//! evaluated architecture), then about the whole trial, repeated on each of its rows: `status`,
//! `error`, `fallbacks`, `fallback_reason`.
//!
//! A failed trial's rows are the evaluations it completed, then one row (step = completed + 1)
//! whose evaluation columns are null and whose incumbent columns repeat the last incumbent
//! (null when there was none).

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use arrow_array::{
    Array, ArrayRef, Float64Array, RecordBatch, StringArray, UInt8Array, UInt32Array,
    new_null_array,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use super::parquet_file::{column, f64_at, read_records, strings, text_at, u32_at};
use super::{TrialEnd, TrialEndColumns};
use crate::ReportError;

pub const FILE: &str = "trials.parquet";

/// The column names.
pub mod col {
    pub const PROTOCOL: &str = "protocol";
    pub const TASK: &str = "task";
    pub const METHOD: &str = "method";
    pub const METHOD_PARAMS_HASH: &str = "method_params_hash";
    pub const REPLICATE: &str = "replicate";
    pub const STEP: &str = "step";
    pub const ARCH_ID: &str = "arch_id";
    pub const CANONICAL_ARCH_ID: &str = "canonical_arch_id";
    pub const ARCH: &str = "arch";
    pub const BENCHMARK_SEED: &str = "benchmark_seed";
    pub const VALUE: &str = "value";
    pub const TEST_VALUE: &str = "test_value";
    pub const COST: &str = "cost";
    pub const CUMULATIVE_COST: &str = "cumulative_cost";
    pub const INCUMBENT_ARCH_ID: &str = "incumbent_arch_id";
    pub const INCUMBENT_VALUE: &str = "incumbent_value";
    pub const INCUMBENT_TEST_VALUE: &str = "incumbent_test_value";
    pub const INCUMBENT_MEAN_VALUE: &str = "incumbent_mean_value";
    pub const SECOND_VALUE: &str = "second_value";
    pub use crate::records::end_col::*;
}

/// One row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row<'a> {
    pub protocol: &'a str,
    pub task: &'a str,
    pub method: &'a str,
    pub method_params_hash: &'a str,
    pub replicate: u32,
    pub step: u32,
    /// None on a failed trial's last row.
    pub evaluation: Option<Evaluation<'a>>,
    /// None before the first evaluation.
    pub incumbent: Option<Incumbent>,
    pub end: TrialEnd<'a>,
}

/// What one evaluation observed.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation<'a> {
    pub arch_id: u32,
    pub canonical_arch_id: u32,
    pub arch: Cow<'a, str>,
    pub benchmark_seed: Option<u8>,
    pub value: f64,
    pub test_value: Option<f64>,
    pub cost: Option<f64>,
    pub cumulative_cost: Option<f64>,
    pub second_value: Option<f64>,
}

/// The best architecture observed so far.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Incumbent {
    pub arch_id: u32,
    pub value: f64,
    pub test_value: Option<f64>,
    pub mean_value: f64,
}

pub fn schema() -> SchemaRef {
    let utf8 = |name, nullable| Field::new(name, DataType::Utf8, nullable);
    let u32 = |name, nullable| Field::new(name, DataType::UInt32, nullable);
    let f64 = |name| Field::new(name, DataType::Float64, true);
    Arc::new(Schema::new(
        vec![
            utf8(col::PROTOCOL, false),
            utf8(col::TASK, false),
            utf8(col::METHOD, false),
            utf8(col::METHOD_PARAMS_HASH, false),
            u32(col::REPLICATE, false),
            u32(col::STEP, false),
            u32(col::ARCH_ID, true),
            u32(col::CANONICAL_ARCH_ID, true),
            utf8(col::ARCH, true),
            Field::new(col::BENCHMARK_SEED, DataType::UInt8, true),
            f64(col::VALUE),
            f64(col::TEST_VALUE),
            f64(col::COST),
            f64(col::CUMULATIVE_COST),
            u32(col::INCUMBENT_ARCH_ID, true),
            f64(col::INCUMBENT_VALUE),
            f64(col::INCUMBENT_TEST_VALUE),
            f64(col::INCUMBENT_MEAN_VALUE),
            f64(col::SECOND_VALUE),
        ]
        .into_iter()
        .chain(TrialEnd::fields())
        .collect::<Vec<_>>(),
    ))
}

/// The record batch of `rows`.
pub fn batch(rows: &[Row]) -> RecordBatch {
    let eval = |f: &dyn Fn(&Evaluation) -> Option<f64>| -> ArrayRef {
        Arc::new(Float64Array::from(
            rows.iter()
                .map(|r| r.evaluation.as_ref().and_then(f))
                .collect::<Vec<_>>(),
        ))
    };
    let incumbent = |f: &dyn Fn(&Incumbent) -> Option<f64>| -> ArrayRef {
        Arc::new(Float64Array::from(
            rows.iter()
                .map(|r| r.incumbent.as_ref().and_then(f))
                .collect::<Vec<_>>(),
        ))
    };
    let u32s = |f: &dyn Fn(&Row) -> Option<u32>| -> ArrayRef {
        Arc::new(UInt32Array::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    // Each column in schema order, built in parallel on the run's pool (`collect` keeps the
    // order): building them is a third of the time a table walk spends outside its search.
    type Build<'b> = Box<dyn Fn() -> ArrayRef + Sync + 'b>;
    let builds: Vec<Build> = vec![
        Box::new(|| strings(rows, |r| Some(r.protocol))),
        Box::new(|| strings(rows, |r| Some(r.task))),
        Box::new(|| strings(rows, |r| Some(r.method))),
        Box::new(|| strings(rows, |r| Some(r.method_params_hash))),
        Box::new(|| u32s(&|r| Some(r.replicate))),
        Box::new(|| u32s(&|r| Some(r.step))),
        Box::new(|| u32s(&|r| r.evaluation.as_ref().map(|e| e.arch_id))),
        Box::new(|| u32s(&|r| r.evaluation.as_ref().map(|e| e.canonical_arch_id))),
        Box::new(|| strings(rows, |r| r.evaluation.as_ref().map(|e| e.arch.as_ref()))),
        Box::new(|| {
            Arc::new(UInt8Array::from(
                rows.iter()
                    .map(|r| r.evaluation.as_ref().and_then(|e| e.benchmark_seed))
                    .collect::<Vec<_>>(),
            ))
        }),
        Box::new(|| eval(&|e| Some(e.value))),
        Box::new(|| eval(&|e| e.test_value)),
        Box::new(|| eval(&|e| e.cost)),
        Box::new(|| eval(&|e| e.cumulative_cost)),
        Box::new(|| u32s(&|r| r.incumbent.map(|i| i.arch_id))),
        Box::new(|| incumbent(&|i| Some(i.value))),
        Box::new(|| incumbent(&|i| i.test_value)),
        Box::new(|| incumbent(&|i| Some(i.mean_value))),
        Box::new(|| eval(&|e| e.second_value)),
    ];
    let columns: Vec<ArrayRef> = builds
        .par_iter()
        .map(|build| build())
        .collect::<Vec<_>>()
        .into_iter()
        .chain(TrialEnd::columns(rows, |r| &r.end))
        .collect();
    RecordBatch::try_new(schema(), columns).expect("columns match the schema")
}

/// A batch of rows as read, each row a view into it.
pub struct Batch {
    protocol: StringArray,
    task: StringArray,
    method: StringArray,
    method_params_hash: StringArray,
    replicate: UInt32Array,
    step: UInt32Array,
    arch_id: UInt32Array,
    canonical_arch_id: UInt32Array,
    arch: StringArray,
    benchmark_seed: UInt8Array,
    value: Float64Array,
    test_value: Float64Array,
    cost: Float64Array,
    cumulative_cost: Float64Array,
    incumbent_arch_id: UInt32Array,
    incumbent_value: Float64Array,
    incumbent_test_value: Float64Array,
    incumbent_mean_value: Float64Array,
    second_value: Float64Array,
    end: TrialEndColumns,
}

impl Batch {
    fn from_record(b: &RecordBatch) -> Result<Batch, String> {
        Ok(Batch {
            protocol: column::<StringArray>(b, col::PROTOCOL)?.clone(),
            task: column::<StringArray>(b, col::TASK)?.clone(),
            method: column::<StringArray>(b, col::METHOD)?.clone(),
            method_params_hash: column::<StringArray>(b, col::METHOD_PARAMS_HASH)?.clone(),
            replicate: column::<UInt32Array>(b, col::REPLICATE)?.clone(),
            step: column::<UInt32Array>(b, col::STEP)?.clone(),
            arch_id: column::<UInt32Array>(b, col::ARCH_ID)?.clone(),
            canonical_arch_id: column::<UInt32Array>(b, col::CANONICAL_ARCH_ID)?.clone(),
            arch: column::<StringArray>(b, col::ARCH)?.clone(),
            benchmark_seed: column::<UInt8Array>(b, col::BENCHMARK_SEED)?.clone(),
            value: column::<Float64Array>(b, col::VALUE)?.clone(),
            test_value: column::<Float64Array>(b, col::TEST_VALUE)?.clone(),
            cost: column::<Float64Array>(b, col::COST)?.clone(),
            cumulative_cost: column::<Float64Array>(b, col::CUMULATIVE_COST)?.clone(),
            incumbent_arch_id: column::<UInt32Array>(b, col::INCUMBENT_ARCH_ID)?.clone(),
            incumbent_value: column::<Float64Array>(b, col::INCUMBENT_VALUE)?.clone(),
            incumbent_test_value: column::<Float64Array>(b, col::INCUMBENT_TEST_VALUE)?.clone(),
            incumbent_mean_value: column::<Float64Array>(b, col::INCUMBENT_MEAN_VALUE)?.clone(),
            second_value: column::<Float64Array>(b, col::SECOND_VALUE)?.clone(),
            end: TrialEndColumns::from_record(b)?,
        })
    }

    /// A batch of some columns, the others filled with nulls.
    fn from_projection(b: &RecordBatch) -> Result<Batch, String> {
        let full = schema();
        let (fields, columns): (Vec<Field>, Vec<ArrayRef>) = full
            .fields()
            .iter()
            .map(|f| {
                let column = b
                    .column_by_name(f.name())
                    .cloned()
                    .unwrap_or_else(|| new_null_array(f.data_type(), b.num_rows()));
                (f.as_ref().clone().with_nullable(true), column)
            })
            .unzip();
        let padded = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
            .map_err(|e| e.to_string())?;
        Batch::from_record(&padded)
    }

    pub fn len(&self) -> usize {
        self.step.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `i`; an error names what is wrong with it.
    pub fn row(&self, i: usize) -> Result<Row<'_>, String> {
        let evaluation = match (u32_at(&self.arch_id, i), f64_at(&self.value, i)) {
            (Some(arch_id), Some(value)) => Some(Evaluation {
                arch_id,
                canonical_arch_id: u32_at(&self.canonical_arch_id, i)
                    .ok_or_else(|| format!("row {i}: an evaluation without canonical_arch_id"))?,
                arch: Cow::Borrowed(text_at(&self.arch, i).unwrap_or("")),
                benchmark_seed: self
                    .benchmark_seed
                    .is_valid(i)
                    .then(|| self.benchmark_seed.value(i)),
                value,
                test_value: f64_at(&self.test_value, i),
                cost: f64_at(&self.cost, i),
                cumulative_cost: f64_at(&self.cumulative_cost, i),
                second_value: f64_at(&self.second_value, i),
            }),
            (None, None) => None,
            _ => {
                return Err(format!(
                    "row {i}: arch_id and value must be both set or both null"
                ));
            }
        };
        let incumbent = match (
            u32_at(&self.incumbent_arch_id, i),
            f64_at(&self.incumbent_value, i),
            f64_at(&self.incumbent_mean_value, i),
        ) {
            (Some(arch_id), Some(value), Some(mean_value)) => Some(Incumbent {
                arch_id,
                value,
                test_value: f64_at(&self.incumbent_test_value, i),
                mean_value,
            }),
            (None, None, None) => None,
            _ => return Err(format!("row {i}: the incumbent columns are partly null")),
        };
        Ok(Row {
            protocol: self.protocol.value(i),
            task: self.task.value(i),
            method: self.method.value(i),
            method_params_hash: self.method_params_hash.value(i),
            replicate: self.replicate.value(i),
            step: self.step.value(i),
            evaluation,
            incumbent,
            end: self.end.at(i)?,
        })
    }
}

/// The batches of a `trials.parquet`, as they are read.
pub fn read(path: &Path) -> Result<impl Iterator<Item = Result<Batch, ReportError>>, ReportError> {
    read_records(path, None, Batch::from_record)
}

/// The columns a report reads: all but the architecture strings, the protocol and parameter
/// hashes, the training seeds and each evaluation's own test value and cost (most of the
/// decoding of a large file).
pub const REPORT_COLUMNS: &[&str] = &[
    col::TASK,
    col::METHOD,
    col::REPLICATE,
    col::STEP,
    col::ARCH_ID,
    col::CANONICAL_ARCH_ID,
    col::VALUE,
    col::CUMULATIVE_COST,
    col::INCUMBENT_ARCH_ID,
    col::INCUMBENT_VALUE,
    col::INCUMBENT_TEST_VALUE,
    col::INCUMBENT_MEAN_VALUE,
    col::SECOND_VALUE,
    col::STATUS,
    col::ERROR,
    col::FALLBACKS,
    col::FALLBACK_REASON,
];

/// The batches of a `trials.parquet` with only `columns` read; in their rows the other
/// columns are null (empty where a string is not nullable).
pub fn read_columns(
    path: &Path,
    columns: &[&str],
) -> Result<impl Iterator<Item = Result<Batch, ReportError>>, ReportError> {
    read_records(path, Some(columns), Batch::from_projection)
}
