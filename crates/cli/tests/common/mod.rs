//! What the end-to-end tests against a live cluster share: the in-process fake apiserver and a
//! way to run the binary that no kubeconfig or profile setting of the environment can reach.

#![allow(dead_code)] // each test crate uses its own part

use std::path::Path;
use std::io::Write;
use std::process::{Command, Output, Stdio};

use kubepci_fake_apiserver::{Behaviour, FakeApiserver, Served, fixtures};

/// The fake apiserver with the tokio runtime it runs on (dropped together).
pub struct Cluster {
    pub server: FakeApiserver,
    _runtime: tokio::runtime::Runtime,
}

/// The fake apiserver serving the project's fixtures, over HTTPS when `tls`.
pub fn cluster(behaviour: Behaviour, tls: bool) -> Cluster {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let server = runtime.block_on(FakeApiserver::start(Served::from_dir(&fixtures()), behaviour, tls));
    Cluster { server, _runtime: runtime }
}

/// The fake apiserver serving `served` (the fixtures with changes), over HTTPS when `tls`.
pub fn cluster_serving(served: Served, behaviour: Behaviour, tls: bool) -> Cluster {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let server = runtime.block_on(FakeApiserver::start(served, behaviour, tls));
    Cluster { server, _runtime: runtime }
}

/// Run `kubepci` in `dir`, with a pinned clock and no kubeconfig from the environment.
pub fn kubepci(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubepci"))
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1795000000")
        .env_remove("KUBEPCI_PROFILE")
        .env_remove("KUBECONFIG")
        .output()
        .expect("run kubepci")
}

/// Run `kubepci` with `stdin` as its standard input and `envs` set.
pub fn kubepci_stdin(args: &[&str], stdin: &str, envs: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubepci"))
        .args(args)
        .envs(envs.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kubepci");
    // Dropped after writing: the end of input.
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("kubepci finishes")
}

/// `kubepci.yaml` for scanning kubepci's own deployment (deploy/ or the rendered chart) with
/// its namespace declared CDE: the accepted risks are exceptions with their reason (the pods
/// that read the API mount their token; Gatekeeper constraints can only be named by a
/// wildcard; the webhook never reviews its own namespace), and the API server's calls to the
/// webhook an approved flow.
pub const DEPLOY_CDE_CONFIG: &str = "scope:\n  cde:\n    namespaces: [kubepci]\napprovedRegistries: [registry.example.com/]\n\
approvedFlows:\n- {from: 192.0.2.0/24, to: kubepci/kubepci-webhook, ports: [TCP/8443], reason: the API server calls the webhook}\n\
exceptions:\n\
- {check: SA-001, object: Deployment/kubepci/kubepci-serve, reason: serve reads the API with its token (get list watch), approvedBy: kubepci}\n\
- {check: SA-001, object: Deployment/kubepci/kubepci-webhook, reason: serve reads the API with its token (get list watch), approvedBy: kubepci}\n\
- {check: SA-001, object: CronJob/kubepci/kubepci, reason: collect reads the API with its token (get list), approvedBy: kubepci}\n\
- {check: RBAC-002, object: ClusterRole/kubepci-watcher, reason: Gatekeeper constraint kinds are per installation, approvedBy: kubepci}\n\
- {check: RBAC-002, object: ClusterRole/kubepci-reader, reason: Gatekeeper constraint kinds are per installation, approvedBy: kubepci}\n\
- {check: RT-002, object: ValidatingWebhookConfiguration/kubepci, reason: the webhook never reviews its own namespace, approvedBy: kubepci}\n";

/// Scan `files` (relative to `dir`) with [`DEPLOY_CDE_CONFIG`]: the failures (check, object,
/// message) and the report.
pub fn scan_as_cde(dir: &Path, files: &[&str]) -> (Vec<String>, serde_json::Value) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = tmp.path().join("kubepci.yaml");
    std::fs::write(&config, DEPLOY_CDE_CONFIG).expect("config");
    let mut args = vec!["scan", "-c", config.to_str().expect("utf-8 path")];
    args.extend_from_slice(files);
    args.extend_from_slice(&["-f", "json"]);
    let out = kubepci(dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    let failures = report["findings"].as_array().expect("findings").iter().filter(|f| f["status"] == "fail").map(|f| format!("{} {} {}", f["check"], f["object"], f["message"])).collect();
    (failures, report)
}
