//! The CDE boundary section of the report: every allowed flow that crosses into or out of the
//! cardholder data environment, computed from the NetworkPolicies, with the flows approved in
//! `kubepci.yaml` marked as such. NET-013 fails on the unapproved ones; this lists them all,
//! as the connection inventory 1.2.3 and the segmentation test of 11.4.5 ask for.

use kubepci_inventory::Scope;
use kubepci_netpol::Endpoint;
use kubepci_findings::BoundaryFlow;

use crate::Context;
use crate::rules::network::view::{NetView, unapproved};

/// Every allowed flow between a CDE workload and anything outside the CDE, sorted.
pub fn cde_boundary(cx: &Context) -> Vec<BoundaryFlow> {
    if !cx.has_cde() {
        return Vec::new();
    }
    let view = NetView::new(cx);
    let r = view.r;
    let approved = &cx.inv.config.approved_flows;
    let mut out = Vec::new();
    for (_, ep) in view.cde_workloads(cx) {
        let cde = Endpoint::Workload(ep as u32);
        let cde_end = view.flow_end(cde);
        for (direction, peers) in [("into-cde", r.sources_of(ep)), ("out-of-cde", r.destinations_of(ep))] {
            for (peer, conns) in peers {
                if let Endpoint::Workload(p) = peer
                    && view.scope(cx, p as usize) == Scope::Cde
                {
                    continue;
                }
                let peer_end = view.flow_end(peer);
                let (from, to, left) = if direction == "into-cde" {
                    (r.endpoint_name(peer), r.endpoint_name(cde), unapproved(approved, &peer_end, &cde_end, conns))
                } else {
                    (r.endpoint_name(cde), r.endpoint_name(peer), unapproved(approved, &cde_end, &peer_end, conns))
                };
                out.push(BoundaryFlow { direction: direction.to_string(), from, to, connections: conns.to_string(), approved: left.is_empty(), unapproved: left.to_string() });
            }
        }
    }
    out.sort();
    out.dedup();
    out
}
