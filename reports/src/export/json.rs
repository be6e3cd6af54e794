//! The document as JSON (blocks in order; figures carry their SVG text).

use super::Exporter;
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
