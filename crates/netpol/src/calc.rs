//! Deciding cells: what one side (egress at the source, ingress at the destination) allows
//! towards one peer, and whole rows and columns of the matrix from that.
//!
//! Everything here is per profile (see `profiles.rs`): the subject of a side is a profile of
//! its space (source profiles for egress, destination profiles for ingress) and a peer is a
//! profile of the other space or an external block. A row is indexed by destination profiles
//! then egress blocks, a column by source profiles then ingress blocks.
//!
//! A [`Calc`] borrows the analysis read-only and an interner mutably, so the same code serves
//! the full matrix (built with the analysis' own interner), the focused rows and columns the
//! checks need, and a later full matrix built on a copy of the interner.

use crate::analysis::Analysis;
use crate::cells::{FullCells, SparseLine};
use crate::intern::{ALL, BitSet, ConnId, IdMap, Interner, NONE, bits_of};
use crate::policy::{Action, PolicyKind};
use crate::profiles::{DST, SRC, subject_space};
use crate::sides::{EGRESS, INGRESS, PeerRef, direction};

/// In a NetworkPolicy accumulator: no NetworkPolicy selects this subject.
const FREE: ConnId = ConnId::MAX;

/// (policy, direction, rule, destination profile whose named ports resolve the rule's).
type PortKey = (u32, u8, u32, u32);
const NO_PROFILE: u32 = u32::MAX;

pub(crate) struct Calc<'r> {
    pub r: &'r Analysis,
    pub conns: &'r mut Interner,
    /// Rules with named ports, resolved and interned per destination profile.
    ports: IdMap<PortKey, ConnId>,
    /// Reused buffers: a NetworkPolicy row, a NetworkPolicy column, the line being built, a
    /// profile's line and the counts of the values of a line.
    np: Vec<ConnId>,
    towards: Vec<ConnId>,
    acc: Vec<ConnId>,
    line: Vec<ConnId>,
    counts: Vec<u32>,
}

fn opt(np: ConnId) -> Option<ConnId> {
    (np != FREE).then_some(np)
}

