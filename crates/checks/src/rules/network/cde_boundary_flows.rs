use kubepci_findings::Evidence;
use kubepci_model::hash::FastMap;
use kubepci_netpol::{Direction, INGRESS_CONTROLLER};

use crate::analyses::network::NetView;
use crate::boundary::{PeersKey, peers_key};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Every flow into the CDE must be approved
    ///
    /// ## What it checks
    /// For every CDE workload, every connection that may enter it must be covered by an entry
    /// of `approvedFlows` in `kubepci.yaml`:
    /// - from a workload that is not in the CDE or from an external IPv4 range, computed from
    ///   all NetworkPolicies, AdminNetworkPolicies and the baseline policy, at both ends
    ///   (`from`: `namespace/workload`, `namespace/*` or a CIDR);
    /// - from outside the cluster through an ingress controller: an Ingress, an OpenShift Route
    ///   or a Gateway API route (HTTPRoute, GRPCRoute, TLSRoute, TCPRoute) that routes to the
    ///   workload's pods, where the controller's egress and the workload's ingress policies let
    ///   it through (`from: "{ingress-controller}"`, quoted; it approves every such path to the
    ///   workload on the ports given).
    ///
    /// `to` is the CDE workload; `ports` are `TCP/443` style, empty for any. Connections not
    /// covered fail, with the source and the ports; paths from outside name each Ingress, Route
    /// or route with its `file:line:col`.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 1.3.1 limits inbound CDE traffic to what is necessary, and 1.4.4 asks that
    /// components storing card data are not directly reachable from untrusted networks: an
    /// Ingress to a CDE workload is exactly such a path from the internet. This check compares
    /// the paths the policies and ingress objects allow with the approved ones on every run.
    /// The computed flows (the report's `boundary` section) are also input for the connection
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
    ///   containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.0
    ///     ports: [{name: https, containerPort: 8443}, {name: admin, containerPort: 9090}]
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: web, namespace: shop, labels: {app: web}}
    /// spec:
    ///   containers: [{name: web, image: registry.example.com/web:1.0}]
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   selector: {app: api}
    ///   ports: [{name: https, port: 443, targetPort: https}, {name: admin, port: 9090, targetPort: admin}]
    /// ---
    /// # The admin port is published to the internet, and shop may reach it too.
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: api-admin, namespace: payments}
    /// spec:
    ///   ingressClassName: nginx
    ///   rules:
    ///   - host: pay-admin.example.com
    ///     http:
    ///       paths:
    ///       - {path: /, pathType: Prefix, backend: {service: {name: api, port: {name: admin}}}}
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   podSelector: {matchLabels: {app: api}}
    ///   ingress:
    ///   - from: [{namespaceSelector: {}}]
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
    ///   containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.0
    ///     ports: [{name: https, containerPort: 8443}, {name: admin, containerPort: 9090}]
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: web, namespace: shop, labels: {app: web}}
    /// spec:
    ///   containers: [{name: web, image: registry.example.com/web:1.0}]
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   selector: {app: api}
    ///   ports: [{name: https, port: 443, targetPort: https}, {name: admin, port: 9090, targetPort: admin}]
    /// ---
    /// # Only the approved payment endpoint is published, and only it is open.
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   ingressClassName: nginx
    ///   rules:
    ///   - host: pay.example.com
    ///     http:
    ///       paths:
    ///       - {path: /, pathType: Prefix, backend: {service: {name: api, port: {name: https}}}}
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   podSelector: {matchLabels: {app: api}}
    ///   ingress:
    ///   - from: [{namespaceSelector: {}}]
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
    /// - from: "{ingress-controller}"
    ///   to: payments/api
    ///   ports: [TCP/8443]
    ///   reason: card holders reach the payment page at pay.example.com (CHG-1300)
    /// ```
    ///
    /// ## Fix
    /// Remove the unapproved paths from the policies (narrow peers and ports) and from the
    /// Ingresses, Routes and Gateway API routes, or, when the flow has a business need, add it
    /// to `approvedFlows` with the reason.
    pub CDE_BOUNDARY_FLOWS {
        id: "NET-013",
        name: "cde-boundary-flows",
        severity: High,
        applies: Cde,
        reads: [workloads, AdminNetworkPolicy, BaselineAdminNetworkPolicy, Namespace, NetworkPolicy, Ingress, IngressClass, Route, Gateway, HTTPRoute, GRPCRoute, TLSRoute, TCPRoute, Service],
        requirements: [
            ("1.3.1", "1.3.1.b", "every inbound path into the CDE, computed from the policies and the ingress objects, is one the entity approved"),
            ("1.4.4", "1.4.4.b", "an external address range that may open connections to CDE pods, or an ingress path from outside to them, must be an approved one"),
        ],
        run: run,
    }
}

/// One unapproved way in: how the message names it, and its evidence.
struct Open {
    summary: String,
    evidence: Evidence,
}

fn run(cx: &Context, e: &mut Emitter) {
    let view = NetView::new(cx);
    let r = view.r;
    // CDE workloads with the same boundary peers share their list (`peers_key`): a large CDE
    // has thousands of workloads and a handful of distinct lists.
    let mut shared: FastMap<PeersKey, Vec<Open>> = FastMap::default();
    let peers_of = |ep: usize| -> Vec<Open> {
        // Denied sources cannot be unapproved flows: only the allowed ones are grouped.
        let peers = view.boundary_peers(cx, ep, Direction::Ingress).into_iter().filter(|p| !p.unapproved.is_empty());
        peers
            .map(|p| {
                let name = p.name.label(r);
                Open { summary: format!("{name} ({})", p.unapproved), evidence: Evidence::field(format!("ingress from {name}"), p.unapproved.to_string()) }
            })
            .collect()
    };
    for (object, ep) in view.cde_workloads(cx) {
        // Paths from outside first: they are the widest exposure, and the message lists only
        // the first few ways in.
        let mut ingress: Vec<Open> = Vec::new();
        if let Some(into) = view.ingress_into(cx, ep) {
            for (via, conns) in into.unapproved_via() {
                let through = via.object.display();
                ingress.push(Open {
                    summary: format!("{INGRESS_CONTROLLER} via {through} ({conns})"),
                    evidence: Evidence::field(format!("ingress from {INGRESS_CONTROLLER} via {through} ({})", via.object.location), conns.to_string()),
                });
            }
        }
        let own;
        let peers: &[Open] = match peers_key(cx, &view, ep, Direction::Ingress) {
            Some(key) => shared.entry(key).or_insert_with(|| peers_of(ep)),
            None => {
                own = peers_of(ep);
                &own
            }
        };
        let open: Vec<&Open> = ingress.iter().chain(peers).collect();
        if open.is_empty() {
            e.pass(object);
        } else {
            e.fail_listing(object, "unapproved flows into the CDE from ", &open, |o| o.summary.clone(), |o| o.evidence.clone(), "the report's boundary section lists every flow");
        }
    }
}
