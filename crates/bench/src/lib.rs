//! A deterministic generator of realistic cluster corpora for benchmarks: namespaces with and
//! without CDE labels, Deployments with their ReplicaSets and Pods (as `kubectl get -o yaml`
//! writes them, with status and managedFields), Services, NetworkPolicies, RBAC, ConfigMaps
//! and Secrets. The same size and seed always give byte-identical output. The XL corpus
//! ([`generate_xl`]) has the shape of a cluster at Kubernetes' tested limits instead.

pub mod audit_log;

use serde_json::{Value, json};

mod xl;
pub use xl::generate_xl;

/// A small, fast, deterministic PRNG (SplitMix64): every generator of benchmark input
/// (these corpora, the RBAC benchmark's roles, the card-number logs) draws from it, so a seed
/// names one input.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// From `lo` to `hi`, both included.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    /// One of `items` (which must not be empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    /// `n` random decimal digits.
    pub fn digits(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b'0' + self.below(10) as u8)).collect()
    }
    /// `n` random lower-case hex digits.
    pub fn hex(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b"0123456789abcdef"[self.below(16) as usize])).collect()
    }
}

/// Objects per namespace "app unit": Deployment, ReplicaSet, 2 Pods, Service, ConfigMap,
/// Secret, ServiceAccount, NetworkPolicy, Role, RoleBinding — about 11 objects.
const UNIT: usize = 11;

pub(crate) fn managed_fields(manager: &str) -> Value {
    json!([{"manager": manager, "operation": "Update", "apiVersion": "v1", "time": "2026-11-01T10:00:00Z", "fieldsType": "FieldsV1",
        "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}, "f:spec": {"f:containers": {}}}}])
}

pub(crate) fn container(rng: &mut Rng, app: &str, hardened: bool) -> Value {
    let image = match rng.below(4) {
        0 => format!("registry.pay.example/{app}:1.{}.{}", rng.below(20), rng.below(10)),
        1 => format!("docker.io/library/{app}:latest"),
        2 => format!("ghcr.io/acme/{app}@sha256:{:064x}", rng.next_u64() as u128 * 7919),
        _ => format!("quay.io/acme/{app}:{}.{}", rng.below(5), rng.below(30)),
    };
    let mut c = json!({
        "name": app,
        "image": image,
        "ports": [{"name": "http", "containerPort": 8080 + rng.below(4), "protocol": "TCP"}],
        "env": [
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "DB_HOST", "value": format!("{app}-db.svc")},
        ],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
    });
    if hardened {
        c["securityContext"] = json!({"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "runAsNonRoot": true, "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}});
        c["resources"]["limits"] = json!({"cpu": "1", "memory": "512Mi"});
    } else if rng.chance(20) {
        c["securityContext"] = json!({"privileged": rng.chance(30), "capabilities": {"add": ["NET_ADMIN"]}});
    }
    if rng.chance(10) {
        c["env"].as_array_mut().expect("array").push(json!({"name": "API_TOKEN", "value": format!("tok-{:x}", rng.next_u64())}));
    }
    c
}

/// Generate about `objects` objects, calling `emit` for each in a stable order.
pub fn generate(objects: usize, seed: u64, mut emit: impl FnMut(&str, Value)) {
    let mut rng = Rng::new(seed);
    let units = (objects / UNIT).max(1);
    let namespaces = (units / 25).max(1);
    for n in 0..namespaces {
        let ns = format!("team-{n:04}");
        let scope = namespace_scope(n);
        let mut labels = json!({"kubernetes.io/metadata.name": ns});
        if let Some(s) = scope {
            labels["pci.kubepci.io/scope"] = json!(s);
        }
        if scope == Some("cde") && rng.chance(70) {
            labels["pod-security.kubernetes.io/enforce"] = json!("restricted");
        }
        emit(&ns, json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}, "status": {"phase": "Active"}}));
        if rng.chance(60) {
            emit(&ns, json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "default-deny", "namespace": ns},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}));
        }
    }
    for u in 0..units {
        let ns = format!("team-{:04}", u % namespaces);
        let app = format!("svc-{u:05}");
        let hardened = rng.chance(50);
        let tier = ["web", "api", "worker", "db"][rng.below(4) as usize];
        let labels = json!({"app": app, "tier": tier});
        let template = json!({"metadata": {"labels": labels}, "spec": {
            "serviceAccountName": if rng.chance(70) { app.clone() } else { "default".into() },
            "containers": [container(&mut rng, &app, hardened)],
            "hostNetwork": rng.chance(2),
        }});
        let meta = |name: &str, kind_owner: Option<(&str, &str)>| {
            let mut m = json!({"name": name, "namespace": ns, "labels": labels, "uid": format!("{:08x}-{}", u, name.len()),
                "resourceVersion": "12345", "creationTimestamp": "2026-11-01T10:00:00Z", "managedFields": managed_fields("kube-controller-manager")});
            if let Some((kind, owner)) = kind_owner {
                m["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": kind, "name": owner, "uid": "0000", "controller": true, "blockOwnerDeletion": true}]);
            }
            m
        };
        emit(&ns, json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(&app, None),
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": app}}, "template": template},
            "status": {"replicas": 2, "readyReplicas": 2, "availableReplicas": 2, "observedGeneration": 1}}));
        let rs = format!("{app}-7d9f8c6b5");
        emit(&ns, json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": meta(&rs, Some(("Deployment", &app))),
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": app}}, "template": template},
            "status": {"replicas": 2, "readyReplicas": 2}}));
        for p in 0..2 {
            let pod = format!("{rs}-{p:05x}");
            let mut spec = template["spec"].clone();
            spec["nodeName"] = json!(format!("node-{:03}", rng.below(200)));
            emit(&ns, json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta(&pod, Some(("ReplicaSet", &rs))), "spec": spec,
                "status": {"phase": "Running", "podIP": format!("10.{}.{}.{}", rng.below(250), rng.below(250), rng.below(250)),
                    "containerStatuses": [{"name": app, "ready": true, "restartCount": 0, "image": "x", "imageID": format!("sha256:{:016x}", rng.next_u64())}]}}));
        }
        emit(&ns, json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": app, "namespace": ns},
            "spec": {"type": if rng.chance(5) { "LoadBalancer" } else { "ClusterIP" }, "selector": {"app": app}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}));
        let mut data = json!({"config.yaml": format!("listen: 8080\nupstream: {app}-db\nretries: 3\n"), "LOG_FORMAT": "json"});
        if rng.chance(1) {
            data["debug.txt"] = json!(format!("replay card 4556737586899855 order {}", rng.below(100000)));
        }
        emit(&ns, json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("{app}-config"), "namespace": ns}, "data": data}));
        emit(&ns, json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": format!("{app}-db"), "namespace": ns}, "type": "Opaque",
            "data": {"password": "c3VwZXItc2VjcmV0LXBhc3N3b3Jk"}}));
        emit(&ns, json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": app, "namespace": ns}, "automountServiceAccountToken": rng.chance(50)}));
        emit(&ns, json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": format!("{app}-ingress"), "namespace": ns},
            "spec": {"podSelector": {"matchLabels": {"app": app}}, "policyTypes": ["Ingress"],
                "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": format!("team-{:04}", rng.below(namespaces as u64))}}, "podSelector": {"matchLabels": {"tier": "web"}}}],
                    "ports": [{"protocol": "TCP", "port": 8080}]}]}}));
        emit(&ns, json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": format!("{app}-reader"), "namespace": ns},
            "rules": [{"apiGroups": [""], "resources": if rng.chance(20) { json!(["secrets"]) } else { json!(["configmaps", "pods"]) }, "verbs": ["get", "list", "watch"]}]}));
        emit(&ns, json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": format!("{app}-reader"), "namespace": ns},
            "subjects": [{"kind": "ServiceAccount", "name": app, "namespace": ns}, {"kind": "Group", "name": format!("team-{}", u % 40), "apiGroup": "rbac.authorization.k8s.io"}],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": format!("{app}-reader")}}));
    }
}

