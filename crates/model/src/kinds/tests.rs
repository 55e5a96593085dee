use super::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

const EVERY_FIELD: &str = include_str!("../../testdata/kinds-every-field.json");

fn fixture(kind: &str) -> String {
    let all: Vec<Value> = serde_json::from_str(EVERY_FIELD).unwrap();
    all.into_iter().find(|d| d["kind"] == kind).unwrap().to_string()
}

/// Keys k8s-openapi writes for a value of its own type: every field of the fixture set.
fn key_count(v: &Value) -> usize {
    v.as_object().map_or(0, |m| m.len())
}

#[test]
fn the_fixture_sets_every_field() {
    let k: discovery::EndpointSlice = serde_json::from_str(&fixture("EndpointSlice")).unwrap();
    let v = serde_json::to_value(&k).unwrap();
    // k8s-openapi leaves absent fields out, so these counts are its structs' field counts.
    assert_eq!(key_count(&v), 6, "EndpointSlice");
    assert_eq!(key_count(&v["endpoints"][0]), 8, "Endpoint");
    assert_eq!(key_count(&v["ports"][0]), 4, "EndpointPort");
    let k: policy::PodDisruptionBudget = serde_json::from_str(&fixture("PodDisruptionBudget")).unwrap();
    let v = serde_json::to_value(&k).unwrap();
    assert_eq!((key_count(&v["spec"]), key_count(&v["status"])), (4, 7), "PodDisruptionBudget");
    let k: core::LimitRange = serde_json::from_str(&fixture("LimitRange")).unwrap();
    let v = serde_json::to_value(&k).unwrap();
    assert_eq!(key_count(&v["spec"]["limits"][0]), 6, "LimitRangeItem");
    let k: core::ResourceQuota = serde_json::from_str(&fixture("ResourceQuota")).unwrap();
    let v = serde_json::to_value(&k).unwrap();
    assert_eq!((key_count(&v["spec"]), key_count(&v["status"])), (3, 2), "ResourceQuota");
}

/// The same text read by k8s-openapi and by the compact type: equal values both ways, and
/// byte-identical JSON.
fn round_trip<K, C>(kind: &str)
where
    K: DeserializeOwned + Serialize + Clone + PartialEq + std::fmt::Debug + From<C>,
    C: DeserializeOwned + Serialize + Clone + PartialEq + std::fmt::Debug + From<K>,
{
    let text = fixture(kind);
    let k: K = serde_json::from_str(&text).unwrap();
    let c: C = serde_json::from_str(&text).unwrap();
    assert_eq!(serde_json::to_string(&c).unwrap(), serde_json::to_string(&k).unwrap(), "{kind}");
    assert_eq!(serde_json::to_string_pretty(&c).unwrap(), serde_json::to_string_pretty(&k).unwrap(), "{kind}");
    assert_eq!(K::from(c.clone()), k, "{kind}");
    assert_eq!(C::from(k.clone()), c, "{kind}");
    // Through a JSON value too (the path the generic decoder and the snapshots take).
    let from_value: C = serde_json::from_value(serde_json::to_value(&k).unwrap()).unwrap();
    assert_eq!(from_value, c, "{kind}");
}

#[test]
fn round_trips_match_k8s_openapi_exactly() {
    round_trip::<discovery::EndpointSlice, EndpointSlice>("EndpointSlice");
    round_trip::<policy::PodDisruptionBudget, PodDisruptionBudget>("PodDisruptionBudget");
    round_trip::<core::LimitRange, LimitRange>("LimitRange");
    round_trip::<core::ResourceQuota, ResourceQuota>("ResourceQuota");
}

