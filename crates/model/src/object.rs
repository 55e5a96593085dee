use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::kinds::{
    ClusterRole, ClusterRoleBinding, ConfigMap, Ingress, MutatingWebhookConfiguration, Namespace, NetworkPolicy, Node,
    PersistentVolumeClaim, Role, RoleBinding, Secret, Service, ServiceAccount, ValidatingWebhookConfiguration,
};
use crate::{Labels, Meta, SourceLoc};
use crate::controller::{
    CronJob, DaemonSet, Deployment, Job, ReplicaSet, ReplicationController, StatefulSet,
};
use crate::pod::Pod;

/// Any object kubepci did not type: CRDs, kinds no check reads, removed beta APIs. Kept (and
/// counted) so that nothing in the input is silently dropped, and so that content scanners
/// (card data) can still walk its fields.
#[derive(Clone, Debug, PartialEq)]
pub struct GenericObject {
    pub api_version: String,
    pub kind: String,
    pub metadata: Meta,
    /// The object without `apiVersion`, `kind` and `metadata`.
    pub body: serde_json::Map<String, Value>,
}

/// What loading does for a kind in [`Resource`]: nothing more (`plain`), or hand its pod
/// template's spec to the interner so equal specs are held once (`templated`, see
/// [`crate::templated`]).
macro_rules! share {
    (plain, $o:expr, $interner:expr) => {{
        let _ = ($o, $interner);
    }};
    (templated, $o:expr, $interner:expr) => {
        crate::controller::HasPodTemplate::share_pod_spec(&mut **$o, $interner)
    };
}

macro_rules! resources {
    ($( $variant:ident : $ty:ty , groups = [$($group:literal),*] , $held:ident ; )*) => {
        /// One Kubernetes object. Kinds that checks read are typed; the rest are generic.
        /// Workload controllers hold their template's pod spec shared (see [`crate::templated`]).
        #[derive(Clone, Debug, PartialEq)]
        pub enum Resource {
            $( $variant(Box<$ty>), )*
            Generic(Box<GenericObject>),
        }

        impl Resource {
            pub fn metadata(&self) -> &Meta {
                match self {
                    $( Resource::$variant(o) => &o.metadata, )*
                    Resource::Generic(o) => &o.metadata,
                }
            }

            pub fn kind(&self) -> &str {
                match self {
                    $( Resource::$variant(_) => <$ty as k8s_openapi::Resource>::KIND, )*
                    Resource::Generic(o) => &o.kind,
                }
            }

            pub fn metadata_mut(&mut self) -> &mut Meta {
                match self {
                    $( Resource::$variant(o) => &mut o.metadata, )*
                    Resource::Generic(o) => &mut o.metadata,
                }
            }

            /// Hold the pod template's spec an equal one `interner` already has, if this is a
            /// workload controller (see [`crate::templated`]).
            pub fn share_pod_spec(&mut self, interner: &crate::templated::PodSpecInterner) {
                match self {
                    $( Resource::$variant(o) => share!($held, o, interner), )*
                    Resource::Generic(_) => {}
                }
            }

            /// Deserialize straight into the typed struct when `apiVersion` is the canonical
            /// one of a typed kind: the fast path that skips the intermediate JSON value.
            /// `None` when the kind stays generic or the apiVersion needs normalising.
            /// Errors carry no field path: tracking it costs an allocation per key on every
            /// object, so callers re-decode the rare failing document with [`decode_value`].
            pub fn deserialize_direct<'de, D: serde::Deserializer<'de>>(api_version: &str, kind: &str, d: D) -> Option<Result<Resource, DecodeError>> {
                match kind {
                    $( stringify!($variant) if api_version == <$ty as k8s_openapi::Resource>::API_VERSION => {
                        let d = crate::prune::Pruned { inner: d, prune: prune_for(kind) };
                        Some(<$ty as serde::Deserialize>::deserialize(d)
                            .map(|t| Resource::$variant(Box::new(t)))
                            .map_err(|e| DecodeError { path: String::new(), message: e.to_string() }))
                    } )*
                    _ => None,
                }
            }

            /// Decode a typed resource when `(group, kind)` is one kubepci types.
            /// Returns `Ok(None)` for kinds that stay generic.
            fn decode_typed(group: &str, kind: &str, value: &mut Value) -> Result<Option<Resource>, DecodeError> {
                match kind {
                    $( stringify!($variant) if [$($group),*].contains(&group) => {
                        // Older API versions of the same kind share the schema fields checks
                        // read; normalise so the typed decoder accepts them.
                        if let Value::Object(map) = value {
                            map.insert("apiVersion".into(), Value::String(<$ty as k8s_openapi::Resource>::API_VERSION.into()));
                            prune_value(map, prune_for(kind));
                        }
                        let typed: $ty = decode_with_path(value)?;
                        Ok(Some(Resource::$variant(Box::new(typed))))
                    } )*
                    _ => Ok(None),
                }
            }
        }
    };
}

