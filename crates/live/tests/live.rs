//! The live path end to end against the in-process fake apiserver: the real kube client,
//! kubeconfig loading, TLS (and plain HTTP), pagination, discovery, errors, snapshots.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::time::Duration;

use kubepci_fake_apiserver::{self as fake, Behaviour, FakeApiserver, Served, fixtures};
use kubepci_live::{CollectOptions, Collected, Error, collect, load_snapshot, read_snapshot, write_snapshot, write_spilled_snapshot};
use kubepci_model::{Object, SourceLoc, decode_value};
use serde_json::Value;

fn options(server: &FakeApiserver) -> CollectOptions {
    CollectOptions { kubeconfig: Some(server.kubeconfig.clone()), page_size: 2, request_timeout: Duration::from_secs(5), ..CollectOptions::default() }
}

fn sort_key(o: &Object) -> (String, String, String, String) {
    (o.api_version.clone(), o.kind().to_string(), o.namespace().unwrap_or("").to_string(), o.name().to_string())
}

/// Objects with their location blanked and in a canonical order, for comparing sources.
fn normalised(objects: &[Object]) -> Vec<Object> {
    let mut v: Vec<Object> = objects.iter().cloned().map(|mut o| {
        o.loc = SourceLoc::whole("x");
        o
    }).collect();
    v.sort_by_key(sort_key);
    v
}

/// What the collector should produce from the fixtures: every served list's items, with
/// kind/apiVersion set, decoded by the model (Secrets only when asked for).
fn expected(served: &Served, include_secrets: bool, skip: &[&str]) -> Vec<Object> {
    let mut out = Vec::new();
    for (path, list) in &served.lists {
        if (!include_secrets && path == "/api/v1/secrets") || skip.contains(&path.as_str()) {
            continue;
        }
        let kind = list.kind.strip_suffix("List").expect("list kind");
        for mut item in served.items(path) {
            item["kind"] = Value::String(kind.into());
            item["apiVersion"] = Value::String(list.api_version.clone());
            out.push(decode_value(item, SourceLoc::whole("x")).expect("fixture decodes"));
        }
    }
    out.sort_by_key(sort_key);
    out
}

async fn fixture_server(behaviour: Behaviour, tls: bool) -> FakeApiserver {
    FakeApiserver::start(Served::from_dir(&fixtures()), behaviour, tls).await
}

