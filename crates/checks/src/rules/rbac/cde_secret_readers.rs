use super::view::{Perm, perm, report_cde_grants};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Only approved subjects may read Secrets in the CDE
    ///
    /// ## What it checks
    /// Every binding that reaches a CDE namespace (a RoleBinding there, or any
    /// ClusterRoleBinding) and whose role allows `get`, `list` or `watch` on `secrets` (a
    /// `list` or `watch` returns the Secret data too; rules limited to `resourceNames` count
    /// for the Secrets they name). It fails when the binding names a subject not in
    /// `approvedSubjects` of `kubepci.yaml`. Bootstrap bindings of the API server pass.
    ///
    /// ## Why PCI DSS cares
    /// CDE Secrets hold database passwords, API keys and encryption keys that protect account
    /// data. Requirement 7.2.2 asks for least privilege, 7.2.6 that direct access to stores of
    /// cardholder data is restricted, and 3.6.1.3 that cleartext keys are accessible to the
    /// fewest custodians necessary; every unlisted reader of a key Secret is an unapproved key
    /// custodian.
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
    /// kind: Role
    /// metadata: {name: secret-reader, namespace: payments}
    /// rules:
    /// - {apiGroups: [""], resources: ["secrets"], verbs: ["list"]}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: debug-secrets, namespace: payments}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: secret-reader}
    /// subjects:
    /// - {apiGroup: rbac.authorization.k8s.io, kind: User, name: jane}
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
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: secret-reader, namespace: payments}
    /// rules:
    /// - {apiGroups: [""], resources: ["secrets"], verbs: ["get"], resourceNames: ["api-tls"]}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: api-tls, namespace: payments}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: secret-reader}
    /// subjects:
    /// - {kind: ServiceAccount, name: api, namespace: payments}
    /// ```
    ///
    /// ## Example configuration
    /// ```yaml
    /// approvedSubjects:
    /// - {kind: ServiceAccount, name: api, namespace: payments}
    /// ```
    ///
    /// ## Fix
    /// Remove Secret read rights from people and workloads that do not need them; give
    /// workloads their Secrets through volumes or a secrets manager rather than API reads, and
    /// restrict the remaining grants with `resourceNames`. List the approved readers under
    /// `approvedSubjects` in `kubepci.yaml`.
    pub CDE_SECRET_READERS {
        id: "RBAC-003",
        name: "cde-secret-readers",
        severity: High,
        applies: CdeRelated,
        reads: [workloads, ClusterRole, ClusterRoleBinding, Namespace, Role, RoleBinding, ServiceAccount],
        requirements: [
            ("7.2.2", "7.2.2.b", "reading CDE Secrets must be limited to the job functions that need it"),
            ("7.2.6", "7.2.6.b", "CDE Secrets hold the credentials that open the stores of cardholder data to direct queries"),
            ("3.6.1.3", "3.6.1.3", "every subject that can read a Secret holding a key that protects account data has access to that key in cleartext"),
        ],
        run: run,
    }
}

const READ_SECRETS: &[Perm] = &[perm("get", "", "secrets"), perm("list", "", "secrets"), perm("watch", "", "secrets")];

fn run(cx: &Context, e: &mut Emitter) {
    report_cde_grants(cx, e, READ_SECRETS, "read Secrets");
}
