//! Profiles: pod classes that no policy can tell apart in one role of a connection.
//!
//! Classes split pods by every label, but most labels are read by no policy (each workload's
//! own `app`, say), so many classes get identical rows and identical columns. A cell
//! (source S, destination D) is decided by:
//!
//! - the egress side at S: S's host networking, the NetworkPolicies and admin policies that
//!   select S for egress, and for each of their rules whether D is among its peers and which
//!   ports it covers towards D (named ports resolve on D);
//! - the ingress side at D: D's host networking, the policies selecting D for ingress, whether
//!   S is among each rule's peers, and the ports towards D (again D's named ports).
//!
//! So two classes with the same *source profile* (host networking, policies selecting them for
//! egress, membership in every ingress rule's peers) have identical rows, and two classes with
//! the same *destination profile* (host networking, policies selecting them for ingress,
//! membership in every egress rule's peers, and the same container ports under every name a
//! rule mentions) have identical columns. A source's named ports never matter. The matrix is
//! computed over source profiles × destination profiles; a class is answered through its
//! profile.
//!
//! Profiles are built exactly, by partition refinement (never by hashing rule memberships):
//! classes start grouped by their selecting policies, host networking and named ports, and
//! each rule's peer set then splits every group it cuts.

use std::collections::{HashMap, HashSet};

use crate::endpoints::PodClass;
use crate::intern::{BitSet, ClassSet, IdMap};
use crate::policy::{NamedPort, Policy, PortSpec, Ports};
use crate::sides::{EGRESS, INGRESS};

/// Profiles of classes as sources: subjects of egress sides, peers of ingress rules.
/// Equal to `INGRESS`, so that the peer space of a direction is indexed by the direction.
pub(crate) const SRC: usize = INGRESS;
/// Profiles of classes as destinations: subjects of ingress sides, peers of egress rules.
pub(crate) const DST: usize = EGRESS;

/// The profile space of the subject of a `dir` side (the source for egress, the destination
/// for ingress); its peers are in space `dir` itself.
pub(crate) fn subject_space(dir: usize) -> usize {
    if dir == EGRESS { SRC } else { DST }
}

/// The direction in which a space's profiles are the subject.
fn subject_dir(space: usize) -> usize {
    if space == SRC { EGRESS } else { INGRESS }
}

/// The profiles of one space.
#[derive(Clone, Debug, Default)]
pub(crate) struct Space {
    /// Per class: its profile.
    pub of_class: Vec<u32>,
    /// Per profile: its smallest class, which stands for all of them.
    pub rep: Vec<u32>,
    /// Per profile: host-network pods (not subject to policies when exempt).
    pub host: Vec<bool>,
    /// Per profile: some NetworkPolicy selects it in the direction where it is the subject.
    pub isolated: Vec<bool>,
    /// Per profile: some admin policy selects it in that direction.
    pub admin: Vec<bool>,
    /// Workloads whose pods fall into several profiles: each distinct set of profiles
    /// (ascending, at least two) is a *combined slot*, numbered after the profiles.
    pub combined: Vec<Vec<u32>>,
    /// Per workload: its slot (its profile, or `len() + i` for combined set `i`).
    pub of_workload: Vec<u32>,
    /// Per slot: its workloads, ascending.
    pub workloads: Vec<Vec<u32>>,
}

impl Space {
    /// The number of profiles.
    pub fn len(&self) -> usize {
        self.rep.len()
    }

    /// The number of slots: profiles, then combined sets of profiles.
    pub fn slots(&self) -> usize {
        self.rep.len() + self.combined.len()
    }

    /// The profiles of a slot: itself, or the members of a combined set.
    pub fn members(&self, slot: u32) -> impl Iterator<Item = u32> + '_ {
        let combined = (slot as usize).checked_sub(self.len()).map(|i| self.combined[i].as_slice());
        let single = combined.is_none().then_some(slot);
        combined.into_iter().flatten().copied().chain(single)
    }

    /// Give every workload (its classes, by index) a slot.
    pub fn place_workloads<'a>(&mut self, workloads: impl Iterator<Item = &'a [u32]>) {
        let mut index: HashMap<Vec<u32>, u32> = HashMap::new();
        for (w, classes) in workloads.enumerate() {
            let mut profiles: Vec<u32> = classes.iter().map(|&c| self.of_class[c as usize]).collect();
            profiles.sort_unstable();
            profiles.dedup();
            let slot = match profiles[..] {
                [one] => one,
                _ => {
                    let next = (self.len() + self.combined.len()) as u32;
                    *index.entry(profiles).or_insert_with_key(|set| {
                        self.combined.push(set.clone());
                        next
                    })
                }
            };
            self.of_workload.push(slot);
            if self.workloads.len() <= slot as usize {
                self.workloads.resize(slot as usize + 1, Vec::new());
            }
            self.workloads[slot as usize].push(w as u32);
        }
        self.workloads.resize(self.slots(), Vec::new());
    }

    /// The profiles a rule's peer classes cover. Every class of a profile is in the same rules,
    /// so a profile is either wholly in the set or wholly out of it; large sets are projected
    /// from their complement.
    pub fn project(&self, classes: &ClassSet) -> BitSet {
        let nc = self.of_class.len();
        let members = classes.len();
        if members * 2 > nc {
            let mut out = BitSet::full(self.len());
            for c in classes.bits(nc).iter_zeros(nc) {
                out.remove(self.of_class[c] as usize);
            }
            out
        } else {
            let mut out = BitSet::new(self.len());
            for c in classes.iter() {
                if let Some(&p) = self.of_class.get(c) {
                    out.insert(p as usize);
                }
            }
            out
        }
    }
}