impl<'r> Calc<'r> {
    pub fn new(r: &'r Analysis, conns: &'r mut Interner) -> Calc<'r> {
        Calc { r, conns, ports: IdMap::default(), np: Vec::new(), towards: Vec::new(), acc: Vec::new(), line: Vec::new(), counts: Vec::new() }
    }

    /// The connections rule `ri` of policy `pi` covers towards the destination: ingress rules
    /// resolve named ports on the subject, egress rules on the peer; external destinations
    /// have no named ports. Rules without named ports were interned by the analysis.
    fn rule_conn(&mut self, dir: usize, pi: u32, ri: usize, subject: u32, peer: PeerRef) -> ConnId {
        let r = self.r;
        if let Some(&Some(fixed)) = r.fixed_ports[pi as usize][dir].get(ri) {
            return fixed;
        }
        let owner = match (dir, peer) {
            (INGRESS, _) => subject,
            (_, PeerRef::Profile(p)) => p,
            (_, PeerRef::Block(_)) => NO_PROFILE,
        };
        let key = (pi, dir as u8, ri as u32, owner);
        if let Some(&c) = self.ports.get(&key) {
            return c;
        }
        let Some(rule) = r.policies[pi as usize].rules(direction(dir)).and_then(|rules| rules.get(ri)) else { return NONE };
        let named = (owner != NO_PROFILE).then(|| r.classes[r.profiles[DST].rep[owner as usize] as usize].named_ports.as_slice());
        let c = self.conns.intern(rule.ports.resolve(named));
        self.ports.insert(key, c);
        c
    }

    /// What the NetworkPolicies selecting `subject` in `dir` allow towards/from every peer
    /// (profiles, then external blocks), into `row`; `false` (row untouched) when none
    /// selects it or it is exempt.
    fn np_row_into(&mut self, dir: usize, subject: u32, row: &mut Vec<ConnId>) -> bool {
        let r = self.r;
        let space = &r.profiles[subject_space(dir)];
        let s = subject as usize;
        if !space.isolated[s] || space.host[s] {
            return false;
        }
        let peers = r.profiles[dir].len();
        row.clear();
        row.resize(peers + r.blocks[dir].len(), NONE);
        for &pi in &r.np_selecting[dir][space.rep[s] as usize] {
            for (ri, m) in r.rule_matches[pi as usize][dir].iter().enumerate() {
                let fixed = r.fixed_ports[pi as usize][dir].get(ri).copied().flatten();
                for p in m.profiles.iter() {
                    let conn = fixed.unwrap_or_else(|| self.rule_conn(dir, pi, ri, subject, PeerRef::Profile(p as u32)));
                    row[p] = self.conns.union(row[p], conn);
                }
                for b in m.blocks.iter() {
                    let conn = fixed.unwrap_or_else(|| self.rule_conn(dir, pi, ri, subject, PeerRef::Block(b as u32)));
                    row[peers + b] = self.conns.union(row[peers + b], conn);
                }
            }
        }
        true
    }

    /// What the NetworkPolicies of every subject profile allow in `dir` towards (egress) or
    /// from (ingress) peer profile `peer`, into `out` (`FREE` where none selects it). `rules`
    /// are the NetworkPolicy rules of `dir` whose peers include `peer` (see [`FocusIndex`]).
    fn np_towards_into(&mut self, dir: usize, peer: u32, index: &FocusIndex, out: &mut Vec<ConnId>) {
        let r = self.r;
        let space = &r.profiles[subject_space(dir)];
        out.clear();
        out.extend(space.isolated.iter().map(|&iso| if iso { NONE } else { FREE }));
        for &(pi, ri) in index.towards[dir].get(peer as usize).into_iter().flatten() {
            for &s in &index.subjects[dir][pi as usize] {
                let cell = out[s as usize];
                if cell != FREE {
                    let conn = self.rule_conn(dir, pi, ri as usize, s, PeerRef::Profile(peer));
                    out[s as usize] = self.conns.union(cell, conn);
                }
            }
        }
    }

    /// What one side (subject profile `subject` in `dir`) allows towards/from `peer`, given
    /// what its NetworkPolicies allow (`np`, `None` when none selects it).
    #[inline]
    pub fn side(&mut self, dir: usize, subject: u32, peer: PeerRef, np: Option<ConnId>) -> ConnId {
        let space = &self.r.profiles[subject_space(dir)];
        let s = subject as usize;
        if space.host[s] {
            return ALL;
        }
        if !space.admin[s] {
            return np.unwrap_or(ALL);
        }
        self.admin_side(dir, subject, peer, np)
    }

    /// [`Self::side`] for a subject some admin policy selects: the tiers in order.
    #[inline(never)]
    fn admin_side(&mut self, dir: usize, subject: u32, peer: PeerRef, np: Option<ConnId>) -> ConnId {
        let r = self.r;
        let admin = &r.admin_selecting[dir][r.profiles[subject_space(dir)].rep[subject as usize] as usize];
        let mut remaining = ALL;
        let mut allowed = NONE;
        let mut passed = NONE;
        let is_anp = |pi: &u32| r.policies[*pi as usize].kind == PolicyKind::AdminNetworkPolicy;
        for &pi in admin.iter().filter(|pi| is_anp(pi)) {
            let rules = r.policies[pi as usize].rules(direction(dir)).unwrap_or(&[]);
            for (ri, rule) in rules.iter().enumerate() {
                if !r.rule_matches[pi as usize][dir][ri].contains(peer) {
                    continue;
                }
                let conn = self.rule_conn(dir, pi, ri, subject, peer);
                let eff = self.conns.intersect(conn, remaining);
                if eff == NONE {
                    continue;
                }
                match rule.action {
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
            let rules = r.policies[pi as usize].rules(direction(dir)).unwrap_or(&[]);
            for (ri, rule) in rules.iter().enumerate() {
                if !r.rule_matches[pi as usize][dir][ri].contains(peer) {
                    continue;
                }
                let conn = self.rule_conn(dir, pi, ri, subject, peer);
                let eff = self.conns.intersect(conn, rest);
                if rule.action == Action::Allow {
                    allowed = self.conns.union(allowed, eff);
                }
                rest = self.conns.subtract(rest, eff);
            }
        }
        self.conns.union(allowed, rest)
    }

    /// A focus slot's line: for `dir` = EGRESS its row (everything source slot `slot` may
    /// reach: every destination slot, then every external destination block), for INGRESS its
    /// column (everything that may reach destination slot `slot`: every source slot, then every
    /// external source block). A combined slot's line is the union of its profiles' lines, and
    /// a combined peer's cell the union of its profiles' cells.
    pub fn line(&mut self, dir: usize, slot: u32, index: &FocusIndex) -> SparseLine {
        let r = self.r;
        if r.profiles[subject_space(dir)].members(slot).all(|s| self.only_own_rules(dir, s)) {
            return self.sparse_line(dir, slot, index);
        }
        self.dense_line(dir, slot, index)
    }

    /// [`Self::line`] through every peer profile, whatever the subject.
    fn dense_line(&mut self, dir: usize, slot: u32, index: &FocusIndex) -> SparseLine {
        let r = self.r;
        let (mut acc, mut line) = (std::mem::take(&mut self.acc), std::mem::take(&mut self.line));
        acc.clear();
        for (i, subject) in r.profiles[subject_space(dir)].members(slot).enumerate() {
            self.profile_line_into(dir, subject, index, if i == 0 { &mut acc } else { &mut line });
            if i > 0 {
                for (a, &b) in acc.iter_mut().zip(&line) {
                    *a = self.conns.union(*a, b);
                }
            }
        }
        // The peers of a `dir` side are slots of space `dir` (see `profiles::SRC`): profiles,
        // then combined sets, then the blocks.
        let peers = &r.profiles[dir];
        if !peers.combined.is_empty() {
            let blocks = acc.split_off(peers.len());
            for set in &peers.combined {
                let cell = set.iter().fold(NONE, |c, &p| self.conns.union(c, acc[p as usize]));
                acc.push(cell);
            }
            acc.extend(blocks);
        }
        let sparse = SparseLine::from_dense(&acc, &mut self.counts);
        (self.acc, self.line) = (acc, line);
        sparse
    }

    /// Whether the subject's side allows nothing but what its own NetworkPolicies' rules
    /// name: NetworkPolicies select it in `dir`, no admin policy does, and it is not in the
    /// host network. Its line is then denied everywhere but at those rules' peers, and is
    /// built from them alone ([`Self::sparse_line`]).
    fn only_own_rules(&self, dir: usize, subject: u32) -> bool {
        let space = &self.r.profiles[subject_space(dir)];
        let s = subject as usize;
        space.isolated[s] && !space.host[s] && !space.admin[s]
    }

    /// [`Self::line`] for a slot whose profiles all allow only what their own rules name:
    /// the same cells, visiting only the peers those rules name (and the combined slots that
    /// hold them) instead of every profile, so that its cost follows the rules rather than the
    /// size of the cluster. A default-deny namespace's workloads are the common case.
    fn sparse_line(&mut self, dir: usize, slot: u32, index: &FocusIndex) -> SparseLine {
        let r = self.r;
        let peers = r.profiles[dir].len();
        let mut cells: Vec<(u32, ConnId)> = Vec::new();
        for subject in r.profiles[subject_space(dir)].members(slot) {
            let line = self.own_rules_line(dir, subject, index);
            cells.extend(line);
        }
        let cells = self.merged(cells);
        // Positions are profiles, then combined sets of profiles, then blocks (see `line`).
        let combined = &r.profiles[dir].combined;
        let mut sets: Vec<u32> = cells.iter().filter(|&&(p, _)| (p as usize) < peers).flat_map(|&(p, _)| index.combined_of[dir].get(p as usize).into_iter().flatten().copied()).collect();
        sets.sort_unstable();
        sets.dedup();
        let cell_at = |p: u32| cells.binary_search_by_key(&p, |&(q, _)| q).map_or(NONE, |i| cells[i].1);
        let mut except: Vec<(u32, ConnId)> = Vec::with_capacity(cells.len() + sets.len());
        except.extend(cells.iter().take_while(|&&(p, _)| (p as usize) < peers));
        for j in sets {
            let cell = combined[j as usize].iter().fold(NONE, |c, &p| self.conns.union(c, cell_at(p)));
            except.push((peers as u32 + j, cell));
        }
        except.extend(cells.iter().skip_while(|&&(p, _)| (p as usize) < peers).map(|&(p, c)| (p + combined.len() as u32, c)));
        except.retain(|&(_, c)| c != NONE);
        SparseLine { default: NONE, except }
    }

    /// (position, cell) pairs ascending by position, one per position: the union of its
    /// cells, taken in the order given (so that the interner is asked as a dense line would).
    fn merged(&mut self, mut cells: Vec<(u32, ConnId)>) -> Vec<(u32, ConnId)> {
        cells.sort_by_key(|&(position, _)| position);
        let mut out: Vec<(u32, ConnId)> = Vec::with_capacity(cells.len());
        for (position, cell) in cells {
            match out.last_mut() {
                Some((last, acc)) if *last == position => *acc = self.conns.union(*acc, cell),
                _ => out.push((position, cell)),
            }
        }
        out
    }

    /// The cells of one profile's line (positions over profiles, then blocks) that are not
    /// denied, ascending, for a subject that allows only what its own rules name
    /// ([`Self::only_own_rules`]): its NetworkPolicy rules' peers, each cut down by the peer's
    /// opposite side, the same operations as [`Self::profile_line_into`].
    fn own_rules_line(&mut self, dir: usize, subject: u32, index: &FocusIndex) -> Vec<(u32, ConnId)> {
        let r = self.r;
        let other = if dir == EGRESS { INGRESS } else { EGRESS };
        let space = &r.profiles[subject_space(dir)];
        let peers = r.profiles[dir].len();
        // What the subject's NetworkPolicies allow, per peer they name (as `np_row_into`).
        let mut own: Vec<(u32, ConnId)> = Vec::new();
        for &pi in &r.np_selecting[dir][space.rep[subject as usize] as usize] {
            for (ri, m) in r.rule_matches[pi as usize][dir].iter().enumerate() {
                let fixed = r.fixed_ports[pi as usize][dir].get(ri).copied().flatten();
                for p in m.profiles.iter() {
                    let conn = fixed.unwrap_or_else(|| self.rule_conn(dir, pi, ri, subject, PeerRef::Profile(p as u32)));
                    own.push((p as u32, conn));
                }
                for b in m.blocks.iter() {
                    let conn = fixed.unwrap_or_else(|| self.rule_conn(dir, pi, ri, subject, PeerRef::Block(b as u32)));
                    own.push(((peers + b) as u32, conn));
                }
            }
        }
        let own = self.merged(own);
        // What the peers' NetworkPolicies allow from/towards the subject (as `np_towards_into`),
        // for the isolated peers some rule names it in.
        let peer_space = &r.profiles[subject_space(other)];
        let mut theirs: Vec<(u32, ConnId)> = Vec::new();
        for &(pi, ri) in index.towards[other].get(subject as usize).into_iter().flatten() {
            for &p in &index.subjects[other][pi as usize] {
                if peer_space.isolated[p as usize] {
                    theirs.push((p, self.rule_conn(other, pi, ri as usize, p, PeerRef::Profile(subject))));
                }
            }
        }
        let theirs = self.merged(theirs);
        let mut out = Vec::with_capacity(own.len());
        for (position, own_np) in own {
            if own_np == NONE {
                continue;
            }
            let p = position as usize;
            let cell = if p < peers {
                let np_other = if peer_space.isolated[p] { theirs.binary_search_by_key(&position, |&(q, _)| q).map_or(NONE, |i| theirs[i].1) } else { FREE };
                let their_side = self.side(other, position, PeerRef::Profile(subject), opt(np_other));
                if dir == EGRESS { self.conns.intersect(own_np, their_side) } else { self.conns.intersect(their_side, own_np) }
            } else {
                own_np
            };
            if cell != NONE {
                out.push((position, cell));
            }
        }
        out
    }

    /// The dense line of one profile (see [`Self::line`]) over profiles then blocks, into
    /// `line`. A cell between profiles is what the subject's side allows, cut down by the
    /// peer's opposite side.
    fn profile_line_into(&mut self, dir: usize, subject: u32, index: &FocusIndex, line: &mut Vec<ConnId>) {
        let other = if dir == EGRESS { INGRESS } else { EGRESS };
        let (mut np, mut towards) = (std::mem::take(&mut self.np), std::mem::take(&mut self.towards));
        let selected = self.np_row_into(dir, subject, &mut np);
        let own_np = |p: usize| selected.then(|| np[p]);
        self.np_towards_into(other, subject, index, &mut towards);
        let n = self.r.profiles[dir].len();
        line.clear();
        for (p, &np_other) in towards.iter().enumerate().take(n) {
            let own = self.side(dir, subject, PeerRef::Profile(p as u32), own_np(p));
            let cell = if own == NONE {
                NONE
            } else {
                let theirs = self.side(other, p as u32, PeerRef::Profile(subject), opt(np_other));
                // (egress, ingress), in the order the interner has always been asked.
                if dir == EGRESS { self.conns.intersect(own, theirs) } else { self.conns.intersect(theirs, own) }
            };
            line.push(cell);
        }
        for b in 0..self.r.blocks[dir].len() {
            line.push(self.side(dir, subject, PeerRef::Block(b as u32), own_np(n + b)));
        }
        (self.np, self.towards) = (np, towards);
    }

    /// The whole profile matrix. One NetworkPolicy row is held at a time: egress rows fill
    /// the matrix with what each source allows, ingress rows then cut it down per destination.
    pub fn full(&mut self) -> FullCells {
        let r = self.r;
        let (ns, nd) = (r.profiles[SRC].len(), r.profiles[DST].len());
        let (nb_in, nb_out) = (r.blocks[INGRESS].len(), r.blocks[EGRESS].len());
        let mut np = std::mem::take(&mut self.np);
        let mut pair = vec![NONE; ns * nd];
        let mut to_block = vec![NONE; ns * nb_out];
        for s in 0..ns {
            let selected = self.np_row_into(EGRESS, s as u32, &mut np);
            let out_np = |p: usize| selected.then(|| np[p]);
            for d in 0..nd {
                pair[s * nd + d] = self.side(EGRESS, s as u32, PeerRef::Profile(d as u32), out_np(d));
            }
            for b in 0..nb_out {
                to_block[s * nb_out + b] = self.side(EGRESS, s as u32, PeerRef::Block(b as u32), out_np(nd + b));
            }
        }
        let mut from_block = vec![NONE; nb_in * nd];
        for d in 0..nd {
            let selected = self.np_row_into(INGRESS, d as u32, &mut np);
            let in_np = |p: usize| selected.then(|| np[p]);
            for s in 0..ns {
                let out = pair[s * nd + d];
                if out != NONE {
                    let inn = self.side(INGRESS, d as u32, PeerRef::Profile(s as u32), in_np(s));
                    pair[s * nd + d] = self.conns.intersect(out, inn);
                }
            }
            for b in 0..nb_in {
                from_block[b * nd + d] = self.side(INGRESS, d as u32, PeerRef::Block(b as u32), in_np(ns + b));
            }
        }
        self.np = np;
        self.with_combined(FullCells { pair, to_block, from_block })
    }

    /// The profile matrix extended to slots: a column per combined destination set and a row
    /// per combined source set, each the union of its profiles' columns or rows.
    fn with_combined(&mut self, base: FullCells) -> FullCells {
        let r = self.r;
        let (src, dst) = (&r.profiles[SRC], &r.profiles[DST]);
        if src.combined.is_empty() && dst.combined.is_empty() {
            return base;
        }
        let (ns, nd, cs, cd) = (src.len(), dst.len(), src.slots(), dst.slots());
        let (nb_in, nb_out) = (r.blocks[INGRESS].len(), r.blocks[EGRESS].len());
        let conns = &mut *self.conns;
        let union_of = |conns: &mut Interner, cells: &mut dyn Iterator<Item = ConnId>| cells.fold(NONE, |acc, c| conns.union(acc, c));
        let mut pair = vec![NONE; cs * cd];
        for s in 0..ns {
            pair[s * cd..s * cd + nd].copy_from_slice(&base.pair[s * nd..(s + 1) * nd]);
            for (j, set) in dst.combined.iter().enumerate() {
                pair[s * cd + nd + j] = union_of(conns, &mut set.iter().map(|&q| base.pair[s * nd + q as usize]));
            }
        }
        let mut to_block = base.to_block;
        to_block.resize(cs * nb_out, NONE);
        for (i, set) in src.combined.iter().enumerate() {
            let s = ns + i;
            for d in 0..cd {
                pair[s * cd + d] = union_of(conns, &mut set.iter().map(|&p| pair[p as usize * cd + d]));
            }
            for b in 0..nb_out {
                to_block[s * nb_out + b] = union_of(conns, &mut set.iter().map(|&p| to_block[p as usize * nb_out + b]));
            }
        }
        let mut from_block = vec![NONE; nb_in * cd];
        for b in 0..nb_in {
            from_block[b * cd..b * cd + nd].copy_from_slice(&base.from_block[b * nd..(b + 1) * nd]);
            for (j, set) in dst.combined.iter().enumerate() {
                from_block[b * cd + nd + j] = union_of(conns, &mut set.iter().map(|&q| base.from_block[b * nd + q as usize]));
            }
        }
        FullCells { pair, to_block, from_block }
    }
}

/// What the focus lines need to know about the other end's NetworkPolicies: for each focus
/// profile, the NetworkPolicy rules whose peers include it, so that "what do the other
/// profiles' policies say about this one" walks those rules only.
pub(crate) struct FocusIndex {
    /// [dir][peer profile of space `dir`] → (policy, rule) of `dir` whose peers include it;
    /// filled for focus profiles only.
    towards: [Vec<Vec<(u32, u32)>>; 2],
    /// [dir][policy] → the profiles (of the subject space of `dir`) a NetworkPolicy selects.
    subjects: [Vec<Vec<u32>>; 2],
    /// [space][profile] → the combined sets of that space holding it.
    combined_of: [Vec<Vec<u32>>; 2],
}

impl FocusIndex {
    /// `focus[space]`: the focus profiles of each space (rows are wanted for focus source
    /// profiles, columns for focus destination profiles).
    pub(crate) fn new(r: &Analysis, focus: &[BitSet; 2]) -> FocusIndex {
        let mut towards: [Vec<Vec<(u32, u32)>>; 2] = [vec![Vec::new(); r.profiles[SRC].len()], vec![Vec::new(); r.profiles[DST].len()]];
        let mut subjects: [Vec<Vec<u32>>; 2] = [vec![Vec::new(); r.policies.len()], vec![Vec::new(); r.policies.len()]];
        for (pi, p) in r.policies.iter().enumerate() {
            if p.kind != PolicyKind::NetworkPolicy {
                continue;
            }
            for dir in [INGRESS, EGRESS] {
                let mut used = false;
                for (ri, m) in r.rule_matches[pi][dir].iter().enumerate() {
                    let words = m.profiles.words().iter().zip(focus[dir].words());
                    for (wi, (a, b)) in words.enumerate() {
                        for p in bits_of(wi, a & b) {
                            towards[dir][p].push((pi as u32, ri as u32));
                            used = true;
                        }
                    }
                }
                if used {
                    let space = &r.profiles[subject_space(dir)];
                    let mut list: Vec<u32> = r.class_sets[r.subjects[pi] as usize].iter().map(|c| space.of_class[c]).collect();
                    list.sort_unstable();
                    list.dedup();
                    subjects[dir][pi] = list;
                }
            }
        }
        let combined_of = [SRC, DST].map(|space| {
            let profiles = &r.profiles[space];
            let mut of: Vec<Vec<u32>> = vec![Vec::new(); if profiles.combined.is_empty() { 0 } else { profiles.len() }];
            for (j, set) in profiles.combined.iter().enumerate() {
                set.iter().for_each(|&p| of[p as usize].push(j as u32));
            }
            of
        });
        FocusIndex { towards, subjects, combined_of }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Options;
    use crate::tests::{inventory, larger_cluster, profiled_cluster, split_cluster};

    /// Every slot whose line may be built sparsely gets the same cells both ways, in both
    /// directions, on clusters with default-deny namespaces, named ports, ipBlocks, host
    /// networking, admin policies and split workloads.
    #[test]
    fn sparse_lines_equal_dense_lines() {
        let mut sparse_slots = 0;
        for inv in [larger_cluster(), inventory(profiled_cluster()), inventory(split_cluster())] {
            for options in [Options::default(), Options { host_network_exempt: false }] {
                let (r, mut conns) = Analysis::build(&inv, options);
                let every = [BitSet::full(r.profiles[SRC].len()), BitSet::full(r.profiles[DST].len())];
                let index = FocusIndex::new(&r, &every);
                let mut calc = Calc::new(&r, &mut conns);
                for dir in [EGRESS, INGRESS] {
                    let positions = r.profiles[dir].slots() + r.blocks[dir].len();
                    for slot in 0..r.profiles[subject_space(dir)].slots() as u32 {
                        if !r.profiles[subject_space(dir)].members(slot).all(|s| calc.only_own_rules(dir, s)) {
                            continue;
                        }
                        sparse_slots += 1;
                        let (sparse, dense) = (calc.sparse_line(dir, slot, &index), calc.dense_line(dir, slot, &index));
                        for position in 0..positions {
                            assert_eq!(calc.conns.get(sparse.get(position)), calc.conns.get(dense.get(position)), "dir {dir} slot {slot} position {position}");
                        }
                    }
                }
            }
        }
        assert!(sparse_slots > 50, "{sparse_slots}");
    }
}
