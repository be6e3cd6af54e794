//! `trials.parquet`: one row per evaluation, written batch by batch into a temporary file that
//! replaces the final one only when the run has finished.
//!
//! Columns: `protocol`, `task`, `method`, `method_params_hash`, `replicate`, `step` (1-based),
//! `arch_id`, `canonical_arch_id` (the smallest id of its isomorphism class), `arch`,
//! `benchmark_seed` (null for the seed mean), `value`, `test_value`, `cost`,
//! `cumulative_cost` (simulated seconds; null when the table has no training time),
//! `incumbent_arch_id`, `incumbent_value` (the best observed value so far),
//! `incumbent_test_value`, `incumbent_mean_value` (the incumbent's seed-mean objective in the
//! table: its quality without evaluation noise).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt8Array, UInt32Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use datasets::ArchId;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::protocol::Protocol;
use crate::runner::TaskContext;

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
    ]))
}

pub struct TrialSink {
    partial: PathBuf,
    target: PathBuf,
    writer: ArrowWriter<File>,
    rows: u64,
}

impl TrialSink {
    pub fn create(target: &Path) -> Result<TrialSink> {
        let partial = target.with_extension("parquet.partial");
        let file = File::create(&partial)
            .with_context(|| format!("{}: cannot create", partial.display()))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(1 << 20))
            .set_created_by(format!("nash {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer = ArrowWriter::try_new(file, schema(), Some(props))
            .with_context(|| format!("{}: cannot start a Parquet file", partial.display()))?;
        Ok(TrialSink {
            partial,
            target: target.to_path_buf(),
            writer,
            rows: 0,
        })
    }

    /// Appends the rows of a batch of trials; `ids[i]` is `(task, method, replicate)` of
    /// `trials[i]`.
    pub(crate) fn write(
        &mut self,
        protocol: &Protocol,
        tasks: &[TaskContext],
        params_hashes: &[String],
        ids: Vec<(usize, usize, u32)>,
        trials: &[TrialRows],
    ) -> Result<()> {
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
        for (&(t, m, r), rows) in ids.iter().zip(trials) {
            let ctx = &tasks[t];
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
            }
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(vec![protocol.name.as_str(); n])),
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
        ];
        let batch = RecordBatch::try_new(schema(), columns).expect("columns match the schema");
        self.writer
            .write(&batch)
            .with_context(|| format!("{}: write failed", self.partial.display()))?;
        self.rows += n as u64;
        Ok(())
    }

    /// Closes the file and moves it into place; returns the number of rows.
    pub fn finish(self) -> Result<u64> {
        self.writer.close().with_context(|| {
            format!("{}: cannot finish the Parquet file", self.partial.display())
        })?;
        std::fs::rename(&self.partial, &self.target)
            .with_context(|| format!("{}: cannot move into place", self.target.display()))?;
        Ok(self.rows)
    }
}
