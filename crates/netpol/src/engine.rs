//! The reachability computation.
//!
//! A connection from S to D is allowed when S's egress side and D's ingress side both allow
//! it. Each side is decided in tiers: AdminNetworkPolicy rules in priority order (first match
//! decides Allow/Deny; Pass hands the traffic down), then NetworkPolicy (if any selects the
//! pod in that direction, only the union of their rules is allowed), then the
//! BaselineAdminNetworkPolicy (first match decides), then allow. Pods in the host network are
//! not subject to any of it (when `Options::host_network_exempt`).
//!
//! Pods are grouped into equivalence classes, and classes into profiles (classes no policy
//! tells apart as a source, or as a destination; see `profiles.rs`). Cells are computed per
//! source profile × destination profile, and NetworkPolicy rules are accumulated from each
//! rule's precomputed peer set, so the cost follows what the policies distinguish rather than
//! the number of pods or workloads.
//!
//! Modules depend one way: `engine` (and `explain`, `format` on top of it) → `calc` (cells) →
//! `analysis` (topology, compiled policies, profiles) → `profiles` → `endpoints`, `policy`,
//! `intern`, `sides`; `cells` (storage) sits beside `analysis`, below `calc`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use kubepci_inventory::Inventory;
use kubepci_model::hash::FastMap;

use rayon::prelude::*;

use crate::analysis::Analysis;
pub use crate::analysis::Options;
use crate::calc::{Calc, FocusIndex};
use crate::cells::{Cells, Focused, FullCells, SparseLine};
use crate::endpoints::{NamespaceEntry, PodClass, WorkloadEndpoint};
use crate::ingress::{Forwarder, IngressFlow, IngressObject, IngressVia};
use crate::intern::{BitSet, ConnId, Interner, NONE};
use crate::ipblocks::IpSet;
use crate::policy::{Direction, Policy, PolicyWarning};
use crate::ports::ConnSet;
use crate::profiles::{DST, SRC};
use crate::sides::{EGRESS, INGRESS, dir_index};


/// One end of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    /// Index into [`Reachability::workloads`].
    Workload(u32),
    /// Index into [`Reachability::external_sources`] (ranges the ingress rules mention).
    ExternalSource(u32),
    /// Index into [`Reachability::external_destinations`] (ranges the egress rules mention).
    ExternalDestination(u32),
}

/// An allowed connection (never empty, never a workload to itself).
#[derive(Clone, Copy, Debug)]
pub struct Connection<'a> {
    pub src: Endpoint,
    pub dst: Endpoint,
    pub conns: &'a ConnSet,
}

/// What some pods of a source workload may open to some pods of a destination workload (see
/// [`Reachability::pod_connections`]). A list of pods is empty when that end is not split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodConnection<'a> {
    pub src_pods: Vec<&'a str>,
    pub dst_pods: Vec<&'a str>,
    pub conns: &'a ConnSet,
}

/// A position in the matrix: a slot of the side's profile space, or an external block.
#[derive(Clone, Copy, Debug)]
enum Pos {
    Slot(u32),
    Block(u32),
}

/// Lines computed by one parallel chunk, with the interner their ids refer to.
type ChunkLines = (Interner, Vec<(usize, u32, SparseLine)>);

/// The result of the analysis of one input.
pub struct Reachability {
    pub(crate) analysis: Analysis,
    pub(crate) conns: Interner,
    cells: Cells,
    ingress_flows: Vec<IngressFlow>,
}

impl Reachability {
    pub fn compute(inv: &Inventory) -> Reachability {
        Reachability::compute_with(inv, Options::default())
    }

    /// Every pair of the input (what `netpol list` prints).
    pub fn compute_with(inv: &Inventory, options: Options) -> Reachability {
        let (analysis, mut conns) = Analysis::build(inv, options);
        let full = Calc::new(&analysis, &mut conns).full();
        conns.shrink();
        Reachability { analysis, conns, cells: Cells::Full(full), ingress_flows: Vec::new() }.with_ingress_flows()
    }

