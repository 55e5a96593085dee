//! Snapshot tests: every format rendered from one fixed report. The fixture has every status,
//! an exception, a cluster-level finding, a live object without a line, and evidence with a
//! masked card number, so each printer's handling of each case is pinned.

use kubepci_findings::{AppliedException, CheckSummary, Evidence, Finding, Location, Severity, Status};
use kubepci_model::ObjectRef;

use super::*;

fn finding(check: &str, status: Status, severity: Severity, object: Option<(&str, Option<&str>, &str)>, line: u32, message: &str) -> Finding {
    Finding {
        check: check.into(),
        title: format!("Title of {check}").into(),
        status,
        severity,
        requirements: vec!["2.2.6".into(), "2.2.1".into()].into(),
        object: object.map(|(kind, ns, name)| ObjectRef { api_version: "v1".into(), kind: kind.into(), namespace: ns.map(Into::into), name: name.into() }),
        scope: object.and_then(|(_, ns, _)| ns.map(|_| "cde".into())),
        location: Some(Location { file: if line == 0 { "https://cluster.example:6443".into() } else { "manifests/app <1>.yaml".into() }, line, column: if line == 0 { 0 } else { 1 } }),
        message: message.into(),
        evidence: vec![Evidence::field("data[card]", "Visa 455673******9855")],
        remediation: format!("Fix {check}.").into(),
        exception: None,
    }
}

fn check(id: &str, severity: Severity, passed: usize, failed: usize, excepted: usize, not_assessed: usize) -> CheckInfo {
    check_for(id, &["2.2.6", "2.2.1"], severity, passed, failed, excepted, not_assessed)
}

fn check_for(id: &str, requirements: &[&str], severity: Severity, passed: usize, failed: usize, excepted: usize, not_assessed: usize) -> CheckInfo {
    CheckInfo {
        summary: CheckSummary {
            check: id.into(),
            title: format!("Title of {id}"),
            severity,
            requirements: requirements.iter().map(|r| r.to_string()).collect(),
            passed,
            failed,
            excepted,
            not_assessed,
            not_run: None,
        },
        name: format!("name-of-{}", id.to_lowercase()),
        remediation: format!("Fix {id}."),
        help: format!("# {id}\n\nHelp & <details>."),
    }
}

/// The fixture with a boundary flow, for printers' own tests.
pub(crate) fn demo_report() -> Report {
    let mut report = fixture();
    report.boundary = vec![kubepci_findings::BoundaryFlow {
        direction: "into-cde".into(),
        from: "shop/* (4 workloads outside the CDE)".into(),
        to: "payments/* (2 CDE workloads)".into(),
        connections: "TCP 8443".into(),
        unapproved: "TCP 8443".into(),
        approved: false,
        workloads: 4,
        cde_workloads: 2,
        via: Vec::new(),
    }];
    report.access = vec![
        AccessGrant {
            subject: "Group:platform-admins".into(),
            scope: "cluster-wide".into(),
            binding: "ClusterRoleBinding/admins".into(),
            role: "ClusterRole/cluster-admin".into(),
            capabilities: vec!["everything".into(), "exec-pods".into(), "get-secrets".into()],
            approved: true,
        },
        AccessGrant {
            subject: "User:alice@example".into(),
            scope: "payments".into(),
            binding: "RoleBinding/payments/debug".into(),
            role: "Role/payments/debug".into(),
            capabilities: vec!["exec-pods".into(), "list-secrets".into()],
            approved: false,
        },
    ];
    report
}

