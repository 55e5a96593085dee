//! Each format's hand-made fixture read into the model, VEX applied across files, and bad
//! input reported with its position while the rest is read.

use std::io::Write;
use std::path::PathBuf;

use kubepci_vulns::date::parse_timestamp;
use kubepci_vulns::{Format, Severity, read_paths};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn day(s: &str) -> Option<i64> {
    parse_timestamp(s)
}

#[test]
fn trivy_operator_report_keeps_its_workload_link_os_and_dates() {
    let e = read_paths(&[fixture("trivy-operator-report.yaml")]);
    assert!(e.errors.is_empty(), "{:?}", e.errors);
    let r = &e.reports[0];
    assert_eq!(r.format, Some(Format::TrivyOperator));
    assert!(r.source.ends_with("(VulnerabilityReport/payments/replicaset-api-5d8f7c9b6-api)"), "{}", r.source);
    assert_eq!(r.image.display(), "registry.pay.example/payments/api:3.4.1@sha256:1111111111111111111111111111111111111111111111111111111111111111");
    assert_eq!(r.scanner.as_deref(), Some("Trivy 0.58.2"));
    assert_eq!(r.scanned_at, day("2026-12-01T03:15:00Z"));
    let os = r.os.as_ref().unwrap();
    assert_eq!((os.family.as_str(), os.name.as_str(), os.eosl), ("debian", "11.11", Some(false)));
    let link = r.workload.as_ref().unwrap();
    assert_eq!((link.kind.as_str(), link.name.as_str(), link.namespace.as_deref(), link.container.as_deref()), ("ReplicaSet", "api-5d8f7c9b6", Some("payments"), Some("api")));
    let v = &r.vulnerabilities;
    assert_eq!(v.len(), 2);
    assert_eq!((v[0].id.as_str(), v[0].package.as_str(), v[0].fixed.as_deref(), v[0].severity), ("CVE-2026-10001", "libexpat1", Some("2.2.10-2+deb11u7"), Severity::Critical));
    assert_eq!(v[0].published, day("2026-09-14T18:15:00Z"));
    assert!(!v[1].has_fix(), "an empty fixedVersion is no fix");
}

#[test]
fn trivy_json_takes_the_digest_from_repo_digests_and_flattens_results() {
    let e = read_paths(&[fixture("trivy-image.json")]);
    let r = &e.reports[0];
    assert_eq!(r.format, Some(Format::Trivy));
    assert_eq!(r.image.repository, "ghcr.io/acme/vault-store");
    assert_eq!(r.image.tag.as_deref(), Some("2.0.1"));
    assert_eq!(r.image.digest.as_deref(), Some("sha256:2222222222222222222222222222222222222222222222222222222222222222"));
    assert_eq!(r.scanned_at, day("2026-12-02T08:00:00Z"));
    assert_eq!(r.os.as_ref().unwrap().eosl, Some(true));
    assert_eq!(r.vulnerabilities.iter().map(|v| v.id.as_str()).collect::<Vec<_>>(), ["CVE-2026-20001", "CVE-2026-20002", "GHSA-aaaa-bbbb-cccc"]);
}

#[test]
fn grype_reads_fix_availability_dates_when_present() {
    let e = read_paths(&[fixture("grype.json")]);
    let r = &e.reports[0];
    assert_eq!(r.format, Some(Format::Grype));
    assert_eq!(r.scanner.as_deref(), Some("grype 0.86.1"));
    assert_eq!(r.image.display(), "registry.pay.example/checkout/web:8.2@sha256:3333333333333333333333333333333333333333333333333333333333333333");
    let v = &r.vulnerabilities;
    assert_eq!(v[0].fix_date, day("2026-10-01"));
    assert_eq!(v[0].fix_available_since().map(|(_, b)| b.as_str()), Some("fix date"));
    assert!(!v[1].has_fix());
    assert_eq!((v[2].fixed.as_deref(), v[2].fix_available_since()), (Some("1.9.2"), None), "no date at all: the age is unknown");
    assert_eq!(r.os.as_ref().unwrap().family, "debian");
}

