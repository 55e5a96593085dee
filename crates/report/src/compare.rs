//! What two assessments differ in: failures that appeared, failures that went away, namespaces
//! whose scope class changed, requirements whose status changed.
//!
//! Both sides are a [`RunContent`]: the part of a report that a comparison (and the run
//! history) needs, built from a [`Report`] in memory or read back from a `scan -f json` file
//! (unknown fields are ignored, so any `kubepci.io/report/v2` report reads). Findings hold
//! only what the report holds, which is already redacted (no Secret values, card numbers
//! masked). Pure logic: no I/O.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use kubepci_findings::{Severity, Status};
use serde::{Deserialize, Serialize};

use crate::Report;

/// The comparable content of one assessment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunContent {
    #[serde(default)]
    pub summary: RunSummary,
    #[serde(default)]
    pub requirements: Vec<RequirementStatus>,
    #[serde(default)]
    pub findings: Vec<FindingRecord>,
    #[serde(default)]
    pub scope: ScopeRecord,
}

/// The report's `summary`, as numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunSummary {
    #[serde(default)]
    pub failed: usize,
    #[serde(default)]
    pub excepted: usize,
    #[serde(default)]
    pub not_assessed: usize,
    #[serde(default)]
    pub passed: usize,
    #[serde(default)]
    pub failed_by_severity: BTreeMap<String, usize>,
    #[serde(default)]
    pub requirements: BTreeMap<String, usize>,
}

impl RunSummary {
    pub fn of(s: &crate::model::Summary) -> RunSummary {
        RunSummary {
            failed: s.failed,
            excepted: s.excepted,
            not_assessed: s.not_assessed,
            passed: s.passed,
            failed_by_severity: s.failed_by_severity.clone(),
            requirements: s.requirements.clone(),
        }
    }
}

/// One requirement's roll-up status (`fail`, `pass`, `partial`, …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequirementStatus {
    pub id: String,
    pub status: String,
}

/// One finding, without its location, evidence and remediation text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRecord {
    pub check: String,
    pub status: Status,
    pub severity: Severity,
    #[serde(default)]
    pub requirements: Vec<String>,
    /// `Kind/namespace/name` or `Kind/name`; absent for results about the input as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "object_key")]
    pub object: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub message: String,
}

/// Namespaces and their scope class.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeRecord {
    #[serde(default)]
    pub namespaces: Vec<NamespaceClass>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespaceClass {
    pub name: String,
    pub scope: String,
}

/// A finding's object reads either as the report's `{apiVersion, kind, namespace?, name}` or as
/// the key string a [`RunContent`] writes.
fn object_key<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Key(String),
        Ref { kind: String, namespace: Option<String>, name: String },
    }
    Ok(Option::<Either>::deserialize(de)?.map(|o| match o {
        Either::Key(k) => k,
        Either::Ref { kind, namespace: Some(ns), name } => format!("{kind}/{ns}/{name}"),
        Either::Ref { kind, namespace: None, name } => format!("{kind}/{name}"),
    }))
}

impl RunContent {
    /// The comparable content of a report in memory.
    pub fn of(report: &Report) -> RunContent {
        RunContent {
            summary: RunSummary::of(&report.summary),
            requirements: report.requirements.iter().map(|r| RequirementStatus { id: r.id.clone(), status: r.status.as_str().to_string() }).collect(),
            findings: report.findings.iter().map(FindingRecord::of).collect(),
            scope: ScopeRecord { namespaces: report.scope.namespaces.iter().map(|n| NamespaceClass { name: n.name.clone(), scope: n.scope.clone() }).collect() },
        }
    }

    /// Read a `kubepci scan -f json` report (or a serialised [`RunContent`]).
    pub fn from_report_json(text: &str) -> Result<RunContent, String> {
        let content: RunContent = serde_json::from_str(text).map_err(|e| format!("not a kubepci JSON report: {e}"))?;
        Ok(content)
    }

    /// Requirements currently failing.
    pub fn requirements_failing(&self) -> usize {
        self.requirements.iter().filter(|r| r.status == "fail").count()
    }

    /// Open failures of critical severity.
    pub fn critical_failures(&self) -> usize {
        self.findings.iter().filter(|f| f.status == Status::Fail && f.severity == Severity::Critical).count()
    }
}

impl FindingRecord {
    /// The record of a report's finding (whose message the report redacted).
    pub fn of(f: &kubepci_findings::Finding) -> FindingRecord {
        FindingRecord {
            check: f.check.to_string(),
            status: f.status,
            severity: f.severity,
            requirements: f.requirements.to_vec(),
            object: f.object.as_ref().map(ToString::to_string),
            scope: f.scope.as_ref().map(ToString::to_string),
            message: f.message.clone(),
        }
    }

