//! End-to-end tests of `kubepci pss` on the fixtures in `crates/pss/tests/fixtures/`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn fixtures(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../pss/tests/fixtures").join(rel)
}

fn kubepci(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubepci")).args(args).output().expect("kubepci runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn text_lists_verdicts_and_violations_and_exits_1_on_denial() {
    let dir = fixtures("mixed");
    let out = kubepci(&["pss", "--level", "baseline", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("ALLOWED CronJob/shop/report ("), "{text}");
    assert!(lines[0].ends_with("cronjob.yaml:2)"), "{text}");
    assert!(lines[1].starts_with("ALLOWED Deployment/shop/web ("), "{text}");
    assert!(lines[2].starts_with("DENIED DaemonSet/kube-system/agent ("), "{text}");
    assert!(lines[2].ends_with("workloads.yaml:26)"), "{text}");
    assert!(text.contains("    hostNamespaces [baseline]: host namespaces (hostNetwork=true)"), "{text}");
    assert!(text.contains(r#"    privileged [baseline]: privileged (container "agent" must not set securityContext.privileged=true)"#));
    assert!(text.contains("spec.template.spec.containers[0].securityContext.privileged"));
    assert!(!text.contains("not-a-workload"), "objects without pods are not listed");
}

#[test]
fn json_has_one_entry_per_pod_template() {
    let file = fixtures("mixed/cronjob.yaml");
    let out = kubepci(&["pss", "--level", "restricted", "--version", "v1.24", "--format", "json", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let entries = v.as_array().expect("a list");
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(e["object"], serde_json::json!({"apiVersion": "batch/v1", "kind": "CronJob", "namespace": "shop", "name": "report"}));
    assert!(e["source"].as_str().unwrap().ends_with("cronjob.yaml:2"));
    assert_eq!(e["allowed"], false);
    let controls: Vec<&str> = e["violations"].as_array().unwrap().iter().map(|v| v["control"].as_str().unwrap()).collect();
    assert_eq!(controls, ["allowPrivilegeEscalation", "capabilities_restricted", "runAsNonRoot", "seccompProfile_restricted"]);
    assert!(e["violations"][0]["fields"][0].as_str().unwrap().starts_with("spec.jobTemplate.spec.template.spec.containers[0]"));
    assert!(e["violations"][0]["reason"].as_str().unwrap().starts_with("allowPrivilegeEscalation != false ("));
}

#[test]
fn all_allowed_exits_0() {
    let file = fixtures("mixed/cronjob.yaml");
    let out = kubepci(&["pss", "--level", "baseline", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).starts_with("ALLOWED CronJob/shop/report"));
}

#[test]
fn broken_documents_are_reported_and_the_rest_evaluated() {
    let dir = fixtures("broken");
    let out = kubepci(&["pss", "--level", "baseline", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.yaml:16:"), "stderr names file:line:col: {err}");
    assert!(stdout(&out).contains("ALLOWED Pod/fine"));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["pss", "--level", "strict", "x.yaml"][..],
        &["pss", "--level", "baseline", "--version", "1.25", "x.yaml"][..],
        &["pss", "--level", "baseline"][..],
        &["pss", "x.yaml"][..],
    ] {
        assert_eq!(kubepci(args).status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn reads_stdin() {
    let manifest = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\nspec:\n  hostPID: true\n  containers: [{name: c, image: x}]\n";
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubepci"))
        .args(["pss", "--level", "baseline", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("kubepci runs");
    child.stdin.take().unwrap().write_all(manifest.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("DENIED Pod/n/p"));
    assert!(stdout(&out).contains("hostNamespaces [baseline]: host namespaces (hostPID=true)"));
}
