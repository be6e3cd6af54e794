//! Parquet files of records: written batch by batch into `<name>.partial` (the run directory
//! moves it into place once the run has finished), read back batch by batch.

use std::fs::File;
use std::path::{Path, PathBuf};

use std::sync::Arc;
use std::sync::mpsc::{self, SyncSender};
use std::thread::JoinHandle;

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

/// A [`ParquetWriter`] on a thread of its own: `write` hands the batch over and returns, so
/// that encoding and compressing one chunk of results overlaps computing the next. The thread
/// writes the batches in the order they were handed over: the file is the same byte for byte.
pub struct BackgroundWriter {
    sender: Option<SyncSender<RecordBatch>>,
    thread: Option<JoinHandle<Result<(u64, PartialFile), ReportError>>>,
    path: PathBuf,
}

impl ParquetWriter {
    /// Moves the writer to a thread of its own.
    pub fn in_background(self) -> Result<BackgroundWriter, ReportError> {
        let path = self.file.path.clone();
        // Two batches in flight at most: memory stays bounded if the disk is slow.
        let (sender, receiver) = mpsc::sync_channel::<RecordBatch>(2);
        let thread = std::thread::Builder::new()
            .name("parquet-writer".into())
            .spawn(move || {
                let mut writer = self;
                for batch in receiver {
                    writer.write(&batch)?;
                }
                writer.finish()
            })
            .map_err(|e| write_error(&path, "cannot start the writer thread", e))?;
        Ok(BackgroundWriter {
            sender: Some(sender),
            thread: Some(thread),
            path,
        })
    }
}

impl BackgroundWriter {
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), ReportError> {
        let sent = match &self.sender {
            Some(sender) => sender.send(batch.clone()).is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        // The thread stopped at an error: it is the one to report.
        self.sender = None;
        match self.join() {
            Err(e) => Err(e),
            Ok(_) => Err(write_error(
                &self.path,
                "write failed",
                "the writer thread stopped",
            )),
        }
    }

    /// Closes the file once every batch is written; returns the rows and the file.
    pub fn finish(mut self) -> Result<(u64, PartialFile), ReportError> {
        self.sender = None;
        self.join()
    }

    fn join(&mut self) -> Result<(u64, PartialFile), ReportError> {
        let thread = self.thread.take().ok_or_else(|| {
            write_error(
                &self.path,
                "write failed",
                "the writer thread already stopped",
            )
        })?;
        thread
            .join()
            .map_err(|_| write_error(&self.path, "write failed", "the writer thread panicked"))?
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_schema::{DataType, Field, Schema};

    fn batch(schema: &SchemaRef, start: u32) -> RecordBatch {
        let values = UInt32Array::from_iter_values(start..start + 1000);
        RecordBatch::try_new(schema.clone(), vec![Arc::new(values)]).unwrap()
    }

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![Field::new("x", DataType::UInt32, false)]))
    }

    #[test]
    fn the_background_writer_writes_the_same_file() {
        let dir = std::env::temp_dir().join(format!("nash-bg-writer-{}", std::process::id()));
        let (here, there) = (dir.join("here"), dir.join("there"));
        std::fs::create_dir_all(&here).unwrap();
        std::fs::create_dir_all(&there).unwrap();
        let schema = schema();
        let mut direct = ParquetWriter::create(&here, "x.parquet", schema.clone()).unwrap();
        let mut background = ParquetWriter::create(&there, "x.parquet", schema.clone())
            .unwrap()
            .in_background()
            .unwrap();
        for start in (0..10_000).step_by(1000) {
            direct.write(&batch(&schema, start)).unwrap();
            background.write(&batch(&schema, start)).unwrap();
        }
        let (rows, a) = direct.finish().unwrap();
        let (rows_bg, b) = background.finish().unwrap();
        assert_eq!((rows, rows_bg), (10_000, 10_000));
        assert_eq!(
            std::fs::read(a.path).unwrap(),
            std::fs::read(b.path).unwrap()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_background_writer_reports_a_failed_write_naming_the_file() {
        let dir = std::env::temp_dir().join(format!("nash-bg-fail-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut writer = ParquetWriter::create(&dir, "x.parquet", schema())
            .unwrap()
            .in_background()
            .unwrap();
        let floats = Arc::new(Schema::new(vec![Field::new("x", DataType::Float64, false)]));
        let wrong = RecordBatch::try_new(floats, vec![Arc::new(Float64Array::from(vec![1.0]))]);
        writer.write(&wrong.unwrap()).unwrap();
        let error = writer.finish().unwrap_err().to_string();
        assert!(error.contains("x.parquet.partial"), "{error}");
        assert!(error.contains("write failed"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
