use kubepci_findings::Evidence;
use kubepci_netpol::{ConnSet, Endpoint, PortSet, Protocol};

use crate::analyses::network::NetView;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// DNS from CDE pods must go only to the cluster DNS
    ///
    /// ## What it checks
    /// For every CDE workload, the destinations it may reach on port 53 (UDP or TCP),
    /// computed from all policies. Allowed: the cluster DNS workloads (in `kube-system`, or
    /// labelled `k8s-app: kube-dns`/`coredns` or `app.kubernetes.io/name: coredns`/`kube-dns`).
    /// Any other workload or any external range reachable on port 53 fails.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 1.3.2 limits outbound CDE traffic to what is necessary. DNS to arbitrary
    /// resolvers is a classic exfiltration and command-and-control channel, and an egress rule
    /// "port 53 to anywhere" is often added as a convenience next to a default deny.
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
    /// metadata: {name: dns-anywhere, namespace: payments}
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Egress]
    ///   egress:
    ///   - ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]
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
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
    /// spec:
    ///   containers: [{name: coredns, image: registry.k8s.io/coredns/coredns:v1.11.1}]
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: dns-to-cluster-dns, namespace: payments}
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Egress]
    ///   egress:
    ///   - to:
    ///     - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
    ///       podSelector: {matchLabels: {k8s-app: kube-dns}}
    ///     ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]
    /// ```
    ///
    /// ## Fix
    /// Give port 53 egress rules a `to` that selects the cluster DNS pods
    /// (`namespaceSelector` for `kube-system` plus `podSelector` `k8s-app: kube-dns`), and
    /// make sure a default-deny egress policy covers the CDE pods.
    pub DNS_EGRESS_SCOPED {
        id: "NET-006",
        name: "dns-egress-scoped",
        severity: Medium,
        applies: Cde,
        reads: [workloads, AdminNetworkPolicy, BaselineAdminNetworkPolicy, Namespace, NetworkPolicy],
        requirements: [("1.3.2", "1.3.2.b", "DNS egress to arbitrary resolvers is outbound traffic beyond what is necessary")],
        run: run,
    }
}

fn is_cluster_dns(namespace: &str, labels: &std::collections::BTreeMap<String, String>) -> bool {
    let named = |k: &str| labels.get(k).is_some_and(|v| v == "kube-dns" || v == "coredns");
    namespace == "kube-system" || named("k8s-app") || named("app.kubernetes.io/name")
}

fn run(cx: &Context, e: &mut Emitter) {
    let view = NetView::new(cx);
    let r = &view.r;
    let dns = ConnSet::of(Protocol::Udp, PortSet::single(53)).union(&ConnSet::of(Protocol::Tcp, PortSet::single(53)));
    for (object, ep) in view.cde_workloads(cx) {
        // Each distinct connection set is tested for port 53 once.
        let offenders: Vec<Endpoint> = r
            .destinations_where(ep, |conns| !conns.intersect(&dns).is_empty())
            .into_iter()
            .map(|(dst, _)| dst)
            .filter(|dst| match *dst {
                Endpoint::Workload(d) => !is_cluster_dns(&r.workloads()[d as usize].namespace, &r.class_of(d as usize).labels),
                _ => true,
            })
            .collect();
        if offenders.is_empty() {
            e.pass(object);
        } else {
            e.fail_listing(
                object,
                "DNS (port 53) egress reaches destinations other than the cluster DNS: ",
                &offenders,
                |&d| r.endpoint_name(d),
                |&d| Evidence::field("egress.port53", r.endpoint_name(d)),
                "`kubepci netpol list` lists every allowed connection",
            );
        }
    }
}
