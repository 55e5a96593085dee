use std::collections::BTreeMap;

use kubepci_findings::Evidence;
use kubepci_rbac::{Issue, IssueKind};

use super::view::RbacView;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Bindings must not refer to missing roles or ServiceAccounts
    ///
    /// ## What it checks
    /// Every RoleBinding and ClusterRoleBinding: its `roleRef` must name a Role or ClusterRole
    /// that exists (the default ClusterRoles `cluster-admin`, `admin`, `edit` and `view`
    /// always do), and each ServiceAccount subject must exist, judged in namespaces whose
    /// ServiceAccounts the input lists (`default` always exists). A missing ServiceAccount
    /// fails on any input. A missing role fails on a cluster snapshot; in manifests the role may
    /// be applied from elsewhere, so it is reported as not assessed.
    ///
    /// ## Why PCI DSS cares
    /// A binding to something that is gone is access nobody removed: whoever later creates a
    /// ServiceAccount or role with that name inherits or defines the rights, without review.
    /// Requirement 7.2.5 asks that privileges of application and system accounts are assigned
    /// and managed. The check looks at ServiceAccounts and roles, not at people: revoking
    /// access of leavers (8.2.5), inactive user accounts (8.2.6) and the access review (7.2.4)
    /// are assessed with the identity provider's records.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ServiceAccount
    /// metadata: {name: api, namespace: payments}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: old-batch-view, namespace: payments}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
    /// subjects:
    /// - {kind: ServiceAccount, name: batch-v1, namespace: payments}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ServiceAccount
    /// metadata: {name: api, namespace: payments}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: api-view, namespace: payments}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
    /// subjects:
    /// - {kind: ServiceAccount, name: api, namespace: payments}
    /// ```
    ///
    /// ## Fix
    /// Delete bindings whose subject or role no longer exists, or point them at the
    /// current ServiceAccount or role. Make removal of a workload or role remove its bindings
    /// (ship them in the same manifest bundle).
    pub STALE_BINDINGS {
        id: "RBAC-010",
        name: "stale-bindings",
        severity: Medium,
        applies: All,
        reads: [workloads, ClusterRole, ClusterRoleBinding, Namespace, Role, RoleBinding, ServiceAccount],
        requirements: [("7.2.5", "7.2.5.b", "a grant to a ServiceAccount or role that no longer exists is an application-account privilege nobody manages; whoever recreates the name inherits or defines it")],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    let view = RbacView::new(cx);
    let mut by_binding: BTreeMap<usize, Vec<&Issue>> = BTreeMap::new();
    for issue in &view.model.issues {
        if matches!(issue.kind, IssueKind::MissingRole | IssueKind::MissingServiceAccount)
            && let Some(i) = issue.object_index
        {
            by_binding.entry(i).or_default().push(issue);
        }
    }
    for b in &view.model.bindings {
        let Some(issues) = by_binding.get(&b.object) else {
            e.pass(b.object);
            continue;
        };
        let decided: Vec<&&Issue> = issues.iter().filter(|i| i.kind == IssueKind::MissingServiceAccount || cx.input.is_cluster()).collect();
        if decided.is_empty() {
            e.not_assessed(Some(b.object), format!("{} refers to {:?}/{}, which is not in the manifests; it may be applied from elsewhere (scan a cluster snapshot to decide)", b.display(), b.role_kind, b.role_name));
            continue;
        }
        let mut evidence = vec![Evidence::field("binding", view.binding_label(b)), Evidence::field("role", view.role_label(b))];
        evidence.extend(decided.iter().map(|i| Evidence::field("problem", i.message.clone())));
        let message = format!("{} {}", b.display(), decided.iter().map(|i| i.message.as_str()).collect::<Vec<_>>().join("; "));
        e.fail(b.object, message, evidence);
    }
}
