use kubepci_findings::Evidence;
use kubepci_netpol::Direction;

use crate::analyses::network::{NetView, admin_denies_all};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Every CDE pod must be covered by a default-deny ingress policy
    ///
    /// ## What it checks
    /// Each workload in the CDE is selected for ingress by at least one NetworkPolicy (so only
    /// what the policies' rules allow may reach it), or an AdminNetworkPolicy /
    /// BaselineAdminNetworkPolicy denies ingress from all namespaces to it. The selection is
    /// evaluated, not assumed: a policy with a `podSelector` that misses the pod's labels does
    /// not count. Pods with `hostNetwork: true` fail, since NetworkPolicy does not apply to them.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 1.3.1 asks that inbound traffic to the CDE is limited to what is necessary
    /// and everything else is denied; its testing procedure 1.3.1.b examines the network
    /// security control configuration for exactly that. In Kubernetes a pod that no policy
    /// selects accepts connections from every pod in the cluster and every address that can
    /// route to it.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers: [{name: api, image: registry.example.com/api:1.0}]
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: only-web, namespace: payments}
    /// spec:
    ///   podSelector: {matchLabels: {app: web}}
    ///   policyTypes: [Ingress]
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
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers: [{name: api, image: registry.example.com/api:1.0}]
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: default-deny, namespace: payments}
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Ingress, Egress]
    /// ```
    ///
    /// ## Fix
    /// Add a default-deny policy to every CDE namespace (`podSelector: {}` with
    /// `policyTypes: [Ingress]` and no ingress rules), then allow the flows the business needs
    /// with narrower policies. Move host-network pods out of the CDE.
    pub DEFAULT_DENY_INGRESS {
        id: "NET-001",
        name: "default-deny-ingress",
        severity: High,
        applies: Cde,
        reads: [workloads, AdminNetworkPolicy, BaselineAdminNetworkPolicy, Namespace, NetworkPolicy],
        requirements: [("1.3.1", "1.3.1.b", "a CDE pod that no ingress policy selects accepts every connection; selection is what denies inbound traffic no rule allows")],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    check_direction(cx, e, Direction::Ingress);
}

/// Shared with NET-002: every CDE workload must be isolated in `direction`.
pub(super) fn check_direction(cx: &Context, e: &mut Emitter, direction: Direction) {
    let view = NetView::new(cx);
    for (object, ep) in view.cde_workloads(cx) {
        let r = &view.r;
        if r.class_of(ep).host_network {
            e.fail(object, "hostNetwork pod: NetworkPolicy does not apply to it", vec![Evidence::field("spec.hostNetwork", "true")]);
            continue;
        }
        let isolated = match direction {
            Direction::Ingress => r.ingress_isolated(ep),
            Direction::Egress => r.egress_isolated(ep),
        };
        if isolated || admin_denies_all(&r.selecting_policies(ep, direction), direction) {
            e.pass(object);
        } else {
            let who = if direction == Direction::Ingress { "any pod or address may connect to it" } else { "it may connect to any pod or address" };
            e.fail(object, format!("no NetworkPolicy selects it for {direction}: {who}"), vec![Evidence::field("networkPolicies", format!("none select {} for {direction}", r.endpoint_name(kubepci_netpol::Endpoint::Workload(ep as u32))))]);
        }
    }
}
