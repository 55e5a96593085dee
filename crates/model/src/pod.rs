//! kubepci's own Pod, pod spec, container, volume and environment variable: the k8s-openapi
//! structs with the same fields, field names and JSON, laid out to be small.
//!
//! k8s-openapi holds every optional sub-struct inline, set or not: a `Container` is 2,336
//! bytes (three probes, a lifecycle, a security context), a `Volume` 3,280 (about thirty volume
//! sources, one of which is ever set), an `EnvVar` 360 (its `valueFrom`). A cluster of a
//! million objects holds hundreds of thousands of Pods, each with its own spec, so here the
//! large, rarely-set parts are boxed (`Option<Box<…>>`, eight bytes when absent) and the rest
//! stays as it was. Nothing is left out: every field k8s-openapi has is here, under the same
//! name, and the types convert both ways without loss ([`From`]).
//!
//! The serde code is written out to do exactly what k8s-openapi's does, so the two read the
//! same documents the same way (unknown fields ignored, a repeated field keeps its last value,
//! a missing required field is its default, `apiVersion`/`kind` checked on the Pod) and write
//! the same JSON (fields in the same order, absent ones left out).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1 as k8s;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How a field is held, by its tag in [`compact_struct!`]:
/// `req` a required field (`T`, its default when missing, always written);
/// `opt` an optional one as k8s-openapi has it (`Option<T>`);
/// `boxed` an optional one behind a box (`Option<Box<T>>`, k8s-openapi's `Option<T>`);
/// `vec` an optional list as k8s-openapi has it (`Option<Vec<T>>`);
/// `list` an optional list of one of this module's types (`Option<Vec<T>>`, k8s-openapi's
/// `Option<Vec<k8s::T>>`); `req_list` a required one (`Vec<T>`).
/// Lists are decoded with no length known, so a `Vec` grows to room for four items on its
/// first one: decoded lists are shrunk to their length (a Pod's one container status would
/// otherwise hold room for four, 3 KB).
macro_rules! held {
    (req, $ty:ty) => { $ty };
    (opt, $ty:ty) => { Option<$ty> };
    (vec, $ty:ty) => { Option<Vec<$ty>> };
    (boxed, $ty:ty) => { Option<Box<$ty>> };
    (list, $ty:ty) => { Option<Vec<$ty>> };
    (req_list, $ty:ty) => { Vec<$ty> };
}

/// What the decoder gathers for a field: required ones may be missing.
macro_rules! gathered {
    (req, $ty:ty) => { Option<$ty> };
    (req_list, $ty:ty) => { Option<Vec<$ty>> };
    ($tag:ident, $ty:ty) => { held!($tag, $ty) };
}

macro_rules! finish {
    (req, $v:expr) => { $v.unwrap_or_default() };
    (req_list, $v:expr) => { shrunk($v).unwrap_or_default() };
    (list, $v:expr) => { shrunk($v) };
    (vec, $v:expr) => { shrunk($v) };
    ($tag:ident, $v:expr) => { $v };
}

/// From k8s-openapi's field to ours.
macro_rules! from_k8s {
    (req, $v:expr) => { $v };
    (opt, $v:expr) => { $v };
    (vec, $v:expr) => { $v };
    (boxed, $v:expr) => { $v.map(Box::new) };
    (list, $v:expr) => { $v.map(|items| items.into_iter().map(From::from).collect()) };
    (req_list, $v:expr) => { $v.into_iter().map(From::from).collect() };
}

/// From our field to k8s-openapi's.
macro_rules! to_k8s {
    (req, $v:expr) => { $v };
    (opt, $v:expr) => { $v };
    (vec, $v:expr) => { $v };
    (boxed, $v:expr) => { $v.map(|b| *b) };
    (list, $v:expr) => { $v.map(|items| items.into_iter().map(From::from).collect()) };
    (req_list, $v:expr) => { $v.into_iter().map(From::from).collect() };
}

/// Written unless absent: required fields always.
macro_rules! present {
    (req, $v:expr) => { true };
    (req_list, $v:expr) => { true };
    ($tag:ident, $v:expr) => { $v.is_some() };
}

macro_rules! write_field {
    (req, $state:ident, $json:literal, $v:expr) => { $state.serialize_field($json, &$v)? };
    (req_list, $state:ident, $json:literal, $v:expr) => { $state.serialize_field($json, &$v)? };
    ($tag:ident, $state:ident, $json:literal, $v:expr) => {
        if let Some(value) = &$v {
            $state.serialize_field($json, value)?;
        }
    };
}

/// A decoded list without its spare room (see [`held!`]).
pub(crate) fn shrunk<T>(list: Option<Vec<T>>) -> Option<Vec<T>> {
    list.map(|mut items| {
        items.shrink_to_fit();
        items
    })
}

