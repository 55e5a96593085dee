use kubepci_findings::Evidence;

use crate::support::each::{Verdict, each_of_kind};
use crate::support::exposure::{selected_cde_workloads, service_spec, service_type_exposed};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// CDE workloads must not be exposed by LoadBalancer or NodePort Services
    ///
    /// ## What it checks
    /// Every Service of type `LoadBalancer` or `NodePort`: its `spec.selector` must not match
    /// the pod template labels of a CDE workload in the same namespace. Other Services pass.
    ///
    /// ## Why PCI DSS cares
    /// A LoadBalancer or NodePort Service opens the selected pods to networks outside the
    /// cluster (every node's address, or a cloud load balancer). CDE components must not be
    /// directly reachable from untrusted networks (1.4.4), and inbound traffic from them may
    /// only reach components authorized to be public (1.4.2).
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
    /// metadata: {name: vault, namespace: payments}
    /// spec:
    ///   selector: {matchLabels: {app: vault}}
    ///   template:
    ///     metadata: {labels: {app: vault}}
    ///     spec:
    ///       containers:
    ///       - {name: vault, image: registry.example.com/pay/vault:1.0}
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: vault, namespace: payments}
    /// spec:
    ///   type: NodePort
    ///   selector: {app: vault}
    ///   ports: [{port: 8443}]
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
    /// metadata: {name: vault, namespace: payments}
    /// spec:
    ///   selector: {matchLabels: {app: vault}}
    ///   template:
    ///     metadata: {labels: {app: vault}}
    ///     spec:
    ///       containers:
    ///       - {name: vault, image: registry.example.com/pay/vault:1.0}
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: vault, namespace: payments}
    /// spec:
    ///   type: ClusterIP
    ///   selector: {app: vault}
    ///   ports: [{port: 8443}]
    /// ```
    ///
    /// ## Fix
    /// Make the Service `ClusterIP` and publish only the public-facing component through an
    /// Ingress or gateway in a DMZ namespace, with NetworkPolicies limiting what it can reach
    /// in the CDE.
    pub CDE_SERVICE_EXPOSED {
        id: "EXP-001",
        name: "cde-service-exposed",
        severity: High,
        applies: CdeRelated,
        reads: [workloads, Namespace, Service],
        requirements: [
            ("1.4.4", "1.4.4.b", "the Service makes CDE pods directly reachable from outside the cluster"),
            ("1.4.2", "1.4.2", "inbound traffic from untrusted networks reaches CDE components, which are not authorized public services"),
        ],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_of_kind(e, "Service", |cx, _, o| {
        let Some(spec) = service_spec(o) else { return Verdict::Pass };
        let cde = selected_cde_workloads(cx, o);
        if !service_type_exposed(spec) || cde.is_empty() {
            return Verdict::Pass;
        }
        let kind = spec.type_.as_deref().unwrap_or_default();
        Verdict::Fail(format!("{kind} Service exposes CDE workloads {}", cde.join(", ")), vec![Evidence::field("spec.type", kind), Evidence::path("spec.selector")])
    });
}
