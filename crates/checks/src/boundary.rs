//! The CDE boundary section of the report: every allowed flow that crosses into or out of the
//! cardholder data environment, computed from the NetworkPolicies, and the traffic from outside
//! that reaches CDE workloads through Ingresses, Routes and Gateway API routes (`from:
//! {ingress-controller}`, with the objects), with the flows approved in `kubepci.yaml` marked as
//! such. NET-013 fails on the unapproved ones; this lists them all, as the connection inventory
//! 1.2.3 and the segmentation test of 11.4.5 ask for.
//!
//! Both ends are grouped where the group is exact: the peers of one CDE workload as
//! [`NetView::boundary_peers`] groups them, and on the CDE side, a flow that reaches every
//! CDE workload of a namespace (or of the cluster) with the same connections is one entry
//! `namespace/* (N CDE workloads)` (or `*/* (all N CDE workloads)`), not N entries. Paths from
//! outside are one entry per CDE workload, naming the objects that give them.

use kubepci_findings::BoundaryFlow;
use kubepci_inventory::Scope;
use kubepci_model::hash::FastMap;
use kubepci_netpol::{ConnSet, Direction, Endpoint, INGRESS_CONTROLLER, Reachability};
use rayon::prelude::*;

use crate::Context;
use crate::analyses::network::{INGRESS_PATH_READS, NetView, PeerGroup, PeerName, REACHABILITY_READS, end_matches};

/// Every allowed flow between a CDE workload and anything outside the CDE, grouped on both
/// ends, sorted.
pub fn cde_boundary(cx: &Context) -> Vec<BoundaryFlow> {
    // Without every object the reachability reads, the flows would be guesses (the network
    // checks reading the same kinds are then reported "not assessed" with the reason).
    let unlisted = |u| crate::reads_unlisted(REACHABILITY_READS, u) || crate::reads_unlisted(INGRESS_PATH_READS, u);
    if !cx.has_cde() || cx.unlisted.iter().any(unlisted) {
        return Vec::new();
    }
    let view = NetView::new(cx);
    let r = view.r;
    let mut cde: Vec<usize> = view.cde_workloads(cx).map(|(_, ep)| ep).collect();
    cde.sort_unstable();
    cde.dedup();
    let namespace_of = |ep: usize| r.workloads()[ep].namespace.as_str();
    let mut cde_in_namespace: FastMap<&str, usize> = FastMap::default();
    for &ep in &cde {
        *cde_in_namespace.entry(namespace_of(ep)).or_default() += 1;
    }
    // The peers are computed once per class of CDE endpoints that have the same ones
    // (`PeerClass`), and each class's endpoints are counted in per namespace.
    let classes: Vec<PeerClass> = [Direction::Ingress, Direction::Egress].into_iter().flat_map(|d| peer_classes(cx, &view, &cde, d)).collect();
    let groups: Vec<Vec<PeerGroup>> = classes.par_iter().map(|c| view.boundary_peers(cx, c.members[0], c.direction)).collect();

    // The CDE endpoints of each namespace that have the same flow (peer, connections and
    // approval alike).
    let mut by_flow: FastMap<(Flow, &str), Vec<usize>> = FastMap::default();
    for (class, groups) in classes.iter().zip(&groups) {
        let namespaces = class.members.chunk_by(|&a, &b| namespace_of(a) == namespace_of(b));
        let namespaces: Vec<(&str, &[usize])> = namespaces.map(|eps| (namespace_of(eps[0]), eps)).collect();
        for g in groups {
            let flow = Flow { direction: class.direction, peer: g.name, workloads: g.workloads, conns: g.conns, unapproved: &g.unapproved };
            for &(ns, eps) in &namespaces {
                by_flow.entry((flow, ns)).or_default().extend_from_slice(eps);
            }
        }
    }
    // Per flow: its namespaces, each with the CDE endpoints reached.
    let mut namespaces_of_flow: FastMap<Flow, Vec<(&str, Vec<usize>)>> = FastMap::default();
    for ((flow, ns), members) in by_flow {
        namespaces_of_flow.entry(flow).or_default().push((ns, members));
    }
    let total_cde = cde.len();
    let mut entries: Vec<(Flow, CdeEnd)> = Vec::new();
    for (flow, namespaces) in namespaces_of_flow {
        let whole = |ns: &str, members: &[usize]| members.len() == cde_in_namespace.get(ns).copied().unwrap_or(0);
        let covered: usize = namespaces.iter().map(|(_, m)| m.len()).sum();
        if namespaces.len() > 1 && covered == total_cde && namespaces.iter().all(|(ns, m)| whole(ns, m)) {
            entries.push((flow, CdeEnd::Everyone(total_cde)));
            continue;
        }
        for (ns, members) in namespaces {
            if members.len() > 1 && whole(ns, &members) {
                entries.push((flow, CdeEnd::Namespace(ns, members.len())));
            } else {
                entries.extend(members.into_iter().map(|ep| (flow, CdeEnd::Workload(ep))));
            }
        }
    }
    let mut out: Vec<BoundaryFlow> = entries.par_iter().map(|(flow, end)| flow.report(r, end)).collect();
    out.extend(cde.iter().filter_map(|&ep| ingress_flow(cx, &view, ep)));
    out.par_sort_unstable();
    out.dedup();
    out
}

