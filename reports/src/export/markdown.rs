//! GitHub-flavoured Markdown; figures link to the SVG files beside the report.

use super::Exporter;
use crate::document::{Block, Document, Figure};

pub struct Markdown;

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

impl Exporter for Markdown {
    fn extension(&self) -> &'static str {
        "md"
    }

    fn render(&self, doc: &Document) -> String {
        let mut md = format!("# {}\n\n", doc.title);
        for block in &doc.blocks {
            match block {
                Block::Heading(h) => md.push_str(&format!("## {h}\n\n")),
                Block::Text(t) => md.push_str(&format!("{t}\n\n")),
                Block::Bullets(items) => {
                    for item in items {
                        md.push_str(&format!("- {item}\n"));
                    }
                    md.push('\n');
                }
                Block::Table(table) => {
                    let header: Vec<String> = table.columns.iter().map(|c| cell(c)).collect();
                    md.push_str(&format!(
                        "| {} |\n|{}\n",
                        header.join(" | "),
                        "---|".repeat(header.len())
                    ));
                    for row in &table.rows {
                        let cells: Vec<String> = row
                            .iter()
                            .map(|c| {
                                if c.bold && !c.text.is_empty() {
                                    format!("**{}**", cell(&c.text))
                                } else {
                                    cell(&c.text)
                                }
                            })
                            .collect();
                        md.push_str(&format!("| {} |\n", cells.join(" | ")));
                    }
                    md.push('\n');
                }
                Block::Figure(Figure { file, caption, .. }) => {
                    md.push_str(&format!("![{caption}]({file})\n\n"))
                }
            }
        }
        md
    }
}
