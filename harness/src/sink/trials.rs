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
//! `second_objective` property, null when the protocol has none), then four columns about the
//! whole trial, repeated on each of its rows: `status` (`ok` or `failed`), `error` (the first
//! line of a failed trial's error), `fallbacks` (how often the method departed from its
//! published algorithm) and `fallback_reason` (the first such reason).
//!
//! A failed trial's rows are the evaluations it completed, then one row (step = completed + 1)
//! whose evaluation columns (`arch_id`, `canonical_arch_id`, `arch`, `value`, …, `second_value`)
//! are null and whose incumbent columns repeat the last incumbent (null when there was none).

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt8Array, UInt32Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use datasets::ArchId;
use methods::Fallbacks;

use crate::protocol::SearchProtocol;
use crate::runner::Status;
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

/// The rows of one trial, in evaluation order, and how the trial ended.
pub struct TrialRows {
    rows: Vec<Row>,
    pub status: Status,
    pub fallbacks: Fallbacks,
}

impl TrialRows {
    pub fn with_capacity(n: usize) -> TrialRows {
        TrialRows {
            rows: Vec::with_capacity(n),
            status: Status::Ok,
            fallbacks: Fallbacks::default(),
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

    /// The incumbent after the last evaluation of a trial that did not fail.
    pub fn final_incumbent(&self) -> Option<ArchId> {
        match self.status {
            Status::Ok => self.rows.last().map(|r| r.incumbent_arch),
            Status::Failed(_) => None,
        }
    }

    /// Rows written for this trial: a failed trial has one more, which says so.
    fn written(&self) -> usize {
        self.rows.len() + usize::from(self.status != Status::Ok)
    }
}

pub fn schema() -> SchemaRef {
    let utf8 = |name, nullable| Field::new(name, DataType::Utf8, nullable);
    let u32 = |name, nullable| Field::new(name, DataType::UInt32, nullable);
    let f64 = |name| Field::new(name, DataType::Float64, true);
    Arc::new(Schema::new(vec![
        utf8("protocol", false),
        utf8("task", false),
        utf8("method", false),
        utf8("method_params_hash", false),
        u32("replicate", false),
        u32("step", false),
        u32("arch_id", true),
        u32("canonical_arch_id", true),
        utf8("arch", true),
        Field::new("benchmark_seed", DataType::UInt8, true),
        f64("value"),
        f64("test_value"),
        f64("cost"),
        f64("cumulative_cost"),
        u32("incumbent_arch_id", true),
        f64("incumbent_value"),
        f64("incumbent_test_value"),
        f64("incumbent_mean_value"),
        f64("second_value"),
        utf8("status", false),
        utf8("error", true),
        u32("fallbacks", false),
        utf8("fallback_reason", true),
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
    let n: usize = trials.iter().map(TrialRows::written).sum();
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
    let mut status = Vec::with_capacity(n);
    let mut error = Vec::with_capacity(n);
    let mut fallbacks = Vec::with_capacity(n);
    let mut fallback_reason = Vec::with_capacity(n);
    for (trial, rows) in chunk.iter().zip(trials) {
        let (m, r) = (trial.method, trial.replicate);
        let ctx = &tasks[trial.task];
        let second_table = protocol.second_objective.map(|name| ctx.property(name));
        for i in 0..rows.written() {
            task.push(ctx.loaded.task.as_str());
            method.push(protocol.methods[m].id());
            hash.push(params_hashes[m].as_str());
            replicate.push(r);
            step.push(i as u32 + 1);
            status.push(rows.status.label());
            error.push(rows.status.error());
            fallbacks.push(rows.fallbacks.count());
            fallback_reason.push(rows.fallbacks.first_reason());
            let Some(row) = rows.rows.get(i) else {
                // The failed trial's last row: no evaluation, the incumbent so far.
                let last = rows.rows.last();
                arch_id.push(None);
                canonical.push(None);
                arch.push(None);
                seed.push(None);
                value.push(None);
                test.push(None);
                cost.push(None);
                cumulative.push(None);
                inc_arch.push(last.map(|l| l.incumbent_arch));
                inc_value.push(last.map(|l| l.incumbent_value));
                inc_test.push(last.and_then(|l| l.incumbent_test));
                inc_mean.push(last.map(|l| l.incumbent_mean));
                second.push(None);
                continue;
            };
            arch_id.push(Some(row.arch));
            canonical.push(Some(ctx.loaded.space.canonical(row.arch)));
            arch.push(Some(ctx.loaded.space.describe(row.arch)));
            seed.push(row.seed);
            value.push(Some(row.value));
            test.push(row.test);
            cost.push(row.cost);
            cumulative.push(row.cumulative_cost);
            inc_arch.push(Some(row.incumbent_arch));
            inc_value.push(Some(row.incumbent_value));
            inc_test.push(row.incumbent_test);
            inc_mean.push(Some(row.incumbent_mean));
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
        Arc::new(StringArray::from(status)),
        Arc::new(StringArray::from(error)),
        Arc::new(UInt32Array::from(fallbacks)),
        Arc::new(StringArray::from(fallback_reason)),
    ];
    RecordBatch::try_new(schema(), columns).expect("columns match the schema")
}