/// CDE endpoints whose peers in one direction are the same, so that they are listed once for
/// all of them: endpoints of one peer slot ([`Reachability::peer_slot`]; each leaves out only
/// itself, and a CDE endpoint is no boundary peer anyway) that the same `approvedFlows`
/// entries name on the CDE side (the approvals are all that tells their flows apart).
struct PeerClass {
    direction: Direction,
    /// Ascending (the endpoints of a namespace are mostly next to each other).
    members: Vec<usize>,
}

fn peer_classes(cx: &Context, view: &NetView, cde: &[usize], direction: Direction) -> Vec<PeerClass> {
    let mut classes: FastMap<PeersKey, Vec<usize>> = FastMap::default();
    let mut alone = Vec::new();
    for &ep in cde {
        match peers_key(cx, view, ep, direction) {
            Some(key) => classes.entry(key).or_default().push(ep),
            None => alone.push(vec![ep]),
        }
    }
    let mut out: Vec<PeerClass> = classes.into_values().chain(alone).map(|members| PeerClass { direction, members }).collect();
    // In a stable order (the hash map's is not), so that the work splits the same way each run.
    out.sort_unstable_by_key(|c| c.members[0]);
    out
}

/// What [`NetView::boundary_peers`] of a CDE endpoint depends on: its peer slot and the
/// `approvedFlows` entries (by index) that name it on the CDE side.
pub(crate) type PeersKey = (u32, Vec<u32>);

/// The key under which CDE endpoint `ep` has the same boundary peers in `direction` as every
/// other endpoint with that key; `None` when its representative workload is outside the CDE
/// (it would then be a peer of the others of its slot), so it is listed on its own.
pub(crate) fn peers_key(cx: &Context, view: &NetView, ep: usize, direction: Direction) -> Option<PeersKey> {
    if view.scope(ep) != Scope::Cde {
        return None;
    }
    let end = view.flow_end(Endpoint::Workload(ep as u32));
    let naming = cx.inv.config.approved_flows.iter().enumerate();
    let naming = naming.filter(|(_, f)| end_matches(if direction == Direction::Ingress { &f.to } else { &f.from }, &end));
    Some((view.r.peer_slot(ep, direction), naming.map(|(i, _)| i as u32).collect()))
}

/// The traffic from outside into CDE endpoint `ep` through the ingress controllers, if any.
fn ingress_flow(cx: &Context, view: &NetView, ep: usize) -> Option<BoundaryFlow> {
    let ingress = view.ingress_into(cx, ep)?;
    let mut via: Vec<String> = ingress.flow.via.iter().map(|v| v.object.display()).collect();
    via.dedup();
    Some(BoundaryFlow {
        direction: "into-cde".to_string(),
        from: INGRESS_CONTROLLER.to_string(),
        to: view.r.endpoint_name(Endpoint::Workload(ep as u32)),
        connections: ingress.flow.conns.to_string(),
        approved: ingress.unapproved.is_empty(),
        unapproved: if ingress.unapproved.is_empty() { String::new() } else { ingress.unapproved.to_string() },
        workloads: 0,
        cde_workloads: 1,
        via,
    })
}

/// One flow across the boundary, without its CDE end.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Flow<'a> {
    direction: Direction,
    peer: PeerName<'a>,
    workloads: usize,
    conns: &'a ConnSet,
    unapproved: &'a ConnSet,
}

/// The CDE end of a flow: one workload, or all CDE workloads of a namespace or the cluster.
enum CdeEnd<'a> {
    Workload(usize),
    Namespace(&'a str, usize),
    Everyone(usize),
}

