//! The `kubepci` binary against a live cluster, end to end: `scan --kubeconfig` and `collect`
//! followed by `scan --snapshot` read the in-process fake apiserver (`kubepci-fake-apiserver`)
//! over HTTPS and plain HTTP and must report the same findings; a kind the credentials may not
//! list makes exactly the checks that read it "not assessed", in both.

use std::path::Path;
use std::process::Output;

use kubepci_fake_apiserver::Behaviour;
use serde_json::Value;

mod common;
use common::{Cluster, cluster, kubepci};

fn json_report(out: &Output) -> Value {
    assert!(matches!(out.status.code(), Some(0 | 1)), "exit {:?}: {}", out.status.code(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not a JSON report ({e}): {}", String::from_utf8_lossy(&out.stderr)))
}

/// What a scan concluded, without where the input came from (the endpoint or the snapshot
/// file is each finding's location and the report's input section).
fn conclusions(report: &Value) -> Value {
    let mut findings = report["findings"].clone();
    for f in findings.as_array_mut().expect("findings") {
        f.as_object_mut().expect("finding").remove("location");
    }
    serde_json::json!({"findings": findings, "checks": report["checks"], "requirements": report["requirements"], "summary": report["summary"], "scope": report["scope"], "boundary": report["boundary"]})
}

/// `scan --kubeconfig` and `collect` + `scan --snapshot` of the same cluster, as JSON reports.
fn live_and_snapshot(c: &Cluster, dir: &Path) -> (Value, Value, Output) {
    let kubeconfig = c.server.kubeconfig.to_str().expect("utf-8 path");
    let live = json_report(&kubepci(dir, &["scan", "--kubeconfig", kubeconfig, "-f", "json"]));
    let snapshot = dir.join("snap.json.gz");
    let collected = kubepci(dir, &["collect", "--kubeconfig", kubeconfig, "-o", snapshot.to_str().expect("utf-8 path")]);
    assert_eq!(collected.status.code(), Some(0), "{}", String::from_utf8_lossy(&collected.stderr));
    let from_snapshot = json_report(&kubepci(dir, &["scan", "--snapshot", "snap.json.gz", "-f", "json"]));
    (live, from_snapshot, collected)
}

fn findings_of<'a>(report: &'a Value, check: &str) -> Vec<&'a Value> {
    report["findings"].as_array().expect("findings").iter().filter(|f| f["check"] == check).collect()
}

#[test]
fn live_scan_and_snapshot_scan_agree_over_https_and_http() {
    for tls in [true, false] {
        let c = cluster(Behaviour::default(), tls);
        assert_eq!(c.server.url.starts_with("https://"), tls);
        let dir = tempfile::tempdir().expect("tempdir");
        let (live, snapshot, collected) = live_and_snapshot(&c, dir.path());
        assert_eq!(live["input"]["kind"], "live");
        assert_eq!(snapshot["input"]["kind"], "snapshot");
        assert_eq!(live["input"]["objects"], snapshot["input"]["objects"]);
        assert_eq!(snapshot["input"]["snapshot"]["sha256"].as_str().map(str::len), Some(64));
        // `collect` stamps the snapshot with the run's clock, which SOURCE_DATE_EPOCH pins.
        assert_eq!(snapshot["input"]["snapshot"]["collectedAt"], "2026-11-18T11:06:40Z");
        assert!(String::from_utf8_lossy(&collected.stderr).contains("not collected: Secret: Secrets not read"));
        assert_eq!(conclusions(&live), conclusions(&snapshot), "tls={tls}");
        // The fixture cluster has real failures to agree on: its API server runs 1.33 (VER-001)
        // and sets no TLS cipher suites (API-004).
        for id in ["VER-001", "API-004"] {
            assert!(findings_of(&live, id).iter().any(|f| f["status"] == "fail"), "{id} tls={tls}");
        }
        // Secrets were not collected: checks reading them say so instead of passing.
        let secret_check = findings_of(&live, "SEC-004");
        assert_eq!(secret_check.len(), 1, "{secret_check:?}");
        assert_eq!(secret_check[0]["status"], "not-assessed");
        assert_eq!(secret_check[0]["message"], "Secrets not read (collect with --include-secrets)");
    }
}

