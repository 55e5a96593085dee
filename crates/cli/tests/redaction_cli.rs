//! Snapshots are evidence that travels: `kubepci collect --include-secrets` stores no Secret
//! value and no full card number, and a scan of the snapshot still reports exactly what a scan
//! of the live cluster reports (the fake apiserver serves Secrets and ConfigMaps holding
//! default passwords, card numbers and a last-applied copy of Secret values).

use std::io::Read as _;
use std::process::Output;

use base64::Engine as _;
use kubepci_fake_apiserver::{Behaviour, Served, fixtures};
use serde_json::{Value, json};

mod common;
use common::{cluster_serving, kubepci};

/// Card numbers in the layouts people write them (test and non-test numbers), as in the
/// report tests' no-leak corpus.
const CARDS: &[(&str, &str)] = &[
    ("4111111111111111", "card=4111111111111111"),
    ("4539578763621486", "\"pan\": \"4539 5787 6362 1486\""),
    ("5425233430109903", "mc 5425-2334-3010-9903 exp 12/27"),
    ("371449635398431", "amex 3714 496353 98431"),
    ("6011000990139424", "discover:6011000990139424;"),
    ("4929000000006", "short 4929000000006 end"),
];

/// Secret values that must not reach the snapshot, neither as text nor base64-encoded.
const SECRET_VALUES: &[&str] = &["Zq8-unguessable-db-password", "admin", "tok-7f3e9a1c55d2b8e0"];

/// A public test certificate (RSA 1024, SHA-1, self-signed) from the checks' test data.
const LEGACY_CERT: &str = include_str!("../../checks/src/support/testdata/rsa1024-sha1-selfsigned.pem");

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn served() -> Served {
    let mut served = Served::from_dir(&fixtures());
    let cards: String = CARDS.iter().map(|(_, line)| format!("{line}\n")).collect();
    let last_applied = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "gateway", "namespace": "payments"},
        "stringData": {"token": SECRET_VALUES[2], "note": CARDS[1].1}}).to_string();
    let secrets = [
        json!({"metadata": {"name": "db", "namespace": "payments", "uid": "u-1"}, "type": "Opaque",
               "data": {"password": b64(SECRET_VALUES[0]), "ADMIN_PASSWORD": b64(SECRET_VALUES[1]), "export.csv": b64(&cards)}}),
        json!({"metadata": {"name": "gateway", "namespace": "payments", "uid": "u-2",
                            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": last_applied}},
               "type": "kubernetes.io/basic-auth", "data": {"username": b64("api"), "password": b64(SECRET_VALUES[2])}}),
        // A weak self-signed certificate (TLS-002 fails on it): its facts must survive redaction.
        json!({"metadata": {"name": "legacy-tls", "namespace": "payments", "uid": "u-4"}, "type": "kubernetes.io/tls",
               "data": {"tls.crt": b64(LEGACY_CERT), "tls.key": b64(SECRET_VALUES[0])}}),
    ];
    let configmap = json!({"metadata": {"name": "replay", "namespace": "payments", "uid": "u-3",
                                        "annotations": {"note": format!("customer {}", CARDS[2].1)}},
                           "data": {"fixture.csv": cards}});
    let secrets_list = served.lists.get_mut("/api/v1/secrets").expect("fixture secrets");
    secrets_list.items = secrets.iter().map(Value::to_string).collect();
    served.lists.get_mut("/api/v1/configmaps").expect("fixture configmaps").items.push(configmap.to_string());
    served
}

fn json_report(out: &Output) -> Value {
    assert!(matches!(out.status.code(), Some(0 | 1)), "exit {:?}: {}", out.status.code(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not a JSON report ({e}): {}", String::from_utf8_lossy(&out.stderr)))
}

/// The findings and roll-up, without where the input came from.
fn conclusions(report: &Value) -> Value {
    let mut findings = report["findings"].clone();
    for f in findings.as_array_mut().expect("findings") {
        f.as_object_mut().expect("finding").remove("location");
    }
    json!({"findings": findings, "checks": report["checks"], "requirements": report["requirements"], "summary": report["summary"]})
}

fn failed_on<'a>(report: &'a Value, check: &str) -> Vec<&'a Value> {
    report["findings"].as_array().expect("findings").iter().filter(|f| f["check"] == check && f["status"] == "fail").collect()
}

fn assert_no_leak(text: &str, what: &str) {
    for (pan, _) in CARDS {
        for piece in pan.as_bytes().windows(11) {
            let piece = std::str::from_utf8(piece).expect("digits");
            assert!(!text.contains(piece), "{what} holds 11 digits of a card number");
        }
    }
    for value in SECRET_VALUES.iter().filter(|v| v.len() > 5) {
        assert!(!text.contains(value) && !text.contains(&b64(value)), "{what} holds a Secret value");
    }
    assert!(!text.contains(&b64(SECRET_VALUES[1])), "{what} holds a Secret value (base64)");
}

