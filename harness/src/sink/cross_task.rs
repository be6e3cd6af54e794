//! `cross_task.parquet`: each search trial's final incumbent looked up on the protocol's
//! `evaluate_on` tasks (NB201's paper searches CIFAR-10 and reports the architecture found on
//! CIFAR-10, CIFAR-100 and ImageNet16-120).
//!
//! Columns: `protocol`, `task` (searched), `method`, `replicate`, `arch_id` and `arch` (the
//! final incumbent, in the searched task's ids), `eval_task`, `value` (its seed-mean objective
//! in `eval_task`'s table; null when that table lacks the architecture), `test_value` (its
//! seed-mean test metric, when the benchmark has one).

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

/// One final incumbent on one evaluation task.
pub struct Row<'a> {
    pub task: &'a str,
    pub method: &'a str,
    pub replicate: u32,
    pub arch_id: u32,
    pub arch: String,
    pub eval_task: &'a str,
    pub value: Option<f64>,
    pub test: Option<f64>,
}

pub fn schema() -> SchemaRef {
    let utf8 = |name| Field::new(name, DataType::Utf8, false);
    let u32 = |name| Field::new(name, DataType::UInt32, false);
    Arc::new(Schema::new(vec![
        utf8("protocol"),
        utf8("task"),
        utf8("method"),
        u32("replicate"),
        u32("arch_id"),
        utf8("arch"),
        utf8("eval_task"),
        Field::new("value", DataType::Float64, true),
        Field::new("test_value", DataType::Float64, true),
    ]))
}

pub fn batch<'b>(protocol: &str, rows: &'b [Row<'b>]) -> RecordBatch {
    let strings = |f: fn(&'b Row<'b>) -> &'b str| -> ArrayRef {
        Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec![protocol; rows.len()])),
        strings(|r| r.task),
        strings(|r| r.method),
        Arc::new(UInt32Array::from_iter_values(
            rows.iter().map(|r| r.replicate),
        )),
        Arc::new(UInt32Array::from_iter_values(
            rows.iter().map(|r| r.arch_id),
        )),
        strings(|r| r.arch.as_str()),
        strings(|r| r.eval_task),
        Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.value))),
        Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.test))),
    ];
    RecordBatch::try_new(schema(), columns).expect("columns match the schema")
}
