//! `kubepci serve --drift-events` against the fake apiserver, which records every write: a Pod
//! that makes a requirement fail produces exactly one Event on each object whose new failures
//! caused it (the Pod and the Deployment it now shares a ServiceAccount with), and no second
//! one for the same drift within the hour; without the flag, nothing is written at all.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kubepci_fake_apiserver::{Behaviour, FakeApiserver, Served, fixtures};
use serde_json::{Value, json};

const PODS: &str = "/api/v1/pods";

/// The serve process (killed when dropped) and the lines of its stderr so far.
struct Serve {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    port: u16,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    fn start(fake: &FakeApiserver, dir: &std::path::Path, extra: &[&str]) -> Serve {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port");
        let database = format!("sqlite:{}", dir.join(format!("h{port}.db")).display());
        let mut child = Command::new(env!("CARGO_BIN_EXE_kubepci"))
            .args(["serve", "--kubeconfig", fake.kubeconfig.to_str().unwrap(), "--listen", &format!("127.0.0.1:{port}"), "--database", &database, "--cluster-name", "fake", "--debounce-ms", "100"])
            .args(extra)
            .current_dir(dir)
            .env_remove("KUBECONFIG")
            .env("HOSTNAME", "kubepci-serve-0")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().expect("stderr");
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("{line}");
                sink.lock().unwrap().push(line);
            }
        });
        let serve = Serve { child, log, port };
        wait_for("/readyz", Duration::from_secs(120), || serve.get("/readyz").is_some_and(|(c, _)| c == 200));
        serve
    }

    fn get(&self, path: &str) -> Option<(u16, String)> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
        write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").ok()?;
        let mut text = String::new();
        s.read_to_string(&mut text).ok()?;
        let (head, body) = text.split_once("\r\n\r\n")?;
        Some((head.split(' ').nth(1)?.parse().ok()?, body.to_string()))
    }

    fn evaluations(&self) -> u64 {
        let (_, metrics) = self.get("/metrics").unwrap_or_default();
        metrics.lines().find_map(|l| l.strip_prefix("kubepci_evaluations_total ")).and_then(|v| v.trim().parse::<f64>().ok()).unwrap_or(0.0) as u64
    }

    /// The requirements logged as drifted so far.
    fn drifted(&self) -> Vec<String> {
        self.log.lock().unwrap().iter().filter_map(|l| l.strip_prefix("kubepci serve: drift: requirement ")).filter_map(|r| r.split(' ').next()).map(str::to_string).collect()
    }

    /// Push a change and wait until serve has evaluated it (after the evaluations of
    /// anything earlier, such as the watches' first lists, are over).
    fn change(&self, fake: &FakeApiserver, kind: &str, pod: &Value) {
        let mut before = self.evaluations();
        loop {
            std::thread::sleep(Duration::from_millis(700));
            let now = self.evaluations();
            if now == before {
                break;
            }
            before = now;
        }
        fake.push_event(PODS, kind, pod);
        wait_for("the evaluation of the change", Duration::from_secs(60), || self.evaluations() > before);
    }
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < timeout, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A copy of the fixture's payments pod, under another name and without an owner (owned pods
/// are judged through their controller): a second workload on the Deployment `api`'s
/// ServiceAccount, which makes SA-004 fail on both and requirement 8.2.2 (one account per
/// function) go from partial to fail.
fn pod(label: &str) -> Value {
    let list: Value = serde_json::from_str(&std::fs::read_to_string(fixtures().join("api/v1/pods.json")).unwrap()).unwrap();
    let mut pod = list["items"].as_array().unwrap().iter().find(|p| p["metadata"]["name"] == "api-7d9c5b6f4-0").unwrap().clone();
    pod["metadata"]["name"] = json!("api-7d9c5b6f4-9");
    pod["metadata"]["uid"] = json!("11111111-2222-3333-4444-555555555555");
    pod["metadata"]["labels"]["try"] = json!(label);
    pod["metadata"].as_object_mut().unwrap().remove("ownerReferences");
    pod
}

