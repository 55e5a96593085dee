//! The terminal report: requirement roll-up first (what an assessor reads), then failures
//! grouped by check with their fix, then what could not be assessed, then one summary line.

use std::collections::BTreeMap;
use std::fmt::Write;

use kubepci_findings::{Finding, Severity, Status};

use crate::{PrintOptions, Report};

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_string() }
    }
    fn status(&self, status: &str) -> String {
        let label = match status {
            "fail" => "FAIL",
            "pass" => "PASS",
            "partial" => "PART",
            "not-assessed" => "N/A ",
            "manual" => "MAN ",
            _ => status,
        };
        let code = match status {
            "fail" => "1;31",
            "pass" => "32",
            "partial" => "36",
            "not-assessed" => "33",
            _ => "2",
        };
        self.paint(code, label)
    }
    fn severity(&self, s: Severity) -> String {
        let code = match s {
            Severity::Critical => "1;35",
            Severity::High => "1;31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::Info => "2",
        };
        self.paint(code, &format!("{:<8}", s.as_str().to_uppercase()))
    }
}

pub fn render(r: &Report, opts: PrintOptions) -> String {
    let st = Style { on: opts.color };
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "{}", st.paint("1", &format!("kubepci {} · {} {} assessment", r.tool.version, r.standard.name, r.standard.version)));
    let i = &r.input;
    let _ = writeln!(
        w,
        "input: {} ({}), {} files, {} documents, {} objects{}",
        i.sources.join(" "),
        i.kind,
        i.files,
        i.documents,
        i.objects,
        if i.errors.is_empty() { String::new() } else { format!(", {} failed to load", i.errors.len()) }
    );
    if let Some(snap) = &i.snapshot {
        let _ = writeln!(w, "snapshot: sha256 {} collected {}", snap.sha256, snap.collected_at);
    }
    for e in &i.errors {
        let _ = writeln!(w, "  {} {}:{}:{}: {}", st.paint("31", "error"), e.file, e.line, e.column, e.message);
    }
    scope_lines(w, r);

    let _ = writeln!(w, "\n{}", st.paint("1", "PCI DSS requirements"));
    let _ = writeln!(w, "  {}", st.paint("2", "PASS decided by cluster data · PART no failure, partial evidence · N/A input cannot decide · MAN manual evidence"));
    for req in &r.requirements {
        if req.status == "manual" && !opts.verbose {
            continue;
        }
        let failing: Vec<&str> = req
            .checks
            .iter()
            .filter(|c| r.check(c).is_some_and(|ci| ci.summary.failed > 0))
            .map(String::as_str)
            .collect();
        let detail = if failing.is_empty() { String::new() } else { format!("  [{}]", failing.join(", ")) };
        let _ = writeln!(w, "  {} {:<9} {}{}", st.status(&req.status), req.id, req.title, st.paint("2", &detail));
    }
    let manual = r.requirements.iter().filter(|q| q.status == "manual").count();
    if manual > 0 && !opts.verbose {
        let _ = writeln!(w, "  {} {manual} {} manual evidence (no automated check; --verbose lists them)", st.status("manual"), kubepci_findings::noun(manual, "requirement needs", "requirements need"));
    }

    let mut by_check: BTreeMap<(std::cmp::Reverse<Severity>, &str), Vec<&Finding>> = BTreeMap::new();
    for f in r.findings.iter().filter(|f| matches!(f.status, Status::Fail | Status::Excepted)) {
        by_check.entry((std::cmp::Reverse(f.severity), &f.check)).or_default().push(f);
    }
    if !by_check.is_empty() {
        let _ = writeln!(w, "\n{}", st.paint("1", "Findings"));
    }
    for ((sev, check), findings) in &by_check {
        let first = findings[0];
        let _ = writeln!(w, "\n  {} {} {} ({})", st.severity(sev.0), st.paint("1", check), first.title, first.requirements.join(", "));
        for f in findings {
            let object = f.object.as_ref().map_or_else(|| "cluster".to_string(), |o| o.to_string());
            let loc = f.location.as_ref().map(|l| format!("  {}", st.paint("2", &l.to_string()))).unwrap_or_default();
            let mark = if f.status == Status::Excepted { st.paint("33", "excepted") } else { st.paint("31", "✗") };
            let _ = writeln!(w, "    {mark} {object}{loc}");
            let _ = writeln!(w, "      {}", f.message);
            if let Some(ex) = &f.exception {
                let _ = writeln!(w, "      exception: {} (approved by {}{})", ex.reason, ex.approved_by, ex.expires.as_ref().map(|e| format!(", until {e}")).unwrap_or_default());
            }
        }
        let _ = writeln!(w, "    {} {}", st.paint("32", "fix:"), first.remediation);
    }

    if !r.boundary.is_empty() {
        let unapproved = r.boundary.iter().filter(|b| !b.approved).count();
        let _ = writeln!(w, "\n{}", st.paint("1", &format!("CDE boundary: {} allowed {} into or out of the CDE, {unapproved} not approved", r.boundary.len(), kubepci_findings::noun(r.boundary.len(), "flow crosses", "flows cross"))));
        for b in r.boundary.iter().take(if opts.verbose { usize::MAX } else { 20 }) {
            let mark = if b.approved { st.paint("32", "approved  ") } else { st.paint("31", "unapproved") };
            let _ = writeln!(w, "  {mark} {} => {} : {}", b.from, b.to, b.connections);
        }
        if r.boundary.len() > 20 && !opts.verbose {
            let _ = writeln!(w, "  … {} more (--verbose or -f json lists all)", r.boundary.len() - 20);
        }
    }

    let not_assessed: Vec<&Finding> = r.findings.iter().filter(|f| f.status == Status::NotAssessed).collect();
    if !not_assessed.is_empty() {
        let _ = writeln!(w, "\n{}", st.paint("1", "Not assessed (the input cannot decide these; they are not passes)"));
        let mut by_reason: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for f in &not_assessed {
            *by_reason.entry((&f.check, &f.message)).or_default() += 1;
        }
        for ((check, reason), n) in by_reason {
            let times = if n > 1 { format!(" (×{n})") } else { String::new() };
            let _ = writeln!(w, "  {} {check}: {reason}{times}", st.status("not-assessed"));
        }
    }

    let s = &r.summary;
    let sev: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .filter_map(|sv| s.failed_by_severity.get(sv.as_str()).map(|n| format!("{n} {sv}")))
        .collect();
    let reqs: Vec<String> = ["fail", "pass", "partial", "not-assessed", "manual"]
        .iter()
        .map(|k| format!("{} {}", s.requirements.get(*k).copied().unwrap_or(0), k))
        .collect();
    let _ = writeln!(
        w,
        "\n{} requirements: {} · findings: {} failed{}, {} excepted, {} not assessed, {} passed",
        st.paint("1", "Summary:"),
        reqs.join(", "),
        s.failed,
        if sev.is_empty() { String::new() } else { format!(" ({})", sev.join(", ")) },
        s.excepted,
        s.not_assessed,
        s.passed
    );
    out
}

fn scope_lines(w: &mut String, r: &Report) {
    let mut by_scope: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for ns in &r.scope.namespaces {
        by_scope.entry(ns.scope.as_str()).or_default().push(&ns.name);
    }
    let order = ["cde", "connected", "security", "out", "unclassified"];
    let parts: Vec<String> = order
        .iter()
        .filter_map(|s| by_scope.get(s).map(|names| format!("{s}: {}", names.join(", "))))
        .collect();
    if !parts.is_empty() {
        let _ = writeln!(w, "scope: namespaces {}", parts.join(" · "));
    }
    let wl: Vec<String> = order.iter().filter_map(|s| r.scope.workloads.get(*s).map(|n| format!("{n} {s}"))).collect();
    if !wl.is_empty() {
        let _ = writeln!(w, "       workloads {}", wl.join(", "));
    }
}
