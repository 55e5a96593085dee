use kubepci_findings::Evidence;
use kubepci_netpol::Direction;

use crate::analyses::network::NetView;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Every flow into the CDE must be approved
    ///
    /// ## What it checks
    /// For every CDE workload, every connection that may enter it from a workload that is not
    /// in the CDE or from an external IPv4 range — computed from all NetworkPolicies,
    /// AdminNetworkPolicies and the baseline policy, at both ends — must be covered by an
    /// entry of `approvedFlows` in `kubepci.yaml` (`from`: `namespace/workload`,
    /// `namespace/*` or a CIDR; `to`: the CDE workload; `ports`: `TCP/443` style, empty for
    /// any). Connections not covered fail, with the source and the ports.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 1.3.1 limits inbound CDE traffic to what is necessary, and 1.4.4 asks that
    /// components storing card data are not directly reachable from untrusted networks. This
    /// check compares the paths the policies allow with the approved ones on every run. The
    /// computed flows (the report's `boundary` section) are also input for the connection
    /// diagram of 1.2.3 and for the segmentation test of 11.4.5, but they are not that diagram
    /// or that test: those stay with the assessor.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    ///   labels: {pci.kubepci.io/scope: connected}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: api, namespace: payments, labels: {app: api}}
    /// spec:
    ///   containers: [{name: api, image: registry.example.com/api:1.0}]
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: web, namespace: shop, labels: {app: web}}
    /// spec:
    ///   containers: [{name: web, image: registry.example.com/web:1.0}]
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   podSelector: {matchLabels: {app: api}}
    ///   ingress:
    ///   - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}}]
    ///     ports: [{protocol: TCP, port: 8443}, {protocol: TCP, port: 9090}]
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
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    ///   labels: {pci.kubepci.io/scope: connected}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: api, namespace: payments, labels: {app: api}}
    /// spec:
    ///   containers: [{name: api, image: registry.example.com/api:1.0}]
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: web, namespace: shop, labels: {app: web}}
    /// spec:
    ///   containers: [{name: web, image: registry.example.com/web:1.0}]
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   podSelector: {matchLabels: {app: api}}
    ///   ingress:
    ///   - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}}]
    ///     ports: [{protocol: TCP, port: 8443}]
    /// ```
    ///
    /// ## Example configuration
    /// ```yaml
    /// approvedFlows:
    /// - from: shop/*
    ///   to: payments/api
    ///   ports: [TCP/8443]
    ///   reason: checkout calls the payment API (CHG-1234)
    /// ```
    ///
    /// ## Fix
    /// Remove the unapproved paths from the policies (narrow peers and ports), or, when the
    /// flow has a business need, add it to `approvedFlows` with the reason.
    pub CDE_BOUNDARY_FLOWS {
        id: "NET-013",
        name: "cde-boundary-flows",
        severity: High,
        applies: Cde,
        reads: [workloads, AdminNetworkPolicy, BaselineAdminNetworkPolicy, Namespace, NetworkPolicy],
        requirements: [
            ("1.3.1", "1.3.1.b", "every inbound path into the CDE, computed from the policies, is one the entity approved"),
            ("1.4.4", "1.4.4.b", "an external address range that may open connections to CDE pods must be an approved one"),
        ],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    let view = NetView::new(cx);
    for (object, ep) in view.cde_workloads(cx) {
        // Denied sources cannot be unapproved flows: only the allowed ones are grouped.
        let open: Vec<_> = view.boundary_peers(cx, ep, Direction::Ingress).into_iter().filter(|p| !p.unapproved.is_empty()).collect();
        if open.is_empty() {
            e.pass(object);
        } else {
            let r = view.r;
            e.fail_listing(
                object,
                "unapproved flows into the CDE from ",
                &open,
                |p| format!("{} ({})", p.name.label(r), p.unapproved),
                |p| Evidence::field(format!("ingress from {}", p.name.label(r)), p.unapproved.to_string()),
                "the report's boundary section lists every flow",
            );
        }
    }
}
