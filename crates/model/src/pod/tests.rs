use super::*;
use serde_json::{Value, json};

const EVERY_FIELD: &str = include_str!("../../testdata/pod-every-field.json");

/// Keys k8s-openapi writes for a value of its own type: every field of the fixture set.
fn key_count(v: &Value) -> usize {
    v.as_object().map_or(0, |m| m.len())
}

#[test]
fn the_fixture_sets_every_field() {
    let k: k8s::Pod = serde_json::from_str(EVERY_FIELD).unwrap();
    let v = serde_json::to_value(&k).unwrap();
    // k8s-openapi leaves absent fields out, so these counts are its structs' field counts.
    assert_eq!(key_count(&v["spec"]), 43, "PodSpec");
    assert_eq!(key_count(&v["spec"]["containers"][0]), 25, "Container");
    assert_eq!(key_count(&v["spec"]["containers"][0]["env"][1]), 2, "EnvVar with valueFrom");
    let volumes = v["spec"]["volumes"].as_array().unwrap();
    assert_eq!(key_count(volumes.last().unwrap()), 31, "Volume");
}

/// The same text read by k8s-openapi and by the compact types: equal values both ways, and
/// byte-identical JSON.
#[test]
fn round_trip_matches_k8s_openapi_exactly() {
    let k: k8s::Pod = serde_json::from_str(EVERY_FIELD).unwrap();
    let c: Pod = serde_json::from_str(EVERY_FIELD).unwrap();
    assert_eq!(serde_json::to_string(&c).unwrap(), serde_json::to_string(&k).unwrap());
    assert_eq!(serde_json::to_string_pretty(&c).unwrap(), serde_json::to_string_pretty(&k).unwrap());
    assert_eq!(k8s::Pod::from(c.clone()), k);
    assert_eq!(Pod::from(k.clone()), c);
    // Through a JSON value too (the path the generic decoder and the snapshots take).
    let from_value: Pod = serde_json::from_value(serde_json::to_value(&k).unwrap()).unwrap();
    assert_eq!(from_value, c);
}

#[test]
fn the_spec_alone_round_trips() {
    let k: k8s::Pod = serde_json::from_str(EVERY_FIELD).unwrap();
    let spec = k.spec.unwrap();
    let compact = PodSpec::from(spec.clone());
    assert_eq!(serde_json::to_value(&compact).unwrap(), serde_json::to_value(&spec).unwrap());
    assert_eq!(k8s::PodSpec::from(compact), spec);
}

#[test]
fn minimal_and_empty_pods_match() {
    for text in [
        r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}"#,
        r#"{"metadata":{"name":"p"},"spec":{}}"#,
        r#"{}"#,
        r#"{"spec":{"containers":[{}],"volumes":[{"name":"v"}]},"status":null}"#,
        r#"{"spec":{"containers":null,"initContainers":[],"nodeName":null},"extra":{"x":[1]}}"#,
    ] {
        let k: k8s::Pod = serde_json::from_str(text).unwrap();
        let c: Pod = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), serde_json::to_string(&k).unwrap(), "{text}");
        assert_eq!(k8s::Pod::from(c), k, "{text}");
    }
}

/// A repeated key keeps its last value, as in k8s-openapi (serde's derive would refuse it).
#[test]
fn a_repeated_field_keeps_the_last_value() {
    let text = r#"{"spec":{"nodeName":"a","nodeName":"b","containers":[{"name":"x","name":"y"}]}}"#;
    let k: k8s::Pod = serde_json::from_str(text).unwrap();
    let c: Pod = serde_json::from_str(text).unwrap();
    assert_eq!(k8s::Pod::from(c.clone()), k);
    assert_eq!(c.spec.unwrap().containers[0].name, "y");
}

