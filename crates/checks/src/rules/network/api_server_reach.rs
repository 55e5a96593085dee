use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use kubepci_findings::Evidence;
use kubepci_model::Resource;
use kubepci_netpol::Endpoint;
use kubepci_netpol::ipblocks::IpSet;
use kubepci_netpol::ports::Protocol;
use serde_json::Value;

use crate::analyses::network::{FlowEnd, NetView, unapproved};
use crate::rules::platform::control_plane::{Component, component_pods};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// CDE pods must not reach the Kubernetes API server
    ///
    /// ## What it checks
    /// For every CDE workload, the computed reachability (NetworkPolicies, AdminNetworkPolicies,
    /// as for NET-005) must not allow a connection to an address and port of the API server
    /// unless an `approvedFlows` entry allows it. The API server is found from the `kubernetes`
    /// EndpointSlice in `default` (what the `kubernetes` Service forwards to), or
    /// from the kube-apiserver pod's `--advertise-address` and `--secure-port` (6443 when
    /// unset); IPv4 addresses only. Policies reach the API server only through `ipBlock`
    /// rules (it runs on the host network), and the engine judges traffic after the Service
    /// address is translated, as kube-proxy and most network plugins do. When no address is
    /// in the input (managed control planes, manifests without the platform files) the check
    /// is not assessed. Some plugins (Cilium) never match host addresses with `ipBlock`; there
    /// a failure can be stricter than the cluster.
    ///
    /// ## Why PCI DSS cares
    /// An application that can reach the API server can use its mounted token, a stolen one,
    /// or an API vulnerability to read Secrets and change workloads of the whole cluster.
    /// Payment applications rarely need the API at all. Requirement 1.3.2 asks that outbound
    /// traffic from the CDE is restricted to what is necessary.
    ///
    /// ## Failing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: discovery.k8s.io/v1
    /// kind: EndpointSlice
    /// metadata:
    ///   name: kubernetes
    ///   namespace: default
    ///   labels: {kubernetes.io/service-name: kubernetes}
    /// addressType: IPv4
    /// endpoints: [{addresses: [10.0.0.10]}]
    /// ports: [{name: https, port: 6443, protocol: TCP}]
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: api, namespace: payments, labels: {app: api}}
    /// spec:
    ///   containers:
    ///   - {name: api, image: registry.example.com/pay/api:1.0}
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: egress-internal, namespace: payments}
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Egress]
    ///   egress:
    ///   - to: [{ipBlock: {cidr: 10.0.0.0/8}}]
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: discovery.k8s.io/v1
    /// kind: EndpointSlice
    /// metadata:
    ///   name: kubernetes
    ///   namespace: default
    ///   labels: {kubernetes.io/service-name: kubernetes}
    /// addressType: IPv4
    /// endpoints: [{addresses: [10.0.0.10]}]
    /// ports: [{name: https, port: 6443, protocol: TCP}]
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: api, namespace: payments, labels: {app: api}}
    /// spec:
    ///   containers:
    ///   - {name: api, image: registry.example.com/pay/api:1.0}
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: egress-internal, namespace: payments}
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Egress]
    ///   egress:
    ///   - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/24]}}]
    ///     ports: [{protocol: TCP, port: 5432}]
    /// ```
    ///
    /// ## Fix
    /// Narrow the CDE's egress `ipBlock`s so that they exclude the control-plane addresses
    /// (or deny them cluster-wide with an AdminNetworkPolicy), set
    /// `automountServiceAccountToken: false` on workloads that do not call the API, and list
    /// the few that must (operators, controllers) in `approvedFlows` with the reason.
    pub API_SERVER_REACH {
        id: "NET-015",
        name: "cde-reaches-api-server",
        severity: High,
        applies: Cde,
        reads: [workloads, AdminNetworkPolicy, BaselineAdminNetworkPolicy, EndpointSlice, Namespace, NetworkPolicy],
        requirements: [("1.3.2", "1.3.2.b", "the cluster's control plane is outbound access from the CDE that payment applications do not need; the computed egress shows whether it is restricted")],
        run: run,
    }
}

/// The API server's (address, port) pairs known from the input, with where they came from.
fn api_server_addresses(cx: &Context) -> (BTreeSet<(u32, u16)>, Vec<String>) {
    let mut found = BTreeSet::new();
    let mut sources = Vec::new();
    let ip = |v: &Value| v.as_str().and_then(|s| s.parse::<Ipv4Addr>().ok()).map(u32::from);
    let port = |v: &Value| v.get("port").and_then(Value::as_u64).and_then(|p| u16::try_from(p).ok());
    let ports_of = |v: Option<&Value>| v.and_then(Value::as_array).map(|a| a.iter().filter_map(port).collect::<Vec<_>>()).unwrap_or_default();
    for o in cx.inv.of_kind("EndpointSlice").filter(|o| o.namespace() == Some("default")) {
        let named = o.name() == "kubernetes" || o.labels().get("kubernetes.io/service-name").is_some_and(|v| v == "kubernetes");
        if !named {
            continue;
        }
        let before = found.len();
        match &o.resource {
            Resource::EndpointSlice(slice) => {
                let ports: Vec<u16> = slice.ports.iter().flatten().filter_map(|p| p.port.and_then(|p| u16::try_from(p).ok())).collect();
                let addresses = slice.endpoints.iter().flatten().flat_map(|ep| &ep.addresses);
                for a in addresses.filter_map(|a| a.parse::<Ipv4Addr>().ok()).map(u32::from) {
                    found.extend(ports.iter().map(|&p| (a, p)));
                }
            }
            // `discovery.k8s.io/v1beta1` stays generic.
            Resource::Generic(g) => {
                let ports = ports_of(g.body.get("ports"));
                for ep in g.body.get("endpoints").and_then(Value::as_array).into_iter().flatten() {
                    for a in ep.get("addresses").and_then(Value::as_array).into_iter().flatten().filter_map(&ip) {
                        found.extend(ports.iter().map(|&p| (a, p)));
                    }
                }
            }
            _ => continue,
        }
        if found.len() > before {
            sources.push(format!("EndpointSlice default/{}", o.name()));
        }
    }
    for pod in component_pods(cx, Component::ApiServer) {
        let Some(address) = pod.flag("advertise-address").and_then(|a| a.parse::<Ipv4Addr>().ok()) else { continue };
        let port = pod.flag("secure-port").and_then(|p| p.parse().ok()).unwrap_or(6443);
        found.insert((u32::from(address), port));
        sources.push(format!("kube-apiserver {}/{} --advertise-address", pod.object.namespace().unwrap_or(""), pod.object.name()));
    }
    (found, sources)
}

