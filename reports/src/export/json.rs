//! The document as JSON (blocks in order; figures carry their SVG text), and `nash compare`'s
//! result as JSON.

use super::Exporter;
use crate::compare::CompareResult;
use crate::document::Document;

pub struct Json;

impl Exporter for Json {
    fn extension(&self) -> &'static str {
        "json"
    }

    fn render(&self, doc: &Document) -> String {
        serde_json::to_string_pretty(doc).expect("documents serialize")
    }
}

/// A comparison's every cell, test and verdict.
pub fn comparison(result: &CompareResult) -> String {
    serde_json::to_string_pretty(result).expect("the comparison serializes")
}
