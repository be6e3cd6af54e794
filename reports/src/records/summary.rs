//! `estimates_summary.parquet`: one row per estimation trial.
//!
//! Columns, in order: the trial's identity (as in `estimates.parquet`), `n_train`, `n_eval`,
//! `kendall_tau`, `kendall_p`, `spearman_rho`, `spearman_p`, `pearson_r`, `pearson_p`, then
//! `precision_at_K`, `best_rank_at_K` and `ndcg_at_K` for each K of the protocol's `top_k`,
//! `fit_seconds`, `score_seconds`, `warning` (why a correlation is NaN in a trial that ran),
//! `status`, `error`, `fallbacks` (architectures a zero-cost proxy ranked last because its
//! score was undefined or its network failed) and `fallback_reason`. A failed trial's figures
//! are NaN. Everything but the two timing columns is identical for any thread count.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use super::estimates::{Identity, IdentityColumns};
use super::parquet_file::{column, read_records, strings, text_at, u32_at};
use super::{TrialEnd, TrialEndColumns};
use crate::ReportError;

pub const FILE: &str = "estimates_summary.parquet";

/// The column names (the top-k ones are made by the functions below).
pub mod col {
    pub use super::super::estimates::col::{
        ESTIMATOR, ESTIMATOR_PARAMS_HASH, PROTOCOL, REPLICATE, TASK, TRAIN_SIZE, TRAIN_TASK,
    };
    pub const N_TRAIN: &str = "n_train";
    pub const N_EVAL: &str = "n_eval";
    pub const KENDALL_TAU: &str = "kendall_tau";
    pub const KENDALL_P: &str = "kendall_p";
    pub const SPEARMAN_RHO: &str = "spearman_rho";
    pub const SPEARMAN_P: &str = "spearman_p";
    pub const PEARSON_R: &str = "pearson_r";
    pub const PEARSON_P: &str = "pearson_p";
    pub const FIT_SECONDS: &str = "fit_seconds";
    pub const SCORE_SECONDS: &str = "score_seconds";
    pub const WARNING: &str = "warning";
    pub use crate::records::end_col::*;

    pub fn precision_at(k: usize) -> String {
        format!("precision_at_{k}")
    }

    pub fn best_rank_at(k: usize) -> String {
        format!("best_rank_at_{k}")
    }

    pub fn ndcg_at(k: usize) -> String {
        format!("ndcg_at_{k}")
    }
}

/// Agreement on the true top k.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TopK {
    pub k: usize,
    /// The share of the true top k in the predicted top k.
    pub precision: f64,
    /// The best true rank among the predicted top k (None when undefined).
    pub best_rank: Option<u32>,
    pub ndcg: f64,
}

/// One trial.
#[derive(Debug, Clone, PartialEq)]
pub struct Row<'a> {
    pub identity: Identity<'a>,
    pub n_train: u32,
    pub n_eval: u32,
    pub kendall_tau: f64,
    pub kendall_p: f64,
    pub spearman_rho: f64,
    pub spearman_p: f64,
    pub pearson_r: f64,
    pub pearson_p: f64,
    /// One per k of the protocol's `top_k`, in its order.
    pub top_k: Vec<TopK>,
    pub fit_seconds: f64,
    pub score_seconds: f64,
    pub warning: Option<&'a str>,
    pub end: TrialEnd<'a>,
}

/// The schema for the protocol's `top_k`.
pub fn schema(top_k: &[usize]) -> SchemaRef {
    let f64 = |name: &str| Field::new(name, DataType::Float64, false);
    let mut fields = Identity::fields();
    fields.push(Field::new(col::N_TRAIN, DataType::UInt32, false));
    fields.push(Field::new(col::N_EVAL, DataType::UInt32, false));
    for name in [
        col::KENDALL_TAU,
        col::KENDALL_P,
        col::SPEARMAN_RHO,
        col::SPEARMAN_P,
        col::PEARSON_R,
        col::PEARSON_P,
    ] {
        fields.push(f64(name));
    }
    for &k in top_k {
        fields.push(f64(&col::precision_at(k)));
        fields.push(Field::new(col::best_rank_at(k), DataType::UInt32, true));
        fields.push(f64(&col::ndcg_at(k)));
    }
    fields.push(f64(col::FIT_SECONDS));
    fields.push(f64(col::SCORE_SECONDS));
    fields.push(Field::new(col::WARNING, DataType::Utf8, true));
    fields.extend(TrialEnd::fields());
    Arc::new(Schema::new(fields))
}

