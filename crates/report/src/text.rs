//! The terminal report: requirement roll-up first (what an assessor reads), then failures
//! grouped by check with their fix, then what could not be assessed, then one summary line.

use std::collections::BTreeMap;
use std::fmt::Write;

use kubepci_findings::{Finding, RequirementResult, RequirementStatus, Severity, Status};

use crate::{PrintOptions, Report};

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_string() }
    }
    fn status(&self, status: RequirementStatus) -> String {
        let code = match status {
            RequirementStatus::Fail => "1;31",
            RequirementStatus::Excepted => "35",
            RequirementStatus::NotAssessed => "33",
            RequirementStatus::Partial => "36",
            RequirementStatus::Pass => "32",
            RequirementStatus::Manual => "2",
        };
        self.paint(code, &format!("{:<12}", status_label(status)))
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
    let p = &r.provenance;
    let config = match &p.config.source.path {
        Some(path) => format!("{path} ({})", short_digest(p.config.source.sha256.as_deref().unwrap_or(""))),
        None => "defaults (no kubepci.yaml)".to_string(),
    };
    let _ = writeln!(w, "rules: {} checks, registry {} · config: {config}", p.registry.checks, short_digest(&p.registry.sha256));
    let mut changes = p.config.changes();
    if !p.run.only.is_empty() {
        changes.push(format!("only {}", p.run.only.join(", ")));
    }
    if !changes.is_empty() {
        let _ = writeln!(w, "       {}", st.paint("33", &format!("results shaped by: {}", changes.join(" · "))));
    }
    if let Some(line) = exception_lifecycle(r) {
        let _ = writeln!(w, "       {}", st.paint("33", &line));
    }
    if let Some(snap) = &i.snapshot {
        let _ = writeln!(w, "snapshot: sha256 {} collected {}", snap.sha256, snap.collected_at);
    }
    for e in &i.errors {
        let _ = writeln!(w, "  {} {e}", st.paint("31", "error"));
    }
    scope_lines(w, r);

    let _ = writeln!(w, "\n{}", st.paint("1", "PCI DSS requirements"));
    let _ = writeln!(
        w,
        "  {}",
        st.paint(
            "2",
            "PASS all mapped checks passed everywhere (ROC: In Place) · FAIL a check failed (Not in Place) · EXCEPTED only accepted exceptions · NOT ASSESSED evidence missing · PARTIAL no failure, partial evidence · MANUAL no automated check (Not Tested)"
        )
    );
    // Which checks fail a requirement, found once: a large cluster has tens of thousands of findings.
    let failing: std::collections::BTreeSet<&str> = r
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail && f.scope.as_deref() != Some(kubepci_findings::OUT_OF_SCOPE))
        .map(|f| f.check.as_str())
        .collect();
    for req in &r.requirements {
        if req.status == RequirementStatus::Manual && !opts.verbose {
            continue;
        }
        let _ = writeln!(w, "  {} {:<9} {}{}", st.status(req.status), req.id, req.title, st.paint("2", &requirement_detail(&failing, req)));
        for ex in &req.exceptions {
            let object = ex.object.as_deref().unwrap_or("cluster");
            let e = &ex.exception;
            let control = match &e.compensating_control {
                Some(c) if !e.compensates.is_empty() => format!("compensating control: {c} (for {})", e.compensates.join(", ")),
                Some(c) => format!("compensating control: {c}"),
                None => "risk accepted, no compensating control".to_string(),
            };
            let ticket = e.ticket.as_ref().map(|t| format!(", ticket {t}")).unwrap_or_default();
            let until = e.expires.as_ref().map(|d| format!(", until {d}")).unwrap_or_default();
            let _ = writeln!(w, "               {} {} {object}: approved by {}{ticket}{until}; {control}", st.paint("35", "excepted"), ex.check, e.approved_by);
        }
    }
    let manual = r.requirements.iter().filter(|q| q.status == RequirementStatus::Manual).count();
    if manual > 0 && !opts.verbose {
        let _ = writeln!(w, "  {} {manual} {} manual evidence (no automated check; --verbose lists them)", st.status(RequirementStatus::Manual), kubepci_findings::noun(manual, "requirement needs", "requirements need"));
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
            let mark = if f.status == Status::Excepted {
                st.paint("33", "excepted")
            } else if f.scope.as_deref() == Some(kubepci_findings::OUT_OF_SCOPE) {
                // Reported apart: an object declared out of scope fails no requirement.
                st.paint("2", "✗ out of scope:")
            } else {
                st.paint("31", "✗")
            };
            let _ = writeln!(w, "    {mark} {object}{loc}");
            let _ = writeln!(w, "      {}", f.message);
            if let Some(ex) = &f.exception {
                let until = ex.expires.as_ref().map(|e| format!(", until {e}")).unwrap_or_default();
                let control = ex.compensating_control.as_ref().map_or_else(|| "; risk accepted".to_string(), |c| format!("; compensating control: {c}"));
                let _ = writeln!(w, "      exception: {} (approved by {}{until}){control}", ex.reason, ex.approved_by);
            }
        }
        let _ = writeln!(w, "    {} {}", st.paint("32", "fix:"), first.remediation);
    }

    if !r.boundary.is_empty() {
        let unapproved = r.boundary.iter().filter(|b| !b.approved).count();
        let _ = writeln!(w, "\n{}", st.paint("1", &format!("CDE boundary: {} allowed {} into or out of the CDE, {unapproved} not approved", r.boundary.len(), kubepci_findings::noun(r.boundary.len(), "flow crosses", "flows cross"))));
        for b in r.boundary.iter().take(if opts.verbose { usize::MAX } else { 20 }) {
            let mark = if b.approved { st.paint("32", "approved  ") } else { st.paint("31", "unapproved") };
            let via = if b.via.is_empty() { String::new() } else { format!(" (via {})", b.via.join(", ")) };
            let _ = writeln!(w, "  {mark} {} => {} : {}{via}", b.from, b.to, b.connections);
        }
        if r.boundary.len() > 20 && !opts.verbose {
            let _ = writeln!(w, "  … {} more (--verbose or -f json lists all)", r.boundary.len() - 20);
        }
    }

    not_assessed_section(w, r, &st);

    let s = &r.summary;
    let sev: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .filter_map(|sv| s.failed_by_severity.get(sv.as_str()).map(|n| format!("{n} {sv}")))
        .collect();
    let reqs: Vec<String> = RequirementStatus::ALL
        .iter()
        .map(|k| format!("{} {}", s.requirements.get(k.as_str()).copied().unwrap_or(0), k))
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