fn assert_clean(c: &Collected) {
    assert!(c.errors.is_empty(), "errors: {:?}", c.errors);
    assert_eq!(c.unlistable, vec![("Secret".to_string(), "Secrets not read (collect with --include-secrets)".to_string())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collects_exactly_what_the_server_serves_over_tls() {
    let server = fixture_server(Behaviour::default(), true).await;
    let c = collect(&options(&server)).await.expect("collect");
    assert_clean(&c);
    assert_eq!(normalised(&c.objects), expected(server.served(), false, &[]));
    assert!(c.objects.iter().all(|o| *o.loc.file == server.url));
    // Paginated: 7 pods in pages of 2.
    assert_eq!(server.requests("/api/v1/pods"), 4);
    // Discovery-gated kinds: served ones listed at their preferred version, others not asked for.
    let kinds: HashSet<&str> = c.objects.iter().map(|o| o.kind()).collect();
    for k in ["AdminNetworkPolicy", "K8sRequiredLabels", "ConstraintTemplate", "Certificate"] {
        assert!(kinds.contains(k), "{k} missing");
    }
    // Gateway API and OpenShift routes (ingress paths): each kind once, at the most preferred
    // version serving it; kinds nobody reads (UDPRoute) are not listed.
    for k in ["IngressClass", "Gateway", "HTTPRoute", "TCPRoute", "Route"] {
        assert!(kinds.contains(k), "{k} missing");
    }
    assert_eq!(server.requests("/apis/gateway.networking.k8s.io/v1/grpcroutes"), 1);
    assert_eq!(server.requests("/apis/gateway.networking.k8s.io/v1alpha2/grpcroutes"), 0);
    assert_eq!(server.requests("/apis/gateway.networking.k8s.io/v1alpha2/udproutes"), 0);
    assert_eq!(server.requests("/apis/security.istio.io/v1"), 0);
    assert_eq!(server.requests("/apis/constraints.gatekeeper.sh/v1alpha1/k8srequiredlabels"), 0);
    assert_eq!(server.requests("/api/v1/secrets"), 0, "secrets are read only when asked");
    let meta = &c.metadata;
    assert_eq!(meta.cluster_version.as_deref(), Some("v1.33.4"));
    assert_eq!(meta.endpoint, server.url);
    assert!(meta.kinds_listed.contains(&"K8sRequiredLabels.constraints.gatekeeper.sh/v1beta1".to_string()));
    assert!(meta.kinds_listed.contains(&"Pod.v1".to_string()));
    assert!(meta.kinds_listed.contains(&"TCPRoute.gateway.networking.k8s.io/v1alpha2".to_string()));
    assert!(meta.kinds_listed.contains(&"Route.route.openshift.io/v1".to_string()));
    assert!(c.raw.is_empty() && meta.sha256.is_empty(), "raw kept only when asked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_server_works_too() {
    let server = fixture_server(Behaviour::default(), false).await;
    assert!(server.url.starts_with("http://"));
    let c = collect(&options(&server)).await.expect("collect over plain HTTP");
    assert_clean(&c);
    assert_eq!(normalised(&c.objects), expected(server.served(), false, &[]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_only_with_include_secrets() {
    let server = fixture_server(Behaviour::default(), true).await;
    let c = collect(&CollectOptions { include_secrets: true, ..options(&server) }).await.expect("collect");
    assert!(c.errors.is_empty() && c.unlistable.is_empty(), "{:?} {:?}", c.errors, c.unlistable);
    assert_eq!(normalised(&c.objects), expected(server.served(), true, &[]));
    assert_eq!(c.objects.iter().filter(|o| o.kind() == "Secret").count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_kind_is_recorded_and_the_rest_collected() {
    let behaviour = Behaviour { forbidden: ["/api/v1/configmaps".to_string()].into(), ..Behaviour::default() };
    let server = fixture_server(behaviour, true).await;
    let c = collect(&options(&server)).await.expect("collect");
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    let (kind, reason) = c.unlistable.iter().find(|(k, _)| k == "ConfigMap").expect("ConfigMap recorded");
    assert_eq!(kind, "ConfigMap");
    assert!(reason.starts_with("no permission to list configmaps"), "{reason}");
    assert_eq!(normalised(&c.objects), expected(server.served(), false, &["/api/v1/configmaps"]));
    let problem = c.metadata.kinds_not_listable.iter().find(|p| p.kind == "ConfigMap").expect("in the metadata");
    assert_eq!((problem.group.as_deref(), problem.cause), (Some(""), Some(kubepci_live::ListFailure::Forbidden)));
    let missing: Vec<&str> = c.metadata.kinds_missing().map(|p| p.kind.as_str()).collect();
    assert_eq!(missing, ["ConfigMap", "Secret"], "a forbidden kind and the Secrets not asked for");
    assert!(!c.metadata.kinds_listed.contains(&"ConfigMap.v1".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_discovery_marks_every_optional_kind_missing_by_kind_name() {
    let behaviour = Behaviour { forbidden: ["/apis".to_string()].into(), ..Behaviour::default() };
    let server = fixture_server(behaviour, true).await;
    let c = collect(&options(&server)).await.expect("collect");
    let missing: Vec<(&str, Option<kubepci_live::ListFailure>)> = c.metadata.kinds_missing().map(|p| (p.kind.as_str(), p.cause)).collect();
    let discovery = Some(kubepci_live::ListFailure::DiscoveryFailed);
    for kind in ["AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ValidatingAdmissionPolicy", "PeerAuthentication", "*.constraints.gatekeeper.sh"] {
        assert!(missing.contains(&(kind, discovery)), "{kind}: {missing:?}");
    }
    // Built-in kinds need no discovery: still collected.
    assert!(c.objects.iter().any(|o| o.kind() == "NetworkPolicy") && !c.objects.iter().any(|o| o.kind() == "AdminNetworkPolicy"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_continue_token_restarts_the_list() {
    let behaviour = Behaviour { expire_once: ["/api/v1/pods".to_string()].into(), ..Behaviour::default() };
    let server = fixture_server(behaviour, true).await;
    let c = collect(&options(&server)).await.expect("collect");
    assert_clean(&c);
    assert_eq!(normalised(&c.objects), expected(server.served(), false, &[]));
    // page 1, page 2 → 410, then pages 1..4 again.
    assert_eq!(server.requests("/api/v1/pods"), 6);
    assert_eq!(c.objects.iter().filter(|o| o.kind() == "Pod").count(), 7, "no duplicates after the restart");
}

/// `kubepci collect` spills the items to disk page by page: the same items in the same order,
/// the same hash and the same snapshot bytes as holding them in memory, also when a list
/// starts over (its pages already spilled are dropped), and no file is left behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spilled_items_make_the_same_snapshot_as_items_in_memory() {
    let behaviour = Behaviour { expire_once: ["/api/v1/pods".to_string()].into(), ..Behaviour::default() };
    let server = fixture_server(behaviour, true).await;
    let in_memory = collect(&CollectOptions { keep_raw: true, build_objects: false, include_secrets: true, ..options(&server) }).await.expect("collect");
    let dir = tempfile::tempdir().unwrap();
    let spill_dir = dir.path().join("spill");
    std::fs::create_dir(&spill_dir).unwrap();
    let spilled = collect(&CollectOptions { keep_raw: true, build_objects: false, include_secrets: true, spill_dir: Some(spill_dir.clone()), ..options(&server) }).await.expect("collect");
    assert!(spilled.raw.is_empty(), "nothing held in memory");
    assert_eq!(spilled.spilled.len(), in_memory.raw.len());
    assert_eq!((&spilled.metadata.sha256, spilled.metadata.item_count), (&in_memory.metadata.sha256, in_memory.raw.len()));
    assert_eq!(std::fs::read_dir(&spill_dir).unwrap().count(), 0, "spill files are unlinked");

    let (from_memory, from_disk) = (dir.path().join("memory.json"), dir.path().join("disk.json"));
    let mut meta = in_memory.metadata.clone();
    meta.time = spilled.metadata.time.clone();
    write_snapshot(&from_memory, &meta, &in_memory.raw).unwrap();
    let written = write_spilled_snapshot(&from_disk, &meta, &spilled.spilled).unwrap();
    assert_eq!(written.sha256, in_memory.metadata.sha256);
    assert_eq!(std::fs::read(&from_disk).unwrap(), std::fs::read(&from_memory).unwrap());
    let (_, objects) = read_snapshot(&from_disk).expect("valid snapshot");
    assert_eq!(objects.iter().filter(|o| o.kind() == "Pod").count(), 7, "no duplicates after the restart");

    // An unusable spill directory fails the collection instead of losing items.
    let missing = dir.path().join("missing");
    let failed = collect(&CollectOptions { keep_raw: true, build_objects: false, spill_dir: Some(missing), ..options(&server) }).await;
    assert!(matches!(failed, Err(Error::Io { .. })), "{failed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_response_is_retried_within_bounds() {
    let behaviour = Behaviour {
        slow: [
            ("/apis/apps/v1/deployments".to_string(), (Duration::from_secs(3), 1)),
            ("/apis/batch/v1/jobs".to_string(), (Duration::from_secs(3), 100)),
        ]
        .into(),
        ..Behaviour::default()
    };
    let server = fixture_server(behaviour, true).await;
    let started = std::time::Instant::now();
    let opts = CollectOptions { request_timeout: Duration::from_millis(400), retries: 1, ..options(&server) };
    let c = collect(&opts).await.expect("collect");
    assert!(started.elapsed() < Duration::from_secs(3), "bounded: {:?}", started.elapsed());
    // Deployments: first answer too slow, the retry succeeds.
    assert_eq!(c.objects.iter().filter(|o| o.kind() == "Deployment").count(), 2);
    assert_eq!(server.requests("/apis/apps/v1/deployments"), 2);
    // Jobs: always too slow → recorded, everything else collected.
    assert!(c.errors.iter().any(|e| e.contains("jobs.batch") && e.contains("timed out")), "{:?}", c.errors);
    assert!(c.unlistable.iter().any(|(k, _)| k == "Job"));
    assert_eq!(normalised(&c.objects), expected(server.served(), false, &["/apis/batch/v1/jobs"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn context_is_selected_and_connection_failures_are_errors() {
    let server = fixture_server(Behaviour::default(), true).await;
    let ok = collect(&CollectOptions { context: Some("fake".into()), ..options(&server) }).await.expect("collect");
    assert_eq!(ok.metadata.context.as_deref(), Some("fake"));
    let opts = CollectOptions { context: Some("broken".into()), retries: 0, ..options(&server) };
    match collect(&opts).await {
        Err(Error::Connect { endpoint, .. }) => assert_eq!(endpoint, "http://127.0.0.1:9"),
        other => panic!("expected a connection error, got {:?}", other.map(|c| c.objects.len())),
    }
    let opts = CollectOptions { context: Some("missing".into()), ..options(&server) };
    assert!(matches!(collect(&opts).await, Err(Error::Config(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_are_a_connection_error() {
    let server = fixture_server(Behaviour::default(), true).await;
    let text = std::fs::read_to_string(&server.kubeconfig).unwrap().replace(fake::TOKEN, "wrong");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kc");
    std::fs::write(&path, text).unwrap();
    let err = collect(&CollectOptions { kubeconfig: Some(path), ..options(&server) }).await.expect_err("fails");
    assert!(err.to_string().contains("401"), "{err}");
}

#[test]
fn blocking_wrapper_collects() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(fixture_server(Behaviour::default(), true));
    let opts = options(&server);
    let c = std::thread::spawn(move || kubepci_live::collect_blocking(&opts)).join().unwrap().expect("collect");
    assert_eq!(normalised(&c.objects), expected(server.served(), false, &[]));
}

/// Findings of the whole registry on `objects`, without locations (they name the source).
fn findings(objects: Vec<Object>) -> Vec<Value> {
    use kubepci_checks::{Context, InputKind, RunOptions, registry, run_checks};
    let inv = kubepci_inventory::Inventory::build(objects, kubepci_inventory::Config::default());
    let cx = Context::new(&inv, InputKind::Snapshot);
    let result = run_checks(&cx, &registry(), &RunOptions::default());
    let mut out: Vec<Value> = result
        .findings
        .iter()
        .map(|f| {
            let mut v = serde_json::to_value(f).unwrap();
            v.as_object_mut().unwrap().remove("location");
            v
        })
        .collect();
    let passes: Vec<Value> = result.passes.iter().map(|(c, i)| serde_json::json!([c.meta.id, inv.objects[*i as usize].object_ref()])).collect();
    out.extend(passes);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_round_trip_gives_identical_objects_and_findings() {
    let server = fixture_server(Behaviour::default(), true).await;
    let live = collect(&CollectOptions { keep_raw: true, include_secrets: true, ..options(&server) }).await.expect("collect");
    assert_eq!(live.raw.len(), live.objects.len());
    assert_eq!(live.metadata.sha256.len(), 64);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snapshot.json.gz");
    let written = write_snapshot(&path, &live.metadata, &live.raw).expect("write");
    assert_eq!(written.sha256, live.metadata.sha256);

    let (meta, objects) = read_snapshot(&path).expect("read");
    assert_eq!(meta, live.metadata);
    assert!(objects.iter().all(|o| *o.loc.file == *path.display().to_string()));
    // Same objects, in the same order, apart from where they came from.
    assert_eq!(objects.len(), live.objects.len());
    for (a, b) in objects.iter().zip(&live.objects) {
        assert_eq!((&a.api_version, &a.resource), (&b.api_version, &b.resource));
    }
    // The scan engine is a function of the objects: identical findings.
    let from_live = findings(live.objects.clone());
    let from_snapshot = findings(objects);
    assert!(!from_live.is_empty());
    assert_eq!(from_live, from_snapshot);
    // The platform checks see the control plane through the live path: the fixture's
    // kube-apiserver sets no cipher suites (API-004) and runs 1.33, out of support (VER-001).
    let failed = |id: &str| from_live.iter().any(|f| f["check"] == id && f["status"] == "fail");
    assert!(failed("API-004") && failed("VER-001"));
    assert!(!failed("API-001") && !failed("ENC-001"), "anonymous auth is off and etcd uses mutual TLS");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_snapshot_is_rejected() {
    let server = fixture_server(Behaviour::default(), true).await;
    let live = collect(&CollectOptions { keep_raw: true, ..options(&server) }).await.expect("collect");
    // `kubepci collect` keeps only the raw items: same items, same hash.
    let raw_only = collect(&CollectOptions { keep_raw: true, build_objects: false, ..options(&server) }).await.expect("collect");
    assert!(raw_only.objects.is_empty());
    assert_eq!((&raw_only.raw, &raw_only.metadata.sha256), (&live.raw, &live.metadata.sha256));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json.gz");
    write_snapshot(&path, &live.metadata, &raw_only.raw).unwrap();

    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap()).read_to_string(&mut text).unwrap();
    assert!(text.contains("\"pci.kubepci.io/scope\":\"cde\""));
    // Relabel the CDE namespace: the hash no longer matches.
    let tampered = text.replacen("\"pci.kubepci.io/scope\":\"cde\"", "\"pci.kubepci.io/scope\":\"out\"", 1);
    let bad = dir.path().join("bad.json.gz");
    let mut gz = flate2::write::GzEncoder::new(std::fs::File::create(&bad).unwrap(), flate2::Compression::fast());
    gz.write_all(tampered.as_bytes()).unwrap();
    gz.finish().unwrap();
    assert!(matches!(read_snapshot(&bad), Err(Error::Tampered { .. })));

    // Dropping an item is caught too.
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    doc["items"].as_array_mut().unwrap().pop();
    let dropped = dir.path().join("dropped.json");
    std::fs::write(&dropped, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    assert!(matches!(load_snapshot(&dropped), Err(Error::Tampered { .. })));

    // Re-indenting (plain JSON, pretty) keeps it valid.
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    doc["metadata"]["endpoint"] = doc["metadata"]["endpoint"].clone();
    let pretty = dir.path().join("pretty.json");
    std::fs::write(&pretty, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    assert_eq!(read_snapshot(&pretty).expect("valid").1.len(), live.raw.len());
}

/// A list whose continue token never changes would page forever (and grow without bound): it
/// is stopped at the repeated token, named, and the kind reported as not listed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_continue_token_stops_the_list_and_names_it() {
    let behaviour = Behaviour { repeat_continue: ["/api/v1/pods".to_string()].into(), ..Behaviour::default() };
    let server = fixture_server(behaviour, true).await;
    let c = collect(&options(&server)).await.expect("collect");
    let error = c.errors.iter().find(|e| e.contains("pods")).expect("an error about pods");
    assert!(error.contains("/api/v1/pods") && error.contains("same continue token"), "{error}");
    assert!(c.unlistable.iter().any(|(k, _)| k == "Pod"), "{:?}", c.unlistable);
    assert!(!c.objects.iter().any(|o| o.kind() == "Pod"), "no partial list kept");
    assert!(server.requests("/api/v1/pods") <= 3, "stopped at the first repeat: {}", server.requests("/api/v1/pods"));
    // Everything else is collected.
    assert!(c.objects.iter().any(|o| o.kind() == "Namespace"));
}

/// A list that never ends with fresh tokens is stopped by the object guard.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_objects_stops_a_runaway_list() {
    let behaviour = Behaviour { endless: ["/api/v1/configmaps".to_string()].into(), ..Behaviour::default() };
    let server = fixture_server(behaviour, true).await;
    let c = collect(&CollectOptions { max_objects: 50, ..options(&server) }).await.expect("collect");
    let error = c.errors.iter().find(|e| e.contains("configmaps")).expect("an error about configmaps");
    assert!(error.contains("more than 50 items (--max-objects)"), "{error}");
    assert!(c.unlistable.iter().any(|(k, _)| k == "ConfigMap"));
    assert!(server.requests("/api/v1/configmaps") <= 27, "stopped near the guard: {}", server.requests("/api/v1/configmaps"));
    // The guard is per kind: the other kinds are whole.
    assert_eq!(c.objects.iter().filter(|o| o.kind() == "Pod").count(), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opensearch_ism_policies_are_collected_from_both_operator_groups() {
    // The OpenSearch operator serves OpenSearchISMPolicy in `opensearch.opster.io` and, in
    // newer releases, in `opensearch.org`; LOG-003 reads both.
    let mut served = Served::from_dir(&fixtures());
    let mut groups: Value = serde_json::from_str(&served.docs["/apis"]).expect("apis");
    for (i, group) in ["opensearch.opster.io", "opensearch.org"].into_iter().enumerate() {
        let version = serde_json::json!({"groupVersion": format!("{group}/v1"), "version": "v1"});
        groups["groups"].as_array_mut().expect("groups").push(serde_json::json!({"name": group, "versions": [version.clone()], "preferredVersion": version}));
        let resources = serde_json::json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": format!("{group}/v1"),
            "resources": [{"name": "opensearchismpolicies", "singularName": "", "namespaced": true, "kind": "OpenSearchISMPolicy", "verbs": ["get", "list", "watch"]}]});
        served.docs.insert(format!("/apis/{group}/v1"), resources.to_string());
        let policy = serde_json::json!({"metadata": {"name": format!("audit-{i}"), "namespace": "logging"}, "spec": {"policyId": "audit", "states": []}});
        served.lists.insert(format!("/apis/{group}/v1/opensearchismpolicies"), fake::ServedList {
            kind: "OpenSearchISMPolicyList".into(),
            api_version: format!("{group}/v1"),
            items: vec![policy.to_string()],
        });
    }
    served.docs.insert("/apis".into(), groups.to_string());
    let server = FakeApiserver::start(served, Behaviour::default(), false).await;
    let c = collect(&options(&server)).await.expect("collect");
    assert!(c.errors.is_empty(), "errors: {:?}", c.errors);
    let mut policies: Vec<(String, String)> =
        c.objects.iter().filter(|o| o.kind() == "OpenSearchISMPolicy").map(|o| (o.api_version.clone(), o.name().to_string())).collect();
    policies.sort();
    assert_eq!(policies, [("opensearch.opster.io/v1".to_string(), "audit-0".to_string()), ("opensearch.org/v1".to_string(), "audit-1".to_string())]);
    assert_eq!(server.requests("/apis/opensearch.org/v1/opensearchismpolicies"), 1);
}
