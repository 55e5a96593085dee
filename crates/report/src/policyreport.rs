//! Kubernetes Policy Reports (`wgpolicyk8s.io/v1alpha2`): one `PolicyReport` per namespace and
//! one `ClusterPolicyReport` for cluster-scoped results, as a `List`, ready to `kubectl apply`.

use std::collections::BTreeMap;

use kubepci_findings::{Finding, Status};
use serde_json::{Value, json};

use crate::Report;

fn result(f: &Finding) -> Value {
    let outcome = match f.status {
        Status::Fail => "fail",
        Status::Excepted => "skip",
        Status::NotAssessed => "skip",
        Status::Pass => "pass",
    };
    let mut v = json!({
        "source": "kubepci",
        "policy": f.check,
        "rule": f.title,
        "category": format!("PCI DSS {}", f.requirements.join(", ")),
        "severity": match f.severity { kubepci_findings::Severity::Critical => "critical", kubepci_findings::Severity::High => "high", kubepci_findings::Severity::Medium => "medium", kubepci_findings::Severity::Low => "low", kubepci_findings::Severity::Info => "info" },
        "result": outcome,
        "message": f.message,
        "properties": {"requirements": f.requirements.join(","), "status": f.status.as_str()},
    });
    if let Some(o) = &f.object {
        let mut r = json!({"apiVersion": o.api_version, "kind": o.kind, "name": o.name});
        if let Some(ns) = &o.namespace {
            r["namespace"] = json!(ns);
        }
        v["resources"] = json!([r]);
    }
    v
}

pub fn render(r: &Report) -> String {
    let mut by_ns: BTreeMap<Option<&str>, Vec<&Finding>> = BTreeMap::new();
    for f in &r.findings {
        by_ns.entry(f.object.as_ref().and_then(|o| o.namespace.as_deref())).or_default().push(f);
    }
    let items: Vec<Value> = by_ns
        .into_iter()
        .map(|(ns, findings)| {
            let count = |s: Status| findings.iter().filter(|f| f.status == s).count();
            let summary = json!({"pass": count(Status::Pass), "fail": count(Status::Fail), "warn": 0, "error": 0, "skip": count(Status::Excepted) + count(Status::NotAssessed)});
            let results: Vec<Value> = findings.iter().map(|f| result(f)).collect();
            match ns {
                Some(ns) => json!({
                    "apiVersion": "wgpolicyk8s.io/v1alpha2",
                    "kind": "PolicyReport",
                    "metadata": {"name": format!("kubepci-{ns}"), "namespace": ns, "labels": {"app.kubernetes.io/managed-by": "kubepci"}},
                    "scope": {"kind": "Namespace", "name": ns},
                    "summary": summary,
                    "results": results,
                }),
                None => json!({
                    "apiVersion": "wgpolicyk8s.io/v1alpha2",
                    "kind": "ClusterPolicyReport",
                    "metadata": {"name": "kubepci-cluster", "labels": {"app.kubernetes.io/managed-by": "kubepci"}},
                    "summary": summary,
                    "results": results,
                }),
            }
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&json!({"apiVersion": "v1", "kind": "List", "items": items})).unwrap_or_default();
    s.push('\n');
    s
}
