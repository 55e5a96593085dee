//! The RBAC access review: first every grant of a sensitive capability in a CDE namespace or
//! cluster-wide (the report's `access`, approved subjects included), then what the checks
//! fail: who can read CDE Secrets, run code or exec in CDE pods, which escalation paths lead
//! into the CDE and who is cluster-admin, from the findings' evidence (subject, binding, role,
//! grants or path).

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

/// Grants listed in the overview table; the JSON report's `access` has every one.
const GRANTS_SHOWN: usize = 300;

/// Capabilities (as `kubepci rbac review` names them) by the question they answer.
const READ_SECRETS: &[&str] = &["everything", "get-secrets", "list-secrets"];
const RUN_CODE: &[&str] = &["everything", "exec-pods", "run-workloads", "create-pods", "patch-pods", "port-forward", "node-proxy"];
const ESCALATE: &[&str] = &["everything", "bind-cluster-roles", "bind-roles", "escalate-roles", "write-bindings", "impersonate-users", "impersonate-groups", "impersonate-service-accounts", "create-tokens", "approve-csr", "write-webhooks"];

pub fn write(o: &mut String, r: &Report) {
    section(o, "access");
    overview(o, r);
    let approved = &r.provenance.config.approved_subjects;
    if approved.is_empty() {
        w!(o, "<p>No subject is approved in <code>approvedSubjects</code>: the checks below list every subject with these rights.</p>\n");
    } else {
        let names: Vec<String> = approved.iter().map(|s| match &s.namespace {
            Some(ns) => format!("{}:{ns}/{}", s.kind, s.name),
            None => format!("{}:{}", s.kind, s.name),
        }).collect();
        w!(o, "<p>The checks below exempt the subjects approved in <code>approvedSubjects</code>: {}.</p>\n", escape(&names.join(", ")));
    }
    w!(o, "<p class=\"small muted\">The grants the checks fail, with the evidence behind each:</p>\n");
    for (check, question, last) in REVIEWS {
        review(o, r, check, question, last);
    }
    w!(o, "</section>\n");
}

/// Every grant of a sensitive capability on the CDE, approved or not (the report's `access`).
fn overview(o: &mut String, r: &Report) {
    let grants = &r.access;
    if grants.is_empty() {
        w!(o, "<p>No subject holds a sensitive capability (Secret reads, exec, running workloads, escalation) in a CDE namespace or cluster-wide.</p>\n");
        return;
    }
    let approved = grants.iter().filter(|g| g.approved).count();
    w!(o, "<p>{} {} of a sensitive capability in a CDE namespace or cluster-wide; {approved} to approved subjects. Review each (PCI DSS 7.2.4, 7.2.5.1).</p>\n", grants.len(), kubepci_findings::noun(grants.len(), "grant", "grants"));
    w!(o, "<table class=\"access\"><thead><tr><th>Subject</th><th>Where</th><th>Through</th><th>Reads Secrets</th><th>Runs code / exec</th><th>Can escalate</th><th>Approved</th></tr></thead><tbody>\n");
    let mark = |g: &crate::AccessGrant, set: &[&str]| {
        let hits: Vec<&str> = g.capabilities.iter().map(String::as_str).filter(|c| set.contains(c)).collect();
        if hits.is_empty() { String::new() } else { format!("<span class=\"flow-unapproved\">yes</span><br><span class=\"small muted\">{}</span>", escape(&hits.join(", "))) }
    };
    for g in grants.iter().take(GRANTS_SHOWN) {
        w!(
            o,
            "<tr data-access=\"{}\"><td><code>{}</code></td><td>{}</td><td class=\"small\">{}<br>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            if g.approved { "approved" } else { "unapproved" },
            escape(&g.subject),
            escape(&g.scope),
            escape(&g.binding),
            escape(&g.role),
            mark(g, READ_SECRETS),
            mark(g, RUN_CODE),
            mark(g, ESCALATE),
            if g.approved { "<span class=\"flow-approved\">approved</span>" } else { "no" }
        );
    }
    w!(o, "</tbody></table>\n");
    if grants.len() > GRANTS_SHOWN {
        w!(o, "<p class=\"muted\">The first {GRANTS_SHOWN} of {} grants; the JSON report's <code>access</code> and <code>kubepci rbac review</code> list every one.</p>\n", grants.len());
    }
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
