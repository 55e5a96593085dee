//! The roll-up: every PCI DSS requirement number's status across the checks mapped to it.
//!
//! The rule never over-claims. In order:
//! - `manual`: no check is mapped; the assessor gathers evidence another way.
//! - `fail`: a mapped check has an open failure on an object that is not declared out of scope.
//! - `excepted`: no open failure, but at least one failure is covered by an accepted exception
//!   (each is listed with approver, ticket, expiry and compensating control).
//! - `not-assessed`: some evidence is missing: a mapped check could not decide an object (or
//!   the whole input), did not run (disabled, `--only`), or none of the mapped checks found
//!   anything to look at. Each item says which check and why.
//! - `pass`: every mapped check ran, decided every object it applies to, passed on all of
//!   them, and the requirement is one cluster data can settle (decidable).
//! - `partial`: the same, for a requirement cluster data can only support.
//!
//! Next to each status is the finding an assessor writes in the Report on Compliance (ROC):
//! `In Place`, `Not in Place`, `Not Tested` (kubepci never writes `Not Applicable`: that
//! judgement needs the assessor).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::requirements::{REQUIREMENTS, sort_key};
use crate::{AppliedException, CheckSummary, Finding, Status};

/// The status of one requirement. Serialised as kebab-case (`not-assessed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequirementStatus {
    Fail,
    Excepted,
    NotAssessed,
    Partial,
    Pass,
    Manual,
}

impl RequirementStatus {
    pub const ALL: [RequirementStatus; 6] = [
        RequirementStatus::Fail,
        RequirementStatus::Excepted,
        RequirementStatus::NotAssessed,
        RequirementStatus::Partial,
        RequirementStatus::Pass,
        RequirementStatus::Manual,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequirementStatus::Fail => "fail",
            RequirementStatus::Excepted => "excepted",
            RequirementStatus::NotAssessed => "not-assessed",
            RequirementStatus::Partial => "partial",
            RequirementStatus::Pass => "pass",
            RequirementStatus::Manual => "manual",
        }
    }
}

impl std::fmt::Display for RequirementStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The ROC reporting finding for a requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum RocFinding {
    #[serde(rename = "In Place")]
    InPlace,
    #[serde(rename = "Not in Place")]
    NotInPlace,
    #[serde(rename = "Not Tested")]
    NotTested,
    #[serde(rename = "Not Applicable")]
    NotApplicable,
}

impl RocFinding {
    pub fn as_str(self) -> &'static str {
        match self {
            RocFinding::InPlace => "In Place",
            RocFinding::NotInPlace => "Not in Place",
            RocFinding::NotTested => "Not Tested",
            RocFinding::NotApplicable => "Not Applicable",
        }
    }
}

/// An accepted exception behind an `excepted` requirement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequirementException {
    pub check: String,
    /// `Kind/namespace/name`, or absent for a cluster-wide result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    #[serde(flatten)]
    pub exception: AppliedException,
}

/// One piece of missing evidence behind a `not-assessed` requirement.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MissingEvidence {
    pub check: String,
    /// The object the check could not decide; absent when the whole check was held back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub reason: String,
}

/// How much of what the mapped checks apply to they could decide.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Coverage {
    /// Results that decided an object (passed, failed or excepted).
    pub assessed: usize,
    /// Every result of the mapped checks, including the undecided ones.
    pub in_scope: usize,
}

/// The status of one PCI DSS requirement number across every check mapped to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequirementResult {
    pub id: String,
    pub title: String,
    pub status: RequirementStatus,
    /// The ROC finding this status supports.
    pub roc: RocFinding,
    /// Why the ROC finding reads as it does, where it needs saying.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roc_note: Option<String>,
    /// Whether cluster data can settle the requirement (else the best is `partial`).
    pub decidable: bool,
    /// Why cluster data settles it, for a decidable requirement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decidable_reason: Option<&'static str>,
    pub checks: Vec<String>,
    /// Open failures on in-scope objects.
    pub failed: usize,
    pub passed: usize,
    pub excepted: usize,
    pub not_assessed: usize,
    /// Failures on objects declared out of scope: listed, never failing the requirement.
    #[serde(skip_serializing_if = "is_zero")]
    pub failed_out_of_scope: usize,
    pub coverage: Coverage,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<RequirementException>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_evidence: Vec<MissingEvidence>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The scope class findings on out-of-scope objects carry (`kubepci_inventory::Scope::Out`).
