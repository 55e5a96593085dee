//! The RBAC access review: who can read CDE Secrets, who can run code or exec in CDE pods,
//! which escalation paths lead into the CDE, and who is cluster-admin. It is read from the
//! findings of the RBAC checks (their evidence names subject, binding, role and grants), so it
//! lists the subjects kubepci.yaml does not approve; the approved ones are named above it.

use kubepci_findings::{Finding, Status};

use super::{escape, finding_anchor, section, w};
use crate::Report;

/// (check, question answered, what a row's last column shows).
const REVIEWS: &[(&str, &str, &str)] = &[
    ("RBAC-003", "Who can read Secrets in the CDE", "Grants"),
    ("RBAC-005", "Who can run code or exec into CDE pods", "Grants"),
    ("RBAC-011", "Escalation paths into the CDE", "Path"),
    ("RBAC-001", "Who is cluster-admin", "Grants"),
];

/// Rows listed per review; the Findings section has every one.
const ROWS: usize = 100;

pub fn write(o: &mut String, r: &Report) {
    section(o, "access");
    let approved = &r.provenance.config.approved_subjects;
    if approved.is_empty() {
        w!(o, "<p>No subject is approved in <code>approvedSubjects</code>: every subject with these rights is listed.</p>\n");
    } else {
        let names: Vec<String> = approved.iter().map(|s| match &s.namespace {
            Some(ns) => format!("{}:{ns}/{}", s.kind, s.name),
            None => format!("{}:{}", s.kind, s.name),
        }).collect();
        w!(o, "<p>Approved in <code>approvedSubjects</code> (not listed below): {}.</p>\n", escape(&names.join(", ")));
    }
    for (check, question, last) in REVIEWS {
        review(o, r, check, question, last);
    }
    w!(o, "</section>\n");
}

fn review(o: &mut String, r: &Report, check: &str, question: &str, last: &str) {
    if r.findings.iter().any(|f| f.check == check) {
        w!(o, "<h3>{question} <span class=\"muted small\"><a href=\"#{}\">{check}</a></span></h3>\n", super::escape::anchor("c-", check));
    } else {
        w!(o, "<h3>{question} <span class=\"muted small\">{check}</span></h3>\n");
    }
    let Some(info) = r.check(check) else {
        w!(o, "<p class=\"muted\">This kubepci has no check {check}.</p>\n");
        return;
    };
    if let Some(why) = &info.summary.not_run {
        w!(o, "<p class=\"muted\">Not reviewed: the check did not run ({}).</p>\n", escape(why));
        return;
    }
    let rows: Vec<(usize, &Finding)> = r.findings.iter().enumerate().filter(|(_, f)| f.check == check && f.status != Status::Pass).collect();
    if rows.is_empty() {
        w!(o, "<p>None beyond the approved subjects ({} {} checked).</p>\n", info.summary.passed, kubepci_findings::noun(info.summary.passed, "result", "results"));
        return;
    }
    w!(o, "<table><thead><tr><th>Subject</th><th>Binding and role</th><th>{last}</th><th>Status</th></tr></thead><tbody>\n");
    for (i, f) in rows.iter().take(ROWS) {
        let values = |path: &str| -> Vec<&str> { f.evidence.iter().filter(|e| e.path == path).filter_map(|e| e.value.as_deref()).collect() };
        let subjects = values("subject");
        let detail: Vec<&str> = if last == "Path" { f.evidence.iter().filter(|e| e.path.starts_with("steps[")).filter_map(|e| e.value.as_deref()).collect() } else { values("grants") };
        w!(o, "<tr data-finding=\"{}\" data-object=\"{}\"><td>", escape(&f.check), escape(&super::object_label(f)));
        if subjects.is_empty() {
            w!(o, "{}", escape(&f.message));
        } else {
            for s in &subjects {
                w!(o, "<code>{}</code><br>", escape(s));
            }
        }
        w!(o, "</td><td class=\"small\">");
        for b in values("binding").iter().chain(values("role").iter()) {
            w!(o, "{}<br>", escape(b));
        }
        w!(o, "</td><td class=\"small\">");
        if detail.is_empty() {
            w!(o, "{}", escape(&f.message));
        } else if last == "Path" {
            w!(o, "<ol>");
            for step in &detail {
                w!(o, "<li>{}</li>", escape(step));
            }
            w!(o, "</ol>");
        } else {
            w!(o, "{}", escape(&detail.join("; ")));
        }
        w!(o, "</td><td><a href=\"#{}\"><span class=\"badge s-{}\">{}</span></a></td></tr>\n", finding_anchor(*i), f.status.as_str(), super::finding_status_label(f.status));
    }
    w!(o, "</tbody></table>\n");
    if rows.len() > ROWS {
        w!(o, "<p class=\"muted\">The first {ROWS} of {}; the Findings section lists every one.</p>\n", rows.len());
    }
}