/// The record batch of `rows` (each with a top-k entry per k of `top_k`, or none when its
/// trial has no figures).
pub fn batch(top_k: &[usize], rows: &[Row]) -> RecordBatch {
    let mut columns = Identity::columns(rows, |r| &r.identity);
    let u32s = |f: &dyn Fn(&Row) -> u32| -> ArrayRef {
        Arc::new(UInt32Array::from_iter_values(rows.iter().map(f)))
    };
    let f64s = |f: &dyn Fn(&Row) -> f64| -> ArrayRef {
        Arc::new(Float64Array::from_iter_values(rows.iter().map(f)))
    };
    columns.push(u32s(&|r| r.n_train));
    columns.push(u32s(&|r| r.n_eval));
    columns.push(f64s(&|r| r.kendall_tau));
    columns.push(f64s(&|r| r.kendall_p));
    columns.push(f64s(&|r| r.spearman_rho));
    columns.push(f64s(&|r| r.spearman_p));
    columns.push(f64s(&|r| r.pearson_r));
    columns.push(f64s(&|r| r.pearson_p));
    for i in 0..top_k.len() {
        columns.push(f64s(&|r| r.top_k.get(i).map_or(f64::NAN, |t| t.precision)));
        columns.push(Arc::new(UInt32Array::from(
            rows.iter()
                .map(|r| r.top_k.get(i).and_then(|t| t.best_rank))
                .collect::<Vec<_>>(),
        )));
        columns.push(f64s(&|r| r.top_k.get(i).map_or(f64::NAN, |t| t.ndcg)));
    }
    columns.push(f64s(&|r| r.fit_seconds));
    columns.push(f64s(&|r| r.score_seconds));
    columns.push(strings(rows, |r| r.warning));
    columns.extend(TrialEnd::columns(rows, |r| &r.end));
    RecordBatch::try_new(schema(top_k), columns).expect("columns match the schema")
}

/// A batch of rows as read, each row a view into it.
pub struct Batch {
    identity: IdentityColumns,
    n_train: UInt32Array,
    n_eval: UInt32Array,
    /// kendall_tau, kendall_p, spearman_rho, spearman_p, pearson_r, pearson_p.
    correlations: [Float64Array; 6],
    /// Per k: (k, precision, best rank, NDCG).
    top_k: Vec<(usize, Float64Array, UInt32Array, Float64Array)>,
    fit_seconds: Float64Array,
    score_seconds: Float64Array,
    warning: StringArray,
    end: TrialEndColumns,
}

/// The k of every `precision_at_K` column, in column order.
fn top_k_of(b: &RecordBatch) -> Vec<usize> {
    b.schema()
        .fields()
        .iter()
        .filter_map(|f| f.name().strip_prefix("precision_at_")?.parse().ok())
        .collect()
}

impl Batch {
    fn from_record(b: &RecordBatch) -> Result<Batch, String> {
        let f64s = |name: &str| column::<Float64Array>(b, name).cloned();
        let text = |name: &str| column::<StringArray>(b, name).cloned();
        let u32s = |name: &str| column::<UInt32Array>(b, name).cloned();
        Ok(Batch {
            identity: IdentityColumns::from_record(b)?,
            n_train: u32s(col::N_TRAIN)?,
            n_eval: u32s(col::N_EVAL)?,
            correlations: [
                f64s(col::KENDALL_TAU)?,
                f64s(col::KENDALL_P)?,
                f64s(col::SPEARMAN_RHO)?,
                f64s(col::SPEARMAN_P)?,
                f64s(col::PEARSON_R)?,
                f64s(col::PEARSON_P)?,
            ],
            top_k: top_k_of(b)
                .into_iter()
                .map(|k| {
                    Ok((
                        k,
                        f64s(&col::precision_at(k))?,
                        u32s(&col::best_rank_at(k))?,
                        f64s(&col::ndcg_at(k))?,
                    ))
                })
                .collect::<Result<_, String>>()?,
            fit_seconds: f64s(col::FIT_SECONDS)?,
            score_seconds: f64s(col::SCORE_SECONDS)?,
            warning: text(col::WARNING)?,
            end: TrialEndColumns::from_record(b)?,
        })
    }

    pub fn len(&self) -> usize {
        self.identity.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `i`; an error names what is wrong with it.
    pub fn row(&self, i: usize) -> Result<Row<'_>, String> {
        let [tau, tau_p, rho, rho_p, r, r_p] = &self.correlations;
        Ok(Row {
            identity: self.identity.row(i),
            n_train: self.n_train.value(i),
            n_eval: self.n_eval.value(i),
            kendall_tau: tau.value(i),
            kendall_p: tau_p.value(i),
            spearman_rho: rho.value(i),
            spearman_p: rho_p.value(i),
            pearson_r: r.value(i),
            pearson_p: r_p.value(i),
            top_k: self
                .top_k
                .iter()
                .map(|(k, precision, best, ndcg)| TopK {
                    k: *k,
                    precision: precision.value(i),
                    best_rank: u32_at(best, i),
                    ndcg: ndcg.value(i),
                })
                .collect(),
            fit_seconds: self.fit_seconds.value(i),
            score_seconds: self.score_seconds.value(i),
            warning: text_at(&self.warning, i),
            end: self.end.at(i)?,
        })
    }
}

/// The batches of an `estimates_summary.parquet`, as they are read.
pub fn read(path: &Path) -> Result<impl Iterator<Item = Result<Batch, ReportError>>, ReportError> {
    read_records(path, None, Batch::from_record)
}
