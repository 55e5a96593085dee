//! What the network checks and the boundary section share: the reachability of the input
//! (from `kubepci-netpol`), the mapping from inventory workloads to its endpoints, the paths
//! from outside into CDE workloads through ingress controllers, CDE policies, and approved
//! flows.

use std::borrow::Cow;
use std::collections::HashMap;

use kubepci_inventory::Scope;
use kubepci_inventory::config::ApprovedFlow;
use kubepci_model::Resource;
use kubepci_netpol::ipblocks::IpSet;
use kubepci_netpol::policy::{Action, NamespaceMatch, Peer, Peers, Policy, PolicyKind, Ports, compile_network_policy};
use kubepci_netpol::Direction;
use kubepci_netpol::ports::parse_port_spec;
use kubepci_netpol::{ConnSet, Endpoint, INGRESS_CONTROLLER, IngressFlow, IngressVia, PortSet, Reachability};

use crate::{Context, WORKLOADS};

/// Kinds the network reachability is computed from (`kubepci_netpol::endpoints`, `engine`):
/// what a check or report section built on [`NetView`] reads. The boundary section is left
/// empty when one of them could not be listed.
pub const REACHABILITY_READS: &[&str] = &["NetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "Namespace", WORKLOADS];
/// Kinds the ingress paths are resolved from (`kubepci_netpol`'s ingress model: the objects
/// that let traffic in, their classes and Gateways, the Services they name): what a check or
/// report section reading [`NetView::ingress_into`] reads besides [`REACHABILITY_READS`].
pub const INGRESS_PATH_READS: &[&str] = &["Ingress", "IngressClass", "Route", "Gateway", "HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "Service"];
/// Kinds the CDE NetworkPolicies are chosen by ([`compile_cde_network_policies`]).
pub const CDE_POLICY_READS: &[&str] = &["NetworkPolicy", "Namespace", WORKLOADS];

/// Reachability of the whole input plus the workload mapping.
pub struct NetView<'a> {
    pub r: &'a Reachability,
    index: &'a NetIndex,
}

/// What the network checks look up beside the reachability, built once per assessment
/// (`Context::net_index`).
pub struct NetIndex {
    /// Inventory object index (a workload's top owner) → endpoint index in `r.workloads()`,
    /// `u32::MAX` for objects that are not one.
    endpoint_of_object: Vec<u32>,
    /// Per endpoint: its scope (its representative workload's) and its namespace's number.
    scope: Vec<Scope>,
    namespace_of: Vec<u32>,
    /// Endpoints outside the CDE, per namespace number and in all, to tell when a set of
    /// peers is "every workload outside the CDE" of a namespace or of the cluster.
    outside_in_namespace: Vec<usize>,
    outside_total: usize,
}

impl NetIndex {
    pub fn new(cx: &Context, r: &Reachability) -> NetIndex {
        let inv = cx.inventory();
        let mut endpoint_of_object = vec![u32::MAX; inv.objects.len()];
        let inv_workloads = inv.workloads();
        for (ei, ep) in r.workloads().iter().enumerate() {
            for &wi in &ep.inventory_workloads {
                if let Some(w) = inv_workloads.get(wi) {
                    endpoint_of_object[w.object] = ei as u32;
                }
            }
        }
        let scope: Vec<Scope> = (0..r.workloads().len()).map(|ei| scope_of(cx, r, ei)).collect();
        let mut numbers: HashMap<&str, u32> = HashMap::new();
        let namespace_of: Vec<u32> = r
            .workloads()
            .iter()
            .map(|ep| {
                let next = numbers.len() as u32;
                *numbers.entry(ep.namespace.as_str()).or_insert(next)
            })
            .collect();
        let mut outside_in_namespace = vec![0; numbers.len()];
        for (ei, &ns) in namespace_of.iter().enumerate() {
            if scope[ei] != Scope::Cde {
                outside_in_namespace[ns as usize] += 1;
            }
        }
        let outside_total = outside_in_namespace.iter().sum();
        NetIndex { endpoint_of_object, scope, namespace_of, outside_in_namespace, outside_total }
    }

    /// Fit the index to an inventory of `objects` objects after objects that are no workload's
    /// top owner were added last or the last one removed (what a build would give then).
    pub(crate) fn fit(&mut self, objects: usize) {
        self.endpoint_of_object.resize(objects, u32::MAX);
    }
}

/// Peers of one CDE workload across the boundary that share the same allowed (and the same
/// unapproved) connections. Reports list these instead of every pair: a CDE workload that
/// every pod may reach is one line, not one per pod in the cluster.
#[derive(Debug)]
pub struct PeerGroup<'a> {
    pub name: PeerName<'a>,
    /// How many workloads the group stands for (0 for an address range).
    pub workloads: usize,
    pub conns: &'a ConnSet,
    /// The part of `conns` that `approvedFlows` do not cover.
    pub unapproved: Cow<'a, ConnSet>,
}

