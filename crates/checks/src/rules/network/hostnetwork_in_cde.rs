use kubepci_findings::Evidence;
use kubepci_inventory::Scope;

use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Pods in CDE namespaces must not use the host network
    ///
    /// ## What it checks
    /// Every workload that is in the CDE, or runs in a CDE namespace whatever its own scope
    /// label, must not set `hostNetwork: true`.
    ///
    /// ## Why PCI DSS cares
    /// NetworkPolicy does not apply to host-network pods: they bypass the CDE's segmentation in
    /// both directions (1.3.1, 1.3.2) and listen on the node's own interfaces, so a CDE
    /// component becomes reachable from every network the node is on (1.4.4). A host-network
    /// pod in a CDE namespace is a hole in the boundary that the policies cannot show.
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
    /// metadata: {name: agent, namespace: payments}
    /// spec:
    ///   hostNetwork: true
    ///   containers: [{name: agent, image: registry.example.com/agent:1.0}]
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
    /// metadata: {name: agent, namespace: payments}
    /// spec:
    ///   containers: [{name: agent, image: registry.example.com/agent:1.0}]
    /// ```
    ///
    /// ## Fix
    /// Remove `hostNetwork: true` (expose ports through a Service instead), or move node
    /// agents that need the host network out of CDE namespaces and account for them as
    /// connected systems.
    pub HOSTNETWORK_IN_CDE {
        id: "NET-010",
        name: "hostnetwork-in-cde",
        severity: High,
        applies: CdeRelated,
        reads: [workloads, Namespace],
        requirements: [
            ("1.3.1", "1.3.1.b", "host-network pods bypass the policies that limit inbound CDE traffic"),
            ("1.3.2", "1.3.2.b", "host-network pods bypass the policies that limit outbound CDE traffic"),
            ("1.4.4", "1.4.4.b", "a CDE pod on the host network listens on the node's own addresses, reachable from every network the node is"),
        ],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    for (w, o, t) in cx.workloads() {
        let in_cde_namespace = o.namespace().is_some_and(|ns| cx.inv.namespace_scope(ns) == Scope::Cde);
        if w.scope.scope != Scope::Cde && !in_cde_namespace {
            continue;
        }
        if t.spec.host_network == Some(true) {
            e.fail(w.object, "uses the host network, which NetworkPolicy does not apply to", vec![Evidence::field(format!("{}.hostNetwork", t.spec_path), "true")]);
        } else {
            e.pass(w.object);
        }
    }
}
