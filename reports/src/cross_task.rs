//! Reading `cross_task.parquet` back: each search trial's final incumbent looked up on the
//! protocol's `evaluate_on` tasks, grouped by (searched task, method, evaluation task).

use std::path::Path;

use crate::ReportError;
use crate::records;

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
    let mut groups: Vec<CrossGroup> = Vec::new();
    for batch in records::cross_task::read(&dir.join(records::cross_task::FILE))? {
        let batch = batch?;
        for i in 0..batch.len() {
            let row = batch.row(i);
            let (t, m, e) = (row.task, row.method, row.eval_task);
            let index = match groups
                .iter()
                .rposition(|g| g.task == t && g.method == m && g.eval_task == e)
            {
                Some(index) => index,
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
            let g = &mut groups[index];
            match row.value {
                Some(v) => g.values.push(v),
                None => g.missing += 1,
            }
            g.tests.extend(row.test_value);
        }
    }
    Ok(groups)
}
