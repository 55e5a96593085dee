//! The shared input and output of every subcommand, end to end: `netpol`, `rbac` and `pss` read
//! a snapshot and a live cluster (the in-process fake apiserver) like manifest files and give
//! the same answers; `-c kubepci.yaml` (or ./kubepci.yaml) marks CDE workloads in `netpol list`;
//! `txt` and `table` are `text`; a format a command cannot write is a usage error; `-o FILE`
//! writes the file.

use std::path::{Path, PathBuf};
use std::process::Output;

use kubepci_fake_apiserver::{Behaviour, FakeApiserver, Served, fixtures};
use serde_json::{Value, json};

mod common;
use common::{cluster, kubepci};

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", stdout(out), stderr(out)))
}

/// Every object the fake apiserver serves except Secrets (which a collection leaves out unless
/// asked), written as one `kubectl get -o json` list: list items given their kind and
/// apiVersion. The same objects as a live collection of the fake cluster, from a file.
fn fixture_objects_as_file(dir: &Path) -> PathBuf {
    let mut files = Vec::new();
    let mut stack = vec![fixtures()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("fixture dir") {
            let p = entry.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut items = Vec::new();
    for file in files {
        let list: Value = serde_json::from_str(&std::fs::read_to_string(&file).expect("fixture")).expect("fixture JSON");
        let (Some(list_kind), Some(objects)) = (list["kind"].as_str(), list["items"].as_array()) else { continue };
        let kind = list_kind.trim_end_matches("List");
        if kind == "Secret" {
            continue;
        }
        for item in objects {
            let mut item = item.clone();
            item["kind"] = json!(kind);
            item["apiVersion"] = list["apiVersion"].clone();
            items.push(item);
        }
    }
    let path = dir.join("cluster.json");
    std::fs::write(&path, serde_json::to_vec(&json!({"apiVersion": "v1", "kind": "List", "items": items})).expect("json")).expect("write");
    path
}

/// `pss -f json` entries without their source location (a file line, or the snapshot or
/// cluster), in a stable order.
fn pss_verdicts(out: &Output) -> Vec<Value> {
    let mut entries = json(out).as_array().expect("a list").clone();
    for e in &mut entries {
        e.as_object_mut().expect("entry").remove("source");
    }
    entries.sort_by_key(|e| e["object"].to_string());
    entries
}

#[test]
fn netpol_rbac_and_pss_read_a_snapshot_and_a_live_cluster_like_files() {
    let c = cluster(Behaviour::default(), false);
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let kubeconfig = c.server.kubeconfig.to_str().expect("utf-8 path");
    let collected = kubepci(d, &["collect", "--kubeconfig", kubeconfig, "-o", "snap.json.gz"]);
    assert_eq!(collected.status.code(), Some(0), "{}", stderr(&collected));
    let file = fixture_objects_as_file(d);
    let file = file.to_str().expect("utf-8 path");
    // The default configuration applies to every source: its CDE workloads are marked.
    std::fs::write(d.join("kubepci.yaml"), "scope:\n  cde:\n    namespaces: [web]\n").expect("write");
    let snapshot = ["--snapshot", "snap.json.gz"];
    let live = ["--kubeconfig", kubeconfig];
    let sources: [(&str, &[&str]); 3] = [("file", &[file]), ("snapshot", &snapshot), ("live", &live)];

    let mut answers: Vec<(&str, String, Value, Vec<Value>, Value)> = Vec::new();
    for (name, input) in sources {
        let run = |args: &[&str]| {
            let out = kubepci(d, &[args, input].concat());
            assert_eq!(out.status.code(), Some(if args[0] == "pss" { 1 } else { 0 }), "{name} {args:?}: {}", stderr(&out));
            out
        };
        let netpol = stdout(&run(&["netpol", "list"]));
        let netpol_json = json(&run(&["netpol", "list", "-f", "json"]));
        let pss = pss_verdicts(&run(&["pss", "--level", "restricted", "-f", "json"]));
        let who_can = json(&run(&["rbac", "who-can", "get", "secrets", "-f", "json"]));
        assert!(netpol.lines().count() > 3, "{name}: {netpol}");
        assert!(netpol.contains("web/shop[Deployment] [CDE] => "), "{name}: {netpol}");
        assert_eq!(netpol_json.as_array().map(Vec::len), Some(netpol.lines().count()), "{name}");
        assert!(pss.iter().any(|e| e["allowed"] == false), "{name}: {pss:?}");
        assert!(who_can.as_array().is_some_and(|a| !a.is_empty()), "{name}: {who_can}");
        answers.push((name, netpol, netpol_json, pss, who_can));
    }
    let (_, netpol, netpol_json, pss, who_can) = &answers[0];
    for (name, other_netpol, other_json, other_pss, other_who_can) in &answers[1..] {
        assert_eq!(other_netpol, netpol, "netpol list from {name}");
        assert_eq!(other_json, netpol_json, "netpol list -f json from {name}");
        assert_eq!(other_pss, pss, "pss from {name}");
        assert_eq!(other_who_can, who_can, "rbac who-can from {name}");
    }
}

#[test]
fn a_kind_the_collection_lacks_makes_the_analyses_that_read_it_incomplete() {
    let behaviour = Behaviour { forbidden: ["/apis/rbac.authorization.k8s.io/v1/rolebindings".to_string()].into(), ..Behaviour::default() };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let server = runtime.block_on(FakeApiserver::start(Served::from_dir(&fixtures()), behaviour, false));
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = server.kubeconfig.to_str().expect("utf-8 path");
    let rbac = kubepci(dir.path(), &["rbac", "who-can", "get", "secrets", "--kubeconfig", kubeconfig]);
    assert_eq!(rbac.status.code(), Some(2), "RoleBindings were not read: {}", stderr(&rbac));
    assert!(stderr(&rbac).contains("not collected: RoleBinding: no permission to list rolebindings"), "{}", stderr(&rbac));
    assert!(stdout(&rbac).starts_with("KIND"), "what could be read is still answered");
    // Reachability does not read RoleBindings; the Secrets never collected do not matter either.
    let netpol = kubepci(dir.path(), &["netpol", "list", "--kubeconfig", kubeconfig]);
    assert_eq!(netpol.status.code(), Some(0), "{}", stderr(&netpol));
    drop(server);
}

const SHOP: &str = "\
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Namespace
metadata: {name: vault}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: web:1}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: vault}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: db:1}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: vault}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}}]
    ports: [{protocol: TCP, port: 5432}]
