//! End-to-end tests of `kubepci scan` and `kubepci checks` on the bundled demo cluster.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn kubepci(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubepci"))
        .args(args)
        .current_dir(repo())
        .env("SOURCE_DATE_EPOCH", "1795000000")
        .env_remove("KUBEPCI_PROFILE")
        .output()
        .expect("run kubepci")
}

const DEMO: [&str; 4] = ["-c", "examples/kubepci.yaml", "examples/demo-cluster", "--color=never"];

fn scan(extra: &[&str]) -> Output {
    let mut args = vec!["scan"];
    args.extend_from_slice(&DEMO);
    args.extend_from_slice(extra);
    kubepci(&args)
}

#[test]
fn demo_scan_reports_requirements_and_the_broken_document() {
    let out = scan(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("PCI DSS requirements"));
    assert!(text.contains("FAIL         1.3.1"));
    assert!(text.contains("70-reporting.yaml:"), "the broken document is named with its location");
    assert!(text.contains("1 failed to load"));
    assert!(text.contains("excepted DaemonSet/monitoring/log-shipper"), "the demo exception applies");
}

#[test]
fn fail_on_sets_the_exit_code() {
    assert_eq!(scan(&["--fail-on", "critical"]).status.code(), Some(1));
    assert_eq!(scan(&["--fail-on", "info", "--only", "SCOPE-002"]).status.code(), Some(0));
    assert_eq!(scan(&["--fail-on", "severe"]).status.code(), Some(2));
    assert_eq!(scan(&["-f", "yaml"]).status.code(), Some(2));
    assert_eq!(kubepci(&["scan"]).status.code(), Some(2));
    assert_eq!(kubepci(&["scan", "no/such/dir"]).status.code(), Some(2));
}

/// Values planted in the demo cluster that must never appear in any output.
const SECRETS: &[&str] = &[
    "4556737586899855",
    "4556 7375 8689 9855",
    "c3VwZXItc2VjcmV0LWRiLXBhc3N3b3Jk",
    "super-secret-db-password",
    "sk_live_51HxQ2kLm9Xc7Vb3Nn0Pq8Rt",
    "Winter2024!",
];

#[test]
fn no_format_prints_a_secret_or_a_card_number() {
    for format in ["text", "json", "sarif", "junit", "policyreport", "oscal", "prometheus", "html"] {
        let out = scan(&["-f", format, "--include-passed", "--verbose"]);
        assert!(out.status.success(), "{format}: {}", String::from_utf8_lossy(&out.stderr));
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        for secret in SECRETS {
            assert!(!all.contains(secret), "{format} output contains {secret:?}");
        }
    }
    let json = String::from_utf8_lossy(&scan(&["-f", "json"]).stdout).to_string();
    assert!(json.contains("455673******9855"), "the PAN is reported masked");
    let html = String::from_utf8_lossy(&scan(&["-f", "html"]).stdout).to_string();
    assert!(html.contains("455673******9855"), "the HTML report shows the PAN masked");
}

#[test]
fn json_report_is_deterministic_and_documented() {
    let a = scan(&["-f", "json"]).stdout;
    let b = scan(&["-f", "json"]).stdout;
    assert_eq!(a, b);
    let v: serde_json::Value = serde_json::from_slice(&a).unwrap();
    assert_eq!(v["schema"], "kubepci.io/report/v2");
    assert_eq!(v["standard"]["version"], "4.0.1");
    assert_eq!(v["generatedAt"], "2026-11-18T11:06:40Z");
    let f = &v["findings"][0];
    for key in ["check", "status", "severity", "requirements", "object", "location", "remediation"] {
        assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
    }
}

#[test]
fn html_report_is_deterministic_and_self_contained() {
    let a = scan(&["-f", "html"]);
    assert_eq!(a.status.code(), Some(0));
    assert_eq!(a.stdout, scan(&["-f", "html"]).stdout, "same input and SOURCE_DATE_EPOCH, same bytes");
    let html = String::from_utf8(a.stdout).expect("utf-8");
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("Generated 2026-11-18T11:06:40Z"));
    let json: serde_json::Value = serde_json::from_slice(&scan(&["-f", "json"]).stdout).expect("json");
    assert_eq!(html.matches("<tr data-requirement=").count(), json["requirements"].as_array().expect("requirements").len(), "every requirement of the demo");
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
}

