//! The XL corpus: a cluster at Kubernetes' tested limits (about a million objects, 5,300
//! namespaces, 150,000 Pods), in the proportions of a large multi-tenant cluster rather than
//! the S/M/L "app unit" repeated: ReplicaSet history per Deployment, an EndpointSlice per
//! Service, Helm release Secrets, the `kube-root-ca.crt` ConfigMap in every namespace, and
//! many small NetworkPolicies per namespace (default-deny, DNS egress, same-namespace traffic,
//! one ingress allowance per app). Objects are emitted namespace by namespace, so a writer can
//! stream them to one file per namespace with bounded memory.

use serde_json::{Value, json};

use crate::{Rng, container, managed_fields};

/// Objects per namespace, about: the namespace's own (Namespace, ConfigMap, ServiceAccount,
/// quota, limits, policies, RoleBinding: 6 to 9) and `APPS_PER_NAMESPACE` apps of 16 to 21
/// objects (19 on average: 3 Pods).
const OBJECTS_PER_NAMESPACE: usize = 188;
const APPS_PER_NAMESPACE: usize = 10;
/// Old ReplicaSets kept per Deployment (`revisionHistoryLimit` defaults to 10; 2 is typical
/// after a few releases).
const OLD_REPLICA_SETS: usize = 2;

/// The system namespaces every large cluster has; tenants' policies point at them.
const KUBE_SYSTEM: &str = "kube-system";
const INGRESS_NGINX: &str = "ingress-nginx";

fn namespace_object(name: &str, scope: Option<&str>, restricted: bool) -> Value {
    let mut labels = json!({"kubernetes.io/metadata.name": name});
    if let Some(s) = scope {
        labels["pci.kubepci.io/scope"] = json!(s);
    }
    if restricted {
        labels["pod-security.kubernetes.io/enforce"] = json!("restricted");
    }
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}, "status": {"phase": "Active"}})
}

fn network_policy(ns: &str, name: &str, spec: Value) -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": ns}, "spec": spec})
}

/// Generate about `objects` objects (5,319 namespaces per million), calling `emit` with the
/// file key (the namespace, or `cluster` for cluster-scoped objects) and the object; all
/// objects of one key are emitted together.
pub fn generate_xl(objects: usize, seed: u64, mut emit: impl FnMut(&str, Value)) {
    let mut rng = Rng::new(seed);
    let namespaces = (objects / OBJECTS_PER_NAMESPACE).max(1);
    let teams = (namespaces / 25).max(1);
    for t in 0..teams {
        emit("cluster", json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": format!("team-{t}-view")},
            "rules": [{"apiGroups": ["", "apps"], "resources": ["pods", "deployments", "services", "configmaps"], "verbs": ["get", "list", "watch"]}]}));
        emit("cluster", json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": format!("team-{t}-view")},
            "subjects": [{"kind": "Group", "name": format!("team-{t}"), "apiGroup": "rbac.authorization.k8s.io"}],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": format!("team-{t}-view")}}));
    }
    system_namespaces(&mut rng, &mut emit);
    for n in 0..namespaces {
        tenant_namespace(&mut rng, n, namespaces, &mut emit);
    }
}

/// kube-system with the DNS pods, and the ingress controller every tenant admits traffic from.
fn system_namespaces(rng: &mut Rng, emit: &mut impl FnMut(&str, Value)) {
    for (ns, app, labels) in [(KUBE_SYSTEM, "coredns", json!({"k8s-app": "kube-dns"})), (INGRESS_NGINX, "ingress-nginx-controller", json!({"app.kubernetes.io/name": "ingress-nginx"}))] {
        emit(ns, namespace_object(ns, None, false));
        let template = json!({"metadata": {"labels": labels}, "spec": {"serviceAccountName": app, "containers": [container(rng, app, true)]}});
        emit(ns, json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": app, "namespace": ns, "labels": labels},
            "spec": {"replicas": 3, "selector": {"matchLabels": labels}, "template": template}}));
        for p in 0..3 {
            let mut spec = template["spec"].clone();
            spec["nodeName"] = json!(format!("node-{:04}", rng.below(5000)));
            emit(ns, json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("{app}-5f7d8-{p:05x}"), "namespace": ns, "labels": labels,
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("{app}-5f7d8"), "uid": "0000", "controller": true}]},
                "spec": spec, "status": {"phase": "Running", "podIP": format!("10.0.0.{}", 10 + p)}}));
        }
        emit(ns, json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": app, "namespace": ns}}));
    }
}

