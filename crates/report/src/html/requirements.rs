//! The per-requirement table: ROC-style status, coverage, and a drill-down per requirement to
//! the checks behind it, their fix and each of their findings (linked to its full entry).

use std::collections::{HashMap, HashSet};

use kubepci_findings::{RequirementResult, RequirementStatus, Status};

use super::escape::anchor;
use super::{escape, finding_line, section, status_label, w};
use crate::Report;

/// Findings of one check listed under one requirement; the rest are counted and linked.
const FINDINGS_PER_CHECK: usize = 20;
/// Missing-evidence items listed under one requirement.
const MISSING_SHOWN: usize = 20;

pub fn write(o: &mut String, r: &Report) {
    section(o, "requirements");
    w!(o, "<p class=\"small muted\">One row per PCI DSS {} requirement number. Open a row for the checks behind it, their fix and their findings. Coverage: results that decided an object, of all results of the mapped checks.</p>\n", escape(&r.standard.version));
    // Requirement number → indices of its findings, found once (large reports have many).
    let mut by_requirement: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, f) in r.findings.iter().enumerate() {
        for q in f.requirements.iter() {
            by_requirement.entry(q.as_str()).or_default().push(i);
        }
    }
    // Checks with an entry in the Findings section (the others have nothing to link to).
    let listed: HashSet<&str> = r.findings.iter().map(|f| f.check.as_str()).collect();
    w!(o, "<table class=\"requirements\">\n<thead><tr><th>Requirement</th><th>Status</th><th>ROC</th><th>Coverage</th><th>Results</th></tr></thead>\n");
    for q in &r.requirements {
        let findings = by_requirement.get(q.id.as_str()).map_or(&[][..], Vec::as_slice);
        row(o, r, q, findings, &listed);
    }
    w!(o, "</table>\n</section>\n");
}

fn row(o: &mut String, r: &Report, q: &RequirementResult, findings: &[usize], listed: &HashSet<&str>) {
    let status = q.status.as_str();
    w!(o, "<tbody data-filter data-status=\"{status}\">\n<tr data-requirement=\"{}\" id=\"{}\">", escape(&q.id), anchor("r-", &q.id));
    w!(o, "<td><b>{}</b> {}</td>", escape(&q.id), escape(&q.title));
    w!(o, "<td><span class=\"badge s-{status}\">{}</span></td>", status_label(q.status));
    w!(o, "<td>{}", escape(q.roc.as_str()));
    if let Some(note) = &q.roc_note {
        w!(o, "<br><span class=\"small muted\">{}</span>", escape(note));
    }
    w!(o, "</td>");
    let c = q.coverage;
    match (c.assessed * 100).checked_div(c.in_scope) {
        None => w!(o, "<td class=\"muted\">–</td>"),
        Some(pct) => w!(o, "<td class=\"cov\"><span class=\"bar\"><i style=\"width:{pct}%\"></i></span>{}/{}</td>", c.assessed, c.in_scope),
    }
    if q.status == RequirementStatus::Manual {
        w!(o, "<td class=\"muted\">no automated check</td></tr>\n</tbody>\n");
        return;
    }
    w!(o, "<td class=\"small\">{} failed · {} excepted · {} not assessed · {} passed", q.failed, q.excepted, q.not_assessed, q.passed);
    if q.failed_out_of_scope > 0 {
        w!(o, "<br>{} failed on out-of-scope objects", q.failed_out_of_scope);
    }
    w!(o, "</td></tr>\n<tr class=\"drill\"><td colspan=\"5\"><details><summary class=\"small\">{} {} · {}</summary>\n", q.checks.len(), kubepci_findings::noun(q.checks.len(), "check", "checks"), escape(&q.checks.join(", ")));
    if let Some(reason) = q.decidable_reason {
        w!(o, "<p class=\"small\">Cluster data settles this requirement: {}</p>\n", escape(reason));
    } else if !q.decidable {
        w!(o, "<p class=\"small muted\">Cluster data can only support this requirement; the assessor completes it.</p>\n");
    }
    for check in &q.checks {
        check_block(o, r, check, findings, listed.contains(check.as_str()));
    }
    if !q.exceptions.is_empty() {
        w!(o, "<p><b>Accepted exceptions</b></p><ul>\n");
        for ex in &q.exceptions {
            let e = &ex.exception;
            w!(o, "<li><code>{}</code> {}: approved by {}", escape(&ex.check), escape(ex.object.as_deref().unwrap_or("cluster")), escape(&e.approved_by));
            if let Some(t) = &e.ticket {
                w!(o, ", ticket {}", escape(t));
            }
            if let Some(d) = &e.expires {
                w!(o, ", until {}", escape(d));
            }
            match &e.compensating_control {
                Some(c) => w!(o, "; compensating control: {}", escape(c)),
                None => w!(o, "; risk accepted, no compensating control"),
            }
            w!(o, "</li>\n");
        }
        w!(o, "</ul>\n");
    }
    if !q.missing_evidence.is_empty() {
        w!(o, "<p><b>Missing evidence</b></p><ul class=\"small\">\n");
        for m in q.missing_evidence.iter().take(MISSING_SHOWN) {
            w!(o, "<li><code>{}</code> {}: {}</li>\n", escape(&m.check), escape(m.object.as_deref().unwrap_or("(whole check)")), escape(&m.reason));
        }
        if q.missing_evidence.len() > MISSING_SHOWN {
            w!(o, "<li class=\"muted\">and {} more (JSON report: requirements[].missingEvidence)</li>\n", q.missing_evidence.len() - MISSING_SHOWN);
        }
        w!(o, "</ul>\n");
    }
    w!(o, "</details></td></tr>\n</tbody>\n");
}

/// One mapped check under a requirement: its counts, its fix and its findings here.
fn check_block(o: &mut String, r: &Report, check: &str, findings: &[usize], listed: bool) {
    let info = r.check(check);
    let title = info.map_or("", |c| c.summary.title.as_str());
    if listed {
        w!(o, "<div class=\"check\"><p><a href=\"#{}\"><code>{}</code></a> {}", anchor("c-", check), escape(check), escape(title));
    } else {
        w!(o, "<div class=\"check\"><p><code>{}</code> {}", escape(check), escape(title));
    }
    if let Some(c) = info {
        let s = &c.summary;
        match &s.not_run {
            Some(why) => w!(o, " <span class=\"muted small\">· did not run: {}</span>", escape(why)),
            None => w!(o, " <span class=\"muted small\">· {} failed, {} excepted, {} not assessed, {} passed</span>", s.failed, s.excepted, s.not_assessed, s.passed),
        }
    }
    w!(o, "</p>\n");
    let mine: Vec<usize> = findings.iter().copied().filter(|&i| r.findings[i].check == check && r.findings[i].status != Status::Pass).collect();
    if !mine.is_empty() {
        w!(o, "<ul>\n");
        for &i in mine.iter().take(FINDINGS_PER_CHECK) {
            finding_line(o, i, &r.findings[i]);
        }
        if mine.len() > FINDINGS_PER_CHECK {
            w!(o, "<li class=\"muted\">and {} more: see <a href=\"#{}\">{}</a> in Findings</li>\n", mine.len() - FINDINGS_PER_CHECK, anchor("c-", check), escape(check));
        }
        w!(o, "</ul>\n");
        if let Some(c) = info {
            w!(o, "<p class=\"fix small\"><b>Fix:</b> {}</p>\n", super::escape::with_code_spans(&c.remediation));
        }
    }
    w!(o, "</div>\n");
}
