//! Benchmark: collect (and scan) a cluster of N objects served by the fake apiserver.
//!
//! `cargo run --release -p kubepci-live --example bench_collect -- [OBJECTS] [--snapshot]`
//! (default 100000 objects). With `--snapshot`: collect keeping raw items, write a gzip
//! snapshot and read it back, instead of scanning.
//! The fake apiserver runs in a child process so the collector's peak RSS is measured alone.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

use kubepci_fake_apiserver::{Behaviour, FakeApiserver, Served, ServedList, fixtures};
use serde_json::{Value, json};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("serve") {
        let n = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
        serve(n);
        return;
    }
    let n: usize = args.iter().skip(1).find_map(|s| s.parse().ok()).unwrap_or(100_000);
    let exe = std::env::current_exe().expect("exe");
    let mut child = Command::new(exe).args(["serve", &n.to_string()]).stdout(Stdio::piped()).spawn().expect("spawn server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("kubeconfig path");
    let kubeconfig = line.trim().to_string();

    let snapshot = args.iter().any(|a| a == "--snapshot");
    // As `kubepci collect`: the raw items spill to disk page by page.
    let dir = std::env::temp_dir().join(format!("kubepci-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    // BENCH_NO_SPILL=1 holds the items in memory instead (the path before spilling), to compare.
    let spill_dir = (snapshot && std::env::var_os("BENCH_NO_SPILL").is_none()).then(|| dir.clone());
    let mut opts = kubepci_live::CollectOptions { kubeconfig: Some(kubeconfig.into()), keep_raw: snapshot, spill_dir, build_objects: !snapshot, ..Default::default() };
    if let Some(c) = std::env::var("BENCH_CONCURRENCY").ok().and_then(|c| c.parse().ok()) {
        opts.concurrency = c;
    }
    let started = Instant::now();
    let cpu_start = cpu_secs();
    let collected = kubepci_live::collect_blocking(&opts).expect("collect");
    let collect_secs = started.elapsed().as_secs_f64();
    let collect_cpu = cpu_since(cpu_start);
    assert!(collected.errors.is_empty(), "{:?}", collected.errors);
    let collect_rss = peak_rss_kb() / 1024;
    if snapshot {
        println!("items collected (raw only, as `kubepci collect`): {} spilled to disk, {} in memory", collected.spilled.len(), collected.raw.len());
        println!("collect + canonical items + hash: {collect_secs:.2} s ({collect_cpu}), peak RSS {collect_rss} MB");
        let path = dir.join("snapshot.json.gz");
        let t = Instant::now();
        let meta = if collected.raw.is_empty() {
            kubepci_live::write_spilled_snapshot(&path, &collected.metadata, &collected.spilled)
        } else {
            kubepci_live::write_snapshot(&path, &collected.metadata, &collected.raw)
        }
        .expect("write");
        println!("peak RSS after writing: {} MB", peak_rss_kb() / 1024);
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        println!("write snapshot: {:.2} s, {} MB gzip, sha256 {}", t.elapsed().as_secs_f64(), size / 1_000_000, meta.sha256);
        drop(collected);
        let t = Instant::now();
        let cpu = cpu_secs();
        let (_, objects) = kubepci_live::read_snapshot(&path).expect("read");
        println!("read + verify + decode snapshot: {:.2} s ({}) ({} objects)", t.elapsed().as_secs_f64(), cpu_since(cpu), objects.len());
        println!("peak RSS overall: {} MB", peak_rss_kb() / 1024);
        // A re-indented snapshot verifies through its canonical form: the slow path, timed too.
        if std::env::var_os("BENCH_CANONICAL").is_some() {
            drop(objects);
            let text = std::io::read_to_string(flate2::read::GzDecoder::new(std::fs::File::open(&path).expect("open"))).expect("gunzip");
            let plain = dir.join("snapshot-spaced.json");
            std::fs::write(&plain, text.replace("\n{\"", "\n{ \"")).expect("write");
            let t = Instant::now();
            let (_, objects) = kubepci_live::read_snapshot(&plain).expect("read");
            println!("read + verify (canonical form) + decode a re-spaced snapshot: {:.2} s ({} objects)", t.elapsed().as_secs_f64(), objects.len());
        }
        let _ = std::fs::remove_dir_all(&dir);
        let _ = child.kill();
        let _ = child.wait();
        return;
    }

    let scan_start = Instant::now();
    let cpu = cpu_secs();
    let objects = collected.objects.len();
    let inv = kubepci_inventory::Inventory::build(collected.objects, kubepci_inventory::Config::default());
    let inventory_secs = scan_start.elapsed().as_secs_f64();
    let cx = kubepci_checks::Context::new(&inv, kubepci_checks::InputKind::Live);
    let result = kubepci_checks::run_checks(&cx, &kubepci_checks::registry(), &kubepci_checks::RunOptions::default());
    let scan_secs = scan_start.elapsed().as_secs_f64();
    println!("objects collected: {objects}");
    println!("collect + build objects: {collect_secs:.2} s ({collect_cpu})");
    println!("inventory + all checks: {scan_secs:.2} s ({}) ({} findings; inventory {inventory_secs:.2} s)", cpu_since(cpu), result.findings.len());
    println!("total: {:.2} s", collect_secs + scan_secs);
    println!("peak RSS after collect: {collect_rss} MB; after scan: {} MB", peak_rss_kb() / 1024);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = child.kill();
    let _ = child.wait();
}

/// User and system CPU seconds of this process so far (the fake server is a child process and
/// not counted), from /proc/self/stat (clock ticks at the usual 100 Hz).
fn cpu_secs() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
    (ticks(11), ticks(12))
}

fn cpu_since(start: (f64, f64)) -> String {
    let (user, system) = cpu_secs();
    format!("user {:.2} s, sys {:.2} s", user - start.0, system - start.1)
}

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// A pod in the apiserver's list shape (no kind/apiVersion), with managedFields and status.
fn pod(i: usize) -> Value {
    let ns = format!("team-{}", i % 200);
    json!({
        "metadata": {
            "name": format!("app-{i}-7d9c5b6f4-x2x9k"), "namespace": ns, "uid": format!("0000{i:08}-0b7e-4d4e-9a61-2f0d3c1e0000"),
            "resourceVersion": (1_000_000 + i).to_string(), "creationTimestamp": "2026-11-20T08:00:00Z",
            "labels": {"app": format!("app-{}", i % 1000), "pod-template-hash": "7d9c5b6f4"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("app-{}-7d9c5b6f4", i % 1000), "uid": "a3c5e1f2-2222-4b4b-8c8c-000000000002", "controller": true, "blockOwnerDeletion": true}],
            "managedFields": [{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1", "time": "2026-11-20T08:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}, "f:ownerReferences": {}}, "f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {".": {}, "f:image": {}, "f:name": {}}}}}},
                              {"manager": "kubelet", "operation": "Update", "apiVersion": "v1", "time": "2026-11-20T08:00:05Z", "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {"f:conditions": {}, "f:containerStatuses": {}, "f:podIP": {}}}, "subresource": "status"}]
        },
        "spec": {
            "containers": [{"name": "app", "image": format!("registry.example.com/team/app-{}:1.{}.0", i % 1000, i % 7), "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                            "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}],
                            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                            "securityContext": {"allowPrivilegeEscalation": false, "runAsNonRoot": true, "capabilities": {"drop": ["ALL"]}},
                            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"}],
            "serviceAccountName": "default", "nodeName": format!("node-{}", i % 50), "restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler", "terminationGracePeriodSeconds": 30
        },
        "status": {"phase": "Running", "hostIP": "10.0.0.1", "podIP": "10.244.1.1", "qosClass": "Burstable", "startTime": "2026-11-20T08:00:01Z",
                   "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-11-20T08:00:05Z"}],
                   "containerStatuses": [{"name": "app", "ready": true, "restartCount": 0, "image": "registry.example.com/team/app:1.0.0", "imageID": "registry.example.com/team/app@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "containerID": "containerd://1c2d", "started": true, "state": {"running": {"startedAt": "2026-11-20T08:00:04Z"}}}]}
    })
}

fn small(kind: &str, i: usize) -> Value {
    let ns = format!("team-{}", i % 200);
    let mut v = json!({"metadata": {"name": format!("{}-{i}", kind.to_lowercase()), "namespace": ns, "uid": format!("1111{i:08}-0000-0000-0000-000000000000"), "resourceVersion": i.to_string(), "labels": {"app": format!("app-{}", i % 1000)}}});
    match kind {
        "Service" => v["spec"] = json!({"selector": {"app": format!("app-{}", i % 1000)}, "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}], "type": "ClusterIP", "clusterIP": "10.96.0.10"}),
        "ConfigMap" => v["data"] = json!({"settings.yaml": "feature: on\nlevel: info\n"}),
        "ServiceAccount" => {}
        "RoleBinding" => {
            v["roleRef"] = json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"});
            v["subjects"] = json!([{"kind": "ServiceAccount", "name": "default", "namespace": v["metadata"]["namespace"]}]);
        }
        _ => {}
    }
    v
}

/// Serve `n` objects: 70 % Pods, the rest Services, ConfigMaps, ServiceAccounts, RoleBindings.
fn serve(n: usize) {
    let mut served = Served::from_dir(&fixtures());
    let pods = n * 7 / 10;
    let rest = (n - pods) / 4;
    let put = |served: &mut Served, path: &str, kind: &str, api: &str, items: Vec<Value>| {
        served.lists.insert(path.to_string(), ServedList { kind: format!("{kind}List"), api_version: api.into(), items: items.iter().map(|v| v.to_string()).collect() });
    };
    put(&mut served, "/api/v1/pods", "Pod", "v1", (0..pods).map(pod).collect());
    put(&mut served, "/api/v1/services", "Service", "v1", (0..rest).map(|i| small("Service", i)).collect());
    put(&mut served, "/api/v1/configmaps", "ConfigMap", "v1", (0..rest).map(|i| small("ConfigMap", i)).collect());
    put(&mut served, "/api/v1/serviceaccounts", "ServiceAccount", "v1", (0..rest).map(|i| small("ServiceAccount", i)).collect());
    // Top up with RoleBindings to exactly `n` collected objects (Secrets are not collected).
    let rolebindings = "/apis/rbac.authorization.k8s.io/v1/rolebindings";
    let collected: usize = served.lists.iter().filter(|(p, _)| *p != "/api/v1/secrets" && *p != rolebindings).map(|(_, l)| l.items.len()).sum();
    put(&mut served, rolebindings, "RoleBinding", "rbac.authorization.k8s.io/v1", (0..n.saturating_sub(collected)).map(|i| small("RoleBinding", i)).collect());
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    runtime.block_on(async {
        let server = FakeApiserver::start(served, Behaviour::default(), true).await;
        println!("{}", server.kubeconfig.display());
        std::io::stdout().flush().expect("flush");
        std::future::pending::<()>().await;
    });
}
