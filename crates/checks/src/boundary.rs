//! The CDE boundary section of the report: every allowed flow that crosses into or out of the
//! cardholder data environment, computed from the NetworkPolicies, with the flows approved in
//! `kubepci.yaml` marked as such. NET-013 fails on the unapproved ones; this lists them all,
//! as the connection inventory 1.2.3 and the segmentation test of 11.4.5 ask for.

use kubepci_findings::BoundaryFlow;
use rayon::prelude::*;
use kubepci_netpol::{Direction, Endpoint};

use crate::Context;
use crate::rules::network::view::NetView;

/// Every allowed flow between a CDE workload and anything outside the CDE, with the peers of
/// each CDE workload grouped (see [`NetView::boundary_peers`]), sorted.
pub fn cde_boundary(cx: &Context) -> Vec<BoundaryFlow> {
    // Without every object the reachability reads, the flows would be guesses; NET-013,
    // which reads the same kinds, is then reported "not assessed" with the reason.
    if !cx.has_cde() || cx.unlisted.iter().any(|u| crate::rules::network::cde_boundary_flows::CDE_BOUNDARY_FLOWS.meta.reads_unlisted(u)) {
        return Vec::new();
    }
    let view = NetView::new(cx);
    let cde: Vec<usize> = view.cde_workloads(cx).map(|(_, ep)| ep).collect();
    let mut out: Vec<BoundaryFlow> = cde
        .par_iter()
        .flat_map_iter(|&ep| {
            let cde = view.r.endpoint_name(Endpoint::Workload(ep as u32));
            let mut flows = Vec::new();
            for (direction, label) in [(Direction::Ingress, "into-cde"), (Direction::Egress, "out-of-cde")] {
                for peer in view.boundary_peers(cx, ep, direction) {
                    let (from, to) = if direction == Direction::Ingress { (peer.name, cde.clone()) } else { (cde.clone(), peer.name) };
                    flows.push(BoundaryFlow {
                        direction: label.to_string(),
                        from,
                        to,
                        connections: peer.conns.to_string(),
                        approved: peer.unapproved.is_empty(),
                        unapproved: peer.unapproved.to_string(),
                        workloads: peer.workloads,
                    });
                }
            }
            flows
        })
        .collect();
    out.par_sort_unstable();
    out.dedup();
    out
}
