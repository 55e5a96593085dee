use super::view::{Perm, perm, report_cde_grants};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Only approved subjects may run code or exec into pods in the CDE
    ///
    /// ## What it checks
    /// Every binding that reaches a CDE namespace (a RoleBinding there, or any
    /// ClusterRoleBinding) and whose role allows creating workloads (`pods`,
    /// `replicationcontrollers`, `deployments`, `replicasets`, `statefulsets`, `daemonsets`,
    /// `jobs`, `cronjobs`), updating or patching the workload controllers (which replaces their
    /// pod template), or `create` or `get` on `pods/exec`, `pods/attach` and `pods/portforward`
    /// (older API servers authorize streaming upgrades with `get`). It fails when the binding
    /// names a subject not in `approvedSubjects`; bootstrap bindings of the API server pass.
    ///
    /// ## Why PCI DSS cares
    /// Whoever can start a pod in a CDE namespace can mount every Secret and ServiceAccount
    /// there; whoever can exec, attach or port-forward reaches running CDE processes and their
    /// memory. Requirement 7.2.2 asks for least privilege, 7.2.6 that access to cardholder data
    /// stores is restricted, and 8.6.1 that interactive use of system accounts (a shell in an
    /// application pod) is controlled.
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
    /// metadata: {name: debugger, namespace: payments}
    /// rules:
    /// - {apiGroups: [""], resources: ["pods/exec"], verbs: ["create"]}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: dev-debug, namespace: payments}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: debugger}
    /// subjects:
    /// - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: developers}
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
    /// metadata: {name: log-reader, namespace: payments}
    /// rules:
    /// - {apiGroups: [""], resources: ["pods", "pods/log"], verbs: ["get", "list"]}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: dev-logs, namespace: payments}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: log-reader}
    /// subjects:
    /// - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: developers}
    /// ```
    ///
    /// ## Fix
    /// Deploy to CDE namespaces only through the approved pipeline identity, and remove
    /// exec, attach and port-forward rights from people; grant break-glass access for a
    /// limited time. List the approved subjects under `approvedSubjects` in `kubepci.yaml`.
    pub CDE_WORKLOAD_EXEC {
        id: "RBAC-005",
        name: "cde-workload-create-exec",
        severity: High,
        applies: CdeRelated,
        reads: [workloads, ClusterRole, ClusterRoleBinding, Namespace, Role, RoleBinding, ServiceAccount],
        requirements: [
            ("7.2.2", "7.2.2.b", "running code or a shell in CDE pods must be limited to the job functions that need it"),
            ("7.2.6", "7.2.6.b", "a pod in a CDE namespace reaches its Secrets and the card data stores they open"),
            ("8.6.1", "8.6.1", "exec into application pods is interactive use of the application's account, which must be approved and attributable"),
        ],
        run: run,
    }
}

const RUN_CODE: &[Perm] = &[
    perm("create", "", "pods"),
    perm("create", "", "replicationcontrollers"),
    perm("create", "apps", "deployments"),
    perm("create", "apps", "replicasets"),
    perm("create", "apps", "statefulsets"),
    perm("create", "apps", "daemonsets"),
    perm("create", "batch", "jobs"),
    perm("create", "batch", "cronjobs"),
    perm("patch", "", "replicationcontrollers"),
    perm("patch", "apps", "deployments"),
    perm("patch", "apps", "replicasets"),
    perm("patch", "apps", "statefulsets"),
    perm("patch", "apps", "daemonsets"),
    perm("patch", "batch", "jobs"),
    perm("patch", "batch", "cronjobs"),
    perm("update", "", "replicationcontrollers"),
    perm("update", "apps", "deployments"),
    perm("update", "apps", "replicasets"),
    perm("update", "apps", "statefulsets"),
    perm("update", "apps", "daemonsets"),
    perm("update", "batch", "jobs"),
    perm("update", "batch", "cronjobs"),
    perm("create", "", "pods/exec"),
    perm("get", "", "pods/exec"),
    perm("create", "", "pods/attach"),
    perm("get", "", "pods/attach"),
    perm("create", "", "pods/portforward"),
    perm("get", "", "pods/portforward"),
];

fn run(cx: &Context, e: &mut Emitter) {
    report_cde_grants(cx, e, RUN_CODE, "run code");
}