pub const OUT_OF_SCOPE: &str = "out";

/// Why a requirement with mapped checks has nothing to show: none of them found an object.
pub const NOTHING_TO_ASSESS: &str = "found nothing to assess in this input";

/// Roll checks and their findings up to requirement numbers: every catalogue number appears
/// (manual where uncovered), plus any number a check maps to that the catalogue lacks.
/// `summaries` has one entry per check of the registry, including the ones that did not run
/// (`not_run` says why); `findings` are the materialised results (failures, exceptions,
/// not-assessed; passes are counted in the summaries).
pub fn rollup(summaries: &[CheckSummary], findings: &[Finding]) -> Vec<RequirementResult> {
    let mut by_req: BTreeMap<(u8, Vec<u32>), RequirementResult> = BTreeMap::new();
    fn entry<'a>(by_req: &'a mut BTreeMap<(u8, Vec<u32>), RequirementResult>, id: &str) -> &'a mut RequirementResult {
        by_req.entry(sort_key(id)).or_insert_with(|| RequirementResult {
            id: id.to_string(),
            title: crate::requirements::gist(id).unwrap_or("").to_string(),
            status: RequirementStatus::Manual,
            roc: RocFinding::NotTested,
            roc_note: None,
            decidable: crate::requirements::decidable(id),
            decidable_reason: crate::requirements::decidable_reason(id),
            checks: Vec::new(),
            failed: 0,
            passed: 0,
            excepted: 0,
            not_assessed: 0,
            failed_out_of_scope: 0,
            coverage: Coverage::default(),
            exceptions: Vec::new(),
            missing_evidence: Vec::new(),
        })
    }
    for (id, _, _) in REQUIREMENTS {
        entry(&mut by_req, id);
    }
    // A check's results count for the requirements the check was run with (overrides
    // included), which its summary and each finding carry.
    let mut results_of: BTreeMap<&str, CheckResults> = BTreeMap::new();
    for f in findings {
        let r = results_of.entry(f.check.as_str()).or_default();
        match f.status {
            Status::Fail if f.scope.as_deref() == Some(OUT_OF_SCOPE) => r.failed_out_of_scope += 1,
            Status::Fail => r.failed += 1,
            Status::Excepted => r.exceptions.push(f),
            Status::NotAssessed => r.not_assessed.push(f),
            Status::Pass => {}
        }
    }
    let empty = CheckResults::default();
    for s in summaries {
        let results = results_of.get(s.check.as_str()).unwrap_or(&empty);
        for req in &s.requirements {
            let e = entry(&mut by_req, req);
            e.checks.push(s.check.clone());
            if let Some(why) = &s.not_run {
                e.missing_evidence.push(MissingEvidence { check: s.check.clone(), object: None, reason: why.clone() });
                continue;
            }
            e.failed += results.failed;
            e.failed_out_of_scope += results.failed_out_of_scope;
            e.passed += s.passed;
            e.excepted += results.exceptions.len();
            e.not_assessed += results.not_assessed.len();
            // Out-of-scope failures are reported apart: they are no evidence about the scope.
            e.coverage.assessed += s.passed + results.failed + results.exceptions.len();
            e.coverage.in_scope += s.passed + results.failed + results.exceptions.len() + results.not_assessed.len();
            e.exceptions.extend(results.exceptions.iter().filter_map(|f| {
                Some(RequirementException { check: f.check.to_string(), object: f.object.as_ref().map(ToString::to_string), exception: AppliedException::clone(f.exception.as_deref()?) })
            }));
            e.missing_evidence.extend(
                results
                    .not_assessed
                    .iter()
                    .map(|f| MissingEvidence { check: f.check.to_string(), object: f.object.as_ref().map(ToString::to_string), reason: f.message.clone() }),
            );
        }
    }
    by_req
        .into_values()
        .map(|mut r| {
            r.checks.sort();
            r.checks.dedup();
            if !r.checks.is_empty() && r.coverage.in_scope == 0 && r.missing_evidence.is_empty() {
                r.missing_evidence.extend(r.checks.iter().map(|c| MissingEvidence { check: c.clone(), object: None, reason: NOTHING_TO_ASSESS.into() }));
            }
            r.missing_evidence.sort();
            r.status = requirement_status(&r);
            (r.roc, r.roc_note) = roc_finding(&r);
            r
        })
        .collect()
}

