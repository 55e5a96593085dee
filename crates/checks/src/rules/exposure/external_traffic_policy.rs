use kubepci_findings::Evidence;

use crate::support::each::{Verdict, each_of_kind};
use crate::support::exposure::{selected_cde_workloads, service_spec, service_type_exposed};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Exposed Services of CDE workloads must keep the client's source address
    ///
    /// ## What it checks
    /// Every `LoadBalancer` or `NodePort` Service whose selector matches a CDE workload (which
    /// EXP-001 already reports as an exposure; an approved one is excepted there) must set
    /// `externalTrafficPolicy: Local`. With the default `Cluster`, every node accepts the
    /// traffic and forwards it with the node's address as source.
    ///
    /// ## Why PCI DSS cares
    /// With `Cluster`, the CDE pods see node addresses instead of the clients': NetworkPolicy
    /// `ipBlock` rules meant to admit only known networks cannot tell the internet from the
    /// nodes, and connection logs lose who connected. Requirement 1.4.2 asks that inbound
    /// traffic from untrusted networks reaches only what is authorized, which the CDE's own
    /// controls then cannot enforce.
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
    /// metadata: {name: gateway, namespace: payments, labels: {app: gateway}}
    /// spec:
    ///   containers:
    ///   - {name: gateway, image: registry.example.com/pay/gateway:1.0}
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: gateway, namespace: payments}
    /// spec:
    ///   type: LoadBalancer
    ///   selector: {app: gateway}
    ///   ports: [{port: 443}]
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
    /// metadata: {name: gateway, namespace: payments, labels: {app: gateway}}
    /// spec:
    ///   containers:
    ///   - {name: gateway, image: registry.example.com/pay/gateway:1.0}
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: gateway, namespace: payments}
    /// spec:
    ///   type: LoadBalancer
    ///   externalTrafficPolicy: Local
    ///   loadBalancerSourceRanges: [203.0.113.0/24]
    ///   selector: {app: gateway}
    ///   ports: [{port: 443}]
    /// ```
    ///
    /// ## Fix
    /// Better, do not expose CDE pods directly (EXP-001): route through an ingress controller
    /// outside the CDE. Where a direct load balancer is approved, set
    /// `externalTrafficPolicy: Local` so pods see client addresses, and restrict them with
    /// `loadBalancerSourceRanges` and NetworkPolicy `ipBlock` rules.
    pub EXTERNAL_TRAFFIC_POLICY {
        id: "EXP-008",
        name: "cde-exposure-hides-client-address",
        severity: Medium,
        applies: CdeRelated,
        reads: [workloads, Namespace, Service],
        requirements: [("1.4.2", "1.4.2", "with the client address replaced by a node's, the CDE's network policies cannot limit which untrusted sources reach it")],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_of_kind(e, "Service", |cx, _, o| {
        let Some(spec) = service_spec(o) else { return Verdict::Skip };
        if !service_type_exposed(spec) || selected_cde_workloads(cx, o).is_empty() {
            return Verdict::Skip;
        }
        match spec.external_traffic_policy.as_deref() {
            Some("Local") => Verdict::Pass,
            other => Verdict::Fail(
                format!("{} Service forwards external traffic to CDE pods from any node with the node's source address (externalTrafficPolicy: {})", spec.type_.as_deref().unwrap_or_default(), other.unwrap_or("Cluster, the default")),
                vec![Evidence::field("spec.externalTrafficPolicy", other.unwrap_or("<unset>"))],
            ),
        }
    });
}
