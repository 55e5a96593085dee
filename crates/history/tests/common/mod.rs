//! Run contents for the history tests.

#![allow(dead_code)]

use kubepci_findings::{Severity, Status};
use kubepci_report::compare::{FindingRecord, NamespaceClass, RequirementStatus, RunContent, RunSummary, ScopeRecord};

/// A run with `failures` failing findings (`failures` > 0 fails requirement 2.2.6; every
/// tenth is critical).
pub fn content(failures: usize) -> RunContent {
    let findings: Vec<FindingRecord> = (0..failures)
        .map(|i| FindingRecord {
            check: "POD-001".into(),
            status: Status::Fail,
            severity: if i % 10 == 0 { Severity::Critical } else { Severity::High },
            requirements: vec!["2.2.6".into(), "2.2.3".into()],
            object: Some(format!("Pod/payments/p{i}")),
            scope: Some("cde".into()),
            message: format!("container \"c{i}\" runs privileged"),
        })
        .collect();
    let mut summary = RunSummary { failed: failures, passed: 10, ..RunSummary::default() };
    summary.requirements.insert(if failures > 0 { "fail" } else { "partial" }.into(), 1);
    RunContent {
        summary,
        requirements: vec![
            RequirementStatus { id: "1.2.10".into(), status: "manual".into() },
            RequirementStatus { id: "2.2.6".into(), status: if failures > 0 { "fail" } else { "partial" }.into() },
        ],
        findings,
        scope: ScopeRecord { namespaces: vec![NamespaceClass { name: "payments".into(), scope: "cde".into() }] },
    }
}
