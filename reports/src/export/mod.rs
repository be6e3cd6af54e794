//! Exporters: one file per format behind one small trait (after hyperfine's exporters). Each
//! renders the same `Document`, a report's or a comparison's; JUnit and the comparison's JSON
//! render the comparison's data. `ioh` is apart: it writes a run's data in IOHprofiler's
//! format, not a document.

mod html;
pub mod ioh;
pub mod json;
pub mod junit;
mod latex;
mod markdown;

pub use markdown::Markdown;

use crate::document::Document;

pub trait Exporter {
    /// File extension of the format, e.g. `md`.
    fn extension(&self) -> &'static str;
    fn render(&self, doc: &Document) -> String;
}

/// Every format nash writes: Markdown, LaTeX, HTML and JSON.
pub fn all() -> [&'static dyn Exporter; 4] {
    [&markdown::Markdown, &latex::Latex, &html::Html, &json::Json]
}
