//! End to end: `kubepci audit analyze`, `audit rbac` and `audit rules` on a small log, every
//! format, configuration (CDE, break-glass, exceptions), the RBAC model from manifests, exit
//! codes, and no card number or Secret value in any output.

use std::path::Path;
use std::process::Output;

mod common;

const PAN: &str = "4539578763621486";
const SECRET_VALUE: &str = "c3VwZXJzZWNyZXQtZGItcGFzc3dvcmQ=";

fn kubepci(args: &[&str], stdin: Option<&str>) -> Output {
    common::kubepci_stdin(args, stdin.unwrap_or(""), &[("SOURCE_DATE_EPOCH", "1700000000")])
}

#[allow(clippy::too_many_arguments)] // one event per line reads best as a flat call
fn event(id: &str, user: &str, verb: &str, resource: &str, sub: &str, ns: &str, name: &str, code: u16, extra: &str) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"{id}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/{ns}/{resource}/{name}","verb":"{verb}","user":{{"username":"{user}","groups":["system:authenticated"]}},"sourceIPs":["10.0.0.5"],"objectRef":{{"resource":"{resource}","subresource":"{sub}","namespace":"{ns}","name":"{name}","apiVersion":"v1"}},"responseStatus":{{"code":{code}}},"requestReceivedTimestamp":"2026-11-20T10:00:{:02}Z"{extra}}}"#,
        id.len() % 60
    )
}

fn log() -> String {
    let secret_body = format!(r#","responseObject":{{"kind":"Secret","data":{{"password":"{SECRET_VALUE}"}},"stringData":{{"card":"{PAN}"}}}}"#);
    [
        event("a1", "alice", "get", "secrets", "", "payments", &format!("card-{PAN}"), 200, &secret_body),
        event("a2", "alice", "create", "pods", "exec", "payments", "api-0", 101, ""),
        "this line is not json".to_string(),
        event("a3", "system:anonymous", "get", "pods", "", "payments", "api-0", 403, ""),
        event("a4", "bg-admin", "list", "pods", "", "shop", "", 200, ""),
        event("a5", "carol", "delete", "configmaps", "", "shop", "settings", 200, ""),
        event("a6", "system:serviceaccount:kube-system:replicaset-controller", "list", "secrets", "", "shop", "", 200, ""),
    ]
    .join("\n")
        + "\n"
}

fn setup(dir: &Path) {
    std::fs::write(dir.join("audit.log"), log()).unwrap();
    std::fs::write(
        dir.join("kubepci.yaml"),
        "scope:\n  cde:\n    namespaces: [payments]\nbreakGlassUsers: [bg-*]\nexceptions:\n  - {check: AUD-CDE-ACCESS, object: \"pods/exec/payments/*\", reason: on-call debugging, approvedBy: ciso, expires: \"2099-01-01\"}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("rbac.yaml"),
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: carol-admin}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: User, name: carol, apiGroup: rbac.authorization.k8s.io}]\n",
    )
    .unwrap();
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn assert_no_secrets(o: &Output) {
    let all = text(o);
    assert!(!all.contains(PAN), "a full card number leaked");
    assert!(!all.contains(SECRET_VALUE), "a Secret value leaked");
}

#[test]
fn analyze_json_carries_the_documented_fields_and_uses_the_configuration_and_rbac_model() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let d = |f: &str| dir.path().join(f).display().to_string();
    let out = kubepci(&["audit", "analyze", &d("audit.log"), "-c", &d("kubepci.yaml"), "--manifests", &d("rbac.yaml"), "-f", "json"], None);
    assert_no_secrets(&out);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("audit.log:3: invalid JSON"), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let alerts = v["alerts"].as_array().unwrap();
    let rules: Vec<&str> = alerts.iter().map(|a| a["rule"].as_str().unwrap()).collect();
    for want in ["AUD-SECRET-READ", "AUD-CDE-EXEC", "AUD-EXEC", "AUD-CDE-ACCESS", "AUD-ANONYMOUS", "AUD-AUTH-FAILED", "AUD-BREAK-GLASS", "AUD-ADMIN-ACTION"] {
        assert!(rules.contains(&want), "{want} missing from {rules:?}");
    }
    // The replicaset controller's routine secret list raises nothing.
    assert!(!alerts.iter().any(|a| a["user"].as_str().unwrap().contains("replicaset-controller")));
    for a in alerts {
        for key in ["rule", "requirements", "severity", "auditID", "time", "user", "impersonator", "sourceIPs", "verb", "object", "decision", "falco", "panther", "file", "line"] {
            assert!(a.get(key).is_some(), "alert lacks {key}: {a}");
        }
    }
    let admins: Vec<&str> = alerts.iter().filter(|a| a["rule"] == "AUD-ADMIN-ACTION").map(|a| a["user"].as_str().unwrap()).collect();
    assert_eq!(admins, ["bg-admin", "carol"], "cluster-admin holders come from the RBAC model; break-glass users are administrators");
    let exec_cde = alerts.iter().find(|a| a["rule"] == "AUD-CDE-ACCESS" && a["object"]["subresource"] == "exec").unwrap();
    assert_eq!(exec_cde["excepted"]["approvedBy"], "ciso");
    let secret = alerts.iter().find(|a| a["rule"] == "AUD-SECRET-READ").unwrap();
    assert_eq!(secret["falco"], "K8s Secret Get Successfully");
    assert_eq!(secret["object"]["name"], "card-453957******1486");
    assert_eq!(secret["line"], 1);
    assert_eq!(v["completeness"]["events"], 6);
    assert_eq!(v["diagnosticsTotal"], 1);
    assert!(v["activity"].as_array().unwrap().iter().any(|a| a["user"] == "alice" && a["lastSeen"].is_string()));
}