resources! {
    Namespace: Namespace, groups = [""], plain;
    Pod: Pod, groups = [""], plain;
    ReplicationController: ReplicationController, groups = [""], templated;
    Service: Service, groups = [""], plain;
    ConfigMap: ConfigMap, groups = [""], plain;
    Secret: Secret, groups = [""], plain;
    ServiceAccount: ServiceAccount, groups = [""], plain;
    Node: Node, groups = [""], plain;
    PersistentVolumeClaim: PersistentVolumeClaim, groups = [""], plain;
    Deployment: Deployment, groups = ["apps", "extensions"], templated;
    ReplicaSet: ReplicaSet, groups = ["apps", "extensions"], templated;
    StatefulSet: StatefulSet, groups = ["apps"], templated;
    DaemonSet: DaemonSet, groups = ["apps", "extensions"], templated;
    Job: Job, groups = ["batch"], templated;
    CronJob: CronJob, groups = ["batch"], templated;
    Ingress: Ingress, groups = ["networking.k8s.io"], plain;
    NetworkPolicy: NetworkPolicy, groups = ["networking.k8s.io", "extensions"], plain;
    Role: Role, groups = ["rbac.authorization.k8s.io"], plain;
    ClusterRole: ClusterRole, groups = ["rbac.authorization.k8s.io"], plain;
    RoleBinding: RoleBinding, groups = ["rbac.authorization.k8s.io"], plain;
    ClusterRoleBinding: ClusterRoleBinding, groups = ["rbac.authorization.k8s.io"], plain;
    ValidatingWebhookConfiguration: ValidatingWebhookConfiguration, groups = ["admissionregistration.k8s.io"], plain;
    MutatingWebhookConfiguration: MutatingWebhookConfiguration, groups = ["admissionregistration.k8s.io"], plain;
    EndpointSlice: crate::kinds::EndpointSlice, groups = ["discovery.k8s.io"], plain;
    PodDisruptionBudget: crate::kinds::PodDisruptionBudget, groups = ["policy"], plain;
    LimitRange: crate::kinds::LimitRange, groups = [""], plain;
    ResourceQuota: crate::kinds::ResourceQuota, groups = [""], plain;
}

/// An object plus where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    pub loc: SourceLoc,
    /// `apiVersion` exactly as written in the input.
    pub api_version: String,
    pub resource: Resource,
}

impl Object {
    pub fn kind(&self) -> &str {
        self.resource.kind()
    }
    pub fn metadata(&self) -> &Meta {
        self.resource.metadata()
    }
    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or("")
    }
    pub fn namespace(&self) -> Option<&str> {
        self.metadata().namespace.as_deref()
    }
    pub fn labels(&self) -> &Labels {
        self.metadata().labels.as_ref().unwrap_or_else(|| Labels::empty())
    }
    pub fn annotations(&self) -> &Labels {
        self.metadata().annotations.as_ref().unwrap_or_else(|| Labels::empty())
    }
    pub fn object_ref(&self) -> ObjectRef {
        ObjectRef {
            api_version: self.api_version.clone(),
            kind: self.kind().to_string(),
            namespace: self.namespace().map(str::to_string),
            name: self.name().to_string(),
        }
    }
}

/// How reports name an object.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{}/{}", self.kind, ns, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// Why a document could not become an object. `path` is the field path inside the object
/// (`spec.containers[0].ports[0].containerPort`), empty when the problem is the object as a whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() || self.path == "." {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for DecodeError {}

fn decode_with_path<T: serde::de::DeserializeOwned>(value: &mut Value) -> Result<T, DecodeError> {
    // Take the value: typed decoding consumes it, so no second copy of the object stays alive.
    let owned = std::mem::take(value);
    serde_path_to_error::deserialize(owned).map_err(|e| DecodeError {
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })
}

