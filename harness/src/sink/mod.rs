//! Parquet output: each file is written batch by batch into a temporary sibling that
//! replaces the final file only when the run has finished, so an interrupted or failed run
//! never damages results already there.

pub mod cross_task;
pub mod estimates;
pub mod trials;

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

pub struct ParquetSink {
    partial: PathBuf,
    target: PathBuf,
    writer: ArrowWriter<File>,
    rows: u64,
}

impl ParquetSink {
    pub fn create(target: &Path, schema: SchemaRef) -> Result<ParquetSink> {
        let partial = target.with_extension("parquet.partial");
        let file = File::create(&partial)
            .with_context(|| format!("{}: cannot create", partial.display()))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(1 << 20))
            .set_created_by(format!("nash {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer = ArrowWriter::try_new(file, schema, Some(props))
            .with_context(|| format!("{}: cannot start a Parquet file", partial.display()))?;
        Ok(ParquetSink {
            partial,
            target: target.to_path_buf(),
            writer,
            rows: 0,
        })
    }

    pub fn write(&mut self, batch: RecordBatch) -> Result<()> {
        self.rows += batch.num_rows() as u64;
        self.writer
            .write(&batch)
            .with_context(|| format!("{}: write failed", self.partial.display()))
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