    /// What identifies a finding across runs: the check and its object (the message for a
    /// result about the input as a whole). A changed message on the same object is a change
    /// of an open failure, not a fix and a new failure.
    fn key(&self) -> (&str, &str) {
        (&self.check, self.object.as_deref().unwrap_or(&self.message))
    }
}

/// The differences from one run to the next.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diff {
    pub summary: DiffSummary,
    /// Failures in `to` that `from` did not have, most severe first.
    pub new_failures: Vec<FindingRecord>,
    /// Failures in `from` that `to` no longer has, with what they became.
    pub fixed: Vec<Fixed>,
    /// Failures open in both whose message changed (what fails on the object changed).
    pub changed: Vec<Changed>,
    pub scope_changes: Vec<ScopeChange>,
    pub requirement_changes: Vec<RequirementChange>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffSummary {
    pub new_failures: usize,
    pub fixed: usize,
    pub changed: usize,
    pub scope_changes: usize,
    pub requirement_changes: usize,
    /// Requirements that were not failing and now are.
    pub requirements_now_failing: usize,
}

/// A failure that went away: `now` is `pass`, `excepted`, `not-assessed`, or `absent` (no
/// result listed: it passes, as reports list passes only with `--include-passed`, or the
/// object was removed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fixed {
    #[serde(flatten)]
    pub finding: FindingRecord,
    pub now: String,
}

/// A failure open in both runs whose message changed; `finding` is the later one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Changed {
    #[serde(flatten)]
    pub finding: FindingRecord,
    pub previous_message: String,
}

/// A namespace whose scope class changed; `None` where it did not exist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScopeChange {
    pub namespace: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RequirementChange {
    pub id: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl Diff {
    /// Whether any change happened at all.
    pub fn is_empty(&self) -> bool {
        self.new_failures.is_empty() && self.fixed.is_empty() && self.changed.is_empty() && self.scope_changes.is_empty() && self.requirement_changes.is_empty()
    }

    /// Whether a new failure at or above `threshold` appeared (the CI gate of `kubepci diff`).
    pub fn regressed(&self, threshold: Severity) -> bool {
        self.new_failures.iter().any(|f| f.severity >= threshold)
    }
}

/// Compare two runs.
pub fn diff(from: &RunContent, to: &RunContent) -> Diff {
    type Key = (String, String);
    fn failing(run: &RunContent) -> BTreeMap<Key, &FindingRecord> {
        let mut out = BTreeMap::new();
        for f in run.findings.iter().filter(|f| f.status == Status::Fail) {
            out.entry(owned(f.key())).or_insert(f);
        }
        out
    }
    let (was, is) = (failing(from), failing(to));
    let mut new_failures: Vec<FindingRecord> = is.iter().filter(|(k, _)| !was.contains_key(*k)).map(|(_, f)| (*f).clone()).collect();
    new_failures.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.key().cmp(&b.key())));
    let mut changed: Vec<Changed> = is
        .iter()
        .filter_map(|(k, f)| was.get(k).filter(|old| old.message != f.message).map(|old| Changed { finding: (*f).clone(), previous_message: old.message.clone() }))
        .collect();
    changed.sort_by(|a, b| b.finding.severity.cmp(&a.finding.severity).then_with(|| a.finding.key().cmp(&b.finding.key())));

    // What a fixed failure became: the best status any result of its key has now.
    let mut now_status: BTreeMap<Key, Status> = BTreeMap::new();
    for f in &to.findings {
        now_status.entry(owned(f.key())).and_modify(|s| *s = (*s).min(f.status)).or_insert(f.status);
    }
    let mut fixed: Vec<Fixed> = was
        .iter()
        .filter(|(k, _)| !is.contains_key(*k))
        .map(|(k, f)| Fixed { finding: (*f).clone(), now: now_status.get(k).map_or("absent", |s| s.as_str()).to_string() })
        .collect();
    fixed.sort_by(|a, b| b.finding.severity.cmp(&a.finding.severity).then_with(|| a.finding.key().cmp(&b.finding.key())));

    let classes = |run: &RunContent| -> BTreeMap<String, String> { run.scope.namespaces.iter().map(|n| (n.name.clone(), n.scope.clone())).collect() };
    let scope_changes = changes(&classes(from), &classes(to)).into_iter().map(|(namespace, from, to)| ScopeChange { namespace, from, to }).collect::<Vec<_>>();

    let statuses = |run: &RunContent| -> BTreeMap<String, String> { run.requirements.iter().map(|r| (r.id.clone(), r.status.clone())).collect() };
    let mut requirement_changes: Vec<RequirementChange> = changes(&statuses(from), &statuses(to)).into_iter().map(|(id, from, to)| RequirementChange { id, from, to }).collect();
    // In the standard's order (1.2.10 after 1.2.9), not the string order.
    requirement_changes.sort_by_key(|c| requirement_order(&c.id));
    let requirements_now_failing = requirement_changes.iter().filter(|c| c.to.as_deref() == Some("fail")).count();

    Diff {
        summary: DiffSummary {
            new_failures: new_failures.len(),
            fixed: fixed.len(),
            changed: changed.len(),
            scope_changes: scope_changes.len(),
            requirement_changes: requirement_changes.len(),
            requirements_now_failing,
        },
        new_failures,
        fixed,
        changed,
        scope_changes,
        requirement_changes,
    }
}

