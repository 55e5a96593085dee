//! kubepci's own deployment passes its own checks, held to the CDE's level, and the Dockerfile
//! builds what the manifests run (lint-level: no Docker daemon here).

use std::path::Path;

use serde_json::Value;

mod common;
use common::kubepci;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// `deploy/serve.yaml` and `deploy/clusterrole.yaml` scanned with the namespace `kubepci`
/// declared CDE: no failure. The two accepted risks are exceptions with their reason: serve
/// needs its API token, and Gatekeeper constraint kinds can only be named by a wildcard.
#[test]
fn kubepci_serve_passes_its_own_cde_grade_checks() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kubepci.yaml");
    std::fs::write(
        &config,
        "scope:\n  cde:\n    namespaces: [kubepci]\napprovedRegistries: [registry.example.com/]\nexceptions:\n\
         - {check: SA-001, object: Deployment/kubepci/kubepci-serve, reason: serve reads the API with its token (get list watch), approvedBy: kubepci}\n\
         - {check: RBAC-002, object: ClusterRole/kubepci-watcher, reason: Gatekeeper constraint kinds are per installation, approvedBy: kubepci}\n\
         - {check: RBAC-002, object: ClusterRole/kubepci-reader, reason: Gatekeeper constraint kinds are per installation, approvedBy: kubepci}\n",
    )
    .unwrap();
    let out = kubepci(root(), &["scan", "-c", config.to_str().unwrap(), "deploy/serve.yaml", "deploy/clusterrole.yaml", "-f", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let failures: Vec<String> = report["findings"].as_array().unwrap().iter().filter(|f| f["status"] == "fail").map(|f| format!("{} {} {}", f["check"], f["object"], f["message"])).collect();
    assert!(failures.is_empty(), "kubepci's own deployment fails its checks: {failures:#?}");
    assert_eq!(report["summary"]["excepted"], 3);
    // The workload really was judged as CDE.
    assert!(report["scope"]["namespaces"].as_array().unwrap().iter().any(|n| n["name"] == "kubepci" && n["scope"] == "cde"));
    assert!(report["summary"]["passed"].as_u64().unwrap() > 50);
}

/// Multi-stage; the final stage is distroless, non-root, and holds only the binary the
/// manifests run (`args` start with a kubepci command).
#[test]
fn dockerfile_builds_a_minimal_non_root_image() {
    let text = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    let stages: Vec<usize> = lines.iter().enumerate().filter(|(_, l)| l.starts_with("FROM ")).map(|(i, _)| i).collect();
    assert!(stages.len() >= 2, "multi-stage");
    let last = &lines[*stages.last().unwrap()..];
    assert!(last[0].contains("distroless") && last[0].ends_with(":nonroot"), "{}", last[0]);
    let copies: Vec<&&str> = last.iter().filter(|l| l.starts_with("COPY")).collect();
    assert_eq!(copies.len(), 1, "only the binary: {copies:?}");
    assert!(copies[0].ends_with("target/release/kubepci /usr/local/bin/kubepci"));
    assert!(last.contains(&"USER 65532:65532"));
    assert!(last.contains(&r#"ENTRYPOINT ["/usr/local/bin/kubepci"]"#));
    assert!(!last.iter().any(|l| l.starts_with("RUN")), "nothing runs in the final image");
    assert!(lines.iter().any(|l| l.contains("cargo build --release --locked -p kubepci")));
    // The manifests' pods run as the image's user.
    for file in ["deploy/serve.yaml", "deploy/cronjob.yaml"] {
        let manifest = std::fs::read_to_string(root().join(file)).unwrap();
        assert!(manifest.contains("runAsUser: 65532") && manifest.contains("registry.example.com/kubepci"), "{file}");
    }
}

fn yaml(file: &str) -> Value {
    let text = std::fs::read_to_string(root().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    yaml_serde::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// The CI examples parse, write SARIF with the flags kubepci has, and upload it; the krew
/// manifest names the plugin binary kubepci answers to.
#[test]
fn ci_examples_and_krew_manifest() {
    let gha = yaml("deploy/ci/github-actions.yml");
    let steps = gha["jobs"]["scan"]["steps"].as_array().expect("steps");
    let runs: String = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    assert!(runs.contains("-f sarif -o kubepci.sarif") && runs.contains("kubepci diff ") && runs.contains("--fail-on high"), "{runs}");
    assert!(steps.iter().any(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif")) && s["with"]["sarif_file"] == "kubepci.sarif"));
    let gitlab = yaml("deploy/ci/gitlab-ci.yml");
    let script: Vec<&str> = gitlab["kubepci"]["script"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(script.iter().any(|l| l.contains("-f sarif -o kubepci.sarif")));
    assert!(gitlab["kubepci"]["artifacts"]["paths"].as_array().unwrap().iter().any(|p| p == "kubepci.sarif"));
    let krew = yaml("deploy/krew/pci.yaml");
    assert_eq!(krew["kind"], "Plugin");
    assert_eq!(krew["metadata"]["name"], "pci");
    assert!(krew["spec"]["platforms"].as_array().unwrap().iter().all(|p| p["bin"] == "kubectl-pci"));
    // Every flag the examples use exists: the scan commands parse (the input is missing, so
    // the run stops at reading it, not at the arguments).
    let dir = tempfile::tempdir().unwrap();
    let out = kubepci(dir.path(), &["scan", "rendered.yaml", "-f", "sarif", "-o", "kubepci.sarif", "--fail-on", "high"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("unexpected argument"), "{}", String::from_utf8_lossy(&out.stderr));
}
