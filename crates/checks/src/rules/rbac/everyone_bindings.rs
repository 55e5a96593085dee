use kubepci_rbac::subject::{ANONYMOUS, AUTHENTICATED, SA_GROUP, UNAUTHENTICATED};
use kubepci_rbac::{Subject, SubjectKind};

use super::view::{RbacView, subjects_text};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Nothing may be bound to anonymous, all authenticated users or all service accounts
    ///
    /// ## What it checks
    /// Every RoleBinding and ClusterRoleBinding except the API server's bootstrap bindings
    /// (label `kubernetes.io/bootstrapping=rbac-defaults`, or a `system:` binding of a
    /// `system:` role, such as `system:discovery`): none may name the user
    /// `system:anonymous` or the groups `system:unauthenticated`, `system:authenticated` or
    /// `system:serviceaccounts`. `approvedSubjects` does not exempt these subjects; use a
    /// documented exception for the rare justified case.
    ///
    /// ## Why PCI DSS cares
    /// These subjects are everyone: requests without credentials, every user the cluster
    /// authenticates, every workload in every namespace. Rights granted to them belong to no
    /// job function and no individual. Requirement 7.2.2 asks for least privilege by job
    /// function. Whether anonymous requests are served at all is API-001's finding (8.3.1).
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: everyone-can-view}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
    /// subjects:
    /// - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:authenticated"}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: sre-can-view}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
    /// subjects:
    /// - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: sre}
    /// ```
    ///
    /// ## Fix
    /// Bind the role to the named users, groups or ServiceAccounts that need it. To let
    /// every workload read something, bind it per namespace to the ServiceAccounts involved.
    pub EVERYONE_BINDINGS {
        id: "RBAC-008",
        name: "everyone-bindings",
        severity: High,
        applies: All,
        reads: [workloads, ClusterRole, ClusterRoleBinding, Namespace, Role, RoleBinding, ServiceAccount],
        requirements: [("7.2.2", "7.2.2.b", "least privilege cannot hold for a grant to every user, every workload or every anonymous caller")],
        run: run,
    }
}

/// `system:anonymous`, `system:unauthenticated`, `system:authenticated`, `system:serviceaccounts`.
pub fn is_everyone(s: &Subject) -> bool {
    match s.kind {
        SubjectKind::User => s.name == ANONYMOUS,
        SubjectKind::Group => matches!(s.name.as_str(), UNAUTHENTICATED | AUTHENTICATED | SA_GROUP),
        SubjectKind::ServiceAccount => false,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    let view = RbacView::new(cx);
    for b in &view.model.bindings {
        let everyone: Vec<&Subject> = b.subjects.iter().filter(|s| is_everyone(s)).collect();
        if everyone.is_empty() || view.is_platform_default(b) {
            e.pass(b.object);
            continue;
        }
        let message = format!("{} grants {} ({}) to {}", b.display(), view.role_label(b), b.scope().label(), subjects_text(&everyone));
        e.fail(b.object, message, view.evidence(b, &everyone, &[]));
    }
}
