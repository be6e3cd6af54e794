//! LaTeX, ready for a paper: booktabs tables (best value in bold, † / ‡ significance marks as
//! `\dag` / `\ddag`), figures through the `svg` package (`\includesvg`, which needs Inkscape
//! when compiling). A complete document; copy the tables into yours.

use super::Exporter;
use crate::document::{Block, Document, Figure};

pub struct Latex;

/// Escapes LaTeX's special characters and turns `code` into \texttt{code}.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut code = false;
    for ch in text.chars() {
        match ch {
            '`' => {
                out.push_str(if code { "}" } else { "\\texttt{" });
                code = !code;
            }
            '\\' => out.push_str("\\textbackslash{}"),
            '&' | '%' | '$' | '#' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(ch);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '±' => out.push_str("$\\pm$"),
            '†' => out.push_str("\\dag{}"),
            '‡' => out.push_str("\\ddag{}"),
            '−' => out.push_str("$-$"),
            '≥' => out.push_str("$\\geq$"),
            '×' => out.push_str("$\\times$"),
            'α' => out.push_str("$\\alpha$"),
            'χ' => out.push_str("$\\chi$"),
            '²' => out.push_str("\\textsuperscript{2}"),
            '|' => out.push_str("$|$"),
            '…' => out.push_str("\\ldots{}"),
            _ => out.push(ch),
        }
    }
    if code {
        out.push('}');
    }
    out
}

impl Exporter for Latex {
    fn extension(&self) -> &'static str {
        "tex"
    }

    fn render(&self, doc: &Document) -> String {
        let mut tex = String::from(
            "\\documentclass{article}\n\\usepackage[margin=2cm,landscape]{geometry}\n\\usepackage{booktabs}\n\\usepackage{svg}\n\\begin{document}\n",
        );
        tex.push_str(&format!("\\section*{{{}}}\n\n", escape(&doc.title)));
        for block in &doc.blocks {
            match block {
                Block::Heading(h) => tex.push_str(&format!("\\subsection*{{{}}}\n\n", escape(h))),
                Block::Text(t) => tex.push_str(&format!("{}\n\n", escape(t))),
                Block::Bullets(items) => {
                    tex.push_str("\\begin{itemize}\n");
                    for item in items {
                        tex.push_str(&format!("  \\item {}\n", escape(item)));
                    }
                    tex.push_str("\\end{itemize}\n\n");
                }
                Block::Table(table) => {
                    let spec = format!("l{}", "r".repeat(table.columns.len().saturating_sub(1)));
                    tex.push_str(&format!("\\begin{{table}}[h]\n\\centering\\small\n\\begin{{tabular}}{{{spec}}}\n\\toprule\n"));
                    let header: Vec<String> = table.columns.iter().map(|c| escape(c)).collect();
                    tex.push_str(&format!("{} \\\\\n\\midrule\n", header.join(" & ")));
                    for row in &table.rows {
                        let cells: Vec<String> = row
                            .iter()
                            .map(|c| {
                                if c.bold && !c.text.is_empty() {
                                    format!("\\textbf{{{}}}", escape(&c.text))
                                } else {
                                    escape(&c.text)
                                }
                            })
                            .collect();
                        tex.push_str(&format!("{} \\\\\n", cells.join(" & ")));
                    }
                    tex.push_str("\\bottomrule\n\\end{tabular}\n\\end{table}\n\n");
                }
                Block::Figure(Figure { file, caption, .. }) => {
                    let stem = file.strip_suffix(".svg").unwrap_or(file);
                    tex.push_str(&format!(
                        "\\begin{{figure}}[h]\n\\centering\n\\includesvg[width=0.7\\textwidth]{{{stem}}}\n\\caption{{{}}}\n\\end{{figure}}\n\n",
                        escape(caption)
                    ));
                }
            }
        }
        tex.push_str("\\end{document}\n");
        tex
    }
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_specials_and_code() {
        assert_eq!(
            escape("a_b 50% `x_y` ± †"),
            "a\\_b 50\\% \\texttt{x\\_y} $\\pm$ \\dag{}"
        );
    }
}
