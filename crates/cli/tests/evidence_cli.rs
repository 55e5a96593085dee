//! `kubepci evidence` end to end on the demo: a bundle verifies; one changed byte in any
//! member, in the envelope's signature or in the manifest fails with that member named; another
//! key fails; creating twice gives the same bytes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kubepci_evidence::tar::{read_tar_gz, write_tar_gz};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn kubepci(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubepci"))
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env_remove("KUBEPCI_PROFILE")
        .env_remove("KUBECONFIG")
        .output()
        .expect("run kubepci")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A key pair and a bundle of the demo in a fresh directory.
fn demo_bundle() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let keygen = kubepci(dir.path(), &["evidence", "keygen", "--out", "signer"]);
    assert_eq!(keygen.status.code(), Some(0), "{}", String::from_utf8_lossy(&keygen.stderr));
    let examples = repo().join("examples");
    let (config, platform, cluster) = (examples.join("kubepci.yaml"), examples.join("platform"), examples.join("demo-cluster"));
    let args = ["evidence", "create", "-o", "bundle.tar.gz", "--key", "signer.key", "-c", config.to_str().unwrap(), "--platform-config", platform.to_str().unwrap(), cluster.to_str().unwrap()];
    let created = kubepci(dir.path(), &args);
    // The demo holds one broken file: recorded in the reports, and the bundle is written.
    assert_eq!(created.status.code(), Some(0), "{}", String::from_utf8_lossy(&created.stderr));
    assert!(String::from_utf8_lossy(&created.stderr).contains("70-reporting.yaml:25:2"));
    dir
}

#[test]
fn the_demo_bundle_verifies_and_is_deterministic_and_private() {
    let dir = demo_bundle();
    let verified = kubepci(dir.path(), &["evidence", "verify", "bundle.tar.gz", "--pub", "signer.pub"]);
    assert_eq!(verified.status.code(), Some(0), "{}{}", stdout(&verified), String::from_utf8_lossy(&verified.stderr));
    assert!(stdout(&verified).starts_with("verified bundle.tar.gz: 12 members"), "{}", stdout(&verified));

    let bytes = std::fs::read(dir.path().join("bundle.tar.gz")).expect("bundle");
    let members = read_tar_gz(&bytes).expect("a tar.gz");
    let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
    for format in kubepci_report::Format::NAMES {
        assert!(names.iter().any(|n| n.starts_with("reports/report.") && n.contains(if *format == "text" { "txt" } else if *format == "prometheus" { "prom" } else { format })), "{format}: {names:?}");
    }
    for name in ["config.json", "input/files.json", "manifest.json", "envelope.dsse.json"] {
        assert!(names.contains(&name), "{name}: {names:?}");
    }
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "members are sorted");
    let files: serde_json::Value = serde_json::from_slice(&members.iter().find(|m| m.name == "input/files.json").unwrap().bytes).unwrap();
    assert!(files["manifests"].as_array().unwrap().iter().any(|f| f["path"].as_str().unwrap().ends_with("10-payments.yaml") && f["sha256"].as_str().unwrap().len() == 64));
    let json_report: serde_json::Value = serde_json::from_slice(&members.iter().find(|m| m.name == "reports/report.json").unwrap().bytes).unwrap();
    assert_eq!(json_report["generatedAt"], "2023-11-14T22:13:20Z");

    let again = kubepci(dir.path(), &["evidence", "create", "-o", "again.tar.gz", "--key", "signer.key", "-c", &repo().join("examples/kubepci.yaml").to_string_lossy(), "--platform-config", &repo().join("examples/platform").to_string_lossy(), &repo().join("examples/demo-cluster").to_string_lossy()]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(std::fs::read(dir.path().join("again.tar.gz")).unwrap(), bytes, "the same input and clock give the same bundle");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in ["bundle.tar.gz", "signer.key"] {
            assert_eq!(std::fs::metadata(dir.path().join(file)).unwrap().permissions().mode() & 0o777, 0o600, "{file}");
        }
    }
    let key = std::fs::read_to_string(dir.path().join("signer.key")).unwrap();
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert_eq!(kubepci(dir.path(), &["evidence", "keygen", "--out", "signer"]).status.code(), Some(2), "an existing key is not overwritten");
    assert_eq!(std::fs::read_to_string(dir.path().join("signer.key")).unwrap(), key);
}

