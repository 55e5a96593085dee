//! The incremental evaluation `kubepci serve` relies on, held to the whole one:
//! * a check declared object-local gives, in a run focused on one object, exactly the results
//!   of the whole run about that object, and nothing else;
//! * its results about an object do not change when another object is removed (unless the
//!   removal changes that object's scope or top-owner role, which the focus then includes);
//! * after each of a sequence of changes, the kept assessment equals a whole assessment of the
//!   same objects.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kubepci_checks::{Assessment, Change, Check, Context, Focus, Incremental, InputKind, KindRecorder, Locality, RunOptions, Setting, example_blocks, reads_members, registry, run_each, run_focused};
use serde_json::{Value, json};
use kubepci_findings::Finding;
use kubepci_inventory::{Config, Inventory};
use kubepci_model::Object;

const TODAY: &str = "2026-12-07";
const NOW: i64 = 1_796_601_600; // 2026-12-07

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn demo_config() -> Config {
    let text = std::fs::read_to_string(repo().join("examples/kubepci.yaml")).expect("examples/kubepci.yaml");
    Config::from_yaml("examples/kubepci.yaml", &text).expect("demo config")
}

/// The demo cluster with its platform configuration.
fn demo_objects() -> Vec<Object> {
    let mut objects = kubepci_source::load_paths(&[repo().join("examples/demo-cluster")]).objects;
    objects.extend(kubepci_source::load_paths(&[repo().join("examples/platform")]).objects);
    assert!(objects.len() > 30, "demo cluster not found");
    objects
}

fn opts() -> RunOptions {
    RunOptions { today: Some(TODAY.into()), ..RunOptions::default() }
}

fn local_checks() -> Vec<&'static Check> {
    registry().into_iter().filter(|c| c.meta.locality == Locality::Object).collect()
}

/// Every input the locality tests run on: the demo (as manifests and as a snapshot), and each
/// object-local check's own examples.
fn inputs() -> Vec<(String, Inventory, InputKind)> {
    let mut out = Vec::new();
    for kind in [InputKind::Manifests, InputKind::Snapshot] {
        out.push((format!("demo {kind:?}"), Inventory::build(demo_objects(), demo_config()), kind));
    }
    for check in local_checks() {
        let (failing, passing, config) = example_blocks(check);
        for (which, yaml) in [("failing", failing), ("passing", passing)] {
            let Some(yaml) = yaml else { continue };
            let inv = kubepci_checks::testing::load(&format!("{}-{which}.yaml", check.meta.id), &yaml, config.as_deref().unwrap_or_default());
            out.push((format!("{} {which} example", check.meta.id), inv, kubepci_checks::testing::input_kind(&yaml)));
        }
    }
    out
}

