//! OSCAL 1.1 assessment results: one observation per check (with its counts and evidence
//! references), one finding per PCI DSS requirement that a check decided, one risk per
//! exception of the configuration (approved deviation, with its compensating control; open
//! once expired; closed when unused), and the run's provenance as properties. Identifiers are
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
    // What was assessed, with what, and when: the assessor's provenance.
    props.push(prop("tool", &format!("{} {}", r.tool.name, r.tool.version)));
    props.push(prop("input-kind", &r.input.kind));
    for source in r.input.sources.iter().filter(|s| !s.trim().is_empty()) {
        props.push(prop("input-source", source.trim()));
    }
    props.push(prop("input-objects", &r.input.objects.to_string()));
    props.push(prop("input-unreadable", &r.input.errors.len().to_string()));
    if let Some(snapshot) = &r.input.snapshot {
        props.push(prop("snapshot-sha256", &snapshot.sha256));
        props.push(prop("snapshot-collected", &snapshot.collected_at));
    }
    if let Some(date) = &p.run.date {
        props.push(prop("exceptions-judged-on", date));
    }
    props.retain(|p| p["value"].as_str().is_some_and(|v| !v.is_empty()));
    props
}

/// Every exception of the configuration as an OSCAL risk: an approved deviation while it
/// applies (with its compensating control and the requirements it compensates, when it names
/// them), open once expired, closed when it matches no finding. Returns the risks and, per
/// requirement number, the uuids of the risks whose excepted findings it lists.
fn exception_risks(r: &Report, seed: &str) -> (Vec<Value>, std::collections::BTreeMap<String, Vec<String>>) {
    use kubepci_checks::exceptions::{Lifecycle, register};
    let today = r.provenance.run.date.as_deref().or_else(|| r.generated_at.get(..10));
    let statuses = register(&r.provenance.config.exceptions, Some(&r.findings), today);
    let prop = |name: &str, value: &str| json!({"name": name, "ns": "https://kubepci.io/ns/oscal", "value": value});
    let mut by_requirement: std::collections::BTreeMap<String, Vec<String>> = std::collections::BTreeMap::new();
    let registry = kubepci_checks::registry();
    let name_of = |id: &str| registry.iter().find(|c| c.meta.id == id).map(|c| c.meta.name);
    let risks = statuses
        .iter()
        .map(|s| {
            let ex = &s.exception;
            let id = uuid(&[seed, "risk", &s.index.to_string(), &ex.check, &ex.object]);
            for f in r.findings.iter().filter(|f| f.status == Status::Excepted && kubepci_checks::exceptions::selects(ex, f, &name_of)) {
                for q in f.requirements.iter() {
                    let list = by_requirement.entry(q.clone()).or_default();
                    if !list.contains(&id) {
                        list.push(id.clone());
                    }
                }
            }
            let status = match s.status {
                Lifecycle::Active | Lifecycle::Expiring => "deviation-approved",
                Lifecycle::Expired => "open",
                Lifecycle::Unused => "closed",
            };
            let mut statement = format!("Approved by {}", ex.approved_by);
            if let Some(t) = &ex.ticket {
                statement.push_str(&format!(" (ticket {t})"));
            }
            match &ex.expires {
                Some(d) => statement.push_str(&format!(" until {d}")),
                None => statement.push_str(" without an expiry date"),
            }
            statement.push_str(&format!("; status {}.", s.status.as_str()));
            match &ex.compensating_control {
                Some(c) => {
                    statement.push_str(&format!(" Compensating control: {c}"));
                    if !ex.compensates.is_empty() {
                        statement.push_str(&format!(", for requirement {}", ex.compensates.join(", ")));
                    }
                    statement.push('.');
                }
                None => statement.push_str(" No compensating control: an accepted risk."),
            }
            let mut props = vec![prop("exception-check", &ex.check), prop("exception-object", &ex.object), prop("exception-status", s.status.as_str()), prop("approved-by", &ex.approved_by)];
            if let Some(t) = &ex.ticket {
                props.push(prop("ticket", t));
            }
            if let Some(d) = &ex.expires {
                props.push(prop("expires", d));
            }
            if let Some(c) = &ex.compensating_control {
                props.push(prop("compensating-control", c));
            }
            for q in &ex.compensates {
                props.push(prop("compensates", q));
            }
            props.retain(|p| p["value"].as_str().is_some_and(|v| !v.trim().is_empty() && v.trim() == v));
            let related: Vec<Value> = registry
                .iter()
                .filter(|c| ex.check == "*" || c.meta.id == ex.check || c.meta.name == ex.check)
                .filter(|c| r.checks.iter().any(|k| k.summary.check == c.meta.id))
                .map(|c| json!({"observation-uuid": uuid(&[seed, "obs", c.meta.id])}))
                .collect();
            let mut risk = json!({
                "uuid": id,
                "title": format!("Exception: {} on {}", ex.check, ex.object),
                "description": if ex.reason.trim().is_empty() { "No reason given.".to_string() } else { ex.reason.clone() },
                "statement": statement,
                "props": props,
                "status": status,
            });
            if !related.is_empty() {
                risk["related-observations"] = Value::Array(related);
            }
            risk
        })
        .collect();
    (risks, by_requirement)
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
    let (risks, risks_of) = exception_risks(r, &seed);
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
            let related_risks: Vec<Value> = risks_of.get(&q.id).into_iter().flatten().map(|id| json!({"risk-uuid": id})).collect();
            let mut finding = json!({
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
            });
            if !related_risks.is_empty() {
                finding["related-risks"] = Value::Array(related_risks);
            }
            finding
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
    let mut doc = doc;
    if !risks.is_empty() {
        doc["assessment-results"]["results"][0]["risks"] = Value::Array(risks);
    }
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
