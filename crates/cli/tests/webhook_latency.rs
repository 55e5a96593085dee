//! Admission latency under load, measured with `wrk -t1 -c8` (a second process, loopback,
//! HTTPS keep-alive) against `kubepci serve --webhook-listen` on the fake apiserver's cluster.
//! A measurement, not a timed test: `cargo test -p kubepci --test webhook_latency -- --ignored
//! --nocapture`; `KUBEPCI_BIN=target/release/kubepci` measures a release binary.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use kubepci_fake_apiserver::{Behaviour, FakeApiserver, Served, fixtures};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port")
}

#[test]
#[ignore = "a measurement with wrk, run on demand"]
fn webhook_latency_with_wrk() {
    let Some(wrk) = kubepci_base::real_part::require("wrk", &["wrk", "/usr/bin/wrk"]) else { return };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let fake = runtime.block_on(FakeApiserver::start_watchable(Served::from_dir(&fixtures()), Behaviour::default(), true));
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
    let _serve = Killed(
        Command::new(&bin)
            .args(["serve", "--kubeconfig", fake.kubeconfig.to_str().unwrap(), "--listen", &format!("127.0.0.1:{port}"), "--database", "sqlite:h.db"])
            .args(["--webhook-listen", &format!("127.0.0.1:{webhook}"), "--tls-cert", "tls.crt", "--tls-key", "tls.key"])
            .current_dir(dir.path())
            .env_remove("KUBECONFIG")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve"),
    );
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", webhook)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(120), "webhook not up");
        std::thread::sleep(Duration::from_millis(100));
    }
    // A privileged pod in the CDE namespace: the full path (evaluated, denied).
    let review = serde_json::json!({
        "kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1",
        "request": {"uid": "u", "kind": {"group": "", "version": "v1", "kind": "Pod"}, "resource": {"group": "", "version": "v1", "resource": "pods"},
                    "name": "shell", "namespace": "payments", "operation": "CREATE", "userInfo": {"username": "dev"},
                    "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "shell", "namespace": "payments"},
                               "spec": {"containers": [{"name": "shell", "image": "registry.example/shell:1", "securityContext": {"privileged": true}}]}},
                    "oldObject": null, "dryRun": false}
    });
    let script = dir.path().join("post.lua");
    let body = serde_json::to_string(&review.to_string()).unwrap();
    std::fs::write(&script, format!("wrk.method = \"POST\"\nwrk.body = {body}\nwrk.headers[\"Content-Type\"] = \"application/json\"\n")).unwrap();
    let seconds = std::env::var("KUBEPCI_WRK_SECONDS").unwrap_or_else(|_| "10".into());
    let out = Command::new(wrk)
        .args(["-t1", "-c8", &format!("-d{seconds}s"), "--latency", "-s", script.to_str().unwrap(), &format!("https://127.0.0.1:{webhook}/validate")])
        .output()
        .expect("wrk");
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{bin}\n{text}");
    assert!(text.contains("Requests/sec"), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(!text.contains("Non-2xx"), "every review answered 200: {text}");
    drop(runtime);
}
