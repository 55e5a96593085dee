//! The Helm chart `deploy/helm/kubepci`, rendered by the test-side renderer of the template
//! subset it is written in (`helm/mod.rs`; no helm binary here or in CI): its defaults equal
//! the plain manifests of `deploy/`, its toggles render what they say, the rendered chart
//! passes kubepci's own CDE-grade checks, and Chart.yaml/values.yaml are well-formed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

mod common;
mod helm;

use common::scan_as_cde;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn chart() -> PathBuf {
    root().join("deploy/helm/kubepci")
}

/// The chart rendered into namespace `kubepci` with `overrides`.
fn render(overrides: Value) -> Vec<Value> {
    helm::render_objects(&chart(), "kubepci", &overrides).unwrap_or_else(|e| panic!("{e}"))
}

fn key(o: &Value) -> String {
    let ns = o["metadata"]["namespace"].as_str().map(|n| format!("{n}/")).unwrap_or_default();
    format!("{} {}{}", o["kind"].as_str().unwrap_or("?"), ns, o["metadata"]["name"].as_str().unwrap_or("?"))
}

fn by_key(objects: Vec<Value>) -> BTreeMap<String, Value> {
    let mut map = BTreeMap::new();
    for o in objects {
        let k = key(&o);
        assert!(map.insert(k.clone(), o).is_none(), "{k} twice");
    }
    map
}

const PLAIN: [&str; 4] = ["deploy/clusterrole.yaml", "deploy/serve.yaml", "deploy/webhook.yaml", "deploy/cronjob.yaml"];

fn plain_manifests() -> Vec<Value> {
    let mut objects = Vec::new();
    for file in PLAIN {
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        for doc in yaml_serde::Deserializer::from_str(&text) {
            let v: Value = serde::Deserialize::deserialize(doc).unwrap();
            if !v.is_null() {
                objects.push(v);
            }
        }
    }
    objects
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
    objects.iter().find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
}