    /// Only what involves the focus workloads (indices into `inv.workloads()`) is computed up
    /// front: everything that may reach them and everything they may reach, including
    /// external ranges. Time and memory grow with focus × classes rather than classes².
    /// Other pairs are still answered exactly: the first such question builds the full matrix.
    pub fn compute_focused(inv: &Inventory, options: Options, focus: &[usize]) -> Reachability {
        let (r, mut conns) = Analysis::build(inv, options);
        let focus: std::collections::HashSet<usize> = focus.iter().copied().collect();
        // Rows are wanted for the focus workloads' source slots, columns for their destination
        // slots; a combined slot's line is built from its profiles' lines, so those are wanted
        // too (and kept: they are exact answers for their profiles).
        let mut wanted: [Vec<u32>; 2] = [Vec::new(), Vec::new()];
        let mut profiles = [BitSet::new(r.profiles[SRC].len()), BitSet::new(r.profiles[DST].len())];
        for (wi, w) in r.workloads.iter().enumerate() {
            if w.inventory_workloads.iter().any(|i| focus.contains(i)) {
                for space in [SRC, DST] {
                    let slot = r.profiles[space].of_workload[wi];
                    r.profiles[space].members(slot).for_each(|p| profiles[space].insert(p as usize));
                    wanted[space].push(slot);
                }
            }
        }
        // The controllers' rows answer the ingress flows.
        for f in 0..r.ingress.forwarders.len() as u32 {
            for k in r.forwarder_classes(f) {
                let p = r.profiles[SRC].of_class[k as usize];
                profiles[SRC].insert(p as usize);
                wanted[SRC].push(p);
            }
        }
        let mut rows = vec![None; r.profiles[SRC].slots()];
        let mut columns = vec![None; r.profiles[DST].slots()];
        // Lines are computed in parallel chunks, each with its own copy of the interner; the
        // sets a chunk added are then interned into the shared one, in chunk order, so ids do
        // not depend on scheduling. Chunk sizes depend on the input only, which keeps it
        // deterministic; a few chunks are enough for two cores and few interner copies.
        // (Unit tests use tiny chunks so that the merge is exercised.)
        let lines: Vec<(usize, u32)> = [SRC, DST]
            .into_iter()
            .flat_map(|space| {
                let mut slots: Vec<u32> = profiles[space].iter().map(|p| p as u32).chain(wanted[space].iter().copied()).collect();
                slots.sort_unstable();
                slots.dedup();
                slots.into_iter().map(move |slot| (space, slot))
            })
            .collect();
        let chunk = if cfg!(test) { 2 } else { lines.len().div_ceil(8).max(64) };
        let shared = conns.len();
        let index = FocusIndex::new(&r, &profiles);
        let chunks: Vec<ChunkLines> = lines
            .par_chunks(chunk)
            .map(|chunk| {
                let mut local = conns.clone();
                let mut calc = Calc::new(&r, &mut local);
                let lines = chunk.iter().map(|&(space, p)| (space, p, calc.line(if space == SRC { EGRESS } else { INGRESS }, p, &index))).collect();
                (local, lines)
            })
            .collect();
        for (local, lines) in chunks {
            let map = conns.absorb(&local, shared);
            for (space, p, line) in lines {
                let slot = if space == SRC { &mut rows[p as usize] } else { &mut columns[p as usize] };
                *slot = Some(line.remap(&map));
            }
        }
        conns.shrink();
        let cells = Cells::Focused(Box::new(Focused { rows, columns, rest: OnceLock::new() }));
        Reachability { analysis: r, conns, cells, ingress_flows: Vec::new() }.with_ingress_flows()
    }

