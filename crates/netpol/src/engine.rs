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

use kubepci_inventory::Inventory;
use kubepci_model::Resource;
use kubepci_model::hash::FastMap;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;

use crate::calc::{Calc, FocusIndex, FullCells};
use crate::cells::{Cells, Focused, SparseLine};
use crate::endpoints::{NamespaceEntry, PodClass, Topology, WorkloadEndpoint, build_topology};
use crate::intern::{BitSet, ClassSet, ConnId, IdMap, Interner, NONE};
use crate::profiles::{DST, SRC, Space};
use crate::ipblocks::{IpSet, disjoint_blocks};
use crate::policy::{Direction, NamespaceMatch, Peer, Peers, PodMatch, Policy, PolicyKind, PolicyWarning, Rule, compile_admin_policy, compile_network_policy};
use crate::ports::ConnSet;

/// Analysis options.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Pods with `hostNetwork: true` are not subject to policies (the Kubernetes semantics).
    /// netpol-analyzer treats them as ordinary pods; set `false` to compare with it.
    pub host_network_exempt: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { host_network_exempt: true }
    }
}

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

/// Lines computed by one parallel chunk, with the interner their ids refer to.
type ChunkLines = (Interner, Vec<(usize, u32, SparseLine)>);

pub(crate) const INGRESS: usize = 0;
pub(crate) const EGRESS: usize = 1;

pub(crate) fn dir_index(d: Direction) -> usize {
    match d {
        Direction::Ingress => INGRESS,
        Direction::Egress => EGRESS,
    }
}

/// A peer seen from a subject in direction `dir`: a profile of space `dir` (sources for
/// ingress, destinations for egress) or an external block of the direction's split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PeerRef {
    Profile(u32),
    Block(u32),
}

/// Which peers a rule matches, for its direction's peer space.
#[derive(Clone, Debug)]
pub(crate) struct RuleMatch {
    /// Profiles of space `dir` (every class of a profile is in the same rules); rules with the
    /// same peers share the set.
    pub profiles: Arc<BitSet>,
    pub blocks: BitSet,
}

impl RuleMatch {
    pub fn contains(&self, p: PeerRef) -> bool {
        match p {
            PeerRef::Profile(c) => self.profiles.contains(c as usize),
            PeerRef::Block(b) => self.blocks.contains(b as usize),
        }
    }
}

/// The result of the analysis of one input.
pub struct Reachability {
    pub(crate) options: Options,
    pub(crate) namespaces: Vec<NamespaceEntry>,
    pub(crate) classes: Vec<PodClass>,
    pub(crate) workloads: Vec<WorkloadEndpoint>,
    pub(crate) policies: Vec<Policy>,
    pub(crate) warnings: Vec<PolicyWarning>,
    /// External blocks per direction: `[INGRESS]` are sources, `[EGRESS]` destinations.
    pub(crate) blocks: [Vec<IpSet>; 2],
    /// Distinct class sets that policies select (subjects and rule peers).
    pub(crate) class_sets: Vec<ClassSet>,
    /// Per policy: its subject classes (an index into `class_sets`).
    pub(crate) subjects: Vec<u32>,
    /// Per policy, per direction, per rule.
    pub(crate) rule_matches: Vec<[Vec<RuleMatch>; 2]>,
    /// Per direction, per class: NetworkPolicies selecting the class.
    pub(crate) np_selecting: [Vec<Vec<u32>>; 2],
    /// Per direction, per class: admin policies selecting it, ANPs by priority then the BANP.
    pub(crate) admin_selecting: [Vec<Vec<u32>>; 2],
    /// `[SRC]`: classes alike as sources; `[DST]`: alike as destinations.
    pub(crate) profiles: [Space; 2],
    /// Per policy, per direction, per rule: its ports interned, for rules without named ports
    /// (the same towards every destination).
    pub(crate) fixed_ports: Vec<[Vec<Option<ConnId>>; 2]>,
    pub(crate) conns: Interner,
    cells: Cells,
}

impl Reachability {
    pub fn compute(inv: &Inventory) -> Reachability {
        Reachability::compute_with(inv, Options::default())
    }

