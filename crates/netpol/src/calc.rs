//! Deciding cells: what one side (egress at the source, ingress at the destination) allows
//! towards one peer, and whole rows and columns of the class matrix from that.
//!
//! A [`Calc`] borrows the analysis read-only and an interner mutably, so the same code serves
//! the full matrix (built with the analysis' own interner), the focused rows and columns the
//! checks need, and a later full matrix built on a copy of the interner.

use std::collections::HashMap;
use std::sync::Arc;

use crate::engine::{EGRESS, INGRESS, PeerRef, Reachability};
use crate::intern::{ALL, ConnId, Interner, NONE};
use crate::policy::{Action, Direction, PolicyKind};

/// (policy, direction, rule, class whose named ports resolve the rule's, or `NO_CLASS`).
type PortKey = (u32, u8, u32, u32);
const NO_CLASS: u32 = u32::MAX;

pub(crate) struct Calc<'r> {
    pub r: &'r Reachability,
    pub conns: &'r mut Interner,
    /// Rule ports resolved and interned, per destination named-port owner.
    ports: HashMap<PortKey, ConnId>,
    /// Built on first use by [`Self::np_towards`], or shared between parallel calculators.
    index: Option<Arc<PeerIndex>>,
}

fn direction(dir: usize) -> Direction {
    if dir == INGRESS { Direction::Ingress } else { Direction::Egress }
}

