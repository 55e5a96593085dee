//! kubepci's own EndpointSlice, PodDisruptionBudget, LimitRange and ResourceQuota: the
//! k8s-openapi kinds with the same fields, field names and JSON, laid out to be small.
//!
//! These kinds were held as generic objects (a `serde_json::Map` per JSON object, about 540
//! bytes a B-tree node, and a 32-byte `Value` per scalar): an EndpointSlice of three endpoints
//! cost about 7 KB. Typed, an endpoint's rarely-set parts (its target reference, topology hints
//! and deprecated topology map) are boxed, an object's `status` is boxed, and decoded lists are
//! shrunk to their length. Every field k8s-openapi has is here, so nothing in the input is
//! lost that k8s-openapi would keep, and the types convert both ways without loss ([`From`]).
//! The structs and their serde code are written by the macros of [`crate::compact`]; the
//! fields are in k8s-openapi's order, which is also their JSON names' sorted order (the order a
//! generic object's body walked them in, see `Resource::EndpointSlice` in the card-data walk).
//!
//! The other kinds checks read and k8s-openapi types (Namespace, Service, ConfigMap, Secret,
//! ServiceAccount, Node, PersistentVolumeClaim, Ingress, NetworkPolicy, the RBAC kinds and the
//! webhook configurations) are here too, with k8s-openapi's fields as they are, for one
//! reason: their metadata is kubepci's compact [`crate::Meta`] (112 bytes and a small label
//! map instead of 360 bytes and a B-tree per map), as every object's is.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::admissionregistration::v1 as admission;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::api::discovery::v1 as discovery;
use k8s_openapi::api::networking::v1 as networking;
use k8s_openapi::api::policy::v1 as policy;
use k8s_openapi::api::rbac::v1 as rbac;

use crate::compact::shrunk;

compact_struct! {
    /// One endpoint of an [`EndpointSlice`] (k8s-openapi's `Endpoint`: its target reference,
    /// hints and deprecated topology boxed).
    Endpoint <=> discovery::Endpoint {
        req_list addresses: String = "addresses",
        opt conditions: discovery::EndpointConditions = "conditions",
        boxed deprecated_topology: BTreeMap<String, String> = "deprecatedTopology",
        boxed hints: discovery::EndpointHints = "hints",
        opt hostname: String = "hostname",
        opt node_name: String = "nodeName",
        boxed target_ref: core::ObjectReference = "targetRef",
        opt zone: String = "zone",
    }
}

compact_resource! {
    /// An EndpointSlice (`discovery.k8s.io/v1`; k8s-openapi's `EndpointSlice` with compact
    /// [`Endpoint`]s).
    EndpointSlice <=> discovery::EndpointSlice {
        req address_type: String = "addressType",
        list endpoints: Endpoint = "endpoints",
        vec ports: discovery::EndpointPort = "ports",
    }
    tidy = shrink_endpoint_slice;
}

compact_resource! {
    /// A PodDisruptionBudget (k8s-openapi's, its status boxed).
    PodDisruptionBudget <=> policy::PodDisruptionBudget {
        opt spec: policy::PodDisruptionBudgetSpec = "spec",
        boxed status: policy::PodDisruptionBudgetStatus = "status",
    }
    tidy = shrink_pod_disruption_budget;
}

compact_resource! {
    /// A LimitRange (k8s-openapi's, its list of limits shrunk).
    LimitRange <=> core::LimitRange {
        opt spec: core::LimitRangeSpec = "spec",
    }
    tidy = shrink_limit_range;
}

compact_resource! {
    /// A ResourceQuota (k8s-openapi's, its status boxed).
    ResourceQuota <=> core::ResourceQuota {
        opt spec: core::ResourceQuotaSpec = "spec",
        boxed status: core::ResourceQuotaStatus = "status",
    }
    tidy = shrink_resource_quota;
}

compact_resource! {
    /// A Namespace (k8s-openapi's, with compact metadata).
    Namespace <=> core::Namespace {
        opt spec: core::NamespaceSpec = "spec",
        opt status: core::NamespaceStatus = "status",
    }
}

compact_resource! {
    /// A Service (k8s-openapi's, with compact metadata).
    Service <=> core::Service {
        opt spec: core::ServiceSpec = "spec",
        opt status: core::ServiceStatus = "status",
    }
}

compact_resource! {
    /// A ConfigMap (k8s-openapi's, with compact metadata).
    ConfigMap <=> core::ConfigMap {
        opt binary_data: BTreeMap<String, ByteString> = "binaryData",
        opt data: BTreeMap<String, String> = "data",
        opt immutable: bool = "immutable",
    }
}