/// The label of a requirement status in the terminal report.
fn status_label(status: RequirementStatus) -> &'static str {
    match status {
        RequirementStatus::Fail => "FAIL",
        RequirementStatus::Excepted => "EXCEPTED",
        RequirementStatus::NotAssessed => "NOT ASSESSED",
        RequirementStatus::Partial => "PARTIAL",
        RequirementStatus::Pass => "PASS",
        RequirementStatus::Manual => "MANUAL",
    }
}

/// `sha256:0123456789ab…`: enough of a digest to tell reports apart at a glance; JSON has it whole.
fn short_digest(digest: &str) -> String {
    match digest.get(..19) {
        Some(head) if digest.len() > 19 => format!("{head}…"),
        _ => digest.to_string(),
    }
}

/// What follows a requirement's title: the checks that failed it, the checks holding it back,
/// the coverage when partial.
/// `failing`: the checks with an open failure on an in-scope object.
fn requirement_detail(failing: &std::collections::BTreeSet<&str>, req: &RequirementResult) -> String {
    let listed = match req.status {
        RequirementStatus::Fail => req.checks.iter().map(String::as_str).filter(|c| failing.contains(c)).collect(),
        RequirementStatus::NotAssessed => {
            let mut held: Vec<&str> = req.missing_evidence.iter().map(|m| m.check.as_str()).collect();
            held.dedup();
            held
        }
        _ => Vec::new(),
    };
    let mut parts = Vec::new();
    if !listed.is_empty() {
        parts.push(format!("[{}]", listed.join(", ")));
    }
    if req.coverage.in_scope > req.coverage.assessed && req.status != RequirementStatus::NotAssessed {
        parts.push(format!("({} of {} decided)", req.coverage.assessed, req.coverage.in_scope));
    }
    if parts.is_empty() { String::new() } else { format!("  {}", parts.join(" ")) }
}

