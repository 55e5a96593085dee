//! Everything the matrix is computed from: the topology (namespaces, pod classes, workloads),
//! the compiled policies, the external blocks, which policies select which classes, which peers
//! each rule matches, and the profiles. Built once per input; the cells (`calc.rs`) and the
//! public answers (`engine.rs`) read it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use kubepci_inventory::Inventory;
use kubepci_model::Resource;
use kubepci_model::hash::FastMap;

use crate::endpoints::{NAMESPACE_NAME_LABEL, NamespaceEntry, PodClass, Topology, WorkloadEndpoint, build_topology};
use crate::ingress::{self, ASSUMED_CONTROLLER_NAMESPACE, Forwarder, IngressModel};
use crate::intern::{BitSet, ClassSet, ConnId, IdMap, Interner};
use crate::ipblocks::{IpSet, disjoint_blocks};
use crate::policy::{NamespaceMatch, Peer, Peers, PodMatch, Policy, PolicyKind, PolicyWarning, Rule, compile_admin_policy, compile_network_policy};
use crate::profiles::Space;
use crate::sides::{EGRESS, INGRESS, PeerRef};

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

/// The analysis of one input, everything but the cells.
pub(crate) struct Analysis {
    pub options: Options,
    /// The namespaces of the input: the first ones of `namespaces` (the assumed ingress
    /// controller's may follow).
    pub declared_namespaces: usize,
    pub namespaces: Vec<NamespaceEntry>,
    pub classes: Vec<PodClass>,
    pub workloads: Vec<WorkloadEndpoint>,
    pub policies: Vec<Policy>,
    pub warnings: Vec<PolicyWarning>,
    /// External blocks per direction: `[INGRESS]` are sources, `[EGRESS]` destinations.
    pub blocks: [Vec<IpSet>; 2],
    /// Distinct class sets that policies select (subjects and rule peers).
    pub class_sets: Vec<ClassSet>,
    /// Per policy: its subject classes (an index into `class_sets`).
    pub subjects: Vec<u32>,
    /// Per policy, per direction, per rule.
    pub rule_matches: Vec<[Vec<RuleMatch>; 2]>,
    /// Per direction, per class: NetworkPolicies selecting the class.
    pub np_selecting: [Vec<Vec<u32>>; 2],
    /// Per direction, per class: admin policies selecting it, ANPs by priority then the BANP.
    pub admin_selecting: [Vec<Vec<u32>>; 2],
    /// `[SRC]`: classes alike as sources; `[DST]`: alike as destinations.
    pub profiles: [Space; 2],
    /// Per policy, per direction, per rule: its ports interned, for rules without named ports
    /// (the same towards every destination).
    pub fixed_ports: Vec<[Vec<Option<ConnId>>; 2]>,
    /// The ingress paths (Ingress, Route, Gateway API routes).
    pub ingress: IngressModel,
    /// The class of the assumed ingress controller, when some path needs it.
    pub assumed_controller: Option<u32>,
}

impl Analysis {
    /// Topology, compiled policies, external blocks, which policies select which classes and
    /// which peers each rule matches; with the interner holding the rules' fixed ports.
    pub fn build(inv: &Inventory, options: Options) -> (Analysis, Interner) {
        let Topology { mut namespaces, mut classes, workloads, mut classes_by_namespace } = build_topology(inv);
        if !options.host_network_exempt {
            classes.iter_mut().for_each(|c| c.host_network = false);
        }
        let (policies, mut warnings) = compile_policies(inv);
        let declared_namespaces = namespaces.len();
        let ingress = ingress::build(inv, &ingress::Pods::new(&namespaces, &classes, &classes_by_namespace), &mut warnings);
        // The assumed controller is a pod like any other to the policies (a class of its own,
        // in no workload), so that every tier decides what it may open.
        let assumed_controller = ingress.needs_assumed_controller().then(|| {
            let ns = match namespaces.iter().position(|n| n.name == ASSUMED_CONTROLLER_NAMESPACE) {
                Some(i) => i,
                None => {
                    let labels = BTreeMap::from([(NAMESPACE_NAME_LABEL.to_string(), ASSUMED_CONTROLLER_NAMESPACE.to_string())]);
                    namespaces.push(NamespaceEntry { name: ASSUMED_CONTROLLER_NAMESPACE.to_string(), labels });
                    classes_by_namespace.push(Vec::new());
                    namespaces.len() - 1
                }
            };
            classes.push(PodClass { namespace: ns as u32, labels: BTreeMap::new(), named_ports: Vec::new(), host_network: false });
            classes_by_namespace[ns].push(classes.len() as u32 - 1);
            classes.len() as u32 - 1
        });
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
        let mut r = Analysis {
            options,
            declared_namespaces,
            ingress,
            assumed_controller,
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
        };
        r.match_policies(&classes_by_namespace);
        for space in &mut r.profiles {
            space.place_workloads(r.workloads.iter().map(|w| w.classes.as_slice()));
        }
        (r, conns)
    }

    /// The classes that forward traffic for forwarder `f` (the assumed controller's, or the
    /// controller pods').
    pub fn forwarder_classes(&self, f: u32) -> Vec<u32> {
        match &self.ingress.forwarders[f as usize] {
            Forwarder::Pods(classes) => classes.clone(),
            Forwarder::Assumed => self.assumed_controller.into_iter().collect(),
        }
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
    r: &'r Analysis,
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
    fn new(r: &'r Analysis, classes_by_namespace: &'r [Vec<u32>]) -> Self {
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
