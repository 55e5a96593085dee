//! Rendering a check's doc comment: `checks explain`, `docs/checks/*.md`, and the example
//! fixtures the tests run.

use std::fmt::Write;

use crate::Check;

/// A doc comment as written: rustdoc keeps the space after `///`, which is removed here.
pub(crate) fn doc_text(doc: &str) -> String {
    doc.lines().map(|l| l.strip_prefix(' ').unwrap_or(l)).collect::<Vec<_>>().join("\n")
}

/// The body of a `## Name` section (until the next `## `), trimmed.
pub(crate) fn section(doc: &str, name: &str) -> String {
    let doc = doc_text(doc);
    let header = format!("## {name}");
    let Some(start) = doc.find(&header) else { return String::new() };
    let body = &doc[start + header.len()..];
    let end = body.find("\n## ").unwrap_or(body.len());
    body[..end].trim().to_string()
}

/// The fenced code block (```yaml) of a section, if any.
pub fn example_blocks(check: &Check) -> (Option<String>, Option<String>, Option<String>) {
    let block = |name: &str| {
        let s = section(check.meta.doc, name);
        let start = s.find("```")?;
        let after = &s[start + 3..];
        let body_start = after.find('\n')? + 1;
        let end = after[body_start..].find("```")?;
        Some(after[body_start..body_start + end].to_string())
    };
    (block("Failing example"), block("Passing example"), block("Example configuration"))
}

/// The full Markdown page for a check. Card numbers in examples are shown masked, like every
/// other output of the tool.
pub fn check_markdown(check: &Check) -> String {
    kubepci_pan::redact(&markdown(check))
}

/// The kinds a check reads, for its page: groups spelled out.
fn reads_line(reads: &[&str]) -> String {
    if reads.is_empty() {
        return "no cluster objects".to_string();
    }
    reads
        .iter()
        .map(|&r| match r {
            crate::WORKLOADS => format!("workloads ({})", crate::WORKLOAD_KINDS.join(", ")),
            crate::ANY_KIND => "every object, whatever its kind".to_string(),
            kind => kind.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn markdown(check: &Check) -> String {
    let m = &check.meta;
    let mut out = String::new();
    let _ = writeln!(out, "# {}: {}\n", m.id, m.title());
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| Name | `{}` |", m.name);
    let _ = writeln!(out, "| Severity | {} |", m.severity);
    let applies = match m.applies {
        crate::Applies::All => "all objects",
        crate::Applies::Cde => "CDE objects only",
        crate::Applies::InScope => "CDE, connected and security-impacting objects",
        crate::Applies::Cluster => "the cluster as a whole",
    };
    let _ = writeln!(out, "| Applies to | {applies} |");
    let partial = match m.on_partial_input {
        crate::PartialInput::NotAssessed => "not assessed",
        crate::PartialInput::FailuresStand => "failures found stand; passes become not assessed",
    };
    let _ = writeln!(out, "| Reads | {} |", reads_line(m.reads));
    let _ = writeln!(out, "| If a kind it reads was not collected | {partial} |\n");
    let _ = writeln!(out, "## PCI DSS v4.0.1\n");
    for r in m.requirements {
        let gist = kubepci_findings::requirements::gist(r.requirement).unwrap_or("");
        let _ = writeln!(out, "- **{}** {gist}. *Evidence for testing procedure {}:* {}", r.requirement, r.procedure, r.why);
    }
    let _ = writeln!(out);
    // The rest of the doc comment after its title line.
    let doc = doc_text(m.doc);
    let body = doc.trim_start().split_once('\n').map_or("", |(_, rest)| rest);
    let _ = writeln!(out, "{}", body.trim());
    out
}