impl Flow<'_> {
    fn report(&self, r: &Reachability, end: &CdeEnd) -> BoundaryFlow {
        let (cde, cde_workloads) = match *end {
            CdeEnd::Workload(ep) => (r.endpoint_name(Endpoint::Workload(ep as u32)), 1),
            CdeEnd::Namespace(ns, n) => (format!("{ns}/* ({n} CDE workloads)"), n),
            CdeEnd::Everyone(n) => (format!("*/* (all {n} CDE workloads)"), n),
        };
        let peer = self.peer.label(r);
        let (direction, from, to) = match self.direction {
            Direction::Ingress => ("into-cde", peer, cde),
            Direction::Egress => ("out-of-cde", cde, peer),
        };
        BoundaryFlow {
            direction: direction.to_string(),
            from,
            to,
            connections: self.conns.to_string(),
            approved: self.unapproved.is_empty(),
            // Empty, not "No Connections", when approved (as the report schema documents).
            unapproved: if self.unapproved.is_empty() { String::new() } else { self.unapproved.to_string() },
            workloads: self.workloads,
            cde_workloads,
            via: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InputKind;

    fn boundary(yaml: &str) -> Vec<BoundaryFlow> {
        boundary_with(yaml, "")
    }

    fn boundary_with(yaml: &str, config: &str) -> Vec<BoundaryFlow> {
        cde_boundary(&Context::new(&crate::testing::load("test.yaml", yaml, config), InputKind::Manifests))
    }

    fn namespace(name: &str, scope: &str) -> String {
        format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}, labels: {{pci.kubepci.io/scope: {scope}}}}}\n---\n")
    }

    fn pod(ns: &str, name: &str) -> String {
        format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}, labels: {{app: {name}}}}}\nspec:\n  containers: [{{name: c, image: i}}]\n---\n")
    }

    /// Ingress to `app: target` in `ns` only from pods of namespace `from`, on TCP 443; no egress.
    fn only_from(ns: &str, target: &str, from: &str) -> String {
        format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {target}, namespace: {ns}}}\nspec:\n  podSelector: {{matchLabels: {{app: {target}}}}}\n  policyTypes: [Ingress, Egress]\n  ingress:\n  - from: [{{namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: {from}}}}}}}]\n    ports: [{{protocol: TCP, port: 443}}]\n---\n"
        )
    }

    fn cluster(cde_pods: &[&str], open_to_shop: &[&str]) -> String {
        let mut yaml = namespace("payments", "cde") + &namespace("shop", "out") + &pod("shop", "web") + &pod("shop", "cart");
        for p in cde_pods {
            yaml += &pod("payments", p);
            yaml += &only_from("payments", p, if open_to_shop.contains(p) { "shop" } else { "nobody" });
        }
        yaml
    }

    #[test]
    fn a_flow_to_every_cde_workload_of_a_namespace_is_one_entry() {
        let flows = boundary(&cluster(&["api", "vault"], &["api", "vault"]));
        assert_eq!(flows.len(), 1, "{flows:#?}");
        let f = &flows[0];
        assert_eq!((f.direction.as_str(), f.from.as_str(), f.to.as_str()), ("into-cde", "shop/* (2 workloads outside the CDE)", "payments/* (2 CDE workloads)"));
        assert_eq!((f.workloads, f.cde_workloads, f.connections.as_str(), f.approved), (2, 2, "TCP 443", false));
    }

    #[test]
    fn a_flow_to_some_cde_workloads_names_each() {
        let flows = boundary(&cluster(&["api", "vault", "ledger"], &["api", "vault"]));
        let to: Vec<(&str, usize)> = flows.iter().map(|f| (f.to.as_str(), f.cde_workloads)).collect();
        assert_eq!(to, [("payments/api[Pod]", 1), ("payments/vault[Pod]", 1)]);
    }

    #[test]
    fn a_flow_to_every_cde_workload_of_several_namespaces_is_one_cluster_entry() {
        let mut yaml = cluster(&["api"], &["api"]);
        yaml += &namespace("tokens", "cde");
        yaml += &pod("tokens", "vault");
        yaml += &only_from("tokens", "vault", "shop");
        let flows = boundary(&yaml);
        assert_eq!(flows.len(), 1, "{flows:#?}");
        assert_eq!((flows[0].to.as_str(), flows[0].cde_workloads), ("*/* (all 2 CDE workloads)", 2));
    }

    #[test]
    fn approvals_are_part_of_what_a_group_shares() {
        let yaml = cluster(&["api", "vault"], &["api", "vault"]);
        let approve = |ports: &str| format!("approvedFlows:\n- {{from: shop/*, to: payments/api, ports: [{ports}], reason: checkout}}\n");
        // Fully approved for api only: api and vault differ, so each is its own entry.
        let flows = boundary_with(&yaml, &approve("TCP/443"));
        let seen: Vec<(&str, bool, &str)> = flows.iter().map(|f| (f.to.as_str(), f.approved, f.unapproved.as_str())).collect();
        assert_eq!(seen, [("payments/api[Pod]", true, ""), ("payments/vault[Pod]", false, "TCP 443")]);
        // An approval for another port leaves everything unapproved: one group again.
        let flows = boundary_with(&yaml, &approve("TCP/80"));
        assert_eq!(flows.len(), 1, "{flows:#?}");
        assert_eq!((flows[0].to.as_str(), flows[0].unapproved.as_str()), ("payments/* (2 CDE workloads)", "TCP 443"));
    }

    #[test]
    fn cde_workloads_of_one_peer_slot_share_their_peers_but_not_their_approvals() {
        // No policy: api and vault have the same peers (both are open to everything).
        let yaml = namespace("payments", "cde") + &namespace("shop", "out") + &pod("shop", "web") + &pod("payments", "api") + &pod("payments", "vault");
        let into = |flows: &[BoundaryFlow]| -> Vec<(String, String, bool)> {
            flows.iter().filter(|f| f.direction == "into-cde" && f.from.starts_with("shop/")).map(|f| (f.from.clone(), f.to.clone(), f.approved)).collect()
        };
        let flows = boundary(&yaml);
        assert_eq!(into(&flows), [("shop/web[Pod]".to_string(), "payments/* (2 CDE workloads)".to_string(), false)]);
        let flows = boundary_with(&yaml, "approvedFlows:\n- {from: shop/web, to: payments/vault, ports: [], reason: checkout}\n");
        let expected = [("shop/web[Pod]", "payments/api[Pod]", false), ("shop/web[Pod]", "payments/vault[Pod]", true)].map(|(a, b, c)| (a.to_string(), b.to_string(), c));
        assert_eq!(into(&flows), expected);
        // Egress is shared the same way: both reach web.
        let out: Vec<&str> = flows.iter().filter(|f| f.direction == "out-of-cde" && f.to == "shop/web[Pod]").map(|f| f.from.as_str()).collect();
        assert_eq!(out, ["payments/* (2 CDE workloads)"]);
    }

    #[test]
    fn ingress_paths_into_the_cde_are_listed_with_their_objects() {
        // payments/api only from shop (so not from the controller), payments/pay open: the
        // Ingress to api is denied by its policy, the HTTPRoute to pay gets through.
        let mut yaml = cluster(&["api"], &["api"]) + &pod("payments", "pay");
        for name in ["api", "pay"] {
            yaml += &format!("apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: payments}}\nspec:\n  selector: {{app: {name}}}\n  ports: [{{port: 443}}]\n---\n");
        }
        yaml += "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: api, namespace: payments}\nspec:\n  defaultBackend: {service: {name: api, port: {number: 443}}}\n---\n";
        yaml += "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: pay, namespace: payments}\nspec:\n  parentRefs: [{name: public, namespace: infra}]\n  rules: [{backendRefs: [{name: pay, port: 443}]}]\n";
        let ingress = |flows: &[BoundaryFlow]| -> Vec<(String, String, bool, Vec<String>)> {
            flows.iter().filter(|f| f.from == INGRESS_CONTROLLER).map(|f| (f.to.clone(), f.connections.clone(), f.approved, f.via.clone())).collect()
        };
        let flows = boundary(&yaml);
        assert_eq!(ingress(&flows), [("payments/pay[Pod]".to_string(), "TCP 443".to_string(), false, vec!["HTTPRoute payments/pay".to_string()])]);
        let f = flows.iter().find(|f| f.from == INGRESS_CONTROLLER).unwrap();
        assert_eq!((f.direction.as_str(), f.unapproved.as_str(), f.workloads, f.cde_workloads), ("into-cde", "TCP 443", 0, 1));
        let approved = boundary_with(&yaml, "approvedFlows:\n- {from: \"{ingress-controller}\", to: payments/pay, ports: [TCP/443], reason: the payment page}\n");
        assert!(ingress(&approved)[0].2);
        // Other flows serialise as before: no `via`.
        let json = serde_json::to_string(&flows).unwrap();
        assert_eq!(json.matches("\"via\"").count(), 1, "{json}");
    }
}