fn run(cx: &Context, e: &mut Emitter) {
    let (addresses, _) = api_server_addresses(cx);
    if addresses.is_empty() {
        e.not_assessed(None, "the API server's address is not in the input (no `kubernetes` EndpointSlice in `default`, no kube-apiserver pod with --advertise-address): give the platform files with --platform-config or a snapshot that holds them");
        return;
    }
    let view = NetView::new(cx);
    let r = &view.r;
    let flows = &cx.inv.config.approved_flows;
    for (object, ep) in view.cde_workloads(cx) {
        let w = &r.workloads()[ep];
        let src = FlowEnd::Workload { namespace: &w.namespace, name: &w.name };
        let open = r.destinations_of(ep).into_iter().find_map(|(dst, conns)| {
            let Endpoint::ExternalDestination(b) = dst else { return None };
            let block = &r.external_destinations()[b as usize];
            addresses.iter().find_map(|&(address, port)| {
                let target = IpSet::range(address, address);
                if !block.overlaps(&target) {
                    return None;
                }
                let left = unapproved(flows, &src, &FlowEnd::Range(&target), conns);
                left.contains(Protocol::Tcp, port).then(|| format!("{block} allowed on TCP/{port} (API server {}:{port})", Ipv4Addr::from(address)))
            })
        });
        match open {
            Some(what) => e.fail(object, "may connect to the Kubernetes API server", vec![Evidence::field("egress", what)]),
            None => e.pass(object),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POD: &str = "# input: snapshot\napiVersion: v1\nkind: Namespace\nmetadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: api, namespace: payments, labels: {app: api}}\nspec: {containers: [{name: api, image: r.example/api:1}]}\n";
    const SLICE: &str = "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: kubernetes, namespace: default, labels: {kubernetes.io/service-name: kubernetes}}\naddressType: IPv4\nendpoints: [{addresses: [172.18.0.2]}]\nports: [{name: https, port: 6443, protocol: TCP}]\n";

    #[test]
    fn unknown_address_is_not_assessed() {
        let out = crate::testing::run(&API_SERVER_REACH, POD, "");
        assert_eq!((out.fails.len(), out.passed, out.not_assessed.len()), (0, 0, 1), "{out:?}");
    }

    #[test]
    fn endpoint_slice_and_open_egress_fail_and_deny_passes() {
        let out = crate::testing::run(&API_SERVER_REACH, &format!("{POD}{SLICE}"), "");
        assert_eq!(out.fails.len(), 1, "{out:?}");
        assert!(out.fails[0].evidence[0].value.as_deref().unwrap_or("").contains("172.18.0.2:6443"), "{out:?}");
        let deny = format!("{POD}{SLICE}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: deny, namespace: payments}}\nspec: {{podSelector: {{}}, policyTypes: [Egress]}}\n");
        assert_eq!(crate::testing::run(&API_SERVER_REACH, &deny, "").passed, 1);
        let other_port = format!("{POD}{SLICE}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: web, namespace: payments}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  egress: [{{to: [{{ipBlock: {{cidr: 0.0.0.0/0}}}}], ports: [{{protocol: TCP, port: 443}}]}}]\n");
        assert_eq!(crate::testing::run(&API_SERVER_REACH, &other_port, "").passed, 1);
    }

    /// A `v1beta1` EndpointSlice stays a generic object and is read as before.
    #[test]
    fn old_endpoint_slice_is_read_too() {
        let old = SLICE.replace("discovery.k8s.io/v1", "discovery.k8s.io/v1beta1");
        let out = crate::testing::run(&API_SERVER_REACH, &format!("{POD}{old}"), "");
        assert_eq!(out.fails.len(), 1, "{out:?}");
        assert!(out.fails[0].evidence[0].value.as_deref().unwrap_or("").contains("172.18.0.2:6443"), "{out:?}");
    }

    #[test]
    fn advertise_address_and_approved_flow() {
        let apiserver = "---\napiVersion: v1\nkind: Pod\nmetadata: {name: kube-apiserver-cp1, namespace: kube-system, labels: {component: kube-apiserver}}\nspec: {hostNetwork: true, containers: [{name: kube-apiserver, image: registry.k8s.io/kube-apiserver:v1.31.0, command: [kube-apiserver, --advertise-address=192.168.1.10, --secure-port=8443]}]}\n";
        let out = crate::testing::run(&API_SERVER_REACH, &format!("{POD}{apiserver}"), "");
        assert_eq!(out.fails.len(), 1, "{out:?}");
        let approved = "approvedFlows: [{from: payments/api, to: 192.168.1.10/32, ports: [TCP/8443], reason: operator watches its CRs (RISK-12)}]";
        assert_eq!(crate::testing::run(&API_SERVER_REACH, &format!("{POD}{apiserver}"), approved).passed, 1);
    }
}
