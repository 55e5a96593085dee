//! Facts about built-in API resources that the authorizer itself does not know but that
//! queries need: the API group of a bare resource name (`deployments` → `apps`), which
//! resources are cluster-scoped (requests for them carry no namespace, so only
//! ClusterRoleBindings can grant them), and which resources run pods.

/// API group of well-known plural resource names; `""` (core) for anything else.
pub fn default_group(resource: &str) -> &'static str {
    match resource {
        "deployments" | "replicasets" | "statefulsets" | "daemonsets" | "controllerrevisions" => "apps",
        "jobs" | "cronjobs" => "batch",
        "roles" | "rolebindings" | "clusterroles" | "clusterrolebindings" => "rbac.authorization.k8s.io",
        "networkpolicies" | "ingresses" | "ingressclasses" => "networking.k8s.io",
        "validatingwebhookconfigurations" | "mutatingwebhookconfigurations" | "validatingadmissionpolicies"
        | "validatingadmissionpolicybindings" | "mutatingadmissionpolicies" | "mutatingadmissionpolicybindings" => "admissionregistration.k8s.io",
        "certificatesigningrequests" | "signers" | "clustertrustbundles" => "certificates.k8s.io",
        "customresourcedefinitions" => "apiextensions.k8s.io",
        "storageclasses" | "csidrivers" | "csinodes" | "volumeattachments" => "storage.k8s.io",
        "priorityclasses" => "scheduling.k8s.io",
        "runtimeclasses" => "node.k8s.io",
        "poddisruptionbudgets" => "policy",
        "horizontalpodautoscalers" => "autoscaling",
        "leases" => "coordination.k8s.io",
        "endpointslices" => "discovery.k8s.io",
        "tokenreviews" => "authentication.k8s.io",
        "subjectaccessreviews" | "selfsubjectaccessreviews" | "localsubjectaccessreviews" | "selfsubjectrulesreviews" => "authorization.k8s.io",
        "apiservices" => "apiregistration.k8s.io",
        "gateways" | "httproutes" | "gatewayclasses" | "grpcroutes" | "referencegrants" => "gateway.networking.k8s.io",
        "adminnetworkpolicies" | "baselineadminnetworkpolicies" => "policy.networking.k8s.io",
        _ => "",
    }
}

/// Built-in cluster-scoped resources. A RoleBinding that grants one of these grants nothing
/// (requests for them have no namespace).
pub fn is_cluster_scoped(group: &str, resource: &str) -> bool {
    matches!(
        (group, resource),
        ("", "nodes" | "persistentvolumes" | "componentstatuses")
            | ("rbac.authorization.k8s.io", "clusterroles" | "clusterrolebindings")
            | ("admissionregistration.k8s.io", _)
            | ("certificates.k8s.io", "certificatesigningrequests" | "signers" | "clustertrustbundles")
            | ("apiextensions.k8s.io", "customresourcedefinitions")
            | ("storage.k8s.io", "storageclasses" | "csidrivers" | "csinodes" | "volumeattachments")
            | ("scheduling.k8s.io", "priorityclasses")
            | ("node.k8s.io", "runtimeclasses")
            | ("networking.k8s.io", "ingressclasses")
            | ("apiregistration.k8s.io", "apiservices")
            | ("policy.networking.k8s.io", _)
            | ("authentication.k8s.io", "tokenreviews")
            | ("authorization.k8s.io", "subjectaccessreviews" | "selfsubjectaccessreviews" | "selfsubjectrulesreviews")
    )
}

/// Resources whose creation starts pods with a pod template the creator chooses
/// (group, resource).
pub const WORKLOAD_RESOURCES: &[(&str, &str)] = &[
    ("", "pods"),
    ("", "replicationcontrollers"),
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
];

/// Verbs with which a subject can put its own pod template into a workload resource.
pub const WORKLOAD_WRITE_VERBS: &[&str] = &["create", "update", "patch"];

/// Verbs that read objects (list and watch return full objects, Secret data included).
pub const READ_VERBS: &[&str] = &["get", "list", "watch"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_scopes() {
        assert_eq!(default_group("deployments"), "apps");
        assert_eq!(default_group("pods"), "");
        assert!(is_cluster_scoped("", "nodes"));
        assert!(!is_cluster_scoped("", "namespaces"));
        assert!(is_cluster_scoped("admissionregistration.k8s.io", "mutatingwebhookconfigurations"));
    }
}
