//! Hand-made clusters an assessor would try, and the requirement statuses they must give: the
//! roll-up never says `pass` where the evidence does not support it.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios").join(name)
}

/// The JSON report of a scenario's cluster with its own kubepci.yaml.
fn report(name: &str) -> Value {
    report_with_config(name, &scenario(name).join("kubepci.yaml"))
}

/// The JSON report of a scenario's cluster with `config_text` as its kubepci.yaml.
fn report_with(name: &str, config_text: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kubepci.yaml");
    std::fs::write(&config, config_text).unwrap();
    report_with_config(name, &config)
}

fn report_with_config(name: &str, config: &Path) -> Value {
    let dir = scenario(name);
    let out = Command::new(env!("CARGO_BIN_EXE_kubepci"))
        .args(["scan", "-f", "json", "-c"])
        .arg(config)
        .arg(dir.join("cluster"))
        .current_dir(repo())
        .env("SOURCE_DATE_EPOCH", "1795000000")
        .env_remove("KUBEPCI_PROFILE")
        .output()
        .expect("run kubepci");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

fn requirement<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["requirements"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap_or_else(|| panic!("no requirement {id}"))
}

fn missing_checks(req: &Value) -> Vec<&str> {
    req["missingEvidence"].as_array().map(|m| m.iter().filter_map(|e| e["check"].as_str()).collect()).unwrap_or_default()
}

#[test]
fn a_perfect_cde_in_manifests_does_not_prove_enforcement() {
    let r = report("perfect-cde");
    for id in ["1.3.1", "1.3.2"] {
        let req = requirement(&r, id);
        assert_eq!(req["failed"], 0, "{id}: the scenario has no failure: {req}");
        assert_eq!(req["status"], "not-assessed", "{id}: NET-009 cannot tell from manifests whether policies are enforced: {req}");
        assert_eq!(req["roc"], "Not Tested");
        assert!(missing_checks(req).contains(&"NET-009"), "{id}: {req}");
    }
    // Nothing fails 1.4.4 here, but cluster data is only part of its evidence.
    assert_eq!(requirement(&r, "1.4.4")["status"], "partial");
    assert_eq!(requirement(&r, "1.4.4")["roc"], "Not Tested");
}

#[test]
fn a_fully_excepted_workload_is_excepted_never_pass() {
    let r = report("excepted-workload");
    for id in ["2.2.3", "2.2.6", "7.2.5"] {
        let req = requirement(&r, id);
        assert_eq!(req["status"], "excepted", "{id}: {req}");
        assert_eq!(req["roc"], "Not in Place", "{id}: no compensating control is named, so the risk is accepted: {req}");
        let ex = &req["exceptions"][0];
        assert_eq!(ex["object"], "Deployment/payments/agent");
        assert_eq!(ex["approvedBy"], "ciso@pay.example");
        assert_eq!(ex["ticket"], "RISK-9");
        assert_eq!(ex["expires"], "2099-12-31");
    }
    assert!(r["provenance"]["config"]["exceptions"].as_array().is_some_and(|e| e.len() == 1));
}

#[test]
fn a_compensating_control_is_named_and_never_turns_partial_evidence_into_in_place() {
    let original = std::fs::read_to_string(scenario("excepted-workload").join("kubepci.yaml")).unwrap();
    let r = report_with("excepted-workload", &format!("{original}    compensatingControl: CCW-12 dedicated node pool with host firewall\n"));
    let req = requirement(&r, "2.2.3");
    assert_eq!(req["status"], "excepted", "{req}");
    // 2.2.3 covers every system component, not only what the cluster shows: the control is
    // named, the ROC finding stays for the assessor to test.
    assert_eq!(req["roc"], "Not Tested");
    assert_eq!(req["rocNote"], "compensating controls named; cluster data is partial evidence for this requirement");
    assert_eq!(req["exceptions"][0]["compensatingControl"], "CCW-12 dedicated node pool with host firewall");
}

#[test]
fn a_disabled_check_holds_its_requirements_back_and_the_report_says_so() {
    let r = report_with("perfect-cde", "approvedRegistries: [registry.pay.example/]\nchecks:\n  disable: [EXP-001]\n");
    let req = requirement(&r, "1.4.4");
    assert_eq!(req["status"], "not-assessed", "{req}");
    let missing = &req["missingEvidence"].as_array().unwrap().iter().find(|m| m["check"] == "EXP-001").expect("EXP-001 listed")["reason"];
    assert_eq!(missing, "disabled in kubepci.yaml (checks.disable)");
    assert_eq!(r["provenance"]["config"]["disabledChecks"], serde_json::json!(["EXP-001"]));
    let check = r["checks"].as_array().unwrap().iter().find(|c| c["check"] == "EXP-001").expect("a disabled check stays listed");
    assert_eq!(check["notRun"], "disabled in kubepci.yaml (checks.disable)");
}

fn failing_objects<'a>(report: &'a Value, check: &str) -> Vec<(&'a str, &'a str)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == check && f["status"] == "fail")
        .map(|f| (f["object"]["name"].as_str().unwrap_or(""), f["scope"].as_str().unwrap_or("")))
        .collect()
}

