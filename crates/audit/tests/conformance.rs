//! Conformance of the shipped rules with the detections users migrate from:
//!
//! * Falco's former k8s_audit regression traces (`shared/corpora/falco-k8s-audit`): per trace,
//!   the kubepci rules whose `falco` equivalent upstream expects must fire exactly as often as
//!   upstream's; a trace upstream expects no alert from must raise none from a rule with a Falco
//!   equivalent that upstream enables by default. Expectations that depend on upstream's custom
//!   rule files (allow-lists) are listed as skipped when they expect silence.
//! * Panther's rule tests (`shared/corpora/panther-k8s-audit-rules`): per test event, the rule
//!   whose `panther` (or `alsoPanther`) names the detection must match exactly when upstream's
//!   does; for a rule with a threshold, the event repeated `count` times (on as many objects for a threshold on distinct objects) must alert exactly once. AKS events are re-wrapped as AKS diagnostic records to read them the way a user's
//!   export would be read.
//!
//! Both print "N passed, N failed" and every failure; known, explained differences are listed in
//! docs/audit.md and asserted here as a maximum, so that a regression fails the test.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kubepci_audit::source::{Input, analyze_inputs};
use kubepci_audit::{Context, Engine, RuleSet, State};
use serde_json::{Value, json};

fn corpus(name: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora").join(name);
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("note: {} not found; skipping", dir.display());
        None
    }
}

/// Falco rules upstream ships disabled: its traces never expect them.
const FALCO_DISABLED_UPSTREAM: &[&str] = &["Full K8s Administrative Access"];