impl<'r> Calc<'r> {
    pub fn new(r: &'r Reachability, conns: &'r mut Interner) -> Calc<'r> {
        Calc { r, conns, ports: HashMap::new(), index: None }
    }

    /// A calculator that reuses an already built peer index (see [`PeerIndex::new`]).
    pub fn with_index(r: &'r Reachability, conns: &'r mut Interner, index: Arc<PeerIndex>) -> Calc<'r> {
        Calc { r, conns, ports: HashMap::new(), index: Some(index) }
    }

    /// The connections rule `ri` of policy `pi` covers towards a destination: ingress rules
    /// resolve named ports on the subject, egress rules on each destination pod; external
    /// destinations have no named ports.
    fn rule_conn(&mut self, dir: usize, pi: u32, ri: usize, subject: u32, peer: PeerRef) -> ConnId {
        let policy = &self.r.policies[pi as usize];
        let Some(rule) = policy.rules(direction(dir)).and_then(|rules| rules.get(ri)) else { return NONE };
        let owner = if !rule.ports.has_named() {
            NO_CLASS
        } else {
            match self.r.destination_ports_owner(dir, subject, peer) {
                Some(c) => c,
                None => NO_CLASS,
            }
        };
        let key = (pi, dir as u8, ri as u32, owner);
        if let Some(&c) = self.ports.get(&key) {
            return c;
        }
        let named = (owner != NO_CLASS).then(|| self.r.classes[owner as usize].named_ports.as_slice());
        let c = self.conns.intern(rule.ports.resolve(named));
        self.ports.insert(key, c);
        c
    }

    /// What the NetworkPolicies of every class allow in `dir` towards (egress) or from
    /// (ingress) class `peer`; per class `None` when no NetworkPolicy selects it in `dir`.
    /// Walks only the rules whose peers include `peer` (see [`PeerIndex`]).
    pub fn np_towards(&mut self, dir: usize, peer: u32) -> Vec<Option<ConnId>> {
        let r = self.r;
        let index = self.index.take().unwrap_or_else(|| Arc::new(PeerIndex::new(r)));
        let mut cells: Vec<Option<ConnId>> = r.np_selecting[dir].iter().map(|selecting| (!selecting.is_empty()).then_some(NONE)).collect();
        let broad = index.broad[dir].iter().filter(|&&(pi, ri)| r.rule_matches[pi as usize][dir][ri as usize].classes.contains(peer as usize));
        for &(pi, ri) in index.narrow[dir].get(peer as usize).into_iter().flatten().chain(broad) {
            for &c in &index.subject_classes[pi as usize] {
                let conn = self.rule_conn(dir, pi, ri as usize, c, PeerRef::Class(peer));
                cells[c as usize] = Some(self.conns.union(cells[c as usize].unwrap_or(NONE), conn));
            }
        }
        self.index = Some(index);
        cells
    }

    /// What the NetworkPolicies selecting `subject` in `dir` allow towards/from every peer
    /// (classes, then external blocks); `None` when none selects it.
    pub fn np_row(&mut self, dir: usize, subject: u32) -> Option<Vec<ConnId>> {
        let r = self.r;
        if r.np_selecting[dir][subject as usize].is_empty() {
            return None;
        }
        let mut row = vec![NONE; r.peer_count(dir)];
        for &pi in &r.np_selecting[dir][subject as usize] {
            for (ri, m) in r.rule_matches[pi as usize][dir].iter().enumerate() {
                let peers = m.classes.iter().map(|c| PeerRef::Class(c as u32)).chain(m.blocks.iter().map(|b| PeerRef::Block(b as u32)));
                for p in peers {
                    let conn = self.rule_conn(dir, pi, ri, subject, p);
                    let idx = r.peer_index(p);
                    row[idx] = self.conns.union(row[idx], conn);
                }
            }
        }
        Some(row)
    }

    /// What one side (the subject's `dir`) allows towards/from `peer`, given what its
    /// NetworkPolicies allow (`np`, from [`Self::np_towards`] or [`Self::np_row`]).
    pub fn side(&mut self, dir: usize, subject: u32, peer: PeerRef, np: Option<ConnId>) -> ConnId {
        let r = self.r;
        let s = subject as usize;
        if r.classes[s].host_network {
            return ALL;
        }
        let admin = &r.admin_selecting[dir][s];
        if admin.is_empty() {
            return np.unwrap_or(ALL);
        }
        let mut remaining = ALL;
        let mut allowed = NONE;
        let mut passed = NONE;
        let is_anp = |pi: &u32| r.policies[*pi as usize].kind == PolicyKind::AdminNetworkPolicy;
        for &pi in admin.iter().filter(|pi| is_anp(pi)) {
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
        for &pi in admin.iter().filter(|pi| !is_anp(pi)) {
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
        let r = self.r;
        let rules = r.policies[pi as usize].rules(direction(dir)).unwrap_or(&[]);
        let mut out = Vec::new();
        for (ri, rule) in rules.iter().enumerate() {
            if r.rule_matches[pi as usize][dir][ri].contains(peer) {
                out.push((rule.action, self.rule_conn(dir, pi, ri, subject, peer)));
            }
        }
        out
    }

    /// Everything class `s` may reach: every class, then every external destination block.
    pub fn row(&mut self, s: u32) -> Vec<ConnId> {
        let nc = self.r.classes.len();
        let out_np = self.np_row(EGRESS, s);
        let np = |p: usize| out_np.as_ref().map(|row| row[p]);
        let in_np = self.np_towards(INGRESS, s);
        let mut line = Vec::with_capacity(self.r.peer_count(EGRESS));
        for d in 0..nc as u32 {
            let out = self.side(EGRESS, s, PeerRef::Class(d), np(d as usize));
            let cell = if out == NONE {
                NONE
            } else {
                let inn = self.side(INGRESS, d, PeerRef::Class(s), in_np[d as usize]);
                self.conns.intersect(out, inn)
            };
            line.push(cell);
        }
        for b in 0..self.r.blocks[EGRESS].len() {
            line.push(self.side(EGRESS, s, PeerRef::Block(b as u32), np(nc + b)));
        }
        line
    }

    /// Everything that may reach class `d`: every class, then every external source block.
    pub fn column(&mut self, d: u32) -> Vec<ConnId> {
        let nc = self.r.classes.len();
        let in_np = self.np_row(INGRESS, d);
        let np = |p: usize| in_np.as_ref().map(|row| row[p]);
        let out_np = self.np_towards(EGRESS, d);
        let mut line = Vec::with_capacity(self.r.peer_count(INGRESS));
        for s in 0..nc as u32 {
            let inn = self.side(INGRESS, d, PeerRef::Class(s), np(s as usize));
            let cell = if inn == NONE {
                NONE
            } else {
                let out = self.side(EGRESS, s, PeerRef::Class(d), out_np[s as usize]);
                self.conns.intersect(out, inn)
            };
            line.push(cell);
        }
        for b in 0..self.r.blocks[INGRESS].len() {
            line.push(self.side(INGRESS, d, PeerRef::Block(b as u32), np(nc + b)));
        }
        line
    }

    /// The whole class matrix. One NetworkPolicy row is held at a time: egress rows fill the
    /// matrix with what each source allows, ingress rows then cut it down per destination.
    pub fn full(&mut self) -> FullCells {
        let r = self.r;
        let nc = r.classes.len();
        let (nb_in, nb_out) = (r.blocks[INGRESS].len(), r.blocks[EGRESS].len());
        let mut class_pair = vec![NONE; nc * nc];
        let mut class_to_block = vec![NONE; nc * nb_out];
        for s in 0..nc {
            let out_np = self.np_row(EGRESS, s as u32);
            let np = |p: usize| out_np.as_ref().map(|row| row[p]);
            for d in 0..nc {
                class_pair[s * nc + d] = self.side(EGRESS, s as u32, PeerRef::Class(d as u32), np(d));
            }
            for b in 0..nb_out {
                class_to_block[s * nb_out + b] = self.side(EGRESS, s as u32, PeerRef::Block(b as u32), np(nc + b));
            }
        }
        let mut block_to_class = vec![NONE; nb_in * nc];
        for d in 0..nc {
            let in_np = self.np_row(INGRESS, d as u32);
            let np = |p: usize| in_np.as_ref().map(|row| row[p]);
            for s in 0..nc {
                let out = class_pair[s * nc + d];
                if out != NONE {
                    let inn = self.side(INGRESS, d as u32, PeerRef::Class(s as u32), np(s));
                    class_pair[s * nc + d] = self.conns.intersect(out, inn);
                }
            }
            for b in 0..nb_in {
                block_to_class[b * nc + d] = self.side(INGRESS, d as u32, PeerRef::Block(b as u32), np(nc + b));
            }
        }
        FullCells { class_pair, class_to_block, block_to_class }
    }
}

/// The dense class matrix and the class/external-block rectangles.
pub(crate) struct FullCells {
    pub class_pair: Vec<ConnId>,
    pub class_to_block: Vec<ConnId>,
    pub block_to_class: Vec<ConnId>,
}

/// For each class, the NetworkPolicy rules (per direction) whose peers include it, so that
/// "what do the other classes' policies say about this class" walks those rules rather than
/// every other class. Rules with many peers (`from: [{}]`, whole namespaces) are kept in a
/// short list tested per class instead of being listed under each of their peers.
pub(crate) struct PeerIndex {
    /// [direction][class] → (policy, rule) with at most `NARROW` class peers including it.
    narrow: [Vec<Vec<(u32, u32)>>; 2],
    /// [direction] → (policy, rule) with more class peers.
    broad: [Vec<(u32, u32)>; 2],
    /// Per policy: the classes it selects (empty for admin policies, decided in `side`).
    subject_classes: Vec<Vec<u32>>,
}

const NARROW: usize = 64;

impl PeerIndex {
    pub(crate) fn new(r: &Reachability) -> PeerIndex {
        let nc = r.classes.len();
        let mut narrow = [vec![Vec::new(); nc], vec![Vec::new(); nc]];
        let mut broad = [Vec::new(), Vec::new()];
        let mut subject_classes = vec![Vec::new(); r.policies.len()];
        for (pi, p) in r.policies.iter().enumerate() {
            if p.kind != PolicyKind::NetworkPolicy {
                continue;
            }
            subject_classes[pi] = r.subjects[pi].iter().map(|c| c as u32).collect();
            for dir in [INGRESS, EGRESS] {
                for (ri, m) in r.rule_matches[pi][dir].iter().enumerate() {
                    let key = (pi as u32, ri as u32);
                    if m.classes.len() > NARROW {
                        broad[dir].push(key);
                    } else {
                        m.classes.iter().for_each(|c| narrow[dir][c].push(key));
                    }
                }
            }
        }
        PeerIndex { narrow, broad, subject_classes }
    }
}