fn tenant_namespace(rng: &mut Rng, n: usize, namespaces: usize, emit: &mut impl FnMut(&str, Value)) {
    let ns = format!("tenant-{n:04}");
    let scope = crate::namespace_scope(n);
    let in_scope = matches!(scope, Some("cde" | "connected" | "security"));
    // PCI namespaces are all isolated; most others are too, some are left open.
    let isolated = in_scope || rng.chance(70);
    emit(&ns, namespace_object(&ns, scope, scope == Some("cde") && rng.chance(70)));
    emit(&ns, json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube-root-ca.crt", "namespace": ns},
        "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIBADAKBggqhkjOPQQDAjAjMSEwHwYDVQQDDBhrM3Mtc2Vy\n-----END CERTIFICATE-----\n"}}));
    emit(&ns, json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": ns}}));
    emit(&ns, json!({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "compute", "namespace": ns},
        "spec": {"hard": {"requests.cpu": "40", "requests.memory": "80Gi", "pods": "100"}}}));
    emit(&ns, json!({"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "defaults", "namespace": ns},
        "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m", "memory": "256Mi"}, "defaultRequest": {"cpu": "100m", "memory": "128Mi"}}]}}));
    emit(&ns, json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "team-edit", "namespace": ns},
        "subjects": [{"kind": "Group", "name": format!("team-{}", n / 25), "apiGroup": "rbac.authorization.k8s.io"}],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"}}));
    if isolated {
        emit(&ns, network_policy(&ns, "default-deny", json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})));
        emit(&ns, network_policy(&ns, "allow-dns", json!({"podSelector": {}, "policyTypes": ["Egress"],
            "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": KUBE_SYSTEM}}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}]})));
        emit(&ns, network_policy(&ns, "allow-same-namespace", json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"podSelector": {}}]}], "egress": [{"to": [{"podSelector": {}}]}]})));
    }
    for a in 0..APPS_PER_NAMESPACE {
        app(rng, &ns, n, a, namespaces, emit);
    }
}

