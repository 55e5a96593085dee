use kubepci_rbac::{Subject, SubjectKind};

use super::view::{RbacView, subjects_text};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// The default ServiceAccount of a CDE namespace must have no grants
    ///
    /// ## What it checks
    /// Every RoleBinding and ClusterRoleBinding, in any namespace, that names the ServiceAccount
    /// `default` of a CDE namespace (a namespace classified `cde`, or holding a CDE workload).
    /// Such a binding fails whatever its role; bootstrap bindings of the API server pass.
    /// `approvedSubjects` does not exempt it.
    ///
    /// ## Why PCI DSS cares
    /// Every pod that does not name a ServiceAccount runs as `default`, so rights given to it
    /// go to whatever is deployed there next, unreviewed. Requirement 2.2.2 asks that default
    /// accounts are not left usable as shipped, and 7.2.5 that application accounts get only
    /// the rights their own function needs.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: default-edit, namespace: payments}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
    /// subjects:
    /// - {kind: ServiceAccount, name: default, namespace: payments}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
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
    /// Create a dedicated ServiceAccount for the workload that needs the rights, bind the role
    /// to it and set `serviceAccountName` in its pod template; remove the binding to `default`.
    pub DEFAULT_SA_CDE_GRANTS {
        id: "RBAC-009",
        name: "default-service-account-grants",
        severity: Medium,
        applies: Cde,
        reads: [workloads, ClusterRole, ClusterRoleBinding, Namespace, Role, RoleBinding, ServiceAccount],
        requirements: [
            ("2.2.2", "the default account is a vendor default that every unnamed pod uses"),
            ("7.2.5", "rights on a shared default account are not scoped to one application's need"),
        ],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    if !cx.has_cde() {
        e.not_assessed(None, kubepci_findings::reasons::NO_CDE_DECLARED);
        return;
    }
    let view = RbacView::new(cx);
    let is_cde_default = |s: &Subject| s.kind == SubjectKind::ServiceAccount && s.name == "default" && s.namespace.as_ref().is_some_and(|ns| view.cde_namespaces.contains(ns));
    for b in &view.model.bindings {
        let defaults: Vec<&Subject> = b.subjects.iter().filter(|s| is_cde_default(s)).collect();
        let in_cde = b.namespace.as_ref().is_some_and(|ns| view.cde_namespaces.contains(ns));
        if defaults.is_empty() || view.is_platform_default(b) {
            if in_cde || !defaults.is_empty() {
                e.pass(b.object);
            }
            continue;
        }
        let message = format!("{} grants {} ({}) to {}, the default ServiceAccount of a CDE namespace", b.display(), view.role_label(b), b.scope().label(), subjects_text(&defaults));
        e.fail(b.object, message, view.evidence(b, &defaults, &[]));
    }
}