/// A struct with the fields (in k8s-openapi's order), its serde code and its conversions.
macro_rules! compact_struct {
    (
        $(#[$doc:meta])*
        $name:ident <=> $k8s:ty {
            $( $tag:ident $field:ident : $ty:ty = $json:literal, )*
        }
    ) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $name {
            $( pub $field: held!($tag, $ty), )*
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                #[allow(non_camel_case_types)]
                enum Field {
                    $( $field, )*
                    Other,
                }

                impl<'de> Deserialize<'de> for Field {
                    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                        struct FieldVisitor;
                        impl Visitor<'_> for FieldVisitor {
                            type Value = Field;
                            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                                f.write_str("field identifier")
                            }
                            fn visit_str<E: de::Error>(self, v: &str) -> Result<Field, E> {
                                Ok(match v {
                                    $( $json => Field::$field, )*
                                    _ => Field::Other,
                                })
                            }
                        }
                        deserializer.deserialize_identifier(FieldVisitor)
                    }
                }

                struct StructVisitor;
                impl<'de> Visitor<'de> for StructVisitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(stringify!($name))
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$name, A::Error> {
                        $( let mut $field: gathered!($tag, $ty) = None; )*
                        while let Some(key) = map.next_key::<Field>()? {
                            match key {
                                $( Field::$field => $field = map.next_value()?, )*
                                Field::Other => {
                                    let _: IgnoredAny = map.next_value()?;
                                }
                            }
                        }
                        Ok($name { $( $field: finish!($tag, $field), )* })
                    }
                }

                deserializer.deserialize_struct(stringify!($name), &[$( $json, )*], StructVisitor)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let count = 0 $( + usize::from(present!($tag, self.$field)) )*;
                let mut state = serializer.serialize_struct(stringify!($name), count)?;
                $( write_field!($tag, state, $json, self.$field); )*
                state.end()
            }
        }

        impl From<$k8s> for $name {
            fn from(k: $k8s) -> $name {
                $name { $( $field: from_k8s!($tag, k.$field), )* }
            }
        }

        impl From<$name> for $k8s {
            fn from(c: $name) -> $k8s {
                type K8s = $k8s;
                K8s { $( $field: to_k8s!($tag, c.$field), )* }
            }
        }
    };
}

compact_struct! {
    /// A pod's spec (k8s-openapi's `PodSpec`, compact: see the module comment).
    PodSpec <=> k8s::PodSpec {
        opt active_deadline_seconds: i64 = "activeDeadlineSeconds",
        boxed affinity: k8s::Affinity = "affinity",
        opt automount_service_account_token: bool = "automountServiceAccountToken",
        req_list containers: Container = "containers",
        boxed dns_config: k8s::PodDNSConfig = "dnsConfig",
        opt dns_policy: String = "dnsPolicy",
        opt enable_service_links: bool = "enableServiceLinks",
        vec ephemeral_containers: k8s::EphemeralContainer = "ephemeralContainers",
        vec eviction_responders: k8s::EvictionResponder = "evictionResponders",
        vec host_aliases: k8s::HostAlias = "hostAliases",
        opt host_ipc: bool = "hostIPC",
        opt host_network: bool = "hostNetwork",
        opt host_pid: bool = "hostPID",
        opt host_users: bool = "hostUsers",
        opt hostname: String = "hostname",
        opt hostname_override: String = "hostnameOverride",
        vec image_pull_secrets: k8s::LocalObjectReference = "imagePullSecrets",
        list init_containers: Container = "initContainers",
        opt node_name: String = "nodeName",
        opt node_selector: BTreeMap<String, String> = "nodeSelector",
        opt os: k8s::PodOS = "os",
        opt overhead: BTreeMap<String, Quantity> = "overhead",
        opt preemption_policy: String = "preemptionPolicy",
        opt priority: i32 = "priority",
        opt priority_class_name: String = "priorityClassName",
        vec readiness_gates: k8s::PodReadinessGate = "readinessGates",
        vec resource_claims: k8s::PodResourceClaim = "resourceClaims",
        boxed resources: k8s::ResourceRequirements = "resources",
        opt restart_policy: String = "restartPolicy",
        opt runtime_class_name: String = "runtimeClassName",
        opt scheduler_name: String = "schedulerName",
        vec scheduling_gates: k8s::PodSchedulingGate = "schedulingGates",
        boxed scheduling_group: k8s::PodSchedulingGroup = "schedulingGroup",
        boxed security_context: k8s::PodSecurityContext = "securityContext",
        opt service_account: String = "serviceAccount",
        opt service_account_name: String = "serviceAccountName",
        opt set_hostname_as_fqdn: bool = "setHostnameAsFQDN",
        opt share_process_namespace: bool = "shareProcessNamespace",
        opt subdomain: String = "subdomain",
        opt termination_grace_period_seconds: i64 = "terminationGracePeriodSeconds",
        vec tolerations: k8s::Toleration = "tolerations",
        vec topology_spread_constraints: k8s::TopologySpreadConstraint = "topologySpreadConstraints",
        list volumes: Volume = "volumes",
    }
}

