use kubepci_findings::Evidence;
use kubepci_inventory::Scope;
use kubepci_netpol::{ConnSet, Endpoint};

use crate::analyses::network::NetView;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Only CDE, connected and security workloads may reach CDE pods
    ///
    /// ## What it checks
    /// For every CDE workload, every other workload that may open a connection to it
    /// (computed from all policies, both ends). Each such source must itself be classified
    /// `cde`, `connected` or `security`; a source that is `out` of scope or unclassified fails.
    /// This is what "peers named explicitly" means in effect: broad selectors such as
    /// `namespaceSelector: {}` or a missing policy let unclassified workloads in.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 1.3.1 limits inbound CDE traffic to what is necessary. A workload that can
    /// reach the CDE is itself in scope (connected-to): if it is declared out of scope or not
    /// classified, the scope statement and the segmentation disagree, and the scope
    /// confirmation of 12.5.2 has missed a component connected to the CDE.
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
    ///   name: marketing
    ///   labels: {pci.kubepci.io/scope: out}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: api, namespace: payments, labels: {app: api}}
    /// spec:
    ///   containers: [{name: api, image: registry.example.com/api:1.0}]
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: campaign, namespace: marketing, labels: {app: campaign}}
    /// spec:
    ///   containers: [{name: c, image: registry.example.com/campaign:1.0}]
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: from-all-namespaces, namespace: payments}
    /// spec:
    ///   podSelector: {}
    ///   ingress:
    ///   - from: [{namespaceSelector: {}}]
    ///     ports: [{protocol: TCP, port: 8443}]
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
    ///   name: marketing
    ///   labels: {pci.kubepci.io/scope: out}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: api, namespace: payments, labels: {app: api}}
    /// spec:
    ///   containers: [{name: api, image: registry.example.com/api:1.0}]
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: campaign, namespace: marketing, labels: {app: campaign}}
    /// spec:
    ///   containers: [{name: c, image: registry.example.com/campaign:1.0}]
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: from-payments-only, namespace: payments}
    /// spec:
    ///   podSelector: {}
    ///   ingress:
    ///   - from: [{podSelector: {}}]
    ///     ports: [{protocol: TCP, port: 8443}]
    /// ```
    ///
    /// ## Fix
    /// Narrow the ingress rules of CDE policies to the pods and namespaces that need access,
    /// and classify each remaining source as `connected` (or `cde`) with the
    /// `pci.kubepci.io/scope` label so it is assessed with the CDE.
    pub CROSS_SCOPE_INGRESS {
        id: "NET-007",
        name: "cross-scope-ingress",
        severity: High,
        applies: Cde,
        reads: [workloads, AdminNetworkPolicy, BaselineAdminNetworkPolicy, Namespace, NetworkPolicy],
        requirements: [
            ("1.3.1", "1.3.1.b", "inbound CDE traffic comes only from workloads that are themselves in scope"),
            ("12.5.2", "12.5.2.b", "a workload that can reach the CDE but is declared out of scope or left unclassified is a connected component the scope record misses"),
        ],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    let view = NetView::new(cx);
    let r = &view.r;
    for (object, ep) in view.cde_workloads(cx) {
        let offenders: Vec<(u32, Scope, &ConnSet)> = r
            .sources_of(ep)
            .into_iter()
            .filter_map(|(src, conns)| match src {
                Endpoint::Workload(s) => Some((s, view.scope(s as usize), conns)),
                _ => None,
            })
            .filter(|(_, scope, _)| matches!(scope, Scope::Out | Scope::Unclassified))
            .collect();
        if offenders.is_empty() {
            e.pass(object);
        } else {
            let name = |s: u32| r.workloads()[s as usize].display();
            e.fail_listing(
                object,
                "reachable from workloads outside the PCI scope: ",
                &offenders,
                |&(s, scope, _)| format!("{} ({scope})", name(s)),
                |&(s, _, conns)| Evidence::field(format!("ingress from {}", name(s)), conns.to_string()),
                "the report's boundary section lists every flow into the CDE",
            );
        }
    }
}