#[test]
fn minimal_and_empty_documents_match() {
    for text in [
        r#"{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"s"}}"#,
        r#"{}"#,
        r#"{"addressType":"IPv4","endpoints":null,"ports":null}"#,
        r#"{"endpoints":[{"addresses":[]},{}],"extra":{"x":[1]}}"#,
        r#"{"endpoints":[{"addresses":["a"],"conditions":{},"targetRef":{}}]}"#,
    ] {
        let k: discovery::EndpointSlice = serde_json::from_str(text).unwrap();
        let c: EndpointSlice = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), serde_json::to_string(&k).unwrap(), "{text}");
        assert_eq!(discovery::EndpointSlice::from(c), k, "{text}");
    }
    for text in [r#"{}"#, r#"{"spec":{},"status":null}"#, r#"{"spec":{"minAvailable":"50%"},"status":{}}"#] {
        let k: policy::PodDisruptionBudget = serde_json::from_str(text).unwrap();
        let c: PodDisruptionBudget = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), serde_json::to_string(&k).unwrap(), "{text}");
        assert_eq!(policy::PodDisruptionBudget::from(c), k, "{text}");
    }
    // Quantities written as numbers read as k8s-openapi reads them.
    for text in [r#"{"spec":{"hard":{"pods":10,"cpu":1.5}}}"#, r#"{"spec":null}"#] {
        let k: core::ResourceQuota = serde_json::from_str(text).unwrap();
        let c: ResourceQuota = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), serde_json::to_string(&k).unwrap(), "{text}");
    }
    for text in [r#"{"spec":{"limits":[{"type":"Pod","max":{"cpu":2}}]}}"#, r#"{"spec":{}}"#] {
        let k: core::LimitRange = serde_json::from_str(text).unwrap();
        let c: LimitRange = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), serde_json::to_string(&k).unwrap(), "{text}");
    }
}

/// A repeated key keeps its last value, as in k8s-openapi.
#[test]
fn a_repeated_field_keeps_the_last_value() {
    let text = r#"{"addressType":"IPv4","addressType":"IPv6","endpoints":[{"addresses":["a"],"addresses":["b"],"zone":"z1","zone":"z2"}]}"#;
    let k: discovery::EndpointSlice = serde_json::from_str(text).unwrap();
    let c: EndpointSlice = serde_json::from_str(text).unwrap();
    assert_eq!(discovery::EndpointSlice::from(c.clone()), k);
    assert_eq!((c.address_type.as_str(), c.endpoints.unwrap()[0].addresses[0].as_str()), ("IPv6", "b"));
}

/// Malformed documents fail the same way, with the same message and field path.
fn same_errors<K: DeserializeOwned + std::fmt::Debug, C: DeserializeOwned + std::fmt::Debug>(texts: &[&str]) {
    for text in texts {
        let k = serde_json::from_str::<K>(text).unwrap_err().to_string();
        let c = serde_json::from_str::<C>(text).unwrap_err().to_string();
        assert_eq!(c, k, "{text}");
        let k = serde_path_to_error::deserialize::<_, K>(&mut serde_json::Deserializer::from_str(text)).unwrap_err();
        let c = serde_path_to_error::deserialize::<_, C>(&mut serde_json::Deserializer::from_str(text)).unwrap_err();
        assert_eq!(c.path().to_string(), k.path().to_string(), "{text}");
    }
}