compact_struct! {
    /// A container (k8s-openapi's `Container`, compact: probes, lifecycle, security context
    /// and resources boxed).
    Container <=> k8s::Container {
        vec args: String = "args",
        vec command: String = "command",
        list env: EnvVar = "env",
        vec env_from: k8s::EnvFromSource = "envFrom",
        opt image: String = "image",
        opt image_pull_policy: String = "imagePullPolicy",
        boxed lifecycle: k8s::Lifecycle = "lifecycle",
        boxed liveness_probe: k8s::Probe = "livenessProbe",
        req name: String = "name",
        vec ports: k8s::ContainerPort = "ports",
        boxed readiness_probe: k8s::Probe = "readinessProbe",
        vec resize_policy: k8s::ContainerResizePolicy = "resizePolicy",
        boxed resources: k8s::ResourceRequirements = "resources",
        opt restart_policy: String = "restartPolicy",
        vec restart_policy_rules: k8s::ContainerRestartRule = "restartPolicyRules",
        boxed security_context: k8s::SecurityContext = "securityContext",
        boxed startup_probe: k8s::Probe = "startupProbe",
        opt stdin: bool = "stdin",
        opt stdin_once: bool = "stdinOnce",
        opt termination_message_path: String = "terminationMessagePath",
        opt termination_message_policy: String = "terminationMessagePolicy",
        opt tty: bool = "tty",
        vec volume_devices: k8s::VolumeDevice = "volumeDevices",
        vec volume_mounts: k8s::VolumeMount = "volumeMounts",
        opt working_dir: String = "workingDir",
    }
}

compact_struct! {
    /// An environment variable (k8s-openapi's `EnvVar`, its `valueFrom` boxed).
    EnvVar <=> k8s::EnvVar {
        req name: String = "name",
        opt value: String = "value",
        boxed value_from: k8s::EnvVarSource = "valueFrom",
    }
}

compact_struct! {
    /// A pod volume (k8s-openapi's `Volume`, every volume source boxed: one is set).
    Volume <=> k8s::Volume {
        boxed aws_elastic_block_store: k8s::AWSElasticBlockStoreVolumeSource = "awsElasticBlockStore",
        boxed azure_disk: k8s::AzureDiskVolumeSource = "azureDisk",
        boxed azure_file: k8s::AzureFileVolumeSource = "azureFile",
        boxed cephfs: k8s::CephFSVolumeSource = "cephfs",
        boxed cinder: k8s::CinderVolumeSource = "cinder",
        boxed config_map: k8s::ConfigMapVolumeSource = "configMap",
        boxed csi: k8s::CSIVolumeSource = "csi",
        boxed downward_api: k8s::DownwardAPIVolumeSource = "downwardAPI",
        boxed empty_dir: k8s::EmptyDirVolumeSource = "emptyDir",
        boxed ephemeral: k8s::EphemeralVolumeSource = "ephemeral",
        boxed fc: k8s::FCVolumeSource = "fc",
        boxed flex_volume: k8s::FlexVolumeSource = "flexVolume",
        boxed flocker: k8s::FlockerVolumeSource = "flocker",
        boxed gce_persistent_disk: k8s::GCEPersistentDiskVolumeSource = "gcePersistentDisk",
        boxed git_repo: k8s::GitRepoVolumeSource = "gitRepo",
        boxed glusterfs: k8s::GlusterfsVolumeSource = "glusterfs",
        boxed host_path: k8s::HostPathVolumeSource = "hostPath",
        boxed image: k8s::ImageVolumeSource = "image",
        boxed iscsi: k8s::ISCSIVolumeSource = "iscsi",
        req name: String = "name",
        boxed nfs: k8s::NFSVolumeSource = "nfs",
        boxed persistent_volume_claim: k8s::PersistentVolumeClaimVolumeSource = "persistentVolumeClaim",
        boxed photon_persistent_disk: k8s::PhotonPersistentDiskVolumeSource = "photonPersistentDisk",
        boxed portworx_volume: k8s::PortworxVolumeSource = "portworxVolume",
        boxed projected: k8s::ProjectedVolumeSource = "projected",
        boxed quobyte: k8s::QuobyteVolumeSource = "quobyte",
        boxed rbd: k8s::RBDVolumeSource = "rbd",
        boxed scale_io: k8s::ScaleIOVolumeSource = "scaleIO",
        boxed secret: k8s::SecretVolumeSource = "secret",
        boxed storageos: k8s::StorageOSVolumeSource = "storageos",
        boxed vsphere_volume: k8s::VsphereVirtualDiskVolumeSource = "vsphereVolume",
    }
}