    /// Every pair of the input (what `netpol list` prints).
    pub fn compute_with(inv: &Inventory, options: Options) -> Reachability {
        let mut r = Reachability::analyse(inv, options);
        let mut conns = std::mem::replace(&mut r.conns, Interner::new());
        let full = Calc::new(&r, &mut conns).full();
        conns.shrink();
        r.conns = conns;
        r.cells = Cells::Full(full);
        r
    }

    /// Only what involves the focus workloads (indices into `inv.workloads()`) is computed up
    /// front: everything that may reach them and everything they may reach, including
    /// external ranges. Time and memory grow with focus × classes rather than classes².
    /// Other pairs are still answered exactly: the first such question builds the full matrix.
    pub fn compute_focused(inv: &Inventory, options: Options, focus: &[usize]) -> Reachability {
        let mut r = Reachability::analyse(inv, options);
        let focus: std::collections::HashSet<usize> = focus.iter().copied().collect();
        // Rows are wanted for the focus workloads' source profiles, columns for their
        // destination profiles.
        let mut wanted = [BitSet::new(r.profiles[SRC].len()), BitSet::new(r.profiles[DST].len())];
        for w in &r.workloads {
            if w.inventory_workloads.iter().any(|wi| focus.contains(wi)) {
                for space in [SRC, DST] {
                    wanted[space].insert(r.profiles[space].of_class[w.class as usize] as usize);
                }
            }
        }
        let mut conns = std::mem::replace(&mut r.conns, Interner::new());
        let mut rows = vec![None; r.profiles[SRC].len()];
        let mut columns = vec![None; r.profiles[DST].len()];
        // Lines are computed in parallel chunks, each with its own copy of the interner; the
        // sets a chunk added are then interned into the shared one, in chunk order, so ids do
        // not depend on scheduling. Chunk sizes depend on the input only, which keeps it
        // deterministic; a few chunks are enough for two cores and few interner copies.
        // (Unit tests use tiny chunks so that the merge is exercised.)
        let lines: Vec<(usize, u32)> = [SRC, DST].into_iter().flat_map(|space| wanted[space].iter().map(move |p| (space, p as u32))).collect();
        let chunk = if cfg!(test) { 2 } else { lines.len().div_ceil(8).max(64) };
        let shared = conns.len();
        let index = FocusIndex::new(&r, &wanted);
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
        r.conns = conns;
        r.cells = Cells::Focused(Box::new(Focused { rows, columns, rest: OnceLock::new() }));
        r
    }

    /// Everything but the matrix: topology, compiled policies, external blocks, which
    /// policies select which classes and which peers each rule matches.
    fn analyse(inv: &Inventory, options: Options) -> Reachability {
        let Topology { namespaces, mut classes, workloads, classes_by_namespace } = build_topology(inv);
        if !options.host_network_exempt {
            classes.iter_mut().for_each(|c| c.host_network = false);
        }
        let (policies, warnings) = compile_policies(inv);
        let blocks = external_blocks(&policies);
        let mut conns = Interner::new();
        // Policies repeat the same port lists: resolve each distinct one once.
        let mut resolved: FastMap<&crate::policy::Ports, ConnId> = FastMap::default();
        let fixed_ports = policies
            .iter()
            .map(|p| {
                [p.ingress.as_deref(), p.egress.as_deref()].map(|rules| {
                    let rules = rules.unwrap_or(&[]).iter().map(|rule| &rule.ports);
                    rules.map(|ports| (!ports.has_named()).then(|| *resolved.entry(ports).or_insert_with(|| conns.intern(ports.resolve(None))))).collect()
                })
            })
            .collect();
        let mut r = Reachability {
            options,
            namespaces,
            classes,
            workloads,
            policies,
            warnings,
            blocks,
            class_sets: Vec::new(),
            subjects: Vec::new(),
            rule_matches: Vec::new(),
            np_selecting: [Vec::new(), Vec::new()],
            admin_selecting: [Vec::new(), Vec::new()],
            profiles: [Space::default(), Space::default()],
            fixed_ports,
            conns,
            cells: Cells::Full(FullCells { pair: Vec::new(), to_block: Vec::new(), from_block: Vec::new() }),
        };
        r.match_policies(&classes_by_namespace);
        for (i, w) in r.workloads.iter().enumerate() {
            for space in &mut r.profiles {
                space.workloads[space.of_class[w.class as usize] as usize].push(i as u32);
            }
        }
        r
    }

