//! What the collector lists: the built-in kinds kubepci types (always listed), and kinds that
//! exist only on some clusters (CRDs, newer built-ins), listed only when discovery says they
//! are served. `deploy/clusterrole.yaml` grants get/list on exactly these.

/// A built-in kind listed on every cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TypedKind {
    /// API group, `""` for the core group.
    pub group: &'static str,
    pub version: &'static str,
    /// Resource name in the URL (`deployments`).
    pub resource: &'static str,
    pub kind: &'static str,
    /// Listed only with `include_secrets`.
    pub secret: bool,
}

/// A kind listed only when served; its version is discovered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GatedKind {
    pub group: &'static str,
    /// Resource name, or `*` for every listable resource of the group (Gatekeeper constraints,
    /// whose kinds are defined by each installation's templates).
    pub resource: &'static str,
    /// The kind checks name it by (`""` for `*`: discovery says).
    pub kind: &'static str,
    /// Why a check wants it.
    pub purpose: &'static str,
}

const fn typed(group: &'static str, version: &'static str, resource: &'static str, kind: &'static str) -> TypedKind {
    TypedKind { group, version, resource, kind, secret: false }
}

/// The typed kinds of `kubepci_model::Resource`, in the order their objects are emitted.
pub const TYPED_KINDS: &[TypedKind] = &[
    typed("", "v1", "namespaces", "Namespace"),
    typed("", "v1", "nodes", "Node"),
    typed("", "v1", "pods", "Pod"),
    typed("", "v1", "replicationcontrollers", "ReplicationController"),
    typed("", "v1", "services", "Service"),
    typed("", "v1", "configmaps", "ConfigMap"),
    TypedKind { group: "", version: "v1", resource: "secrets", kind: "Secret", secret: true },
    typed("", "v1", "serviceaccounts", "ServiceAccount"),
    typed("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim"),
    typed("apps", "v1", "deployments", "Deployment"),
    typed("apps", "v1", "replicasets", "ReplicaSet"),
    typed("apps", "v1", "statefulsets", "StatefulSet"),
    typed("apps", "v1", "daemonsets", "DaemonSet"),
    typed("batch", "v1", "jobs", "Job"),
    typed("batch", "v1", "cronjobs", "CronJob"),
    typed("networking.k8s.io", "v1", "ingresses", "Ingress"),
    typed("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy"),
    typed("rbac.authorization.k8s.io", "v1", "roles", "Role"),
    typed("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole"),
    typed("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding"),
    typed("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding"),
    typed("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration"),
    typed("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration"),
];

const fn gated(group: &'static str, resource: &'static str, kind: &'static str, purpose: &'static str) -> GatedKind {
    GatedKind { group, resource, kind, purpose }
}

impl GatedKind {
    /// The kind, or `resource.group` when it is only known after discovery.
    pub fn label(&self) -> String {
        if self.kind.is_empty() { format!("{}.{}", self.resource, self.group) } else { self.kind.to_string() }
    }
}

