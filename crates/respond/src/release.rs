//! Release: undo a quarantine exactly, from the record its NetworkPolicy carries.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::plan::{ApiRequest, MANAGED_BY, QUARANTINE_LABEL, QuarantineRecord, RECORD_ANNOTATION, release_requests};
use crate::target::Target;

/// The label selector that lists the quarantine policies kubepci created.
pub fn policy_selector() -> String {
    format!("{}={},{QUARANTINE_LABEL}", MANAGED_BY.0, MANAGED_BY.1)
}

/// What release does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleasePlan {
    pub incident: String,
    pub target: Target,
    /// The record read from the quarantine policy.
    pub record: QuarantineRecord,
    /// The exact API requests `--apply` sends, in order.
    pub requests: Vec<ApiRequest>,
}

/// The record a quarantine policy carries.
pub fn record_of(policy: &Value) -> Result<QuarantineRecord, String> {
    let name = policy.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("?");
    let text = policy
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(RECORD_ANNOTATION))
        .and_then(Value::as_str)
        .ok_or_else(|| format!("NetworkPolicy {name} has no {RECORD_ANNOTATION} annotation"))?;
    serde_json::from_str(text).map_err(|e| format!("NetworkPolicy {name}: annotation {RECORD_ANNOTATION} is not a quarantine record: {e}"))
}

/// The release of `target`: from the quarantine policies of its namespace, the one recorded
/// for this target (and incident, when given). Several incidents on one target need `incident`.
pub fn plan_release(target: &Target, policies: &[Value], incident: Option<&str>) -> Result<ReleasePlan, String> {
    let mut found: Vec<QuarantineRecord> = Vec::new();
    let mut problems = Vec::new();
    for p in policies {
        match record_of(p) {
            Ok(r) if r.target == target.to_string() && incident.is_none_or(|i| i == r.incident) => found.push(r),
            Ok(_) => {}
            Err(e) => problems.push(e),
        }
    }
    found.sort_by(|a, b| a.incident.cmp(&b.incident));
    match found.len() {
        0 => {
            let mut msg = match incident {
                Some(i) => format!("no quarantine of {target} with incident {i} in namespace {}", target.namespace),
                None => format!("no quarantine of {target} in namespace {} (no kubepci quarantine NetworkPolicy records it)", target.namespace),
            };
            for p in problems {
                msg.push_str(&format!("; {p}"));
            }
            Err(msg)
        }
        1 => {
            let record = found.remove(0);
            Ok(ReleasePlan { incident: record.incident.clone(), target: target.clone(), requests: release_requests(&target.namespace, &record), record })
        }
        _ => Err(format!("{target} is quarantined under several incidents ({}): choose one with --incident", found.iter().map(|r| r.incident.as_str()).collect::<Vec<_>>().join(", "))),
    }
}
