//! End-to-end: `kubepci vulns` and `kubepci scan --vulns` on the demo cluster with the
//! hand-made reports of `examples/demo-vulns`, on a pinned date.

use std::path::PathBuf;
use std::process::{Command, Output};

fn repo(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel).display().to_string()
}

/// 2026-12-07T00:00:00Z.
const TODAY: &str = "1796601600";

fn kubepci(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubepci")).args(args).env("SOURCE_DATE_EPOCH", TODAY).output().expect("kubepci runs")
}

fn demo_args<'a>(extra: &'a [&'a str], owned: &'a [String]) -> Vec<&'a str> {
    let mut args: Vec<&str> = owned.iter().map(String::as_str).collect();
    args.extend_from_slice(extra);
    args
}

#[test]
fn the_table_puts_the_cde_and_the_oldest_overdue_fix_first() {
    let owned = ["vulns".to_string(), "-c".into(), repo("examples/kubepci.yaml"), repo("examples/demo-cluster"), "--vulns".into(), repo("examples/demo-vulns")];
    let out = kubepci(&demo_args(&["-f", "json"], &owned));
    // The demo holds one hand-broken file: the table is written, the exit says it is incomplete.
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("70-reporting.yaml"));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let rows = rows.as_array().expect("rows");
    let first = &rows[0];
    assert_eq!(first["scope"], "cde");
    assert_eq!(first["workloads"][0], "Deployment/payments/payment-api");
    assert_eq!(first["matchedBy"], "digest");
    assert_eq!(first["overdue"][0]["id"], "CVE-2026-31337");
    assert_eq!(first["overdue"][0]["ageDays"], 110);
    assert_eq!(first["overdue"][0]["ageFrom"], "published date");
    let tokenizer = rows.iter().find(|r| r["workloads"][0] == "Deployment/card-vault/tokenizer").expect("tokenizer row");
    assert_eq!((tokenizer["suppressed"].as_u64(), tokenizer["overdue"].as_array().map(Vec::len)), (Some(1), Some(0)), "the OpenVEX statement removes the old fix");
    assert_eq!(tokenizer["osSupport"], "ended 2025-05-09");
    let scopes: Vec<&str> = rows.iter().map(|r| r["scope"].as_str().unwrap()).collect();
    let mut sorted = scopes.clone();
    let rank = |s: &str| ["cde", "connected", "security", "unclassified", "out"].iter().position(|x| *x == s).unwrap();
    sorted.sort_by_key(|s| rank(s));
    assert_eq!(scopes, sorted, "CDE first");

    let csv = kubepci(&demo_args(&["-f", "csv", "--by", "image"], &owned));
    let text = String::from_utf8_lossy(&csv.stdout);
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("scope,workloads,containers,image,report,matched_by"));
    assert!(lines.next().unwrap().starts_with("\"cde\",\"Deployment/payments/payment-api\""), "{text}");
}

#[test]
fn scan_reads_vulns_and_lists_a_broken_report_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.json"), "{\n  \"matches\": [,]\n}\n").unwrap();
    std::fs::copy(repo("examples/demo-vulns/payments-api.trivy.json"), dir.path().join("api.json")).unwrap();
    let vulns = dir.path().display().to_string();
    let out = kubepci(&["scan", "-c", &repo("examples/kubepci.yaml"), &repo("examples/demo-cluster"), "--vulns", &vulns, "-f", "json", "--include-passed"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    let errors = report["input"]["errors"].to_string();
    assert!(errors.contains("broken.json") && errors.contains("vulnerability report"), "{errors}");
    let findings = report["findings"].as_array().unwrap();
    let vul2: Vec<&serde_json::Value> = findings.iter().filter(|f| f["check"] == "VUL-002" && f["status"] == "fail").collect();
    assert_eq!(vul2.len(), 1, "{vul2:?}");
    assert!(vul2[0]["message"].as_str().unwrap().contains("CVE-2026-31337"));
}