";

const VAULT_IS_CDE: &str = "scope:\n  cde:\n    namespaces: [vault]\n";

/// A directory with the shop manifests and a kubepci.yaml beside them (not named kubepci.yaml,
/// so it is not the default).
fn shop() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("manifests")).expect("mkdir");
    std::fs::write(dir.path().join("manifests/shop.yaml"), SHOP).expect("write");
    std::fs::write(dir.path().join("scope.yaml"), VAULT_IS_CDE).expect("write");
    dir
}

#[test]
fn netpol_list_marks_cde_workloads_from_the_configuration() {
    let dir = shop();
    let d = dir.path();
    let plain = kubepci(d, &["netpol", "list", "manifests"]);
    assert_eq!(plain.status.code(), Some(0), "{}", stderr(&plain));
    assert!(!stdout(&plain).contains("[CDE]"), "no scope, no marks: {}", stdout(&plain));
    assert!(stdout(&plain).contains("shop/web[Deployment] => vault/db[Deployment] : TCP 5432\n"), "{}", stdout(&plain));

    let marked = kubepci(d, &["netpol", "list", "-c", "scope.yaml", "manifests"]);
    assert_eq!(marked.status.code(), Some(0), "{}", stderr(&marked));
    let text = stdout(&marked);
    assert!(text.contains("shop/web[Deployment] => vault/db[Deployment] [CDE] : TCP 5432\n"), "{text}");
    assert!(!text.contains("shop/web[Deployment] [CDE]"), "{text}");

    let lines = json(&kubepci(d, &["netpol", "list", "-c", "scope.yaml", "-f", "json", "manifests"]));
    let into_db = lines.as_array().expect("list").iter().find(|l| l["src"] == "shop/web[Deployment]" && l["dst"] == "vault/db[Deployment]").expect("web => db");
    assert_eq!(into_db, &json!({"src": "shop/web[Deployment]", "dst": "vault/db[Deployment]", "conn": "TCP 5432", "dstCde": true}));

    // ./kubepci.yaml is the default configuration, as for scan.
    std::fs::write(d.join("kubepci.yaml"), VAULT_IS_CDE).expect("write");
    assert_eq!(stdout(&kubepci(d, &["netpol", "list", "manifests"])), text);
}

#[test]
fn rbac_paths_honour_the_default_configuration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rbac/tests/fixtures/demo");
    let fixture = fixture.to_str().expect("utf-8 path");
    let with_labels = kubepci(d, &["rbac", "paths", "--to-cde", "-f", "json", fixture]);
    let cde_namespaces = |out: &Output| json(out).as_array().expect("paths").iter().map(|p| p["cdeNamespace"].as_str().unwrap_or_default().to_string()).collect::<std::collections::BTreeSet<_>>();
    assert_eq!(cde_namespaces(&with_labels).into_iter().collect::<Vec<_>>(), ["payments"]);
    std::fs::write(d.join("kubepci.yaml"), "scope:\n  cde:\n    namespaces: [tools]\n").expect("write");
    let with_config = kubepci(d, &["rbac", "paths", "--to-cde", "-f", "json", fixture]);
    assert!(cde_namespaces(&with_config).contains("tools"), "{}", stdout(&with_config));
}

