//! What the network checks share: the reachability of the input (from `kubepci-netpol`), the
//! mapping from inventory workloads to its endpoints, CDE policies, and approved flows.

use std::collections::HashMap;

use kubepci_inventory::Scope;
use kubepci_inventory::config::ApprovedFlow;
use kubepci_model::Resource;
use kubepci_netpol::ipblocks::IpSet;
use kubepci_netpol::policy::{Action, NamespaceMatch, Peer, Peers, Policy, PolicyKind, Ports, compile_network_policy};
use kubepci_netpol::Direction;
use kubepci_netpol::ports::parse_port_spec;
use kubepci_netpol::{ConnSet, Endpoint, PortSet, Reachability};

use crate::Context;

/// Reachability of the whole input plus the workload mapping.
pub struct NetView<'a> {
    pub r: &'a Reachability,
    /// Inventory object index (a workload's top owner) → endpoint index in `r.workloads()`.
    endpoint_of_object: HashMap<usize, usize>,
}

impl<'a> NetView<'a> {
    /// The reachability is computed once per assessment (`Context::reachability`); the
    /// endpoint mapping is cheap and built per check.
    pub fn new(cx: &'a Context) -> NetView<'a> {
        let r = cx.reachability();
        let mut endpoint_of_object = HashMap::new();
        let inv_workloads = cx.inv.workloads();
        for (ei, ep) in r.workloads().iter().enumerate() {
            for &wi in &ep.inventory_workloads {
                if let Some(w) = inv_workloads.get(wi) {
                    endpoint_of_object.insert(w.object, ei);
                }
            }
        }
        NetView { r, endpoint_of_object }
    }

    pub fn endpoint(&self, object: usize) -> Option<usize> {
        self.endpoint_of_object.get(&object).copied()
    }

    /// Scope of an endpoint (its representative workload's).
    pub fn scope(&self, cx: &Context, endpoint: usize) -> Scope {
        let ep = &self.r.workloads()[endpoint];
        ep.inventory_workloads.first().and_then(|&wi| cx.inv.workloads().get(wi)).map_or(Scope::Unclassified, |w| w.scope.scope)
    }

    /// An endpoint as the end of a flow, for matching `approvedFlows`.
    pub fn flow_end(&self, e: Endpoint) -> FlowEnd<'a> {
        let r = self.r;
        match e {
            Endpoint::Workload(i) => {
                let w = &r.workloads()[i as usize];
                FlowEnd::Workload { namespace: &w.namespace, name: &w.name }
            }
            Endpoint::ExternalSource(b) => FlowEnd::Range(&r.external_sources()[b as usize]),
            Endpoint::ExternalDestination(b) => FlowEnd::Range(&r.external_destinations()[b as usize]),
        }
    }

    /// CDE workloads: (inventory object index, endpoint index).
    pub fn cde_workloads<'b>(&'b self, cx: &'b Context) -> impl Iterator<Item = (usize, usize)> + 'b {
        cx.workloads().filter(|(w, _, _)| w.scope.scope == Scope::Cde).filter_map(|(w, _, _)| self.endpoint(w.object).map(|e| (w.object, e)))
    }
}

/// One end of a flow, for matching against `approvedFlows`.
pub enum FlowEnd<'a> {
    Workload { namespace: &'a str, name: &'a str },
    Range(&'a IpSet),
}

fn end_matches(pattern: &str, end: &FlowEnd) -> bool {
    match end {
        FlowEnd::Workload { namespace, name } => match pattern.split_once('/') {
            Some((ns, n)) => (ns == *namespace || ns == "*") && (n == *name || n == "*"),
            None => false,
        },
        FlowEnd::Range(range) => IpSet::from_cidr(pattern).is_ok_and(|approved| range.is_subset_of(&approved)),
    }
}

