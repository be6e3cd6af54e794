//! One self-contained HTML file: the SVG plots inline, no external assets.

use super::Exporter;
use crate::document::{Block, Document, Figure};

pub struct Html;

/// Escapes HTML and turns `code` into <code>code</code>.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut code = false;
    for ch in text.chars() {
        match ch {
            '`' => {
                out.push_str(if code { "</code>" } else { "<code>" });
                code = !code;
            }
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(ch),
        }
    }
    if code {
        out.push_str("</code>");
    }
    out
}

/// The SVG element of a figure, without the XML declaration plotters may write.
fn inline_svg(svg: &str) -> &str {
    svg.find("<svg").map_or(svg, |i| &svg[i..])
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222}\
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}\
th,td{border-bottom:1px solid #ccc;padding:0.3em 0.6em;text-align:right}\
th:first-child,td:first-child{text-align:left}th{border-bottom:2px solid #444}\
figure{margin:1.5em 0}figcaption{font-size:0.9em;color:#555}code{background:#f3f3f3;padding:0 0.2em}";

impl Exporter for Html {
    fn extension(&self) -> &'static str {
        "html"
    }

    fn render(&self, doc: &Document) -> String {
        let mut html = format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
            escape(&doc.title),
            escape(&doc.title)
        );
        for block in &doc.blocks {
            match block {
                Block::Heading(h) => html.push_str(&format!("<h2>{}</h2>\n", escape(h))),
                Block::Text(t) => html.push_str(&format!("<p>{}</p>\n", escape(t))),
                Block::Bullets(items) => {
                    html.push_str("<ul>\n");
                    for item in items {
                        html.push_str(&format!("<li>{}</li>\n", escape(item)));
                    }
                    html.push_str("</ul>\n");
                }
                Block::Table(table) => {
                    html.push_str("<table>\n<thead><tr>");
                    for c in &table.columns {
                        html.push_str(&format!("<th>{}</th>", escape(c)));
                    }
                    html.push_str("</tr></thead>\n<tbody>\n");
                    for row in &table.rows {
                        html.push_str("<tr>");
                        for c in row {
                            let text = escape(&c.text);
                            if c.bold {
                                html.push_str(&format!("<td><b>{text}</b></td>"));
                            } else {
                                html.push_str(&format!("<td>{text}</td>"));
                            }
                        }
                        html.push_str("</tr>\n");
                    }
                    html.push_str("</tbody>\n</table>\n");
                }
                Block::Figure(Figure { caption, svg, .. }) => {
                    html.push_str(&format!(
                        "<figure>\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
                        inline_svg(svg),
                        escape(caption)
                    ));
                }
            }
        }
        html.push_str("</body>\n</html>\n");
        html
    }
}
