//! SARIF 2.1.0: one rule per check that ran (with its documentation as help), one result per
//! failure; failures under an exception carry a SARIF suppression with its justification.

use kubepci_findings::{Finding, Severity, Status};
use serde_json::{Value, json};

use crate::Report;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning reads this number to rank alerts.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// A file path as a relative URI reference (SARIF artifactLocation.uri).
fn uri(path: &str) -> String {
    kubepci_base::text::percent_encode(&path.replace('\\', "/"), b"/:")
}

fn result(f: &Finding, rule_index: usize) -> Value {
    let object = f.object.as_ref().map(|o| o.to_string());
    let text = match &object {
        Some(o) => format!("{}: {}", o, f.message),
        None => f.message.clone(),
    };
    let mut r = json!({
        "ruleId": f.check,
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": {"text": text},
        "properties": {
            "requirements": f.requirements,
            "severity": f.severity.as_str(),
        },
    });
    if let Some(o) = &object {
        r["properties"]["object"] = json!(o);
    }
    if let Some(scope) = &f.scope {
        r["properties"]["scope"] = json!(scope);
    }
    if let Some(loc) = &f.location {
        let mut physical = json!({"artifactLocation": {"uri": uri(&loc.file)}});
        if loc.line > 0 {
            physical["region"] = json!({"startLine": loc.line, "startColumn": loc.column.max(1)});
        }
        let mut location = json!({"physicalLocation": physical});
        if let Some(o) = &object {
            location["logicalLocations"] = json!([{"fullyQualifiedName": o, "kind": "object"}]);
        }
        r["locations"] = json!([location]);
    }
    if let Some(ex) = &f.exception {
        r["suppressions"] = json!([{
            "kind": "external",
            "status": "accepted",
            "justification": match &ex.compensating_control {
                Some(c) => format!("{} (approved by {}; compensating control: {c})", ex.reason, ex.approved_by),
                None => format!("{} (approved by {}; risk accepted)", ex.reason, ex.approved_by),
            },
        }]);
    }
    r
}

pub fn render(report: &Report) -> String {
    let rules: Vec<Value> = report
        .checks
        .iter()
        .map(|c| {
            json!({
                "id": c.summary.check,
                "name": c.name,
                "shortDescription": {"text": c.summary.title},
                "fullDescription": {"text": c.summary.title},
                "help": {"text": c.remediation, "markdown": c.help},
                "defaultConfiguration": {"level": level(c.summary.severity)},
                "properties": {
                    "tags": std::iter::once("security".to_string()).chain(c.summary.requirements.iter().map(|r| format!("PCI-DSS-{r}"))).collect::<Vec<_>>(),
                    "security-severity": security_severity(c.summary.severity),
                    "requirements": c.summary.requirements,
                },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .filter(|f| matches!(f.status, Status::Fail | Status::Excepted))
        .map(|f| result(f, report.checks.iter().position(|c| c.summary.check == f.check).unwrap_or(0)))
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "kubepci",
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "informationUri": "https://example.invalid/kubepci",
                "rules": rules,
            }},
            "automationDetails": {"id": format!("kubepci/{}", report.input.kind)},
            "results": results,
            "properties": {
                "standard": format!("{} {}", report.standard.name, report.standard.version),
                "provenance": report.provenance,
            },
        }],
    });
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::uri;

    #[test]
    fn paths_become_relative_uri_references() {
        assert_eq!(uri("examples/demo cluster/10-pay.yaml"), "examples/demo%20cluster/10-pay.yaml");
        assert_eq!(uri(r"C:\manifests\a#b.yaml"), "C:/manifests/a%23b.yaml");
        assert_eq!(uri("-"), "-");
    }
}