fn owned((a, b): (&str, &str)) -> (String, String) {
    (a.to_string(), b.to_string())
}

/// Keys whose value differs between two maps (present on one side only included).
fn changes(from: &BTreeMap<String, String>, to: &BTreeMap<String, String>) -> Vec<(String, Option<String>, Option<String>)> {
    let keys: BTreeSet<&String> = from.keys().chain(to.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let (a, b) = (from.get(k), to.get(k));
            (a != b).then(|| (k.clone(), a.cloned(), b.cloned()))
        })
        .collect()
}

/// `1.2.10` as `[1, 2, 10]`; parts that are not numbers sort after numbers.
fn requirement_order(id: &str) -> Vec<u64> {
    id.split('.').map(|p| p.parse().unwrap_or(u64::MAX)).collect()
}

/// The diff for people: one section per kind of change, nothing printed for an empty one.
pub fn render_text(diff: &Diff, from_label: &str, to_label: &str) -> String {
    let mut out = String::new();
    let s = &diff.summary;
    let _ = writeln!(out, "kubepci diff {from_label} -> {to_label}");
    let _ = writeln!(
        out,
        "{} new {}, {} fixed, {} changed, {} scope {}, {} requirement {} ({} now failing)",
        s.new_failures,
        kubepci_findings::noun(s.new_failures, "failure", "failures"),
        s.fixed,
        s.changed,
        s.scope_changes,
        kubepci_findings::noun(s.scope_changes, "change", "changes"),
        s.requirement_changes,
        kubepci_findings::noun(s.requirement_changes, "change", "changes"),
        s.requirements_now_failing
    );
    let object = |f: &FindingRecord| f.object.clone().unwrap_or_else(|| "(cluster)".into());
    if !diff.new_failures.is_empty() {
        out.push_str("\nNew failures\n");
        for f in &diff.new_failures {
            let _ = writeln!(out, "  + {:<8} {} {}  {} ({})", f.severity.as_str().to_uppercase(), f.check, object(f), f.message, f.requirements.join(", "));
        }
    }
    if !diff.fixed.is_empty() {
        out.push_str("\nFixed (no longer failing)\n");
        for x in &diff.fixed {
            let f = &x.finding;
            let _ = writeln!(out, "  - {:<8} {} {}  {} [now {}]", f.severity.as_str().to_uppercase(), f.check, object(f), f.message, x.now);
        }
    }
    if !diff.changed.is_empty() {
        out.push_str("\nStill failing, changed\n");
        for c in &diff.changed {
            let f = &c.finding;
            let _ = writeln!(out, "  ~ {:<8} {} {}  {} (was: {})", f.severity.as_str().to_uppercase(), f.check, object(f), f.message, c.previous_message);
        }
    }
    let side = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
    if !diff.scope_changes.is_empty() {
        out.push_str("\nScope changes\n");
        for c in &diff.scope_changes {
            let _ = writeln!(out, "  namespace {}: {} -> {}", c.namespace, side(&c.from), side(&c.to));
        }
    }
    if !diff.requirement_changes.is_empty() {
        out.push_str("\nRequirement status changes\n");
        for c in &diff.requirement_changes {
            let _ = writeln!(out, "  {:<9} {} -> {}", c.id, side(&c.from), side(&c.to));
        }
    }
    if diff.is_empty() {
        out.push_str("no changes\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(check: &str, object: &str, status: Status, severity: Severity) -> FindingRecord {
        FindingRecord { check: check.into(), status, severity, requirements: vec!["2.2.6".into()], object: Some(object.into()), scope: Some("cde".into()), message: "m".into() }
    }

    fn run(findings: Vec<FindingRecord>, reqs: &[(&str, &str)], ns: &[(&str, &str)]) -> RunContent {
        RunContent {
            summary: RunSummary::default(),
            requirements: reqs.iter().map(|(id, s)| RequirementStatus { id: id.to_string(), status: s.to_string() }).collect(),
            findings,
            scope: ScopeRecord { namespaces: ns.iter().map(|(n, s)| NamespaceClass { name: n.to_string(), scope: s.to_string() }).collect() },
        }
    }

    #[test]
    fn same_run_has_no_changes() {
        let a = run(vec![finding("POD-001", "Pod/a/p", Status::Fail, Severity::High)], &[("2.2.6", "fail")], &[("a", "cde")]);
        let d = diff(&a, &a);
        assert!(d.is_empty());
        assert!(!d.regressed(Severity::Info));
        assert!(render_text(&d, "A", "B").ends_with("no changes\n"));
    }

    #[test]
    fn new_fixed_scope_and_requirement_changes() {
        let a = run(
            vec![finding("POD-001", "Pod/a/p", Status::Fail, Severity::High), finding("POD-002", "Pod/a/q", Status::Fail, Severity::Low), finding("POD-003", "Pod/a/r", Status::Fail, Severity::Low)],
            &[("2.2.6", "partial"), ("1.2.10", "fail"), ("1.2.9", "fail")],
            &[("a", "cde"), ("b", "out")],
        );
        let b = run(
            vec![
                finding("POD-001", "Pod/a/p", Status::Fail, Severity::High),
                finding("POD-002", "Pod/a/q", Status::Excepted, Severity::Low),
                finding("IMG-003", "Pod/a/p", Status::Fail, Severity::Medium),
                finding("DATA-001", "ConfigMap/a/c", Status::Fail, Severity::Critical),
            ],
            &[("2.2.6", "fail"), ("1.2.10", "partial"), ("1.2.9", "partial")],
            &[("a", "cde"), ("b", "connected"), ("c", "unclassified")],
        );
        let d = diff(&a, &b);
        let new: Vec<&str> = d.new_failures.iter().map(|f| f.check.as_str()).collect();
        assert_eq!(new, ["DATA-001", "IMG-003"], "most severe first");
        let fixed: Vec<(&str, &str)> = d.fixed.iter().map(|x| (x.finding.check.as_str(), x.now.as_str())).collect();
        assert_eq!(fixed, [("POD-002", "excepted"), ("POD-003", "absent")]);
        assert_eq!(d.scope_changes, vec![
            ScopeChange { namespace: "b".into(), from: Some("out".into()), to: Some("connected".into()) },
            ScopeChange { namespace: "c".into(), from: None, to: Some("unclassified".into()) },
        ]);
        let reqs: Vec<&str> = d.requirement_changes.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(reqs, ["1.2.9", "1.2.10", "2.2.6"], "the standard's order");
        assert_eq!(d.summary.requirements_now_failing, 1);
        assert!(d.regressed(Severity::Critical));
        // Backwards: the excepted and removed failures come back as low ones.
        let back = diff(&b, &a);
        assert!(back.regressed(Severity::Low));
        assert_eq!(back.new_failures.iter().map(|f| f.check.as_str()).collect::<Vec<_>>(), ["POD-002", "POD-003"]);
        assert!(!back.regressed(Severity::Medium));
        let text = render_text(&d, "a.json", "b.json");
        assert!(text.contains("  + CRITICAL DATA-001 ConfigMap/a/c  m (2.2.6)"), "{text}");
        assert!(text.contains("  - LOW      POD-003 Pod/a/r  m [now absent]"), "{text}");
        assert!(text.contains("  namespace c: (none) -> unclassified"), "{text}");
        assert!(text.contains("  2.2.6     partial -> fail"), "{text}");
    }

    #[test]
    fn reads_a_report_and_its_own_serialisation() {
        let report = crate::tests::demo_report();
        let content = RunContent::of(&report);
        let json = crate::json::render(&report);
        let read = RunContent::from_report_json(&json).expect("report json");
        assert_eq!(read, content);
        let again = RunContent::from_report_json(&serde_json::to_string(&content).unwrap()).expect("own json");
        assert_eq!(again, content);
        assert!(content.requirements_failing() > 0);
        assert!(RunContent::from_report_json("[1]").unwrap_err().starts_with("not a kubepci JSON report"));
    }
}