fn args(deployment: &Value) -> Vec<String> {
    deployment["spec"]["template"]["spec"]["containers"][0]["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect()
}

/// (a) `helm template kubepci deploy/helm/kubepci -n kubepci` with the default values gives
/// exactly the objects of the plain manifests (compared as parsed YAML, object by object).
#[test]
fn the_charts_defaults_equal_the_plain_manifests() {
    let rendered = by_key(render(json!({})));
    let plain = by_key(plain_manifests());
    let only_chart: Vec<&String> = rendered.keys().filter(|k| !plain.contains_key(*k)).collect();
    let only_plain: Vec<&String> = plain.keys().filter(|k| !rendered.contains_key(*k)).collect();
    assert!(only_chart.is_empty() && only_plain.is_empty(), "only in the chart: {only_chart:?}; only in deploy/: {only_plain:?}");
    for (k, object) in &plain {
        assert_eq!(&rendered[k], object, "{k} differs between the chart and deploy/");
    }
    assert_eq!(plain.len(), 27, "every object of the four files");
}

/// (b) The toggles render what they say.
#[test]
fn webhook_off_renders_no_webhook_objects() {
    let objects = render(json!({"webhook": {"enabled": false}}));
    let webhook_objects: Vec<String> = objects.iter().filter(|o| key(o).contains("webhook") || o["kind"] == "ValidatingWebhookConfiguration" || o["apiVersion"].as_str().is_some_and(|a| a.starts_with("cert-manager.io/"))).map(key).collect();
    assert!(webhook_objects.is_empty(), "{webhook_objects:?}");
    // serve stays, monitoring only.
    let serve = find(&objects, "Deployment", "kubepci-serve").expect("serve");
    assert!(!args(serve).iter().any(|a| a.starts_with("--webhook") || a.starts_with("--tls")));
    assert!(find(&objects, "ClusterRole", "kubepci-watcher").is_some());
}

#[test]
fn postgres_reads_the_database_url_from_a_secret_file_and_drops_the_pvc() {
    let objects = render(json!({"database": {"type": "postgres", "postgres": {"existingSecret": "kubepci-db", "cidr": "10.1.2.3/32"}}}));
    assert!(find(&objects, "PersistentVolumeClaim", "kubepci-history").is_none());
    let serve = find(&objects, "Deployment", "kubepci-serve").unwrap();
    let a = args(serve);
    assert!(!a.contains(&"--database".to_string()), "{a:?}");
    let at = a.iter().position(|x| x == "--database-file").expect("--database-file");
    assert_eq!(a[at + 1], "/etc/kubepci/database/url");
    let pod = &serve["spec"]["template"]["spec"];
    assert_eq!(pod["volumes"], json!([{"name": "database", "secret": {"secretName": "kubepci-db", "defaultMode": 256}}]));
    assert_eq!(pod["containers"][0]["volumeMounts"], json!([{"name": "database", "mountPath": "/etc/kubepci/database", "readOnly": true}]));
    assert!(pod["containers"][0].get("env").is_none(), "never the URL in an environment variable");
    let egress = find(&objects, "NetworkPolicy", "kubepci-serve").unwrap()["spec"]["egress"].as_array().unwrap().clone();
    assert!(egress.contains(&json!({"to": [{"ipBlock": {"cidr": "10.1.2.3/32"}}], "ports": [{"port": 5432, "protocol": "TCP"}]})), "{egress:?}");
    // Without the Secret's name, or with an unknown database type: an error, not a silent default.
    let err = helm::render_objects(&chart(), "kubepci", &json!({"database": {"type": "postgres"}})).unwrap_err();
    assert!(err.contains("database.postgres.existingSecret"), "{err}");
    let err = helm::render_objects(&chart(), "kubepci", &json!({"database": {"type": "mysql"}})).unwrap_err();
    assert!(err.contains("database.type: \"mysql\" is not one of [\"sqlite\",\"postgres\"]"), "{err}");
}

#[test]
fn provided_certificate_instead_of_cert_manager() {
    let objects = render(json!({"webhook": {"tls": {"certManager": false, "secretName": "my-tls", "caBundle": "Q0E="}}}));
    assert!(!objects.iter().any(|o| o["apiVersion"].as_str().unwrap().starts_with("cert-manager.io/")));
    let config = find(&objects, "ValidatingWebhookConfiguration", "kubepci").unwrap();
    assert!(config["metadata"].get("annotations").is_none(), "no cert-manager CA injection");
    assert_eq!(config["webhooks"][0]["clientConfig"]["caBundle"], "Q0E=");
    let volumes = &find(&objects, "Deployment", "kubepci-webhook").unwrap()["spec"]["template"]["spec"]["volumes"];
    assert_eq!(volumes[0], json!({"name": "tls", "secret": {"secretName": "my-tls"}}));
    let err = helm::render_objects(&chart(), "kubepci", &json!({"webhook": {"tls": {"certManager": false}}})).unwrap_err();
    assert!(err.contains("webhook.tls.caBundle"), "{err}");
}

#[test]
fn service_monitor_network_policy_cronjob_and_namespace_toggles() {
    let objects = render(json!({"metrics": {"serviceMonitor": {"enabled": true, "labels": {"release": "prometheus"}}}}));
    let monitor = find(&objects, "ServiceMonitor", "kubepci-serve").expect("ServiceMonitor");
    assert_eq!(monitor["metadata"]["labels"]["release"], "prometheus");
    assert_eq!(monitor["spec"]["selector"]["matchLabels"], find(&objects, "Service", "kubepci-serve").unwrap()["spec"]["selector"]);
    assert_eq!(monitor["spec"]["endpoints"], json!([{"port": "http", "path": "/metrics", "interval": "30s"}]));
    assert!(!render(json!({})).iter().any(|o| o["kind"] == "ServiceMonitor"), "off by default");

    assert!(!render(json!({"networkPolicy": {"enabled": false}})).iter().any(|o| o["kind"] == "NetworkPolicy"));
    let no_cronjob = render(json!({"cronjob": {"enabled": false}}));
    assert!(!no_cronjob.iter().any(|o| key(o).contains("kubepci-scan") || o["kind"] == "CronJob" || key(o).contains("kubepci-evidence")));
    let only_cronjob = render(json!({"serve": {"enabled": false}, "webhook": {"enabled": false}}));
    let kinds: BTreeSet<String> = only_cronjob.iter().map(key).collect();
    assert!(kinds.contains("CronJob kubepci/kubepci") && !kinds.iter().any(|k| k.contains("watcher") || k.contains("serve")), "{kinds:?}");
    assert!(!render(json!({"namespace": {"create": false}, "secretsReader": {"create": false}})).iter().any(|o| o["kind"] == "Namespace" || key(o).contains("secrets-reader")));

    // Another namespace: every namespaced object and every reference follows it.
    let elsewhere = render(json!({}));
    let moved = helm::render_objects(&chart(), "pci-tools", &json!({})).unwrap();
    assert_eq!(moved.len(), elsewhere.len());
    let text = serde_json::to_string(&moved).unwrap();
    assert!(!text.contains("\"kubepci/") && !text.contains(".kubepci.svc") && !text.contains("\"namespace\":\"kubepci\""), "{text}");
    let hook = find(&moved, "ValidatingWebhookConfiguration", "kubepci").unwrap();
    assert_eq!(hook["webhooks"][0]["namespaceSelector"]["matchExpressions"][0]["values"], json!(["kube-system", "pci-tools"]));
}

/// The default chart (= deploy/) only reads; `serve.driftEvents` adds exactly the opt-in
/// role of `deploy/drift-events.yaml` (create events) and the flag.
#[test]
fn default_is_read_only_and_drift_events_are_opt_in() {
    let verbs = |objects: &[Value]| -> BTreeSet<String> {
        objects.iter().filter(|o| matches!(o["kind"].as_str(), Some("ClusterRole" | "Role"))).flat_map(|r| r["rules"].as_array().unwrap().iter().flat_map(|rule| rule["verbs"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string())).collect::<Vec<_>>()).collect()
    };
    let default = render(json!({}));
    assert_eq!(verbs(&default), ["get", "list", "watch"].map(String::from).into());
    assert!(!args(find(&default, "Deployment", "kubepci-serve").unwrap()).contains(&"--drift-events".to_string()));

    let with_events = render(json!({"serve": {"driftEvents": true}}));
    assert!(args(find(&with_events, "Deployment", "kubepci-serve").unwrap()).contains(&"--drift-events".to_string()));
    let added: Vec<Value> = with_events.iter().filter(|o| !default.contains(o) && o["kind"] != "Deployment").cloned().collect();
    let text = std::fs::read_to_string(root().join("deploy/drift-events.yaml")).unwrap();
    let opt_in: Vec<Value> = yaml_serde::Deserializer::from_str(&text).map(|d| serde::Deserialize::deserialize(d).unwrap()).collect();
    assert_eq!(added, opt_in, "the chart's opt-in equals deploy/drift-events.yaml");
    assert_eq!(verbs(&opt_in), ["create".to_string()].into());
    assert_eq!(opt_in[0]["rules"], json!([{"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": ["create"]}]));
}

/// (c) `kubepci scan` on the rendered default chart: kubepci's own CDE-grade checks pass, as
/// for the plain manifests (`deploy_cli.rs`), with the same stated exceptions.
#[test]
fn the_rendered_chart_passes_its_own_cde_grade_checks() {
    let dir = tempfile::tempdir().unwrap();
    for (name, overrides) in [("default.yaml", json!({})), ("postgres.yaml", json!({"database": {"type": "postgres", "postgres": {"existingSecret": "kubepci-db"}}, "metrics": {"serviceMonitor": {"enabled": true}}}))] {
        let objects = render(overrides);
        let text: String = objects.iter().map(|o| format!("---\n{}", yaml_serde::to_string(o).unwrap())).collect();
        std::fs::write(dir.path().join(name), text).unwrap();
        let (failures, report) = scan_as_cde(dir.path(), &[name]);
        assert!(failures.is_empty(), "{name}: the rendered chart fails kubepci's checks: {failures:#?}");
        assert_eq!(report["summary"]["excepted"], 6, "{name}");
        assert!(report["summary"]["passed"].as_u64().unwrap() > 100, "{name}");
    }
}

/// (d) Chart.yaml and values.yaml: what `helm lint` would ask, plus: every `.Values` path a
/// template names exists in values.yaml, and every values.yaml leaf is used by a template.
#[test]
fn chart_metadata_and_values_lint() {
    let meta = helm::read_yaml(&chart().join("Chart.yaml")).unwrap();
    assert_eq!(meta["apiVersion"], "v2");
    assert_eq!(meta["name"], "kubepci");
    assert_eq!(meta["type"], "application");
    let semver = |v: &str| {
        let core = v.split(['-', '+']).next().unwrap();
        let parts: Vec<&str> = core.split('.').collect();
        parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) && (p.len() == 1 || !p.starts_with('0')))
    };
    assert!(semver(meta["version"].as_str().expect("version is a string")), "{}", meta["version"]);
    let app_version = meta["appVersion"].as_str().expect("appVersion is a string");
    let cargo = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    assert!(cargo.contains(&format!("version = \"{app_version}\"")), "appVersion {app_version} is the workspace version");
    assert!(meta["description"].as_str().is_some_and(|d| !d.is_empty()));

    let values = helm::read_yaml(&chart().join("values.yaml")).unwrap();
    let mut leaves = BTreeSet::new();
    fn walk(v: &Value, path: String, out: &mut BTreeSet<String>) {
        match v.as_object() {
            // Maps handed to toYaml whole (resources, labels) count as one leaf.
            Some(m) if !m.is_empty() && !["resources", "labels"].iter().any(|s| path.ends_with(s)) => {
                for (k, v) in m {
                    walk(v, format!("{path}.{k}"), out);
                }
            }
            _ => {
                out.insert(path);
            }
        }
    }
    walk(&values, ".Values".into(), &mut leaves);
    let mut used = BTreeSet::new();
    for entry in std::fs::read_dir(chart().join("templates")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for (i, _) in text.match_indices(".Values.") {
            let path: String = text[i..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '_').collect();
            used.insert(path);
        }
    }
    let undefined: Vec<&String> = used.iter().filter(|p| !leaves.contains(*p)).collect();
    assert!(undefined.is_empty(), "templates use values that are not leaves of values.yaml: {undefined:?}");
    let unused: Vec<&String> = leaves.iter().filter(|l| !used.contains(*l)).collect();
    assert!(unused.is_empty(), "values.yaml defines values no template uses: {unused:?}");

    // values.schema.json: draft-07, the defaults meet it, and it names every value (no typo in
    // an override gets through: Helm validates overrides against it before rendering).
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(chart().join("values.schema.json")).unwrap()).unwrap();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    helm::validate_schema(&schema, &values, "").unwrap();
    let mut schema_leaves = BTreeSet::new();
    fn schema_walk(s: &Value, path: String, out: &mut BTreeSet<String>) {
        match s["properties"].as_object() {
            Some(p) => p.iter().for_each(|(k, v)| schema_walk(v, format!("{path}.{k}"), out)),
            None => {
                out.insert(path);
            }
        }
    }
    schema_walk(&schema, ".Values".into(), &mut schema_leaves);
    assert!(schema_leaves.remove(".Values.global"), "Helm's `global` is allowed (a parent chart may pass it)");
    assert_eq!(schema_leaves, leaves, "values.schema.json describes exactly the values of values.yaml");
    for (overrides, error) in [
        (json!({"webhook": {"enable": false}}), "webhook.enable: not a value of this chart"),
        (json!({"webhook": {"failurePolicy": "fail"}}), "webhook.failurePolicy: \"fail\" is not one of"),
        (json!({"webhook": {"timeoutSeconds": 31}}), "webhook.timeoutSeconds: 31 is out of range"),
        (json!({"cronjob": {"enabled": "false"}}), "cronjob.enabled: \"false\" is not of type"),
    ] {
        let err = helm::render_objects(&chart(), "kubepci", &overrides).unwrap_err();
        assert!(err.contains(error), "{overrides}: {err}");
    }
}
