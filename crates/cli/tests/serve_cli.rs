//! `kubepci serve` against the in-process fake apiserver with watch support: `/readyz` flips
//! after the first evaluation, an object change shows in `/metrics` and the history, and the
//! watch survives being dropped, 410 Gone, 429 and 500.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kubepci_fake_apiserver::{Behaviour, FakeApiserver, Served, WatchBehaviour, fixtures};
use serde_json::{Value, json};

const PODS: &str = "/api/v1/pods";

/// The serve process, killed when the test ends however it ends.
struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port")
}

/// `GET path` → (status, body); `None` while nothing listens.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let code = head.split(' ').nth(1)?.parse().ok()?;
    Some((code, body.to_string()))
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < timeout, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A sample's value in the metrics text (`name{labels} value`).
fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')).and_then(|v| v.trim().parse().ok()))
}

fn privileged_pod(privileged: bool) -> Value {
    json!({
        "metadata": {"name": "intruder", "namespace": "payments", "uid": "11111111-2222-3333-4444-555555555555"},
        "spec": {"containers": [{"name": "shell", "image": "registry.example/shell:1", "securityContext": {"privileged": privileged}}]}
    })
}

#[test]
fn serve_watches_evaluates_records_and_survives_a_misbehaving_apiserver() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let fake = runtime.block_on(FakeApiserver::start_watchable(Served::from_dir(&fixtures()), Behaviour::default(), true));
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let database = format!("sqlite:{}", dir.path().join("h.db").display());
    let _serve = Serve(
        Command::new(env!("CARGO_BIN_EXE_kubepci"))
            .args(["serve", "--kubeconfig", fake.kubeconfig.to_str().unwrap(), "--listen", &format!("127.0.0.1:{port}"), "--database", &database, "--cluster-name", "fake", "--debounce-ms", "100"])
            .current_dir(dir.path())
            .env_remove("KUBECONFIG")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("serve"),
    );

    // Up before ready; ready once the first evaluation is done, and the report is there.
    wait_for("/healthz", Duration::from_secs(30), || get(port, "/healthz").is_some_and(|(c, _)| c == 200));
    wait_for("/readyz", Duration::from_secs(120), || get(port, "/readyz").is_some_and(|(c, _)| c == 200));
    let (code, report) = get(port, "/api/v1/report").expect("report");
    assert_eq!(code, 200);
    let report: Value = serde_json::from_str(&report).expect("json report");
    assert_eq!(report["input"]["kind"], "live");
    let failures = |text: &str| metric(text, "kubepci_check_failures{check=\"POD-001\",severity=\"critical\"}").unwrap_or(0.0);
    let (_, metrics) = get(port, "/metrics").expect("metrics");
    let before = failures(&metrics);
    assert!(metrics.contains("kubepci_requirement_status{requirement=\"2.2.6\""), "{metrics}");
    assert_eq!(metric(&metrics, "kubepci_history_writes_total{outcome=\"run\"}"), Some(1.0), "{metrics}");
    assert!(metrics.contains("kubepci_watch_up{kind=\"Pod.v1\"}"), "{metrics}");
    wait_for("the pod watch", Duration::from_secs(30), || fake.open_watches(PODS) > 0);

    // A privileged pod appears in the CDE: visible in the metrics and the history.
    fake.push_event(PODS, "ADDED", &privileged_pod(true));
    wait_for("the new failure in /metrics", Duration::from_secs(30), || get(port, "/metrics").is_some_and(|(_, m)| failures(&m) > before));
    let runs = |port| -> Vec<Value> { get(port, "/api/v1/runs").and_then(|(_, b)| serde_json::from_str::<Value>(&b).ok()).and_then(|v| v["runs"].as_array().cloned()).unwrap_or_default() };
    wait_for("a second run", Duration::from_secs(10), || runs(port).len() == 2);
    let listed = runs(port);
    let (newest, oldest) = (listed[0]["id"].as_i64().unwrap(), listed[1]["id"].as_i64().unwrap());
    let (code, diff) = get(port, &format!("/api/v1/diff?from={oldest}&to={newest}")).expect("diff");
    assert_eq!(code, 200, "{diff}");
    let diff: Value = serde_json::from_str(&diff).unwrap();
    assert!(diff["newFailures"].as_array().unwrap().iter().any(|f| f["check"] == "POD-001" && f["object"] == "Pod/payments/intruder"), "{diff}");
    let (code, run) = get(port, &format!("/api/v1/runs/{newest}")).expect("run");
    assert_eq!(code, 200);
    assert_eq!(serde_json::from_str::<Value>(&run).unwrap()["run"]["cluster"], "fake");
    assert_eq!(get(port, "/api/v1/runs/999999").map(|(c, _)| c), Some(404));
    assert_eq!(get(port, "/api/v1/diff?from=1").map(|(c, _)| c), Some(400));

    // The apiserver misbehaves: the watch is cut, then answers 410 Gone, 500 twice and 429.
    fake.set_watch_behaviour(WatchBehaviour { gone: [(PODS.to_string(), 1)].into(), status: [(PODS.to_string(), (500, 2))].into() });
    let watches_before = fake.watch_requests(PODS);
    fake.drop_watches();
    wait_for("the failures to be used up", Duration::from_secs(60), || fake.watch_requests(PODS) >= watches_before + 3);
    fake.set_watch_behaviour(WatchBehaviour { gone: Default::default(), status: [(PODS.to_string(), (429, 1))].into() });
    fake.drop_watches();
    wait_for("the pod watch again", Duration::from_secs(60), || fake.open_watches(PODS) > 0);
    // Changes still arrive: the pod is fixed.
    fake.push_event(PODS, "MODIFIED", &privileged_pod(false));
    wait_for("the fix in /metrics", Duration::from_secs(30), || get(port, "/metrics").is_some_and(|(_, m)| failures(&m) == before));
    let (_, metrics) = get(port, "/metrics").unwrap();
    assert!(metric(&metrics, "kubepci_watch_errors_total{kind=\"Pod.v1\"}").unwrap_or(0.0) >= 3.0, "410 and two 500s counted: {metrics}");
    assert!(metric(&metrics, "kubepci_watch_relists_total{kind=\"Pod.v1\"}").unwrap_or(0.0) >= 2.0, "relisted after 410: {metrics}");
    assert_eq!(metric(&metrics, "kubepci_watch_up{kind=\"Pod.v1\"}"), Some(1.0));
    drop(runtime);
}