/// One check's materialised results, by kind.
#[derive(Default)]
struct CheckResults<'f> {
    failed: usize,
    failed_out_of_scope: usize,
    exceptions: Vec<&'f Finding>,
    not_assessed: Vec<&'f Finding>,
}

/// The roll-up rule, in one place (see the module documentation).
fn requirement_status(r: &RequirementResult) -> RequirementStatus {
    if r.checks.is_empty() {
        RequirementStatus::Manual
    } else if r.failed > 0 {
        RequirementStatus::Fail
    } else if r.excepted > 0 {
        RequirementStatus::Excepted
    } else if !r.missing_evidence.is_empty() {
        RequirementStatus::NotAssessed
    } else if r.decidable {
        RequirementStatus::Pass
    } else {
        RequirementStatus::Partial
    }
}

/// The ROC finding a status supports, and the note that qualifies it.
fn roc_finding(r: &RequirementResult) -> (RocFinding, Option<String>) {
    match r.status {
        RequirementStatus::Pass => (RocFinding::InPlace, None),
        RequirementStatus::Fail => (RocFinding::NotInPlace, None),
        RequirementStatus::Excepted => {
            let uncompensated = r.exceptions.iter().filter(|e| e.exception.compensating_control.is_none()).count();
            if uncompensated > 0 {
                (RocFinding::NotInPlace, Some(format!("risk accepted: {uncompensated} {} no compensating control", crate::noun(uncompensated, "exception names", "exceptions name"))))
            } else if !r.missing_evidence.is_empty() {
                (RocFinding::NotTested, Some("compensating controls named, but some evidence is missing".into()))
            } else if !r.decidable {
                (RocFinding::NotTested, Some("compensating controls named; cluster data is partial evidence for this requirement".into()))
            } else {
                (RocFinding::InPlace, Some("compensating control used".into()))
            }
        }
        RequirementStatus::NotAssessed => (RocFinding::NotTested, Some("evidence missing: see missingEvidence".into())),
        RequirementStatus::Partial => (RocFinding::NotTested, Some("no failure found; cluster data is partial evidence, the rest needs manual testing".into())),
        RequirementStatus::Manual => (RocFinding::NotTested, Some("no automated check; gather evidence manually".into())),
    }
}

#[cfg(test)]
mod tests {
    use kubepci_model::ObjectRef;

    use super::*;
    use crate::Severity;

    fn summary(check: &str, reqs: &[&str], passed: usize) -> CheckSummary {
        CheckSummary {
            check: check.into(),
            title: String::new(),
            severity: Severity::High,
            requirements: reqs.iter().map(|s| s.to_string()).collect(),
            passed,
            ..CheckSummary::default()
        }
    }

    fn finding(check: &str, reqs: &[&str], status: Status, object: &str, scope: &str) -> Finding {
        Finding {
            check: check.into(),
            title: "".into(),
            status,
            severity: Severity::High,
            requirements: reqs.iter().map(|s| s.to_string()).collect(),
            object: Some(ObjectRef { api_version: "apps/v1".into(), kind: "Deployment".into(), namespace: Some("payments".into()), name: object.into() }),
            scope: Some(scope.into()),
            location: None,
            message: format!("{status} on {object}"),
            evidence: Vec::new(),
            remediation: "".into(),
            exception: None,
        }
    }