#[test]
fn a_forbidden_kind_makes_its_readers_not_assessed_live_and_from_the_snapshot() {
    let behaviour = Behaviour { forbidden: ["/apis/networking.k8s.io/v1/networkpolicies".to_string()].into(), ..Behaviour::default() };
    let c = cluster(behaviour, true);
    let dir = tempfile::tempdir().expect("tempdir");
    let (live, snapshot, collected) = live_and_snapshot(&c, dir.path());
    let stderr = String::from_utf8_lossy(&collected.stderr);
    assert!(stderr.contains("not collected: NetworkPolicy: no permission to list networkpolicies.networking.k8s.io"), "{stderr}");
    assert!(stderr.contains("without NetworkPolicy, ") && stderr.contains("NET-001"), "{stderr}");
    assert_eq!(conclusions(&live), conclusions(&snapshot));
    for report in [&live, &snapshot] {
        let readers: Vec<&str> = kubepci_checks::registry().into_iter().filter(|c| c.meta.reads_kind("NetworkPolicy")).map(|c| c.meta.id).collect();
        assert!(readers.contains(&"NET-001") && readers.contains(&"NET-004"), "{readers:?}");
        for id in &readers {
            let own = findings_of(report, id);
            assert_eq!(own.len(), 1, "{id}: {own:?}");
            assert_eq!(own[0]["status"], "not-assessed", "{id}");
            assert!(own[0]["object"].is_null(), "{id}");
            let message = own[0]["message"].as_str().expect("message");
            assert!(message.starts_with("no permission to list networkpolicies.networking.k8s.io: "), "{id}: {message}");
            let summary = report["checks"].as_array().expect("checks").iter().find(|s| s["check"] == *id).expect("summary");
            assert_eq!((&summary["passed"], &summary["failed"], &summary["notAssessed"]), (&Value::from(0), &Value::from(0), &Value::from(1)), "{id}");
        }
        // Checks that do not read NetworkPolicies are decided as usual.
        assert!(findings_of(report, "VER-001").iter().any(|f| f["status"] == "fail"));
        assert!(report["input"]["errors"].as_array().expect("errors").iter().any(|e| e["message"].as_str().is_some_and(|m| m.starts_with("not collected: NetworkPolicy: "))));
    }
}

#[test]
fn an_unreachable_cluster_is_a_usage_error_not_a_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = cluster(Behaviour::default(), true);
    let kubeconfig = c.server.kubeconfig.to_str().expect("utf-8 path");
    for args in [["scan", "--kubeconfig", kubeconfig, "--context", "broken"], ["collect", "--kubeconfig", kubeconfig, "--context", "broken"]] {
        let out = kubepci(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("cannot reach the cluster at http://127.0.0.1:9"), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stdout.is_empty());
    }
    assert!(!dir.path().join("snapshot.json.gz").exists(), "no partial snapshot");
}

/// A list that never ends (a repeated continue token, or more items than `--max-objects`) is
/// stopped with an error naming it, in `scan --kubeconfig` and in `collect` alike.
#[test]
fn runaway_lists_are_stopped_in_scan_and_collect() {
    let behaviour = Behaviour { repeat_continue: ["/api/v1/pods".to_string()].into(), endless: ["/api/v1/configmaps".to_string()].into(), ..Behaviour::default() };
    let c = cluster(behaviour, true);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = c.server.kubeconfig.to_str().expect("utf-8 path");
    let scan = kubepci(dir.path(), &["scan", "--kubeconfig", kubeconfig, "--page-size", "2", "--max-objects", "40", "-f", "json"]);
    let report = json_report(&scan);
    let errors = report["input"]["errors"].to_string();
    assert!(errors.contains("/api/v1/pods: the apiserver sent the same continue token again"), "{errors}");
    assert!(errors.contains("/api/v1/configmaps: the list returned more than 40 items (--max-objects)"), "{errors}");
    let collected = kubepci(dir.path(), &["collect", "--kubeconfig", kubeconfig, "--page-size", "2", "--max-objects", "40", "-o", "snap.json.gz"]);
    let stderr = String::from_utf8_lossy(&collected.stderr);
    assert!(stderr.contains("same continue token") && stderr.contains("--max-objects"), "{stderr}");
}
