//! [`Meta`]: kubepci's object metadata, k8s-openapi's `ObjectMeta` laid out to be small.
//!
//! `ObjectMeta` is 360 bytes inline with a `BTreeMap` per label and annotation map, and every
//! object kubepci loads has one (a workload controller two: its own and its pod template's).
//! Here the name, namespace, label and annotation maps ([`Labels`]) and owner references are
//! inline, and the fields a manifest rarely sets (uid, resource version, timestamps,
//! generation, finalizers …; a live cluster's objects do set them) share one box, so an object
//! from a manifest holds 112 bytes. The JSON read and written is `ObjectMeta`'s, field for
//! field and in its order, except `managedFields`: kubepci drops it while decoding (no check
//! reads it, and it is most of what `kubectl get -o yaml` prints), so it is not held at all.

use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::labels::Labels;

/// An object's metadata (k8s-openapi's `ObjectMeta`, compact: see the module comment).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Meta {
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub labels: Option<Labels>,
    pub annotations: Option<Labels>,
    pub owner_references: Option<Vec<OwnerReference>>,
    /// The fields set on objects read from a cluster, rarely in manifests; `None` when none is.
    rare: Option<Box<RareMeta>>,
}

/// The metadata fields a manifest rarely sets.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RareMeta {
    pub creation_timestamp: Option<Time>,
    pub deletion_grace_period_seconds: Option<i64>,
    pub deletion_timestamp: Option<Time>,
    pub finalizers: Option<Vec<String>>,
    pub generate_name: Option<String>,
    pub generation: Option<i64>,
    pub resource_version: Option<String>,
    pub self_link: Option<String>,
    pub uid: Option<String>,
}

static NO_RARE: RareMeta = RareMeta {
    creation_timestamp: None,
    deletion_grace_period_seconds: None,
    deletion_timestamp: None,
    finalizers: None,
    generate_name: None,
    generation: None,
    resource_version: None,
    self_link: None,
    uid: None,
};

impl Meta {
    /// Metadata with nothing set (usable in statics).
    pub const EMPTY: Meta = Meta { name: None, namespace: None, labels: None, annotations: None, owner_references: None, rare: None };

    /// The rarely-set fields (all `None` when none is set).
    pub fn rare(&self) -> &RareMeta {
        self.rare.as_deref().unwrap_or(&NO_RARE)
    }

    /// The rarely-set fields, to change them.
    pub fn rare_mut(&mut self) -> &mut RareMeta {
        self.rare.get_or_insert_with(Default::default)
    }

    pub fn creation_timestamp(&self) -> Option<&Time> {
        self.rare().creation_timestamp.as_ref()
    }

    pub fn uid(&self) -> Option<&str> {
        self.rare().uid.as_deref()
    }

    pub fn resource_version(&self) -> Option<&str> {
        self.rare().resource_version.as_deref()
    }

    pub fn finalizers(&self) -> Option<&[String]> {
        self.rare().finalizers.as_deref()
    }

    /// Holds no rarely-set field in a box when none is set, so equal metadata compares equal.
    fn settle(mut self) -> Meta {
        if self.rare.as_deref().is_some_and(|rare| *rare == NO_RARE) {
            self.rare = None;
        }
        self
    }
}

impl From<ObjectMeta> for Meta {
    /// `managedFields` is left out (see the module comment).
    fn from(m: ObjectMeta) -> Meta {
        Meta {
            name: m.name,
            namespace: m.namespace,
            labels: m.labels.map(Labels::from),
            annotations: m.annotations.map(Labels::from),
            owner_references: m.owner_references,
            rare: Some(Box::new(RareMeta {
                creation_timestamp: m.creation_timestamp,
                deletion_grace_period_seconds: m.deletion_grace_period_seconds,
                deletion_timestamp: m.deletion_timestamp,
                finalizers: m.finalizers,
                generate_name: m.generate_name,
                generation: m.generation,
                resource_version: m.resource_version,
                self_link: m.self_link,
                uid: m.uid,
            })),
        }
        .settle()
    }
}