/// One app: Deployment, its current ReplicaSet with the Pods and its old ones scaled to zero,
/// Service and EndpointSlice, PodDisruptionBudget, ConfigMap, Secret and Helm release Secrets, ServiceAccount, an
/// ingress NetworkPolicy, Role and RoleBinding.
fn app(rng: &mut Rng, ns: &str, n: usize, a: usize, namespaces: usize, emit: &mut impl FnMut(&str, Value)) {
    let app = format!("app-{n:04}-{a:02}");
    let tier = ["web", "api", "worker", "db"][rng.below(4) as usize];
    let replicas = [1, 2, 2, 3, 3, 3, 4, 6][rng.below(8) as usize];
    let hardened = rng.chance(60);
    let labels = json!({"app": app, "tier": tier});
    let template = json!({"metadata": {"labels": labels}, "spec": {
        "serviceAccountName": if rng.chance(80) { app.clone() } else { "default".into() },
        "containers": [container(rng, &app, hardened)],
        "hostNetwork": rng.chance(1),
    }});
    let meta = |name: &str, labels: &Value, owner: Option<(&str, &str)>| {
        let mut m = json!({"name": name, "namespace": ns, "labels": labels, "uid": format!("{n:04x}{a:02x}-{}", name.len()),
            "resourceVersion": "12345", "creationTimestamp": "2026-11-01T10:00:00Z", "managedFields": managed_fields("kube-controller-manager")});
        if let Some((kind, owner)) = owner {
            m["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": kind, "name": owner, "uid": "0000", "controller": true, "blockOwnerDeletion": true}]);
        }
        m
    };
    emit(ns, json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(&app, &labels, None),
        "spec": {"replicas": replicas, "revisionHistoryLimit": 3, "selector": {"matchLabels": {"app": app}}, "template": template},
        "status": {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas, "observedGeneration": 3}}));
    for revision in 0..=OLD_REPLICA_SETS {
        let hash = rng.hex(10);
        let rs = format!("{app}-{hash}");
        let live = revision == OLD_REPLICA_SETS;
        let count = if live { replicas } else { 0 };
        let mut rs_labels = labels.clone();
        rs_labels["pod-template-hash"] = json!(hash);
        let mut rs_template = template.clone();
        rs_template["metadata"]["labels"] = rs_labels.clone();
        emit(ns, json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": meta(&rs, &rs_labels, Some(("Deployment", &app))),
            "spec": {"replicas": count, "selector": {"matchLabels": {"app": app, "pod-template-hash": hash}}, "template": rs_template},
            "status": {"replicas": count, "readyReplicas": count, "observedGeneration": 1}}));
        if live {
            let current = rs;
            let mut ips = Vec::new();
            for p in 0..replicas {
                let pod = format!("{current}-{}", rng.hex(5));
                let mut spec = rs_template["spec"].clone();
                spec["nodeName"] = json!(format!("node-{:04}", rng.below(5000)));
                let ip = format!("10.{}.{}.{}", 1 + n / 250, n % 250, 10 + a * 8 + p);
                ips.push(ip.clone());
                emit(ns, json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta(&pod, &rs_labels, Some(("ReplicaSet", &current))), "spec": spec,
                    "status": {"phase": "Running", "podIP": ip,
                        "containerStatuses": [{"name": app, "ready": true, "restartCount": 0, "image": "x", "imageID": format!("sha256:{:016x}", rng.next_u64())}]}}));
            }
            emit(ns, json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": app, "namespace": ns},
                "spec": {"type": if rng.chance(2) { "LoadBalancer" } else { "ClusterIP" }, "selector": {"app": app}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}));
            let endpoints: Vec<Value> = ips.iter().map(|ip| json!({"addresses": [ip], "conditions": {"ready": true}})).collect();
            emit(ns, json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"name": format!("{app}-{}", rng.hex(5)), "namespace": ns, "labels": {"kubernetes.io/service-name": app}},
                "addressType": "IPv4", "endpoints": endpoints, "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}));
        }
    }
    emit(ns, json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": app, "namespace": ns},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": app}}}}));
    let mut data = json!({"config.yaml": format!("listen: 8080\nupstream: {app}-db\nretries: 3\n"), "LOG_FORMAT": "json"});
    if rng.chance(1) {
        data["debug.txt"] = json!(format!("replay card 4556737586899855 order {}", rng.below(100000)));
    }
    emit(ns, json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("{app}-config"), "namespace": ns}, "data": data}));
    emit(ns, json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": format!("{app}-db"), "namespace": ns}, "type": "Opaque",
        "data": {"password": "c3VwZXItc2VjcmV0LXBhc3N3b3Jk"}}));
    for version in 1..=2 {
        emit(ns, json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": format!("sh.helm.release.v1.{app}.v{version}"), "namespace": ns,
            "labels": {"owner": "helm", "name": app, "version": version.to_string(), "status": if version == 2 { "deployed" } else { "superseded" }}},
            "type": "helm.sh/release.v1", "data": {"release": "SDRzSUFBQUFBQUFDLzZ5U3pXcnJNQkRGMytYbXNtUnpHNXo2SnM="}}));
    }
    emit(ns, json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": app, "namespace": ns}, "automountServiceAccountToken": rng.chance(40)}));
    // Web apps admit the ingress controller; the others a web tier of some namespace.
    let from = if tier == "web" {
        json!([{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": INGRESS_NGINX}}, "podSelector": {"matchLabels": {"app.kubernetes.io/name": "ingress-nginx"}}}])
    } else {
        json!([{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": format!("tenant-{:04}", rng.below(namespaces as u64))}}, "podSelector": {"matchLabels": {"tier": "web"}}}])
    };
    emit(ns, network_policy(ns, &format!("{app}-ingress"), json!({"podSelector": {"matchLabels": {"app": app}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": from, "ports": [{"protocol": "TCP", "port": 8080}]}]})));
    emit(ns, json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": format!("{app}-reader"), "namespace": ns},
        "rules": [{"apiGroups": [""], "resources": if rng.chance(15) { json!(["secrets"]) } else { json!(["configmaps", "pods"]) }, "verbs": ["get", "list", "watch"]}]}));
    emit(ns, json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": format!("{app}-reader"), "namespace": ns},
        "subjects": [{"kind": "ServiceAccount", "name": app, "namespace": ns}],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": format!("{app}-reader")}}));
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashSet};

    use super::*;

    fn corpus(objects: usize) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        generate_xl(objects, 42, |key, v| out.push((key.to_string(), v)));
        out
    }

    #[test]
    fn xl_is_deterministic_and_grouped_by_namespace() {
        let a = corpus(4_000);
        assert_eq!(a, corpus(4_000));
        // Every key's objects are contiguous, so a writer can close a file when the key changes.
        let mut seen = HashSet::new();
        let mut last = "";
        for (key, _) in &a {
            if key != last {
                assert!(seen.insert(key.clone()), "{key} emitted in two runs");
                last = key;
            }
        }
    }

    #[test]
    fn xl_has_the_proportions_of_a_large_cluster() {
        let objects = 20_000;
        let all = corpus(objects);
        let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, v) in &all {
            *kinds.entry(v["kind"].as_str().expect("kind")).or_default() += 1;
        }
        let total = all.len();
        assert!(total.abs_diff(objects) * 20 < objects, "{total} objects for {objects}");
        let namespaces = kinds["Namespace"] - 2;
        assert_eq!(namespaces, objects / OBJECTS_PER_NAMESPACE);
        assert_eq!(kinds["Deployment"], namespaces * APPS_PER_NAMESPACE + 2);
        assert_eq!(kinds["ReplicaSet"], namespaces * APPS_PER_NAMESPACE * (OLD_REPLICA_SETS + 1));
        assert_eq!(kinds["EndpointSlice"], kinds["Service"]);
        // About 15 % Pods (150,000 per million), and several small policies per namespace.
        let pods = kinds["Pod"] as f64 / total as f64;
        assert!((0.12..0.18).contains(&pods), "{pods}");
        assert!(kinds["NetworkPolicy"] > namespaces * (APPS_PER_NAMESPACE + 2));
    }
}
