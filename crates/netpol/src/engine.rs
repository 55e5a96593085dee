//! The reachability computation.
//!
//! A connection from S to D is allowed when S's egress side and D's ingress side both allow
//! it. Each side is decided in tiers: AdminNetworkPolicy rules in priority order (first match
//! decides Allow/Deny; Pass hands the traffic down), then NetworkPolicy (if any selects the
//! pod in that direction, only the union of their rules is allowed), then the
//! BaselineAdminNetworkPolicy (first match decides), then allow. Pods in the host network are
//! not subject to any of it (when `Options::host_network_exempt`).
//!
//! Everything is computed per pod equivalence class, and NetworkPolicy rules are accumulated
//! from each rule's precomputed peer set, so the cost follows what the policies select rather
//! than the number of pod pairs.

use kubepci_inventory::Inventory;
use kubepci_model::Resource;

use std::collections::HashMap;
use std::sync::OnceLock;

use rayon::prelude::*;

use crate::calc::{Calc, FullCells, PeerIndex};
use crate::cells::{Cells, Focused, SparseLine};
use crate::endpoints::{NamespaceEntry, PodClass, Topology, WorkloadEndpoint, build_topology};
use crate::intern::{BitSet, ConnId, Interner, NONE};
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

pub(crate) const INGRESS: usize = 0;
pub(crate) const EGRESS: usize = 1;

pub(crate) fn dir_index(d: Direction) -> usize {
    match d {
        Direction::Ingress => INGRESS,
        Direction::Egress => EGRESS,
    }
}

/// A peer seen from a subject: another class or an external block of the direction's split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PeerRef {
    Class(u32),
    Block(u32),
}

/// Which peers a rule matches, for its direction's peer space.
#[derive(Clone, Debug)]
pub(crate) struct RuleMatch {
    pub classes: BitSet,
    pub blocks: BitSet,
}

