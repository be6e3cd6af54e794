//! Parquet files of records: written batch by batch into `<name>.partial` (the run directory
//! moves it into place once the run has finished), read back batch by batch.

use std::fs::File;
use std::path::{Path, PathBuf};

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, Float64Array, RecordBatch, StringArray, UInt32Array};
use arrow_schema::SchemaRef;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::ReportError;

/// A result file written in full under its temporary name, ready to be moved into place.
#[derive(Debug)]
pub struct PartialFile {
    /// Its name in the run directory, e.g. `trials.parquet`.
    pub name: &'static str,
    pub path: PathBuf,
}

/// Writes one result file batch by batch.
pub struct ParquetWriter {
    file: PartialFile,
    writer: ArrowWriter<File>,
    rows: u64,
}

/// Why writing a result file failed, with the file named.
fn write_error(path: &Path, what: &str, e: impl std::fmt::Display) -> ReportError {
    ReportError::Format {
        path: path.to_path_buf(),
        message: format!("{what}: {e}"),
    }
}

impl ParquetWriter {
    /// Starts `dir/<name>.partial`.
    pub fn create(dir: &Path, name: &'static str, schema: SchemaRef) -> Result<Self, ReportError> {
        let path = dir.join(format!("{name}.partial"));
        let file = File::create(&path).map_err(|e| ReportError::Io {
            path: path.clone(),
            source: e,
        })?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(1 << 20))
            .set_created_by(format!("nash {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer = ArrowWriter::try_new(file, schema, Some(props))
            .map_err(|e| write_error(&path, "cannot start a Parquet file", e))?;
        Ok(ParquetWriter {
            file: PartialFile { name, path },
            writer,
            rows: 0,
        })
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), ReportError> {
        self.rows += batch.num_rows() as u64;
        self.writer
            .write(batch)
            .map_err(|e| write_error(&self.file.path, "write failed", e))
    }

    /// Closes the file; returns the number of rows and the file, for the commit.
    pub fn finish(self) -> Result<(u64, PartialFile), ReportError> {
        self.writer
            .close()
            .map_err(|e| write_error(&self.file.path, "cannot finish the Parquet file", e))?;
        Ok((self.rows, self.file))
    }
}

/// The record batches of `path`, as they are read: all columns, or only those named.
pub(crate) fn read_batches(
    path: &Path,
    columns: Option<&[&str]>,
) -> Result<impl Iterator<Item = Result<RecordBatch, ReportError>> + use<>, ReportError> {
    let bad = {
        let path = path.to_path_buf();
        move |message: String| ReportError::Format {
            path: path.clone(),
            message,
        }
    };
    let file = File::open(path).map_err(|e| ReportError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let mut builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| bad(e.to_string()))?
        .with_batch_size(1 << 16);
    if let Some(names) = columns {
        let schema = builder.schema().clone();
        let roots = names
            .iter()
            .map(|name| {
                schema
                    .index_of(name)
                    .map_err(|_| bad(format!("no column '{name}'")))
            })
            .collect::<Result<Vec<usize>, _>>()?;
        let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
        builder = builder.with_projection(mask);
    }
    let reader = builder.build().map_err(|e| bad(e.to_string()))?;
    Ok(reader.map(move |b| b.map_err(|e| bad(e.to_string()))))
}

/// The batches of `path` as `T`s, made by `from_record` (whose error the file's name prefixes)
/// from all columns or only those named.
pub(crate) fn read_records<T>(
    path: &Path,
    columns: Option<&[&str]>,
    from_record: fn(&RecordBatch) -> Result<T, String>,
) -> Result<impl Iterator<Item = Result<T, ReportError>> + use<T>, ReportError> {
    let path_buf = path.to_path_buf();
    Ok(read_batches(path, columns)?.map(move |b| {
        from_record(&b?).map_err(|message| ReportError::Format {
            path: path_buf.clone(),
            message,
        })
    }))
}

/// A column of `batch` as its concrete array type.
pub(crate) fn column<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> Result<&'a T, String> {
    batch
        .column_by_name(name)
        .ok_or_else(|| format!("no column '{name}'"))?
        .as_any()
        .downcast_ref::<T>()
        .ok_or_else(|| format!("column '{name}' has an unexpected type"))
}

/// A string column made of `f` of every row (null where `f` gives None).
pub(crate) fn strings<'r, R>(rows: &'r [R], f: impl Fn(&'r R) -> Option<&'r str>) -> ArrayRef {
    Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>()))
}

/// The value of a string column at `i`, None where null.
pub(crate) fn text_at(a: &StringArray, i: usize) -> Option<&str> {
    a.is_valid(i).then(|| a.value(i))
}

/// The value of a float column at `i`, None where null.
pub(crate) fn f64_at(a: &Float64Array, i: usize) -> Option<f64> {
    a.is_valid(i).then(|| a.value(i))
}

/// The value of an integer column at `i`, None where null.
pub(crate) fn u32_at(a: &UInt32Array, i: usize) -> Option<u32> {
    a.is_valid(i).then(|| a.value(i))
}
