use std::collections::BTreeSet;

use kubepci_findings::Evidence;
use kubepci_inventory::Scope;
use kubepci_rbac::{NamespaceFilter, Request, WhoCanEntry};

use super::PLATFORM_TOOLING_NOT_IN_MANIFESTS;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Responders must be able to quarantine a CDE workload
    ///
    /// ## What it checks
    /// On a live cluster or a snapshot: in every CDE namespace, some subject that is not a
    /// Kubernetes system identity (not `system:*`, not a ServiceAccount of `kube-system`) may
    /// both create NetworkPolicies and patch Pods: the two rights the quarantine of a workload
    /// uses (a deny-all policy on a quarantine label, and the label on the pods; see
    /// `kubepci respond` and `deploy/respond-clusterrole.yaml`). Not assessed on manifests or
    /// without a declared CDE.
    ///
    /// ## Why PCI DSS cares
    /// 12.10.1 requires an incident response plan with containment procedures that can be
    /// activated at once. If no one but a cluster superuser may isolate a compromised CDE pod,
    /// containment waits for an escalation of privileges in the middle of an incident, or does
    /// not happen.
    ///
    /// ## Failing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: viewer}
    /// rules: [{apiGroups: ["", networking.k8s.io], resources: [pods, networkpolicies], verbs: [get, list]}]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: responders-view}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: viewer}
    /// subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: incident-responders}]
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: kubepci-responder}
    /// rules:
    /// - {apiGroups: [networking.k8s.io], resources: [networkpolicies], verbs: [create, delete]}
    /// - {apiGroups: [""], resources: [pods], verbs: [patch]}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: kubepci-responder}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: kubepci-responder}
    /// subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: incident-responders}]
    /// ```
    ///
    /// ## Fix
    /// Install `deploy/respond-clusterrole.yaml` and bind `kubepci-responder` to the group of
    /// people who respond to incidents (cluster-wide, or per CDE namespace with RoleBindings),
    /// and name that group in the incident response plan.
    pub QUARANTINE_ROLE {
        id: "IR-003",
        name: "quarantine-role-bound",
        severity: Medium,
        applies: Cluster,
        reads: [ClusterRole, ClusterRoleBinding, Namespace, Role, RoleBinding, ServiceAccount],
        requirements: [
            ("12.10.1", "12.10.1.a", "the plan's containment of a compromised CDE workload can be activated only when responders hold the rights it uses in every CDE namespace"),
        ],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    if !cx.input.is_cluster() {
        e.not_assessed(None, PLATFORM_TOOLING_NOT_IN_MANIFESTS);
        return;
    }
    let cde: Vec<&str> = cx.inv.namespaces().filter(|n| n.scope.scope == Scope::Cde).map(|n| n.name.as_str()).collect();
    if cde.is_empty() {
        e.not_assessed(None, kubepci_findings::reasons::NO_CDE_DECLARED);
        return;
    }
    let model = cx.rbac_model();
    let create_policy = Request::resource("create", "networking.k8s.io", "networkpolicies", "", "");
    let patch_pods = Request::resource("patch", "", "pods", "", "");
    let mut lacking = Vec::new();
    for ns in &cde {
        let filter = NamespaceFilter::Namespace(ns.to_string());
        let creators = responders(model.who_can_entries(&create_policy, &filter));
        let patchers = responders(model.who_can_entries(&patch_pods, &filter));
        if creators.intersection(&patchers).next().is_none() {
            lacking.push(*ns);
        }
    }
    if lacking.is_empty() {
        e.pass_cluster();
    } else {
        e.fail_cluster(
            format!("no one but system identities may quarantine a workload (create NetworkPolicies and patch Pods) in CDE {} {}", if lacking.len() == 1 { "namespace" } else { "namespaces" }, lacking.join(", ")),
            lacking.iter().map(|ns| Evidence::field("namespace", ns.to_string())).collect(),
        );
    }
}

/// The subjects of who-can entries that are people or their tools, not Kubernetes itself.
fn responders(entries: Vec<WhoCanEntry>) -> BTreeSet<(String, String, Option<String>)> {
    entries
        .into_iter()
        .filter(|e| !is_system_identity(e))
        .map(|e| (e.kind.to_string(), e.name, e.namespace))
        .collect()
}

/// Kubernetes' own identities: `system:*` users and groups, ServiceAccounts of `kube-system`.
fn is_system_identity(e: &WhoCanEntry) -> bool {
    e.name.starts_with("system:") || (e.kind == "ServiceAccount" && e.namespace.as_deref() == Some("kube-system"))
}

#[cfg(test)]
mod tests {
    use crate::testing::run;

    use super::*;

    const NS: &str = "# input: snapshot\napiVersion: v1\nkind: Namespace\nmetadata: {name: pay, labels: {pci.kubepci.io/scope: cde}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: vault, labels: {pci.kubepci.io/scope: cde}}\n---\n";

    #[test]
    fn both_rights_are_needed_in_every_cde_namespace_and_system_identities_do_not_count() {
        let role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules:\n- {apiGroups: [networking.k8s.io], resources: [networkpolicies], verbs: [create]}\n- {apiGroups: [\"\"], resources: [pods], verbs: [patch]}\n---\n";
        let bind_in = |ns: &str, subject: &str| format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: b, namespace: {ns}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}}\nsubjects: [{subject}]\n---\n");
        let group = "{apiGroup: rbac.authorization.k8s.io, kind: Group, name: responders}";
        let one = run(&QUARANTINE_ROLE, &format!("{NS}{role}{}", bind_in("pay", group)), "");
        assert_eq!(one.fails.len(), 1);
        assert!(one.fails[0].message.ends_with("in CDE namespace vault"), "{:?}", one.fails);
        let both = run(&QUARANTINE_ROLE, &format!("{NS}{role}{}{}", bind_in("pay", group), bind_in("vault", group)), "");
        assert_eq!((both.passed, both.fails.len()), (1, 0));
        let system = "{kind: ServiceAccount, name: replicaset-controller, namespace: kube-system}";
        let controllers = run(&QUARANTINE_ROLE, &format!("{NS}{role}{}{}", bind_in("pay", system), bind_in("vault", system)), "");
        assert_eq!(controllers.fails.len(), 1);
        let no_cde = run(&QUARANTINE_ROLE, "# input: snapshot\napiVersion: v1\nkind: Namespace\nmetadata: {name: web}\n", "");
        assert_eq!(no_cde.not_assessed[0].message, kubepci_findings::reasons::NO_CDE_DECLARED);
        let manifests = run(&QUARANTINE_ROLE, &NS.replace("# input: snapshot\n", ""), "");
        assert_eq!(manifests.not_assessed[0].message, PLATFORM_TOOLING_NOT_IN_MANIFESTS);
    }
}
