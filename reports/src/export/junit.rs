//! `nash compare` as JUnit XML, for CI test reports: one test case per compared cell and
//! measure, failed when it regresses.

use crate::compare::{CompareResult, Verdict};
use crate::document::p_value;
use crate::records::summary;

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn render(r: &CompareResult) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"nash compare {}\" tests=\"{}\" failures=\"{}\">\n",
        xml_escape(&r.protocol),
        r.comparisons.len(),
        r.regressions()
    );
    for c in &r.comparisons {
        // Kendall tau and a search's final value keep the bare cell name they always had, so
        // CI test histories continue; the other measures add theirs.
        let primary = c.measure == summary::col::KENDALL_TAU || c.measure.starts_with("final ");
        let name = if primary {
            c.name.clone()
        } else {
            format!("{} {}", c.name, c.measure)
        };
        xml.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\"",
            xml_escape(&r.protocol),
            xml_escape(&name)
        ));
        let failure = match (c.verdict, &c.problem) {
            (Verdict::Regression, Some(problem)) => Some(format!("{}: {problem}", c.measure)),
            (Verdict::Regression, None) => Some(format!(
                "{} regressed: {:.4} → {:.4} (change {:+.4}, Holm p = {})",
                c.measure,
                c.baseline_mean,
                c.candidate_mean,
                c.change,
                p_value(c.p_holm)
            )),
            _ => None,
        };
        match failure {
            Some(message) => xml.push_str(&format!(
                ">\n      <failure message=\"{}\"/>\n    </testcase>\n",
                xml_escape(&message)
            )),
            None => xml.push_str("/>\n"),
        }
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    xml
}