/// The peer end of a [`PeerGroup`], named only when a report shows it (the boundary of a
/// large cluster has hundreds of thousands of peer entries before CDE-side grouping).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PeerName<'a> {
    /// One workload or address range: `namespace/name[Kind]`, `10.0.0.0-10.255.255.255[External]`.
    Endpoint(Endpoint),
    /// Every workload outside the CDE in a namespace: `namespace/* (N workloads outside the CDE)`.
    Namespace(&'a str, usize),
    /// Every workload outside the CDE: `*/* (all N workloads outside the CDE)`.
    Everyone(usize),
}

impl PeerName<'_> {
    pub fn label(&self, r: &Reachability) -> String {
        match self {
            PeerName::Endpoint(e) => r.endpoint_name(*e),
            PeerName::Namespace(ns, n) => format!("{ns}/* ({n} workloads outside the CDE)"),
            PeerName::Everyone(n) => format!("*/* (all {n} workloads outside the CDE)"),
        }
    }
}

/// One workload peer of a CDE workload while [`NetView::boundary_peers`] groups them.
#[derive(Clone)]
struct Member<'a> {
    /// The first-seen rank of the peer's namespace.
    rank: u32,
    peer: Endpoint,
    conns: &'a ConnSet,
    /// The unapproved part when approvals cover some of `conns` (rare); `None`: all of it.
    unapproved: Option<Box<ConnSet>>,
}

impl<'a> Member<'a> {
    fn left(&self) -> &ConnSet {
        self.unapproved.as_deref().unwrap_or(self.conns)
    }

