//! Building the report of one assessment, in one place: the input and scope summaries, the
//! checks with their help text, the findings (with the passes when asked for) with card
//! numbers redacted, the requirement roll-up and the boundary section.

use std::collections::BTreeMap;

use kubepci_checks::{Assessment, Context, InputKind, check_markdown};
use kubepci_findings::Finding;
use kubepci_model::SourceLoc;

use crate::model::{CheckInfo, InputError, InputSummary, NamespaceScope, Report, ScopeSummary, SnapshotInfo};

/// What the report says about the input beyond its objects (which it counts from the
/// inventory): plain values, filled by whatever read the input.
#[derive(Clone, Debug)]
pub struct InputFacts {
    pub kind: InputKind,
    /// What was read: paths, a snapshot file or the API server's address.
    pub sources: Vec<String>,
    pub files: usize,
    pub documents: usize,
    /// What could not be read or decoded.
    pub errors: Vec<InputError>,
    pub snapshot: Option<SnapshotInfo>,
}

impl InputError {
    /// An error at a place in the input.
    pub fn at(loc: &SourceLoc, message: impl Into<String>) -> InputError {
        InputError { file: loc.file.to_string(), line: loc.line, column: loc.column, message: message.into() }
    }
}

/// What only the caller decides about a report.
#[derive(Clone, Debug, Default)]
pub struct AssembleOptions {
    /// RFC 3339 time stamped on the report.
    pub generated_at: String,
    /// List passing results as findings too (large on big clusters).
    pub include_passed: bool,
}

impl Report {
    /// The report of `assessment`, run on `cx`.
    pub fn assemble(cx: &Context, input: InputFacts, mut assessment: Assessment, opts: &AssembleOptions) -> Report {
        let inv = cx.inventory();
        let input = input_summary(input, &inv.objects);
        let mut findings: Vec<Finding> = std::mem::take(&mut assessment.findings);
        if opts.include_passed {
            let passed = assessment.passed_findings(cx);
            if !passed.is_empty() {
                findings.extend(passed);
                findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
            }
        }
        redact(&mut findings);
        kubepci_checks::profile::mark("redact");
        let registry = kubepci_checks::registry();
        let checks = assessment
            .summaries
            .iter()
            .filter_map(|s| {
                let check = registry.iter().find(|c| c.meta.id == s.check)?;
                Some(CheckInfo { summary: s.clone(), name: check.meta.name.to_string(), remediation: check.meta.remediation(), help: check_markdown(check) })
            })
            .collect();
        let mut workloads: BTreeMap<String, usize> = BTreeMap::new();
        for w in inv.workloads() {
            *workloads.entry(w.scope.scope.to_string()).or_default() += 1;
        }
        let scope = ScopeSummary {
            namespaces: inv.namespaces().map(|n| NamespaceScope { name: n.name.clone(), scope: n.scope.scope.to_string(), reason: n.scope.reason.clone() }).collect(),
            workloads,
        };
        let report = Report { boundary: std::mem::take(&mut assessment.boundary), ..Report::new(opts.generated_at.clone(), input, scope, checks, findings) };
        kubepci_checks::profile::mark("report model");
        report
    }
}

fn input_summary(input: InputFacts, objects: &[kubepci_model::Object]) -> InputSummary {
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for o in objects {
        *kinds.entry(o.kind().to_string()).or_default() += 1;
    }
    InputSummary {
        kind: input.kind.as_str().to_string(),
        sources: input.sources,
        files: input.files,
        documents: input.documents,
        objects: objects.len(),
        kinds,
        errors: input.errors,
        snapshot: input.snapshot,
    }
}

/// Last line of defence: whatever a check wrote, no card number leaves in a finding.
fn redact(findings: &mut [Finding]) {
    for f in findings {
        f.message = kubepci_pan::redact(&f.message);
        for e in &mut f.evidence {
            if let Some(v) = &mut e.value {
                *v = kubepci_pan::redact(v);
            }
        }
    }
}