    pub fn options(&self) -> Options {
        self.options
    }

    pub fn workloads(&self) -> &[WorkloadEndpoint] {
        &self.workloads
    }

    pub fn namespaces(&self) -> &[NamespaceEntry] {
        &self.namespaces
    }

    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    /// Policies that could not be compiled, or parts of them that were left out.
    pub fn warnings(&self) -> &[PolicyWarning] {
        &self.warnings
    }

    pub fn external_sources(&self) -> &[IpSet] {
        &self.blocks[INGRESS]
    }

    pub fn external_destinations(&self) -> &[IpSet] {
        &self.blocks[EGRESS]
    }

    /// How many source and destination profiles the classes fall into (see the crate README):
    /// the size of the matrix actually computed.
    pub fn profile_counts(&self) -> (usize, usize) {
        (self.profiles[SRC].len(), self.profiles[DST].len())
    }

    pub fn class_of(&self, workload: usize) -> &PodClass {
        &self.classes[self.workloads[workload].class as usize]
    }

    /// `ns/name[Kind]` or `a.b.c.d-e.f.g.h[External]`.
    pub fn endpoint_name(&self, e: Endpoint) -> String {
        match e {
            Endpoint::Workload(w) => self.workloads[w as usize].display(),
            Endpoint::ExternalSource(b) => format!("{}[External]", self.blocks[INGRESS][b as usize]),
            Endpoint::ExternalDestination(b) => format!("{}[External]", self.blocks[EGRESS][b as usize]),
        }
    }

    /// Connections allowed from `src` to `dst` (empty when denied or not meaningful, such as
    /// external to external).
    pub fn allowed(&self, src: Endpoint, dst: Endpoint) -> &ConnSet {
        let (conns, id) = self.lookup(src, dst);
        conns.get(id)
    }

    /// The interner holding the answer, and the answer.
    fn lookup(&self, src: Endpoint, dst: Endpoint) -> (&Interner, ConnId) {
        let focused = match &self.cells {
            Cells::Full(full) => return (&self.conns, self.full_id(full, src, dst)),
            Cells::Focused(f) => f,
        };
        let (sp, dp) = (|w: u32| self.profile(SRC, w), |w: u32| self.profile(DST, w));
        let row = |s: u32| focused.rows[sp(s)].as_ref();
        let column = |d: u32| focused.columns[dp(d)].as_ref();
        let found = match (src, dst) {
            (Endpoint::Workload(s), Endpoint::Workload(d)) => match (row(s), column(d)) {
                (Some(line), _) => Some(line.get(dp(d))),
                (None, Some(line)) => Some(line.get(sp(s))),
                (None, None) => None,
            },
            (Endpoint::Workload(s), Endpoint::ExternalDestination(b)) => row(s).map(|line| line.get(self.profiles[DST].len() + b as usize)),
            (Endpoint::ExternalSource(b), Endpoint::Workload(d)) => column(d).map(|line| line.get(self.profiles[SRC].len() + b as usize)),
            _ => Some(NONE),
        };
        match found {
            Some(id) => (&self.conns, id),
            None => {
                let (conns, full) = focused.rest.get_or_init(|| {
                    let mut conns = self.conns.clone();
                    let full = Calc::new(self, &mut conns).full();
                    conns.shrink();
                    (conns, full)
                });
                (conns, self.full_id(full, src, dst))
            }
        }
    }

    fn full_id(&self, full: &FullCells, src: Endpoint, dst: Endpoint) -> ConnId {
        let nd = self.profiles[DST].len();
        let (sp, dp) = (|w: u32| self.profile(SRC, w), |w: u32| self.profile(DST, w));
        let cell = |v: &[ConnId], i: usize| v.get(i).copied().unwrap_or(NONE);
        match (src, dst) {
            (Endpoint::Workload(s), Endpoint::Workload(d)) => cell(&full.pair, sp(s) * nd + dp(d)),
            (Endpoint::Workload(s), Endpoint::ExternalDestination(b)) => cell(&full.to_block, sp(s) * self.blocks[EGRESS].len() + b as usize),
            (Endpoint::ExternalSource(b), Endpoint::Workload(d)) => cell(&full.from_block, b as usize * nd + dp(d)),
            _ => NONE,
        }
    }