#[test]
fn one_changed_byte_anywhere_fails_with_the_member_named() {
    let dir = demo_bundle();
    let bytes = std::fs::read(dir.path().join("bundle.tar.gz")).expect("bundle");
    let members = read_tar_gz(&bytes).expect("a tar.gz");
    let check = |name: &str, expected_member: &str, change: &dyn Fn(&mut Vec<u8>)| {
        let mut changed = members.clone();
        change(&mut changed.iter_mut().find(|m| m.name == name).expect("member").bytes);
        std::fs::write(dir.path().join("changed.tar.gz"), write_tar_gz(&changed, 1_700_000_000).unwrap()).unwrap();
        let out = kubepci(dir.path(), &["evidence", "verify", "changed.tar.gz", "--pub", "signer.pub"]);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stdout(&out));
        let text = stdout(&out);
        assert!(text.starts_with("NOT VERIFIED changed.tar.gz"), "{text}");
        assert!(text.contains(&format!("\n  {expected_member}: ")), "{name}: {text}");
    };
    for m in &members {
        if m.name == "envelope.dsse.json" {
            continue;
        }
        // A byte in the middle of the member.
        check(&m.name, &m.name, &|b: &mut Vec<u8>| {
            let at = b.len() / 2;
            b[at] ^= 0x20;
        });
    }
    // The signature inside the envelope.
    check("envelope.dsse.json", "envelope.dsse.json (signature)", &|b: &mut Vec<u8>| {
        let text = String::from_utf8(b.clone()).unwrap();
        let at = text.find("\"sig\": \"").unwrap() + 10;
        b[at] = if b[at] == b'A' { b'B' } else { b'A' };
    });
    // The JSON report as JSON: the one member named, nothing else.
    let mut changed = members.clone();
    changed.iter_mut().find(|m| m.name == "reports/report.json").unwrap().bytes.push(b' ');
    std::fs::write(dir.path().join("changed.tar.gz"), write_tar_gz(&changed, 1_700_000_000).unwrap()).unwrap();
    let out = kubepci(dir.path(), &["evidence", "verify", "changed.tar.gz", "--pub", "signer.pub", "-f", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["verified"], false);
    assert_eq!(v["mismatches"].as_array().unwrap().len(), 1);
    assert_eq!(v["mismatches"][0]["member"], "reports/report.json");
    // A byte of the compressed file itself: not a readable archive any more.
    let mut raw = bytes.clone();
    let at = raw.len() / 2;
    raw[at] ^= 0xff;
    std::fs::write(dir.path().join("raw.tar.gz"), raw).unwrap();
    let out = kubepci(dir.path(), &["evidence", "verify", "raw.tar.gz", "--pub", "signer.pub"]);
    assert_ne!(out.status.code(), Some(0));
}

#[test]
fn another_key_fails() {
    let dir = demo_bundle();
    assert_eq!(kubepci(dir.path(), &["evidence", "keygen", "--out", "other"]).status.code(), Some(0));
    let out = kubepci(dir.path(), &["evidence", "verify", "bundle.tar.gz", "--pub", "other.pub"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("envelope.dsse.json (signature): no signature verifies with the given public key"), "{}", stdout(&out));
    let out = kubepci(dir.path(), &["evidence", "verify", "bundle.tar.gz", "--pub", "signer.key"]);
    assert_eq!(out.status.code(), Some(2), "a private key is no public key");
}

/// Standard tooling reads the bundle: the envelope's signature verifies with OpenSSL over the
/// DSSE pre-authentication encoding (built here from the specification, not kubepci's code),
/// and the payload is an in-toto statement whose subjects are the members.
#[test]
fn openssl_verifies_the_envelope_signature() {
    use base64::Engine as _;
    let Some(openssl) = kubepci_base::real_part::require("openssl", &["openssl"]) else { return };
    let dir = demo_bundle();
    let members = read_tar_gz(&std::fs::read(dir.path().join("bundle.tar.gz")).unwrap()).unwrap();
    let envelope: serde_json::Value = serde_json::from_slice(&members.iter().find(|m| m.name == "envelope.dsse.json").unwrap().bytes).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let payload = b64.decode(envelope["payload"].as_str().unwrap()).unwrap();
    let payload_type = envelope["payloadType"].as_str().unwrap();
    assert_eq!(payload_type, "application/vnd.in-toto+json");
    let mut pae = format!("DSSEv1 {} {payload_type} {} ", payload_type.len(), payload.len()).into_bytes();
    pae.extend_from_slice(&payload);
    std::fs::write(dir.path().join("pae.bin"), &pae).unwrap();
    std::fs::write(dir.path().join("sig.bin"), b64.decode(envelope["signatures"][0]["sig"].as_str().unwrap()).unwrap()).unwrap();
    let out = Command::new(&openssl).args(["pkeyutl", "-verify", "-pubin", "-inkey", "signer.pub", "-rawin", "-in", "pae.bin", "-sigfile", "sig.bin"]).current_dir(dir.path()).output().expect("run openssl");
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    // And the public key is the one OpenSSL derives from the private key.
    let derived = Command::new(&openssl).args(["pkey", "-in", "signer.key", "-pubout"]).current_dir(dir.path()).output().expect("run openssl");
    assert_eq!(String::from_utf8_lossy(&derived.stdout), std::fs::read_to_string(dir.path().join("signer.pub")).unwrap());

    let statement: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(statement["predicateType"], "https://kubepci.io/evidence-bundle/v1");
    for subject in statement["subject"].as_array().unwrap() {
        let member = members.iter().find(|m| m.name == subject["name"].as_str().unwrap()).expect("a member");
        assert_eq!(subject["digest"]["sha256"].as_str().unwrap(), kubepci_evidence::sha256_hex(&member.bytes));
    }
    assert_eq!(statement["subject"].as_array().unwrap().len(), members.len() - 1, "every member but the envelope");
}