/// A CA and a certificate for 127.0.0.1 signed by it: (CA PEM, certificate PEM, key PEM).
fn certificate(name: &str) -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, name);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap().signed_by(&key, &ca).unwrap();
    (ca.pem(), leaf.pem(), key.serialize_pem())
}

/// POST `body` to `https://127.0.0.1:port/validate`, trusting `ca_pem`: (status, body).
async fn post_review(port: u16, ca_pem: &str, body: &str) -> std::io::Result<(u16, String)> {
    use rustls::pki_types::pem::PemObject;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.map_err(std::io::Error::other)?).map_err(std::io::Error::other)?;
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(std::io::Error::other)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").map_err(std::io::Error::other)?;
    let mut tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config)).connect(name, tcp).await?;
    let request = format!("POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
    tls.write_all(request.as_bytes()).await?;
    let mut text = String::new();
    let _ = tls.read_to_string(&mut text).await;
    let (head, body) = text.split_once("\r\n\r\n").ok_or_else(|| std::io::Error::other(format!("no response: {text:?}")))?;
    let code = head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    Ok((code, body.to_string()))
}

fn review(namespace: &str, operation: &str, dry_run: bool, privileged: bool) -> String {
    json!({
        "kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1",
        "request": {
            "uid": format!("uid-{namespace}-{operation}-{dry_run}"),
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "name": "shell", "namespace": namespace, "operation": operation,
            "userInfo": {"username": "dev@example.com"},
            "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "shell", "namespace": namespace},
                       "spec": {"containers": [{"name": "shell", "image": "registry.example/shell:1", "securityContext": {"privileged": privileged}}]}},
            "oldObject": null, "dryRun": dry_run
        }
    })
    .to_string()
}