/// The scope label of the generated corpora's `n`th namespace (`None`: unlabelled), so every
/// size has the same mix of CDE, connected, security-impacting and out-of-scope namespaces.
pub(crate) fn namespace_scope(n: usize) -> Option<&'static str> {
    match n % 10 {
        0 | 1 => Some("cde"),
        2 | 3 => Some("connected"),
        4 => Some("security"),
        5..=7 => Some("out"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_splitmix64() {
        // The published SplitMix64 sequence for seed 0.
        let mut rng = Rng::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn draws_stay_in_their_bounds() {
        let mut rng = Rng::new(7);
        for _ in 0..1000 {
            assert!(rng.below(10) < 10);
            assert!((3..=5).contains(&rng.range(3, 5)));
            assert!(["a", "b"].contains(rng.pick(&["a", "b"])));
        }
        assert_eq!(rng.below(0), 0);
        let digits = rng.digits(40);
        assert!(digits.len() == 40 && digits.bytes().all(|b| b.is_ascii_digit()));
        let hex = rng.hex(40);
        assert!(hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    }

    #[test]
    fn the_same_seed_gives_the_same_corpus() {
        let corpus = |seed| {
            let mut out = Vec::new();
            generate(300, seed, |ns, v| out.push((ns.to_string(), v)));
            out
        };
        assert_eq!(corpus(42), corpus(42));
        assert_ne!(corpus(42), corpus(43));
    }
}
