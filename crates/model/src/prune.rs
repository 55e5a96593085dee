//! Leave fields out while deserializing, without building them first.
//!
//! `kubectl get -o yaml` output is dominated by fields no check reads: `metadata.managedFields`
//! and the `status` the controllers write (container statuses, conditions …). Building them
//! into k8s-openapi structs and dropping them afterwards costs parse time and peak memory, so
//! [`Pruned`] wraps any serde `Deserializer` and skips those map entries as they are read (the
//! parser still has to step over their text, but nothing is allocated for them).

use std::borrow::Cow;
use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, StringDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

/// Which entries of a mapping to skip, and what to skip inside some of the kept ones. Applied
/// to a list, it applies to each of its items.
#[derive(Debug)]
pub struct Prune {
    pub drop: &'static [&'static str],
    pub inside: &'static [(&'static str, &'static Prune)],
}

const METADATA: Prune = Prune { drop: &["managedFields"], inside: &[] };

/// Typed objects: no check reads `status` (it describes the running state the controllers
/// observed, not the configuration being assessed).
pub static OBJECT: Prune = Prune { drop: &["status"], inside: &[("metadata", &METADATA)] };

/// Objects whose `status` some check reads (Node: kubelet, OS and runtime versions).
pub static OBJECT_WITH_STATUS: Prune = Prune { drop: &[], inside: &[("metadata", &METADATA)] };

/// What a container status keeps: its name and image, and the `imageID` (the digest of the
/// image actually running; vulnerability reports are matched by it). Its state, last state,
/// container ID and resources are what a running cluster's Pods carry most of.
const CONTAINER_STATUS: Prune = Prune {
    drop: &["state", "lastState", "containerID", "started", "resources", "allocatedResources", "allocatedResourcesStatus", "volumeMounts", "user", "stopSignal"],
    inside: &[],
};

/// What a Pod's status keeps: the phase and the container and init container statuses.
const POD_STATUS: Prune = Prune {
    drop: &["conditions", "hostIP", "hostIPs", "podIP", "podIPs", "qosClass", "startTime", "message", "reason", "nominatedNodeName", "resourceClaimStatuses", "resize", "extendedResourceClaimStatus", "ephemeralContainerStatuses", "observedGeneration"],
    inside: &[("containerStatuses", &CONTAINER_STATUS), ("initContainerStatuses", &CONTAINER_STATUS)],
};

/// Pods: `status` pruned to what [`POD_STATUS`] keeps.
pub static POD: Prune = Prune { drop: &[], inside: &[("metadata", &METADATA), ("status", &POD_STATUS)] };

/// A deserializer that skips the fields `prune` names in the mapping it produces.
pub struct Pruned<'p, D> {
    pub inner: D,
    pub prune: &'p Prune,
}

macro_rules! forward {
    ($($method:ident ( $($arg:ident : $ty:ty),* ))*) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
                self.inner.$method($($arg,)* visitor)
            }
        )*
    };
}

