use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::*;

const EVERY_FIELD: &str = include_str!("../../testdata/controllers-every-field.json");
const POD_EVERY_FIELD: &str = include_str!("../../testdata/pod-every-field.json");

/// The fixture's documents, by kind.
fn fixture(kind: &str) -> Value {
    let all: Vec<Value> = serde_json::from_str(EVERY_FIELD).unwrap();
    all.into_iter().find(|d| d["kind"] == kind).unwrap_or_else(|| panic!("no {kind} in the fixture"))
}

/// Where each kind's pod template sits in its JSON.
fn template_pointer(kind: &str) -> &'static str {
    match kind {
        "CronJob" => "/spec/jobTemplate/spec/template",
        _ => "/spec/template",
    }
}

/// The fixture document with the Pod fixture's every-field spec as its template's spec.
fn with_every_pod_field(kind: &str) -> Value {
    let pod: Value = serde_json::from_str(POD_EVERY_FIELD).unwrap();
    let mut doc = fixture(kind);
    doc.pointer_mut(template_pointer(kind)).unwrap()["spec"] = pod["spec"].clone();
    doc
}

/// A compact kind and its k8s-openapi counterpart, read from the same text.
trait Pair: DeserializeOwned + Serialize + Clone + Debug + PartialEq + From<Self::K8s> + Into<Self::K8s> {
    type K8s: DeserializeOwned + Serialize + Clone + Debug + PartialEq + From<Self>;
    const KIND: &'static str;
}

macro_rules! pairs {
    ($( $ours:ident <=> $k8s:ty; )*) => {
        $( impl Pair for $ours {
            type K8s = $k8s;
            const KIND: &'static str = stringify!($ours);
        } )*

        /// Run `$check::<Kind>()` for every kind.
        macro_rules! for_every_kind {
            ($check:ident) => { $( $check::<$ours>(); )* };
        }
    };
}

pairs! {
    Deployment <=> apps::Deployment;
    ReplicaSet <=> apps::ReplicaSet;
    StatefulSet <=> apps::StatefulSet;
    DaemonSet <=> apps::DaemonSet;
    Job <=> batch::Job;
    CronJob <=> batch::CronJob;
    ReplicationController <=> core::ReplicationController;
}

/// Equal values both ways and byte-identical JSON, compact and pretty.
fn assert_same<C: Pair>(text: &str) {
    let k: C::K8s = serde_json::from_str(text).unwrap_or_else(|e| panic!("{}: {e}: {text}", C::KIND));
    let c: C = serde_json::from_str(text).unwrap();
    assert_eq!(serde_json::to_string(&c).unwrap(), serde_json::to_string(&k).unwrap(), "{}: {text}", C::KIND);
    assert_eq!(serde_json::to_string_pretty(&c).unwrap(), serde_json::to_string_pretty(&k).unwrap(), "{}", C::KIND);
    assert_eq!(C::K8s::from(c.clone()), k, "{}", C::KIND);
    assert_eq!(C::from(k.clone()), c, "{}", C::KIND);
    // Through a JSON value too (the path the generic decoder and the snapshots take).
    let from_value: C = serde_json::from_value(serde_json::to_value(&k).unwrap()).unwrap();
    assert_eq!(from_value, c, "{}", C::KIND);
}

fn key_count(v: &Value) -> usize {
    v.as_object().map_or(0, |m| m.len())
}

/// k8s-openapi leaves absent fields out, so the key counts of its output are its structs'
/// field counts when the fixture sets every field.
#[test]
fn the_fixture_sets_every_field() {
    fn written<C: Pair>() -> Value {
        let k: C::K8s = serde_json::from_value(fixture(C::KIND)).unwrap();
        let v = serde_json::to_value(&k).unwrap();
        assert_eq!(key_count(&v), 5, "{}: apiVersion, kind, metadata, spec, status", C::KIND);
        let template = v.pointer(template_pointer(C::KIND)).unwrap();
        assert_eq!(key_count(template), 2, "{} PodTemplateSpec", C::KIND);
        v
    }
    let spec_fields = [
        ("Deployment", 8),
        ("ReplicaSet", 4),
        ("StatefulSet", 11),
        ("DaemonSet", 5),
        ("Job", 17),
        ("CronJob", 8),
        ("ReplicationController", 4),
    ];
    let written = [
        written::<Deployment>(),
        written::<ReplicaSet>(),
        written::<StatefulSet>(),
        written::<DaemonSet>(),
        written::<Job>(),
        written::<CronJob>(),
        written::<ReplicationController>(),
    ];
    for ((kind, fields), v) in spec_fields.into_iter().zip(&written) {
        assert_eq!(key_count(&v["spec"]), fields, "{kind}Spec");
    }
    assert_eq!(key_count(&written[5]["spec"]["jobTemplate"]), 2, "JobTemplateSpec");
}

