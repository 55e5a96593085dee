//! End-to-end tests of `kubepci certs`: the certificate and key inventory lists public facts
//! only, in text, JSON and CSV.

use std::path::Path;
use std::process::{Command, Output};

const CERT: &str = include_str!("../../checks/src/support/testdata/rsa1024-sha1-selfsigned.pem");
/// Stands in for a private key: it must never reach the output.
const KEY_MARKER: &str = "c2VjcmV0LWtleS1tYXRlcmlhbA==";

fn kubepci(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubepci")).args(args).current_dir(dir).env("SOURCE_DATE_EPOCH", "1795000000").output().expect("run kubepci")
}

fn manifests(dir: &Path) {
    let pem: String = CERT.lines().map(|l| format!("    {l}\n")).collect();
    let yaml = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata: {{name: payments, labels: {{pci.kubepci.io/scope: cde}}}}\n---\napiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata: {{name: legacy-tls, namespace: payments}}\nstringData:\n  tls.crt: |\n{pem}  tls.key: |\n    -----BEGIN PRIVATE KEY-----\n    {KEY_MARKER}\n    -----END PRIVATE KEY-----\n---\napiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata: {{name: collected-without-values, namespace: payments}}\n"
    );
    std::fs::write(dir.join("certs.yaml"), yaml).expect("write");
}

#[test]
fn inventory_in_every_format_without_key_material() {
    let dir = tempfile::tempdir().expect("tempdir");
    manifests(dir.path());
    let text = kubepci(dir.path(), &["certs", "certs.yaml"]);
    assert_eq!(text.status.code(), Some(0), "{}", String::from_utf8_lossy(&text.stderr));
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(text.contains("VALID         Secret/payments/legacy-tls (cde)"), "{text}");
    assert!(text.contains("RSA 1024, sha1WithRSAEncryption, self-signed"), "{text}");
    assert!(text.contains("NOT-IN-INPUT  Secret/payments/collected-without-values"), "{text}");
    assert!(text.ends_with("2 entries: 1 valid, 0 expiring, 0 expired, 0 not issued, 1 not in the input, 0 unreadable, 0 issuers\n"), "{text}");

    let csv = String::from_utf8_lossy(&kubepci(dir.path(), &["certs", "-f", "csv", "certs.yaml"]).stdout).into_owned();
    assert!(csv.starts_with("source,kind,namespace,name,scope,"), "{csv}");
    assert_eq!(csv.lines().count(), 3);

    let json = kubepci(dir.path(), &["certs", "-f", "json", "certs.yaml"]);
    let entries: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(entries[0]["sha256"], "3d88c8ff3e4e9e09f06adb0f1b12769794924d87665422c4ab6b63d5b4bfb7ae");
    assert_eq!(entries[0]["daysLeft"], 3669, "notAfter 2036-12-04T11:27:11Z, clock pinned at 2026-11-18T11:06:40Z");

    for out in [&text, &csv, &String::from_utf8_lossy(&json.stdout).into_owned()] {
        assert!(!out.contains(KEY_MARKER) && !out.contains("PRIVATE KEY") && !out.contains("BEGIN"), "key material in the output");
    }
}
