//! The two files of an estimation run.
//!
//! `estimates.parquet`, one row per (trial, evaluated architecture): `protocol`, `task`,
//! `train_task`, `estimator`, `estimator_params_hash`, `train_size`, `replicate`, `arch_id`,
//! `arch`, `score`, `truth` (the task's seed-mean objective, as in the table).
//!
//! `estimates_summary.parquet`, one row per trial: the same identity columns, `n_train`,
//! `n_eval`, `kendall_tau`, `kendall_p`, `spearman_rho`, `spearman_p`, `pearson_r`,
//! `pearson_p`, then `precision_at_K`, `best_rank_at_K` and `ndcg_at_K` for each K of the
//! protocol's `top_k`, `fit_seconds`, `score_seconds`, `warning` (why a correlation is NaN in
//! a trial that ran), `status` (`ok` or `failed`), `error` (the first line of a failed trial's
//! error; its scores and figures are NaN), `fallbacks` (architectures a zero-cost proxy ranked
//! last because its score was undefined or its network failed) and `fallback_reason` (the
//! first of them, and why). Everything but the two timing columns is identical for any thread
//! count.

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::estimation::{Outcome, TaskContext, Trial};
use crate::protocol::EstimationProtocol;

/// What the batch builders read besides the trials.
pub(crate) struct BatchContext<'a> {
    pub protocol: &'a EstimationProtocol,
    pub tasks: &'a [TaskContext],
    pub hashes: &'a [String],
}

fn identity_fields() -> Vec<Field> {
    let utf8 = |name| Field::new(name, DataType::Utf8, false);
    let u32 = |name| Field::new(name, DataType::UInt32, false);
    vec![
        utf8("protocol"),
        utf8("task"),
        utf8("train_task"),
        utf8("estimator"),
        utf8("estimator_params_hash"),
        u32("train_size"),
        u32("replicate"),
    ]
}

pub fn rows_schema() -> SchemaRef {
    let mut fields = identity_fields();
    fields.extend([
        Field::new("arch_id", DataType::UInt32, false),
        Field::new("arch", DataType::Utf8, false),
        Field::new("score", DataType::Float64, false),
        Field::new("truth", DataType::Float64, false),
    ]);
    Arc::new(Schema::new(fields))
}

pub fn summary_schema(top_k: &[usize]) -> SchemaRef {
    let f64 = |name: String| Field::new(name, DataType::Float64, false);
    let mut fields = identity_fields();
    fields.push(Field::new("n_train", DataType::UInt32, false));
    fields.push(Field::new("n_eval", DataType::UInt32, false));
    for name in [
        "kendall_tau",
        "kendall_p",
        "spearman_rho",
        "spearman_p",
        "pearson_r",
        "pearson_p",
    ] {
        fields.push(f64(name.to_string()));
    }
    for k in top_k {
        fields.push(f64(format!("precision_at_{k}")));
        fields.push(Field::new(
            format!("best_rank_at_{k}"),
            DataType::UInt32,
            true,
        ));
        fields.push(f64(format!("ndcg_at_{k}")));
    }
    fields.push(f64("fit_seconds".into()));
    fields.push(f64("score_seconds".into()));
    fields.push(Field::new("warning", DataType::Utf8, true));
    fields.push(Field::new("status", DataType::Utf8, false));
    fields.push(Field::new("error", DataType::Utf8, true));
    fields.push(Field::new("fallbacks", DataType::UInt32, false));
    fields.push(Field::new("fallback_reason", DataType::Utf8, true));
    Arc::new(Schema::new(fields))
}

/// The identity columns, each value repeated `repeat(i)` times for trial `i`.
fn identity_columns(
    ctx: &BatchContext,
    chunk: &[Trial],
    repeat: impl Fn(usize) -> usize,
) -> Vec<ArrayRef> {
    let p = ctx.protocol;
    let mut cols: [Vec<&str>; 5] = Default::default();
    let (mut sizes, mut replicates) = (Vec::new(), Vec::new());
    for (i, t) in chunk.iter().enumerate() {
        let task = ctx.tasks[t.task].loaded.task.as_str();
        let spec = &p.estimators[t.estimator];
        let values = [
            p.common.name.as_str(),
            task,
            p.train_task.as_deref().unwrap_or(task),
            spec.id(),
            ctx.hashes[t.estimator].as_str(),
        ];
        for _ in 0..repeat(i) {
            for (col, v) in cols.iter_mut().zip(values) {
                col.push(v);
            }
            sizes.push(t.train_size as u32);
            replicates.push(t.replicate);
        }
    }
    let mut out: Vec<ArrayRef> = cols
        .into_iter()
        .map(|c| Arc::new(StringArray::from(c)) as ArrayRef)
        .collect();
    out.push(Arc::new(UInt32Array::from(sizes)));
    out.push(Arc::new(UInt32Array::from(replicates)));
    out
}