/// Split `apiVersion` into its group ("" for the core group) and version.
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.rsplit_once('/') {
        Some((group, version)) => (group, version),
        None => ("", api_version),
    }
}

/// What typed decoding leaves out for a kind (see [`crate::prune`]).
fn prune_for(kind: &str) -> &'static crate::prune::Prune {
    match kind {
        "Node" => &crate::prune::OBJECT_WITH_STATUS,
        "Pod" => &crate::prune::POD,
        // Held as generic objects before they were typed, with their status (the card-data
        // walk reads every text field of these).
        "PodDisruptionBudget" | "ResourceQuota" => &crate::prune::OBJECT_WITH_STATUS,
        _ => &crate::prune::OBJECT,
    }
}

/// The same pruning on an already-parsed value, so both decode paths give equal objects.
fn prune_value(map: &mut serde_json::Map<String, Value>, prune: &crate::prune::Prune) {
    for field in prune.drop {
        map.remove(*field);
    }
    for (field, inner) in prune.inside {
        match map.get_mut(*field) {
            Some(Value::Object(m)) => prune_value(m, inner),
            // Applied to a list, a prune applies to each item.
            Some(Value::Array(items)) => {
                for item in items {
                    if let Value::Object(m) = item {
                        prune_value(m, inner);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Fields no check reads that make up a large share of `kubectl get -o yaml` output; dropped
/// at decode time so the inventory stays small (generic objects keep everything else, for the
/// content scanners).
fn slim(resource: &mut Resource) {
    // `Meta` keeps no `managedFields` and shrinks its lists as it is decoded.
    crate::tidy::resource(resource);
}

/// Decode an object directly from a deserializer when its kind is typed and its apiVersion
/// canonical (see [`Resource::deserialize_direct`]); `None` means use [`decode_value`], and so
/// does an error when its field path is wanted.
pub fn decode_direct<'de, D: serde::Deserializer<'de>>(api_version: &str, kind: &str, d: D, loc: SourceLoc) -> Option<Result<Object, DecodeError>> {
    let result = Resource::deserialize_direct(api_version, kind, d)?;
    Some(result.map(|mut resource| {
        slim(&mut resource);
        Object { loc, api_version: api_version.to_string(), resource }
    }))
}

/// Turn one parsed document into an [`Object`]. The document must be a mapping with string
/// `apiVersion` and `kind` (lists are unpacked by the source stage before this is called).
pub fn decode_value(mut value: Value, loc: SourceLoc) -> Result<Object, DecodeError> {
    let map = match &value {
        Value::Object(map) => map,
        Value::Null => return Err(DecodeError { path: String::new(), message: "empty document".into() }),
        other => {
            return Err(DecodeError {
                path: String::new(),
                message: format!("expected a Kubernetes object (a mapping), found {}", json_type(other)),
            })
        }
    };
    let field = |name: &str| -> Result<String, DecodeError> {
        match map.get(name) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(other) => Err(DecodeError {
                path: name.into(),
                message: format!("expected a non-empty string, found {}", json_type(other)),
            }),
            None => Err(DecodeError { path: String::new(), message: format!("not a Kubernetes object: no `{name}` field") }),
        }
    };
    let api_version = field("apiVersion")?;
    let kind = field("kind")?;
    let (group, _) = split_api_version(&api_version);
    let typed = if stays_generic(&api_version, &kind) { None } else { Resource::decode_typed(group, &kind, &mut value)? };
    let mut resource = match typed {
        Some(resource) => resource,
        None => Resource::Generic(Box::new(decode_generic(value, api_version.clone(), kind)?)),
    };
    slim(&mut resource);
    Ok(Object { loc, api_version, resource })
}

/// Older API versions of a typed kind whose schema has fields the typed one lacks: an
/// EndpointSlice of `discovery.k8s.io/v1beta1` has a `topology` map per endpoint, which the
/// `v1` type would drop.
fn stays_generic(api_version: &str, kind: &str) -> bool {
    kind == "EndpointSlice" && api_version != "discovery.k8s.io/v1"
}

fn decode_generic(value: Value, api_version: String, kind: String) -> Result<GenericObject, DecodeError> {
    let Value::Object(mut body) = value else { unreachable!("checked by decode_value") };
    body.remove("apiVersion");
    body.remove("kind");
    let metadata = match body.remove("metadata") {
        None | Some(Value::Null) => Meta::default(),
        Some(mut meta) => decode_with_path(&mut meta).map_err(|e| DecodeError {
            path: format!("metadata.{}", e.path).trim_end_matches('.').to_string(),
            message: e.message,
        })?,
    };
    Ok(GenericObject { api_version, kind, metadata, body })
}

pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn loc() -> SourceLoc {
        SourceLoc::new("t.yaml", 1, 1)
    }

    #[test]
    fn typed_and_generic_kinds() {
        let pod = decode_value(json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"a"}}), loc()).unwrap();
        assert!(matches!(pod.resource, Resource::Pod(_)));
        assert_eq!(pod.object_ref().to_string(), "Pod/a/p");

        let crd = decode_value(json!({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"x":1}}), loc()).unwrap();
        match &crd.resource {
            Resource::Generic(g) => {
                assert_eq!(g.kind, "Widget");
                assert_eq!(g.body["spec"]["x"], 1);
            }
            other => panic!("expected generic, got {other:?}"),
        }
    }

    #[test]
    fn same_kind_in_a_foreign_group_stays_generic() {
        let knative = decode_value(json!({"apiVersion":"serving.knative.dev/v1","kind":"Service","metadata":{"name":"s"}}), loc()).unwrap();
        assert!(matches!(knative.resource, Resource::Generic(_)));
    }

    #[test]
    fn legacy_group_is_typed_and_keeps_original_api_version() {
        let d = decode_value(json!({"apiVersion":"extensions/v1beta1","kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":[]}}}}), loc()).unwrap();
        assert!(matches!(d.resource, Resource::Deployment(_)));
        assert_eq!(d.api_version, "extensions/v1beta1");
    }

    /// Both decode paths prune alike, into lists too (a Pod's container statuses).
    #[test]
    fn direct_and_value_decoding_prune_the_same_fields() {
        let pod = json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"a","managedFields":[{"manager":"m"}]},
            "spec":{"containers":[{"name":"c","image":"i:1"}]},
            "status":{"phase":"Running","podIP":"10.0.0.1","containerStatuses":[{"name":"c","image":"i:1","imageID":"i@sha256:ab","ready":true,"restartCount":2,
                "containerID":"containerd://1","state":{"running":{"startedAt":"2026-11-01T10:00:00Z"}}}]}});
        let text = pod.to_string();
        let direct = decode_direct("v1", "Pod", &mut serde_json::Deserializer::from_str(&text), loc()).unwrap().unwrap();
        let value = decode_value(pod, loc()).unwrap();
        assert_eq!(direct, value);
        let Resource::Pod(p) = &value.resource else { panic!("typed") };
        let status = &p.status.as_ref().unwrap().container_statuses.as_ref().unwrap()[0];
        assert_eq!((status.image_id.as_str(), status.restart_count), ("i@sha256:ab", 2));
        assert!(status.state.is_none() && status.container_id.is_none() && p.status.as_ref().unwrap().pod_ip.is_none());
    }

    /// Both decode paths leave an object's owner references without spare room.
    #[test]
    fn owner_references_are_shrunk_on_both_paths() {
        let rs = json!({"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"r","namespace":"a",
            "ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":"d","uid":"1"}]}});
        let text = rs.to_string();
        let direct = decode_direct("apps/v1", "ReplicaSet", &mut serde_json::Deserializer::from_str(&text), loc()).unwrap().unwrap();
        let value = decode_value(rs, loc()).unwrap();
        assert_eq!(direct, value);
        for o in [&direct, &value] {
            assert_eq!(o.metadata().owner_references.as_ref().map(Vec::capacity), Some(1));
        }
    }

    #[test]
    fn errors_name_the_field_path() {
        let err = decode_value(json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","ports":[{"containerPort":"eighty"}]}]}}), loc()).unwrap_err();
        assert_eq!(err.path, "spec.containers[0].ports[0].containerPort");
        let err = decode_value(json!({"kind":"Pod"}), loc()).unwrap_err();
        assert_eq!(err.to_string(), "not a Kubernetes object: no `apiVersion` field");
        let err = decode_value(json!([1, 2]), loc()).unwrap_err();
        assert!(err.message.contains("a list"));
    }
}
