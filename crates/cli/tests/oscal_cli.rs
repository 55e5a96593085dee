//! The OSCAL assessment results pass compliance-trestle's validation (`trestle validate`,
//! compliance-trestle 5.2, installed by scripts/test.sh; no network is used): the demo's, and
//! one whose exceptions are in every lifecycle state with compensating controls.

use std::path::Path;
use std::process::{Command, Output};

fn kubepci(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubepci")).args(args).current_dir(dir).env("SOURCE_DATE_EPOCH", "1797000000").env_remove("KUBEPCI_PROFILE").env_remove("KUBECONFIG").output().expect("run kubepci")
}

/// `trestle validate` of `document` in a fresh trestle workspace: (passed, what it printed).
fn trestle_validate(trestle: &Path, document: &[u8]) -> (bool, String) {
    let workspace = tempfile::tempdir().expect("tempdir");
    let init = Command::new(trestle).arg("init").current_dir(workspace.path()).output().expect("run trestle init");
    assert!(init.status.success(), "trestle init: {}{}", String::from_utf8_lossy(&init.stdout), String::from_utf8_lossy(&init.stderr));
    // trestle validates a model by its place in the workspace.
    let dir = workspace.path().join("assessment-results/kubepci");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("assessment-results.json"), document).expect("write");
    let out = Command::new(trestle).args(["validate", "-f", "assessment-results/kubepci/assessment-results.json"]).current_dir(workspace.path()).output().expect("run trestle validate");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success() && text.contains("VALID: Model") && !text.contains("INVALID"), text)
}

fn oscal(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = kubepci(dir, &[&["scan", "-f", "oscal"][..], args].concat());
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

#[test]
fn trestle_validates_the_assessment_results() {
    let Some(trestle) = kubepci_base::real_part::require("compliance-trestle", &["trestle"]) else { return };
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let examples = repo.join("examples");
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = oscal(dir.path(), &["-c", &examples.join("kubepci.yaml").to_string_lossy(), "--platform-config", &examples.join("platform").to_string_lossy(), &examples.join("demo-cluster").to_string_lossy()]);
    let (valid, text) = trestle_validate(&trestle, &demo);
    assert!(valid, "the demo's OSCAL: {text}");

    // Exceptions active, expiring, expired and unused, with and without compensating controls.
    std::fs::write(dir.path().join("app.yaml"), "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: agent, namespace: shop}\nspec:\n  selector: {matchLabels: {app: agent}}\n  template:\n    metadata: {labels: {app: agent}}\n    spec:\n      hostNetwork: true\n      containers: [{name: agent, image: r.example/agent:1}]\n").unwrap();
    std::fs::write(dir.path().join("kubepci.yaml"), "exceptions:\n\
- {check: POD-003, object: Deployment/shop/agent, reason: node agent, approvedBy: ciso@pay.example, ticket: RISK-1, expires: '2027-06-30', compensatingControl: CCW-3 node firewall, compensates: ['1.3.1', '2.2.3']}\n\
- {check: POD-021, object: Deployment/shop/agent, reason: vendor image, approvedBy: ciso@pay.example, expires: '2026-12-31'}\n\
- {check: POD-001, object: Deployment/shop/*, reason: old, approvedBy: cto@pay.example, expires: '2026-01-31'}\n\
- {check: '*', object: Deployment/gone/*, reason: decommissioned, approvedBy: ciso@pay.example}\n").unwrap();
    let document = oscal(dir.path(), &["-c", "kubepci.yaml", "app.yaml"]);
    let (valid, text) = trestle_validate(&trestle, &document);
    assert!(valid, "OSCAL with exceptions: {text}");
    let v: serde_json::Value = serde_json::from_slice(&document).expect("json");
    let result = &v["assessment-results"]["results"][0];
    let statuses: Vec<&str> = result["risks"].as_array().expect("risks").iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["deviation-approved", "deviation-approved", "open", "closed"]);
    assert!(result["risks"][0]["statement"].as_str().unwrap().contains("Compensating control: CCW-3 node firewall, for requirement 1.3.1, 2.2.3."));
    let compensated = result["findings"].as_array().unwrap().iter().find(|f| f["target"]["target-id"] == "pci-dss-v4.0.1_2.2.3").expect("2.2.3");
    assert_eq!(compensated["related-risks"][0]["risk-uuid"], result["risks"][0]["uuid"]);
    let prop = |name: &str| result["props"].as_array().unwrap().iter().find(|p| p["name"] == name).map(|p| p["value"].clone());
    assert_eq!(prop("input-kind"), Some("manifests".into()));
    assert_eq!(prop("exceptions-judged-on"), Some("2026-12-11".into()));

    // The validation is real: a malformed document fails it.
    let broken = String::from_utf8(document).unwrap().replacen("\"uuid\": \"", "\"uuid\": \"not-a-uuid-", 1);
    let (valid, text) = trestle_validate(&trestle, broken.as_bytes());
    assert!(!valid, "a malformed uuid passed: {text}");
}