fn fixture() -> Report {
    let mut excepted = finding("POD-004", Status::Excepted, Severity::High, Some(("DaemonSet", Some("monitoring"), "agent")), 3, "hostPath volume /var/log");
    excepted.exception = Some(Box::new(AppliedException { reason: "log shipper".into(), approved_by: "ciso@example".into(), ticket: Some("RISK-1".into()), expires: Some("2027-01-31".into()), compensating_control: None, compensates: Vec::new() }));
    // The only result of a check mapped to 10.3.2 alone: an exception naming a compensating
    // control (excepted, ROC "In Place" with the control named).
    let mut compensated = finding("POD-005", Status::Excepted, Severity::High, Some(("DaemonSet", Some("monitoring"), "agent")), 3, "hostNetwork");
    compensated.requirements = vec!["10.3.2".into()].into();
    compensated.exception = Some(Box::new(AppliedException {
        reason: "node agent".into(),
        approved_by: "ciso@example".into(),
        ticket: None,
        expires: None,
        compensating_control: Some("CCW-3 node firewall".into()),
        compensates: Vec::new(),
    }));
    let findings = vec![
        finding("DATA-001", Status::Fail, Severity::Critical, Some(("ConfigMap", Some("payments"), "replay")), 12, "1 card number (PAN) in plain text at data[card]"),
        finding("POD-001", Status::Fail, Severity::Critical, Some(("Pod", Some("payments"), "live-pod")), 0, "privileged (container \"x\" must not set securityContext.privileged=true)"),
        finding("SCOPE-002", Status::Fail, Severity::High, None, 0, "no namespace is classified as cde"),
        excepted,
        compensated,
        finding("NET-009", Status::NotAssessed, Severity::Medium, None, 0, "manifests carry no CNI daemonset"),
    ];
    let checks = vec![
        check("DATA-001", Severity::Critical, 40, 1, 0, 0),
        check("NET-009", Severity::Medium, 0, 0, 0, 1),
        check("POD-001", Severity::Critical, 7, 1, 0, 0),
        check("POD-004", Severity::High, 6, 0, 1, 0),
        check_for("POD-005", &["10.3.2"], Severity::High, 0, 0, 1, 0),
        check_for("RBAC-001", &["1.3.1", "7.2.5"], Severity::High, 12, 0, 0, 0),
        CheckInfo { summary: CheckSummary { not_run: Some("disabled in kubepci.yaml (checks.disable)".into()), ..check_for("NET-012", &["7.3.1"], Severity::Medium, 0, 0, 0, 0).summary }, ..check("NET-012", Severity::Medium, 0, 0, 0, 0) },
        check("SCOPE-002", Severity::High, 0, 1, 0, 0),
    ];
    let input = InputSummary {
        kind: "manifests".into(),
        sources: vec!["manifests/".into()],
        files: 3,
        documents: 53,
        objects: 52,
        kinds: [("ConfigMap".to_string(), 2), ("Pod".to_string(), 50)].into_iter().collect(),
        errors: vec![InputError { file: "manifests/broken.yaml".into(), line: 4, column: 7, message: "mapping values are not allowed in this context".into() }],
        snapshot: None,
    };
    let scope = ScopeSummary {
        namespaces: vec![NamespaceScope { name: "payments".into(), scope: "cde".into(), reason: "namespace label".into() }],
        workloads: [("cde".to_string(), 3)].into_iter().collect(),
        workload_scopes: vec![WorkloadScope { kind: "Deployment".into(), namespace: "payments".into(), name: "api".into(), scope: "cde".into(), reason: "namespace payments: namespace label".into() }],
    };
    let config = kubepci_inventory::Config::from_yaml(
        "kubepci.yaml",
        "checks:\n  disable: [NET-012]\n  overrides:\n    POD-019: {severity: low}\nexceptions:\n- {check: POD-004, object: DaemonSet/monitoring/agent, reason: log shipper, approvedBy: ciso@example, ticket: RISK-1, expires: '2027-01-31'}\n",
    )
    .expect("valid config");
    let provenance = Provenance {
        registry: RegistryInfo { checks: 89, sha256: format!("sha256:{}", "ab".repeat(32)) },
        config: EffectiveConfig::new(&config, ConfigSource { path: Some("kubepci.yaml".into()), sha256: Some(format!("sha256:{}", "cd".repeat(32))) }),
        run: RunInfo { only: Vec::new(), date: Some("2026-11-28".into()) },
    };
    Report::new("2026-11-28T12:00:00Z".into(), provenance, input, scope, checks, findings)
}