    fn group(self, name: PeerName<'a>, workloads: usize) -> PeerGroup<'a> {
        let unapproved = match self.unapproved {
            Some(left) => Cow::Owned(*left),
            None => Cow::Borrowed(self.conns),
        };
        PeerGroup { name, workloads, conns: self.conns, unapproved }
    }
}

impl<'a> NetView<'a> {
    /// The reachability and the index are computed once per assessment
    /// (`Context::reachability`, `Context::net_index`).
    pub fn new(cx: &'a Context) -> NetView<'a> {
        NetView { r: cx.reachability(), index: cx.net_index() }
    }

    /// The peers of CDE endpoint `ep` outside the CDE in one direction (sources for
    /// ingress, destinations for egress), grouped: the workloads of a namespace that all share
    /// the same connections become `namespace/*`, and when that holds for every workload
    /// outside the CDE, one `*/*` group. Address ranges stay one group each.
    pub fn boundary_peers(&self, cx: &Context, ep: usize, direction: Direction) -> Vec<PeerGroup<'a>> {
        let r = self.r;
        let approved = &cx.inv.config.approved_flows;
        let cde_end = self.flow_end(Endpoint::Workload(ep as u32));
        let peers = match direction {
            Direction::Ingress => r.sources_of(ep),
            Direction::Egress => r.destinations_of(ep),
        };
        let unapproved_for = |peer: Endpoint, conns: &'a ConnSet| match direction {
            Direction::Ingress => unapproved(approved, &self.flow_end(peer), &cde_end, conns),
            Direction::Egress => unapproved(approved, &cde_end, &self.flow_end(peer), conns),
        };
        let mut out = Vec::new();
        // Workload peers outside the CDE, each with its namespace's first-seen rank. Peers
        // come in endpoint order, which keeps a namespace's together (ranks ascend); the rank
        // is looked for only when the namespace changes. One flat, compact list: a CDE
        // workload on a flat network has a peer per workload of the cluster.
        let mut members: Vec<Member<'a>> = Vec::with_capacity(peers.len());
        let mut namespaces: Vec<(u32, &'a str)> = Vec::new();
        let mut in_order = true;
        for (peer, conns) in peers {
            match peer {
                Endpoint::Workload(p) => {
                    if self.index.scope[p as usize] == Scope::Cde {
                        continue;
                    }
                    let ns = self.index.namespace_of[p as usize];
                    let rank = match members.last() {
                        Some(last) if namespaces[last.rank as usize].0 == ns => last.rank,
                        _ => match namespaces.iter().position(|(n, _)| *n == ns) {
                            Some(rank) => {
                                in_order = false;
                                rank as u32
                            }
                            None => {
                                namespaces.push((ns, r.workloads()[p as usize].namespace.as_str()));
                                namespaces.len() as u32 - 1
                            }
                        },
                    };
                    let unapproved = match unapproved_for(peer, conns) {
                        Cow::Borrowed(_) => None,
                        Cow::Owned(left) => Some(Box::new(left)),
                    };
                    members.push(Member { rank, peer, conns, unapproved });
                }
                Endpoint::ExternalSource(_) if direction == Direction::Ingress => {
                    out.push(PeerGroup { name: PeerName::Endpoint(peer), workloads: 0, conns, unapproved: unapproved_for(peer, conns) })
                }
                Endpoint::ExternalDestination(_) if direction == Direction::Egress => {
                    out.push(PeerGroup { name: PeerName::Endpoint(peer), workloads: 0, conns, unapproved: unapproved_for(peer, conns) })
                }
                _ => {}
            }
        }
        if !in_order {
            members.sort_by_key(|m| m.rank);
        }
        let same = |a: &Member, b: &Member| a.conns == b.conns && a.left() == b.left();
        let uniform = |run: &[Member]| run.iter().all(|m| same(m, &run[0]));
        let runs: Vec<&[Member]> = members.chunk_by(|a, b| a.rank == b.rank).collect();
        let everyone = runs.len() > 1 && members.len() == self.index.outside_total && members.iter().all(|m| same(m, &members[0]));
        if everyone {
            let n = members.len();
            out.push(members.swap_remove(0).group(PeerName::Everyone(n), n));
            return out;
        }
        for run in runs {
            let (ns, name) = namespaces[run[0].rank as usize];
            if run.len() > 1 && run.len() == self.index.outside_in_namespace[ns as usize] && uniform(run) {
                out.push(run[0].clone().group(PeerName::Namespace(name, run.len()), run.len()));
            } else {
                out.extend(run.iter().map(|m| m.clone().group(PeerName::Endpoint(m.peer), 1)));
            }
        }
        out
    }

    /// Traffic from outside that reaches CDE endpoint `ep` through the ingress controllers
    /// (Ingress, OpenShift Route, Gateway API routes), with the part no `approvedFlows` entry
    /// from `{ingress-controller}` to it covers; `None` when nothing gets through.
    pub fn ingress_into(&self, cx: &Context, ep: usize) -> Option<IngressPeer<'a>> {
        cx.record_reads(INGRESS_PATH_READS);
        let flows = self.r.ingress_flows();
        let flow = &flows[flows.binary_search_by_key(&(ep as u32), |f| f.dst).ok()?];
        let cde_end = self.flow_end(Endpoint::Workload(ep as u32));
        Some(IngressPeer { flow, unapproved: unapproved(&cx.inv.config.approved_flows, &FlowEnd::IngressController, &cde_end, &flow.conns) })
    }

    pub fn endpoint(&self, object: usize) -> Option<usize> {
        self.index.endpoint_of_object.get(object).filter(|&&e| e != u32::MAX).map(|&e| e as usize)
    }