compact_resource! {
    /// A Secret (k8s-openapi's, with compact metadata).
    Secret <=> core::Secret {
        opt data: BTreeMap<String, ByteString> = "data",
        opt immutable: bool = "immutable",
        opt string_data: BTreeMap<String, String> = "stringData",
        opt type_: String = "type",
    }
}

compact_resource! {
    /// A ServiceAccount (k8s-openapi's, with compact metadata).
    ServiceAccount <=> core::ServiceAccount {
        opt automount_service_account_token: bool = "automountServiceAccountToken",
        vec image_pull_secrets: core::LocalObjectReference = "imagePullSecrets",
        vec secrets: core::ObjectReference = "secrets",
    }
}

compact_resource! {
    /// A Node (k8s-openapi's, with compact metadata).
    Node <=> core::Node {
        opt spec: core::NodeSpec = "spec",
        opt status: core::NodeStatus = "status",
    }
}

compact_resource! {
    /// A PersistentVolumeClaim (k8s-openapi's, with compact metadata).
    PersistentVolumeClaim <=> core::PersistentVolumeClaim {
        opt spec: core::PersistentVolumeClaimSpec = "spec",
        opt status: core::PersistentVolumeClaimStatus = "status",
    }
}

compact_resource! {
    /// An Ingress (k8s-openapi's, with compact metadata).
    Ingress <=> networking::Ingress {
        opt spec: networking::IngressSpec = "spec",
        opt status: networking::IngressStatus = "status",
    }
}

compact_resource! {
    /// A NetworkPolicy (k8s-openapi's, with compact metadata).
    NetworkPolicy <=> networking::NetworkPolicy {
        opt spec: networking::NetworkPolicySpec = "spec",
    }
}

compact_resource! {
    /// A Role (k8s-openapi's, with compact metadata).
    Role <=> rbac::Role {
        vec rules: rbac::PolicyRule = "rules",
    }
}

compact_resource! {
    /// A ClusterRole (k8s-openapi's, with compact metadata).
    ClusterRole <=> rbac::ClusterRole {
        opt aggregation_rule: rbac::AggregationRule = "aggregationRule",
        vec rules: rbac::PolicyRule = "rules",
    }
}

compact_resource! {
    /// A RoleBinding (k8s-openapi's, with compact metadata).
    RoleBinding <=> rbac::RoleBinding {
        req role_ref: rbac::RoleRef = "roleRef",
        vec subjects: rbac::Subject = "subjects",
    }
}

compact_resource! {
    /// A ClusterRoleBinding (k8s-openapi's, with compact metadata).
    ClusterRoleBinding <=> rbac::ClusterRoleBinding {
        req role_ref: rbac::RoleRef = "roleRef",
        vec subjects: rbac::Subject = "subjects",
    }
}

compact_resource! {
    /// A ValidatingWebhookConfiguration (k8s-openapi's, with compact metadata).
    ValidatingWebhookConfiguration <=> admission::ValidatingWebhookConfiguration {
        vec webhooks: admission::ValidatingWebhook = "webhooks",
    }
}

compact_resource! {
    /// A MutatingWebhookConfiguration (k8s-openapi's, with compact metadata).
    MutatingWebhookConfiguration <=> admission::MutatingWebhookConfiguration {
        vec webhooks: admission::MutatingWebhook = "webhooks",
    }
}

/// The lists inside the k8s-openapi parts of an EndpointSlice without their spare room.
fn shrink_endpoint_slice(slice: &mut EndpointSlice) {
    for endpoint in slice.endpoints.iter_mut().flatten() {
        if let Some(hints) = &mut endpoint.hints {
            hints.for_nodes = shrunk(hints.for_nodes.take());
            hints.for_zones = shrunk(hints.for_zones.take());
        }
    }
}

fn shrink_pod_disruption_budget(pdb: &mut PodDisruptionBudget) {
    if let Some(selector) = pdb.spec.as_mut().and_then(|s| s.selector.as_mut()) {
        crate::tidy::label_selector(selector);
    }
    if let Some(status) = &mut pdb.status {
        status.conditions = shrunk(status.conditions.take());
    }
}

fn shrink_limit_range(limit_range: &mut LimitRange) {
    if let Some(spec) = &mut limit_range.spec {
        spec.limits.shrink_to_fit();
    }
}

fn shrink_resource_quota(quota: &mut ResourceQuota) {
    if let Some(spec) = &mut quota.spec {
        spec.scopes = shrunk(spec.scopes.take());
        if let Some(selector) = &mut spec.scope_selector {
            selector.match_expressions = shrunk(selector.match_expressions.take());
            for requirement in selector.match_expressions.iter_mut().flatten() {
                requirement.values = shrunk(requirement.values.take());
            }
        }
    }
}

#[cfg(test)]
mod tests;
