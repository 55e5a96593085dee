use super::view::{RbacView, report_grants};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// cluster-admin must be bound only to approved subjects
    ///
    /// ## What it checks
    /// Every RoleBinding and ClusterRoleBinding whose role grants everything: the role is
    /// `cluster-admin`, or one of its (aggregated) rules has `*` verbs on `*` resources in `*`
    /// apiGroups without `resourceNames`. It fails when the binding names a subject that is not
    /// in `approvedSubjects` of `kubepci.yaml`. The group `system:masters` and the API server's
    /// bootstrap bindings (label `kubernetes.io/bootstrapping=rbac-defaults`) are platform
    /// defaults and pass. A RoleBinding grants it in its namespace only, which the message says.
    ///
    /// ## Why PCI DSS cares
    /// A holder of `*` on `*` reads every Secret, runs code in every pod and can rewrite every
    /// control, CDE included. Requirement 7.2.2 asks that privileges follow job function with
    /// least privilege, and 7.2.5 that system and application accounts get only what they need;
    /// unrestricted rights must be the exception, held by named, approved admins.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: ci-admin}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
    /// subjects:
    /// - {kind: ServiceAccount, name: deployer, namespace: ci}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: platform-admins}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
    /// subjects:
    /// - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: platform-admins}
    /// ```
    ///
    /// ## Example configuration
    /// ```yaml
    /// approvedSubjects:
    /// - {kind: Group, name: platform-admins}
    /// ```
    ///
    /// ## Fix
    /// Bind a role with only the verbs and resources the subject needs (namespaced where
    /// possible) instead of cluster-admin. If the subject really administers the cluster, have
    /// the grant approved and list it under `approvedSubjects` in `kubepci.yaml`.
    pub CLUSTER_ADMIN_BINDING {
        id: "RBAC-001",
        name: "cluster-admin-binding",
        severity: Critical,
        applies: All,
        reads: [workloads, ClusterRole, ClusterRoleBinding, Namespace, Role, RoleBinding, ServiceAccount],
        requirements: [
            ("7.2.2", "7.2.2.b", "`*` on `*` outside the approved admins is the opposite of least privilege for any job function"),
            ("7.2.5", "7.2.5.b", "a ServiceAccount with cluster-admin has far more than its application needs"),
        ],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    let view = RbacView::new(cx);
    report_grants(
        &view,
        e,
        |_| true,
        |b| {
            let full = view.role_of(b).is_some_and(|r| r.name == "cluster-admin" && r.namespace.is_none() || r.rules.iter().any(|rule| rule.is_full_wildcard()));
            if full { vec!["* on * (cluster-admin)".to_string()] } else { Vec::new() }
        },
        |b, subjects, _| format!("{} gives everything ({}) to {subjects}, not in approvedSubjects", b.display(), b.scope().label()),
    );
}
