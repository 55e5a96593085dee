//! Admission latency under load, measured with `wrk -t1 -cN` (a second process, loopback,
//! HTTPS keep-alive) against `kubepci serve --webhook-listen` on a cluster the fake apiserver
//! serves. A measurement, not a timed test:
//!
//! ```sh
//! cargo test -p kubepci --test webhook_latency -- --ignored --nocapture
//! ```
//!
//! - `KUBEPCI_BIN=target/release/kubepci` measures a release binary;
//! - `KUBEPCI_WEBHOOK_CLUSTER`: `fixtures` (the fake apiserver's 41 objects, the default), `demo`
//!   (`examples/demo-cluster` with `examples/kubepci.yaml`) or `L` (`kubepci-gen`'s L corpus,
//!   about 100,000 objects);
//! - `KUBEPCI_WRK_CONNECTIONS`: the connection counts to run one after the other (default `8`,
//!   e.g. `8,2,1`); `KUBEPCI_WRK_SECONDS`: each run's length (default 10).
//!
//! Each run prints wrk's summary and the CPU time `serve` spent per review (user + system of the
//! serve process over the run, divided by the requests wrk counted).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use kubepci_fake_apiserver::{Behaviour, FakeApiserver, Served, fixtures};
use serde_json::{Value, json};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether `GET /readyz` on `port` answers 200.
fn ready(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return false };
    let mut answer = String::new();
    let _ = write!(s, "GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    let _ = s.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port")
}

/// User + system CPU seconds of process `pid` so far (Linux).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// The fixtures' discovery documents, with every list replaced by `objects` (by kind; objects
/// of kinds the fixtures do not serve are left out).
fn serving(objects: Vec<Value>) -> Served {
    let mut served = Served::from_dir(&fixtures());
    for list in served.lists.values_mut() {
        list.items.clear();
    }
    let mut left_out = 0;
    for object in objects {
        let kind = object["kind"].as_str().unwrap_or_default().to_string();
        match served.lists.values_mut().find(|l| l.kind.strip_suffix("List") == Some(kind.as_str())) {
            Some(list) => list.items.push(object.to_string()),
            None => left_out += 1,
        }
    }
    println!("serving {} objects ({left_out} of kinds the fake does not serve left out)", served.lists.values().map(|l| l.items.len()).sum::<usize>());
    served
}

fn demo_objects(root: &Path) -> Vec<Value> {
    use serde::Deserialize;
    let mut objects = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(root.join("examples/demo-cluster")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        // 70-reporting.yaml ends with a broken document (the demo shows how it is reported).
        objects.extend(yaml_serde::Deserializer::from_str(&text).map_while(|doc| Value::deserialize(doc).ok()).filter(Value::is_object));
    }
    objects
}