#[test]
fn cyclonedx_scan_with_inline_analysis() {
    let e = read_paths(&[fixture("cyclonedx-1.6.json")]);
    assert!(e.errors.is_empty(), "{:?}", e.errors);
    let r = &e.reports[0];
    assert_eq!(r.format, Some(Format::CycloneDx));
    assert_eq!(r.scanner.as_deref(), Some("trivy 0.58.2 (CycloneDX 1.6)"));
    assert_eq!(r.image.repository, "registry.pay.example/ledger/batch");
    assert_eq!(r.image.tag.as_deref(), Some("5.0"));
    assert_eq!(r.image.digest.as_deref(), Some("sha256:4444444444444444444444444444444444444444444444444444444444444444"));
    assert_eq!(r.os.as_ref().map(|o| (o.family.as_str(), o.name.as_str())), Some(("ubuntu", "20.04")));
    let v = &r.vulnerabilities;
    assert_eq!((v[0].package.as_str(), v[0].installed.as_str(), v[0].fixed.as_deref()), ("openssl", "1.1.1f-1ubuntu2.20", Some("1.1.1f-1ubuntu2.23")));
    assert_eq!(v[0].severity, Severity::Critical);
    let s = v[1].suppressed.as_ref().expect("the BOM's own analysis");
    assert_eq!((s.state.as_str(), s.justification.as_deref()), ("not_affected", Some("code_not_reachable")));
}

#[test]
fn vex_documents_suppress_matching_findings_only() {
    let e = read_paths(&[fixture("grype.json"), fixture("trivy-image.json"), fixture("cyclonedx-vex.json"), fixture("openvex.json")]);
    assert!(e.errors.is_empty(), "{:?}", e.errors);
    // Only not_affected / false_positive become statements: exploitable and
    // under_investigation do not.
    assert_eq!(e.vex.len(), 2);
    let find = |id: &str| e.reports.iter().flat_map(|r| &r.vulnerabilities).find(|v| v.id == id).unwrap();
    let fp = find("CVE-2026-30001").suppressed.as_ref().expect("CycloneDX VEX by image");
    assert_eq!((fp.state.as_str(), fp.justification.as_deref()), ("false_positive", Some("code_not_present")));
    assert!(fp.source.ends_with("cyclonedx-vex.json"));
    let na = find("CVE-2026-20001").suppressed.as_ref().expect("OpenVEX by digest and package");
    assert_eq!(na.justification.as_deref(), Some("vulnerable_code_not_in_execute_path"));
    assert!(na.detail.as_deref().unwrap().contains("BoringSSL"));
    assert!(find("CVE-2026-20002").suppressed.is_none());
    assert!(find("CVE-2026-30003").suppressed.is_none());
}

#[test]
fn bad_files_are_errors_with_position_and_the_rest_is_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("broken.json"), dir.path().join("a-broken.json")).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&std::fs::read(fixture("grype.json")).unwrap()).unwrap();
    std::fs::write(dir.path().join("b-grype.json.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(dir.path().join("c-pod.json"), r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"}}"#).unwrap();
    let e = read_paths(&[dir.path().to_path_buf(), dir.path().join("missing.json")]);
    assert_eq!(e.reports.len(), 1, "the gzip file is read");
    assert_eq!(e.files, 4);
    let errors: Vec<String> = e.errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors[0].contains("a-broken.json:4:") && errors[0].contains("trailing comma"), "{errors:?}");
    assert!(errors[1].contains("c-pod.json: a Kubernetes Pod, not a vulnerability report"), "{errors:?}");
    assert!(errors[2].contains("missing.json: cannot read"), "{errors:?}");
}

#[test]
fn a_kubernetes_list_of_reports_is_read_item_by_item() {
    let yaml = std::fs::read_to_string(fixture("trivy-operator-report.yaml")).unwrap();
    let item: serde_json::Value = yaml_serde::from_str(&yaml).unwrap();
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [item.clone(), item]});
    let parsed = kubepci_vulns::parse_value("list.json", list).unwrap();
    assert_eq!(parsed.reports.len(), 2);
    assert!(parsed.reports[1].source.starts_with("list.json#items[1]"));
}
