//! Reading `cross_task.parquet` back: each search trial's final incumbent looked up on the
//! protocol's `evaluate_on` tasks, grouped by (searched task, method, evaluation task).

use std::path::Path;

use arrow_array::{Array, Float64Array, StringArray};

use crate::ReportError;
use crate::parquet_io::{column, read_columns};

pub const CROSS_TASK: &str = "cross_task.parquet";

/// The final incumbents of one (searched task, method) on one evaluation task.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossGroup {
    pub task: String,
    pub method: String,
    pub eval_task: String,
    /// Seed-mean objective on the evaluation task, one per run whose architecture it has.
    pub values: Vec<f64>,
    /// Runs whose architecture the evaluation task's table lacks.
    pub missing: usize,
    /// Seed-mean test metric, when the benchmark has one.
    pub tests: Vec<f64>,
}

/// Reads the groups of `dir`'s `cross_task.parquet`, in the order they first appear.
pub fn read(dir: &Path) -> Result<Vec<CrossGroup>, ReportError> {
    let path = dir.join(CROSS_TASK);
    let names: Vec<String> = ["task", "method", "eval_task", "value", "test_value"]
        .iter()
        .map(|c| c.to_string())
        .collect();
    let mut groups: Vec<CrossGroup> = Vec::new();
    for batch in read_columns(&path, &names)? {
        let bad = |message: String| ReportError::Format {
            path: path.clone(),
            message,
        };
        let task = column::<StringArray>(&batch, "task").map_err(bad)?;
        let method = column::<StringArray>(&batch, "method").map_err(bad)?;
        let eval = column::<StringArray>(&batch, "eval_task").map_err(bad)?;
        let value = column::<Float64Array>(&batch, "value").map_err(bad)?;
        let test = column::<Float64Array>(&batch, "test_value").map_err(bad)?;
        for row in 0..batch.num_rows() {
            let (t, m, e) = (task.value(row), method.value(row), eval.value(row));
            let i = match groups
                .iter()
                .rposition(|g| g.task == t && g.method == m && g.eval_task == e)
            {
                Some(i) => i,
                None => {
                    groups.push(CrossGroup {
                        task: t.to_string(),
                        method: m.to_string(),
                        eval_task: e.to_string(),
                        values: Vec::new(),
                        missing: 0,
                        tests: Vec::new(),
                    });
                    groups.len() - 1
                }
            };
            let g = &mut groups[i];
            if value.is_null(row) {
                g.missing += 1;
            } else {
                g.values.push(value.value(row));
            }
            if !test.is_null(row) {
                g.tests.push(test.value(row));
            }
        }
    }
    Ok(groups)
}