/// A Pod (k8s-openapi's `Pod` with a compact [`PodSpec`] and its status boxed).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pod {
    pub metadata: ObjectMeta,
    pub spec: Option<PodSpec>,
    pub status: Option<Box<k8s::PodStatus>>,
}

impl k8s_openapi::Resource for Pod {
    const API_VERSION: &'static str = <k8s::Pod as k8s_openapi::Resource>::API_VERSION;
    const GROUP: &'static str = <k8s::Pod as k8s_openapi::Resource>::GROUP;
    const KIND: &'static str = <k8s::Pod as k8s_openapi::Resource>::KIND;
    const VERSION: &'static str = <k8s::Pod as k8s_openapi::Resource>::VERSION;
    const URL_PATH_SEGMENT: &'static str = <k8s::Pod as k8s_openapi::Resource>::URL_PATH_SEGMENT;
    type Scope = <k8s::Pod as k8s_openapi::Resource>::Scope;
}

impl k8s_openapi::ListableResource for Pod {
    const LIST_KIND: &'static str = <k8s::Pod as k8s_openapi::ListableResource>::LIST_KIND;
}

impl k8s_openapi::Metadata for Pod {
    type Ty = ObjectMeta;
    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn metadata_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

impl From<k8s::Pod> for Pod {
    fn from(p: k8s::Pod) -> Pod {
        Pod { metadata: p.metadata, spec: p.spec.map(PodSpec::from), status: p.status.map(Box::new) }
    }
}

impl From<Pod> for k8s::Pod {
    fn from(p: Pod) -> k8s::Pod {
        k8s::Pod { metadata: p.metadata, spec: p.spec.map(k8s::PodSpec::from), status: p.status.map(|s| *s) }
    }
}

impl<'de> Deserialize<'de> for Pod {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use k8s_openapi::Resource;

        enum Field {
            ApiVersion,
            Kind,
            Metadata,
            Spec,
            Status,
            Other,
        }

        impl<'de> Deserialize<'de> for Field {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct FieldVisitor;
                impl Visitor<'_> for FieldVisitor {
                    type Value = Field;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("field identifier")
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<Field, E> {
                        Ok(match v {
                            "apiVersion" => Field::ApiVersion,
                            "kind" => Field::Kind,
                            "metadata" => Field::Metadata,
                            "spec" => Field::Spec,
                            "status" => Field::Status,
                            _ => Field::Other,
                        })
                    }
                }
                deserializer.deserialize_identifier(FieldVisitor)
            }
        }

        struct PodVisitor;
        impl<'de> Visitor<'de> for PodVisitor {
            type Value = Pod;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(Pod::KIND)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Pod, A::Error> {
                let mut metadata: Option<ObjectMeta> = None;
                let mut spec: Option<PodSpec> = None;
                let mut status: Option<Box<k8s::PodStatus>> = None;
                while let Some(key) = map.next_key::<Field>()? {
                    match key {
                        Field::ApiVersion => {
                            let value: String = map.next_value()?;
                            if value != Pod::API_VERSION {
                                return Err(de::Error::invalid_value(de::Unexpected::Str(&value), &Pod::API_VERSION));
                            }
                        }
                        Field::Kind => {
                            let value: String = map.next_value()?;
                            if value != Pod::KIND {
                                return Err(de::Error::invalid_value(de::Unexpected::Str(&value), &Pod::KIND));
                            }
                        }
                        Field::Metadata => metadata = map.next_value()?,
                        Field::Spec => spec = map.next_value()?,
                        Field::Status => status = map.next_value()?,
                        Field::Other => {
                            let _: IgnoredAny = map.next_value()?;
                        }
                    }
                }
                if let Some(status) = &mut status {
                    for list in [&mut status.container_statuses, &mut status.init_container_statuses] {
                        *list = shrunk(list.take());
                    }
                }
                Ok(Pod { metadata: metadata.unwrap_or_default(), spec, status })
            }
        }

        deserializer.deserialize_struct(Pod::KIND, &["apiVersion", "kind", "metadata", "spec", "status"], PodVisitor)
    }
}

impl Serialize for Pod {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use k8s_openapi::Resource;
        let count = 3 + usize::from(self.spec.is_some()) + usize::from(self.status.is_some());
        let mut state = serializer.serialize_struct(Pod::KIND, count)?;
        state.serialize_field("apiVersion", Pod::API_VERSION)?;
        state.serialize_field("kind", Pod::KIND)?;
        state.serialize_field("metadata", &self.metadata)?;
        if let Some(spec) = &self.spec {
            state.serialize_field("spec", spec)?;
        }
        if let Some(status) = &self.status {
            state.serialize_field("status", status)?;
        }
        state.end()
    }
}

#[cfg(test)]
mod tests;