/// Not-assessed results, once per distinct reason (those holding back the most checks first),
/// with what unlocks it where one action does, the checks it holds back and the requirements
/// those checks leave undecided (JSON keeps every item).
fn not_assessed_section(w: &mut String, r: &crate::Report, st: &Style) {
    let mut by_reason: BTreeMap<&str, (std::collections::BTreeSet<&str>, usize)> = BTreeMap::new();
    for f in r.findings.iter().filter(|f| f.status == Status::NotAssessed) {
        let e = by_reason.entry(&f.message).or_default();
        e.0.insert(&f.check);
        e.1 += 1;
    }
    for c in r.checks.iter().filter(|c| c.summary.not_run.is_some()) {
        let e = by_reason.entry(c.summary.not_run.as_deref().unwrap_or_default()).or_default();
        e.0.insert(&c.summary.check);
        e.1 += 1;
    }
    if by_reason.is_empty() {
        return;
    }
    let _ = writeln!(w, "\n{}", st.paint("1", "Not assessed (the input cannot decide these; they are not passes)"));
    // The reasons that hold back the most checks first: the first action unlocks the most.
    let mut by_reason: Vec<_> = by_reason.into_iter().collect();
    by_reason.sort_by_key(|(reason, (checks, _))| (std::cmp::Reverse(checks.len()), *reason));
    for (reason, (checks, n)) in by_reason {
        let mut held: Vec<&str> = r
            .requirements
            .iter()
            .filter(|q| q.missing_evidence.iter().any(|m| m.reason == reason))
            .map(|q| q.id.as_str())
            .collect();
        held.dedup();
        let times = if n > checks.len() { format!(" (×{n})") } else { String::new() };
        let reqs = if held.is_empty() { String::new() } else { format!("; holds back {}", held.join(", ")) };
        let checks: Vec<&str> = checks.into_iter().collect();
        let _ = writeln!(w, "  {} {reason}{times}", st.paint("33", "•"));
        if let Some(u) = crate::unlock(reason) {
            let waiting = format!("{} {} {}:", checks.len(), kubepci_findings::noun(checks.len(), "check waits for", "checks wait for"), u.waits_for);
            let _ = writeln!(w, "      {} {}", st.paint("32", &waiting), u.action);
        }
        let _ = writeln!(w, "      {}{}", checks.join(", "), st.paint("2", &reqs));
    }
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

/// `exceptions: 1 expired, 2 unused, …` when any exception needs its owner (expired, expiring
/// within 30 days, or matching no finding); nothing when all are active.
fn exception_lifecycle(r: &Report) -> Option<String> {
    use kubepci_checks::exceptions::{EXPIRING_WITHIN_DAYS, Lifecycle, register};
    let today = r.provenance.run.date.as_deref().or_else(|| r.generated_at.get(..10));
    let statuses = register(&r.provenance.config.exceptions, Some(&r.findings), today);
    let count = |l: Lifecycle| statuses.iter().filter(|s| s.status == l).count();
    let parts: Vec<String> = [(Lifecycle::Expired, "expired".to_string()), (Lifecycle::Expiring, format!("expiring within {EXPIRING_WITHIN_DAYS} days")), (Lifecycle::Unused, "unused".to_string())]
        .into_iter()
        .filter_map(|(l, what)| (count(l) > 0).then(|| format!("{} {what}", count(l))))
        .collect();
    (!parts.is_empty()).then(|| format!("exceptions needing their owner: {}; `kubepci exceptions list` shows them", parts.join(", ")))
}
