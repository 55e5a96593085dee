use super::*;

fn inventory(yaml: &str, config: &str) -> Inventory {
    let loaded = kubepci_source::load_bytes("t.yaml", yaml.as_bytes());
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    Inventory::build(loaded.objects, Config::from_yaml("c", config).unwrap())
}

const CLUSTER: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}
---
apiVersion: v1
kind: Namespace
metadata: {name: web}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: payments}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: pay/api:1}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: api-5d9
  namespace: payments
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, uid: u1, controller: true}]
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: pay/api:1}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-5d9-x
  namespace: payments
  labels: {app: api}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-5d9, uid: u2, controller: true}]
spec: {containers: [{name: api, image: pay/api:1}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: orphan
  namespace: web
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: gone, uid: u3, controller: true}]
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: no-namespace}
"#;

#[test]
fn pods_are_reported_at_their_top_owner() {
    let inv = inventory(CLUSTER, "");
    let names: Vec<_> = inv.workloads().iter().map(|w| inv.objects[w.object].object_ref().to_string()).collect();
    assert_eq!(names, ["Deployment/payments/api", "Pod/web/orphan"]);
    assert_eq!(inv.workloads()[0].members.len(), 2);
}

#[test]
fn scope_from_labels_config_and_default() {
    let inv = inventory(CLUSTER, "scope: {connected: {namespaces: [web]}}");
    assert_eq!(inv.namespace_scope("payments"), Scope::Cde);
    assert_eq!(inv.namespace_scope("web"), Scope::Connected);
    assert_eq!(inv.workloads()[0].scope.scope, Scope::Cde);
    assert!(inv.workloads()[0].scope.reason.contains("namespace payments"));
    assert_eq!(inv.namespace_scope("default"), Scope::Unclassified);
    assert_eq!(inv.get("ConfigMap", Some("default"), "no-namespace").map(|o| o.name()), Some("no-namespace"));
}

#[test]
fn workload_label_and_selector_override_namespace() {
    let cfg = "scope: {out: {workloads: [{namespace: payments, selector: {matchLabels: {app: api}}}]}}";
    let inv = inventory(CLUSTER, cfg);
    assert_eq!(inv.workloads()[0].scope.scope, Scope::Out);
}

#[test]
fn service_selectors_use_the_label_index_and_agree_with_matching_every_workload() {
    let mut yaml = String::new();
    for i in 0..40 {
        let tier = ["web", "api", "db"][i % 3];
        let team = ["a", "b"][i % 2];
        yaml.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{i}, namespace: {ns}}}\nspec:\n  selector: {{matchLabels: {{app: d{i}}}}}\n  template:\n    metadata: {{labels: {{app: d{i}, tier: {tier}, team: {team}}}}}\n    spec: {{containers: [{{name: c, image: r/i:1}}]}}\n",
            ns = if i < 30 { "shop" } else { "other" }
        ));
    }
    let inv = inventory(&yaml, "");
    let selectors: [&[(&str, &str)]; 5] = [&[("tier", "web")], &[("tier", "api"), ("team", "a")], &[("app", "d7")], &[("tier", "web"), ("team", "none")], &[]];
    for pairs in selectors {
        let selector: BTreeMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        for ns in ["shop", "other", "absent"] {
            let brute: Vec<usize> = inv
                .workloads_in(ns)
                .filter(|w| !selector.is_empty() && inv.pod_template(w).and_then(|t| t.metadata.labels.as_ref()).is_some_and(|l| selector.iter().all(|(k, v)| l.get(k) == Some(v))))
                .map(|w| w.object)
                .collect();
            let indexed: Vec<usize> = inv.workloads_selected_by(ns, &selector).into_iter().map(|w| w.object).collect();
            assert_eq!(indexed, brute, "{ns} {selector:?}");
        }
    }
    assert_eq!(inv.workloads_selected_by("shop", &[("tier".to_string(), "web".to_string())].into()).len(), 10);
}

#[test]
fn namespaces_without_an_object_are_reported_at_their_first_object() {
    let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: shop}\n---\n\
                apiVersion: v1\nkind: Namespace\nmetadata: {name: payments}\n---\n\
                apiVersion: v1\nkind: Secret\nmetadata: {name: b, namespace: billing}\n---\n\
                apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: billing}\n---\n\
                apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d, namespace: \"\"}\n";
    let inv = inventory(yaml, "");
    let at = |ns: &str| inv.namespace(ns).map(|n| (n.object, n.reported_at));
    assert_eq!(at("shop"), Some((None, 0)));
    assert_eq!(at("payments"), Some((Some(1), 1)));
    // The first object of any kind, whatever order the per-kind lists are read in.
    assert_eq!(at("billing"), Some((None, 2)));
    // An empty namespace is the default one, as the API server reads it.
    assert_eq!(at("default"), Some((None, 4)));
    assert_eq!(at(""), None);
}

#[test]
fn namespace_selectors_classify_namespaces_and_their_workloads() {
    let yaml = "apiVersion: v1\nkind: Namespace\nmetadata: {name: billing, labels: {compliance: pci-dss}}\n---\n\
                apiVersion: v1\nkind: Pod\nmetadata: {name: api, namespace: billing}\nspec: {containers: [{name: c, image: i}]}\n";
    let inv = inventory(yaml, "scope: {cde: {namespaceSelector: {matchLabels: {compliance: pci-dss}}}}");
    assert_eq!(inv.namespace_scope("billing"), Scope::Cde);
    let w = &inv.workloads()[0];
    assert_eq!((w.scope.scope, w.scope.reason.as_str()), (Scope::Cde, "namespace billing: kubepci.yaml scope.cde.namespaceSelector (compliance=pci-dss)"));
    // A namespace only referenced by objects has no labels: a selector on labels cannot pick it.
    let referenced = inventory("apiVersion: v1\nkind: Pod\nmetadata: {name: api, namespace: billing}\nspec: {containers: [{name: c, image: i}]}\n", "scope: {cde: {namespaceSelector: {matchLabels: {compliance: pci-dss}}}}");
    assert_eq!(referenced.namespace_scope("billing"), Scope::Unclassified);
}

#[test]
fn kind_lists_built_in_parallel_ascend_and_hold_every_object_of_the_kind() {
    // Enough objects for the parallel passes to split the input into several runs.
    let kinds = ["ConfigMap", "Secret", "ServiceAccount"];
    let yaml: String = (0..3000).map(|i| format!("apiVersion: v1\nkind: {}\nmetadata: {{name: o{i}}}\n---\n", kinds[i * 7 % 3])).collect();
    let inv = inventory(&yaml, "");
    for kind in kinds {
        let expected: Vec<usize> = inv.objects.iter().enumerate().filter(|(_, o)| o.kind() == kind).map(|(i, _)| i).collect();
        assert_eq!(inv.indices_of_kind(kind), expected, "{kind}");
        assert_eq!(expected.len(), 1000, "{kind}");
    }
    // Namespaced objects without a namespace are in the default one, whichever run they were in.
    assert!(inv.objects.iter().all(|o| o.namespace() == Some("default")));
    assert_eq!(inv.indices_of_kind_in("Secret", "default").len(), 1000);
}
