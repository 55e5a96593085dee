use kubepci_netpol::Direction;

use super::default_deny_ingress::check_direction;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Every CDE pod must be covered by a default-deny egress policy
    ///
    /// ## What it checks
    /// Each workload in the CDE is selected for egress by at least one NetworkPolicy (whose
    /// `policyTypes` include `Egress`, explicitly or because it has egress rules), or an
    /// AdminNetworkPolicy / BaselineAdminNetworkPolicy denies egress to all namespaces from it.
    /// Pods with `hostNetwork: true` fail, since NetworkPolicy does not apply to them.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 1.3.2 asks that outbound traffic from the CDE is limited to what is
    /// necessary and everything else is denied. A CDE pod that no egress policy selects can
    /// send card data to any pod or address, which is also how exfiltration and
    /// command-and-control traffic leave a compromised pod.
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
    /// metadata: {name: default-deny-ingress, namespace: payments}
    /// spec:
    ///   podSelector: {}
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
    /// Add `Egress` to the `policyTypes` of the namespace's default-deny policy
    /// (`podSelector: {}`, no egress rules), then allow DNS and the destinations the business
    /// needs with narrower policies. Move host-network pods out of the CDE.
    pub DEFAULT_DENY_EGRESS {
        id: "NET-002",
        name: "default-deny-egress",
        severity: High,
        applies: Cde,
        reads: [workloads, AdminNetworkPolicy, BaselineAdminNetworkPolicy, Namespace, NetworkPolicy],
        requirements: [("1.3.2", "1.3.2.b", "a CDE pod that no egress policy selects may send to any destination; selection is what denies outbound traffic no rule allows")],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    check_direction(cx, e, Direction::Egress);
}