#[test]
fn admission_webhook_denies_warns_rejects_garbage_and_reloads_its_certificate() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let fake = runtime.block_on(FakeApiserver::start_watchable(Served::from_dir(&fixtures()), Behaviour::default(), true));
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificate("webhook-ca-1");
    let (cert_file, key_file) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    std::fs::write(&cert_file, &cert).unwrap();
    std::fs::write(&key_file, &key).unwrap();
    let (port, webhook_port) = (free_port(), free_port());
    let database = format!("sqlite:{}", dir.path().join("h.db").display());
    let _serve = Serve(
        Command::new(env!("CARGO_BIN_EXE_kubepci"))
            .args(["serve", "--kubeconfig", fake.kubeconfig.to_str().unwrap(), "--listen", &format!("127.0.0.1:{port}"), "--database", &database])
            .args(["--webhook-listen", &format!("127.0.0.1:{webhook_port}"), "--tls-cert", cert_file.to_str().unwrap(), "--tls-key", key_file.to_str().unwrap()])
            .current_dir(dir.path())
            .env_remove("KUBECONFIG")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("serve"),
    );
    wait_for("/readyz", Duration::from_secs(120), || get(port, "/readyz").is_some_and(|(c, _)| c == 200));
    let post = |ca: &str, body: &str| runtime.block_on(post_review(webhook_port, ca, body));
    wait_for("the webhook", Duration::from_secs(30), || post(&ca, "{}").is_ok());
    let invalid_before = 1.0;

    // A privileged pod in the CDE namespace: denied, with check, requirements and fix; the
    // same as a dry run.
    for dry_run in [false, true] {
        let (code, body) = post(&ca, &review("payments", "CREATE", dry_run, true)).expect("review");
        assert_eq!(code, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        let response = &v["response"];
        assert_eq!(v["kind"], "AdmissionReview");
        assert_eq!(response["uid"], format!("uid-payments-CREATE-{dry_run}"));
        assert_eq!(response["allowed"], false, "{body}");
        let message = response["status"]["message"].as_str().unwrap();
        assert!(message.contains("POD-001 (2.2.6, 2.2.3)") && message.contains("fix: "), "{message}");
    }
    // The same pod outside the CDE: admitted with warnings naming the checks.
    let (_, body) = post(&ca, &review("web", "CREATE", false, true)).expect("review");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["response"]["allowed"], true, "{body}");
    assert!(v["response"]["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().starts_with("kubepci POD-001 (")), "{body}");
    // A hardened pod in the CDE passes the critical checks; deletions are never judged.
    let (_, body) = post(&ca, &review("payments", "DELETE", false, true)).expect("review");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["response"]["allowed"], true);
    // Garbage: 400, and the server is still there.
    for garbage in ["", "{", "[1,2]", "{\"request\":{\"uid\":1}}"] {
        let (code, _) = post(&ca, garbage).expect("answer");
        assert_eq!(code, 400, "{garbage:?}");
    }
    let (_, metrics) = get(port, "/metrics").unwrap();
    assert_eq!(metric(&metrics, "kubepci_webhook_decisions_total{decision=\"denied\"}"), Some(2.0), "{metrics}");
    assert_eq!(metric(&metrics, "kubepci_webhook_decisions_total{decision=\"invalid\"}"), Some(invalid_before + 4.0), "{metrics}");
    assert!(metric(&metrics, "kubepci_webhook_duration_seconds_count").unwrap() >= 8.0);

    // The certificate is rotated (a new CA, as after a cert-manager renewal with a new issuer):
    // new connections get the new one.
    let (ca2, cert2, key2) = certificate("webhook-ca-2");
    std::thread::sleep(Duration::from_millis(1100)); // a visibly newer modification time
    std::fs::write(&key_file, &key2).unwrap();
    std::fs::write(&cert_file, &cert2).unwrap();
    wait_for("the new certificate", Duration::from_secs(10), || post(&ca2, &review("web", "CREATE", false, false)).is_ok_and(|(c, _)| c == 200));
    assert!(post(&ca, "{}").is_err(), "the old CA no longer verifies the server");
    drop(runtime);
}
