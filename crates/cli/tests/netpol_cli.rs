//! End-to-end tests of `kubepci netpol list` and `kubepci netpol explain`, reading manifests
//! from stdin.

use std::process::Output;

mod common;

const MANIFESTS: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: web:1, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: db:1}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{protocol: TCP, port: 5432}]
---
this: is: not: yaml
"#;

fn kubepci(args: &[&str], stdin: &str) -> Output {
    common::kubepci_stdin(args, stdin, &[])
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn list_prints_sorted_connections_and_reports_bad_documents() {
    let out = kubepci(&["netpol", "list", "-"], MANIFESTS);
    assert_eq!(out.status.code(), Some(2), "unreadable document makes the input incomplete");
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("-:"), "load errors as file:line:col: {stderr}");
    assert_eq!(
        text(&out.stdout),
        "0.0.0.0-255.255.255.255[External] => shop/web[Deployment] : All Connections\n\
         shop/db[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections\n\
         shop/db[Deployment] => shop/web[Deployment] : All Connections\n\
         shop/web[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections\n\
         shop/web[Deployment] => shop/db[Deployment] : TCP 5432\n"
    );
}

#[test]
fn list_formats() {
    let good = MANIFESTS.split("---\nthis").next().unwrap_or_default();
    let csv = kubepci(&["netpol", "list", "--format", "csv", "-"], good);
    assert_eq!(csv.status.code(), Some(0));
    assert!(text(&csv.stdout).starts_with("src,dst,conn\n"));
    let json = kubepci(&["netpol", "list", "--format", "json", "-"], good);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(v.as_array().map(Vec::len), Some(5));
    assert_eq!(v[4]["conn"], "TCP 5432");
    for f in ["dot", "mermaid"] {
        let o = kubepci(&["netpol", "list", "--format", f, "-"], good);
        assert_eq!(o.status.code(), Some(0));
        assert!(text(&o.stdout).contains("shop/db[Deployment]"));
    }
    let bad = kubepci(&["netpol", "list", "--format", "xml", "-"], good);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn explain_names_the_deciding_rule() {
    let good = MANIFESTS.split("---\nthis").next().unwrap_or_default();
    let ok = kubepci(&["netpol", "explain", "--from", "shop/web", "--to", "shop/db", "--port", "TCP/5432", "-"], good);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    let t = text(&ok.stdout);
    assert!(t.starts_with("shop/web[Deployment] => shop/db[Deployment] (TCP/5432): ALLOWED"), "{t}");
    assert!(t.contains("Allow TCP 5432 by NetworkPolicy shop/db ingress rule #1 (-:"), "{t}");
    let denied = kubepci(&["netpol", "explain", "--from", "shop/db", "--to", "shop/web", "--port", "UDP/53", "-"], good);
    assert_eq!(denied.status.code(), Some(0), "web is not isolated: {}", text(&denied.stdout));
    let denied = kubepci(&["netpol", "explain", "--from", "shop/web", "--to", "shop/db", "--port", "TCP/22", "-"], good);
    assert_eq!(denied.status.code(), Some(1));
    assert!(text(&denied.stdout).contains("DENIED"));
    let unknown = kubepci(&["netpol", "explain", "--from", "nope/x", "--to", "shop/db", "-"], good);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn explain_from_the_ingress_controller_names_the_objects_and_the_rules() {
    let scenario = |name: &str| std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios").join(name).join("cluster/cluster.yaml")).unwrap();
    let ingress = scenario("ingress-into-cde");
    let ok = kubepci(&["netpol", "explain", "--from", "{ingress-controller}", "--to", "payments/api", "--port", "TCP/8443", "-"], &ingress);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    let t = text(&ok.stdout);
    assert!(t.starts_with("{ingress-controller} => payments/api[Deployment] (TCP/8443): ALLOWED\n"), "{t}");
    assert!(t.contains("  via Ingress payments/pay (-:56:1) through IngressClass nginx: routes TCP 8443; ALLOWED, TCP 8443\n"), "{t}");
    assert!(t.contains("    forwarded by ingress-nginx/ingress-nginx-controller[Deployment]\n"), "{t}");
    assert!(t.contains("Allow TCP 8443 by NetworkPolicy payments/api-from-ingress ingress rule #1 (-:"), "{t}");
    // Another port: denied, with the path still named.
    let denied = kubepci(&["netpol", "explain", "--from", "{ingress-controller}", "--to", "payments/api", "--port", "TCP/9090", "-"], &ingress);
    assert_eq!(denied.status.code(), Some(1));
    assert!(text(&denied.stdout).contains("via Ingress payments/pay"));
    // JSON, for the Gateway API variant.
    let json = kubepci(&["netpol", "explain", "--from", "{ingress-controller}", "--to", "payments/api", "-f", "json", "-"], &scenario("gateway-into-cde"));
    assert_eq!(json.status.code(), Some(0), "{}", text(&json.stderr));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!((v["allowed"].as_bool(), v["allowed_conns"].as_str()), (Some(true), Some("TCP 8443")), "{v}");
    assert_eq!(v["paths"][0]["object"]["kind"], "HTTPRoute");
    assert_eq!(v["paths"][0]["controller"], "infra/public-gateway[Deployment]");
    // An address as the destination: a clear error, no panic.
    let bad = kubepci(&["netpol", "explain", "--from", "{ingress-controller}", "--to", "10.0.0.1", "-"], &ingress);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("the destination is a workload"), "{}", text(&bad.stderr));
}
