use std::collections::BTreeMap;

use serde::Serialize;

use crate::requirements::{REQUIREMENTS, sort_key};
use crate::{CheckSummary, Status};

/// The status of one PCI DSS requirement number across every check mapped to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequirementResult {
    pub id: String,
    pub title: String,
    /// `fail` if any mapped check failed anywhere; `pass` if mapped checks ran, none failed and
    /// cluster data decides the requirement; `partial` if none failed but the checks are only
    /// part of the evidence; `not-assessed` if every mapped check was undecidable on this
    /// input; `manual` if no check is mapped (the assessor gathers evidence another way).
    pub status: String,
    pub checks: Vec<String>,
    pub failed: usize,
    pub passed: usize,
    pub excepted: usize,
    pub not_assessed: usize,
}

/// Roll check summaries up to requirement numbers: every catalogue number appears (manual
/// where uncovered), plus any number a check maps to that the catalogue lacks.
pub fn rollup(summaries: &[CheckSummary]) -> Vec<RequirementResult> {
    let mut by_req: BTreeMap<(u8, Vec<u32>), RequirementResult> = BTreeMap::new();
    fn entry<'a>(by_req: &'a mut BTreeMap<(u8, Vec<u32>), RequirementResult>, id: &str) -> &'a mut RequirementResult {
        by_req.entry(sort_key(id)).or_insert_with(|| RequirementResult {
            id: id.to_string(),
            title: crate::requirements::gist(id).unwrap_or("").to_string(),
            status: String::new(),
            checks: Vec::new(),
            failed: 0,
            passed: 0,
            excepted: 0,
            not_assessed: 0,
        })
    }
    for (id, _, _) in REQUIREMENTS {
        entry(&mut by_req, id);
    }
    for s in summaries {
        for r in &s.requirements {
            let e = entry(&mut by_req, r);
            e.checks.push(s.check.clone());
            e.failed += s.failed;
            e.passed += s.passed;
            e.excepted += s.excepted;
            e.not_assessed += s.not_assessed;
        }
    }
    by_req
        .into_values()
        .map(|mut r| {
            r.checks.sort();
            r.checks.dedup();
            r.status = requirement_status(&r).as_str().to_string();
            r
        })
        .collect()
}

/// Rollup rule, in one place.
fn requirement_status(r: &RequirementResult) -> RollupStatus {
    if r.checks.is_empty() {
        RollupStatus::Manual
    } else if r.failed > 0 {
        RollupStatus::Fixed(Status::Fail)
    } else if (r.passed > 0 || r.excepted > 0) && crate::requirements::decidable(&r.id) {
        RollupStatus::Fixed(Status::Pass)
    } else if r.passed > 0 || r.excepted > 0 {
        RollupStatus::Partial
    } else {
        RollupStatus::Fixed(Status::NotAssessed)
    }
}

enum RollupStatus {
    Manual,
    Partial,
    Fixed(Status),
}

impl RollupStatus {
    fn as_str(&self) -> &'static str {
        match self {
            RollupStatus::Manual => "manual",
            RollupStatus::Partial => "partial",
            RollupStatus::Fixed(s) => s.as_str(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Severity;

    fn summary(check: &str, reqs: &[&str], passed: usize, failed: usize, na: usize) -> CheckSummary {
        CheckSummary {
            check: check.into(),
            title: String::new(),
            severity: Severity::High,
            requirements: reqs.iter().map(|s| s.to_string()).collect(),
            passed,
            failed,
            excepted: 0,
            not_assessed: na,
        }
    }

    #[test]
    fn fail_wins_then_pass_then_not_assessed_then_manual() {
        let r = rollup(&[
            summary("A", &["2.2.6"], 5, 1, 0),
            summary("B", &["2.2.6", "1.3.1", "8.2.5"], 3, 0, 0),
            summary("C", &["10.2.1"], 0, 0, 1),
        ]);
        let get = |id: &str| r.iter().find(|x| x.id == id).unwrap();
        assert_eq!(get("2.2.6").status, "fail");
        assert_eq!(get("2.2.6").checks, ["A", "B"]);
        assert_eq!(get("1.3.1").status, "pass");
        assert_eq!(get("8.2.5").status, "partial", "passing checks are partial evidence for 8.2.5");
        assert_eq!(get("10.2.1").status, "not-assessed");
        assert_eq!(get("8.4.1").status, "manual");
        let pos = |id: &str| r.iter().position(|x| x.id == id).unwrap();
        assert!(pos("1.2.8") < pos("1.3.1"));
        assert!(pos("12.10.7") < pos("A3.2.5"));
    }
}
