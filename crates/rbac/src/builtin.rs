//! The default user-facing ClusterRoles every cluster has (`cluster-admin`, `admin`, `edit`,
//! `view`). Manifests often bind them without containing them; when the input lacks one, the
//! model uses this definition (and says so) instead of treating the binding as granting
//! nothing. `admin`, `edit` and `view` are aggregated upstream; these are condensed versions
//! that keep what matters for access decisions (secrets, pod exec, workload writes, RBAC).

use crate::rule::Rule;

fn r(verbs: &[&str], groups: &[&str], resources: &[&str]) -> Rule {
    let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
    Rule { verbs: v(verbs), api_groups: v(groups), resources: v(resources), resource_names: vec![], non_resource_urls: vec![] }
}

const READ: &[&str] = &["get", "list", "watch"];
const WRITE: &[&str] = &["create", "delete", "deletecollection", "patch", "update"];

fn view_rules() -> Vec<Rule> {
    vec![
        r(READ, &[""], &["configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods", "pods/log", "pods/status", "replicationcontrollers", "replicationcontrollers/scale", "replicationcontrollers/status", "serviceaccounts", "services", "services/status", "bindings", "events", "limitranges", "resourcequotas", "resourcequotas/status", "namespaces", "namespaces/status"]),
        r(READ, &["apps"], &["controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "replicasets", "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"]),
        r(READ, &["batch"], &["cronjobs", "cronjobs/status", "jobs", "jobs/status"]),
        r(READ, &["autoscaling"], &["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
        r(READ, &["policy"], &["poddisruptionbudgets", "poddisruptionbudgets/status"]),
        r(READ, &["networking.k8s.io"], &["ingresses", "ingresses/status", "networkpolicies"]),
        r(READ, &["discovery.k8s.io"], &["endpointslices"]),
    ]
}

fn edit_rules() -> Vec<Rule> {
    let mut rules = view_rules();
    rules.extend([
        r(&["impersonate"], &[""], &["serviceaccounts"]),
        r(&["create"], &[""], &["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "services/proxy"]),
        r(&["get"], &[""], &["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "services/proxy"]),
        r(&["create", "delete", "deletecollection", "patch", "update", "get", "list", "watch"], &[""], &["secrets"]),
        r(&["create"], &[""], &["serviceaccounts/token"]),
        r(WRITE, &[""], &["configmaps", "events", "persistentvolumeclaims", "pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/proxy", "endpoints"]),
        r(WRITE, &["apps"], &["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"]),
        r(WRITE, &["batch"], &["cronjobs", "jobs"]),
        r(WRITE, &["autoscaling"], &["horizontalpodautoscalers"]),
        r(WRITE, &["policy"], &["poddisruptionbudgets"]),
        r(WRITE, &["networking.k8s.io"], &["ingresses", "networkpolicies"]),
        r(WRITE, &["coordination.k8s.io"], &["leases"]),
    ]);
    rules
}

fn admin_rules() -> Vec<Rule> {
    let mut rules = edit_rules();
    rules.extend([
        r(&["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"], &["rbac.authorization.k8s.io"], &["rolebindings", "roles"]),
        r(&["create"], &["authorization.k8s.io"], &["localsubjectaccessreviews"]),
    ]);
    rules
}

/// The built-in definition of a default ClusterRole, when `name` is one.
pub fn cluster_role(name: &str) -> Option<Vec<Rule>> {
    match name {
        "cluster-admin" => Some(vec![
            r(&["*"], &["*"], &["*"]),
            Rule { verbs: vec!["*".into()], non_resource_urls: vec!["*".into()], ..Default::default() },
        ]),
        "admin" => Some(admin_rules()),
        "edit" => Some(edit_rules()),
        "view" => Some(view_rules()),
        _ => None,
    }
}
