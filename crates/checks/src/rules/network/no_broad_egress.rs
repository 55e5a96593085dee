use kubepci_findings::Evidence;
use kubepci_netpol::Endpoint;
use kubepci_netpol::ipblocks::IpSet;

use crate::analyses::network::{FlowEnd, NetView, unapproved};
use crate::{Context, Emitter, declare_check};

/// More external addresses than one /8 is "over-broad".
const BROAD: u64 = 1 << 24;

declare_check! {
    /// CDE pods must not reach the internet at large without an approval
    ///
    /// ## What it checks
    /// For every CDE workload, the external IPv4 ranges it may open connections to (computed
    /// from all NetworkPolicies, AdminNetworkPolicies and the baseline policy) minus the
    /// ranges approved for it in `kubepci.yaml` (`approvedFlows` with a CIDR as `to`). It
    /// fails when what is left covers more than a /8 (16,777,216 addresses) — for example an
    /// egress rule to `0.0.0.0/0`, or no egress policy at all.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 1.3.2 limits outbound CDE traffic to what is necessary. Open egress is the
    /// path card data takes when a CDE pod is compromised. The check is evidence for the
    /// configuration procedure 1.3.2.b; it does not compare every outbound flow with an
    /// approval (up to a /8 of unapproved addresses passes), so a pass is partial evidence.
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
    /// kind: Pod
    /// metadata: {name: api, namespace: payments, labels: {app: api}}
    /// spec:
    ///   containers: [{name: api, image: registry.example.com/api:1.0}]
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: egress-anywhere, namespace: payments}
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Egress]
    ///   egress:
    ///   - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
    ///     ports: [{protocol: TCP, port: 443}]
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
    /// kind: Pod
    /// metadata: {name: api, namespace: payments, labels: {app: api}}
    /// spec:
    ///   containers: [{name: api, image: registry.example.com/api:1.0}]
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: egress-to-acquirer, namespace: payments}
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Egress]
    ///   egress:
    ///   - to: [{ipBlock: {cidr: 203.0.113.0/24}}]
    ///     ports: [{protocol: TCP, port: 443}]
    /// ```
    ///
    /// ## Fix
    /// Restrict egress rules to the CIDRs of the services the CDE calls (payment processor,
    /// HSM, logging endpoint), or send outbound traffic through an egress proxy; record each
    /// needed range in `approvedFlows` with the business reason.
    pub NO_BROAD_EGRESS {
        id: "NET-005",
        name: "no-broad-egress",
        severity: High,
        applies: Cde,
        reads: [workloads, AdminNetworkPolicy, BaselineAdminNetworkPolicy, Namespace, NetworkPolicy],
        requirements: [("1.3.2", "1.3.2.b", "unapproved outbound reach to more than a /8 of external addresses is not limited to what is necessary")],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    let view = NetView::new(cx);
    let r = &view.r;
    let flows = &cx.inv.config.approved_flows;
    for (object, ep) in view.cde_workloads(cx) {
        let w = &r.workloads()[ep];
        let src = FlowEnd::Workload { namespace: &w.namespace, name: &w.name };
        let mut open = IpSet::empty();
        for (dst, conns) in r.destinations_of(ep) {
            let Endpoint::ExternalDestination(b) = dst else { continue };
            let block = &r.external_destinations()[b as usize];
            if !unapproved(flows, &src, &FlowEnd::Range(block), conns).is_empty() {
                open = open.union(block);
            }
        }
        if open.size() > BROAD {
            e.fail(
                object,
                format!("may connect to {} external addresses without an approved flow", open.size()),
                vec![Evidence::field("egress", open.to_string())],
            );
        } else {
            e.pass(object);
        }
    }
}
