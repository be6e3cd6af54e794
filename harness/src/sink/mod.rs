//! Parquet output: each file is written batch by batch into a temporary sibling
//! (`<name>.partial`), which the run directory's commit moves into place only when the run
//! has finished, so an interrupted or failed run never damages results already there.

pub mod cross_task;
pub mod estimates;
pub mod trials;

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::run_dir::PartialFile;
use anyhow::{Context, Result};
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

pub struct ParquetSink {
    name: &'static str,
    partial: PathBuf,
    writer: ArrowWriter<File>,
    rows: u64,
}

impl ParquetSink {
    /// Starts `dir/<name>.partial`.
    pub fn create(dir: &Path, name: &'static str, schema: SchemaRef) -> Result<ParquetSink> {
        let partial = dir.join(format!("{name}.partial"));
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
            name,
            partial,
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

    /// Closes the file; returns the number of rows and the file, for the commit.
    pub fn finish(self) -> Result<(u64, PartialFile)> {
        self.writer.close().with_context(|| {
            format!("{}: cannot finish the Parquet file", self.partial.display())
        })?;
        let file = PartialFile {
            name: self.name,
            partial: self.partial,
        };
        Ok((self.rows, file))
    }
}
