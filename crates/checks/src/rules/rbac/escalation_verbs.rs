use super::view::{Perm, RbacView, perm, perm_in_namespace, report_grants};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Only approved subjects may hold escalate, bind or impersonate
    ///
    /// ## What it checks
    /// Every RoleBinding and ClusterRoleBinding whose role allows `escalate` on `roles` or
    /// `clusterroles`, `bind` on `roles` or `clusterroles` (a RoleBinding can grant `bind` on
    /// ClusterRoles for its own namespace), or `impersonate` on `users`, `groups`,
    /// `serviceaccounts` or `uids`, with `*` matching as the API server matches it. Requests
    /// for cluster-scoped objects (escalating ClusterRoles, impersonating users and groups) are
    /// only granted by ClusterRoleBindings. It fails when the binding names a subject not in
    /// `approvedSubjects`; bootstrap bindings of the API server pass.
    ///
    /// ## Why PCI DSS cares
    /// These verbs switch off RBAC's own protection against privilege escalation: `escalate`
    /// writes roles with rights the holder does not have, `bind` hands out roles the holder
    /// does not hold (cluster-admin included), `impersonate` acts as any other identity. Their
    /// holders can give themselves access to the CDE. Requirement 7.2.2 asks for least
    /// privilege by job function.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: role-manager}
    /// rules:
    /// - apiGroups: ["rbac.authorization.k8s.io"]
    ///   resources: ["clusterroles", "clusterrolebindings"]
    ///   verbs: ["create", "bind", "escalate"]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: ci-role-manager}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: role-manager}
    /// subjects:
    /// - {kind: ServiceAccount, name: deployer, namespace: ci}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: role-reader}
    /// rules:
    /// - apiGroups: ["rbac.authorization.k8s.io"]
    ///   resources: ["clusterroles", "clusterrolebindings"]
    ///   verbs: ["get", "list", "watch"]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: auditors-read-rbac}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: role-reader}
    /// subjects:
    /// - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: auditors}
    /// ```
    ///
    /// ## Fix
    /// Remove `escalate`, `bind` and `impersonate` from roles bound to people and workloads.
    /// Where delegation is needed, restrict `bind` with `resourceNames` to the roles that may
    /// be handed out, and list the approved holders under `approvedSubjects` in `kubepci.yaml`.
    pub ESCALATION_VERBS {
        id: "RBAC-004",
        name: "escalation-verbs",
        severity: High,
        applies: All,
        reads: [workloads, ClusterRole, ClusterRoleBinding, Namespace, Role, RoleBinding, ServiceAccount],
        requirements: [("7.2.2", "7.2.2.b", "holders of escalate, bind or impersonate can grant themselves any rights, defeating least privilege")],
        run: run,
    }
}

const RBAC: &str = "rbac.authorization.k8s.io";

const ESCALATION: &[Perm] = &[
    perm("escalate", RBAC, "roles"),
    perm("escalate", RBAC, "clusterroles"),
    perm("bind", RBAC, "roles"),
    perm_in_namespace("bind", RBAC, "clusterroles"),
    perm("impersonate", "", "users"),
    perm("impersonate", "", "groups"),
    perm("impersonate", "", "serviceaccounts"),
    perm("impersonate", "authentication.k8s.io", "uids"),
];

fn run(cx: &Context, e: &mut Emitter) {
    let view = RbacView::new(cx);
    report_grants(
        &view,
        e,
        |_| true,
        |b| view.granted(b, ESCALATION),
        |b, subjects, what| format!("{} lets {subjects} {} ({}), not in approvedSubjects", b.display(), what.join(", "), b.scope().label()),
    );
}