#[test]
fn errors_match_k8s_openapi() {
    same_errors::<discovery::EndpointSlice, EndpointSlice>(&[
        r#"{"apiVersion":"discovery.k8s.io/v1beta1","kind":"EndpointSlice"}"#,
        r#"{"apiVersion":"discovery.k8s.io/v1","kind":"Endpoints"}"#,
        r#"{"endpoints":"nope"}"#,
        r#"{"endpoints":[{"addresses":"10.0.0.1"}]}"#,
        r#"{"endpoints":[{"addresses":["a"],"conditions":{"ready":"yes"}}]}"#,
        r#"{"endpoints":[{"targetRef":[]}]}"#,
        r#"{"endpoints":[{"deprecatedTopology":{"k":1}}]}"#,
        r#"{"ports":[{"port":"http"}]}"#,
        r#"{"addressType":7}"#,
        r#"[]"#,
    ]);
    same_errors::<policy::PodDisruptionBudget, PodDisruptionBudget>(&[
        r#"{"apiVersion":"policy/v1beta1","kind":"PodDisruptionBudget"}"#,
        r#"{"spec":{"maxUnavailable":[]}}"#,
        r#"{"spec":{"selector":{"matchLabels":{"a":1}}}}"#,
        r#"{"status":{"currentHealthy":"3"}}"#,
    ]);
    same_errors::<core::LimitRange, LimitRange>(&[r#"{"spec":{"limits":{}}}"#, r#"{"spec":{"limits":[{"max":{"cpu":[]}}]}}"#]);
    same_errors::<core::ResourceQuota, ResourceQuota>(&[r#"{"spec":{"scopes":"x"}}"#, r#"{"status":{"used":[]}}"#, r#"{"kind":"LimitRange"}"#]);
}

/// What the compact layout is for: an absent sub-struct costs a pointer.
#[test]
fn the_compact_types_are_small() {
    use std::mem::size_of;
    assert!(size_of::<Endpoint>() * 2 < size_of::<discovery::Endpoint>(), "Endpoint {}", size_of::<Endpoint>());
    assert!(size_of::<PodDisruptionBudget>() < size_of::<policy::PodDisruptionBudget>(), "PodDisruptionBudget {}", size_of::<PodDisruptionBudget>());
    assert!(size_of::<ResourceQuota>() < size_of::<core::ResourceQuota>(), "ResourceQuota {}", size_of::<ResourceQuota>());
}

/// Decoded lists keep no spare room: a one-item list holds one item's bytes.
#[test]
fn decoded_lists_are_shrunk_to_their_length() {
    let slice: EndpointSlice = serde_json::from_str(
        r#"{"endpoints":[{"addresses":["a"],"hints":{"forZones":[{"name":"z"}],"forNodes":[{"name":"n"}]}}],"ports":[{"port":80}]}"#,
    )
    .unwrap();
    let endpoints = slice.endpoints.as_ref().unwrap();
    assert_eq!((endpoints.capacity(), endpoints[0].addresses.capacity()), (1, 1));
    let hints = endpoints[0].hints.as_ref().unwrap();
    assert_eq!((hints.for_zones.as_ref().unwrap().capacity(), hints.for_nodes.as_ref().unwrap().capacity()), (1, 1));
    assert_eq!(slice.ports.as_ref().unwrap().capacity(), 1);

    let pdb: PodDisruptionBudget = serde_json::from_str(
        r#"{"spec":{"selector":{"matchExpressions":[{"key":"k","operator":"In","values":["v"]}]}},"status":{"conditions":[{"type":"t","status":"True","reason":"r","message":"","lastTransitionTime":"2026-11-01T10:00:00Z"}]}}"#,
    )
    .unwrap();
    let expressions = pdb.spec.as_ref().unwrap().selector.as_ref().unwrap().match_expressions.as_ref().unwrap();
    assert_eq!((expressions.capacity(), expressions[0].values.as_ref().unwrap().capacity()), (1, 1));
    assert_eq!(pdb.status.as_ref().unwrap().conditions.as_ref().unwrap().capacity(), 1);

    let limits: LimitRange = serde_json::from_str(r#"{"spec":{"limits":[{"type":"Container"}]}}"#).unwrap();
    assert_eq!(limits.spec.unwrap().limits.capacity(), 1);

    let quota: ResourceQuota =
        serde_json::from_str(r#"{"spec":{"scopes":["s"],"scopeSelector":{"matchExpressions":[{"operator":"In","scopeName":"PriorityClass","values":["v"]}]}}}"#).unwrap();
    let spec = quota.spec.unwrap();
    assert_eq!(spec.scopes.unwrap().capacity(), 1);
    let expressions = spec.scope_selector.unwrap().match_expressions.unwrap();
    assert_eq!((expressions.capacity(), expressions[0].values.as_ref().unwrap().capacity()), (1, 1));
}

/// The four kinds decode typed on both paths, keep their status, and an EndpointSlice of
/// `v1beta1` (whose endpoints have a `topology` map) stays generic.
#[test]
fn decoded_as_objects() {
    use crate::{Resource, SourceLoc, decode_direct, decode_value};
    let all: Vec<Value> = serde_json::from_str(EVERY_FIELD).unwrap();
    for doc in all {
        let text = doc.to_string();
        let (api_version, kind) = (doc["apiVersion"].as_str().unwrap().to_string(), doc["kind"].as_str().unwrap().to_string());
        let direct = decode_direct(&api_version, &kind, &mut serde_json::Deserializer::from_str(&text), SourceLoc::new("t", 1, 1)).unwrap().unwrap();
        let value = decode_value(doc.clone(), SourceLoc::new("t", 1, 1)).unwrap();
        assert_eq!(direct, value, "{kind}");
        assert!(!matches!(value.resource, Resource::Generic(_)), "{kind}");
        assert_eq!(value.kind(), kind);
        let written = match &value.resource {
            Resource::EndpointSlice(o) => serde_json::to_value(o),
            Resource::PodDisruptionBudget(o) => serde_json::to_value(o),
            Resource::LimitRange(o) => serde_json::to_value(o),
            Resource::ResourceQuota(o) => serde_json::to_value(o),
            other => panic!("{other:?}"),
        };
        assert_eq!(written.unwrap(), doc, "{kind}: nothing dropped, status included");
    }
    let old = serde_json::json!({"apiVersion":"policy/v1beta1","kind":"PodDisruptionBudget","metadata":{"name":"p"},"spec":{"minAvailable":1}});
    let o = decode_value(old, SourceLoc::new("t", 1, 1)).unwrap();
    assert!(matches!(o.resource, Resource::PodDisruptionBudget(_)));
    assert_eq!(o.api_version, "policy/v1beta1");
    let old = serde_json::json!({"apiVersion":"discovery.k8s.io/v1beta1","kind":"EndpointSlice","metadata":{"name":"s"},"addressType":"IPv4",
        "endpoints":[{"addresses":["10.0.0.1"],"topology":{"kubernetes.io/hostname":"n1"}}]});
    let o = decode_value(old, SourceLoc::new("t", 1, 1)).unwrap();
    let Resource::Generic(g) = &o.resource else { panic!("v1beta1 stays generic") };
    assert_eq!(g.body["endpoints"][0]["topology"]["kubernetes.io/hostname"], "n1");
}

/// The kinds kept as k8s-openapi has them apart from their metadata: the same JSON both ways
/// and lossless conversions, with metadata setting every field `Meta` keeps.
#[test]
fn the_kinds_with_compact_metadata_match_k8s_openapi() {
    use k8s_openapi::api::admissionregistration::v1 as admission;
    use k8s_openapi::api::networking::v1 as networking;
    use k8s_openapi::api::rbac::v1 as rbac;
    use serde_json::json;

    fn check<K, C>(doc: Value)
    where
        K: DeserializeOwned + Serialize + Clone + PartialEq + std::fmt::Debug + From<C>,
        C: DeserializeOwned + Serialize + Clone + PartialEq + std::fmt::Debug + From<K>,
    {
        let metadata = json!({"annotations": {"z": "1", "a": ""}, "creationTimestamp": "2026-11-01T10:00:00Z", "finalizers": ["f"],
            "generation": 2, "labels": {"app": "web", "pci": "cde"}, "name": "x", "namespace": "shop",
            "ownerReferences": [{"apiVersion": "v1", "kind": "K", "name": "o", "uid": "1"}], "resourceVersion": "9", "uid": "u"});
        for meta in [metadata, json!({"name": "x"}), json!({})] {
            let mut doc = doc.clone();
            doc["metadata"] = meta;
            let text = doc.to_string();
            let k: K = serde_json::from_str(&text).unwrap();
            let c: C = serde_json::from_str(&text).unwrap();
            assert_eq!(serde_json::to_string(&c).unwrap(), serde_json::to_string(&k).unwrap(), "{text}");
            assert_eq!(K::from(c.clone()), k, "{text}");
            assert_eq!(C::from(k.clone()), c, "{text}");
            let from_value: C = serde_json::from_value(serde_json::to_value(&k).unwrap()).unwrap();
            assert_eq!(from_value, c, "{text}");
        }
    }

    check::<core::Namespace, Namespace>(json!({"apiVersion": "v1", "kind": "Namespace", "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}));
    check::<core::Service, Service>(json!({"apiVersion": "v1", "kind": "Service",
        "spec": {"type": "LoadBalancer", "selector": {"app": "web"}, "ports": [{"port": 443, "targetPort": "https", "name": "https"}], "loadBalancerSourceRanges": ["10.0.0.0/8"]},
        "status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}}));
    check::<core::ConfigMap, ConfigMap>(json!({"apiVersion": "v1", "kind": "ConfigMap", "binaryData": {"b": "AAE="}, "data": {"k": "v"}, "immutable": true}));
    check::<core::Secret, Secret>(json!({"apiVersion": "v1", "kind": "Secret", "data": {"password": "c2VjcmV0"}, "immutable": false, "stringData": {"s": "t"}, "type": "Opaque"}));
    check::<core::ServiceAccount, ServiceAccount>(json!({"apiVersion": "v1", "kind": "ServiceAccount", "automountServiceAccountToken": false,
        "imagePullSecrets": [{"name": "pull"}], "secrets": [{"name": "token"}]}));
    check::<core::Node, Node>(json!({"apiVersion": "v1", "kind": "Node", "spec": {"podCIDR": "10.1.0.0/24", "taints": [{"key": "k", "effect": "NoSchedule"}]},
        "status": {"nodeInfo": {"kubeletVersion": "v1.31.0", "architecture": "amd64", "bootID": "", "containerRuntimeVersion": "", "kernelVersion": "", "kubeProxyVersion": "", "machineID": "", "operatingSystem": "linux", "osImage": "", "systemUUID": ""}}}));
    check::<core::PersistentVolumeClaim, PersistentVolumeClaim>(json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "fast", "resources": {"requests": {"storage": "1Gi"}}}, "status": {"phase": "Bound"}}));
    check::<networking::Ingress, Ingress>(json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "spec": {"ingressClassName": "nginx", "tls": [{"hosts": ["a.example"], "secretName": "tls"}],
            "rules": [{"host": "a.example", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]},
        "status": {"loadBalancer": {}}}));
    check::<networking::NetworkPolicy, NetworkPolicy>(json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"namespaceSelector": {}}], "ports": [{"port": 80}]}]}}));
    check::<rbac::Role, Role>(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]}));
    check::<rbac::ClusterRole, ClusterRole>(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"agg": "true"}}]}, "rules": [{"nonResourceURLs": ["/metrics"], "verbs": ["get"]}]}));
    check::<rbac::RoleBinding, RoleBinding>(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"}, "subjects": [{"kind": "ServiceAccount", "name": "sa", "namespace": "shop"}]}));
    check::<rbac::ClusterRoleBinding, ClusterRoleBinding>(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "r"}, "subjects": [{"kind": "Group", "name": "g", "apiGroup": "rbac.authorization.k8s.io"}]}));
    check::<admission::ValidatingWebhookConfiguration, ValidatingWebhookConfiguration>(json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "webhooks": [{"name": "v.example", "admissionReviewVersions": ["v1"], "sideEffects": "None", "clientConfig": {"service": {"name": "w", "namespace": "s"}}, "failurePolicy": "Ignore"}]}));
    check::<admission::MutatingWebhookConfiguration, MutatingWebhookConfiguration>(json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
        "webhooks": [{"name": "m.example", "admissionReviewVersions": ["v1"], "sideEffects": "None", "clientConfig": {"url": "https://m.example"}, "reinvocationPolicy": "Never"}]}));
    // A RoleBinding without its required roleRef reads as k8s-openapi reads it (the default).
    check::<rbac::RoleBinding, RoleBinding>(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding"}));
}
