//! Exceptions with a lifecycle, end to end: `kubepci exceptions list` gives each exception's
//! status (active, expiring within 30 days, expired, unused) in text, JSON and CSV, and a scan
//! reports an expired exception as an EXC-001 failure on the object it names.

use std::path::Path;
use std::process::{Command, Output};

/// SOURCE_DATE_EPOCH 1797000000 is 2026-12-11.
fn kubepci(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubepci")).args(args).current_dir(dir).env("SOURCE_DATE_EPOCH", "1797000000").env_remove("KUBEPCI_PROFILE").env_remove("KUBECONFIG").output().expect("run kubepci")
}

const MANIFESTS: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n\
apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: agent, namespace: shop}\nspec:\n  selector: {matchLabels: {app: agent}}\n  template:\n    metadata: {labels: {app: agent}}\n    spec:\n      hostNetwork: true\n      containers: [{name: agent, image: r.example/agent:1}]\n---\n\
apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      hostNetwork: true\n      containers: [{name: web, image: r.example/web:1}]\n---\n\
apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: old, namespace: shop}\nspec:\n  selector: {matchLabels: {app: old}}\n  template:\n    metadata: {labels: {app: old}}\n    spec:\n      hostNetwork: true\n      containers: [{name: old, image: r.example/old:1}]\n";

const CONFIG: &str = "exceptions:\n\
- {check: POD-003, object: Deployment/shop/agent, reason: node agent, approvedBy: ciso@pay.example, ticket: RISK-1, expires: '2027-06-30', compensatingControl: CCW-3 node firewall, compensates: ['1.3.1', '2.2.6']}\n\
- {check: host-network, object: Deployment/shop/web, reason: metrics, approvedBy: ciso@pay.example, expires: '2026-12-31'}\n\
- {check: POD-003, object: Deployment/shop/old, reason: legacy, approvedBy: cto@pay.example, ticket: RISK-0, expires: '2026-01-31'}\n\
- {check: POD-001, object: Deployment/gone/*, reason: decommissioned app, approvedBy: ciso@pay.example}\n";

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("app.yaml"), MANIFESTS).unwrap();
    std::fs::write(dir.path().join("kubepci.yaml"), CONFIG).unwrap();
    dir
}

#[test]
fn every_exception_has_its_status_in_text_json_and_csv() {
    let dir = setup();
    let out = kubepci(dir.path(), &["exceptions", "list", "-c", "kubepci.yaml", "app.yaml", "-f", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["date"], "2026-12-11");
    let rows: Vec<(String, i64, u64)> = v["exceptions"].as_array().unwrap().iter().map(|e| (e["status"].as_str().unwrap().to_string(), e["daysLeft"].as_i64().unwrap_or(i64::MIN), e["matched"].as_u64().unwrap())).collect();
    assert_eq!(rows, [("active".into(), 201, 1), ("expiring".into(), 20, 1), ("expired".into(), -314, 1), ("unused".into(), i64::MIN, 0)]);
    assert_eq!(v["exceptions"][0]["compensates"], serde_json::json!(["1.3.1", "2.2.6"]));

    let text = String::from_utf8(kubepci(dir.path(), &["exceptions", "list", "-c", "kubepci.yaml", "app.yaml"]).stdout).unwrap();
    assert!(text.contains("  expired   POD-003 Deployment/shop/old  expired 2026-01-31 (314 days ago), 1 finding\n"), "{text}");
    assert!(text.contains("compensating control: CCW-3 node firewall (compensates 1.3.1, 2.2.6)"), "{text}");
    assert!(text.ends_with("4 exceptions: 1 active, 1 expiring within 30 days, 1 expired, 1 unused\n"), "{text}");

    let csv = String::from_utf8(kubepci(dir.path(), &["exceptions", "list", "-c", "kubepci.yaml", "app.yaml", "-f", "csv"]).stdout).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "index,status,check,object,expires,days_left,matched,approved_by,ticket,reason,compensating_control,compensates");
    assert_eq!(lines.len(), 5);
    assert!(lines[4].starts_with("\"3\",\"unused\",\"POD-001\",\"Deployment/gone/*\""), "{}", lines[4]);

    // The configuration alone: dates only, no exception is called unused.
    let v: serde_json::Value = serde_json::from_slice(&kubepci(dir.path(), &["exceptions", "list", "-c", "kubepci.yaml", "-f", "json"]).stdout).unwrap();
    assert_eq!(v["matchedAgainstScan"], false);
    assert_eq!(v["exceptions"][3]["status"], "active");
    assert!(v["exceptions"][3].get("matched").is_none());
}

#[test]
fn an_expired_exception_is_an_exc_001_failure_and_its_finding_fails_again() {
    let dir = setup();
    let out = kubepci(dir.path(), &["scan", "-c", "kubepci.yaml", "app.yaml", "-f", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let findings = report["findings"].as_array().unwrap();
    let of = |check: &str, name: &str| findings.iter().find(|f| f["check"] == check && f["object"]["name"] == name).unwrap_or_else(|| panic!("{check} {name}"));
    assert_eq!(of("EXC-001", "old")["status"], "fail");
    assert_eq!(of("EXC-001", "old")["message"], "the exception for POD-003 expired on 2026-01-31 (approved by cto@pay.example, ticket RISK-0); it no longer applies: renew it or fix the finding");
    assert_eq!(of("POD-003", "old")["status"], "fail");
    assert_eq!(of("POD-003", "agent")["status"], "excepted");
    assert_eq!(of("POD-003", "agent")["exception"]["compensates"], serde_json::json!(["1.3.1", "2.2.6"]));
    assert_eq!(of("POD-003", "web")["status"], "excepted", "an exception may name the check by its name");
    assert!(!findings.iter().any(|f| f["check"] == "EXC-001" && f["object"]["name"] == "web"));
    let text = String::from_utf8(kubepci(dir.path(), &["scan", "-c", "kubepci.yaml", "app.yaml", "--color", "never"]).stdout).unwrap();
    assert!(text.contains("compensating control: CCW-3 node firewall (for 1.3.1, 2.2.6)"), "{text}");
    assert!(text.contains("\n       exceptions needing their owner: 1 expired, 1 expiring within 30 days, 1 unused; `kubepci exceptions list` shows them\n"), "{text}");
}