#[test]
#[ignore = "a measurement with wrk, run on demand"]
fn webhook_latency_with_wrk() {
    let Some(wrk) = kubepci_base::real_part::require("wrk", &["wrk", "/usr/bin/wrk"]) else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cluster = std::env::var("KUBEPCI_WEBHOOK_CLUSTER").unwrap_or_else(|_| "fixtures".into());
    let (served, namespace, config) = match cluster.as_str() {
        "demo" => (serving(demo_objects(&root)), "payments", Some(root.join("examples/kubepci.yaml"))),
        "L" => {
            let mut objects = Vec::new();
            kubepci_bench::generate(100_000, 42, |_, v| objects.push(v));
            // team-0000 is a CDE namespace of the generated corpus.
            (serving(objects), "team-0000", None)
        }
        _ => (Served::from_dir(&fixtures()), "payments", None),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let fake = runtime.block_on(FakeApiserver::start_watchable(served, Behaviour::default(), true));
    let dir = tempfile::tempdir().unwrap();
    {
        // A self-signed certificate: wrk does not verify it.
        use rcgen::{CertificateParams, KeyPair};
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap().self_signed(&key).unwrap();
        std::fs::write(dir.path().join("tls.crt"), cert.pem()).unwrap();
        std::fs::write(dir.path().join("tls.key"), key.serialize_pem()).unwrap();
    }
    let (port, webhook) = (free_port(), free_port());
    let bin = std::env::var("KUBEPCI_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_kubepci").to_string());
    let mut command = Command::new(&bin);
    command
        .args(["serve", "--kubeconfig", fake.kubeconfig.to_str().unwrap(), "--listen", &format!("127.0.0.1:{port}"), "--database", "sqlite:h.db"])
        .args(["--webhook-listen", &format!("127.0.0.1:{webhook}"), "--tls-cert", "tls.crt", "--tls-key", "tls.key"]);
    if let Some(config) = &config {
        command.args(["-c", config.to_str().unwrap()]);
    }
    let serve = Killed(command.current_dir(dir.path()).env_remove("KUBECONFIG").stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("serve"));
    // The webhook answers once the first evaluation is done, as /readyz says.
    let started = std::time::Instant::now();
    while !ready(port) {
        assert!(started.elapsed() < Duration::from_secs(900), "serve not ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    let ready_after = started.elapsed().as_secs_f64();
    // The watches' first relists follow the evaluation: wait for serve to go quiet.
    let mut cpu = cpu_seconds(serve.0.id());
    for _ in 0..120 {
        std::thread::sleep(Duration::from_secs(1));
        let now = cpu_seconds(serve.0.id());
        if now - cpu < 0.05 {
            break;
        }
        cpu = now;
    }
    println!("{bin}: {cluster} cluster, ready after {ready_after:.1} s, quiet after {:.1} s", started.elapsed().as_secs_f64());
    // A privileged pod in a CDE namespace: the full path (evaluated, denied).
    let review = json!({
        "kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1",
        "request": {"uid": "u", "kind": {"group": "", "version": "v1", "kind": "Pod"}, "resource": {"group": "", "version": "v1", "resource": "pods"},
                    "name": "shell", "namespace": namespace, "operation": "CREATE", "userInfo": {"username": "dev"},
                    "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "shell", "namespace": namespace, "labels": {"app": "shell"}},
                               "spec": {"containers": [{"name": "shell", "image": "registry.example/shell:1", "securityContext": {"privileged": true}}]}},
                    "oldObject": null, "dryRun": false}
    });
    let script = dir.path().join("post.lua");
    let body = serde_json::to_string(&review.to_string()).unwrap();
    std::fs::write(&script, format!("wrk.method = \"POST\"\nwrk.body = {body}\nwrk.headers[\"Content-Type\"] = \"application/json\"\n")).unwrap();
    let seconds = std::env::var("KUBEPCI_WRK_SECONDS").unwrap_or_else(|_| "10".into());
    let connections = std::env::var("KUBEPCI_WRK_CONNECTIONS").unwrap_or_else(|_| "8".into());
    for c in connections.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        let cpu_before = cpu_seconds(serve.0.id());
        let out = Command::new(&wrk)
            .args(["-t1", &format!("-c{c}"), &format!("-d{seconds}s"), "--latency", "-s", script.to_str().unwrap(), &format!("https://127.0.0.1:{webhook}/validate")])
            .output()
            .expect("wrk");
        let cpu = cpu_seconds(serve.0.id()) - cpu_before;
        let text = String::from_utf8_lossy(&out.stdout);
        let requests: f64 = text.lines().find_map(|l| l.trim().split_once(" requests in ").and_then(|(n, _)| n.parse().ok())).unwrap_or(0.0);
        println!("-c{c}:\n{text}serve CPU {cpu:.2} s for {requests} reviews: {:.3} ms per review", cpu * 1000.0 / requests.max(1.0));
        assert!(text.contains("Requests/sec"), "{text}{}", String::from_utf8_lossy(&out.stderr));
        assert!(!text.contains("Non-2xx"), "every review answered 200: {text}");
    }
    drop(runtime);
}
