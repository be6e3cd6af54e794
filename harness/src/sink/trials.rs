//! `trials.parquet`: one row per evaluation of a search run.
//!
//! Columns: `protocol`, `task`, `method`, `method_params_hash`, `replicate`, `step` (1-based),
//! `arch_id`, `canonical_arch_id` (the smallest id of its isomorphism class), `arch`,
//! `benchmark_seed` (null for a mean over seeds: the seed policy `mean`, or a multi-fidelity
//! method's several seeds), `value`, `test_value`, `cost`,
//! `cumulative_cost` (simulated seconds; null when the table has no training time),
//! `incumbent_arch_id`, `incumbent_value` (the best observed value so far),
//! `incumbent_test_value`, `incumbent_mean_value` (the incumbent's seed-mean objective in the
//! table: its quality without evaluation noise), `second_value` (the evaluated architecture's
//! `second_objective` property, null when the protocol has none).

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt8Array, UInt32Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use datasets::ArchId;

use crate::protocol::SearchProtocol;
use crate::search::{TaskContext, Trial};

/// One evaluation.
pub struct Row {
    pub arch: ArchId,
    pub seed: Option<u8>,
    pub value: f64,
    pub test: Option<f64>,
    pub cost: Option<f64>,
    pub cumulative_cost: Option<f64>,
    pub incumbent_arch: ArchId,
    pub incumbent_value: f64,
    pub incumbent_test: Option<f64>,
    pub incumbent_mean: f64,
}

/// The rows of one trial, in evaluation order.
#[derive(Default)]
pub struct TrialRows {
    rows: Vec<Row>,
}

impl TrialRows {
    pub fn with_capacity(n: usize) -> TrialRows {
        TrialRows {
            rows: Vec::with_capacity(n),
        }
    }

    pub fn push(&mut self, row: Row) {
        self.rows.push(row);
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The incumbent after the last evaluation.
    pub fn final_incumbent(&self) -> ArchId {
        self.rows
            .last()
            .expect("every trial evaluates at least once")
            .incumbent_arch
    }
}

pub fn schema() -> SchemaRef {
    let utf8 = |name| Field::new(name, DataType::Utf8, false);
    let u32 = |name| Field::new(name, DataType::UInt32, false);
    let f64 = |name, nullable| Field::new(name, DataType::Float64, nullable);
    Arc::new(Schema::new(vec![
        utf8("protocol"),
        utf8("task"),
        utf8("method"),
        utf8("method_params_hash"),
        u32("replicate"),
        u32("step"),
        u32("arch_id"),
        u32("canonical_arch_id"),
        utf8("arch"),
        Field::new("benchmark_seed", DataType::UInt8, true),
        f64("value", false),
        f64("test_value", true),
        f64("cost", true),
        f64("cumulative_cost", true),
        u32("incumbent_arch_id"),
        f64("incumbent_value", false),
        f64("incumbent_test_value", true),
        f64("incumbent_mean_value", false),
        f64("second_value", true),
    ]))
}

/// The record batch of a batch of finished trials (`trials[i]` belongs to `chunk[i]`).
pub(crate) fn batch(
    protocol: &SearchProtocol,
    tasks: &[TaskContext],
    params_hashes: &[String],
    chunk: &[Trial],
    trials: &[TrialRows],
) -> RecordBatch {
    let n: usize = trials.iter().map(TrialRows::len).sum();
    let mut task = Vec::with_capacity(n);
    let mut method = Vec::with_capacity(n);
    let mut hash = Vec::with_capacity(n);
    let mut replicate = Vec::with_capacity(n);
    let mut step = Vec::with_capacity(n);
    let mut arch_id = Vec::with_capacity(n);
    let mut canonical = Vec::with_capacity(n);
    let mut arch = Vec::with_capacity(n);
    let mut seed = Vec::with_capacity(n);
    let mut value = Vec::with_capacity(n);
    let mut test = Vec::with_capacity(n);
    let mut cost = Vec::with_capacity(n);
    let mut cumulative = Vec::with_capacity(n);
    let mut inc_arch = Vec::with_capacity(n);
    let mut inc_value = Vec::with_capacity(n);
    let mut inc_test = Vec::with_capacity(n);
    let mut inc_mean = Vec::with_capacity(n);
    let mut second = Vec::with_capacity(n);
    for (trial, rows) in chunk.iter().zip(trials) {
        let (m, r) = (trial.method, trial.replicate);
        let ctx = &tasks[trial.task];
        let second_table = protocol.second_objective.map(|name| ctx.property(name));
        for (i, row) in rows.rows.iter().enumerate() {
            task.push(ctx.loaded.task.as_str());
            method.push(protocol.methods[m].id());
            hash.push(params_hashes[m].as_str());
            replicate.push(r);
            step.push(i as u32 + 1);
            arch_id.push(row.arch);
            canonical.push(ctx.loaded.space.canonical(row.arch));
            arch.push(ctx.loaded.space.describe(row.arch));
            seed.push(row.seed);
            value.push(row.value);
            test.push(row.test);
            cost.push(row.cost);
            cumulative.push(row.cumulative_cost);
            inc_arch.push(row.incumbent_arch);
            inc_value.push(row.incumbent_value);
            inc_test.push(row.incumbent_test);
            inc_mean.push(row.incumbent_mean);
            second.push(second_table.map(|t| t[row.arch as usize]));
        }
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec![protocol.common.name.as_str(); n])),
        Arc::new(StringArray::from(task)),
        Arc::new(StringArray::from(method)),
        Arc::new(StringArray::from(hash)),
        Arc::new(UInt32Array::from(replicate)),
        Arc::new(UInt32Array::from(step)),
        Arc::new(UInt32Array::from(arch_id)),
        Arc::new(UInt32Array::from(canonical)),
        Arc::new(StringArray::from(arch)),
        Arc::new(UInt8Array::from(seed)),
        Arc::new(Float64Array::from(value)),
        Arc::new(Float64Array::from(test)),
        Arc::new(Float64Array::from(cost)),
        Arc::new(Float64Array::from(cumulative)),
        Arc::new(UInt32Array::from(inc_arch)),
        Arc::new(Float64Array::from(inc_value)),
        Arc::new(Float64Array::from(inc_test)),
        Arc::new(Float64Array::from(inc_mean)),
        Arc::new(Float64Array::from(second)),
    ];
    RecordBatch::try_new(schema(), columns).expect("columns match the schema")
}
