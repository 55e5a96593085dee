//! Every finding once, grouped by check with the check's fix: status, object, file:line or
//! live object, message, evidence and exception. Also the card-data section (card numbers
//! found in cluster objects, masked as in every format).

use kubepci_findings::{Finding, Status};

use super::escape::{anchor, with_code_spans};
use super::{escape, finding_anchor, finding_status_label, location_label, object_label, section, w};
use crate::Report;

pub fn write(o: &mut String, r: &Report) {
    section(o, "findings");
    w!(o, "<p class=\"small muted\">Failures, exceptions and results that could not be assessed{}, grouped by check, worst first. Open a finding for its evidence.</p>\n", if r.findings.iter().any(|f| f.status == Status::Pass) { " (and passes, as asked with --include-passed)" } else { "" });
    if r.findings.is_empty() {
        w!(o, "<p>No finding.</p>\n");
    }
    // Findings are sorted by status, severity and check: a check's findings of one status are
    // adjacent, and a check appears once per status it has.
    let mut start = 0;
    while start < r.findings.len() {
        let first = &r.findings[start];
        let end = start + r.findings[start..].iter().take_while(|f| f.check == first.check && f.status == first.status).count();
        group(o, r, start, &r.findings[start..end]);
        start = end;
    }
    w!(o, "</section>\n");
}

fn group(o: &mut String, r: &Report, offset: usize, findings: &[Finding]) {
    let first = &findings[0];
    let info = r.check(&first.check);
    // The check's anchor goes on its first group (the worst status it has).
    let first_group = r.findings.iter().position(|f| f.check == first.check) == Some(offset);
    let id = if first_group { format!(" id=\"{}\"", anchor("c-", &first.check)) } else { String::new() };
    w!(
        o,
        "<h3{id}><code>{}</code> {} <span class=\"badge s-{}\">{}</span> <span class=\"muted small\">{} {} · {} · requirements {}</span></h3>\n",
        escape(&first.check),
        escape(&first.title),
        first.status.as_str(),
        finding_status_label(first.status),
        findings.len(),
        kubepci_findings::noun(findings.len(), "finding", "findings"),
        first.severity.as_str(),
        escape(&first.requirements.join(", "))
    );
    let fix = info.map_or(first.remediation.as_str(), |c| c.remediation.as_str());
    if first.status != Status::Pass {
        w!(o, "<p class=\"fix small\"><b>Fix:</b> {}</p>\n", with_code_spans(fix));
    }
    for (k, f) in findings.iter().enumerate() {
        finding(o, offset + k, f, fix);
    }
}

fn finding(o: &mut String, index: usize, f: &Finding, check_fix: &str) {
    let status = f.status.as_str();
    w!(
        o,
        "<details class=\"finding st-{status}\" id=\"{}\" data-filter data-status=\"{status}\" data-finding=\"{}\" data-object=\"{}\"><summary><span class=\"sev sev-{}\">{}</span> <code>{}</code> {} <span class=\"mono muted\">{}</span><br><span class=\"small\">{}</span></summary>\n<dl>",
        finding_anchor(index),
        escape(&f.check),
        escape(&object_label(f)),
        f.severity.as_str(),
        f.severity.as_str(),
        escape(&f.check),
        escape(&object_label(f)),
        escape(&location_label(f)),
        escape(&f.message)
    );
    w!(o, "<dt>Object</dt><dd>{}", escape(&object_label(f)));
    if let Some(scope) = &f.scope {
        w!(o, " <span class=\"muted\">(scope {})</span>", escape(scope));
    }
    w!(o, "</dd>");
    if let Some(loc) = &f.location {
        let what = if loc.line == 0 { "Live object at" } else { "Location" };
        w!(o, "<dt>{what}</dt><dd class=\"mono\">{}</dd>", escape(&loc.to_string()));
    }
    w!(o, "<dt>Requirements</dt><dd>{}</dd>", escape(&f.requirements.join(", ")));
    if !f.evidence.is_empty() {
        w!(o, "<dt>Evidence</dt><dd><ul>");
        for e in &f.evidence {
            match &e.value {
                Some(v) => w!(o, "<li><code>{}</code>: <span class=\"mono\">{}</span></li>", escape(&e.path), escape(v)),
                None => w!(o, "<li><code>{}</code></li>", escape(&e.path)),
            }
        }
        w!(o, "</ul></dd>");
    }
    if let Some(e) = &f.exception {
        w!(o, "<dt>Exception</dt><dd>{} · approved by {}", escape(&e.reason), escape(&e.approved_by));
        if let Some(t) = &e.ticket {
            w!(o, " · ticket {}", escape(t));
        }
        if let Some(d) = &e.expires {
            w!(o, " · expires {}", escape(d));
        }
        if let Some(c) = &e.compensating_control {
            w!(o, " · compensating control: {}", escape(c));
        }
        w!(o, "</dd>");
    }
    if f.status != Status::Pass && f.remediation != check_fix {
        w!(o, "<dt>Fix</dt><dd>{}</dd>", with_code_spans(&f.remediation));
    }
    w!(o, "</dl></details>\n");
}

/// Card numbers found in cluster objects (the DATA checks), masked as in every format.
pub fn write_card_data(o: &mut String, r: &Report) {
    section(o, "card-data");
    let found: Vec<(usize, &Finding)> = r.findings.iter().enumerate().filter(|(_, f)| f.check.starts_with("DATA-") && f.status != Status::Pass).collect();
    w!(o, "<p class=\"small muted\">Card numbers (PAN) found in plain text in cluster objects. Numbers are masked (at most the first six and last four digits); the full number is never written.</p>\n");
    if found.is_empty() {
        let ran = r.checks.iter().any(|c| c.summary.check.starts_with("DATA-") && c.summary.not_run.is_none());
        w!(o, "<p>{}</p>\n</section>\n", if ran { "No card number found." } else { "The card-data checks did not run." });
        return;
    }
    w!(o, "<table><thead><tr><th>Check</th><th>Object</th><th>Where</th><th>Found (masked)</th><th>Status</th></tr></thead><tbody>\n");
    for (i, f) in found {
        let values: Vec<String> = f.evidence.iter().map(|e| format!("{}: {}", e.path, e.value.as_deref().unwrap_or(""))).collect();
        w!(
            o,
            "<tr data-finding=\"{}\" data-object=\"{}\"><td><a href=\"#{}\"><code>{}</code></a> <span class=\"sev sev-{}\">{}</span></td><td>{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td><span class=\"badge s-{}\">{}</span></td></tr>\n",
            escape(&f.check),
            escape(&object_label(f)),
            finding_anchor(i),
            escape(&f.check),
            f.severity.as_str(),
            f.severity.as_str(),
            escape(&object_label(f)),
            escape(&location_label(f)),
            escape(&values.join("; ")),
            f.status.as_str(),
            finding_status_label(f.status)
        );
    }
    w!(o, "</tbody></table>\n</section>\n");
}