#[test]
fn text() {
    insta::assert_snapshot!(render(&demo_report(), Format::Text, PrintOptions::default()));
}

#[test]
fn text_colour() {
    let out = render(&fixture(), Format::Text, PrintOptions { color: true, verbose: true });
    assert!(out.contains("\x1b[1;31mFAIL        \x1b[0m"));
    assert!(out.contains("8.4.1"), "verbose lists manual requirements");
}

#[test]
fn json() {
    insta::assert_snapshot!(render(&demo_report(), Format::Json, PrintOptions::default()));
}

#[test]
fn sarif() {
    insta::assert_snapshot!(render(&fixture(), Format::Sarif, PrintOptions::default()));
}

#[test]
fn junit() {
    insta::assert_snapshot!(render(&fixture(), Format::Junit, PrintOptions::default()));
}

#[test]
fn policyreport() {
    insta::assert_snapshot!(render(&fixture(), Format::PolicyReport, PrintOptions::default()));
}

#[test]
fn oscal() {
    insta::assert_snapshot!(render(&fixture(), Format::Oscal, PrintOptions::default()));
}

#[test]
fn prometheus() {
    insta::assert_snapshot!(render(&fixture(), Format::Prometheus, PrintOptions::default()));
}

#[test]
fn json_has_the_documented_top_level_fields() {
    let v: serde_json::Value = serde_json::from_str(&render(&fixture(), Format::Json, PrintOptions::default())).unwrap();
    for key in ["schema", "tool", "standard", "generatedAt", "provenance", "input", "scope", "summary", "requirements", "checks", "findings"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    let f = &v["findings"][0];
    for key in ["check", "status", "severity", "requirements", "object", "location", "evidence", "remediation"] {
        assert!(f.get(key).is_some(), "finding lacks {key}");
    }
    assert_eq!(v["schema"], REPORT_SCHEMA_VERSION);
}

#[test]
fn every_report_says_what_configuration_shaped_it() {
    let r = fixture();
    let v: serde_json::Value = serde_json::from_str(&render(&r, Format::Json, PrintOptions::default())).unwrap();
    let p = &v["provenance"];
    assert_eq!(p["config"]["disabledChecks"], serde_json::json!(["NET-012"]));
    assert_eq!(p["config"]["overrides"]["POD-019"]["severity"], "low");
    assert_eq!(p["config"]["exceptions"][0]["approvedBy"], "ciso@example");
    assert_eq!(p["config"]["path"], "kubepci.yaml");
    assert!(p["registry"]["sha256"].as_str().unwrap().starts_with("sha256:"));
    let text = render(&r, Format::Text, PrintOptions::default());
    assert!(text.contains("results shaped by: 1 check disabled (NET-012) · override: POD-019 · 1 exception"), "{text}");
    let sarif: serde_json::Value = serde_json::from_str(&render(&r, Format::Sarif, PrintOptions::default())).unwrap();
    assert_eq!(sarif["runs"][0]["properties"]["provenance"]["config"]["disabledChecks"][0], "NET-012");
    let oscal = render(&r, Format::Oscal, PrintOptions::default());
    assert!(oscal.contains("\"config-change\"") && oscal.contains("1 check disabled (NET-012)"));
}

#[test]
fn the_roll_up_shows_every_status_in_every_format() {
    let r = fixture();
    let status = |id: &str| r.requirements.iter().find(|q| q.id == id).map(|q| q.status).unwrap();
    use kubepci_findings::RequirementStatus as S;
    assert_eq!(status("2.2.6"), S::Fail);
    assert_eq!(status("10.3.2"), S::Excepted);
    assert_eq!(status("7.3.1"), S::NotAssessed, "a disabled check holds its requirement back");
    assert_eq!(status("1.3.1"), S::Pass, "the one requirement cluster data decides");
    assert_eq!(status("7.2.5"), S::Partial);
    assert_eq!(status("8.4.1"), S::Manual);
    let text = render(&r, Format::Text, PrintOptions::default());
    assert!(text.contains("EXCEPTED     10.3.2"), "{text}");
    assert!(text.contains("compensating control: CCW-3 node firewall"), "{text}");
    assert!(text.contains("disabled in kubepci.yaml (checks.disable)"), "{text}");
    let prom = render(&r, Format::Prometheus, PrintOptions::default());
    assert!(prom.contains("kubepci_requirement_status{requirement=\"10.3.2\",status=\"excepted\"} 1"));
}

#[test]
fn sarif_is_structurally_valid() {
    let v: serde_json::Value = serde_json::from_str(&render(&fixture(), Format::Sarif, PrintOptions::default())).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    for r in run["results"].as_array().unwrap() {
        let id = r["ruleId"].as_str().unwrap();
        assert_eq!(rules[r["ruleIndex"].as_u64().unwrap() as usize], id);
        assert!(["error", "warning", "note", "none"].contains(&r["level"].as_str().unwrap()));
        assert!(!r["message"]["text"].as_str().unwrap().is_empty());
        if let Some(region) = r["locations"][0]["physicalLocation"].get("region") {
            assert!(region["startLine"].as_u64().unwrap() >= 1);
        }
        assert!(!r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap_or("").contains(' '));
    }
}

#[test]
fn worst_failure_ignores_exceptions_and_not_assessed() {
    assert_eq!(fixture().worst_failure(), Some(Severity::Critical));
}

#[test]
fn not_assessed_reasons_say_what_unlocks_them_most_checks_first() {
    let mut report = fixture();
    let cde = kubepci_findings::reasons::NO_CDE_DECLARED;
    for id in ["NET-001", "NET-002"] {
        report.findings.push(finding(id, Status::NotAssessed, Severity::High, None, 0, cde));
        report.checks.push(check(id, Severity::High, 0, 0, 0, 1));
    }
    let report = Report::new(report.generated_at, report.provenance, report.input, report.scope, report.checks, report.findings);
    let text = render(&report, Format::Text, PrintOptions::default());
    let section = &text[text.find("Not assessed").expect("section")..];
    let lines: Vec<&str> = section.lines().collect();
    assert_eq!(lines[1], "  • no CDE declared", "{section}");
    let action = crate::unlock(cde).expect("an action").action;
    assert_eq!(lines[2], format!("      2 checks wait for a declared CDE: {action}"));
    assert_eq!(lines[3], "      NET-001, NET-002; holds back 2.2.1, 2.2.6");
    // A reason no single action lifts is listed without one.
    let other = lines.iter().position(|l| l.contains("manifests carry no CNI daemonset")).expect("NET-009's reason");
    assert!(lines[other + 1].starts_with("      NET-009"), "{section}");
    // JSON keeps every item.
    let json: serde_json::Value = serde_json::from_str(&render(&report, Format::Json, PrintOptions::default())).expect("json");
    assert_eq!(json["findings"].as_array().expect("findings").iter().filter(|f| f["message"] == cde).count(), 2);
}

#[test]
fn an_input_error_without_a_position_is_printed_without_one() {
    let mut report = fixture();
    report.input.errors.push(InputError { file: "/nonexistent".into(), line: 0, column: 0, message: "cannot read".into() });
    let text = render(&report, Format::Text, PrintOptions::default());
    assert!(text.contains("  error manifests/broken.yaml:4:7: mapping values"), "{text}");
    assert!(text.contains("  error /nonexistent: cannot read\n"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&render(&report, Format::Json, PrintOptions::default())).expect("json");
    assert_eq!(json["input"]["errors"][1]["line"], 0);
}