#[test]
fn stdin_input_matches_file_input() {
    let file = repo().join("examples/demo-cluster/10-payments.yaml");
    let from_file = kubepci(&["scan", "-f", "json", file.to_str().unwrap()]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubepci"))
        .args(["scan", "-f", "json", "-"])
        .env("SOURCE_DATE_EPOCH", "1795000000")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &std::fs::read(&file).unwrap()).unwrap();
    let from_stdin = child.wait_with_output().unwrap();
    let strip = |o: &Output| {
        let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["input"]["sources"] = serde_json::Value::Null;
        for f in v["findings"].as_array_mut().unwrap() {
            f["location"]["file"] = serde_json::Value::Null;
        }
        v
    };
    assert_eq!(strip(&from_file), strip(&from_stdin));
}

#[test]
fn checks_list_meets_the_registry_bar() {
    let out = kubepci(&["checks", "list", "--format", "json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let checks = v.as_array().unwrap();
    assert!(checks.len() >= 45, "{} checks", checks.len());
    let mut reqs: Vec<&str> = checks.iter().flat_map(|c| c["requirements"].as_array().unwrap().iter().map(|r| r.as_str().unwrap())).collect();
    reqs.sort();
    reqs.dedup();
    assert!(reqs.len() >= 25, "{} requirements", reqs.len());
    for c in checks {
        for key in ["id", "title", "severity", "requirements", "rationale"] {
            assert!(c.get(key).is_some(), "{c}");
        }
        for r in c["rationale"].as_array().unwrap() {
            let (req, procedure) = (r["requirement"].as_str().unwrap(), r["procedure"].as_str().unwrap());
            assert!(procedure == req || procedure.starts_with(&format!("{req}.")), "{c}");
            assert!(!r["why"].as_str().unwrap().is_empty(), "{c}");
        }
    }
    let explain = kubepci(&["checks", "explain", "privileged-container"]);
    assert!(String::from_utf8_lossy(&explain.stdout).contains("## Failing example"));
    assert_eq!(kubepci(&["checks", "explain", "NOPE-999"]).status.code(), Some(2));
}

#[test]
fn generated_check_docs_are_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let out = kubepci(&["checks", "docs", dir.path().to_str().unwrap()]);
    assert!(out.status.success());
    let committed = repo().join("docs/checks");
    let names = |dir: &Path| -> BTreeSet<String> { std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect() };
    let generated = names(dir.path());
    assert!(generated.len() > 50 && generated.contains("README.md"), "checks docs wrote {generated:?}");
    let stale: Vec<&String> = generated
        .iter()
        .filter(|name| std::fs::read_to_string(committed.join(name)).ok() != Some(std::fs::read_to_string(dir.path().join(name)).unwrap()))
        .collect();
    assert!(stale.is_empty(), "docs/checks is stale for {stale:?}: run `cargo run -q -- checks docs`");
    // A page whose check was removed or renamed is not regenerated: it must go too.
    let orphaned: Vec<String> = names(&committed).difference(&generated).cloned().collect();
    assert!(orphaned.is_empty(), "docs/checks has pages for checks that no longer exist: {orphaned:?}; delete them");
}

#[cfg(unix)]
#[test]
fn runs_as_a_kubectl_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("kubectl-pci");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_kubepci"), &link).unwrap();
    let out = Command::new(&link).arg("--help").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: kubectl pci"));
}

/// Every YAML and JSON file of the shared corpora: no panic, per-document errors.
#[test]
fn shared_corpora_scan_without_panic() {
    let corpora = repo().join("../shared/corpora");
    if !corpora.exists() {
        eprintln!("skipped: ../shared/corpora not present");
        return;
    }
    let out = kubepci(&["scan", "-f", "json", corpora.to_str().unwrap()]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "exit {:?}: {}", out.status.code(), String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or(""));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["input"]["objects"].as_u64().unwrap() > 1000);
    assert!(!v["input"]["errors"].as_array().unwrap().is_empty());
    for e in v["input"]["errors"].as_array().unwrap() {
        assert!(e["file"].as_str().is_some_and(|f| !f.is_empty()));
    }
}
