//! Reading selected columns of a result file.

use std::fs::File;
use std::path::Path;

use arrow_array::RecordBatch;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::ReportError;

/// The batches of `path` holding only the columns `names`.
pub fn read_columns(path: &Path, names: &[String]) -> Result<Vec<RecordBatch>, ReportError> {
    let bad = |message: String| ReportError::Format {
        path: path.to_path_buf(),
        message,
    };
    let file = File::open(path).map_err(|e| ReportError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| bad(e.to_string()))?;
    let schema = builder.parquet_schema();
    if let Some(missing) = names
        .iter()
        .find(|n| !schema.columns().iter().any(|c| c.name() == n.as_str()))
    {
        return Err(bad(format!("no column '{missing}'")));
    }
    let mask = ProjectionMask::columns(schema, names.iter().map(String::as_str));
    let reader = builder
        .with_projection(mask)
        .with_batch_size(1 << 16)
        .build()
        .map_err(|e| bad(e.to_string()))?;
    reader.map(|b| b.map_err(|e| bad(e.to_string()))).collect()
}

/// A column of `batch` as its concrete array type.
pub fn column<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> Result<&'a T, String> {
    batch
        .column_by_name(name)
        .ok_or_else(|| format!("no column '{name}'"))?
        .as_any()
        .downcast_ref::<T>()
        .ok_or_else(|| format!("column '{name}' has an unexpected type"))
}
