//! Each check's declared `reads` is what it actually reads, so that a kind the collector could
//! not list makes exactly the checks that depend on it "not assessed".
//!
//! Two views of the same property, on the demo cluster and its platform configuration, as
//! manifests and as a cluster snapshot:
//! * recorded: every kind a check reaches through `cx.inv` and the `Context` analyses is
//!   declared;
//! * observed: removing every object of a kind the check does not declare leaves its results
//!   unchanged (this also covers walks over `objects` and analyses handed the whole inventory).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use kubepci_checks::testing::run_on;
use kubepci_checks::{Check, Context, InputKind, KindRecorder, PartialInput, RunOptions, UnlistedKind, WHOLE_INVENTORY, WORKLOADS, registry, run_checks};
use kubepci_findings::Status;
use kubepci_inventory::{Config, Inventory};
use kubepci_model::Object;

/// Checks that hand the whole inventory to an analysis crate, and the kinds that analysis
/// reads (which the check must declare). `kubepci_rbac::EscalationGraph::new` reads the
/// namespaces, the workloads (their service accounts) and service-account token Secrets.
const WHOLE_INVENTORY_USERS: &[(&str, &[&str])] = &[("RBAC-011", &["Namespace", WORKLOADS, "Secret"])];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The demo cluster with its platform configuration, and without it (as a managed cluster
/// whose control plane is not visible), with the demo's kubepci.yaml.
fn demo_inputs() -> Vec<(&'static str, Vec<Object>, Config)> {
    let text = std::fs::read_to_string(repo().join("examples/kubepci.yaml")).expect("examples/kubepci.yaml");
    let config = Config::from_yaml("examples/kubepci.yaml", &text).expect("demo config");
    let demo = kubepci_source::load_paths(&[repo().join("examples/demo-cluster")]).objects;
    let platform = kubepci_source::load_paths(&[repo().join("examples/platform")]).objects;
    assert!(demo.len() > 30 && !platform.is_empty(), "demo cluster not found");
    let with_platform = demo.iter().chain(&platform).cloned().collect();
    vec![("demo + platform", with_platform, config.clone()), ("demo", demo, config)]
}

const MODES: [InputKind; 2] = [InputKind::Manifests, InputKind::Snapshot];

#[test]
fn every_kind_a_check_reaches_is_declared() {
    let mut problems = BTreeSet::new();
    for (name, objects, config) in demo_inputs() {
        let inv = Inventory::build(objects, config);
        for (check, mode) in registry().into_iter().flat_map(|c| MODES.map(|m| (c, m))) {
            let recorder = KindRecorder::default();
            run_on(check, &Context::recording(&inv, mode, &recorder));
            for kind in recorder.kinds() {
                let declared = if kind == WHOLE_INVENTORY {
                    match WHOLE_INVENTORY_USERS.iter().find(|(id, _)| *id == check.meta.id) {
                        Some((_, kinds)) => kinds.iter().all(|k| check.meta.reads.contains(k) || check.meta.reads_kind(k)),
                        None => false,
                    }
                } else {
                    check.meta.reads_kind(&kind)
                };
                if !declared {
                    problems.insert(format!("{} reads {kind} ({name}, {mode:?}) but declares reads: {:?}", check.meta.id, check.meta.reads));
                }
            }
        }
    }
    assert!(problems.is_empty(), "undeclared reads:\n{}", problems.into_iter().collect::<Vec<_>>().join("\n"));
}

/// A check's results without what depends on other checks' kinds: status, object, message
/// and evidence (the scope label and location are the runner's, not the check's).
fn results(check: &'static Check, inv: &Inventory, mode: InputKind) -> Vec<String> {
    let a = run_on(check, &Context::new(inv, mode));
    let mut out: Vec<String> = a
        .findings
        .iter()
        .map(|f| format!("{:?} {:?} {} {:?}", f.status, f.object, f.message, f.evidence))
        .chain(a.passes.iter().map(|&i| format!("pass {:?}", inv.objects[i].object_ref())))
        .collect();
    out.push(format!("cluster passes {}", a.passed - a.passes.len()));
    out.sort();
    out
}

/// A Namespace object for every namespace only referenced by other objects, as a cluster has
/// (the demo's `reporting` namespace is in its hand-broken file). Namespace checks report a
/// referenced-only namespace on its first object, which would make them look as if they read
/// every kind.
fn with_namespace_objects(mut objects: Vec<Object>) -> Vec<Object> {
    let declared: BTreeSet<String> = objects.iter().filter(|o| o.kind() == "Namespace").map(|o| o.name().to_string()).collect();
    let referenced: BTreeSet<String> = objects.iter().filter_map(|o| o.namespace()).filter(|ns| !declared.contains(*ns)).map(str::to_string).collect();
    for ns in referenced {
        let yaml = format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n");
        objects.extend(kubepci_source::load_bytes("namespaces.yaml", yaml.as_bytes()).objects);
    }
    objects
}

#[test]
fn removing_an_undeclared_kind_changes_no_result() {
    let checks = registry();
    let mut problems = BTreeSet::new();
    for (name, objects, config) in demo_inputs() {
        let objects = with_namespace_objects(objects);
        let kinds: BTreeSet<String> = objects.iter().map(|o| o.kind().to_string()).collect();
        let full = Inventory::build(objects.clone(), config.clone());
        for mode in MODES {
            let baseline: BTreeMap<&str, Vec<String>> = checks.iter().map(|c| (c.meta.id, results(c, &full, mode))).collect();
            for kind in &kinds {
                let without = Inventory::build(objects.iter().filter(|o| o.kind() != kind).cloned().collect(), config.clone());
                for check in checks.iter().filter(|c| !c.meta.reads_kind(kind)) {
                    if results(check, &without, mode) != baseline[check.meta.id] {
                        problems.insert(format!("{}: results change without {kind} objects ({name}, {mode:?}); declare it in reads", check.meta.id));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.into_iter().collect::<Vec<_>>().join("\n"));
}

#[test]
fn a_check_reading_an_unlisted_kind_is_not_assessed_once_with_the_reason() {
    let (_, objects, config) = demo_inputs().swap_remove(0);
    let inv = Inventory::build(objects, config);
    let reason = "no permission to list networkpolicies.networking.k8s.io: networkpolicies.networking.k8s.io is forbidden";
    let cx = Context::new(&inv, InputKind::Live).with_unlisted(vec![UnlistedKind { kind: "NetworkPolicy".into(), group: Some("networking.k8s.io".into()), reason: reason.into() }]);
    let checks = registry();
    let a = run_checks(&cx, &checks, &RunOptions::default());
    let readers: Vec<&str> = checks.iter().filter(|c| c.meta.reads_kind("NetworkPolicy")).map(|c| c.meta.id).collect();
    assert!(readers.len() >= 5, "{readers:?}");
    let (standing, not_run): (Vec<&str>, Vec<&str>) =
        readers.iter().partition(|id| checks.iter().any(|c| c.meta.id == **id && c.meta.on_partial_input == PartialInput::FailuresStand));
    // Card-data discovery reads every kind; a card number in a ConfigMap is one whatever the
    // NetworkPolicies: its failure stands, its passes become one "not assessed".
    assert!(standing.contains(&"DATA-001"), "{standing:?}");
    let data: Vec<_> = a.findings.iter().filter(|f| f.check == "DATA-001").collect();
    assert!(data.iter().any(|f| f.status == Status::Fail), "{data:?}");
    assert_eq!(data.iter().filter(|f| f.status == Status::NotAssessed && f.message.starts_with(reason)).count(), 1, "{data:?}");
    assert!(a.summaries.iter().find(|s| s.check == "DATA-001").is_some_and(|s| s.passed == 0));
    for id in &not_run {
        let own: Vec<_> = a.findings.iter().filter(|f| f.check == *id).collect();
        assert_eq!(own.len(), 1, "{id}: {own:?}");
        assert_eq!((own[0].status, own[0].object.is_none(), own[0].message.as_str()), (Status::NotAssessed, true, reason), "{id}");
        let summary = a.summaries.iter().find(|s| s.check == *id).expect("summary");
        assert_eq!((summary.passed, summary.failed, summary.not_assessed), (0, 0, 1), "{id}");
    }
    // Checks that do not read NetworkPolicies run as usual: POD-001 still fails the demo.
    assert!(a.findings.iter().any(|f| f.check == "POD-001" && f.status == Status::Fail));
    assert!(!a.findings.iter().any(|f| !readers.contains(&f.check.as_str()) && f.message.starts_with(reason)));
}

#[test]
fn every_unlisted_kind_is_named_in_one_result_and_any_kind_readers_see_all() {
    let (_, objects, config) = demo_inputs().swap_remove(0);
    let inv = Inventory::build(objects, config);
    let unlisted = |kind: &str, group: &str, reason: &str| UnlistedKind { kind: kind.into(), group: Some(group.into()), reason: reason.into() };
    let cx = Context::new(&inv, InputKind::Live).with_unlisted(vec![
        unlisted("Secret", "", "Secrets not read (collect with --include-secrets)"),
        unlisted("ConfigMap", "", "no permission to list configmaps: forbidden"),
        // Kyverno's Policy is not the audit Policy the platform checks read from files.
        unlisted("Policy", "kyverno.io", "no permission to list policies.kyverno.io: forbidden"),
    ]);
    let a = run_checks(&cx, &registry(), &RunOptions::default());
    let message = |id: &str| a.findings.iter().find(|f| f.check == id).map(|f| (f.status, f.message.clone()));
    // SEC-004 reads only Secrets: not run, one result.
    assert_eq!(message("SEC-004"), Some((Status::NotAssessed, "Secrets not read (collect with --include-secrets)".into())));
    assert_eq!(a.findings.iter().filter(|f| f.check == "SEC-004").count(), 1);
    // SEC-006 reads both (and workloads, whose failures stand): one not-assessed result
    // naming both reasons.
    let sec6: Vec<_> = a.findings.iter().filter(|f| f.check == "SEC-006" && f.status == Status::NotAssessed).collect();
    assert_eq!(sec6.len(), 1);
    assert!(sec6[0].message.starts_with("Secrets not read (collect with --include-secrets); no permission to list configmaps: forbidden"));
    // Card-data discovery reads every kind.
    assert!(a.findings.iter().any(|f| f.check == "DATA-001" && f.status == Status::NotAssessed && f.message.contains("policies.kyverno.io") && f.message.contains("Secrets not read")));
    // The audit policy checks still run on the platform configuration.
    assert!(a.findings.iter().filter(|f| f.check == "AUD-001").all(|f| !f.message.contains("kyverno")));
    assert!(a.summaries.iter().find(|s| s.check == "AUD-001").is_some_and(|s| s.passed + s.failed > 0));
}