impl From<Meta> for ObjectMeta {
    fn from(m: Meta) -> ObjectMeta {
        let rare = m.rare.map(|b| *b).unwrap_or_default();
        ObjectMeta {
            annotations: m.annotations.map(Into::into),
            creation_timestamp: rare.creation_timestamp,
            deletion_grace_period_seconds: rare.deletion_grace_period_seconds,
            deletion_timestamp: rare.deletion_timestamp,
            finalizers: rare.finalizers,
            generate_name: rare.generate_name,
            generation: rare.generation,
            labels: m.labels.map(Into::into),
            managed_fields: None,
            name: m.name,
            namespace: m.namespace,
            owner_references: m.owner_references,
            resource_version: rare.resource_version,
            self_link: rare.self_link,
            uid: rare.uid,
        }
    }
}

impl Serialize for Meta {
    /// `ObjectMeta`'s fields in its order (its names' order), those set only.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let rare = self.rare();
        let count = [
            self.annotations.is_some(),
            rare.creation_timestamp.is_some(),
            rare.deletion_grace_period_seconds.is_some(),
            rare.deletion_timestamp.is_some(),
            rare.finalizers.is_some(),
            rare.generate_name.is_some(),
            rare.generation.is_some(),
            self.labels.is_some(),
            self.name.is_some(),
            self.namespace.is_some(),
            self.owner_references.is_some(),
            rare.resource_version.is_some(),
            rare.self_link.is_some(),
            rare.uid.is_some(),
        ]
        .into_iter()
        .filter(|set| *set)
        .count();
        let mut state = serializer.serialize_struct("ObjectMeta", count)?;
        macro_rules! field {
            ($json:literal, $value:expr) => {
                if let Some(value) = &$value {
                    state.serialize_field($json, value)?;
                }
            };
        }
        field!("annotations", self.annotations);
        field!("creationTimestamp", rare.creation_timestamp);
        field!("deletionGracePeriodSeconds", rare.deletion_grace_period_seconds);
        field!("deletionTimestamp", rare.deletion_timestamp);
        field!("finalizers", rare.finalizers);
        field!("generateName", rare.generate_name);
        field!("generation", rare.generation);
        field!("labels", self.labels);
        field!("name", self.name);
        field!("namespace", self.namespace);
        field!("ownerReferences", self.owner_references);
        field!("resourceVersion", rare.resource_version);
        field!("selfLink", rare.self_link);
        field!("uid", rare.uid);
        state.end()
    }
}

/// `ObjectMeta`'s field names, as `deserialize_struct` is told them.
const FIELDS: &[&str] = &[
    "annotations", "creationTimestamp", "deletionGracePeriodSeconds", "deletionTimestamp", "finalizers", "generateName",
    "generation", "labels", "managedFields", "name", "namespace", "ownerReferences", "resourceVersion", "selfLink", "uid",
];

impl<'de> Deserialize<'de> for Meta {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Meta, D::Error> {
        field_identifier! {
            annotations = "annotations",
            creationTimestamp = "creationTimestamp",
            deletionGracePeriodSeconds = "deletionGracePeriodSeconds",
            deletionTimestamp = "deletionTimestamp",
            finalizers = "finalizers",
            generateName = "generateName",
            generation = "generation",
            labels = "labels",
            name = "name",
            namespace = "namespace",
            ownerReferences = "ownerReferences",
            resourceVersion = "resourceVersion",
            selfLink = "selfLink",
            uid = "uid",
        }