pub(crate) fn rows_batch(ctx: &BatchContext, chunk: &[Trial], outcomes: &[Outcome]) -> RecordBatch {
    let mut columns = identity_columns(ctx, chunk, |i| outcomes[i].scores.len());
    let (mut ids, mut archs, mut scores, mut truths) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (t, o) in chunk.iter().zip(outcomes) {
        let task = &ctx.tasks[t.task];
        let split = &task.splits[t.replicate as usize];
        for ((&arch, &score), &truth) in split.eval.iter().zip(&o.scores).zip(&split.truth) {
            ids.push(arch);
            archs.push(task.loaded.space.describe(arch));
            scores.push(score);
            truths.push(truth);
        }
    }
    columns.push(Arc::new(UInt32Array::from(ids)));
    columns.push(Arc::new(StringArray::from(archs)));
    columns.push(Arc::new(Float64Array::from(scores)));
    columns.push(Arc::new(Float64Array::from(truths)));
    RecordBatch::try_new(rows_schema(), columns).expect("columns match the schema")
}

pub(crate) fn summary_batch(
    ctx: &BatchContext,
    schema: SchemaRef,
    chunk: &[Trial],
    outcomes: &[Outcome],
) -> RecordBatch {
    let mut columns = identity_columns(ctx, chunk, |_| 1);
    let u32s = |f: &dyn Fn(&Trial, &Outcome) -> u32| -> ArrayRef {
        Arc::new(UInt32Array::from(
            chunk
                .iter()
                .zip(outcomes)
                .map(|(t, o)| f(t, o))
                .collect::<Vec<_>>(),
        ))
    };
    let f64s = |f: &dyn Fn(&Outcome) -> f64| -> ArrayRef {
        Arc::new(Float64Array::from(
            outcomes.iter().map(f).collect::<Vec<_>>(),
        ))
    };
    columns.push(u32s(&|t, _| t.train_size as u32));
    columns.push(u32s(&|t, _| {
        ctx.tasks[t.task].splits[t.replicate as usize].eval.len() as u32
    }));
    columns.push(f64s(&|o| o.kendall.value));
    columns.push(f64s(&|o| o.kendall.p_value));
    columns.push(f64s(&|o| o.spearman.value));
    columns.push(f64s(&|o| o.spearman.p_value));
    columns.push(f64s(&|o| o.pearson.value));
    columns.push(f64s(&|o| o.pearson.p_value));
    for (i, _) in ctx.protocol.top_k.iter().enumerate() {
        columns.push(f64s(&|o| o.top_k.get(i).map_or(f64::NAN, |t| t.precision)));
        let best: Vec<Option<u32>> = outcomes
            .iter()
            .map(|o| o.top_k.get(i).map(|t| t.best_rank as u32))
            .collect();
        columns.push(Arc::new(UInt32Array::from(best)));
        columns.push(f64s(&|o| o.top_k.get(i).map_or(f64::NAN, |t| t.ndcg)));
    }
    columns.push(f64s(&|o| o.fit_seconds));
    columns.push(f64s(&|o| o.score_seconds));
    let texts = |f: &dyn Fn(&Outcome) -> Option<&str>| -> ArrayRef {
        Arc::new(StringArray::from(
            outcomes.iter().map(f).collect::<Vec<_>>(),
        ))
    };
    columns.push(texts(&|o| o.warning.as_deref()));
    columns.push(texts(&|o| Some(o.status.label())));
    columns.push(texts(&|o| o.status.error()));
    columns.push(u32s(&|_, o| o.fallbacks.count()));
    columns.push(texts(&|o| o.fallbacks.first_reason()));
    RecordBatch::try_new(schema, columns).expect("columns match the schema")
}
