//! End-to-end tests of `kubepci rbac` on the fixtures in `crates/rbac/tests/fixtures/`.

use std::path::PathBuf;
use std::process::{Command, Output};

fn fixture(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rbac/tests/fixtures").join(rel).to_string_lossy().into_owned()
}

fn kubepci(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubepci")).args(args).output().expect("kubepci runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn who_can_read_secrets_in_the_cde_names_binding_and_role() {
    let out = kubepci(&["rbac", "who-can", "get", "secrets", "-n", "payments", &fixture("demo"), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<String> = v.as_array().unwrap().iter().map(|e| format!("{}:{}", e["kind"].as_str().unwrap(), e["name"].as_str().unwrap())).collect();
    assert_eq!(names, ["User:ops", "Group:monitoring", "Group:system:masters", "ServiceAccount:builder"]);
    let builder = &v[3];
    assert_eq!(builder["namespace"], "tools");
    assert_eq!(builder["grants"][0]["binding"], "RoleBinding/payments/builder-reads-payments");
    assert_eq!(builder["grants"][0]["role"], "ClusterRole/secret-reader");
}

#[test]
fn who_can_non_resource_urls_and_other_namespaces() {
    let out = kubepci(&["rbac", "who-can", "get", "/debug/pprof", &fixture("demo")]);
    let text = stdout(&out);
    assert!(text.contains("monitoring"), "{text}");
    assert!(!text.contains("builder"), "RoleBindings do not grant non-resource URLs: {text}");
    let out = kubepci(&["rbac", "who-can", "get", "secrets", "-n", "tools", &fixture("demo")]);
    let text = stdout(&out);
    assert!(!text.contains("builder") && !text.contains("ops"), "{text}");
}

#[test]
fn subject_lists_effective_rules_including_group_grants() {
    let out = kubepci(&["rbac", "subject", "ServiceAccount:builder:tools", &fixture("demo")]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("namespace payments"), "{text}");
    assert!(text.contains("secrets"), "{text}");
    let bad = kubepci(&["rbac", "subject", "Robot:x", &fixture("demo")]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn paths_to_cde_name_each_step_and_exit_1() {
    let out = kubepci(&["rbac", "paths", "--to-cde", &fixture("demo"), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let dev = v.as_array().unwrap().iter().find(|p| p["start"]["name"] == "dev").expect("dev reaches the CDE");
    assert_eq!(dev["cdeNamespace"], "payments");
    let steps = dev["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    assert!(steps[0]["action"].as_str().unwrap().contains("create workloads in namespace tools running as ServiceAccount builder"));
    assert!(steps[1]["action"].as_str().unwrap().contains("read Secrets in CDE namespace payments"));
}

#[test]
fn review_csv_is_stamped_and_diff_shows_changes() {
    let out = kubepci(&["rbac", "review", &fixture("demo"), "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.lines().any(|l| l.starts_with("# input-sha256: ") && l.len() == "# input-sha256: ".len() + 64), "{text}");
    assert!(text.lines().any(|l| l.starts_with("# generated-at: ")), "{text}");
    assert!(text.contains("subject_kind,subject_name"), "{text}");
    assert!(text.contains("\"builder\""), "{text}");
    assert!(!text.contains("\"dev\""), "dev has no CDE or cluster-wide grant: {text}");

    let json = kubepci(&["rbac", "review", &fixture("demo"), "--format", "json"]);
    let dir = std::env::temp_dir().join(format!("kubepci-rbac-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut old: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    // Pretend the earlier review did not have the ops grant.
    old["entries"].as_array_mut().unwrap().retain(|e| e["subject"]["name"] != "ops");
    let old_path = dir.join("old.json");
    std::fs::write(&old_path, serde_json::to_vec(&old).unwrap()).unwrap();
    let diff = kubepci(&["rbac", "review", &fixture("demo"), "--format", "json", "--diff", old_path.to_str().unwrap()]);
    let d: serde_json::Value = serde_json::from_slice(&diff.stdout).unwrap();
    assert_eq!(d["added"].as_array().unwrap().len(), 1);
    assert_eq!(d["added"][0]["subject"]["name"], "ops");
    assert!(d["removed"].as_array().unwrap().is_empty());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn source_date_epoch_pins_the_review_time() {
    let out = Command::new(env!("CARGO_BIN_EXE_kubepci"))
        .args(["rbac", "review", &fixture("demo"), "--format", "csv"])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .expect("kubepci runs");
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).lines().any(|l| l == "# generated-at: 2023-11-14T22:13:20Z"), "{}", stdout(&out));
}

#[test]
fn load_errors_go_to_stderr_with_position_and_the_rest_is_analysed() {
    let out = kubepci(&["rbac", "who-can", "delete", "nodes", &fixture("broken")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.lines().any(|l| l.contains("bad.yaml:") && l.split(':').count() >= 4), "{err}");
    assert!(stdout(&out).contains("root"), "cluster-admin binding still analysed");
}
