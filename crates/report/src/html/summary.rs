//! Executive summary: the scope in one sentence, requirement counts by status, failures by
//! severity and the critical findings.

use kubepci_findings::{RequirementStatus, Severity, Status, noun};

use super::{escape, finding_line, section, status_label, w};
use crate::Report;

/// At most this many critical findings are listed here; the Findings section has them all.
const CRITICAL_SHOWN: usize = 25;

pub fn write(o: &mut String, r: &Report) {
    section(o, "summary");
    w!(o, "<p class=\"scope-line\">{}</p>\n", escape(&scope_sentence(r)));
    w!(o, "<h3>Requirements by status</h3>\n<div class=\"tiles\">");
    for s in RequirementStatus::ALL {
        let n = r.summary.requirements.get(s.as_str()).copied().unwrap_or(0);
        w!(o, "<div class=\"tile\" data-summary-status=\"{}\"><b>{n}</b><span class=\"badge s-{}\">{}</span></div>", s.as_str(), s.as_str(), status_label(s));
    }
    w!(o, "</div>\n<p class=\"small muted\">FAIL: a mapped check failed (ROC Not in Place) · EXCEPTED: only accepted exceptions · NOT ASSESSED: evidence missing (Not Tested) · PARTIAL: no failure, but cluster data only supports the requirement · PASS: every mapped check passed everywhere (In Place) · MANUAL: no automated check, the assessor gathers evidence.</p>\n");
    let s = &r.summary;
    w!(o, "<h3>Results</h3>\n<div class=\"tiles\">");
    for sev in Severity::ALL.iter().rev() {
        let n = s.failed_by_severity.get(sev.as_str()).copied().unwrap_or(0);
        w!(o, "<div class=\"tile\"><b>{n}</b><span class=\"sev sev-{0}\">{0}</span> failures</div>", sev.as_str());
    }
    w!(o, "</div>\n<p>{} failed, {} excepted, {} not assessed, {} passed.</p>\n", s.failed, s.excepted, s.not_assessed, s.passed);
    let critical: Vec<(usize, &kubepci_findings::Finding)> = r.findings.iter().enumerate().filter(|(_, f)| f.status == Status::Fail && f.severity == Severity::Critical).collect();
    w!(o, "<h3>Critical findings</h3>\n");
    if critical.is_empty() {
        w!(o, "<p>No critical failure.</p>\n");
    } else {
        w!(o, "<ul class=\"critical\">\n");
        for (i, f) in critical.iter().take(CRITICAL_SHOWN) {
            finding_line(o, *i, f);
        }
        w!(o, "</ul>\n");
        if critical.len() > CRITICAL_SHOWN {
            w!(o, "<p class=\"muted\">The first {CRITICAL_SHOWN} of {} critical failures; the Findings section lists every one.</p>\n", critical.len());
        }
    }
    if !r.input.errors.is_empty() {
        let n = r.input.errors.len();
        w!(o, "<p class=\"flow-unapproved\">{n} {} of the input could not be read; see Provenance.</p>\n", noun(n, "document or path", "documents or paths"));
    }
    w!(o, "</section>\n");
}

/// The scope in one sentence: the CDE's namespaces and workloads, the other classes, the input.
pub fn scope_sentence(r: &Report) -> String {
    let cde: Vec<&str> = r.scope.namespaces.iter().filter(|n| n.scope == "cde").map(|n| n.name.as_str()).collect();
    let workloads = |class: &str| r.scope.workloads.get(class).copied().unwrap_or(0);
    let mut s = if cde.is_empty() {
        "No CDE is declared (no namespace is classified as cde), so the boundary and CDE checks could not be assessed".to_string()
    } else {
        let n = workloads("cde");
        format!("The CDE is {} {} ({}) running {n} {}", cde.len(), noun(cde.len(), "namespace", "namespaces"), cde.join(", "), noun(n, "workload", "workloads"))
    };
    let others: Vec<String> = ["connected", "security", "out", "unclassified"]
        .iter()
        .filter(|c| workloads(c) > 0)
        .map(|c| format!("{} {}", workloads(c), if *c == "out" { "out of scope" } else { c }))
        .collect();
    if !others.is_empty() {
        let total: usize = ["connected", "security", "out", "unclassified"].iter().map(|c| workloads(c)).sum();
        s.push_str(&format!("; of the other {total} {}, {}", noun(total, "workload", "workloads"), others.join(", ")));
    }
    let i = &r.input;
    s.push_str(&format!("; assessed from {} {} ({}) of {}.", i.objects, noun(i.objects, "object", "objects"), i.kind, i.sources.join(", ")));
    s
}