impl RuleMatch {
    pub fn contains(&self, p: PeerRef) -> bool {
        match p {
            PeerRef::Class(c) => self.classes.contains(c as usize),
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
    pub(crate) subjects: Vec<BitSet>,
    /// Per policy, per direction, per rule.
    pub(crate) rule_matches: Vec<[Vec<RuleMatch>; 2]>,
    /// Per direction, per class: NetworkPolicies selecting the class.
    pub(crate) np_selecting: [Vec<Vec<u32>>; 2],
    /// Per direction, per class: admin policies selecting it, ANPs by priority then the BANP.
    pub(crate) admin_selecting: [Vec<Vec<u32>>; 2],
    pub(crate) conns: Interner,
    /// Per class: its workloads, ascending.
    class_workloads: Vec<Vec<u32>>,
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
        let nc = r.classes.len();
        let focus: std::collections::HashSet<usize> = focus.iter().copied().collect();
        let mut is_focus = vec![false; nc];
        for w in &r.workloads {
            if w.inventory_workloads.iter().any(|wi| focus.contains(wi)) {
                is_focus[w.class as usize] = true;
            }
        }
        let mut conns = std::mem::replace(&mut r.conns, Interner::new());
        let mut rows = vec![None; nc];
        let mut columns = vec![None; nc];
        // Focus classes are computed in parallel chunks, each with its own copy of the
        // interner; the sets a chunk added are then interned into the shared one, in chunk
        // order, so ids do not depend on scheduling. Fixed-size chunks keep it deterministic.
        // (Unit tests use tiny chunks so that the merge is exercised.)
        const CHUNK: usize = if cfg!(test) { 2 } else { 32 };
        let focus_classes: Vec<u32> = (0..nc as u32).filter(|&c| is_focus[c as usize]).collect();
        let shared = conns.len();
        let index = std::sync::Arc::new(PeerIndex::new(&r));
        let chunks: Vec<(Interner, Vec<(u32, Vec<ConnId>, Vec<ConnId>)>)> = focus_classes
            .par_chunks(CHUNK)
            .map(|chunk| {
                let mut local = conns.clone();
                let mut calc = Calc::with_index(&r, &mut local, index.clone());
                let lines = chunk.iter().map(|&c| (c, calc.row(c), calc.column(c))).collect();
                (local, lines)
            })
            .collect();
        for (local, lines) in chunks {
            let map = conns.absorb(&local, shared);
            let remap = |line: Vec<ConnId>| SparseLine::from_dense(&line.into_iter().map(|id| map[id as usize]).collect::<Vec<_>>());
            for (c, row, column) in lines {
                rows[c as usize] = Some(remap(row));
                columns[c as usize] = Some(remap(column));
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
        let mut class_workloads = vec![Vec::new(); classes.len()];
        for (i, w) in workloads.iter().enumerate() {
            class_workloads[w.class as usize].push(i as u32);
        }
        let mut r = Reachability {
            options,
            namespaces,
            classes,
            workloads,
            policies,
            warnings,
            blocks,
            subjects: Vec::new(),
            rule_matches: Vec::new(),
            np_selecting: [Vec::new(), Vec::new()],
            admin_selecting: [Vec::new(), Vec::new()],
            conns: Interner::new(),
            class_workloads,
            cells: Cells::Full(FullCells { class_pair: Vec::new(), class_to_block: Vec::new(), block_to_class: Vec::new() }),
        };
        r.match_policies(&classes_by_namespace);
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
        let nc = self.classes.len();
        let class = |w: u32| self.workloads[w as usize].class as usize;
        let focused = match &self.cells {
            Cells::Full(full) => return (&self.conns, self.full_id(full, src, dst)),
            Cells::Focused(f) => f,
        };
        let row = |s: u32| focused.rows[class(s)].as_ref();
        let column = |d: u32| focused.columns[class(d)].as_ref();
        let found = match (src, dst) {
            (Endpoint::Workload(s), Endpoint::Workload(d)) => match (row(s), column(d)) {
                (Some(line), _) => Some(line.get(class(d))),
                (None, Some(line)) => Some(line.get(class(s))),
                (None, None) => None,
            },
            (Endpoint::Workload(s), Endpoint::ExternalDestination(b)) => row(s).map(|line| line.get(nc + b as usize)),
            (Endpoint::ExternalSource(b), Endpoint::Workload(d)) => column(d).map(|line| line.get(nc + b as usize)),
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
        let n = self.classes.len();
        let class = |w: u32| self.workloads[w as usize].class as usize;
        let cell = |v: &[ConnId], i: usize| v.get(i).copied().unwrap_or(NONE);
        match (src, dst) {
            (Endpoint::Workload(s), Endpoint::Workload(d)) => cell(&full.class_pair, class(s) * n + class(d)),
            (Endpoint::Workload(s), Endpoint::ExternalDestination(b)) => cell(&full.class_to_block, class(s) * self.blocks[EGRESS].len() + b as usize),
            (Endpoint::ExternalSource(b), Endpoint::Workload(d)) => cell(&full.block_to_class, b as usize * n + class(d)),
            _ => NONE,
        }
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
            Cells::Focused(f) => f.columns.get(self.workloads.get(dst).map_or(usize::MAX, |w| w.class as usize)).and_then(Option::as_ref),
            Cells::Full(_) => None,
        };
        let blocks = (0..self.blocks[INGRESS].len() as u32).map(Endpoint::ExternalSource);
        match line {
            Some(line) => self.line_where(line, dst, blocks, keep),
            None => self.lookup_where(dst, blocks, |other| (other, d), keep),
        }
    }

    /// The destinations of workload `src` (as [`Self::destinations_of`]) whose connections
    /// satisfy `keep`, asked once per distinct connection set.
    pub fn destinations_where(&self, src: usize, keep: impl FnMut(&ConnSet) -> bool) -> Vec<(Endpoint, &ConnSet)> {
        let s = Endpoint::Workload(src as u32);
        let line = match &self.cells {
            Cells::Focused(f) => f.rows.get(self.workloads.get(src).map_or(usize::MAX, |w| w.class as usize)).and_then(Option::as_ref),
            Cells::Full(_) => None,
        };
        let blocks = (0..self.blocks[EGRESS].len() as u32).map(Endpoint::ExternalDestination);
        match line {
            Some(line) => self.line_where(line, src, blocks, keep),
            None => self.lookup_where(src, blocks, |other| (s, other), keep),
        }
    }

    /// The cells of a focus line that are allowed and kept, as endpoints (workloads other
    /// than `own` in workload order, then the line's external blocks).
    fn line_where(&self, line: &SparseLine, own: usize, blocks: impl Iterator<Item = Endpoint>, mut keep: impl FnMut(&ConnSet) -> bool) -> Vec<(Endpoint, &ConnSet)> {
        let nc = self.classes.len();
        let mut kept: HashMap<ConnId, bool> = HashMap::new();
        let mut keeps = |id: ConnId| id != NONE && *kept.entry(id).or_insert_with(|| keep(self.conns.get(id)));
        let mut workloads: Vec<u32> = if keeps(line.default) {
            (0..self.workloads.len() as u32).filter(|&w| keeps(line.get(self.workloads[w as usize].class as usize))).collect()
        } else {
            let classes = line.except.iter().take_while(|&&(p, _)| (p as usize) < nc).filter(|&&(_, c)| keeps(c));
            let mut ws: Vec<u32> = classes.flat_map(|&(p, _)| self.class_workloads[p as usize].iter().copied()).collect();
            ws.sort_unstable();
            ws
        };
        workloads.retain(|&w| w as usize != own);
        let mut out: Vec<(Endpoint, &ConnSet)> = workloads.into_iter().map(|w| (Endpoint::Workload(w), self.conns.get(line.get(self.workloads[w as usize].class as usize)))).collect();
        for (i, b) in blocks.enumerate() {
            let id = line.get(nc + i);
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

    pub(crate) fn peer_count(&self, dir: usize) -> usize {
        self.classes.len() + self.blocks[dir].len()
    }

    pub(crate) fn peer_index(&self, p: PeerRef) -> usize {
        match p {
            PeerRef::Class(c) => c as usize,
            PeerRef::Block(b) => self.classes.len() + b as usize,
        }
    }

    /// Named ports of the destination of a rule evaluated at `subject` for `peer`.
    pub(crate) fn destination_ports(&self, dir: usize, subject: u32, peer: PeerRef) -> Option<&[crate::policy::NamedPort]> {
        self.destination_ports_owner(dir, subject, peer).map(|c| self.classes[c as usize].named_ports.as_slice())
    }

    /// The class whose named ports a rule evaluated at `subject` for `peer` resolves on
    /// (`None`: an external destination).
    pub(crate) fn destination_ports_owner(&self, dir: usize, subject: u32, peer: PeerRef) -> Option<u32> {
        match if dir == INGRESS { PeerRef::Class(subject) } else { peer } {
            PeerRef::Class(c) => Some(c),
            PeerRef::Block(_) => None,
        }
    }

    fn match_policies(&mut self, classes_by_namespace: &[Vec<u32>]) {
        let nc = self.classes.len();
        let mut subjects = Vec::with_capacity(self.policies.len());
        let mut rule_matches = Vec::with_capacity(self.policies.len());
        let mut np_selecting = [vec![Vec::new(); nc], vec![Vec::new(); nc]];
        let mut admin: [Vec<Vec<u32>>; 2] = [vec![Vec::new(); nc], vec![Vec::new(); nc]];
        let mut select = Selection::new(self, classes_by_namespace);
        for (pi, p) in self.policies.iter().enumerate() {
            let subject = select.classes(&p.subject).clone();
            for c in subject.iter() {
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
            rule_matches.push(per_dir);
        }
        drop(select);
        // ANPs first by priority (then name for a stable order), the baseline last.
        for list in admin.iter_mut().flat_map(|d| d.iter_mut()) {
            list.sort_by_key(|&pi| {
                let p = &self.policies[pi as usize];
                (p.kind == PolicyKind::BaselineAdminNetworkPolicy, p.priority, p.name.clone())
            });
        }
        self.subjects = subjects;
        self.rule_matches = rule_matches;
        self.np_selecting = np_selecting;
        self.admin_selecting = admin;
    }

    fn match_rule<'p>(&self, rule: &'p Rule, dir: usize, select: &mut Selection<'_, 'p>) -> RuleMatch {
        let nb = self.blocks[dir].len();
        match &rule.peers {
            Peers::Any => RuleMatch { classes: BitSet::full(self.classes.len()), blocks: BitSet::full(nb) },
            Peers::List(peers) => {
                let mut classes = BitSet::new(self.classes.len());
                let mut blocks = BitSet::new(nb);
                for peer in peers {
                    match peer {
                        Peer::Pods(m) => {
                            classes.union_with(select.classes(m));
                        }
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
                RuleMatch { classes, blocks }
            }
        }
    }
}


/// The classes a pod match selects, computed once per distinct match (policies of one
/// cluster repeat the same peers: "tier=web in team namespaces", "kube-system DNS").
struct Selection<'r, 'p> {
    r: &'r Reachability,
    classes_by_namespace: &'r [Vec<u32>],
    /// Namespace name → indices (names are unique in practice; all are kept regardless).
    namespace_index: HashMap<&'r str, Vec<usize>>,
    memo: HashMap<&'p PodMatch, BitSet>,
}

impl<'r, 'p> Selection<'r, 'p> {
    fn new(r: &'r Reachability, classes_by_namespace: &'r [Vec<u32>]) -> Self {
        let mut namespace_index: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, ns) in r.namespaces.iter().enumerate() {
            namespace_index.entry(ns.name.as_str()).or_default().push(i);
        }
        Selection { r, classes_by_namespace, namespace_index, memo: HashMap::new() }
    }

    fn classes(&mut self, m: &'p PodMatch) -> &BitSet {
        if !self.memo.contains_key(m) {
            let set = self.compute(m);
            self.memo.insert(m, set);
        }
        &self.memo[m]
    }

    fn compute(&self, m: &PodMatch) -> BitSet {
        let r = self.r;
        let mut out = BitSet::new(r.classes.len());
        let namespaces: Vec<usize> = match &m.namespaces {
            NamespaceMatch::Named(name) => self.namespace_index.get(name.as_str()).cloned().unwrap_or_default(),
            NamespaceMatch::Selector(s) => (0..r.namespaces.len()).filter(|&i| s.matches(&r.namespaces[i].labels)).collect(),
        };
        for ni in namespaces {
            for &c in &self.classes_by_namespace[ni] {
                if m.pods.matches(&r.classes[c as usize].labels) {
                    out.insert(c as usize);
                }
            }
        }
        out
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