impl<'de, 'p, D: Deserializer<'de>> Deserializer<'de> for Pruned<'p, D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_any(PrunedVisitor { inner: visitor, prune: self.prune })
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_map(PrunedVisitor { inner: visitor, prune: self.prune })
    }

    fn deserialize_struct<V: Visitor<'de>>(self, name: &'static str, fields: &'static [&'static str], visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_struct(name, fields, PrunedVisitor { inner: visitor, prune: self.prune })
    }

    // Optional fields (`Option<ObjectMeta>`) reach the struct through `visit_some`.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_option(PrunedVisitor { inner: visitor, prune: self.prune })
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_newtype_struct(name, PrunedVisitor { inner: visitor, prune: self.prune })
    }

    // A list (`containerStatuses`): each item is pruned.
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_seq(PrunedVisitor { inner: visitor, prune: self.prune })
    }

    forward! {
        deserialize_bool() deserialize_i8() deserialize_i16() deserialize_i32() deserialize_i64()
        deserialize_i128() deserialize_u8() deserialize_u16() deserialize_u32() deserialize_u64()
        deserialize_u128() deserialize_f32() deserialize_f64() deserialize_char() deserialize_str()
        deserialize_string() deserialize_bytes() deserialize_byte_buf()
        deserialize_unit() deserialize_unit_struct(name: &'static str)
        deserialize_tuple(len: usize)
        deserialize_tuple_struct(name: &'static str, len: usize)
        deserialize_enum(name: &'static str, variants: &'static [&'static str])
        deserialize_identifier() deserialize_ignored_any()
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

struct PrunedVisitor<'p, V> {
    inner: V,
    prune: &'p Prune,
}

macro_rules! forward_visit {
    ($($method:ident ( $ty:ty ))*) => {
        $(
            fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
                self.inner.$method(v)
            }
        )*
    };
}

impl<'de, 'p, V: Visitor<'de>> Visitor<'de> for PrunedVisitor<'p, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.inner.expecting(f)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(PrunedMap { inner: map, prune: self.prune, value_prune: None })
    }

    forward_visit! {
        visit_bool(bool) visit_i8(i8) visit_i16(i16) visit_i32(i32) visit_i64(i64) visit_i128(i128)
        visit_u8(u8) visit_u16(u16) visit_u32(u32) visit_u64(u64) visit_u128(u128)
        visit_f32(f32) visit_f64(f64) visit_char(char) visit_str(&str) visit_borrowed_str(&'de str)
        visit_string(String) visit_bytes(&[u8]) visit_borrowed_bytes(&'de [u8]) visit_byte_buf(Vec<u8>)
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(Pruned { inner: d, prune: self.prune })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(Pruned { inner: d, prune: self.prune })
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.inner.visit_seq(PrunedSeq { inner: seq, prune: self.prune })
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.inner.visit_enum(data)
    }
}

struct PrunedMap<'p, A> {
    inner: A,
    prune: &'p Prune,
    /// What to skip inside the value of the key just returned.
    value_prune: Option<&'p Prune>,
}

/// A mapping key as text, borrowed from the input when the parser allows.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

impl<'de, 'p, A: MapAccess<'de>> MapAccess<'de> for PrunedMap<'p, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        loop {
            let Some(Key(key)) = self.inner.next_key::<Key<'de>>()? else { return Ok(None) };
            if self.prune.drop.contains(&key.as_ref()) {
                self.inner.next_value::<IgnoredAny>()?;
                continue;
            }
            self.value_prune = self.prune.inside.iter().find(|(k, _)| *k == key.as_ref()).map(|(_, p)| *p);
            return match key {
                Cow::Borrowed(k) => seed.deserialize(BorrowedStrDeserializer::new(k)).map(Some),
                Cow::Owned(k) => seed.deserialize(StringDeserializer::new(k)).map(Some),
            };
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        match self.value_prune.take() {
            Some(prune) => self.inner.next_value_seed(PrunedSeed { inner: seed, prune }),
            None => self.inner.next_value_seed(seed),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

struct PrunedSeq<'p, A> {
    inner: A,
    prune: &'p Prune,
}

impl<'de, 'p, A: de::SeqAccess<'de>> de::SeqAccess<'de> for PrunedSeq<'p, A> {
    type Error = A::Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, A::Error> {
        self.inner.next_element_seed(PrunedSeed { inner: seed, prune: self.prune })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

struct PrunedSeed<'p, S> {
    inner: S,
    prune: &'p Prune,
}

impl<'de, 'p, S: DeserializeSeed<'de>> DeserializeSeed<'de> for PrunedSeed<'p, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.inner.deserialize(Pruned { inner: d, prune: self.prune })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Node, Pod};

    const POD: &str = r#"{"apiVersion":"v1","kind":"Pod",
        "metadata":{"name":"p","namespace":"n","labels":{"app":"a"},
            "managedFields":[{"manager":"kubectl","fieldsV1":{"f:spec":{}}}]},
        "spec":{"containers":[{"name":"c","image":"i"}]},
        "status":{"phase":"Running","podIP":"10.0.0.1"}}"#;

    #[test]
    fn drops_status_and_managed_fields_keeps_the_rest() {
        let pod: Pod = Pod::deserialize(Pruned { inner: &mut serde_json::Deserializer::from_str(POD), prune: &OBJECT }).unwrap();
        assert!(pod.status.is_none());
        assert!(pod.metadata.managed_fields.is_none());
        assert_eq!(pod.metadata.labels.unwrap()["app"], "a");
        assert_eq!(pod.spec.unwrap().containers[0].image.as_deref(), Some("i"));
    }

    #[test]
    fn pods_keep_container_statuses_only() {
        let text = r#"{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i:1"}]},
            "status":{"phase":"Running","podIP":"10.0.0.1","conditions":[{"type":"Ready","status":"True"}],
              "containerStatuses":[{"name":"c","image":"i:1","imageID":"docker-pullable://i@sha256:ab","ready":true,"restartCount":0,
                "containerID":"containerd://0123","started":true,"state":{"running":{"startedAt":"2026-11-01T10:00:00Z"}},
                "lastState":{"terminated":{"exitCode":1,"reason":"Error","startedAt":"2026-11-01T09:00:00Z","finishedAt":"2026-11-01T09:59:00Z"}}}],
              "initContainerStatuses":[{"name":"init","image":"i:1","imageID":"i@sha256:cd","ready":false,"restartCount":0,"state":{"terminated":{"exitCode":0}}}],
              "ephemeralContainerStatuses":[{"name":"debug","image":"busybox","imageID":"","ready":false,"restartCount":0}]}}"#;
        let pod = Pod::deserialize(Pruned { inner: &mut serde_json::Deserializer::from_str(text), prune: &super::POD }).unwrap();
        let status = pod.status.unwrap();
        let container = &status.container_statuses.unwrap()[0];
        assert_eq!(container.image_id, "docker-pullable://i@sha256:ab");
        assert_eq!((container.name.as_str(), container.image.as_str(), container.ready), ("c", "i:1", true));
        assert!(container.state.is_none() && container.last_state.is_none() && container.container_id.is_none());
        assert_eq!(status.init_container_statuses.unwrap()[0].image_id, "i@sha256:cd");
        assert!(status.ephemeral_container_statuses.is_none());
        assert_eq!(status.phase.as_deref(), Some("Running"));
        assert!(status.conditions.is_none() && status.pod_ip.is_none());
    }

    #[test]
    fn keeps_status_where_asked() {
        let text = r#"{"metadata":{"name":"n1","managedFields":[]},"status":{"nodeInfo":{"kubeletVersion":"v1.31.0","architecture":"","bootID":"","containerRuntimeVersion":"","kernelVersion":"","kubeProxyVersion":"","machineID":"","operatingSystem":"","osImage":"","systemUUID":""}}}"#;
        let node = Node::deserialize(Pruned { inner: &mut serde_json::Deserializer::from_str(text), prune: &OBJECT_WITH_STATUS }).unwrap();
        assert_eq!(node.status.unwrap().node_info.unwrap().kubelet_version, "v1.31.0");
        assert!(node.metadata.managed_fields.is_none());
    }

    #[test]
    fn same_result_as_full_decode_then_clear() {
        let mut full: Pod = serde_json::from_str(POD).unwrap();
        full.status = None;
        full.metadata.managed_fields = None;
        let pruned = Pod::deserialize(Pruned { inner: &mut serde_json::Deserializer::from_str(POD), prune: &OBJECT }).unwrap();
        assert_eq!(full, pruned);
    }

    #[test]
    fn errors_in_kept_fields_still_surface() {
        let bad = r#"{"metadata":{"name":"p"},"spec":{"containers":"nope"},"status":{}}"#;
        assert!(Pod::deserialize(Pruned { inner: &mut serde_json::Deserializer::from_str(bad), prune: &OBJECT }).is_err());
    }

    use serde::Deserialize;
}