#[test]
fn round_trip_matches_k8s_openapi_exactly() {
    fn check<C: Pair>() {
        assert_same::<C>(&fixture(C::KIND).to_string());
        assert_same::<C>(&with_every_pod_field(C::KIND).to_string());
    }
    for_every_kind!(check);
}

#[test]
fn minimal_and_empty_documents_match() {
    fn check<C: Pair>() {
        let pointer = template_pointer(C::KIND);
        let mut variants = vec![json!({}), json!({"metadata": {"name": "x"}, "spec": null, "status": null}), json!({"spec": {}}), json!({"extra": {"x": [1]}})];
        for template in [json!({}), json!(null), json!({"spec": null}), json!({"metadata": null, "spec": {}}), json!({"spec": {"containers": [{}]}})] {
            let mut doc = json!({});
            let mut at = &mut doc;
            for part in pointer.trim_start_matches('/').split('/') {
                at = at.as_object_mut().unwrap().entry(part).or_insert(json!({}));
            }
            *at = template;
            variants.push(doc);
        }
        for doc in variants {
            assert_same::<C>(&doc.to_string());
        }
    }
    for_every_kind!(check);
}

/// A repeated key keeps its last value, as in k8s-openapi (serde's derive would refuse it).
#[test]
fn a_repeated_field_keeps_the_last_value() {
    fn check<C: Pair>() {
        assert_same::<C>(r#"{"spec":{"replicas":1,"replicas":2,"template":{"spec":{"nodeName":"a"},"spec":{"nodeName":"b"}}},"spec":{"minReadySeconds":3}}"#);
        assert_same::<C>(r#"{"spec":{"suspend":true,"jobTemplate":{"spec":{"suspend":true},"spec":{"suspend":false}}},"status":null,"status":{}}"#);
    }
    for_every_kind!(check);
    let d: Deployment = serde_json::from_str(r#"{"spec":{"template":{"spec":{"nodeName":"a"},"spec":{"nodeName":"b"}}}}"#).unwrap();
    assert_eq!(d.pod_spec().and_then(|s| s.node_name.as_deref()), Some("b"));
}

/// Malformed documents fail the same way, with the same message and field path.
#[test]
fn errors_match_k8s_openapi() {
    fn check<C: Pair>() {
        let api_version = fixture(C::KIND)["apiVersion"].as_str().unwrap().to_string();
        for text in [
            r#"{"apiVersion":"v9"}"#.to_string(),
            format!(r#"{{"apiVersion":"{api_version}","kind":"Service"}}"#),
            r#"{"kind":7}"#.to_string(),
            r#"[]"#.to_string(),
            r#"{"spec":[]}"#.to_string(),
            r#"{"spec":{"replicas":"three"}}"#.to_string(),
            r#"{"spec":{"selector":"app=web"}}"#.to_string(),
            r#"{"spec":{"selector":{"matchExpressions":[{"key":1}]}}}"#.to_string(),
            r#"{"spec":{"template":[]}}"#.to_string(),
            r#"{"spec":{"template":{"spec":{"containers":"nope"}}}}"#.to_string(),
            r#"{"spec":{"template":{"metadata":{"labels":[]}}}}"#.to_string(),
            r#"{"spec":{"strategy":{"type":1},"updateStrategy":[],"volumeClaimTemplates":{}}}"#.to_string(),
            r#"{"spec":{"podFailurePolicy":{"rules":"x"},"schedule":5}}"#.to_string(),
            r#"{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"priority":"high"}}}}}}"#.to_string(),
            r#"{"status":{"replicas":"x","conditions":{},"active":"x"}}"#.to_string(),
        ] {
            let k = serde_json::from_str::<C::K8s>(&text).map(|_| ()).map_err(|e| e.to_string());
            let c = serde_json::from_str::<C>(&text).map(|_| ()).map_err(|e| e.to_string());
            assert_eq!(c, k, "{}: {text}", C::KIND);
            let k = serde_path_to_error::deserialize::<_, C::K8s>(&mut serde_json::Deserializer::from_str(&text)).map(|_| ()).map_err(|e| e.path().to_string());
            let c = serde_path_to_error::deserialize::<_, C>(&mut serde_json::Deserializer::from_str(&text)).map(|_| ()).map_err(|e| e.path().to_string());
            assert_eq!(c, k, "{}: {text}", C::KIND);
        }
    }
    for_every_kind!(check);
}

/// What the compact layout is for: no room for an unset pod spec, status or strategy.
#[test]
fn the_compact_types_are_small() {
    use std::mem::size_of;
    fn check<C: Pair>() {
        let (ours, theirs) = (size_of::<C>(), size_of::<C::K8s>());
        // The object's metadata and the template's (a CronJob has two: its job template's and
        // its pod template's) are kubepci's `Meta` (112 bytes against `ObjectMeta`'s 360);
        // everything else shrinks too (k8s-openapi: 2,360-3,152 bytes).
        assert!(ours * 2 < theirs, "{}: {ours} bytes against k8s-openapi's {theirs}", C::KIND);
        let metadata_held = if C::KIND == "CronJob" { 3 } else { 2 };
        assert!(ours <= metadata_held * size_of::<crate::Meta>() + 400, "{}: {ours} bytes", C::KIND);
    }
    for_every_kind!(check);
    assert_eq!(size_of::<PodTemplateSpec>(), size_of::<crate::Meta>() + 8);
}

/// Decoded lists keep no spare room: a one-item list holds one item's bytes.
#[test]
fn decoded_lists_are_shrunk_to_their_length() {
    let d: Deployment = serde_json::from_value(fixture("Deployment")).unwrap();
    let expressions = d.spec.selector.match_expressions.as_ref().unwrap();
    assert_eq!(expressions.capacity(), 1);
    assert_eq!(expressions[0].values.as_ref().unwrap().capacity(), 2);
    assert_eq!(d.status.as_ref().unwrap().conditions.as_ref().unwrap().capacity(), 1);
    assert_eq!(d.pod_spec().unwrap().containers.capacity(), 1);

    let s: StatefulSet = serde_json::from_value(fixture("StatefulSet")).unwrap();
    assert_eq!(s.spec.volume_claim_templates.as_ref().unwrap().capacity(), 1);
    assert_eq!(s.status.as_ref().unwrap().conditions.as_ref().unwrap().capacity(), 1);

    let j: Job = serde_json::from_value(fixture("Job")).unwrap();
    assert_eq!(j.spec.as_ref().unwrap().selector.as_ref().unwrap().match_expressions.as_ref().unwrap().capacity(), 1);
    assert_eq!(j.status.as_ref().unwrap().conditions.as_ref().unwrap().capacity(), 1);

    let c: CronJob = serde_json::from_value(fixture("CronJob")).unwrap();
    assert_eq!(c.status.as_ref().unwrap().active.as_ref().unwrap().capacity(), 1);

    for kind in ["ReplicaSet", "DaemonSet", "ReplicationController"] {
        let doc = fixture(kind);
        let conditions = |v: Value| -> usize {
            match kind {
                "ReplicaSet" => serde_json::from_value::<ReplicaSet>(v).unwrap().status.unwrap().conditions.unwrap().capacity(),
                "DaemonSet" => serde_json::from_value::<DaemonSet>(v).unwrap().status.unwrap().conditions.unwrap().capacity(),
                _ => serde_json::from_value::<ReplicationController>(v).unwrap().status.unwrap().conditions.unwrap().capacity(),
            }
        };
        assert_eq!(conditions(doc), 1, "{kind}");
    }
}

/// Both of the loader's decode paths give the same object, the template's pod spec readable
/// through `pod_template` and `status` dropped.
#[test]
fn both_decode_paths_agree() {
    for kind in ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicationController"] {
        let doc = with_every_pod_field(kind);
        let api_version = doc["apiVersion"].as_str().unwrap().to_string();
        let text = doc.to_string();
        let loc = crate::SourceLoc::new("t.json", 1, 1);
        let direct = crate::decode_direct(&api_version, kind, &mut serde_json::Deserializer::from_str(&text), loc.clone()).unwrap().unwrap();
        let value = crate::decode_value(doc.clone(), loc).unwrap();
        assert_eq!(direct, value, "{kind}");
        assert_eq!(value.kind(), kind);
        let template = value.pod_template().unwrap_or_else(|| panic!("{kind} has a template"));
        let pod: Value = serde_json::from_str(POD_EVERY_FIELD).unwrap();
        assert_eq!(serde_json::to_value(template.spec).unwrap(), serde_json::to_value(serde_json::from_value::<core::PodSpec>(pod["spec"].clone()).unwrap()).unwrap(), "{kind}");
        let written = match &value.resource {
            crate::Resource::Deployment(o) => serde_json::to_value(o),
            crate::Resource::ReplicaSet(o) => serde_json::to_value(o),
            crate::Resource::StatefulSet(o) => serde_json::to_value(o),
            crate::Resource::DaemonSet(o) => serde_json::to_value(o),
            crate::Resource::Job(o) => serde_json::to_value(o),
            crate::Resource::CronJob(o) => serde_json::to_value(o),
            crate::Resource::ReplicationController(o) => serde_json::to_value(o),
            other => panic!("{kind} decoded as {}", other.kind()),
        }
        .unwrap();
        assert!(written.get("status").is_none(), "{kind}: status is not kept");
    }
}