    /// The profile of workload `w` in `space`.
    fn profile(&self, space: usize, w: u32) -> usize {
        self.profiles[space].of_class[self.workloads[w as usize].class as usize] as usize
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
            Cells::Focused(f) => f.columns.get(if dst < self.workloads.len() { self.profile(DST, dst as u32) } else { usize::MAX }).and_then(Option::as_ref),
            Cells::Full(_) => None,
        };
        let blocks = (0..self.blocks[INGRESS].len() as u32).map(Endpoint::ExternalSource);
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
            Cells::Focused(f) => f.rows.get(if src < self.workloads.len() { self.profile(SRC, src as u32) } else { usize::MAX }).and_then(Option::as_ref),
            Cells::Full(_) => None,
        };
        let blocks = (0..self.blocks[EGRESS].len() as u32).map(Endpoint::ExternalDestination);
        match line {
            Some(line) => self.line_where(line, DST, src, blocks, keep),
            None => self.lookup_where(src, blocks, |other| (s, other), keep),
        }
    }

    /// The cells of a focus line that are allowed and kept, as endpoints (workloads other
    /// than `own` in workload order, then the line's external blocks). The line's positions
    /// are profiles of `space`, then blocks.
    fn line_where(&self, line: &SparseLine, space: usize, own: usize, blocks: impl Iterator<Item = Endpoint>, mut keep: impl FnMut(&ConnSet) -> bool) -> Vec<(Endpoint, &ConnSet)> {
        let profiles = &self.profiles[space];
        let np = profiles.len();
        let mut kept: FastMap<ConnId, bool> = FastMap::default();
        let mut keeps = |id: ConnId| id != NONE && *kept.entry(id).or_insert_with(|| keep(self.conns.get(id)));
        let mut workloads: Vec<(u32, ConnId)> = if keeps(line.default) {
            (0..self.workloads.len() as u32).map(|w| (w, line.get(self.profile(space, w)))).filter(|&(_, c)| keeps(c)).collect()
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
        let others = (0..self.workloads.len() as u32).filter(|&w| w as usize != own).map(Endpoint::Workload);
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
        (0..self.workloads.len() as u32)
            .map(Endpoint::Workload)
            .chain((0..self.blocks[INGRESS].len() as u32).map(Endpoint::ExternalSource))
            .chain((0..self.blocks[EGRESS].len() as u32).map(Endpoint::ExternalDestination))
    }

    /// Every allowed connection between distinct workloads and between workloads and external
    /// ranges, in workload order (the caller sorts text lines).
    pub fn connections(&self) -> impl Iterator<Item = Connection<'_>> + '_ {
        let nw = self.workloads.len() as u32;
        let pairs = (0..nw).flat_map(move |s| {
            let to_workloads = (0..nw).filter(move |&d| d != s).map(move |d| (Endpoint::Workload(s), Endpoint::Workload(d)));
            let to_ext = (0..self.blocks[EGRESS].len() as u32).map(move |b| (Endpoint::Workload(s), Endpoint::ExternalDestination(b)));
            to_workloads.chain(to_ext)
        });
        let from_ext = (0..self.blocks[INGRESS].len() as u32).flat_map(move |b| (0..nw).map(move |d| (Endpoint::ExternalSource(b), Endpoint::Workload(d))));
        pairs.chain(from_ext).filter_map(move |(src, dst)| {
            let (conns, id) = self.lookup(src, dst);
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

    fn isolated(&self, workload: usize, dir: usize) -> bool {
        let c = self.workloads[workload].class as usize;
        !self.classes[c].host_network && !self.np_selecting[dir][c].is_empty()
    }

    /// Policies (of every kind) whose subject includes the workload in this direction.
    pub fn selecting_policies(&self, workload: usize, direction: Direction) -> Vec<&Policy> {
        let d = dir_index(direction);
        let c = self.workloads[workload].class as usize;
        let mut out: Vec<&Policy> = self.admin_selecting[d][c].iter().chain(&self.np_selecting[d][c]).map(|&p| &self.policies[p as usize]).collect();
        out.sort_by_key(|p| (p.kind, p.priority));
        out
    }

    /// Find a workload by `ns/name`, `ns/name[Kind]` or `name` (when unique), or an external
    /// block by an IPv4 address.
    pub fn find_endpoint(&self, spec: &str, as_source: bool) -> Option<Endpoint> {
        if let Ok(ip) = spec.parse::<std::net::Ipv4Addr>() {
            let point = IpSet::range(u32::from(ip), u32::from(ip));
            let dir = if as_source { INGRESS } else { EGRESS };
            let b = self.blocks[dir].iter().position(|blk| point.is_subset_of(blk))? as u32;
            return Some(if as_source { Endpoint::ExternalSource(b) } else { Endpoint::ExternalDestination(b) });
        }
        let exact = self.workloads.iter().position(|w| w.display() == spec);
        let by_ns_name = || {
            let hits: Vec<usize> = self.workloads.iter().enumerate().filter(|(_, w)| format!("{}/{}", w.namespace, w.name) == spec).map(|(i, _)| i).collect();
            (hits.len() == 1).then(|| hits[0])
        };
        let by_name = || {
            let hits: Vec<usize> = self.workloads.iter().enumerate().filter(|(_, w)| w.name == spec).map(|(i, _)| i).collect();
            (hits.len() == 1).then(|| hits[0])
        };
        exact.or_else(by_ns_name).or_else(by_name).map(|i| Endpoint::Workload(i as u32))
    }

    /// `class` seen as a peer of rules in direction `dir` (a profile of space `dir`).
    pub(crate) fn peer_profile(&self, dir: usize, class: u32) -> PeerRef {
        PeerRef::Profile(self.profiles[dir].of_class[class as usize])
    }

    fn match_policies(&mut self, classes_by_namespace: &[Vec<u32>]) {
        let nc = self.classes.len();
        let mut subjects = Vec::with_capacity(self.policies.len());
        // Per policy, per direction, per rule: its peer classes (an index into the selection's
        // sets) and its external blocks.
        let mut rule_sets: Vec<[Vec<(u32, BitSet)>; 2]> = Vec::with_capacity(self.policies.len());
        let mut np_selecting = [vec![Vec::new(); nc], vec![Vec::new(); nc]];
        let mut admin: [Vec<Vec<u32>>; 2] = [vec![Vec::new(); nc], vec![Vec::new(); nc]];
        let mut select = Selection::new(self, classes_by_namespace);
        for (pi, p) in self.policies.iter().enumerate() {
            let subject = select.classes(&p.subject);
            for c in select.sets[subject as usize].iter() {
                for dir in [INGRESS, EGRESS] {
                    let applies = if dir == INGRESS { p.ingress.is_some() } else { p.egress.is_some() };
                    if !applies {
                        continue;
                    }
                    match p.kind {
                        PolicyKind::NetworkPolicy => np_selecting[dir][c].push(pi as u32),
                        _ => admin[dir][c].push(pi as u32),
                    }
                }
            }
            let per_dir = [INGRESS, EGRESS].map(|dir| {
                let rules = if dir == INGRESS { p.ingress.as_deref() } else { p.egress.as_deref() };
                rules.unwrap_or(&[]).iter().map(|r| self.match_rule(r, dir, &mut select)).collect::<Vec<_>>()
            });
            subjects.push(subject);
            rule_sets.push(per_dir);
        }
        let class_sets = std::mem::take(&mut select.sets);
        drop(select);
        // ANPs first by priority (then name for a stable order), the baseline last.
        for list in admin.iter_mut().flat_map(|d| d.iter_mut()) {
            list.sort_by_key(|&pi| {
                let p = &self.policies[pi as usize];
                (p.kind == PolicyKind::BaselineAdminNetworkPolicy, p.priority, p.name.clone())
            });
        }
        // The distinct peer sets of each direction's rules, in order of first use.
        let mut seen = [vec![false; class_sets.len()], vec![false; class_sets.len()]];
        let mut distinct: [Vec<u32>; 2] = [Vec::new(), Vec::new()];
        for per_dir in &rule_sets {
            for dir in [INGRESS, EGRESS] {
                for &(set, _) in &per_dir[dir] {
                    if !std::mem::replace(&mut seen[dir][set as usize], true) {
                        distinct[dir].push(set);
                    }
                }
            }
        }
        let profiles = crate::profiles::build(&self.classes, &self.policies, &np_selecting, &admin, &class_sets, &distinct);
        // Each distinct set projected once onto the profiles of its direction's peer space.
        let projected: [HashMap<u32, Arc<BitSet>>; 2] = [INGRESS, EGRESS].map(|dir| distinct[dir].iter().map(|&set| (set, Arc::new(profiles[dir].project(&class_sets[set as usize])))).collect());
        self.rule_matches = rule_sets
            .into_iter()
            .map(|per_dir| {
                let [ingress, egress] = per_dir;
                let matches = |dir: usize, rules: Vec<(u32, BitSet)>| rules.into_iter().map(|(set, blocks)| RuleMatch { profiles: projected[dir].get(&set).cloned().unwrap_or_default(), blocks }).collect();
                [matches(INGRESS, ingress), matches(EGRESS, egress)]
            })
            .collect();
        self.profiles = profiles;
        self.class_sets = class_sets;
        self.subjects = subjects;
        self.np_selecting = np_selecting;
        self.admin_selecting = admin;
    }

    /// The classes among a rule's peers (an index into the selection's sets) and its external
    /// blocks.
    fn match_rule<'p>(&self, rule: &'p Rule, dir: usize, select: &mut Selection<'_, 'p>) -> (u32, BitSet) {
        let nb = self.blocks[dir].len();
        match &rule.peers {
            Peers::Any => (select.all(), BitSet::full(nb)),
            Peers::List(peers) => {
                let mut sets = Vec::new();
                let mut blocks = BitSet::new(nb);
                for peer in peers {
                    match peer {
                        Peer::Pods(m) => sets.push(select.classes(m)),
                        Peer::Ips(ips) => {
                            for (bi, b) in self.blocks[dir].iter().enumerate() {
                                if b.is_subset_of(ips) {
                                    blocks.insert(bi);
                                }
                            }
                        }
                        Peer::Nodes => {}
                    }
                }
                (select.union(&sets), blocks)
            }
        }
    }
}

/// The classes a pod match selects, computed once per distinct match (policies of one
/// cluster repeat the same peers: "tier=web in team namespaces", "kube-system DNS"), kept as
/// indices into a list of distinct sets so that rules share them.
struct Selection<'r, 'p> {
    r: &'r Reachability,
    classes_by_namespace: &'r [Vec<u32>],
    /// Namespace name → indices (names are unique in practice; all are kept regardless).
    namespace_index: FastMap<&'r str, Vec<usize>>,
    memo: FastMap<&'p PodMatch, u32>,
    /// Unions of several matches, by their sorted indices.
    unions: IdMap<Vec<u32>, u32>,
    all: Option<u32>,
    sets: Vec<ClassSet>,
}

impl<'r, 'p> Selection<'r, 'p> {
    fn new(r: &'r Reachability, classes_by_namespace: &'r [Vec<u32>]) -> Self {
        let mut namespace_index: FastMap<&str, Vec<usize>> = FastMap::default();
        for (i, ns) in r.namespaces.iter().enumerate() {
            namespace_index.entry(ns.name.as_str()).or_default().push(i);
        }
        Selection { r, classes_by_namespace, namespace_index, memo: FastMap::default(), unions: FastMap::default(), all: None, sets: Vec::new() }
    }

    fn classes(&mut self, m: &'p PodMatch) -> u32 {
        if let Some(&i) = self.memo.get(m) {
            return i;
        }
        let i = self.push(self.compute(m));
        self.memo.insert(m, i);
        i
    }

    /// Every class (rules without `from`/`to`).
    fn all(&mut self) -> u32 {
        if let Some(i) = self.all {
            return i;
        }
        let n = self.r.classes.len();
        let i = self.push(ClassSet::Many(BitSet::full(n)));
        self.all = Some(i);
        i
    }

    /// The union of some sets (of none: the empty set).
    fn union(&mut self, parts: &[u32]) -> u32 {
        let mut key: Vec<u32> = parts.to_vec();
        key.sort_unstable();
        key.dedup();
        if let [one] = key[..] {
            return one;
        }
        if let Some(&i) = self.unions.get(&key) {
            return i;
        }
        let n = self.r.classes.len();
        let mut members: Vec<u32> = key.iter().flat_map(|&i| self.sets[i as usize].iter()).map(|c| c as u32).collect();
        members.sort_unstable();
        members.dedup();
        let i = self.push(ClassSet::from_sorted(members, n));
        self.unions.insert(key, i);
        i
    }

    fn push(&mut self, set: ClassSet) -> u32 {
        self.sets.push(set);
        self.sets.len() as u32 - 1
    }

    fn compute(&self, m: &PodMatch) -> ClassSet {
        let r = self.r;
        let mut out: Vec<u32> = Vec::new();
        let mut add = |ni: usize| {
            for &c in &self.classes_by_namespace[ni] {
                if m.pods.matches(&r.classes[c as usize].labels) {
                    out.push(c);
                }
            }
        };
        match &m.namespaces {
            NamespaceMatch::Named(name) => self.namespace_index.get(name.as_str()).into_iter().flatten().for_each(|&ni| add(ni)),
            NamespaceMatch::Selector(s) => (0..r.namespaces.len()).filter(|&i| s.matches(&r.namespaces[i].labels)).for_each(&mut add),
        }
        // Namespaces are visited in their own order, not in class order.
        out.sort_unstable();
        out.dedup();
        ClassSet::from_sorted(out, r.classes.len())
    }
}

fn compile_policies(inv: &Inventory) -> (Vec<Policy>, Vec<PolicyWarning>) {
    let mut policies = Vec::new();
    let mut warnings = Vec::new();
    for o in inv.of_kind("NetworkPolicy") {
        if let Resource::NetworkPolicy(np) = &o.resource {
            match compile_network_policy(o, np) {
                Ok(p) => policies.push(p),
                Err(m) => warnings.push(PolicyWarning { loc: o.loc.clone(), message: format!("NetworkPolicy {}/{} ignored: {m}", o.namespace().unwrap_or(""), o.name()) }),
            }
        }
    }
    let mut baseline_seen = false;
    for kind in ["AdminNetworkPolicy", "BaselineAdminNetworkPolicy"] {
        for o in inv.of_kind(kind) {
            if !o.api_version.starts_with("policy.networking.k8s.io/") {
                continue;
            }
            match compile_admin_policy(o) {
                Ok(p) if p.kind == PolicyKind::BaselineAdminNetworkPolicy && baseline_seen => {
                    warnings.push(PolicyWarning { loc: o.loc.clone(), message: format!("{kind} {} ignored: only one baseline policy may exist", o.name()) });
                }
                Ok(p) => {
                    baseline_seen |= p.kind == PolicyKind::BaselineAdminNetworkPolicy;
                    policies.push(p);
                }
                Err(m) => warnings.push(PolicyWarning { loc: o.loc.clone(), message: format!("{kind} {} ignored: {m}", o.name()) }),
            }
        }
    }
    (policies, warnings)
}

/// The external blocks per direction: ingress rules' ipBlocks split the source space, egress
/// rules' ipBlocks and admin networks the destination space.
fn external_blocks(policies: &[Policy]) -> [Vec<IpSet>; 2] {
    let mut mentioned: [Vec<IpSet>; 2] = [Vec::new(), Vec::new()];
    for p in policies {
        for (dir, rules) in [(INGRESS, p.ingress.as_deref()), (EGRESS, p.egress.as_deref())] {
            for rule in rules.unwrap_or(&[]) {
                if let Peers::List(peers) = &rule.peers {
                    for peer in peers {
                        if let Peer::Ips(ips) = peer {
                            mentioned[dir].push(ips.clone());
                        }
                    }
                }
            }
        }
    }
    mentioned.map(|m| disjoint_blocks(&m))
}