        struct MetaVisitor;
        impl<'de> Visitor<'de> for MetaVisitor {
            type Value = Meta;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("ObjectMeta")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Meta, A::Error> {
                let mut meta = Meta::default();
                let mut rare = RareMeta::default();
                while let Some(key) = map.next_key::<Field>()? {
                    match key {
                        Field::annotations => meta.annotations = map.next_value()?,
                        Field::creationTimestamp => rare.creation_timestamp = map.next_value()?,
                        Field::deletionGracePeriodSeconds => rare.deletion_grace_period_seconds = map.next_value()?,
                        Field::deletionTimestamp => rare.deletion_timestamp = map.next_value()?,
                        Field::finalizers => rare.finalizers = crate::compact::shrunk(map.next_value()?),
                        Field::generateName => rare.generate_name = map.next_value()?,
                        Field::generation => rare.generation = map.next_value()?,
                        Field::labels => meta.labels = map.next_value()?,
                        Field::name => meta.name = map.next_value()?,
                        Field::namespace => meta.namespace = map.next_value()?,
                        // Decoded lists hold room for four items from their first one; an
                        // owner reference is 136 bytes and nearly every object has one.
                        Field::ownerReferences => meta.owner_references = crate::compact::shrunk(map.next_value()?),
                        Field::resourceVersion => rare.resource_version = map.next_value()?,
                        Field::selfLink => rare.self_link = map.next_value()?,
                        Field::uid => rare.uid = map.next_value()?,
                        // `managedFields` (see the module comment) and unknown fields.
                        Field::Other => {
                            let _: IgnoredAny = map.next_value()?;
                        }
                    }
                }
                meta.rare = Some(Box::new(rare));
                Ok(meta.settle())
            }
        }
        deserializer.deserialize_struct("ObjectMeta", FIELDS, MetaVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Every field `Meta` keeps reads and writes as `ObjectMeta` does, in the same order.
    #[test]
    fn json_is_object_metas() {
        let full = json!({
            "annotations": {"b": "2", "a": "1"},
            "creationTimestamp": "2026-11-01T10:00:00Z",
            "deletionGracePeriodSeconds": 30,
            "deletionTimestamp": "2026-11-02T10:00:00Z",
            "finalizers": ["f"],
            "generateName": "web-",
            "generation": 3,
            "labels": {"app": "web", "tier": ""},
            "name": "web-1",
            "namespace": "shop",
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "9", "controller": true}],
            "resourceVersion": "42",
            "selfLink": "/api/v1/x",
            "uid": "u-1",
        });
        for value in [full.clone(), json!({}), json!({"name": "n"}), json!({"labels": {}, "uid": "u"}), json!({"annotations": {}})] {
            let ours: Meta = serde_json::from_value(value.clone()).unwrap();
            let theirs: ObjectMeta = serde_json::from_value(value.clone()).unwrap();
            let text = serde_json::to_string(&ours).unwrap();
            assert_eq!(text, serde_json::to_string(&theirs).unwrap());
            assert_eq!(Meta::from(theirs.clone()), ours);
            assert_eq!(ObjectMeta::from(ours.clone()), theirs);
            assert_eq!(serde_json::from_str::<Meta>(&text).unwrap(), ours);
        }
        let ours: Meta = serde_json::from_value(full).unwrap();
        assert_eq!((ours.uid(), ours.resource_version(), ours.finalizers()), (Some("u-1"), Some("42"), Some(&["f".to_string()][..])));
        assert_eq!(ours.creation_timestamp().map(|t| t.0.as_second()), Some(1_793_527_200));
        assert_eq!(ours.labels.as_ref().and_then(|l| l.get("app")), Some("web"));
    }

    #[test]
    fn managed_fields_and_unknown_fields_are_skipped() {
        let meta: Meta = serde_json::from_value(json!({"name": "n", "managedFields": [{"manager": "m"}], "zzz": {"a": [1]}})).unwrap();
        assert_eq!(meta, Meta { name: Some("n".into()), ..Meta::default() });
        let nulls: Meta = serde_json::from_value(json!({"name": null, "labels": null, "uid": null})).unwrap();
        assert_eq!(nulls, Meta::default());
        assert!(serde_json::from_value::<Meta>(json!({"labels": ["a"]})).is_err());
        assert!(serde_json::from_value::<Meta>(json!("text")).is_err());
    }

    /// A manifest's metadata holds no box for the fields it does not set.
    #[test]
    fn rare_fields_are_boxed_only_when_set() {
        let plain: Meta = serde_json::from_value(json!({"name": "n", "namespace": "a", "labels": {"a": "b"}})).unwrap();
        assert!(plain.rare.is_none());
        let mut edited = plain.clone();
        edited.rare_mut().uid = Some("u".into());
        assert_eq!(edited.uid(), Some("u"));
        assert!(size_of::<Meta>() <= 112, "{}", size_of::<Meta>());
    }

    #[test]
    fn owner_references_and_finalizers_are_shrunk() {
        let meta: Meta = serde_json::from_value(json!({"finalizers": ["f"], "ownerReferences": [{"apiVersion": "v1", "kind": "K", "name": "n", "uid": "1"}]})).unwrap();
        assert_eq!(meta.owner_references.as_ref().map(Vec::capacity), Some(1));
        assert_eq!(meta.rare().finalizers.as_ref().map(Vec::capacity), Some(1));
    }
}
