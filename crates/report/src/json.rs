//! The documented JSON report (`docs/report-schema.md`), pretty-printed, newline-terminated.
//!
//! A large cluster's report holds tens of thousands of findings and boundary flows (about
//! 100 MB on 100k objects). Those two arrays are serialised in parallel batches and streamed to
//! the output, so rendering uses both cores and never holds the whole text in memory. The
//! bytes are exactly those of `serde_json::to_string_pretty` (tested).

use std::io::{self, Write};

use rayon::prelude::*;
use serde::Serialize;

use crate::Report;
use crate::model::{CheckInfo, InputSummary, Provenance, ScopeSummary, Standard, Summary, Tool};
use kubepci_findings::RequirementResult;

/// Elements serialised per parallel batch: large enough to amortise the fork, small enough
/// that a batch's text stays a few megabytes.
const BATCH: usize = 2048;

/// Everything before the two large arrays, in the report's field order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Head<'a> {
    schema: &'a str,
    tool: &'a Tool,
    standard: &'a Standard,
    generated_at: &'a str,
    provenance: &'a Provenance,
    input: &'a InputSummary,
    scope: &'a ScopeSummary,
    summary: &'a Summary,
    requirements: &'a [RequirementResult],
    checks: &'a [CheckInfo],
}

pub fn render(report: &Report) -> String {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = write(report, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Stream the report to `out`.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let head = Head {
        schema: &report.schema,
        tool: &report.tool,
        standard: &report.standard,
        generated_at: &report.generated_at,
        provenance: &report.provenance,
        input: &report.input,
        scope: &report.scope,
        summary: &report.summary,
        requirements: &report.requirements,
        checks: &report.checks,
    };
    let head = serde_json::to_vec_pretty(&head).map_err(io::Error::other)?;
    // `head` ends with the object's closing "\n}"; the two arrays continue the object.
    out.write_all(head.strip_suffix(b"\n}").unwrap_or(&head))?;
    out.write_all(b",\n  \"findings\": ")?;
    write_array(&report.findings, out)?;
    out.write_all(b",\n  \"boundary\": ")?;
    write_array(&report.boundary, out)?;
    // Omitted when empty, as the pretty printer omits it.
    if !report.access.is_empty() {
        out.write_all(b",\n  \"access\": ")?;
        write_array(&report.access, out)?;
    }
    out.write_all(b"\n}\n")
}

/// A member array of the top-level object, laid out as the pretty printer lays it out at
/// that depth: elements on their own lines, indented by four spaces.
fn write_array<T: Serialize + Sync>(items: &[T], out: &mut dyn Write) -> io::Result<()> {
    if items.is_empty() {
        return out.write_all(b"[]");
    }
    out.write_all(b"[\n")?;
    for (i, batch) in items.chunks(BATCH).enumerate() {
        let texts: Vec<io::Result<Vec<u8>>> = batch.par_chunks(BATCH.div_ceil(8)).map(|part| element_lines(part)).collect();
        for (j, text) in texts.into_iter().enumerate() {
            if i > 0 || j > 0 {
                out.write_all(b",\n")?;
            }
            out.write_all(&text?)?;
        }
    }
    out.write_all(b"\n  ]")
}

/// Elements pretty-printed, each line indented by four spaces, joined by ",\n" (no trailing
/// separator). Pretty JSON escapes newlines inside strings, so every newline in the text is a
/// line break of the layout.
fn element_lines<T: Serialize>(items: &[T]) -> io::Result<Vec<u8>> {
    let mut one = Vec::new();
    let mut out = Vec::with_capacity(items.len() * 1024);
    for (k, item) in items.iter().enumerate() {
        one.clear();
        serde_json::to_writer_pretty(&mut one, item).map_err(io::Error::other)?;
        if k > 0 {
            out.extend_from_slice(b",\n");
        }
        out.extend_from_slice(b"    ");
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', &one) {
            out.extend_from_slice(&one[start..=nl]);
            out.extend_from_slice(b"    ");
            start = nl + 1;
        }
        out.extend_from_slice(&one[start..]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The streamed text is byte for byte what serde's pretty printer writes for the whole
    /// report, with and without findings and boundary flows, across batch boundaries.
    #[test]
    fn streamed_report_equals_the_pretty_printer() {
        let mut report = crate::tests::demo_report();
        let whole = |r: &Report| serde_json::to_string_pretty(r).unwrap() + "\n";
        assert!(!report.findings.is_empty() && !report.boundary.is_empty());
        assert_eq!(render(&report), whole(&report));
        let f = report.findings[0].clone();
        let b = report.boundary[0].clone();
        report.findings = vec![f; BATCH * 2 + 7];
        report.boundary = vec![b; BATCH + 1];
        assert_eq!(render(&report), whole(&report));
        report.findings.clear();
        report.boundary.clear();
        assert_eq!(render(&report), whole(&report));
    }
}
