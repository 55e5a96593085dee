use super::view::{Perm, RbacView, perm, report_grants};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Only approved subjects may use nodes/proxy, approve CSRs or mint tokens
    ///
    /// ## What it checks
    /// Every RoleBinding and ClusterRoleBinding whose role allows any of: `get` or `create` on
    /// `nodes/proxy` (the kubelet API, cluster-scoped, so only through ClusterRoleBindings);
    /// approving CertificateSigningRequests (`update` or `patch` on
    /// `certificatesigningrequests/approval` together with `approve` on `signers`); `create`
    /// on `serviceaccounts/token`. It fails when the binding names a subject not in
    /// `approvedSubjects`; bootstrap bindings of the API server (control-plane components)
    /// pass.
    ///
    /// ## Why PCI DSS cares
    /// `nodes/proxy` runs commands in any pod on a node through the kubelet, bypassing pod exec
    /// rights and audit of the API request body; approving a CSR mints a client certificate for
    /// any identity, `system:masters` included; `serviceaccounts/token` mints credentials of
    /// other workloads. Requirement 7.2.2 asks for least privilege by job function; these
    /// rights belong to the control plane.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: node-debugger}
    /// rules:
    /// - {apiGroups: [""], resources: ["nodes/proxy"], verbs: ["get", "create"]}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: monitoring-node-proxy}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: node-debugger}
    /// subjects:
    /// - {kind: ServiceAccount, name: agent, namespace: monitoring}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: node-metrics}
    /// rules:
    /// - {apiGroups: [""], resources: ["nodes/metrics", "nodes/stats"], verbs: ["get"]}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: monitoring-node-metrics}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: node-metrics}
    /// subjects:
    /// - {kind: ServiceAccount, name: agent, namespace: monitoring}
    /// ```
    ///
    /// ## Fix
    /// Give monitoring agents `nodes/metrics` and `nodes/stats` instead of `nodes/proxy`; leave
    /// CSR approval to the controller manager and approved administrators; let workloads get
    /// their own tokens through projected volumes instead of `serviceaccounts/token`. List the
    /// approved holders under `approvedSubjects` in `kubepci.yaml`.
    pub NODE_CSR_TOKEN {
        id: "RBAC-006",
        name: "node-proxy-csr-token",
        severity: High,
        applies: All,
        reads: [workloads, ClusterRole, ClusterRoleBinding, Namespace, Role, RoleBinding, ServiceAccount],
        requirements: [("7.2.2", "7.2.2.b", "kubelet access, certificate approval and token creation belong to control-plane components, not to people or applications")],
        run: run,
    }
}

const CERTS: &str = "certificates.k8s.io";

const DIRECT: &[Perm] = &[perm("get", "", "nodes/proxy"), perm("create", "", "nodes/proxy"), perm("create", "", "serviceaccounts/token")];
const APPROVAL: &[Perm] = &[perm("update", CERTS, "certificatesigningrequests/approval"), perm("patch", CERTS, "certificatesigningrequests/approval")];
const SIGNERS: Perm = perm("approve", CERTS, "signers");

fn granted(view: &RbacView, b: &kubepci_rbac::BindingDef) -> Vec<String> {
    let mut out = view.granted(b, DIRECT);
    let approval = view.granted(b, APPROVAL);
    let signers = view.granted(b, &[SIGNERS]);
    if !approval.is_empty() && !signers.is_empty() {
        out.extend(approval);
        out.extend(signers);
    }
    out
}

fn run(cx: &Context, e: &mut Emitter) {
    let view = RbacView::new(cx);
    report_grants(
        &view,
        e,
        |_| true,
        |b| granted(&view, b),
        |b, subjects, what| format!("{} lets {subjects} {} ({}), not in approvedSubjects", b.display(), what.join(", "), b.scope().label()),
    );
}