#[test]
fn text_sarif_stdin_fail_on_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let d = |f: &str| dir.path().join(f).display().to_string();
    let out = kubepci(&["audit", "analyze", &d("audit.log"), "-c", &d("kubepci.yaml")], None);
    assert_no_secrets(&out);
    let t = text(&out);
    assert!(t.contains("PCI DSS 10.2.1.1:") && t.contains("PCI DSS 10.2.1.4:") && t.contains("10.2.2 log completeness"), "{t}");
    let sarif = kubepci(&["audit", "analyze", "-", "-f", "sarif", "--fail-on", "high"], Some(&log()));
    assert_no_secrets(&sarif);
    assert_eq!(sarif.status.code(), Some(1), "an anonymous request is high: --fail-on high fails");
    let v: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert!(v["runs"][0]["results"].as_array().unwrap().iter().any(|r| r["ruleId"] == "AUD-ANONYMOUS"));
    let none = kubepci(&["audit", "analyze", "-", "--fail-on", "critical"], Some(&log()));
    assert_eq!(none.status.code(), Some(0));
    std::fs::write(dir.path().join("junk.json"), "{\"kind\": 0}\n").unwrap();
    let junk = kubepci(&["audit", "analyze", &d("junk.json")], None);
    assert_eq!(junk.status.code(), Some(2));
    assert!(text(&junk).contains("not Kubernetes audit events"), "{}", text(&junk));
}

#[test]
fn rbac_writes_the_role_used_and_compares_with_grants() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let d = |f: &str| dir.path().join(f).display().to_string();
    let out = kubepci(&["audit", "rbac", "--subject", "User:carol", &d("audit.log"), "--manifests", &d("rbac.yaml"), "-f", "json"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["generated"][0]["kind"], "Role");
    assert_eq!(v["generated"][0]["rules"][0]["verbs"], serde_json::json!(["delete"]));
    let unused: Vec<&str> = v["comparison"]["grantedNeverUsed"].as_array().unwrap().iter().filter_map(|x| x.as_str()).collect();
    assert!(unused.iter().any(|u| u.starts_with("* *")), "cluster-admin's wildcard is granted and wider than used: {unused:?}");
    let rules = kubepci(&["audit", "rules"], None);
    assert!(text(&rules).contains("falco: Attach/Exec Pod"));
}

