//! `deploy/` stays in step with the collector and the checks: the ClusterRole grants get/list
//! on exactly the kinds collected (Secrets only in the opt-in role), every kind a check reads
//! is granted, and the CronJob meets the Pod Security Standards `restricted` level.

use std::collections::BTreeSet;
use std::path::Path;

use kubepci_live::{GATED_KINDS, TYPED_KINDS};
use serde_json::Value;

fn deploy(file: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy").join(file);
    let text = std::fs::read_to_string(&path).expect("deploy file");
    let mut docs = Vec::new();
    for doc in yaml_serde::Deserializer::from_str(&text) {
        let v: Value = serde::Deserialize::deserialize(doc).expect("yaml");
        if !v.is_null() {
            docs.push(v);
        }
    }
    docs
}

/// (group, resource) pairs and verbs a ClusterRole grants.
fn grants(role: &Value) -> (BTreeSet<(String, String)>, BTreeSet<String>) {
    let mut pairs = BTreeSet::new();
    let mut verbs = BTreeSet::new();
    for rule in role["rules"].as_array().expect("rules") {
        for v in rule["verbs"].as_array().expect("verbs") {
            verbs.insert(v.as_str().expect("verb").to_string());
        }
        let Some(groups) = rule["apiGroups"].as_array() else { continue };
        for g in groups {
            for r in rule["resources"].as_array().expect("resources") {
                pairs.insert((g.as_str().expect("group").to_string(), r.as_str().expect("resource").to_string()));
            }
        }
    }
    (pairs, verbs)
}

#[test]
fn cluster_role_grants_exactly_what_is_collected() {
    let docs = deploy("clusterrole.yaml");
    let role = |name: &str| docs.iter().find(|d| d["kind"] == "ClusterRole" && d["metadata"]["name"] == name).expect(name).clone();
    let (reader, verbs) = grants(&role("kubepci-reader"));
    let want: BTreeSet<(String, String)> = TYPED_KINDS
        .iter()
        .filter(|k| !k.secret)
        .map(|k| (k.group.to_string(), k.resource.to_string()))
        .chain(GATED_KINDS.iter().map(|k| (k.group.to_string(), k.resource.to_string())))
        .collect();
    assert_eq!(reader, want);
    assert_eq!(verbs, ["get", "list"].iter().map(|s| s.to_string()).collect());

    let (secrets, verbs) = grants(&role("kubepci-secrets-reader"));
    assert_eq!(secrets, [(String::new(), "secrets".to_string())].into_iter().collect());
    assert_eq!(verbs, ["get", "list"].iter().map(|s| s.to_string()).collect());
    // Only the reader is bound by default.
    let bindings: Vec<&Value> = docs.iter().filter(|d| d["kind"] == "ClusterRoleBinding").collect();
    assert_eq!(bindings.len(), 1);
    assert_eq!(bindings[0]["roleRef"]["name"], "kubepci-reader");
}

#[test]
fn cronjob_is_pod_security_restricted() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/cronjob.yaml");
    let loaded = kubepci_source::load_paths(&[path]);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let cronjob = loaded.objects.iter().find(|o| o.kind() == "CronJob").expect("CronJob");
    let template = cronjob.pod_template().expect("pod template");
    let eval = kubepci_pss::evaluate(&template, kubepci_pss::Level::Restricted, kubepci_pss::Version::latest());
    assert!(eval.allowed, "{:?}", eval.violations);
    for c in template.spec.containers.iter().chain(template.spec.init_containers.iter().flatten()) {
        let sc = c.security_context.as_ref().expect("securityContext");
        assert_eq!(sc.read_only_root_filesystem, Some(true), "{}", c.name);
    }
}

/// Every kind a check declares it reads is one the collector lists and the reader role grants
/// (Secrets: the opt-in role), or a platform configuration file given with --platform-config.
#[test]
fn cluster_role_covers_every_kind_a_check_reads() {
    let docs = deploy("clusterrole.yaml");
    let role = |name: &str| grants(docs.iter().find(|d| d["kind"] == "ClusterRole" && d["metadata"]["name"] == name).expect(name)).0;
    let (reader, secrets) = (role("kubepci-reader"), role("kubepci-secrets-reader"));
    let granted = |group: &str, resource: &str, secret: bool| (if secret { &secrets } else { &reader }).contains(&(group.to_string(), resource.to_string()));
    let platform_files = kubepci_checks::PLATFORM_KINDS;
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for check in kubepci_checks::registry() {
        for kind in check.meta.kinds_read().into_iter().filter(|k| *k != kubepci_checks::ANY_KIND) {
            seen.insert(kind);
            let covered = if let Some(k) = TYPED_KINDS.iter().find(|k| k.kind == kind) {
                granted(k.group, k.resource, k.secret)
            } else if let Some(k) = GATED_KINDS.iter().find(|k| k.kind == kind) {
                granted(k.group, k.resource, false)
            } else {
                platform_files.iter().any(|(_, file_kind)| *file_kind == kind) || kubepci_checks::SUMMARY_KINDS.iter().any(|(_, k)| *k == kind)
            };
            if !covered {
                problems.push(format!("{} reads {kind}: not collected with the deploy/ ClusterRoles nor a platform configuration file", check.meta.id));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The opt-in role is needed by some checks: Secrets stay opt-in on purpose, not by accident.
    assert!(seen.contains("Secret") && seen.contains("AdminNetworkPolicy") && seen.contains("EncryptionConfiguration"), "{seen:?}");
}

/// `serve.yaml`'s ClusterRole adds `watch`, and only `watch`, on exactly the kinds the reader
/// may list (serve watches what it collected).
#[test]
fn serve_watches_exactly_what_is_collected() {
    let reader = deploy("clusterrole.yaml").into_iter().find(|d| d["kind"] == "ClusterRole" && d["metadata"]["name"] == "kubepci-reader").expect("reader");
    let watcher = deploy("serve.yaml").into_iter().find(|d| d["kind"] == "ClusterRole" && d["metadata"]["name"] == "kubepci-watcher").expect("watcher");
    let (read, _) = grants(&reader);
    let (watched, verbs) = grants(&watcher);
    assert_eq!(watched, read);
    assert_eq!(verbs, ["watch"].iter().map(|s| s.to_string()).collect());
}