/// The connections of `conns` that approved flows from `src` to `dst` do not cover.
pub fn unapproved(flows: &[ApprovedFlow], src: &FlowEnd, dst: &FlowEnd, conns: &ConnSet) -> ConnSet {
    let mut covered = ConnSet::none();
    for f in flows.iter().filter(|f| end_matches(&f.from, src) && end_matches(&f.to, dst)) {
        if f.ports.is_empty() {
            return ConnSet::none();
        }
        for p in &f.ports {
            if let Some((proto, port)) = parse_port_spec(p) {
                covered = covered.union(&ConnSet::of(proto, PortSet::single(port)));
            }
        }
    }
    conns.subtract(&covered)
}

/// NetworkPolicies that concern the CDE: in a CDE namespace, or selecting a CDE workload.
/// Yields (object index, compiled policy); policies that do not compile are skipped (the
/// engine reports them).
pub fn cde_network_policies(cx: &Context) -> Vec<(usize, Policy)> {
    let inv = cx.inv;
    let mut out = Vec::new();
    for &i in inv.indices_of_kind("NetworkPolicy") {
        let o = &inv.objects[i];
        let Resource::NetworkPolicy(np) = &o.resource else { continue };
        let Ok(p) = compile_network_policy(o, np) else { continue };
        let ns = o.namespace().unwrap_or("default");
        let in_cde_ns = inv.namespace_scope(ns) == Scope::Cde;
        let empty = Default::default();
        let selects_cde = !in_cde_ns
            && inv.workloads_in(ns).any(|w| {
                w.scope.scope == Scope::Cde
                    && inv.objects[w.object].pod_template().is_some_and(|t| p.subject.pods.matches(t.metadata.labels.as_ref().unwrap_or(&empty)))
            });
        if in_cde_ns || selects_cde {
            out.push((i, p));
        }
    }
    out
}

/// Whether an admin policy among `policies` denies everything from/to every pod in this
/// direction (an AdminNetworkPolicy or baseline "default deny").
pub fn admin_denies_all(policies: &[&Policy], direction: Direction) -> bool {
    policies.iter().filter(|p| p.kind != PolicyKind::NetworkPolicy).any(|p| {
        p.rules(direction).unwrap_or(&[]).iter().any(|r| {
            r.action == Action::Deny
                && r.ports == Ports::Any
                && matches!(&r.peers, Peers::List(l) if l.iter().any(|peer| matches!(peer, Peer::Pods(m)
                    if m.pods.is_everything() && matches!(&m.namespaces, NamespaceMatch::Selector(s) if s.is_everything()))))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubepci_netpol::Protocol;

    fn flow(from: &str, to: &str, ports: &[&str]) -> ApprovedFlow {
        ApprovedFlow { from: from.into(), to: to.into(), ports: ports.iter().map(|s| s.to_string()).collect(), reason: "r".into() }
    }

    #[test]
    fn approvals_cover_ports_and_wildcards() {
        let flows = [flow("shop/*", "payments/api", &["TCP/443"]), flow("10.0.0.0/8", "payments/api", &[])];
        let src = FlowEnd::Workload { namespace: "shop", name: "web" };
        let dst = FlowEnd::Workload { namespace: "payments", name: "api" };
        let c443 = ConnSet::of(Protocol::Tcp, PortSet::single(443));
        assert!(unapproved(&flows, &src, &dst, &c443).is_empty());
        assert_eq!(unapproved(&flows, &src, &dst, &ConnSet::of(Protocol::Tcp, PortSet::range(443, 444))).to_string(), "TCP 444");
        let inside = IpSet::from_cidr("10.1.0.0/16").unwrap();
        assert!(unapproved(&flows, &FlowEnd::Range(&inside), &dst, &ConnSet::all()).is_empty());
        let outside = IpSet::from_cidr("11.0.0.0/8").unwrap();
        assert!(!unapproved(&flows, &FlowEnd::Range(&outside), &dst, &c443).is_empty());
    }
}