    /// The ingress flows, from the cells between the controllers' classes and their backends'.
    fn with_ingress_flows(mut self) -> Reachability {
        let a = &self.analysis;
        if a.ingress.backends.is_empty() {
            return self;
        }
        let mut workloads_of: FastMap<u32, Vec<u32>> = FastMap::default();
        for (w, ep) in a.workloads.iter().enumerate() {
            for &c in &ep.classes {
                workloads_of.entry(c).or_default().push(w as u32);
            }
        }
        let controllers: Vec<Vec<String>> = (0..a.ingress.forwarders.len() as u32)
            .map(|f| match &a.ingress.forwarders[f as usize] {
                Forwarder::Assumed => Vec::new(),
                Forwarder::Pods(classes) => {
                    let mut names: Vec<String> = classes.iter().flat_map(|c| workloads_of.get(c).into_iter().flatten()).map(|&w| a.workloads[w as usize].display()).collect();
                    names.sort();
                    names.dedup();
                    names
                }
            })
            .collect();
        // (destination workload, object, forwarder) → what gets through.
        let mut parts: BTreeMap<(u32, u32, u32), ConnSet> = BTreeMap::new();
        for b in &a.ingress.backends {
            let open = a.forwarder_classes(b.forwarder).into_iter().fold(ConnSet::none(), |acc, k| acc.union(self.class_cell(k, b.class)));
            let conns = b.conns.intersect(&open);
            if conns.is_empty() {
                continue;
            }
            for &w in workloads_of.get(&b.class).into_iter().flatten() {
                let part = parts.entry((w, b.object, b.forwarder)).or_default();
                *part = part.union(&conns);
            }
        }
        let mut flows: Vec<IngressFlow> = Vec::new();
        for ((w, object, forwarder), conns) in parts {
            let via = IngressVia { object: a.ingress.objects[object as usize].clone(), conns, controllers: controllers[forwarder as usize].clone() };
            match flows.last_mut() {
                Some(flow) if flow.dst == w => {
                    flow.conns = flow.conns.union(&via.conns);
                    flow.via.push(via);
                }
                _ => flows.push(IngressFlow { dst: w, conns: via.conns.clone(), via: vec![via] }),
            }
        }
        self.ingress_flows = flows;
        self
    }

    /// The cell between a source class and a destination class.
    fn class_cell(&self, src: u32, dst: u32) -> &ConnSet {
        let a = &self.analysis;
        let at = |space: usize, c: u32| Some(Pos::Slot(a.profiles[space].of_class[c as usize]));
        let (conns, id) = self.lookup_at(at(SRC, src), at(DST, dst));
        conns.get(id)
    }

    /// Traffic from outside reaching workloads through ingress controllers (Ingress, OpenShift
    /// Route, Gateway API routes), in workload order: per destination what gets through and the
    /// objects that give it. `netpol list` prints them as `{ingress-controller} => …` lines.
    pub fn ingress_flows(&self) -> &[IngressFlow] {
        &self.ingress_flows
    }

    /// The objects that let traffic in, whether or not the policies let any of it through.
    pub fn ingress_objects(&self) -> &[IngressObject] {
        &self.analysis.ingress.objects
    }

    pub fn options(&self) -> Options {
        self.analysis.options
    }

    pub fn workloads(&self) -> &[WorkloadEndpoint] {
        &self.analysis.workloads
    }

    pub fn namespaces(&self) -> &[NamespaceEntry] {
        &self.analysis.namespaces[..self.analysis.declared_namespaces]
    }

    pub fn policies(&self) -> &[Policy] {
        &self.analysis.policies
    }

    /// Policies that could not be compiled, or parts of them that were left out.
    pub fn warnings(&self) -> &[PolicyWarning] {
        &self.analysis.warnings
    }

    pub fn external_sources(&self) -> &[IpSet] {
        &self.analysis.blocks[INGRESS]
    }

    pub fn external_destinations(&self) -> &[IpSet] {
        &self.analysis.blocks[EGRESS]
    }

    /// How many source and destination profiles the classes fall into (see the crate README):
    /// the size of the matrix actually computed.
    pub fn profile_counts(&self) -> (usize, usize) {
        (self.analysis.profiles[SRC].len(), self.analysis.profiles[DST].len())
    }

    /// The class of the workload's first pods (by class index). Pods of one workload may fall
    /// into several classes: see [`WorkloadEndpoint::classes`].
    pub fn class_of(&self, workload: usize) -> &PodClass {
        &self.analysis.classes[self.analysis.workloads[workload].classes[0] as usize]
    }