#[test]
fn a_snapshot_holds_no_secret_value_or_card_number_and_scans_like_the_cluster() {
    let c = cluster_serving(served(), Behaviour::default(), true);
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = c.server.kubeconfig.to_str().expect("utf-8 path");
    let live = json_report(&kubepci(dir.path(), &["scan", "--kubeconfig", kubeconfig, "--include-secrets", "-f", "json"]));
    let collected = kubepci(dir.path(), &["collect", "--kubeconfig", kubeconfig, "--include-secrets", "-o", "snap.json.gz"]);
    assert_eq!(collected.status.code(), Some(0), "{}", String::from_utf8_lossy(&collected.stderr));
    let from_snapshot = json_report(&kubepci(dir.path(), &["scan", "--snapshot", "snap.json.gz", "-f", "json"]));

    // The cluster gives the checks something to find in Secret values and card data.
    for (check, object) in [("SEC-006", "db"), ("SEC-004", "gateway"), ("SEC-005", "gateway"), ("DATA-001", "db"), ("DATA-002", "db"), ("DATA-001", "replay"), ("DATA-001", "gateway"), ("TLS-002", "legacy-tls")] {
        assert!(failed_on(&live, check).iter().any(|f| f["object"]["name"] == object), "{check} on {object}");
    }
    assert_eq!(conclusions(&live), conclusions(&from_snapshot));

    let path = dir.path().join("snap.json.gz");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).expect("snapshot").permissions().mode() & 0o777, 0o600);
    }
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&path).expect("open")).read_to_string(&mut text).expect("gzip");
    assert_no_leak(&text, "the snapshot");
    assert!(text.contains("kubepci.io/redacted"), "the snapshot records what the checks need");
    let report_text = serde_json::to_string(&from_snapshot).expect("json");
    assert_no_leak(&report_text, "the report of the snapshot");
}

/// Every member of a bundle as text (the snapshot decompressed).
fn bundle_text(path: &std::path::Path) -> String {
    let members = kubepci_evidence::tar::read_tar_gz(&std::fs::read(path).expect("bundle")).expect("tar.gz");
    let mut text = String::new();
    for m in members {
        if m.name.ends_with(".gz") {
            flate2::read::GzDecoder::new(&m.bytes[..]).read_to_string(&mut text).expect("gzip member");
        } else {
            text.push_str(&String::from_utf8_lossy(&m.bytes));
        }
        text.push('\n');
    }
    text
}

#[test]
fn an_evidence_bundle_holds_no_secret_value_or_card_number() {
    let c = cluster_serving(served(), Behaviour::default(), true);
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = c.server.kubeconfig.to_str().expect("utf-8 path");
    let live = json_report(&kubepci(dir.path(), &["scan", "--kubeconfig", kubeconfig, "--include-secrets", "-f", "json"]));
    let out = kubepci(dir.path(), &["evidence", "create", "-o", "live.tar.gz", "--kubeconfig", kubeconfig, "--include-secrets"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = bundle_text(&dir.path().join("live.tar.gz"));
    assert_no_leak(&text, "the bundle of the live cluster");
    let members = kubepci_evidence::tar::read_tar_gz(&std::fs::read(dir.path().join("live.tar.gz")).unwrap()).unwrap();
    let report: Value = serde_json::from_slice(&members.iter().find(|m| m.name == "reports/report.json").expect("json report").bytes).unwrap();
    assert_eq!(report["input"]["sources"], json!(["input/snapshot.json.gz"]), "the reports cite the bundled snapshot");
    assert_eq!(conclusions(&report), conclusions(&live));

    // A snapshot written without redaction (by hand, or by an older kubepci) is redacted on
    // its way into the bundle.
    let items: Vec<kubepci_live::CanonicalItem> = c
        .server
        .served()
        .items("/api/v1/secrets")
        .into_iter()
        .map(|mut item| {
            item["apiVersion"] = json!("v1");
            item["kind"] = json!("Secret");
            kubepci_live::CanonicalItem::from_value(&item)
        })
        .collect();
    let old = dir.path().join("old.json");
    kubepci_live::write_snapshot(&old, &kubepci_live::SnapshotMeta::default(), &items).expect("write");
    assert!(std::fs::read_to_string(&old).unwrap().contains(&b64(SECRET_VALUES[0])), "the old snapshot holds values");
    let out = kubepci(dir.path(), &["evidence", "create", "-o", "old.tar.gz", "--snapshot", "old.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_no_leak(&bundle_text(&dir.path().join("old.tar.gz")), "the bundle of an unredacted snapshot");
}