/// What classes are first grouped by: host networking, the NetworkPolicies and the admin
/// policies selecting them as subject, and their named ports (an id; `u32::MAX` for none).
type GroupKey<'a> = (bool, &'a [u32], &'a [u32], u32);

/// Build both spaces. `rule_sets[dir]` are the distinct peer sets (indices into `sets`, sets
/// of classes) of the rules of direction `dir`.
pub(crate) fn build(
    classes: &[PodClass],
    policies: &[Policy],
    np_selecting: &[Vec<Vec<u32>>; 2],
    admin_selecting: &[Vec<Vec<u32>>; 2],
    sets: &[ClassSet],
    rule_sets: &[Vec<u32>; 2],
) -> [Space; 2] {
    // Only names some rule mentions can change what a rule resolves to.
    let mut names: HashSet<&str> = HashSet::new();
    for p in policies {
        for rule in p.ingress.iter().chain(&p.egress).flatten() {
            if let Ports::List(specs) = &rule.ports {
                for spec in specs {
                    if let PortSpec::Named(_, n) = spec {
                        names.insert(n.as_str());
                    }
                }
            }
        }
    }
    [SRC, DST].map(|space| {
        let dir = subject_dir(space);
        // Named ports (input text) get ids first, so that the per-class key is ids only.
        let mut port_ids: HashMap<Vec<&NamedPort>, u32> = HashMap::new();
        let mut keys: IdMap<GroupKey<'_>, u32> = IdMap::default();
        keys.reserve(classes.len());
        let mut group: Vec<u32> = classes
            .iter()
            .enumerate()
            .map(|(c, class)| {
                let ports: Vec<&NamedPort> = if space == DST && !names.is_empty() { class.named_ports.iter().filter(|p| names.contains(p.name.as_str())).collect() } else { Vec::new() };
                let next = port_ids.len() as u32;
                let ports = if ports.is_empty() { u32::MAX } else { *port_ids.entry(ports).or_insert(next) };
                let key = (class.host_network, np_selecting[dir][c].as_slice(), admin_selecting[dir][c].as_slice(), ports);
                let next = keys.len() as u32;
                *keys.entry(key).or_insert(next)
            })
            .collect();
        let groups = keys.len();
        // The peers of rules in direction `space` are this space's profiles.
        let groups = refine(&mut group, groups, rule_sets[space].iter().map(|&i| &sets[i as usize]));
        let (of_class, rep) = renumber(&group, groups);
        let side = |f: &dyn Fn(usize) -> bool| rep.iter().map(|&c| f(c as usize)).collect::<Vec<bool>>();
        let host = side(&|c| classes[c].host_network);
        let isolated = side(&|c| !np_selecting[dir][c].is_empty());
        let admin = side(&|c| !admin_selecting[dir][c].is_empty());
        Space { of_class, rep, host, isolated, admin, ..Space::default() }
    })
}

/// Split the groups of `group` (ids below `groups`) until no set cuts a group: afterwards two
/// classes share a group exactly when they did before and every set holds both or neither.
/// Returns the new bound on group ids.
fn refine<'a>(group: &mut [u32], groups: usize, sets: impl Iterator<Item = &'a ClassSet>) -> usize {
    let n = group.len();
    // Per group: the last set that split it, and the group its moved members went to.
    let mut stamp: Vec<u32> = vec![0; groups];
    let mut moved_to: Vec<u32> = vec![0; groups];
    for (i, set) in sets.enumerate() {
        let members = set.len();
        if members == 0 || members >= n {
            continue;
        }
        let mark = i as u32 + 1;
        // Moving the members or moving the rest splits the same way: move the fewer.
        let mut split = |c: usize| {
            let g = group[c] as usize;
            if stamp[g] != mark {
                stamp[g] = mark;
                moved_to[g] = stamp.len() as u32;
                stamp.push(0);
                moved_to.push(0);
            }
            group[c] = moved_to[g];
        };
        if members * 2 > n {
            set.bits(n).iter_zeros(n).for_each(&mut split);
        } else {
            set.iter().filter(|&c| c < n).for_each(&mut split);
        }
    }
    stamp.len()
}