    /// `ns/name[Kind]` or `a.b.c.d-e.f.g.h[External]`.
    pub fn endpoint_name(&self, e: Endpoint) -> String {
        match e {
            Endpoint::Workload(w) => self.analysis.workloads[w as usize].display(),
            Endpoint::ExternalSource(b) => format!("{}[External]", self.analysis.blocks[INGRESS][b as usize]),
            Endpoint::ExternalDestination(b) => format!("{}[External]", self.analysis.blocks[EGRESS][b as usize]),
        }
    }

    /// Connections allowed from `src` to `dst` (empty when denied or not meaningful, such as
    /// external to external).
    pub fn allowed(&self, src: Endpoint, dst: Endpoint) -> &ConnSet {
        let (conns, id) = self.lookup(src, dst);
        conns.get(id)
    }

    /// Where the pods of the source or destination workload get different answers (pods of one
    /// owner with different labels): one entry per pair of their pod groups, naming the pods,
    /// in class order. Empty when neither end is split or every pair gets the same answer, so
    /// that [`Self::allowed`] (the union) says it all.
    pub fn pod_connections(&self, src: Endpoint, dst: Endpoint) -> Vec<PodConnection<'_>> {
        let a = &self.analysis;
        let split = |e: Endpoint| matches!(e, Endpoint::Workload(w) if a.workloads[w as usize].classes.len() > 1);
        if !split(src) && !split(dst) {
            return Vec::new();
        }
        let groups = |e: Endpoint, space: usize| -> Vec<(Vec<&str>, Option<Pos>)> {
            match e {
                Endpoint::Workload(w) => {
                    let w = &a.workloads[w as usize];
                    let split = w.classes.len() > 1;
                    w.classes.iter().map(|&c| (if split { w.pods_of(c) } else { Vec::new() }, Some(Pos::Slot(a.profiles[space].of_class[c as usize])))).collect()
                }
                _ => vec![(Vec::new(), self.position(e, space))],
            }
        };
        let (srcs, dsts) = (groups(src, SRC), groups(dst, DST));
        let mut out = Vec::with_capacity(srcs.len() * dsts.len());
        for (src_pods, s) in &srcs {
            for (dst_pods, d) in &dsts {
                let (conns, id) = self.lookup_at(*s, *d);
                out.push(PodConnection { src_pods: src_pods.clone(), dst_pods: dst_pods.clone(), conns: conns.get(id) });
            }
        }
        if out.iter().all(|p| p.conns == out[0].conns) {
            out.clear();
        }
        out
    }

    /// The interner holding the answer, and the answer.
    #[inline]
    fn lookup(&self, src: Endpoint, dst: Endpoint) -> (&Interner, ConnId) {
        self.lookup_at(self.position(src, SRC), self.position(dst, DST))
    }

    /// Where an endpoint sits as a source (`SRC`) or destination (`DST`): its workload's
    /// slot, or an external block of that side; `None` when it cannot be on that side.
    #[inline]
    fn position(&self, e: Endpoint, space: usize) -> Option<Pos> {
        match (e, space) {
            (Endpoint::Workload(w), _) => Some(Pos::Slot(self.analysis.profiles[space].of_workload[w as usize])),
            (Endpoint::ExternalSource(b), SRC) | (Endpoint::ExternalDestination(b), DST) => Some(Pos::Block(b)),
            _ => None,
        }
    }

    /// The cell between two positions; pairs of blocks (or impossible sides) are empty.
    #[inline]
    fn lookup_at(&self, src: Option<Pos>, dst: Option<Pos>) -> (&Interner, ConnId) {
        let (Some(src), Some(dst)) = (src, dst) else { return (&self.conns, NONE) };
        let focused = match &self.cells {
            Cells::Full(full) => return (&self.conns, self.full_id(full, src, dst)),
            Cells::Focused(f) => f,
        };
        let (slots_src, slots_dst) = (self.analysis.profiles[SRC].slots(), self.analysis.profiles[DST].slots());
        let found = match (src, dst) {
            (Pos::Slot(s), Pos::Slot(d)) => match (&focused.rows[s as usize], &focused.columns[d as usize]) {
                (Some(line), _) => Some(line.get(d as usize)),
                (None, Some(line)) => Some(line.get(s as usize)),
                (None, None) => None,
            },
            (Pos::Slot(s), Pos::Block(b)) => focused.rows[s as usize].as_ref().map(|line| line.get(slots_dst + b as usize)),
            (Pos::Block(b), Pos::Slot(d)) => focused.columns[d as usize].as_ref().map(|line| line.get(slots_src + b as usize)),
            (Pos::Block(_), Pos::Block(_)) => Some(NONE),
        };
        match found {
            Some(id) => (&self.conns, id),
            None => {
                let (conns, full) = focused.rest.get_or_init(|| {
                    let mut conns = self.conns.clone();
                    let full = Calc::new(&self.analysis, &mut conns).full();
                    conns.shrink();
                    (conns, full)
                });
                (conns, self.full_id(full, src, dst))
            }
        }
    }

    #[inline]
    fn full_id(&self, full: &FullCells, src: Pos, dst: Pos) -> ConnId {
        let nd = self.analysis.profiles[DST].slots();
        let cell = |v: &[ConnId], i: usize| v.get(i).copied().unwrap_or(NONE);
        match (src, dst) {
            (Pos::Slot(s), Pos::Slot(d)) => cell(&full.pair, s as usize * nd + d as usize),
            (Pos::Slot(s), Pos::Block(b)) => cell(&full.to_block, s as usize * self.analysis.blocks[EGRESS].len() + b as usize),
            (Pos::Block(b), Pos::Slot(d)) => cell(&full.from_block, b as usize * nd + d as usize),
            (Pos::Block(_), Pos::Block(_)) => NONE,
        }
    }

    /// The slot of workload `w` in `space`.
    fn profile(&self, space: usize, w: u32) -> usize {
        self.analysis.profiles[space].of_workload[w as usize] as usize
    }

    /// Every endpoint that may connect to workload `dst` (other workloads in workload order,
    /// then external source ranges), with the connections allowed; denied ones are left out.
    pub fn sources_of(&self, dst: usize) -> Vec<(Endpoint, &ConnSet)> {
        self.sources_where(dst, |c| !c.is_empty())
    }

    /// Every endpoint workload `src` may connect to (other workloads in workload order, then
    /// external destination ranges), with the connections allowed; denied ones are left out.
    pub fn destinations_of(&self, src: usize) -> Vec<(Endpoint, &ConnSet)> {
        self.destinations_where(src, |c| !c.is_empty())
    }

    /// The sources of workload `dst` (as [`Self::sources_of`]) whose connections satisfy
    /// `keep`, which is asked once per distinct connection set. For focus workloads only the
    /// cells that can satisfy it are visited.
    pub fn sources_where(&self, dst: usize, keep: impl FnMut(&ConnSet) -> bool) -> Vec<(Endpoint, &ConnSet)> {
        let d = Endpoint::Workload(dst as u32);
        let line = match &self.cells {
            Cells::Focused(f) => f.columns.get(if dst < self.analysis.workloads.len() { self.profile(DST, dst as u32) } else { usize::MAX }).and_then(Option::as_ref),
            Cells::Full(_) => None,
        };
        let blocks = (0..self.analysis.blocks[INGRESS].len() as u32).map(Endpoint::ExternalSource);
        match line {
            Some(line) => self.line_where(line, SRC, dst, blocks, keep),
            None => self.lookup_where(dst, blocks, |other| (other, d), keep),
        }
    }

    /// The destinations of workload `src` (as [`Self::destinations_of`]) whose connections
    /// satisfy `keep`, asked once per distinct connection set.
    pub fn destinations_where(&self, src: usize, keep: impl FnMut(&ConnSet) -> bool) -> Vec<(Endpoint, &ConnSet)> {
        let s = Endpoint::Workload(src as u32);
        let line = match &self.cells {
            Cells::Focused(f) => f.rows.get(if src < self.analysis.workloads.len() { self.profile(SRC, src as u32) } else { usize::MAX }).and_then(Option::as_ref),
            Cells::Full(_) => None,
        };
        let blocks = (0..self.analysis.blocks[EGRESS].len() as u32).map(Endpoint::ExternalDestination);
        match line {
            Some(line) => self.line_where(line, DST, src, blocks, keep),
            None => self.lookup_where(src, blocks, |other| (s, other), keep),
        }
    }

    /// The cells of a focus line that are allowed and kept, as endpoints (workloads other
    /// than `own` in workload order, then the line's external blocks). The line's positions
    /// are profiles of `space`, then blocks.
    fn line_where(&self, line: &SparseLine, space: usize, own: usize, blocks: impl Iterator<Item = Endpoint>, mut keep: impl FnMut(&ConnSet) -> bool) -> Vec<(Endpoint, &ConnSet)> {
        let profiles = &self.analysis.profiles[space];
        let np = profiles.slots();
        let mut kept: FastMap<ConnId, bool> = FastMap::default();
        let mut keeps = |id: ConnId| id != NONE && *kept.entry(id).or_insert_with(|| keep(self.conns.get(id)));
        let mut workloads: Vec<(u32, ConnId)> = if keeps(line.default) {
            (0..self.analysis.workloads.len() as u32).map(|w| (w, line.get(self.profile(space, w)))).filter(|&(_, c)| keeps(c)).collect()
        } else {
            let except = line.except.iter().take_while(|&&(p, _)| (p as usize) < np).filter(|&&(_, c)| keeps(c));
            let mut ws: Vec<(u32, ConnId)> = except.flat_map(|&(p, c)| profiles.workloads[p as usize].iter().map(move |&w| (w, c))).collect();
            ws.sort_unstable();
            ws
        };
        workloads.retain(|&(w, _)| w as usize != own);
        let mut out: Vec<(Endpoint, &ConnSet)> = workloads.into_iter().map(|(w, c)| (Endpoint::Workload(w), self.conns.get(c))).collect();
        for (i, b) in blocks.enumerate() {
            let id = line.get(np + i);
            if keeps(id) {
                out.push((b, self.conns.get(id)));
            }
        }
        out
    }

    fn lookup_where(
        &self,
        own: usize,
        blocks: impl Iterator<Item = Endpoint>,
        pair: impl Fn(Endpoint) -> (Endpoint, Endpoint),
        mut keep: impl FnMut(&ConnSet) -> bool,
    ) -> Vec<(Endpoint, &ConnSet)> {
        let others = (0..self.analysis.workloads.len() as u32).filter(|&w| w as usize != own).map(Endpoint::Workload);
        others
            .chain(blocks)
            .filter_map(|e| {
                let (src, dst) = pair(e);
                let c = self.allowed(src, dst);
                (!c.is_empty() && keep(c)).then_some((e, c))
            })
            .collect()
    }

    /// Every endpoint: the workloads, then the external source ranges, then the external
    /// destination ranges.
    pub fn endpoints(&self) -> impl Iterator<Item = Endpoint> + '_ {
        (0..self.analysis.workloads.len() as u32)
            .map(Endpoint::Workload)
            .chain((0..self.analysis.blocks[INGRESS].len() as u32).map(Endpoint::ExternalSource))
            .chain((0..self.analysis.blocks[EGRESS].len() as u32).map(Endpoint::ExternalDestination))
    }

    /// Every allowed connection between distinct workloads and between workloads and external
    /// ranges, in workload order (the caller sorts text lines).
    pub fn connections(&self) -> impl Iterator<Item = Connection<'_>> + '_ {
        let nw = self.analysis.workloads.len() as u32;
        let pairs = (0..nw).flat_map(move |s| {
            let to_workloads = (0..nw).filter(move |&d| d != s).map(move |d| (Endpoint::Workload(s), Endpoint::Workload(d)));
            let to_ext = (0..self.analysis.blocks[EGRESS].len() as u32).map(move |b| (Endpoint::Workload(s), Endpoint::ExternalDestination(b)));
            to_workloads.chain(to_ext)
        });
        let from_ext = (0..self.analysis.blocks[INGRESS].len() as u32).flat_map(move |b| (0..nw).map(move |d| (Endpoint::ExternalSource(b), Endpoint::Workload(d))));
        // The full matrix is read directly for pairs of workloads (most of them): one load each.
        let full = match &self.cells {
            Cells::Full(f) => Some(f),
            Cells::Focused(_) => None,
        };
        let (src_slots, dst_slots) = (&self.analysis.profiles[SRC].of_workload, &self.analysis.profiles[DST].of_workload);
        let nd = self.analysis.profiles[DST].slots();
        pairs.chain(from_ext).filter_map(move |(src, dst)| {
            let (conns, id) = match (full, src, dst) {
                (Some(f), Endpoint::Workload(s), Endpoint::Workload(d)) => (&self.conns, f.pair.get(src_slots[s as usize] as usize * nd + dst_slots[d as usize] as usize).copied().unwrap_or(NONE)),
                _ => self.lookup(src, dst),
            };
            (id != NONE).then(|| Connection { src, dst, conns: conns.get(id) })
        })
    }

    /// Whether some NetworkPolicy selects the workload for ingress (so only what its rules
    /// allow may enter). Host-network pods are never isolated.
    pub fn ingress_isolated(&self, workload: usize) -> bool {
        self.isolated(workload, INGRESS)
    }

    pub fn egress_isolated(&self, workload: usize) -> bool {
        self.isolated(workload, EGRESS)
    }

    /// Isolated only when every pod of the workload is: one open pod leaves the workload open.
    fn isolated(&self, workload: usize, dir: usize) -> bool {
        let a = &self.analysis;
        a.workloads[workload].classes.iter().all(|&c| !a.classes[c as usize].host_network && !a.np_selecting[dir][c as usize].is_empty())
    }

    /// Policies (of every kind) whose subject includes some pod of the workload in this
    /// direction.
    pub fn selecting_policies(&self, workload: usize, direction: Direction) -> Vec<&Policy> {
        let d = dir_index(direction);
        let a = &self.analysis;
        let mut seen: Vec<u32> = Vec::new();
        for &c in &a.workloads[workload].classes {
            for &p in a.admin_selecting[d][c as usize].iter().chain(&a.np_selecting[d][c as usize]) {
                if !seen.contains(&p) {
                    seen.push(p);
                }
            }
        }
        let mut out: Vec<&Policy> = seen.into_iter().map(|p| &a.policies[p as usize]).collect();
        out.sort_by_key(|p| (p.kind, p.priority));
        out
    }

    /// Find a workload by `ns/name`, `ns/name[Kind]` or `name` (when unique), or an external
    /// block by an IPv4 address.
    pub fn find_endpoint(&self, spec: &str, as_source: bool) -> Option<Endpoint> {
        if let Ok(ip) = spec.parse::<std::net::Ipv4Addr>() {
            let point = IpSet::range(u32::from(ip), u32::from(ip));
            let dir = if as_source { INGRESS } else { EGRESS };
            let b = self.analysis.blocks[dir].iter().position(|blk| point.is_subset_of(blk))? as u32;
            return Some(if as_source { Endpoint::ExternalSource(b) } else { Endpoint::ExternalDestination(b) });
        }
        let exact = self.analysis.workloads.iter().position(|w| w.display() == spec);
        let by_ns_name = || {
            let hits: Vec<usize> = self.analysis.workloads.iter().enumerate().filter(|(_, w)| format!("{}/{}", w.namespace, w.name) == spec).map(|(i, _)| i).collect();
            (hits.len() == 1).then(|| hits[0])
        };
        let by_name = || {
            let hits: Vec<usize> = self.analysis.workloads.iter().enumerate().filter(|(_, w)| w.name == spec).map(|(i, _)| i).collect();
            (hits.len() == 1).then(|| hits[0])
        };
        exact.or_else(by_ns_name).or_else(by_name).map(|i| Endpoint::Workload(i as u32))
    }
}