#[test]
fn falco_k8s_audit_traces() {
    let Some(dir) = corpus("falco-k8s-audit") else { return };
    let expected: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let stock = Engine::new(RuleSet::builtin(), Context::default());
    // Upstream's disallow_kactivity.yaml switches off the informational "K8s <Kind>
    // Created/Deleted" rules: a user rule file disabling their kubepci equivalents does the same.
    let activity: Vec<String> = RuleSet::builtin().rules.iter().filter(|r| r.falco.as_deref().is_some_and(|f| f.starts_with("K8s "))).map(|r| r.id.clone()).collect();
    let no_activity_file = format!("disable: [{}]\n", activity.join(", "));
    let no_activity = Engine::new(RuleSet::load(&[("disallow_kactivity.yaml".into(), no_activity_file)]).unwrap(), Context::default());
    // Upstream custom files kubepci can express; trust_nginx_container.yaml (an image allow-list) it cannot.
    let expressible = ["test/rules/k8s_audit/disallow_kactivity.yaml", "test/rules/k8s_audit/engine_v4_k8s_audit_rules.yaml", "test/rules/k8s_audit/allow_namespace_foo.yaml"];
    let (mut passed, mut failed, mut skipped) = (0, Vec::new(), Vec::new());
    for case in &expected {
        let trace = case["trace"].as_str().unwrap();
        let test = case["upstream_test"].as_str().unwrap();
        let custom_files: Vec<&str> = case["custom_rule_files_upstream"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        let custom = !custom_files.iter().all(|f| expressible.contains(f));
        let engine = if custom_files.iter().any(|f| f.ends_with("disallow_kactivity.yaml")) { &no_activity } else { &stock };
        let result = analyze_inputs(&[Input::Path(dir.join(trace))], engine);
        if let Some(text) = case["stderr_contains"].as_str() {
            match result {
                Err(e) if e.to_string().contains("not Kubernetes audit events") => passed += 1,
                other => failed.push(format!("{test}: upstream rejects the file ({text}); we gave {:?}", other.map(|r| r.alerts.len()))),
            }
            continue;
        }
        let report = match result {
            Ok(r) => r,
            Err(e) => {
                failed.push(format!("{test}: {e}"));
                continue;
            }
        };
        let mut got: BTreeMap<&str, u64> = BTreeMap::new();
        for a in &report.alerts {
            if let Some(f) = a.falco.as_deref().filter(|f| !FALCO_DISABLED_UPSTREAM.contains(f)) {
                *got.entry(f).or_default() += 1;
            }
        }
        let want: BTreeMap<&str, u64> = case["expected_rule_counts"].as_object().unwrap().iter().map(|(k, v)| (k.as_str(), v.as_u64().unwrap())).collect();
        if case["detect"] == false {
            if custom {
                skipped.push(format!("{test}: silence expected under upstream's custom allow-lists {}", case["custom_rule_files_upstream"]));
            } else if got.is_empty() {
                passed += 1;
            } else {
                failed.push(format!("{test}: expected no alert, got {got:?}"));
            }
            continue;
        }
        let wrong: Vec<String> = want
            .iter()
            .filter(|(rule, n)| got.get(*rule).copied().unwrap_or(0) != **n)
            .map(|(rule, n)| format!("{rule:?} expected {n}, got {}", got.get(rule).copied().unwrap_or(0)))
            .collect();
        if wrong.is_empty() {
            passed += 1;
        } else {
            failed.push(format!("{test} ({trace}): {}", wrong.join("; ")));
        }
    }
    for f in &failed {
        println!("FAIL {f}");
    }
    for s in &skipped {
        println!("SKIP {s}");
    }
    println!("falco-k8s-audit: {passed} passed, {} failed, {} skipped (configuration-dependent)", failed.len(), skipped.len());
    assert!(failed.is_empty(), "{} Falco expectations disagree", failed.len());
}

/// The Panther test events that kubepci cannot decide like upstream, and why (docs/audit.md).
const PANTHER_KNOWN: &[(&str, &str)] = &[
    ("eks:addon-manager from public ip as lambda", "needs the cloud provider's IP ranges"),
    ("EKS addon-manager from AWS Lambda", "needs the cloud provider's IP ranges"),
    ("AKS CSI Disk Driver from Azure Node", "needs the cloud provider's IP ranges"),
    ("EKS Activity from Tor Exit Node", "needs IP reputation"),
    ("AKS Activity from Tor Exit Node", "needs IP reputation"),
];

#[test]
fn panther_kubernetes_rule_tests() {
    let Some(dir) = corpus("panther-k8s-audit-rules") else { return };
    let rules = RuleSet::builtin();
    let engine = Engine::new(rules.clone(), Context::default());
    let (mut passed, mut failed, mut known) = (0, Vec::new(), Vec::new());
    let mut as_thresholds = 0;
    let mut files: Vec<PathBuf> = ["rules/kubernetes_rules", "rules/aws_eks_rules"]
        .iter()
        .flat_map(|sub| std::fs::read_dir(dir.join(sub)).unwrap().map(|e| e.unwrap().path()))
        .collect();
    files.sort();
    for file in files {
        let spec: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let rule_id = spec["rule_id"].as_str().unwrap();
        let ours = rules.rules.iter().find(|r| r.panther.as_deref() == Some(rule_id) || r.also_panther.iter().any(|p| p == rule_id));
        for test in spec["tests"].as_array().unwrap() {
            let name = test["name"].as_str().unwrap();
            let want = test["expected_result"].as_bool().unwrap();
            let Some(rule) = ours else {
                failed.push(format!("{rule_id} / {name}: no kubepci rule names this detection"));
                continue;
            };
            // A threshold rule (Panther's Threshold with its dedup period) alerts once its count
            // of matching requests is reached: the test event, repeated that many times as
            // distinct requests within the window, must raise exactly one alert when upstream's
            // rule matches it, and none when it does not.
            let copies = rule.threshold.as_ref().map_or(1, |t| t.count);
            as_thresholds += usize::from(copies > 1);
            let mut state = State::default();
            let file: Arc<str> = Arc::from("test");
            let mut parsed = Ok(0);
            for copy in 0..copies {
                let mut test = test.clone();
                if copies > 1 {
                    let id = test["event"]["auditID"].as_str().unwrap_or("request").to_string();
                    test["event"]["auditID"] = json!(format!("{id}-{copy}"));
                    // A threshold on distinct objects (Panther's distinct secrets) counts each
                    // copy only when it touches another object.
                    if rule.threshold.as_ref().is_some_and(|t| t.distinct.is_some())
                        && let Some(object) = test["event"]["objectRef"].as_object_mut()
                    {
                        let name = object.get("name").and_then(Value::as_str).unwrap_or("object").to_string();
                        object.insert("name".into(), json!(format!("{name}-{copy}")));
                    }
                }
                let line = wrap(&test);
                parsed = parsed.and(kubepci_audit::parse::parse_document(line.as_bytes(), &mut |e| engine.event(&mut state, e, &file, u64::from(copy) + 1)));
            }
            let alerts = state.into_parts(&rules.rules).alerts.iter().filter(|a| a.rule == rule.id).count();
            let got = parsed.is_ok() && alerts == 1;
            if alerts > 1 {
                failed.push(format!("{rule_id} / {name}: {alerts} alerts from {copies} copies; one was due"));
                continue;
            }
            if got == want {
                passed += 1;
            } else if let Some((_, why)) = PANTHER_KNOWN.iter().find(|(n, _)| *n == name) {
                known.push(format!("{rule_id} / {name}: expected {want}, got {got} ({why})"));
            } else {
                failed.push(format!("{rule_id} / {name}: expected {want}, got {got} (kubepci rule {}{})", rule.id, parsed.err().map(|e| format!(", {e}")).unwrap_or_default()));
            }
        }
    }
    for f in &failed {
        println!("FAIL {f}");
    }
    for k in &known {
        println!("KNOWN {k}");
    }
    println!("panther-k8s-audit-rules: {passed} passed, {} failed ({} of them known: data the log lacks); {as_thresholds} judged as thresholds", failed.len() + known.len(), known.len());
    assert!(as_thresholds > 0, "the threshold rules were not judged");
    assert!(failed.is_empty(), "{} Panther test events disagree", failed.len());
}

/// The test's event as a user's log would hold it: AKS events inside their diagnostic record.
fn wrap(test: &Value) -> String {
    let event = &test["event"];
    match test.get("aks_wrapper_fields").and_then(Value::as_object) {
        Some(fields) if !fields.is_empty() => {
            let mut record = fields.clone();
            let mut props = record.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
            props.insert("log".into(), json!(event.to_string()));
            record.insert("properties".into(), Value::Object(props));
            Value::Object(record).to_string()
        }
        _ => event.to_string(),
    }
}

/// audit2rbac's published output for `--user alice` on its demo log: the same Role rules in the
/// same namespace, and a binding to alice (names and labels are kubepci's own).
#[test]
fn audit2rbac_demo_alice() {
    use kubepci_audit::least_privilege::{SubjectSel, generate, observe};
    use serde::Deserialize;
    let Some(dir) = corpus("audit2rbac-demo") else { return };
    let subject = SubjectSel::parse("User:alice").unwrap();
    let mut observed = std::collections::BTreeSet::new();
    let diagnostics = kubepci_audit::source::for_each_event(&Input::Path(dir.join("testdata/demo.log")), &mut |e| {
        if let Some(o) = observe(e, &subject) {
            observed.insert(o);
        }
    })
    .unwrap();
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let ours = generate(&subject, &observed);
    let text = std::fs::read_to_string(dir.join("expected/alice-roles.yaml")).unwrap();
    let theirs: Vec<Value> = yaml_serde::Deserializer::from_str(&text).map(|d| Value::deserialize(d).unwrap()).collect();
    let shape = |docs: &[Value]| -> Vec<(String, String, Value, Value)> {
        docs.iter()
            .map(|d| (d["kind"].as_str().unwrap_or("").to_string(), d["metadata"]["namespace"].as_str().unwrap_or("").to_string(), d["rules"].clone(), d["subjects"].clone()))
            .collect()
    };
    let (a, b) = (shape(&ours), shape(&theirs));
    let same = a == b;
    println!("audit2rbac-demo: {} passed, {} failed", u8::from(same), u8::from(!same));
    assert_eq!(a, b);
}