/// Dense ids in order of first class, and each profile's first class (`group` ids are below
/// `groups`).
fn renumber(group: &[u32], groups: usize) -> (Vec<u32>, Vec<u32>) {
    let mut id: Vec<u32> = vec![u32::MAX; groups];
    let mut rep = Vec::new();
    let of_class = group
        .iter()
        .enumerate()
        .map(|(c, &g)| {
            let slot = &mut id[g as usize];
            if *slot == u32::MAX {
                *slot = rep.len() as u32;
                rep.push(c as u32);
            }
            *slot
        })
        .collect();
    (of_class, rep)
}

impl crate::Reachability {
    /// Workload `w`'s slot in the role whose peers `direction` lists (its destination slot
    /// for [`Direction::Ingress`], its source slot for [`Direction::Egress`]). Workloads of
    /// one slot have the same peers with the same connections, apart from each other: what
    /// they get from [`crate::Reachability::sources_of`] (or `destinations_of`) differs only
    /// in which of them is left out as the workload itself. A caller listing the peers of
    /// many workloads computes them once per slot.
    pub fn peer_slot(&self, w: usize, direction: crate::Direction) -> u32 {
        let space = match direction {
            crate::Direction::Ingress => DST,
            crate::Direction::Egress => SRC,
        };
        self.analysis.profiles[space].of_workload[w]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workloads_of_one_peer_slot_have_the_same_peers_but_themselves() {
        use crate::tests::{inventory, netpol, ns, pod};
        use crate::{Direction, Endpoint, Reachability};
        use serde_json::json;
        // a and b: the same policies (one deny-all-ingress in `x`); c is selected by no policy.
        let docs = vec![
            ns("x", json!({})),
            pod("x", "a", json!({"role": "db"})),
            pod("x", "b", json!({"role": "db"})),
            pod("x", "c", json!({"role": "web"})),
            netpol("x", "deny", json!({"podSelector": {"matchLabels": {"role": "db"}}, "policyTypes": ["Ingress"]})),
        ];
        let r = Reachability::compute(&inventory(docs));
        let find = |name: &str| match r.find_endpoint(&format!("x/{name}"), false) {
            Some(Endpoint::Workload(w)) => w as usize,
            other => panic!("{name}: {other:?}"),
        };
        let (a, b, c) = (find("a"), find("b"), find("c"));
        assert_eq!(r.peer_slot(a, Direction::Ingress), r.peer_slot(b, Direction::Ingress));
        assert_ne!(r.peer_slot(a, Direction::Ingress), r.peer_slot(c, Direction::Ingress));
        // Each list leaves out the workload itself; compared without either of the two.
        let others = |peers: Vec<(Endpoint, &crate::ConnSet)>| -> Vec<(Endpoint, String)> {
            peers.into_iter().filter(|(e, _)| !matches!(e, Endpoint::Workload(p) if [a, b].contains(&(*p as usize)))).map(|(e, c)| (e, c.to_string())).collect()
        };
        assert_eq!(others(r.sources_of(a)), others(r.sources_of(b)));
        assert!(r.sources_of(a).is_empty(), "a denies all ingress");
        assert!(!r.sources_of(c).is_empty(), "c is open");
        assert_eq!(r.peer_slot(a, Direction::Egress), r.peer_slot(b, Direction::Egress));
        assert_eq!(others(r.destinations_of(a)), others(r.destinations_of(b)));
    }

    fn set(n: usize, members: &[u32]) -> ClassSet {
        let b = BitSet::of(n, members);
        // Both forms, the opposite of what `from_sorted` would pick, so that the large set
        // is a list applied through its complement.
        if members.len() > 4 { ClassSet::Few(members.to_vec()) } else { ClassSet::Many(b) }
    }

    #[test]
    fn refinement_is_exact() {
        // Two initial groups; sets cut them; a large set is applied through its complement.
        let mut group = vec![0, 0, 0, 0, 1, 1, 1, 0];
        let sets = [set(8, &[0, 1, 4]), set(8, &[0, 1, 2, 3, 4, 5, 7]), set(8, &[]), ClassSet::Many(BitSet::full(8)), set(8, &[0, 1, 2, 3, 4, 5, 6, 7])];
        let groups = refine(&mut group, 2, sets.iter());
        assert_eq!(groups, 5);
        let (of_class, rep) = renumber(&group, groups);
        // {0,1} {2,3,7} {4} {5} {6}
        assert_eq!(of_class, [0, 0, 1, 1, 2, 3, 4, 1]);
        assert_eq!(rep, [0, 2, 4, 5, 6]);
        let space = Space { of_class, rep, ..Space::default() };
        assert_eq!(space.project(&sets[0]).iter().collect::<Vec<_>>(), [0, 2]);
        assert_eq!(space.project(&sets[1]).iter().collect::<Vec<_>>(), [0, 1, 2, 3]);
        assert_eq!(space.project(&sets[3]).iter().collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    }
}