    fn excepted(check: &str, reqs: &[&str], object: &str, compensating: Option<&str>) -> Finding {
        let mut f = finding(check, reqs, Status::Excepted, object, "cde");
        f.exception = Some(Box::new(AppliedException {
            reason: "vendor agent".into(),
            approved_by: "qsa@example.com".into(),
            ticket: Some("SEC-1".into()),
            expires: Some("2027-01-01".into()),
            compensating_control: compensating.map(Into::into),
            compensates: Vec::new(),
        }));
        f
    }

    fn get<'a>(r: &'a [RequirementResult], id: &str) -> &'a RequirementResult {
        r.iter().find(|x| x.id == id).unwrap()
    }

    #[test]
    fn a_mapped_failure_fails_the_requirement() {
        let r = rollup(&[summary("A", &["2.2.6"], 5), summary("B", &["2.2.6"], 3)], &[finding("A", &["2.2.6"], Status::Fail, "api", "cde")]);
        let req = get(&r, "2.2.6");
        assert_eq!(req.status, RequirementStatus::Fail);
        assert_eq!(req.roc, RocFinding::NotInPlace);
        assert_eq!(req.checks, ["A", "B"]);
        assert_eq!((req.failed, req.passed), (1, 8));
        assert_eq!(req.coverage, Coverage { assessed: 9, in_scope: 9 });
    }

    #[test]
    fn decidable_requirement_passes_only_when_every_mapped_check_decided_every_object() {
        let r = rollup(&[summary("A", &["1.3.1"], 4), summary("B", &["1.3.1", "8.2.5"], 2)], &[]);
        assert_eq!(get(&r, "1.3.1").status, RequirementStatus::Pass);
        assert_eq!(get(&r, "1.3.1").roc, RocFinding::InPlace);
        assert_eq!(get(&r, "8.2.5").status, RequirementStatus::Partial, "8.2.5 is not decidable by cluster data");
        assert_eq!(get(&r, "8.2.5").roc, RocFinding::NotTested);
    }

    #[test]
    fn a_pass_mixed_with_not_assessed_is_not_assessed() {
        let na = Finding { object: None, scope: None, message: "no Nodes in manifests".into(), ..finding("NET-009", &["1.3.1"], Status::NotAssessed, "x", "cde") };
        let r = rollup(&[summary("NET-001", &["1.3.1"], 3), summary("NET-009", &["1.3.1"], 0)], &[na]);
        let req = get(&r, "1.3.1");
        assert_eq!(req.status, RequirementStatus::NotAssessed);
        assert_eq!(req.roc, RocFinding::NotTested);
        assert_eq!(req.missing_evidence, [MissingEvidence { check: "NET-009".into(), object: None, reason: "no Nodes in manifests".into() }]);
        assert_eq!(req.coverage, Coverage { assessed: 3, in_scope: 4 });
    }

    #[test]
    fn a_requirement_whose_only_results_are_exceptions_is_excepted_never_pass() {
        let f = [excepted("POD-002", &["2.2.6"], "agent", None), excepted("POD-008", &["2.2.6"], "agent", None)];
        let r = rollup(&[summary("POD-002", &["2.2.6"], 0), summary("POD-008", &["2.2.6"], 0)], &f);
        let req = get(&r, "2.2.6");
        assert_eq!(req.status, RequirementStatus::Excepted);
        assert_eq!(req.roc, RocFinding::NotInPlace);
        assert_eq!(req.roc_note.as_deref(), Some("risk accepted: 2 exceptions name no compensating control"));
        assert_eq!(req.exceptions.len(), 2);
        assert_eq!(req.exceptions[0].object.as_deref(), Some("Deployment/payments/agent"));
        assert_eq!(req.exceptions[0].exception.approved_by, "qsa@example.com");
    }

    #[test]
    fn exceptions_with_compensating_controls_read_in_place_with_the_control_named() {
        let f = [excepted("POD-002", &["1.3.1"], "agent", Some("CCW-7: node isolation"))];
        let r = rollup(&[summary("POD-002", &["1.3.1"], 4)], &f);
        let req = get(&r, "1.3.1");
        assert_eq!(req.status, RequirementStatus::Excepted);
        assert_eq!(req.roc, RocFinding::InPlace);
        assert_eq!(req.roc_note.as_deref(), Some("compensating control used"));
    }

    #[test]
    fn a_compensating_control_on_partial_evidence_is_not_tested() {
        let f = [excepted("POD-002", &["2.2.6"], "agent", Some("CCW-7: node isolation"))];
        let r = rollup(&[summary("POD-002", &["2.2.6"], 4)], &f);
        let req = get(&r, "2.2.6");
        assert_eq!(req.status, RequirementStatus::Excepted);
        assert_eq!(req.roc, RocFinding::NotTested, "2.2.6 is not decidable from cluster data");
    }

    #[test]
    fn a_failure_beats_an_exception() {
        let f = [excepted("A", &["2.2.6"], "agent", Some("CCW")), finding("A", &["2.2.6"], Status::Fail, "api", "cde")];
        let r = rollup(&[summary("A", &["2.2.6"], 0)], &f);
        assert_eq!(get(&r, "2.2.6").status, RequirementStatus::Fail);
    }

    #[test]
    fn failures_out_of_scope_are_listed_but_never_fail() {
        let f = [finding("A", &["1.3.1"], Status::Fail, "storefront", OUT_OF_SCOPE)];
        let r = rollup(&[summary("A", &["1.3.1"], 2)], &f);
        let req = get(&r, "1.3.1");
        assert_eq!(req.status, RequirementStatus::Pass);
        assert_eq!((req.failed, req.failed_out_of_scope), (0, 1));
        let unclassified = [finding("A", &["1.3.1"], Status::Fail, "legacy", "unclassified")];
        assert_eq!(get(&rollup(&[summary("A", &["1.3.1"], 2)], &unclassified), "1.3.1").status, RequirementStatus::Fail, "unclassified is not out of scope");
    }

    #[test]
    fn a_check_that_did_not_run_holds_its_requirements_back() {
        let disabled = CheckSummary { not_run: Some("disabled in kubepci.yaml (checks.disable)".into()), ..summary("NET-009", &["1.3.1"], 0) };
        let r = rollup(&[summary("NET-001", &["1.3.1"], 3), disabled], &[]);
        let req = get(&r, "1.3.1");
        assert_eq!(req.status, RequirementStatus::NotAssessed);
        assert_eq!(req.missing_evidence[0].reason, "disabled in kubepci.yaml (checks.disable)");
    }

    #[test]
    fn checks_with_nothing_to_look_at_prove_nothing() {
        let r = rollup(&[summary("EXP-004", &["4.2.1"], 0)], &[]);
        let req = get(&r, "4.2.1");
        assert_eq!(req.status, RequirementStatus::NotAssessed);
        assert_eq!(req.missing_evidence[0].reason, NOTHING_TO_ASSESS);
    }

    #[test]
    fn uncovered_requirements_are_manual_and_the_order_is_the_standards() {
        let r = rollup(&[summary("C", &["10.2.1"], 1)], &[]);
        assert_eq!(get(&r, "8.4.1").status, RequirementStatus::Manual);
        assert_eq!(get(&r, "8.4.1").roc, RocFinding::NotTested);
        let pos = |id: &str| r.iter().position(|x| x.id == id).unwrap();
        assert!(pos("1.2.8") < pos("1.3.1"));
        assert!(pos("12.10.7") < pos("A3.2.5"));
    }
}