    /// Scope of an endpoint (its representative workload's).
    pub fn scope(&self, endpoint: usize) -> Scope {
        self.index.scope[endpoint]
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

/// The ingress paths into one CDE workload ([`NetView::ingress_into`]).
pub struct IngressPeer<'a> {
    /// What gets through, and each object that gives it.
    pub flow: &'a IngressFlow,
    /// The part of `flow.conns` that `approvedFlows` do not cover.
    pub unapproved: Cow<'a, ConnSet>,
}

impl IngressPeer<'_> {
    /// The objects whose traffic is not all approved, each with its unapproved part.
    pub fn unapproved_via(&self) -> impl Iterator<Item = (&IngressVia, ConnSet)> + '_ {
        self.flow.via.iter().map(|v| (v, v.conns.intersect(&self.unapproved))).filter(|(_, c)| !c.is_empty())
    }
}

fn scope_of(cx: &Context, r: &Reachability, endpoint: usize) -> Scope {
    let ep = &r.workloads()[endpoint];
    ep.inventory_workloads.first().and_then(|&wi| cx.inv.workloads().get(wi)).map_or(Scope::Unclassified, |w| w.scope.scope)
}

/// One end of a flow, for matching against `approvedFlows`.
pub enum FlowEnd<'a> {
    Workload { namespace: &'a str, name: &'a str },
    Range(&'a IpSet),
    /// Traffic from outside through the ingress controllers: matched only by the pattern
    /// `{ingress-controller}` (not by `*/*`, nor by a CIDR).
    IngressController,
}

pub(crate) fn end_matches(pattern: &str, end: &FlowEnd) -> bool {
    match end {
        FlowEnd::Workload { namespace, name } => match pattern.split_once('/') {
            Some((ns, n)) => (ns == *namespace || ns == "*") && (n == *name || n == "*"),
            None => false,
        },
        FlowEnd::Range(range) => IpSet::from_cidr(pattern).is_ok_and(|approved| range.is_subset_of(&approved)),
        FlowEnd::IngressController => pattern == INGRESS_CONTROLLER,
    }
}

/// The connections of `conns` that approved flows from `src` to `dst` do not cover: `conns`
/// itself, borrowed, when no approved flow applies (the common case, and one that a large
/// boundary asks hundreds of thousands of times).
pub fn unapproved<'c>(flows: &[ApprovedFlow], src: &FlowEnd, dst: &FlowEnd, conns: &'c ConnSet) -> Cow<'c, ConnSet> {
    let mut covered = ConnSet::none();
    for f in flows.iter().filter(|f| end_matches(&f.from, src) && end_matches(&f.to, dst)) {
        if f.ports.is_empty() {
            return Cow::Owned(ConnSet::none());
        }
        for p in &f.ports {
            if let Some((proto, port)) = parse_port_spec(p) {
                covered = covered.union(&ConnSet::of(proto, PortSet::single(port)));
            }
        }
    }
    if covered.is_empty() { Cow::Borrowed(conns) } else { Cow::Owned(conns.subtract(&covered)) }
}

/// NetworkPolicies that concern the CDE: in a CDE namespace, or selecting a CDE workload.
/// Yields (object index, compiled policy); policies that do not compile are skipped (the
/// engine reports them). Computed once per assessment: read it through
/// `Context::cde_network_policies`.
pub fn compile_cde_network_policies(cx: &Context) -> Vec<(usize, Policy)> {
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

    #[test]
    fn only_the_ingress_controller_pattern_approves_traffic_from_outside() {
        let dst = FlowEnd::Workload { namespace: "payments", name: "api" };
        let c8443 = ConnSet::of(Protocol::Tcp, PortSet::single(8443));
        let approves = |from: &str| unapproved(&[flow(from, "payments/api", &["TCP/8443"])], &FlowEnd::IngressController, &dst, &c8443).is_empty();
        assert!(approves("{ingress-controller}"));
        assert!(!approves("*/*") && !approves("0.0.0.0/0") && !approves("internet"));
        // The pattern names no workload and no range.
        let web = FlowEnd::Workload { namespace: "shop", name: "web" };
        assert!(!unapproved(&[flow("{ingress-controller}", "payments/api", &[])], &web, &dst, &c8443).is_empty());
    }
}