fn fake(runtime: &tokio::runtime::Runtime) -> FakeApiserver {
    runtime.block_on(FakeApiserver::start_watchable(Served::from_dir(&fixtures()), Behaviour::default(), true))
}

#[test]
fn drift_creates_one_event_per_causing_object_and_nothing_without_the_flag() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let dir = tempfile::tempdir().unwrap();

    // Without --drift-events: the drift is logged, nothing is written.
    let quiet = fake(&runtime);
    let serve = Serve::start(&quiet, dir.path(), &[]);
    wait_for("the pod watch", Duration::from_secs(30), || quiet.open_watches(PODS) > 0);
    serve.change(&quiet, "ADDED", &pod("a"));
    let drifted = serve.drifted();
    assert!(!drifted.is_empty(), "the change makes requirements fail");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(quiet.writes(), vec![], "no write at all without the flag");
    drop(serve);

    // With it: one Event on each object the drift is due to, naming the requirement and checks.
    let fake = fake(&runtime);
    let serve = Serve::start(&fake, dir.path(), &["--drift-events"]);
    wait_for("the pod watch", Duration::from_secs(30), || fake.open_watches(PODS) > 0);
    serve.change(&fake, "ADDED", &pod("a"));
    assert_eq!(serve.drifted(), drifted, "the same drift");
    assert_eq!(drifted, ["8.2.2"]);
    wait_for("the Events", Duration::from_secs(30), || fake.writes().len() >= 2);
    std::thread::sleep(Duration::from_millis(500));
    let writes = fake.writes();
    assert_eq!(writes.len(), 2, "{writes:#?}");
    let mut regarding = Vec::new();
    for write in &writes {
        assert_eq!((write.method.as_str(), write.path.as_str(), write.content_type.as_str()), ("POST", "/apis/events.k8s.io/v1/namespaces/payments/events", "application/json"));
        let event = write.body.as_ref().expect("JSON body");
        assert_eq!(event["apiVersion"], "events.k8s.io/v1");
        assert_eq!(event["kind"], "Event");
        assert_eq!(event["type"], "Warning");
        assert_eq!(event["reason"], "PCIRequirementFailed");
        assert_eq!(event["action"], "Assess");
        assert_eq!(event["reportingController"], "kubepci.io/serve");
        assert_eq!(event["reportingInstance"], "kubepci-serve-0");
        let name = event["regarding"]["name"].as_str().unwrap();
        assert!(event["metadata"]["name"].as_str().unwrap().starts_with(&format!("{name}.")), "{event}");
        assert_eq!(event["metadata"]["namespace"], "payments");
        let time = event["eventTime"].as_str().unwrap();
        assert!(time.len() == 27 && time.ends_with('Z') && time.as_bytes()[19] == b'.', "MicroTime: {time}");
        assert_eq!(event["note"], "PCI DSS requirement 8.2.2 (was partial) now fails: new failure of SA-004 on this object (kubepci serve; see /api/v1/report)");
        regarding.push(event["regarding"].clone());
    }
    regarding.sort_by_key(|r| r["kind"].as_str().map(str::to_string));
    assert_eq!(regarding, [json!({"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "payments", "name": "api"}), json!({"apiVersion": "v1", "kind": "Pod", "namespace": "payments", "name": "api-7d9c5b6f4-9"})]);

    // The pod changed again, still sharing: no new drift, no new Event. Deleted (the
    // requirement back to partial), then added again within the hour: the drift is logged
    // again, the Events are not repeated.
    serve.change(&fake, "MODIFIED", &pod("b"));
    assert_eq!(serve.drifted().len(), 1);
    serve.change(&fake, "DELETED", &pod("b"));
    serve.change(&fake, "ADDED", &pod("c"));
    assert_eq!(serve.drifted(), ["8.2.2", "8.2.2"], "drifted twice");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(fake.writes().len(), 2, "deduplicated: {:#?}", fake.writes());
    drop(serve);
    drop(runtime);
}