#[test]
fn a_focused_run_of_an_object_local_check_is_the_whole_run_about_those_objects() {
    let checks = local_checks();
    assert!(checks.len() >= 40, "object-local checks: {}", checks.len());
    let mut problems = Vec::new();
    for (name, inv, kind) in inputs() {
        let cx = Context::new(&inv, kind).at(NOW);
        let whole = run_each(&cx, &checks, &opts(), None);
        for index in 0..inv.objects.len() {
            let focus = Focus::new([index]);
            for (full, focused) in whole.iter().zip(run_focused(&cx, &checks, &opts(), &focus)) {
                let expected: Vec<&Finding> = full.findings.iter().filter(|(i, _)| *i == Some(index as u32)).map(|(_, f)| f).collect();
                let got: Vec<&Finding> = focused.findings.iter().map(|(_, f)| f).collect();
                let expected_passes: Vec<u32> = full.passes.iter().copied().filter(|&p| p == index as u32).collect();
                if got != expected || focused.passes != expected_passes || focused.cluster_passes != 0 {
                    problems.push(format!("{name}: {} on {}: focused {got:?} {:?}, whole {expected:?} {expected_passes:?}", full.check.meta.id, inv.objects[index].object_ref(), focused.passes));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_focused_run_of_an_object_local_check_looks_up_no_other_object() {
    let mut problems = std::collections::BTreeSet::new();
    for (name, inv, kind) in inputs() {
        for check in local_checks() {
            for index in 0..inv.objects.len() {
                let recorder = KindRecorder::default();
                let cx = Context::recording(&inv, kind, &recorder).at(NOW);
                run_focused(&cx, &[check], &opts(), &Focus::new([index]));
                for lookup in recorder.lookups() {
                    problems.insert(format!("{}: {lookup} (on {name})", check.meta.id));
                }
            }
        }
    }
    assert!(problems.is_empty(), "object-local checks reaching other objects:\n{}", problems.into_iter().collect::<Vec<_>>().join("\n"));
}

/// What object-local results about an object depend on besides the object: its scope and
/// whether it is a top owner.
fn role(inv: &Inventory, i: usize) -> (kubepci_inventory::Scope, bool) {
    let o = &inv.objects[i];
    let scope = if o.kind() == "Namespace" { inv.namespace_scope(o.name()) } else { inv.object_scope(i) };
    (scope, inv.workload_of(i).is_some_and(|w| w.object == i))
}

/// Each check's results per object, keyed by the object's reference.
/// The (check, object) keys whose results differ between two runs of [`results_by_object`]
/// or [`results_without_locations`].
fn differing<'a>(a: &'a Results, b: &'a Results) -> impl Iterator<Item = &'a (String, String)> {
    a.keys().chain(b.keys()).filter(|key| a.get(*key) != b.get(*key))
}

/// Each check's results per (check id, object).
type Results = BTreeMap<(String, String), (Vec<Finding>, usize)>;

fn results_by_object(inv: &Inventory, kind: InputKind, checks: &[&'static Check]) -> Results {
    let cx = Context::new(inv, kind).at(NOW);
    let mut out: BTreeMap<(String, String), (Vec<Finding>, usize)> = BTreeMap::new();
    for run in run_each(&cx, checks, &opts(), None) {
        for (i, f) in &run.findings {
            if let Some(i) = i {
                out.entry((run.check.meta.id.to_string(), inv.objects[*i as usize].object_ref().to_string())).or_default().0.push(f.clone());
            }
        }
        for &p in &run.passes {
            out.entry((run.check.meta.id.to_string(), inv.objects[p as usize].object_ref().to_string())).or_default().1 += 1;
        }
    }
    out
}

#[test]
fn object_local_results_do_not_depend_on_other_objects() {
    let checks = local_checks();
    let objects = demo_objects();
    for kind in [InputKind::Manifests, InputKind::Snapshot] {
        let inv = Inventory::build(objects.clone(), demo_config());
        let before = results_by_object(&inv, kind, &checks);
        let roles: BTreeMap<String, _> = (0..inv.objects.len()).map(|i| (inv.objects[i].object_ref().to_string(), role(&inv, i))).collect();
        for removed in 0..objects.len() {
            let mut fewer = objects.clone();
            let gone = fewer.remove(removed).object_ref().to_string();
            let inv = Inventory::build(fewer, demo_config());
            let same_role: Vec<String> = (0..inv.objects.len()).map(|i| (inv.objects[i].object_ref().to_string(), role(&inv, i))).filter(|(r, role)| roles.get(r) == Some(role)).map(|(r, _)| r).collect();
            let after = results_by_object(&inv, kind, &checks);
            for ((check, object), result) in &before {
                if object == &gone || !same_role.contains(object) {
                    continue;
                }
                assert_eq!(after.get(&(check.clone(), object.clone())), Some(result), "{kind:?}: {check} on {object} changed when {gone} was removed");
            }
        }
    }
}

/// An object from a one-document YAML text.
fn object(yaml: &str) -> Object {
    let loaded = kubepci_source::load_bytes("change.yaml", yaml.as_bytes());
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    loaded.objects.into_iter().next().expect("one object")
}

/// The demo file `file`'s object `kind`/`name` with `from` replaced by `to` in its text.
fn edited(file: &str, kind: &str, name: &str, from: &str, to: &str) -> Object {
    let text = std::fs::read_to_string(repo().join("examples/demo-cluster").join(file)).expect(file);
    assert!(text.contains(from), "{file} has no {from:?}");
    let loaded = kubepci_source::load_bytes(file, text.replace(from, to).as_bytes());
    loaded.objects.into_iter().find(|o| o.kind() == kind && o.name() == name).expect(name)
}

fn delete(kind: &str, namespace: Option<&str>, name: &str) -> Change {
    Change::Delete { kind: kind.into(), namespace: namespace.map(str::to_string), name: name.into() }
}

/// The member of the demo's workloads (see [`member_objects`]) of `kind` named `name`.
fn member(kind: &str, name: &str) -> Object {
    member_objects().into_iter().find(|o| o.kind() == kind && o.name() == name).unwrap_or_else(|| panic!("no member {kind} {name}"))
}

/// The member Pod `name` running another image (labels and owner as they were).
fn member_edited(name: &str) -> Object {
    let mut pod = member_values().into_iter().find(|v| v["kind"] == "Pod" && v["metadata"]["name"] == name).unwrap_or_else(|| panic!("no member Pod {name}"));
    for c in pod["spec"]["containers"].as_array_mut().into_iter().flatten() {
        c["image"] = "registry.pay.example/card-vault/tokenizer-next:3.1".into();
    }
    load_values(&[pod]).remove(0)
}

/// Findings, summaries, passes (check id, object), boundary flows.
type Parts = (Vec<Finding>, Vec<kubepci_findings::CheckSummary>, Vec<(&'static str, u32)>, Vec<kubepci_findings::BoundaryFlow>);

/// The parts of an assessment a report is made of, comparable.
fn comparable(a: &Assessment) -> Parts {
    let mut passes: Vec<(&'static str, u32)> = a.passes.iter().map(|(c, i)| (c.meta.id, *i)).collect();
    passes.sort_unstable();
    (a.findings.clone(), a.summaries.clone(), passes, a.boundary.clone())
}

/// Fail with the items only one side has (a few of them), not both whole lists.
fn assert_same<T: std::fmt::Debug + PartialEq>(got: &[T], expected: &[T], what: &str) {
    if got == expected {
        return;
    }
    let only = |a: &[T], b: &[T]| a.iter().filter(|x| !b.contains(x)).take(3).map(|x| format!("{x:?}")).collect::<Vec<_>>().join("\n  ");
    panic!("{what} differ ({} kept, {} whole)\nonly kept:\n  {}\nonly whole:\n  {}", got.len(), expected.len(), only(got, expected), only(expected, got));
}

#[test]
fn every_change_leaves_the_kept_assessment_equal_to_a_whole_one() {
    let card = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: orders-export, namespace: checkout}\ndata: {last: \"card 4539148803436467\"}\n";
    let steps: Vec<(&str, Vec<Change>)> = vec![
        ("container image edit", vec![Change::Apply(edited("10-payments.yaml", "Deployment", "payment-api", "payments/api:2.14.1@sha256", "payments/api:2.15.0@sha256"))]),
        ("a deployment's pod security changed in place", vec![Change::Apply(edited("10-payments.yaml", "Deployment", "payment-api", "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true"))]),
        ("a deployment's service account changed in place", vec![Change::Apply(edited("10-payments.yaml", "Deployment", "payment-api", "serviceAccountName: payment-api", "serviceAccountName: default"))]),
        ("a deployment's token mounted", vec![Change::Apply(edited("10-payments.yaml", "Deployment", "payment-api", "automountServiceAccountToken: false", "automountServiceAccountToken: true"))]),
        ("namespace relabelled into the CDE", vec![Change::Apply(edited("00-namespaces.yaml", "Namespace", "checkout", "pci.kubepci.io/scope: connected", "pci.kubepci.io/scope: cde"))]),
        ("namespace relabelled out of the CDE", vec![Change::Apply(edited("00-namespaces.yaml", "Namespace", "card-vault", "pci.kubepci.io/scope: cde", "pci.kubepci.io/scope: out"))]),
        ("pod added", vec![Change::Apply(object("apiVersion: v1\nkind: Pod\nmetadata: {name: debug, namespace: payments, labels: {app: debug}}\nspec:\n  containers:\n  - {name: sh, image: busybox, securityContext: {privileged: true}}\n"))]),
        ("networkpolicy added", vec![Change::Apply(object("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow-all, namespace: payments}\nspec:\n  podSelector: {}\n  ingress: [{}]\n  policyTypes: [Ingress]\n"))]),
        ("networkpolicy with a named port added", vec![Change::Apply(object("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: from-checkout, namespace: payments}\nspec:\n  podSelector: {}\n  ingress:\n  - from: [{namespaceSelector: {}}]\n    ports: [{port: https}]\n  policyTypes: [Ingress]\n"))]),
        ("named container port changed", vec![Change::Apply(edited("10-payments.yaml", "Deployment", "payment-api", "{name: https, containerPort: 8443}", "{name: https, containerPort: 9443}"))]),
        ("pod deleted", vec![delete("Pod", Some("payments"), "debug")]),
        ("pod added in a new namespace", vec![Change::Apply(object("apiVersion: v1\nkind: Pod\nmetadata: {name: batch-1, namespace: jobs}\nspec:\n  containers:\n  - {name: sh, image: busybox, securityContext: {privileged: true}}\n"))]),
        ("the pod added last deleted", vec![delete("Pod", Some("jobs"), "batch-1")]),
        ("namespace added", vec![Change::Apply(object("apiVersion: v1\nkind: Namespace\nmetadata: {name: reports, labels: {pci.kubepci.io/scope: connected}}\n"))]),
        ("configmap added in it", vec![Change::Apply(object("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: r, namespace: reports}\ndata: {last: \"card 4539148803436467\"}\n"))]),
        ("the configmap added last deleted", vec![delete("ConfigMap", Some("reports"), "r")]),
        ("the namespace added last deleted", vec![delete("Namespace", None, "reports")]),
        ("a replicaset added under a deployment", vec![Change::Apply(member("ReplicaSet", "tokenizer-5d4f8"))]),
        ("a pod added under it", vec![Change::Apply(member("Pod", "tokenizer-5d4f8-a"))]),
        ("a canary pod added under it", vec![Change::Apply(member("Pod", "tokenizer-5d4f8-b"))]),
        ("a member pod's image changed in place", vec![Change::Apply(member_edited("tokenizer-5d4f8-a"))]),
        ("a pod and a job added under a cronjob", vec![Change::Apply(member("Job", "settlement-29400120")), Change::Apply(member("Pod", "settlement-29400120-q8x2z"))]),
        ("the member pod added last deleted", vec![delete("Pod", Some("payments"), "settlement-29400120-q8x2z")]),
        ("a replicaset added under payment-api", vec![Change::Apply(member("ReplicaSet", "payment-api-5d4f8"))]),
        ("a host-network member pod added under it", vec![Change::Apply(member_pod_as("payment-api-5d4f8-a", "payment-api-5d4f8-h", |p| {
            https_on_9443(p);
            p["spec"]["hostNetwork"] = true.into();
        }))]),
        ("the host-network member pod deleted", vec![delete("Pod", Some("payments"), "payment-api-5d4f8-h")]),
        // As the template is now (its named port was moved above).
        ("a member pod of its workload's class added", vec![Change::Apply(member_pod_as("payment-api-5d4f8-a", "payment-api-5d4f8-a", https_on_9443))]),
        ("another member pod of that class added", vec![Change::Apply(member_pod_as("payment-api-5d4f8-a", "payment-api-5d4f8-c", https_on_9443))]),
        ("a member pod of another workload's class added", vec![Change::Apply(member_pod_as("tokenizer-5d4f8-a", "payment-api-5d4f8-t", |p| {
            p["metadata"]["namespace"] = "payments".into();
            p["metadata"]["ownerReferences"] = owned_by("apps/v1", "ReplicaSet", "payment-api-5d4f8");
        }))]),
        ("that member pod deleted", vec![delete("Pod", Some("payments"), "payment-api-5d4f8-t")]),
        ("the member pod of that class added last deleted", vec![delete("Pod", Some("payments"), "payment-api-5d4f8-c")]),
        ("an older member pod deleted", vec![delete("Pod", Some("card-vault"), "tokenizer-5d4f8-a")]),
        ("rolebinding changed", vec![Change::Apply(edited("50-rbac.yaml", "RoleBinding", "oncall-debug", "{kind: ServiceAccount, name: default, namespace: payments}", "{kind: Group, name: system:authenticated, apiGroup: rbac.authorization.k8s.io}"))]),
        ("configmap with a card number added", vec![Change::Apply(object(card))]),
        ("configmap with a card number changed", vec![Change::Apply(object(&card.replace("4539148803436467", "4111111111111111")))]),
        ("a deployment deleted and a configmap deleted", vec![delete("Deployment", Some("payments"), "payment-api"), delete("ConfigMap", Some("checkout"), "orders-export")]),
        ("the CDE declared away", vec![
            Change::Apply(edited("00-namespaces.yaml", "Namespace", "payments", "pci.kubepci.io/scope: cde", "pci.kubepci.io/scope: out")),
            Change::Apply(edited("00-namespaces.yaml", "Namespace", "checkout", "pci.kubepci.io/scope: connected", "pci.kubepci.io/scope: out")),
        ]),
    ];
    for kind in [InputKind::Snapshot, InputKind::Manifests] {
        let setting = Setting { input: kind, unlisted: Vec::new(), vulns: None, now: NOW, run: opts() };
        let mut inc = Incremental::new(demo_objects(), demo_config(), setting);
        assert_eq!(inc.take_delta(), None, "the first assessment is whole");
        // The findings as kept by the deltas alone (what `serve` updates its history with).
        let mut by_delta: Vec<Finding> = inc.assessment().findings;
        let mut local_runs = 0;
        let mut rebuilt = BTreeMap::new();
        let mut members_only = BTreeMap::new();
        let mut classes_kept = BTreeMap::new();
        let mut identity_kept = BTreeMap::new();
        for (what, changes) in steps.clone() {
            let applied = inc.apply(changes);
            identity_kept.insert(what, applied.identity_kept);
            rebuilt.insert(what, applied.rebuilt);
            members_only.insert(what, applied.members_only);
            classes_kept.insert(what, applied.classes_kept);
            match inc.take_delta() {
                Some(delta) => {
                    for gone in &delta.removed {
                        let at = by_delta.iter().position(|f| f == gone).unwrap_or_else(|| panic!("{kind:?}, after {what}: removed finding not kept: {gone:?}"));
                        by_delta.swap_remove(at);
                    }
                    by_delta.extend(delta.added);
                }
                None => {
                    assert!(applied.everything, "{kind:?}, after {what}: only a whole re-evaluation gives no delta ({applied:?})");
                    by_delta = inc.assessment().findings;
                }
            }
            local_runs += usize::from(applied.focused_checks > 0 && !applied.everything);
            let whole_inv = Inventory::build(inc.inventory().objects.clone(), demo_config());
            let cx = Context::new(&whole_inv, kind).at(NOW);
            let whole = kubepci_checks::assess(&cx, &opts());
            let (got, expected) = (comparable(&inc.assessment()), comparable(&whole));
            let context = format!("{kind:?}, after {what} ({applied:?})");
            assert_same(&got.1, &expected.1, &format!("{context}: summaries"));
            assert_same(&got.0, &expected.0, &format!("{context}: findings"));
            assert_same(&got.2, &expected.2, &format!("{context}: passes"));
            assert_same(&got.3, &expected.3, &format!("{context}: boundary"));
            by_delta.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
            assert_eq!(by_delta.len(), expected.0.len(), "{context}: findings by delta");
            assert!(expected.0.iter().all(|f| by_delta.contains(f)), "{context}: findings by delta differ from the whole");
        }
        assert!(local_runs >= 5, "most steps re-run object-local checks on their focus only");
        // Objects added last and the last object deleted leave the other objects' indices
        // alone: no rebuild. A deletion of another object rebuilds.
        for what in ["a pod added under it", "a canary pod added under it", "a member pod's image changed in place", "a pod and a job added under a cronjob", "the member pod added last deleted", "an older member pod deleted"] {
            assert_eq!(members_only.get(what), Some(&true), "{kind:?}: {what}");
        }
        let without_rebuild = ["pod added", "networkpolicy added", "pod added in a new namespace", "the pod added last deleted", "namespace added", "configmap added in it", "the configmap added last deleted", "the namespace added last deleted"];
        for what in without_rebuild {
            assert_eq!(rebuilt.get(what), Some(&false), "{kind:?}: {what}");
        }
        // Member pods of a class their workload has keep the reachability; a pod of a class
        // new to its workload (created, or another workload's), or the last of a class, do not.
        for (what, kept) in [
            ("a pod added under it", true),
            ("a canary pod added under it", false),
            ("a pod and a job added under a cronjob", false),
            ("the member pod added last deleted", false),
            ("a host-network member pod added under it", false),
            ("the host-network member pod deleted", false),
            ("a member pod of its workload's class added", true),
            ("another member pod of that class added", true),
            ("a member pod of another workload's class added", false),
            ("that member pod deleted", false),
            ("the member pod of that class added last deleted", true),
            ("an older member pod deleted", false),
        ] {
            assert_eq!(classes_kept.get(what), Some(&kept), "{kind:?}: {what}: classes kept");
            assert_eq!(members_only.get(what), Some(&true), "{kind:?}: {what}: members only");
        }
        assert_eq!(rebuilt.get("pod deleted"), Some(&true), "{kind:?}");
        // An edit that keeps the service account leaves the identity-only checks alone; one
        // that changes it (or the token mount) re-runs them.
        for (what, kept) in [("container image edit", true), ("a deployment's pod security changed in place", true), ("a deployment's service account changed in place", false), ("a deployment's token mounted", false)] {
            assert_eq!(identity_kept.get(what), Some(&kept), "{kind:?}: {what}");
        }
        assert_eq!(rebuilt.get("an older member pod deleted"), Some(&true), "{kind:?}");
    }
}

#[test]
fn an_image_edit_reruns_object_local_checks_on_that_object_only() {
    let setting = Setting { input: InputKind::Snapshot, unlisted: Vec::new(), vulns: None, now: NOW, run: opts() };
    let mut inc = Incremental::new(demo_objects(), demo_config(), setting);
    let applied = inc.apply([Change::Apply(edited("10-payments.yaml", "Deployment", "payment-api", "payments/api:2.14.1@sha256", "payments/api:2.15.0@sha256"))]);
    assert!(!applied.rebuilt && !applied.everything, "{applied:?}");
    assert_eq!(applied.focus, 1);
    // Applying the same object again changes nothing.
    let again = inc.apply([Change::Apply(edited("10-payments.yaml", "Deployment", "payment-api", "payments/api:2.14.1@sha256", "payments/api:2.15.0@sha256"))]);
    assert_eq!(again, kubepci_checks::Applied::default());
}

/// The demo's objects as JSON values, file by file.
fn demo_values() -> Vec<Value> {
    let dir = repo().join("examples/demo-cluster");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).expect("demo").map(|e| e.expect("entry").path()).collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("demo file");
        for doc in text.split("\n---") {
            let value: Value = yaml_serde::from_str(doc).unwrap_or(Value::Null);
            if value.get("kind").is_some() {
                out.push(value);
            }
        }
    }
    out
}

/// The member Pod `name` (of [`member_values`]) named `new_name` and edited by `edit`.
fn member_pod_as(name: &str, new_name: &str, edit: impl FnOnce(&mut Value)) -> Object {
    let mut pod = member_values().into_iter().find(|v| v["kind"] == "Pod" && v["metadata"]["name"] == name).unwrap_or_else(|| panic!("no member Pod {name}"));
    pod["metadata"]["name"] = new_name.into();
    edit(&mut pod);
    load_values(&[pod]).remove(0)
}

/// The named port `https` of a payment-api pod moved to 9443, as the change sequence moves the
/// template's.
fn https_on_9443(pod: &mut Value) {
    for c in pod["spec"]["containers"].as_array_mut().into_iter().flatten() {
        for p in c["ports"].as_array_mut().into_iter().flatten() {
            if p["name"] == "https" {
                p["containerPort"] = 9443.into();
            }
        }
    }
}

/// `kind`/`name` as a controlling owner reference.
fn owned_by(api_version: &str, kind: &str, name: &str) -> Value {
    json!([{"apiVersion": api_version, "kind": kind, "name": name, "uid": format!("uid-{name}"), "controller": true}])
}

/// A Pod named `name` in `namespace` as `template` makes it, owned by `owner`, running on a
/// node. The `canary` one carries one more label (a class of its own to NetworkPolicies) and
/// runs another image, as a rollout in progress does.
fn member_pod(name: &str, namespace: &str, template: &Value, owner: Value, canary: bool) -> Value {
    let mut metadata = template.get("metadata").cloned().unwrap_or_else(|| json!({}));
    metadata["name"] = name.into();
    metadata["namespace"] = namespace.into();
    metadata["ownerReferences"] = owner;
    let mut spec = template["spec"].clone();
    spec["nodeName"] = "node-a".into();
    let mut statuses = Vec::new();
    for c in spec["containers"].as_array_mut().into_iter().flatten() {
        if canary {
            c["image"] = "registry.pay.example/canary/next:1.0".into();
        }
        statuses.push(json!({"name": c["name"], "image": c["image"], "imageID": "registry.pay.example/x@sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0", "ready": true}));
    }
    if canary {
        metadata["labels"]["rollout"] = "canary".into();
    }
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec, "status": {"phase": "Running", "containerStatuses": statuses}})
}

/// The members a live cluster has under the demo's workloads: a ReplicaSet with two Pods
/// under each Deployment, two Pods under each StatefulSet and DaemonSet, a Job with a Pod
/// under each CronJob, a Pod under each Job; the second Pod of each is a canary.
fn member_objects() -> Vec<Object> {
    load_values(&member_values())
}

/// Objects from JSON values, as the YAML loader reads them.
fn load_values(values: &[Value]) -> Vec<Object> {
    let text = values.iter().map(|v| yaml_serde::to_string(v).expect("yaml")).collect::<Vec<_>>().join("---\n");
    let loaded = kubepci_source::load_bytes("members.yaml", text.as_bytes());
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    loaded.objects
}

/// The members of [`member_objects`] as JSON values.
fn member_values() -> Vec<Value> {
    let mut values = Vec::new();
    for w in demo_values() {
        let (kind, name) = (w["kind"].as_str().unwrap_or_default(), w["metadata"]["name"].as_str().unwrap_or_default());
        let namespace = w["metadata"]["namespace"].as_str().unwrap_or("default");
        let api_version = w["apiVersion"].as_str().unwrap_or_default();
        match kind {
            "Deployment" => {
                let rs = format!("{name}-5d4f8");
                let mut spec = w["spec"].clone();
                spec["replicas"] = 2.into();
                values.push(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": rs, "namespace": namespace, "labels": w["spec"]["template"]["metadata"]["labels"], "ownerReferences": owned_by(api_version, kind, name)}, "spec": spec}));
                for (n, canary) in [("a", false), ("b", true)] {
                    values.push(member_pod(&format!("{rs}-{n}"), namespace, &w["spec"]["template"], owned_by("apps/v1", "ReplicaSet", &rs), canary));
                }
            }
            "StatefulSet" | "DaemonSet" => {
                for (n, canary) in [("0", false), ("1", true)] {
                    values.push(member_pod(&format!("{name}-{n}"), namespace, &w["spec"]["template"], owned_by(api_version, kind, name), canary));
                }
            }
            "Job" => values.push(member_pod(&format!("{name}-x7k2p"), namespace, &w["spec"]["template"], owned_by(api_version, kind, name), false)),
            "CronJob" => {
                let job = format!("{name}-29400120");
                let spec = w["spec"]["jobTemplate"]["spec"].clone();
                values.push(json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": job, "namespace": namespace, "ownerReferences": owned_by(api_version, kind, name)}, "spec": spec}));
                values.push(member_pod(&format!("{job}-q8x2z"), namespace, &w["spec"]["jobTemplate"]["spec"]["template"], owned_by("batch/v1", "Job", &job), true));
            }
            _ => {}
        }
    }
    values
}

fn member_blind_checks() -> Vec<&'static Check> {
    registry().into_iter().filter(|c| c.meta.locality != Locality::Object && !reads_members(c)).collect()
}

#[test]
fn the_demo_members_run_under_the_demo_workloads() {
    let members = member_objects();
    let mut objects = demo_objects();
    let first = objects.len();
    objects.extend(members.iter().cloned());
    let inv = Inventory::build(objects, demo_config());
    let workloads = inv.workloads().len();
    assert_eq!(workloads, Inventory::build(demo_objects(), demo_config()).workloads().len(), "members add no workload");
    for i in first..inv.objects.len() {
        let w = inv.workload_of(i).unwrap_or_else(|| panic!("{} has no workload", inv.objects[i].object_ref()));
        assert_ne!(w.object, i, "{} is a member", inv.objects[i].object_ref());
    }
    assert!(members.len() >= 15, "{}", members.len());
}

#[test]
fn member_blind_checks_give_the_same_results_with_or_without_any_member() {
    let checks = member_blind_checks();
    assert!(checks.len() >= 30, "member-blind checks: {}", checks.len());
    let members = member_objects();
    let mut problems = std::collections::BTreeSet::new();
    for kind in [InputKind::Snapshot, InputKind::Manifests] {
        let without = results_by_object(&Inventory::build(demo_objects(), demo_config()), kind, &checks);
        // Every member, then all but one Pod (each in turn; leaving out a ReplicaSet or a Job
        // would make its Pods workloads of their own).
        let pods = (0..members.len()).filter(|&i| members[i].kind() == "Pod");
        for left_out in std::iter::once(None).chain(pods.map(Some)) {
            let mut objects = demo_objects();
            objects.extend(members.iter().enumerate().filter(|(i, _)| Some(*i) != left_out).map(|(_, o)| o.clone()));
            let with = results_by_object(&Inventory::build(objects, demo_config()), kind, &checks);
            for key in differing(&without, &with) {
                problems.insert(format!("{kind:?}: {} on {} (members but {left_out:?})", key.0, key.1));
            }
        }
    }
    assert!(problems.is_empty(), "member-blind checks whose results depend on members:\n{}", problems.into_iter().collect::<Vec<_>>().join("\n"));
}

#[test]
fn member_blind_checks_read_no_member_pod_or_controller() {
    let mut objects = demo_objects();
    objects.extend(member_objects());
    let inv = Inventory::build(objects, demo_config());
    let mut problems = Vec::new();
    for id in kubepci_checks::MEMBER_BLIND {
        let check = kubepci_checks::find(id).unwrap_or_else(|| panic!("{id} is no check"));
        if check.meta.locality == Locality::Object || !kubepci_checks::WORKLOAD_KINDS.iter().any(|k| check.meta.reads_kind(k)) || check.meta.reads.contains(&kubepci_checks::ANY_KIND) {
            problems.push(format!("{id}: listed, but object-local, reading no workloads, or walking every object"));
        }
        for kind in [InputKind::Snapshot, InputKind::Manifests] {
            let recorder = KindRecorder::default();
            run_each(&Context::recording(&inv, kind, &recorder).at(NOW), &[check], &opts(), None);
            let by_kind: Vec<String> = recorder.kinds().into_iter().filter(|k| ["Pod", "ReplicaSet", "Job", "ReplicationController"].contains(&k.as_str())).collect();
            let lookups = recorder.lookups();
            if lookups.contains(kubepci_checks::MEMBER_LOOKUP) || lookups.contains(kubepci_checks::CLASS_LOOKUP) || !by_kind.is_empty() {
                problems.push(format!("{id} ({kind:?}): reads members ({by_kind:?})"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn class_blind_checks() -> Vec<&'static Check> {
    kubepci_checks::CLASS_BLIND.iter().map(|id| kubepci_checks::find(id).unwrap_or_else(|| panic!("{id} is no check"))).collect()
}

#[test]
fn class_blind_checks_give_the_same_results_with_or_without_members_of_existing_classes() {
    let checks = class_blind_checks();
    // The members that are no canary carry their workload's template labels and ports: each
    // falls into the class its workload has without them.
    let members: Vec<Object> = load_values(&member_values().into_iter().filter(|v| v["metadata"]["labels"]["rollout"] != "canary").collect::<Vec<_>>());
    assert!(members.iter().filter(|o| o.kind() == "Pod").count() >= 5);
    let mut problems = std::collections::BTreeSet::new();
    for kind in [InputKind::Snapshot, InputKind::Manifests] {
        let without = results_by_object(&Inventory::build(demo_objects(), demo_config()), kind, &checks);
        let mut objects = demo_objects();
        objects.extend(members.iter().cloned());
        let with = results_by_object(&Inventory::build(objects, demo_config()), kind, &checks);
        for key in differing(&without, &with) {
            problems.insert(format!("{kind:?}: {} on {}", key.0, key.1));
        }
    }
    assert!(problems.is_empty(), "class-blind checks whose results depend on members of existing classes:\n{}", problems.into_iter().collect::<Vec<_>>().join("\n"));
}

#[test]
fn class_blind_checks_read_members_only_through_the_pod_classes() {
    let mut objects = demo_objects();
    objects.extend(member_objects());
    let inv = Inventory::build(objects, demo_config());
    let mut problems = Vec::new();
    for check in class_blind_checks() {
        let id = check.meta.id;
        if check.meta.locality == Locality::Object || !reads_members(check) || check.meta.reads.contains(&kubepci_checks::ANY_KIND) {
            problems.push(format!("{id}: listed, but object-local, member-blind, or walking every object"));
        }
        for kind in [InputKind::Snapshot, InputKind::Manifests] {
            let recorder = KindRecorder::default();
            run_each(&Context::recording(&inv, kind, &recorder).at(NOW), &[check], &opts(), None);
            let by_kind: Vec<String> = recorder.kinds().into_iter().filter(|k| ["Pod", "ReplicaSet", "Job", "ReplicationController"].contains(&k.as_str())).collect();
            if recorder.lookups().contains(kubepci_checks::MEMBER_LOOKUP) || !by_kind.is_empty() {
                problems.push(format!("{id} ({kind:?}): reads members otherwise than by their pod classes ({by_kind:?})"));
            }
            if !recorder.lookups().contains(kubepci_checks::CLASS_LOOKUP) {
                problems.push(format!("{id} ({kind:?}): reads no pod class: member-blind, not class-blind"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A pod-running object's JSON with its pod template cut down to its identity to RBAC (see
/// `kubepci_checks::pod_identity`) and one placeholder container; other objects as they are.
fn identity_only(mut value: Value) -> Value {
    let spec = match value["kind"].as_str().unwrap_or_default() {
        "Pod" => value.get_mut("spec"),
        "CronJob" => value.pointer_mut("/spec/jobTemplate/spec/template/spec"),
        k if kubepci_checks::WORKLOAD_KINDS.contains(&k) => value.pointer_mut("/spec/template/spec"),
        _ => None,
    };
    if let Some(spec) = spec {
        let mut reduced = json!({"containers": [{"name": "placeholder", "image": "registry.example/placeholder:1"}]});
        for field in ["serviceAccountName", "serviceAccount", "automountServiceAccountToken"] {
            if let Some(v) = spec.get(field) {
                reduced[field] = v.clone();
            }
        }
        *spec = reduced;
    }
    value
}

/// Each check's results per object (and about the input as a whole, keyed `(input)`), without
/// their locations: the same objects loaded from other text have other lines.
fn results_without_locations(inv: &Inventory, kind: InputKind, checks: &[&'static Check]) -> Results {
    let cx = Context::new(inv, kind).at(NOW);
    let mut out: BTreeMap<(String, String), (Vec<Finding>, usize)> = BTreeMap::new();
    for run in run_each(&cx, checks, &opts(), None) {
        for (i, f) in &run.findings {
            let object = i.map_or("(input)".to_string(), |i| inv.objects[i as usize].object_ref().to_string());
            out.entry((run.check.meta.id.to_string(), object)).or_default().0.push(Finding { location: None, ..f.clone() });
        }
        for &p in &run.passes {
            out.entry((run.check.meta.id.to_string(), inv.objects[p as usize].object_ref().to_string())).or_default().1 += 1;
        }
        out.entry((run.check.meta.id.to_string(), "(input passes)".to_string())).or_default().1 += run.cluster_passes;
    }
    out
}

/// The checks of `IDENTITY_ONLY` give the same results when every pod template (top owners'
/// and members') is cut down to its service account: they read nothing else of a workload.
/// Run on every check reading workloads, so that the list can be checked against all of them.
#[test]
fn identity_only_checks_read_nothing_of_a_pod_template_but_its_service_account() {
    let platform = kubepci_source::load_paths(&[repo().join("examples/platform")]).objects;
    let full: Vec<Value> = demo_values().into_iter().chain(member_values()).collect();
    // Each object from a document of its own, so that both sides name the same lines.
    let load_each = |values: Vec<Value>| -> Vec<Object> {
        values
            .iter()
            .enumerate()
            .flat_map(|(i, v)| kubepci_source::load_bytes(&format!("doc-{i}.yaml"), yaml_serde::to_string(v).expect("yaml").as_bytes()).objects)
            .collect()
    };
    let mut objects = load_each(full.clone());
    objects.extend(platform.iter().cloned());
    let mut reduced = load_each(full.iter().cloned().map(identity_only).collect());
    reduced.extend(platform);
    assert_eq!(objects.len(), reduced.len());
    let readers: Vec<&'static Check> = registry().into_iter().filter(|c| c.meta.locality != Locality::Object && kubepci_checks::WORKLOAD_KINDS.iter().any(|k| c.meta.reads_kind(k))).collect();
    let mut differing_checks = std::collections::BTreeSet::new();
    for kind in [InputKind::Snapshot, InputKind::Manifests] {
        let before = results_without_locations(&Inventory::build(objects.clone(), demo_config()), kind, &readers);
        let after = results_without_locations(&Inventory::build(reduced.clone(), demo_config()), kind, &readers);
        differing_checks.extend(differing(&before, &after).map(|key| key.0.clone()));
    }
    let listed: std::collections::BTreeSet<String> = kubepci_checks::IDENTITY_ONLY.iter().map(|s| s.to_string()).collect();
    let wrongly: Vec<&String> = listed.intersection(&differing_checks).collect();
    assert!(wrongly.is_empty(), "listed identity-only, but their results change with the pod templates: {wrongly:?}");
    // The reduction is a real one: checks that judge containers see it.
    assert!(differing_checks.len() >= 5, "only {differing_checks:?} changed");
    let unlisted: Vec<&str> = readers.iter().map(|c| c.meta.id).filter(|id| !differing_checks.contains(*id) && !listed.contains(*id)).collect();
    eprintln!("identity-only candidates not listed: {unlisted:?}");
    for id in kubepci_checks::IDENTITY_ONLY {
        let check = kubepci_checks::find(id).unwrap_or_else(|| panic!("{id} is no check"));
        assert!(check.meta.locality != Locality::Object && readers.iter().any(|r| r.meta.id == check.meta.id), "{id}: object-local or reading no workloads");
    }
}
