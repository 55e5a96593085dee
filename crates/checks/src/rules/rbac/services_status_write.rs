use super::view::{Perm, RbacView, perm, report_grants};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Only approved subjects may write the status of Services
    ///
    /// ## What it checks
    /// Every RoleBinding and ClusterRoleBinding whose role allows `update` or `patch` on
    /// `services/status` (directly or through wildcards). It fails when the binding names a
    /// subject not in `approvedSubjects`; bootstrap bindings of the API server (the
    /// control-plane components, among them the service and cloud controllers that write
    /// load-balancer status) pass.
    ///
    /// ## Why PCI DSS cares
    /// Whoever writes `status.loadBalancer.ingress` of a Service makes kube-proxy on every node
    /// send traffic for that IP address to the Service's pods (CVE-2020-8554, unfixed by
    /// design): a man-in-the-middle for any address, including connections from or to the CDE.
    /// That right changes where the cluster routes traffic, so it is network security control
    /// configuration (1.2.8) and belongs only to the controllers that provision load balancers
    /// (7.2.2).
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: lb-status-writer}
    /// rules:
    /// - {apiGroups: [""], resources: ["services/status"], verbs: ["patch", "update"]}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: ci-lb-status}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: lb-status-writer}
    /// subjects:
    /// - {kind: ServiceAccount, name: deployer, namespace: ci}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: service-reader}
    /// rules:
    /// - {apiGroups: [""], resources: ["services", "services/status"], verbs: ["get", "list"]}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: ci-service-reader}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: service-reader}
    /// subjects:
    /// - {kind: ServiceAccount, name: deployer, namespace: ci}
    /// ```
    ///
    /// ## Fix
    /// Remove `update`/`patch` on `services/status` from every role but those of the load
    /// balancer controller (cloud controller manager, MetalLB, kube-vip …), list those under
    /// `approvedSubjects`, and consider an admission policy rejecting status writes that set
    /// `loadBalancer.ingress` from any other identity.
    pub SERVICES_STATUS_WRITE {
        id: "RBAC-013",
        name: "services-status-write",
        severity: High,
        applies: All,
        reads: [workloads, ClusterRole, ClusterRoleBinding, Namespace, Role, RoleBinding, ServiceAccount],
        requirements: [
            ("7.2.2", "7.2.2.b", "writing Service load-balancer status redirects cluster traffic, a right of load-balancer controllers only"),
            ("1.2.8", "1.2.8", "the load-balancer status of Services decides where kube-proxy routes traffic, so it is network control configuration to secure from unauthorized change"),
        ],
        run: run,
    }
}

const STATUS_WRITE: &[Perm] = &[perm("update", "", "services/status"), perm("patch", "", "services/status")];

fn run(cx: &Context, e: &mut Emitter) {
    let view = RbacView::new(cx);
    report_grants(
        &view,
        e,
        |_| true,
        |b| view.granted(b, STATUS_WRITE),
        |b, subjects, what| format!("{} lets {subjects} {} ({}): traffic to any IP can be redirected (CVE-2020-8554); not in approvedSubjects", b.display(), what.join(", "), b.scope().label()),
    );
}