/// Malformed documents fail the same way, with the same message.
#[test]
fn errors_match_k8s_openapi() {
    for text in [
        r#"{"apiVersion":"v2","kind":"Pod"}"#,
        r#"{"apiVersion":"v1","kind":"Service"}"#,
        r#"{"spec":{"containers":"nope"}}"#,
        r#"{"spec":{"containers":[{"name":"c","securityContext":{"privileged":"yes"}}]}}"#,
        r#"{"spec":{"volumes":[{"name":"v","hostPath":{"path":7}}]}}"#,
        r#"{"spec":{"containers":[{"env":[{"name":"E","valueFrom":[]}]}]}}"#,
        r#"{"spec":[]}"#,
        r#"[]"#,
        r#"{"spec":{"priority":"high"}}"#,
    ] {
        let k = serde_json::from_str::<k8s::Pod>(text).unwrap_err().to_string();
        let c = serde_json::from_str::<Pod>(text).unwrap_err().to_string();
        assert_eq!(c, k, "{text}");
        let k = serde_path_to_error::deserialize::<_, k8s::Pod>(&mut serde_json::Deserializer::from_str(text)).unwrap_err();
        let c = serde_path_to_error::deserialize::<_, Pod>(&mut serde_json::Deserializer::from_str(text)).unwrap_err();
        assert_eq!(c.path().to_string(), k.path().to_string(), "{text}");
    }
}

/// What the compact layout is for: an absent sub-struct costs a pointer.
#[test]
fn the_compact_types_are_small() {
    use std::mem::size_of;
    assert!(size_of::<Container>() * 4 < size_of::<k8s::Container>(), "Container {}", size_of::<Container>());
    assert!(size_of::<Volume>() * 10 < size_of::<k8s::Volume>(), "Volume {}", size_of::<Volume>());
    assert!(size_of::<EnvVar>() * 5 < size_of::<k8s::EnvVar>(), "EnvVar {}", size_of::<EnvVar>());
    assert!(size_of::<PodSpec>() < size_of::<k8s::PodSpec>(), "PodSpec {}", size_of::<PodSpec>());
}

#[test]
fn reads_like_k8s_openapi() {
    let c: Pod = serde_json::from_value(json!({"spec":{"containers":[{"name":"c","securityContext":{"privileged":true}}],
        "volumes":[{"name":"h","hostPath":{"path":"/"}}]}}))
    .unwrap();
    let spec = c.spec.as_ref().unwrap();
    assert_eq!(spec.containers[0].security_context.as_ref().and_then(|s| s.privileged), Some(true));
    assert_eq!(spec.volumes.as_ref().unwrap()[0].host_path.as_ref().map(|h| h.path.as_str()), Some("/"));
    assert_eq!(<Pod as k8s_openapi::Resource>::KIND, "Pod");
}

/// Decoded lists keep no spare room: a one-item list holds one item's bytes.
#[test]
fn decoded_lists_are_shrunk_to_their_length() {
    let text = r#"{"spec":{"containers":[{"name":"c","env":[{"name":"A","value":"1"}],"ports":[{"containerPort":80}],"volumeMounts":[{"name":"v","mountPath":"/v"}]}],
        "volumes":[{"name":"v","emptyDir":{}}],"tolerations":[{"key":"k"}]},
        "status":{"containerStatuses":[{"name":"c","image":"i","imageID":"","ready":true,"restartCount":0}]}}"#;
    let pod: Pod = serde_json::from_str(text).unwrap();
    let spec = pod.spec.as_ref().unwrap();
    let c = &spec.containers[0];
    assert_eq!(spec.containers.capacity(), 1);
    assert_eq!(c.env.as_ref().unwrap().capacity(), 1);
    assert_eq!(c.ports.as_ref().unwrap().capacity(), 1);
    assert_eq!(c.volume_mounts.as_ref().unwrap().capacity(), 1);
    assert_eq!(spec.volumes.as_ref().unwrap().capacity(), 1);
    assert_eq!(spec.tolerations.as_ref().unwrap().capacity(), 1);
    assert_eq!(pod.status.as_ref().unwrap().container_statuses.as_ref().unwrap().capacity(), 1);
    let k: k8s::Pod = serde_json::from_str(text).unwrap();
    assert_eq!(k8s::Pod::from(pod), k);
}
