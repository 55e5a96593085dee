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

use crate::endpoints::{NamespaceEntry, PodClass, Topology, WorkloadEndpoint, build_topology};
use crate::intern::{ALL, BitSet, ConnId, Interner, NONE};
use crate::ipblocks::{IpSet, disjoint_blocks};
use crate::policy::{Action, Direction, Peer, Peers, Policy, PolicyKind, PolicyWarning, Rule, compile_admin_policy, compile_network_policy};
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
    class_pair: Vec<ConnId>,
    class_to_block: Vec<ConnId>,
    block_to_class: Vec<ConnId>,
}

impl Reachability {
    pub fn compute(inv: &Inventory) -> Reachability {
        Reachability::compute_with(inv, Options::default())
    }

    pub fn compute_with(inv: &Inventory, options: Options) -> Reachability {
        let Topology { namespaces, mut classes, workloads, classes_by_namespace } = build_topology(inv);
        if !options.host_network_exempt {
            classes.iter_mut().for_each(|c| c.host_network = false);
        }
        let (policies, warnings) = compile_policies(inv);
        let blocks = external_blocks(&policies);
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
            class_pair: Vec::new(),
            class_to_block: Vec::new(),
            block_to_class: Vec::new(),
        };
        r.match_policies(&classes_by_namespace);
        r.build_matrix();
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
        self.conns.get(self.allowed_id(src, dst))
    }

    fn allowed_id(&self, src: Endpoint, dst: Endpoint) -> ConnId {
        let n = self.classes.len();
        let class = |w: u32| self.workloads[w as usize].class as usize;
        match (src, dst) {
            (Endpoint::Workload(s), Endpoint::Workload(d)) => self.class_pair[class(s) * n + class(d)],
            (Endpoint::Workload(s), Endpoint::ExternalDestination(b)) => self.class_to_block[class(s) * self.blocks[EGRESS].len() + b as usize],
            (Endpoint::ExternalSource(b), Endpoint::Workload(d)) => self.block_to_class[b as usize * n + class(d)],
            _ => NONE,
        }
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
            let id = self.allowed_id(src, dst);
            (id != NONE).then(|| Connection { src, dst, conns: self.conns.get(id) })
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

    fn peer_count(&self, dir: usize) -> usize {
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
        let dst = if dir == INGRESS { PeerRef::Class(subject) } else { peer };
        match dst {
            PeerRef::Class(c) => Some(&self.classes[c as usize].named_ports),
            PeerRef::Block(_) => None,
        }
    }

    fn match_policies(&mut self, classes_by_namespace: &[Vec<u32>]) {
        let nc = self.classes.len();
        let mut subjects = Vec::with_capacity(self.policies.len());
        let mut rule_matches = Vec::with_capacity(self.policies.len());
        let mut np_selecting = [vec![Vec::new(); nc], vec![Vec::new(); nc]];
        let mut admin: [Vec<Vec<u32>>; 2] = [vec![Vec::new(); nc], vec![Vec::new(); nc]];
        for (pi, p) in self.policies.iter().enumerate() {
            let subject = self.select_classes(&p.subject, classes_by_namespace);
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
                rules.unwrap_or(&[]).iter().map(|r| self.match_rule(r, dir, classes_by_namespace)).collect::<Vec<_>>()
            });
            subjects.push(subject);
            rule_matches.push(per_dir);
        }
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

    fn select_classes(&self, m: &crate::policy::PodMatch, classes_by_namespace: &[Vec<u32>]) -> BitSet {
        let mut out = BitSet::new(self.classes.len());
        for (ni, ns) in self.namespaces.iter().enumerate() {
            if !m.namespaces.matches(&ns.name, &ns.labels) {
                continue;
            }
            for &c in &classes_by_namespace[ni] {
                if m.pods.matches(&self.classes[c as usize].labels) {
                    out.insert(c as usize);
                }
            }
        }
        out
    }

    fn match_rule(&self, rule: &Rule, dir: usize, classes_by_namespace: &[Vec<u32>]) -> RuleMatch {
        let nb = self.blocks[dir].len();
        match &rule.peers {
            Peers::Any => RuleMatch { classes: BitSet::full(self.classes.len()), blocks: BitSet::full(nb) },
            Peers::List(peers) => {
                let mut classes = BitSet::new(self.classes.len());
                let mut blocks = BitSet::new(nb);
                for peer in peers {
                    match peer {
                        Peer::Pods(m) => {
                            for c in self.select_classes(m, classes_by_namespace).iter() {
                                classes.insert(c);
                            }
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

    /// Accumulate, per direction and subject class, what its NetworkPolicies allow per peer.
    fn network_policy_rows(&mut self, dir: usize) -> Vec<Option<Vec<ConnId>>> {
        let nc = self.classes.len();
        let width = self.peer_count(dir);
        let mut rows: Vec<Option<Vec<ConnId>>> = vec![None; nc];
        for (subject, slot) in rows.iter_mut().enumerate() {
            if self.np_selecting[dir][subject].is_empty() {
                continue;
            }
            let mut row = vec![NONE; width];
            for &pi in &self.np_selecting[dir][subject] {
                let policy = &self.policies[pi as usize];
                let rules = policy.rules(if dir == INGRESS { Direction::Ingress } else { Direction::Egress }).unwrap_or(&[]);
                for (ri, rule) in rules.iter().enumerate() {
                    let m = &self.rule_matches[pi as usize][dir][ri];
                    // Ingress ports resolve on the subject; egress ports on each destination.
                    let fixed = if dir == INGRESS {
                        Some(self.conns.intern(rule.ports.resolve(Some(&self.classes[subject].named_ports))))
                    } else if !rule.ports.has_named() {
                        Some(self.conns.intern(rule.ports.resolve(None)))
                    } else {
                        None
                    };
                    let peers: Vec<PeerRef> = m.classes.iter().map(|c| PeerRef::Class(c as u32)).chain(m.blocks.iter().map(|b| PeerRef::Block(b as u32))).collect();
                    for p in peers {
                        let conn = match fixed {
                            Some(c) => c,
                            None => {
                                let resolved = rule.ports.resolve(self.destination_ports(dir, subject as u32, p));
                                self.conns.intern(resolved)
                            }
                        };
                        let idx = self.peer_index(p);
                        row[idx] = self.conns.union(row[idx], conn);
                    }
                }
            }
            *slot = Some(row);
        }
        rows
    }

    /// What one side (the subject's `dir`) allows towards/from `peer`.
    fn side(&mut self, dir: usize, subject: u32, peer: PeerRef, np_rows: &[Option<Vec<ConnId>>]) -> ConnId {
        let s = subject as usize;
        if self.classes[s].host_network {
            return ALL;
        }
        let np = np_rows[s].as_ref().map(|row| row[self.peer_index(peer)]);
        if self.admin_selecting[dir][s].is_empty() {
            return np.unwrap_or(ALL);
        }
        let mut remaining = ALL;
        let mut allowed = NONE;
        let mut passed = NONE;
        let admin = self.admin_selecting[dir][s].clone();
        let (anps, baseline): (Vec<u32>, Vec<u32>) = admin.into_iter().partition(|&pi| self.policies[pi as usize].kind == PolicyKind::AdminNetworkPolicy);
        for pi in anps {
            for (rule, conn) in self.matching_rules(dir, pi, subject, peer) {
                let eff = self.conns.intersect(conn, remaining);
                if eff == NONE {
                    continue;
                }
                match rule {
                    Action::Allow => allowed = self.conns.union(allowed, eff),
                    Action::Deny => {}
                    Action::Pass => passed = self.conns.union(passed, eff),
                }
                remaining = self.conns.subtract(remaining, eff);
            }
        }
        let mut rest = self.conns.union(remaining, passed);
        if let Some(np) = np {
            let by_np = self.conns.intersect(np, rest);
            return self.conns.union(allowed, by_np);
        }
        for pi in baseline {
            for (action, conn) in self.matching_rules(dir, pi, subject, peer) {
                let eff = self.conns.intersect(conn, rest);
                if action == Action::Allow {
                    allowed = self.conns.union(allowed, eff);
                }
                rest = self.conns.subtract(rest, eff);
            }
        }
        self.conns.union(allowed, rest)
    }

    /// Rules of admin policy `pi` (in order) that match `peer`, with the connections each
    /// covers towards the destination.
    fn matching_rules(&mut self, dir: usize, pi: u32, subject: u32, peer: PeerRef) -> Vec<(Action, ConnId)> {
        let policy = &self.policies[pi as usize];
        let rules = policy.rules(if dir == INGRESS { Direction::Ingress } else { Direction::Egress }).unwrap_or(&[]);
        let mut out = Vec::new();
        for (ri, rule) in rules.iter().enumerate() {
            if !self.rule_matches[pi as usize][dir][ri].contains(peer) {
                continue;
            }
            let ports = self.destination_ports(dir, subject, peer);
            out.push((rule.action, rule.ports.resolve(ports)));
        }
        out.into_iter().map(|(a, c)| (a, self.conns.intern(c))).collect()
    }

    fn build_matrix(&mut self) {
        let np_in = self.network_policy_rows(INGRESS);
        let np_out = self.network_policy_rows(EGRESS);
        let nc = self.classes.len();
        let (nb_in, nb_out) = (self.blocks[INGRESS].len(), self.blocks[EGRESS].len());
        let mut class_pair = vec![NONE; nc * nc];
        for s in 0..nc {
            for d in 0..nc {
                let out = self.side(EGRESS, s as u32, PeerRef::Class(d as u32), &np_out);
                if out == NONE {
                    continue;
                }
                let inn = self.side(INGRESS, d as u32, PeerRef::Class(s as u32), &np_in);
                class_pair[s * nc + d] = self.conns.intersect(out, inn);
            }
        }
        let mut class_to_block = vec![NONE; nc * nb_out];
        for s in 0..nc {
            for b in 0..nb_out {
                class_to_block[s * nb_out + b] = self.side(EGRESS, s as u32, PeerRef::Block(b as u32), &np_out);
            }
        }
        let mut block_to_class = vec![NONE; nb_in * nc];
        for b in 0..nb_in {
            for d in 0..nc {
                block_to_class[b * nc + d] = self.side(INGRESS, d as u32, PeerRef::Block(b as u32), &np_in);
            }
        }
        self.class_pair = class_pair;
        self.class_to_block = class_to_block;
        self.block_to_class = block_to_class;
        self.conns.shrink();
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