/// Kinds listed only when discovery shows them served.
pub const GATED_KINDS: &[GatedKind] = &[
    gated("admissionregistration.k8s.io", "validatingadmissionpolicies", "ValidatingAdmissionPolicy", "in-tree admission policies"),
    gated("admissionregistration.k8s.io", "validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding", "in-tree admission policies"),
    gated("discovery.k8s.io", "endpointslices", "EndpointSlice", "the API server's addresses (the `kubernetes` EndpointSlice in `default`)"),
    gated("policy.networking.k8s.io", "adminnetworkpolicies", "AdminNetworkPolicy", "cluster-wide network policy"),
    gated("policy.networking.k8s.io", "baselineadminnetworkpolicies", "BaselineAdminNetworkPolicy", "cluster-wide network policy"),
    gated("networking.k8s.io", "ingressclasses", "IngressClass", "ingress paths: the controller of each Ingress"),
    gated("gateway.networking.k8s.io", "gateways", "Gateway", "ingress paths (Gateway API)"),
    gated("gateway.networking.k8s.io", "httproutes", "HTTPRoute", "ingress paths (Gateway API)"),
    gated("gateway.networking.k8s.io", "grpcroutes", "GRPCRoute", "ingress paths (Gateway API)"),
    gated("gateway.networking.k8s.io", "tlsroutes", "TLSRoute", "ingress paths (Gateway API)"),
    gated("gateway.networking.k8s.io", "tcproutes", "TCPRoute", "ingress paths (Gateway API)"),
    gated("route.openshift.io", "routes", "Route", "ingress paths (OpenShift)"),
    gated("security.istio.io", "peerauthentications", "PeerAuthentication", "mesh mutual TLS"),
    gated("cert-manager.io", "certificates", "Certificate", "certificate inventory"),
    gated("cert-manager.io", "issuers", "Issuer", "certificate trust: self-signed and private-CA issuers"),
    gated("cert-manager.io", "clusterissuers", "ClusterIssuer", "certificate trust: self-signed and private-CA issuers"),
    gated("storage.k8s.io", "storageclasses", "StorageClass", "encryption at rest of volumes"),
    gated("argoproj.io", "applications", "Application", "change control: GitOps (Argo CD)"),
    gated("kustomize.toolkit.fluxcd.io", "kustomizations", "Kustomization", "change control: GitOps (Flux)"),
    gated("helm.toolkit.fluxcd.io", "helmreleases", "HelmRelease", "change control: GitOps (Flux)"),
    gated("velero.io", "schedules", "Schedule", "backups of the CDE and their encryption"),
    gated("velero.io", "backupstoragelocations", "BackupStorageLocation", "backups of the CDE and their encryption"),
    gated("monitoring.coreos.com", "prometheusrules", "PrometheusRule", "alerting on the log pipeline"),
    gated("monitoring.coreos.com", "alertmanagers", "Alertmanager", "alerting on the log pipeline"),
    gated("monitoring.coreos.com", "alertmanagerconfigs", "AlertmanagerConfig", "alerting on the log pipeline"),
    gated("stackconfigpolicy.k8s.elastic.co", "stackconfigpolicies", "StackConfigPolicy", "audit log retention (ECK index lifecycle policies)"),
    gated("opensearch.opster.io", "opensearchismpolicies", "OpenSearchISMPolicy", "audit log retention (OpenSearch operator ISM policies)"),
    // The operator's newer releases serve the same kind in the `opensearch.org` group.
    gated("opensearch.org", "opensearchismpolicies", "OpenSearchISMPolicy", "audit log retention (OpenSearch operator ISM policies)"),
    gated("kyverno.io", "clusterpolicies", "ClusterPolicy", "policy engine"),
    gated("kyverno.io", "policies", "Policy", "policy engine"),
    gated("templates.gatekeeper.sh", "constrainttemplates", "ConstraintTemplate", "policy engine"),
    gated("constraints.gatekeeper.sh", "*", "", "policy engine"),
    gated("policy.sigstore.dev", "clusterimagepolicies", "ClusterImagePolicy", "image signature verification (sigstore policy-controller)"),
    gated("aquasecurity.github.io", "vulnerabilityreports", "VulnerabilityReport", "image vulnerability scans (trivy-operator)"),
    gated("aquasecurity.github.io", "clustervulnerabilityreports", "ClusterVulnerabilityReport", "image vulnerability scans (trivy-operator)"),
];

/// `apiVersion` for a group and version (`v1` for the core group).
pub fn api_version(group: &str, version: &str) -> String {
    if group.is_empty() { version.to_string() } else { format!("{group}/{version}") }
}

/// The collection URL of a resource across all namespaces.
pub fn list_path(group: &str, version: &str, resource: &str) -> String {
    if group.is_empty() { format!("/api/{version}/{resource}") } else { format!("/apis/{group}/{version}/{resource}") }
}

/// One kind resolved to a concrete list URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// API group (`""` for the core group).
    pub group: String,
    pub api_version: String,
    pub kind: String,
    pub path: String,
    /// `resource.group` as RBAC and kubectl name it (`networkpolicies.networking.k8s.io`).
    pub resource_name: String,
}

impl Target {
    pub fn new(group: &str, version: &str, resource: &str, kind: &str) -> Target {
        Target {
            group: group.to_string(),
            api_version: api_version(group, version),
            kind: kind.to_string(),
            path: list_path(group, version, resource),
            resource_name: if group.is_empty() { resource.to_string() } else { format!("{resource}.{group}") },
        }
    }

    /// `Kind.apiVersion`, the name snapshots use for a kind.
    pub fn label(&self) -> String {
        format!("{}.{}", self.kind, self.api_version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_for_core_and_named_groups() {
        let pods = Target::new("", "v1", "pods", "Pod");
        assert_eq!(pods.path, "/api/v1/pods");
        assert_eq!(pods.label(), "Pod.v1");
        let np = Target::new("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy");
        assert_eq!(np.path, "/apis/networking.k8s.io/v1/networkpolicies");
        assert_eq!(np.resource_name, "networkpolicies.networking.k8s.io");
    }

    #[test]
    fn typed_kinds_cover_every_model_kind_once() {
        let mut kinds: Vec<_> = TYPED_KINDS.iter().map(|k| k.kind).collect();
        kinds.sort();
        kinds.dedup();
        assert_eq!(kinds.len(), TYPED_KINDS.len());
        assert_eq!(TYPED_KINDS.iter().filter(|k| k.secret).count(), 1);
    }
}
