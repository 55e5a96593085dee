//! kubepci's own deployment passes its own checks, held to the CDE's level, and the Dockerfile
//! builds what the manifests run (lint-level: no Docker daemon here).

use std::path::Path;

use serde_json::Value;

mod common;
use common::{kubepci, scan_as_cde};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// `deploy/serve.yaml`, `deploy/webhook.yaml`, `deploy/cronjob.yaml` and
/// `deploy/clusterrole.yaml` scanned with the namespace `kubepci` declared CDE: no failure.
/// The accepted risks are exceptions with their reason ([`common::DEPLOY_CDE_CONFIG`]).
#[test]
fn kubepci_serve_passes_its_own_cde_grade_checks() {
    let (failures, report) = scan_as_cde(root(), &["deploy/serve.yaml", "deploy/webhook.yaml", "deploy/cronjob.yaml", "deploy/clusterrole.yaml"]);
    assert!(failures.is_empty(), "kubepci's own deployment fails its checks: {failures:#?}");
    assert_eq!(report["summary"]["excepted"], 6);
    // The workloads really were judged as CDE, and the webhook check ran on the configuration.
    assert!(report["scope"]["namespaces"].as_array().unwrap().iter().any(|n| n["name"] == "kubepci" && n["scope"] == "cde"));
    assert!(report["checks"].as_array().unwrap().iter().any(|c| c["check"] == "RT-001" && c["passed"].as_u64() == Some(1)), "fails closed");
    assert!(report["summary"]["passed"].as_u64().unwrap() > 100);
}

/// The webhook registration never blocks kube-system or its own namespace, answers within 3 s,
/// states its failure policy, supports dry-run (no side effects), and its certificate, PDB and
/// Service point at its pods.
#[test]
fn webhook_registration_is_safe() {
    let text = std::fs::read_to_string(root().join("deploy/webhook.yaml")).unwrap();
    let docs: Vec<Value> = yaml_serde::Deserializer::from_str(&text).map(|d| serde::Deserialize::deserialize(d).unwrap()).collect();
    let find = |kind: &str| docs.iter().find(|d| d["kind"] == kind).unwrap_or_else(|| panic!("{kind}"));
    let hooks = find("ValidatingWebhookConfiguration")["webhooks"].as_array().unwrap();
    for hook in hooks {
        let excluded: Vec<&Value> = hook["namespaceSelector"]["matchExpressions"].as_array().unwrap().iter().filter(|e| e["key"] == "kubernetes.io/metadata.name" && e["operator"] == "NotIn").flat_map(|e| e["values"].as_array().unwrap()).collect();
        assert!(excluded.iter().any(|v| *v == "kube-system") && excluded.iter().any(|v| *v == "kubepci"), "{excluded:?}");
        assert!(hook["timeoutSeconds"].as_u64().unwrap() <= 3);
        assert!(matches!(hook["failurePolicy"].as_str(), Some("Fail" | "Ignore")));
        assert_eq!(hook["sideEffects"], "None", "dry-run requests are sent only to side-effect-free webhooks");
        assert_eq!(hook["clientConfig"]["service"]["path"], "/validate");
        assert_eq!(hook["admissionReviewVersions"], serde_json::json!(["v1"]));
    }
    assert!(text.contains("# failurePolicy: Fail"), "the choice is documented in the file");
    let deployment = find("Deployment");
    let labels = &deployment["spec"]["template"]["metadata"]["labels"];
    assert_eq!(&find("PodDisruptionBudget")["spec"]["selector"]["matchLabels"], labels);
    assert_eq!(&find("Service")["spec"]["selector"], labels);
    assert!(deployment["spec"]["replicas"].as_u64().unwrap() >= 2, "a PDB over one replica would block node drains");
    let secret = &find("Certificate")["spec"]["secretName"];
    let volumes = deployment["spec"]["template"]["spec"]["volumes"].as_array().unwrap();
    assert!(volumes.iter().any(|v| &v["secret"]["secretName"] == secret));
    let args: Vec<&str> = deployment["spec"]["template"]["spec"]["containers"][0]["args"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    for flag in ["--webhook-listen", "--tls-cert", "--tls-key"] {
        assert!(args.contains(&flag), "{args:?}");
    }
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
    for file in ["deploy/serve.yaml", "deploy/webhook.yaml", "deploy/cronjob.yaml"] {
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
