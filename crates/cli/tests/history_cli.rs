//! `kubepci diff`, `history` and `fleet` end to end, and what the history stores of the demo:
//! never a Secret value or a full card number.

use std::path::Path;
use std::process::Output;

use kubepci_report::compare::RunContent;
use serde_json::Value;

mod common;
use common::kubepci;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: pay\n  labels: {pci.kubepci.io/scope: cde}\n";

fn pod(name: &str, security: &str) -> String {
    format!("---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: pay}}\nspec:\n  containers:\n  - name: api\n    image: registry.example/api:1.0\n    securityContext: {security}\n")
}

/// Scan `manifests` (one file) to a JSON report at `report`.
fn scan(dir: &Path, manifests: &str, report: &str) {
    std::fs::write(dir.join("in.yaml"), manifests).unwrap();
    let out = kubepci(dir, &["scan", "in.yaml", "-f", "json", "-o", report]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn diff_of_two_scan_reports_gates_ci_on_new_failures() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    scan(d, &(NAMESPACE.to_string() + &pod("api", "{privileged: true}")), "a.json");
    // api fixed (but still failing other hardening), a new privileged pod.
    scan(d, &(NAMESPACE.to_string() + &pod("api", "{privileged: false}") + &pod("batch", "{privileged: true}")), "b.json");

    let same = kubepci(d, &["diff", "a.json", "a.json"]);
    assert_eq!(same.status.code(), Some(0), "{}", stdout(&same));
    assert!(stdout(&same).ends_with("no changes\n"), "{}", stdout(&same));

    let text = kubepci(d, &["diff", "a.json", "b.json"]);
    let shown = stdout(&text);
    assert_eq!(text.status.code(), Some(1), "a new failure: exit 1\n{shown}");
    assert!(shown.starts_with("kubepci diff a.json -> b.json\n"), "{shown}");
    assert!(shown.contains("\nNew failures\n") && shown.contains("+ CRITICAL POD-001 Pod/pay/batch"), "{shown}");
    assert!(shown.contains("\nFixed (no longer failing)\n") && shown.contains("POD-001 Pod/pay/api"), "{shown}");

    let json = kubepci(d, &["diff", "a.json", "b.json", "-f", "json"]);
    let v: Value = serde_json::from_slice(&json.stdout).expect("json");
    assert!(v["summary"]["newFailures"].as_u64().unwrap() >= 1, "{v}");
    assert!(v["fixed"].as_array().unwrap().iter().any(|f| f["check"] == "POD-001" && f["now"] == "absent"), "{v}");
    assert!(v["changed"].as_array().unwrap().iter().any(|c| c["check"] == "POD-022" && c["previousMessage"].as_str().unwrap().starts_with("privileged")), "{v}");
    for key in ["newFailures", "fixed", "changed", "scopeChanges", "requirementChanges"] {
        assert!(v[key].is_array(), "{key}: {v}");
    }
    // Only the fix, backwards: the gate holds at a severity above what came back.
    let back = kubepci(d, &["diff", "b.json", "a.json", "--fail-on", "critical"]);
    assert_eq!(back.status.code(), Some(1), "POD-001 is critical: {}", stdout(&back));
    let missing = kubepci(d, &["diff", "a.json", "nope.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read nope.json"));
}

/// Pieces of the demo's secrets that must never be stored: its card numbers (any 11 digits of
/// them) and the Secret's password (encoded and decoded).
fn assert_no_leak(bytes: &[u8], what: &str) {
    let text = String::from_utf8_lossy(bytes);
    for pan in ["4556737586899855", "4111111111111111"] {
        for piece in pan.as_bytes().windows(11) {
            let piece = std::str::from_utf8(piece).unwrap();
            assert!(!text.contains(piece), "{what} holds 11 digits of a card number");
        }
    }
    // The demo card as written in its ConfigMap, with spaces.
    assert!(!text.contains("4556 7375 8689"), "{what} holds the spaced card number");
    for secret in ["c3VwZXItc2VjcmV0LWRiLXBhc3N3b3Jk", "super-secret-db-password"] {
        assert!(!text.contains(secret), "{what} holds the Secret's value");
    }
}

#[test]
fn history_of_the_demo_stores_no_secret_and_lists_runs_and_fleet() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let r = root();
    let out = kubepci(r, &["scan", "-c", "examples/kubepci.yaml", "--platform-config", "examples/platform", "examples/demo-cluster", "-f", "json", "-o", d.join("demo.json").to_str().unwrap()]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
    let content = RunContent::from_report_json(&std::fs::read_to_string(d.join("demo.json")).unwrap()).expect("report");
    assert!(content.critical_failures() >= 1, "the demo's card number is a critical finding");

    let url = format!("sqlite:{}", d.join("h.db").display());
    let mut store = kubepci_history::open(&url).unwrap();
    let first = store.record("demo", "2026-12-07T10:00:00Z", &content).unwrap().id();
    store.record("demo", "2026-12-07T10:01:00Z", &content).unwrap();
    store.record("other", "2026-12-07T10:02:00Z", &RunContent::default()).unwrap();
    drop(store);
    let mut stored = Vec::new();
    for file in ["h.db", "h.db-wal"] {
        if let Ok(bytes) = std::fs::read(d.join(file)) {
            assert_no_leak(&bytes, file);
            stored.extend(bytes);
        }
    }
    assert!(stored.windows(8).any(|w| w == b"DATA-001"), "the card-number finding is stored");

    let listed = kubepci(d, &["history", "--database", &url, "--cluster", "demo", "-f", "json"]);
    assert_eq!(listed.status.code(), Some(0), "{}", String::from_utf8_lossy(&listed.stderr));
    let v: Value = serde_json::from_slice(&listed.stdout).unwrap();
    let runs = v["runs"].as_array().expect("{runs: [...]}");
    assert_eq!(runs.len(), 1, "the second evaluation is a heartbeat: {v}");
    assert_eq!(runs[0]["heartbeats"], 1);
    assert_eq!(runs[0]["id"], first);
    let text = stdout(&kubepci(d, &["history", "--database", &url]));
    assert!(text.starts_with("   RUN  CLUSTER"), "{text}");
    assert_eq!(text.lines().count(), 3, "{text}");

    let fleet: Value = serde_json::from_slice(&kubepci(d, &["fleet", "--database", &url, "-f", "json"]).stdout).unwrap();
    let clusters = fleet["clusters"].as_array().unwrap();
    assert_eq!(clusters.iter().map(|c| c["cluster"].as_str().unwrap()).collect::<Vec<_>>(), ["demo", "other"]);
    assert_eq!(clusters[0]["requirementsFailing"].as_u64(), Some(content.requirements_failing() as u64));
    assert!(stdout(&kubepci(d, &["fleet", "--database", &url])).starts_with("CLUSTER"));

    // Runs of the history diff like report files.
    let same = kubepci(d, &["diff", &first.to_string(), &first.to_string(), "--database", &url]);
    assert_eq!(same.status.code(), Some(0), "{}{}", stdout(&same), String::from_utf8_lossy(&same.stderr));
    let demo_vs_file = kubepci(d, &["diff", &first.to_string(), "demo.json", "--database", &url]);
    assert!(stdout(&demo_vs_file).ends_with("no changes\n"), "a stored run equals its report: {}", stdout(&demo_vs_file));

    let none = kubepci(d, &["history", "--database", "sqlite:absent.db"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no history at absent.db"));
    assert!(!d.join("absent.db").exists(), "reading never creates a database");
}