#[test]
fn connected_workloads_are_hardened_like_the_cde_and_out_of_scope_failures_stand_apart() {
    let r = report("scope-classes");
    assert_eq!(failing_objects(&r, "POD-009"), [("checkout", "connected")], "a connected workload may not run as root");
    assert_eq!(failing_objects(&r, "POD-008"), [("checkout", "connected")]);
    let req = requirement(&r, "2.2.6");
    assert_eq!(req["status"], "fail", "{req}");
    assert_eq!(requirement(&r, "7.2.5")["status"], "fail");
    // The storefront runs privileged, but it is declared out of scope: reported, never failing.
    assert_eq!(failing_objects(&r, "POD-001"), [("web", "out")]);
    let req = requirement(&r, "2.2.3");
    assert_eq!(req["failed"], 0, "{req}");
    assert_eq!(req["failedOutOfScope"], 2, "the storefront's privileged pod and its unlabelled namespace: {req}");
    assert_ne!(req["status"], "fail");
}

#[test]
fn the_hardening_level_of_each_class_is_configurable() {
    let r = report_with("scope-classes", "approvedRegistries: [registry.pay.example/]\nhardening: {connected: baseline}\n");
    assert!(failing_objects(&r, "POD-009").is_empty(), "connected held to baseline: root is not a restricted-level check there");
    assert_eq!(r["provenance"]["config"]["hardening"]["connected"], "baseline");
    assert_eq!(r["provenance"]["config"]["hardening"]["cde"], "restricted");
}

/// The NET-013 results of a report: (status, message, evidence).
fn boundary_check_results(report: &Value) -> Vec<&Value> {
    report["findings"].as_array().unwrap().iter().filter(|f| f["check"] == "NET-013").collect()
}

/// The internet reaches a CDE workload through an Ingress (`ingress-into-cde`) or a Gateway API
/// HTTPRoute (`gateway-into-cde`): a finding naming the object and its place in the input
/// until kubepci.yaml approves `{ingress-controller}` → the workload; then the boundary lists
/// the path as approved, with the object.
#[test]
fn the_internet_reaching_the_cde_through_an_ingress_needs_an_approved_flow() {
    for (name, via, line) in [("ingress-into-cde", "Ingress payments/pay", 56), ("gateway-into-cde", "HTTPRoute payments/pay", 60)] {
        let approved = report(name);
        assert!(boundary_check_results(&approved).is_empty(), "{name}: {:?}", boundary_check_results(&approved));
        let flows: Vec<&Value> = approved["boundary"].as_array().unwrap().iter().filter(|f| f["from"] == "{ingress-controller}").collect();
        assert_eq!(flows.len(), 1, "{name}: {}", approved["boundary"]);
        let f = flows[0];
        assert_eq!((f["direction"].as_str(), f["to"].as_str(), f["connections"].as_str(), f["approved"].as_bool()), (Some("into-cde"), Some("payments/api[Deployment]"), Some("TCP 8443"), Some(true)), "{name}: {f}");
        assert_eq!(f["via"], serde_json::json!([via]), "{name}");

        // Without the `{ingress-controller}` entry (the controller's own hop stays approved).
        let original = std::fs::read_to_string(scenario(name).join("kubepci.yaml")).unwrap();
        let unapproved = report_with(name, original.split("  - from: \"{ingress-controller}\"").next().unwrap());
        let results = boundary_check_results(&unapproved);
        assert_eq!(results.len(), 1, "{name}: {results:?}");
        let finding = results[0];
        assert_eq!(finding["status"], "fail");
        assert_eq!(finding["message"], format!("unapproved flows into the CDE from {{ingress-controller}} via {via} (TCP 8443)"));
        let evidence = &finding["evidence"][0];
        let path = evidence["path"].as_str().unwrap();
        assert!(path.starts_with(&format!("ingress from {{ingress-controller}} via {via} (")) && path.ends_with(&format!("cluster.yaml:{line}:1)")), "{name}: {path}");
        assert_eq!(evidence["value"], "TCP 8443");
        let flow = unapproved["boundary"].as_array().unwrap().iter().find(|f| f["from"] == "{ingress-controller}").unwrap();
        assert_eq!((flow["approved"].as_bool(), flow["unapproved"].as_str()), (Some(false), Some("TCP 8443")));
    }
}

#[test]
fn a_workload_is_never_isolated_while_one_of_its_pods_is_open() {
    let r = report("pods-of-one-owner");
    assert_eq!(failing_objects(&r, "NET-001"), [("api", "cde")], "the canary pod is selected by no ingress policy");
    assert_eq!(failing_objects(&r, "NET-013"), [("api", "cde")], "the open pod lets the storefront in");
    let into_api = r["boundary"].as_array().unwrap().iter().any(|f| f["from"] == "shop/web[Deployment]" && f["to"] == "payments/api[Deployment]");
    assert!(into_api, "{}", r["boundary"]);
    assert_eq!(requirement(&r, "1.3.1")["status"], "fail");
}
