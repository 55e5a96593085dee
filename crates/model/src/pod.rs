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
//! The structs, their serde code (the same JSON as k8s-openapi's, read and written the same
//! way) and their conversions are written by the macros of [`crate::compact`].

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1 as k8s;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

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

compact_resource! {
    /// A Pod (k8s-openapi's `Pod` with a compact [`PodSpec`] and its status boxed).
    Pod <=> k8s::Pod {
        conv spec: PodSpec = "spec",
        boxed status: k8s::PodStatus = "status",
    }
    tidy = shrink_status_lists;
}

/// A Pod's container statuses without their spare room (see [`crate::compact`]).
fn shrink_status_lists(pod: &mut Pod) {
    if let Some(status) = &mut pod.status {
        for list in [&mut status.container_statuses, &mut status.init_container_statuses] {
            *list = crate::compact::shrunk(list.take());
        }
    }
}

#[cfg(test)]
mod tests;