#[test]
fn rbac_review_with_audit_logs_adds_last_active_and_unused_grants() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let d = |f: &str| dir.path().join(f).display().to_string();
    std::fs::write(
        dir.path().join("roles.yaml"),
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: reader, namespace: payments}\nrules: [{apiGroups: [\"\"], resources: [pods], verbs: [get, list]}, {apiGroups: [\"\"], resources: [secrets], verbs: [get]}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: readers, namespace: payments}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}\nsubjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}, {kind: User, name: erin, apiGroup: rbac.authorization.k8s.io}, {kind: Group, name: ops, apiGroup: rbac.authorization.k8s.io}]\n",
    )
    .unwrap();
    let out = kubepci(&["rbac", "review", &d("roles.yaml"), "-c", &d("kubepci.yaml"), "--audit", &d("audit.log")], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(csv.contains("last_active,granted_never_used,approver"), "{csv}");
    let row = |who: &str| csv.lines().find(|l| l.starts_with(&format!("\"{who}"))).map(str::to_string).unwrap_or_default();
    let alice = csv.lines().find(|l| l.contains("\"alice\"")).unwrap();
    assert!(alice.contains("\"2026-11-20T10:00:02Z\",\"get,list pods\""), "alice read a Secret, never pods: {alice}");
    let erin = csv.lines().find(|l| l.contains("\"erin\"")).unwrap();
    assert!(erin.contains("\"never in the logs\""), "{erin}");
    assert!(row("Group").contains("not assessed"), "{csv}");
    // Without --audit the sheet is unchanged.
    let plain = kubepci(&["rbac", "review", &d("roles.yaml"), "-c", &d("kubepci.yaml")], None);
    assert!(!String::from_utf8_lossy(&plain.stdout).contains("last_active"));
}

#[test]
fn scan_with_audit_logs_flags_inactive_cde_subjects() {
    let dir = tempfile::tempdir().unwrap();
    let d = |f: &str| dir.path().join(f).display().to_string();
    std::fs::write(
        dir.path().join("cluster.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: ops-view, namespace: payments}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}, {apiGroup: rbac.authorization.k8s.io, kind: User, name: erin}]\n",
    )
    .unwrap();
    let at = |user: &str, t: &str| format!(r#"{{"verb":"get","user":{{"username":"{user}"}},"objectRef":{{"resource":"pods","namespace":"payments"}},"responseStatus":{{"code":200}},"requestReceivedTimestamp":"{t}"}}"#);
    let long = [at("bob", "2026-07-01T00:00:00Z"), at("erin", "2026-07-02T00:00:00Z"), at("alice", "2026-11-30T00:00:00Z")].join("\n");
    std::fs::write(dir.path().join("audit.log"), long).unwrap();
    let out = kubepci(&["scan", &d("cluster.yaml"), "--audit-log", &d("audit.log"), "--only", "RBAC-012", "-f", "json"], None);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("RBAC-012") && report.contains("User:erin (last request 2026-07-02T00:00:00Z"), "{}", text(&out));
    assert!(!report.contains("User:alice ("), "alice was active: {report}");
    // A log covering a few days cannot tell 90 days of inactivity.
    std::fs::write(dir.path().join("short.log"), at("alice", "2026-11-30T00:00:00Z")).unwrap();
    let short = kubepci(&["scan", &d("cluster.yaml"), "--audit-log", &d("short.log"), "--only", "RBAC-012", "-f", "json"], None);
    assert!(String::from_utf8_lossy(&short.stdout).contains("90 are needed to tell inactivity"), "{}", text(&short));
    let none = kubepci(&["scan", &d("cluster.yaml"), "--only", "RBAC-012", "-f", "json"], None);
    assert!(String::from_utf8_lossy(&none.stdout).contains("no API audit logs given"), "{}", text(&none));
}

/// A threshold rule: ten 403s from one public address in a minute are one burst alert (with the
/// count and times in JSON and text), nine are none; each request still has its own alert.
#[test]
fn a_burst_of_403s_from_a_public_address_is_one_alert() {
    let burst = |n: usize| -> String {
        (0..n)
            .map(|i| event(&format!("b{i}"), "mallory", "list", "secrets", "", "payments", "", 403, "").replace("10.0.0.5", "203.0.113.7") + "\n")
            .collect()
    };
    let out = kubepci(&["audit", "analyze", "-", "-f", "json"], Some(&burst(10)));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let alerts = v["alerts"].as_array().unwrap();
    let bursts: Vec<&serde_json::Value> = alerts.iter().filter(|a| a["rule"] == "AUD-403-BURST-PUBLIC-IP").collect();
    assert_eq!(bursts.len(), 1, "{alerts:?}");
    assert_eq!(bursts[0]["burst"], serde_json::json!({"key": "sourceIP", "value": "203.0.113.7", "count": 10, "firstTime": "2026-11-20T10:00:02Z", "lastTime": "2026-11-20T10:00:02Z"}));
    assert_eq!(alerts.iter().filter(|a| a["rule"] == "AUD-403-PUBLIC-IP").count(), 10);
    assert!(alerts.iter().filter(|a| a["rule"] != "AUD-403-BURST-PUBLIC-IP").all(|a| a.get("burst").is_none()));
    let t = text(&kubepci(&["audit", "analyze", "-"], Some(&burst(10))));
    assert!(t.contains("10 requests with sourceIP 203.0.113.7"), "{t}");
    let nine = kubepci(&["audit", "analyze", "-", "-f", "json"], Some(&burst(9)));
    let v: serde_json::Value = serde_json::from_slice(&nine.stdout).unwrap();
    assert!(!v["alerts"].as_array().unwrap().iter().any(|a| a["rule"] == "AUD-403-BURST-PUBLIC-IP"));
}