#[test]
fn txt_and_table_are_aliases_of_text() {
    let dir = shop();
    let d = dir.path();
    for (args, format) in [
        (&["netpol", "list", "manifests"][..], "txt"),
        (&["netpol", "list", "manifests"][..], "table"),
        (&["rbac", "who-can", "list", "pods", "manifests"][..], "table"),
        (&["pss", "--level", "baseline", "manifests"][..], "txt"),
        (&["scan", "--color", "never", "manifests"][..], "txt"),
    ] {
        let default = kubepci(d, args);
        let aliased = kubepci(d, &[args, &["-f", format]].concat());
        let named = kubepci(d, &[args, &["--format", "text"]].concat());
        assert_eq!(aliased.status.code(), default.status.code(), "{args:?} -f {format}: {}", stderr(&aliased));
        assert!(!default.stdout.is_empty(), "{args:?}");
        assert_eq!(stdout(&aliased), stdout(&default), "{args:?} -f {format}");
        assert_eq!(stdout(&named), stdout(&default), "{args:?} --format text");
    }
}

#[test]
fn a_format_a_command_cannot_write_is_a_usage_error() {
    let dir = shop();
    let d = dir.path();
    for (args, accepted) in [
        (&["netpol", "list", "-f", "sarif", "manifests"][..], "[possible values: text, json, csv, dot, mermaid]"),
        (&["netpol", "explain", "--from", "shop/web", "--to", "vault/db", "-f", "csv", "manifests"][..], "[possible values: text, json]"),
        (&["pss", "--level", "baseline", "-f", "csv", "manifests"][..], "[possible values: text, json]"),
        (&["rbac", "who-can", "get", "pods", "-f", "csv", "manifests"][..], "[possible values: text, json]"),
        (&["rbac", "review", "-f", "sarif", "manifests"][..], "[possible values: csv, json, text]"),
        (&["scan", "-f", "csv", "manifests"][..], "[possible values: text, json, sarif, junit, policyreport, oscal, prometheus, html]"),
        (&["checks", "list", "-f", "yaml"][..], "[possible values: text, json]"),
        (&["pan", "scan", "-f", "csv", "manifests"][..], "[possible values: text, json, sarif]"),
    ] {
        let out = kubepci(d, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains("invalid value") && err.contains(accepted), "{args:?}: {err}");
    }
}

#[test]
fn output_writes_the_file_instead_of_stdout() {
    let dir = shop();
    let d = dir.path();
    for args in [
        &["netpol", "list", "-c", "scope.yaml", "manifests"][..],
        &["netpol", "explain", "--from", "shop/web", "--to", "vault/db", "--port", "5432", "-f", "json", "manifests"][..],
        &["rbac", "who-can", "create", "pods", "-f", "json", "manifests"][..],
        &["rbac", "review", "manifests", "-f", "json"][..],
        &["pss", "--level", "restricted", "manifests"][..],
        &["scan", "-f", "json", "manifests"][..],
        &["checks", "list"][..],
        &["checks", "explain", "NET-001"][..],
        &["pan", "scan", "manifests"][..],
    ] {
        let to_stdout = kubepci(d, args);
        let to_file = kubepci(d, &[args, &["-o", "out"]].concat());
        assert_eq!(to_file.status.code(), to_stdout.status.code(), "{args:?}: {}", stderr(&to_file));
        assert!(to_file.stdout.is_empty(), "{args:?}");
        let written = std::fs::read_to_string(d.join("out")).expect("the file is written");
        assert!(!written.is_empty(), "{args:?}");
        if args[0] == "rbac" && args[1] == "review" {
            // Stamped with the time it is built.
            assert_eq!(json(&to_stdout)["entries"], serde_json::from_str::<Value>(&written).expect("JSON")["entries"]);
        } else {
            assert_eq!(written, stdout(&to_stdout), "{args:?}");
        }
        std::fs::remove_file(d.join("out")).expect("remove");
    }
    let unwritable = kubepci(d, &["pss", "--level", "baseline", "manifests", "-o", "no/such/dir/out"]);
    assert_eq!(unwritable.status.code(), Some(2));
    assert!(stderr(&unwritable).contains("error: cannot write no/such/dir/out"), "{}", stderr(&unwritable));
}

#[test]
fn every_analysis_needs_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (args, command) in [(&["netpol", "list"][..], "netpol list"), (&["rbac", "who-can", "get", "pods"][..], "rbac who-can"), (&["pss", "--level", "baseline"][..], "pss"), (&["scan"][..], "scan")] {
        let out = kubepci(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(
            stderr(&out),
            format!("error: nothing to scan: give manifest paths, `-` for stdin, --snapshot FILE or --live (see `kubepci {command} --help`)\n")
        );
    }
}
