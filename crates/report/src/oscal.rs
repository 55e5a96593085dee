//! OSCAL 1.1 assessment results: one observation per check (with its counts and evidence
//! references) and one finding per PCI DSS requirement that a check decided. Identifiers are
//! derived from the content, so the same input gives the same document.

use kubepci_findings::{RequirementStatus, RocFinding, Status};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::Report;

/// A name-based UUID (RFC 4122 layout, version 5 bits) over SHA-256 of the parts.
fn uuid(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    let mut b: [u8; 16] = h.finalize()[..16].try_into().expect("16 bytes");
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex = kubepci_base::text::hex(&b);
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// The report's provenance as OSCAL properties: rule set, configuration and what changed it.
fn provenance_props(r: &Report) -> Vec<Value> {
    let p = &r.provenance;
    let prop = |name: &str, value: &str| json!({"name": name, "ns": "https://kubepci.io/ns/oscal", "value": value});
    let mut props = vec![prop("registry-sha256", &p.registry.sha256), prop("registry-checks", &p.registry.checks.to_string())];
    if let Some(path) = &p.config.source.path {
        props.push(prop("config-source", path));
    }
    if let Some(sha) = &p.config.source.sha256 {
        props.push(prop("config-sha256", sha));
    }
    for change in p.config.changes() {
        props.push(prop("config-change", &change));
    }
    if !p.run.only.is_empty() {
        props.push(prop("only-checks", &p.run.only.join(",")));
    }
    props
}

pub fn render(r: &Report) -> String {
    let ts = &r.generated_at;
    let seed = format!("{}|{}|{}", r.input.sources.join(","), r.input.objects, ts);
    let observations: Vec<Value> = r
        .checks
        .iter()
        .map(|c| {
            let s = &c.summary;
            let failing: Vec<String> = r
                .findings
                .iter()
                .filter(|f| f.check == s.check && f.status == Status::Fail)
                .filter_map(|f| f.object.as_ref().map(|o| o.to_string()))
                .take(50)
                .collect();
            let mut desc = format!("{}: {} passed, {} failed, {} excepted, {} not assessed.", s.title, s.passed, s.failed, s.excepted, s.not_assessed);
            if !failing.is_empty() {
                desc.push_str(&format!(" Failing objects: {}.", failing.join(", ")));
            }
            json!({
                "uuid": uuid(&[&seed, "obs", &s.check]),
                "title": format!("{} {}", s.check, s.title),
                "description": desc,
                "methods": ["TEST"],
                "types": ["finding"],
                "collected": ts,
                "props": [
                    {"name": "check-id", "ns": "https://kubepci.io/ns/oscal", "value": s.check},
                    {"name": "severity", "ns": "https://kubepci.io/ns/oscal", "value": s.severity.as_str()},
                ],
            })
        })
        .collect();
    let findings: Vec<Value> = r
        .requirements
        .iter()
        .filter(|q| q.status != RequirementStatus::Manual)
        .map(|q| {
            // OSCAL has two states; only what the ROC would call "In Place" is satisfied, and
            // only a failure is a "fail": everything else is "other", explained in remarks.
            let state = if q.roc == RocFinding::InPlace { "satisfied" } else { "not-satisfied" };
            let reason = match q.status {
                RequirementStatus::Pass => "pass",
                RequirementStatus::Fail => "fail",
                _ => "other",
            };
            let remarks = match &q.roc_note {
                Some(note) => format!("kubepci status {}; ROC: {} ({note}).", q.status, q.roc.as_str()),
                None => format!("kubepci status {}; ROC: {}.", q.status, q.roc.as_str()),
            };
            let related: Vec<Value> = q.checks.iter().map(|c| json!({"observation-uuid": uuid(&[&seed, "obs", c])})).collect();
            json!({
                "uuid": uuid(&[&seed, "finding", &q.id]),
                "title": format!("PCI DSS {} {}", q.id, q.title),
                "description": format!("Roll-up status {}: {} failed, {} excepted, {} passed, {} not assessed across checks {}.", q.status, q.failed, q.excepted, q.passed, q.not_assessed, q.checks.join(", ")),
                "props": [
                    {"name": "roc-finding", "ns": "https://kubepci.io/ns/oscal", "value": q.roc.as_str()},
                    {"name": "status", "ns": "https://kubepci.io/ns/oscal", "value": q.status.as_str()},
                ],
                "target": {
                    "type": "objective-id",
                    "target-id": format!("pci-dss-v4.0.1_{}", q.id),
                    "status": {"state": state, "reason": reason, "remarks": remarks},
                },
                "related-observations": related,
            })
        })
        .collect();
    let doc = json!({
        "assessment-results": {
            "uuid": uuid(&[&seed, "document"]),
            "metadata": {
                "title": format!("kubepci {} {} assessment", r.standard.name, r.standard.version),
                "last-modified": ts,
                "version": r.tool.version,
                "oscal-version": "1.1.2",
            },
            "import-ap": {"href": "#kubepci-assessment-plan"},
            "results": [{
                "uuid": uuid(&[&seed, "result"]),
                "title": format!("Automated assessment of {}", r.input.sources.join(", ")),
                "description": format!("{} objects from {} input; {} requirement numbers decided automatically.", r.input.objects, r.input.kind, findings.len()),
                "start": ts,
                "props": provenance_props(r),
                "reviewed-controls": {"control-selections": [{"include-all": {}}]},
                "observations": observations,
                "findings": findings,
            }],
        }
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
