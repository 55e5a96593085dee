//! Searches over the escalation graph: shortest paths from one subject
//! ([`EscalationGraph::paths_from`]) and, for many subjects at once, the shortest route of
//! each into the CDE ([`EscalationGraph::cde_routes`]).
//!
//! Both walk the compact edges: a group edge ("create pods in namespace N" → every
//! ServiceAccount of N) is expanded member by member in name order, exactly where the
//! expanded edge list would have them, so ties between equally short paths are broken as in
//! the expanded graph; but a group is expanded at most once per search (after that every
//! member has been seen) and a step's text is only written for paths that are reported.

use std::collections::{BTreeMap, HashMap, VecDeque};

use super::{Action, EscalationGraph, Node, Path, Step, Target};
use crate::subject::Subject;

const UNSEEN: u32 = u32::MAX;
const NO_ACCESS: u32 = u32::MAX;

impl EscalationGraph<'_> {
    /// Subjects worth starting from: every bound subject and every ServiceAccount pods run as.
    pub fn start_subjects(&self) -> Vec<Subject> {
        // Bound subjects are distinct, and pods' accounts are added only when no binding
        // names them: one sort of distinct subjects instead of a sorted set built one by one.
        let mut out: Vec<Subject> = self.model.bound_subjects().cloned().collect();
        let table = self.table.borrow();
        for ns in self.pod_accounts.keys() {
            let Some(members) = self.pod_account_group.get(ns).and_then(|&g| self.groups.get(g as usize)) else { continue };
            for node in members.iter().filter_map(|&m| table.nodes.get(m as usize)) {
                if let Node::Principal(s) = node.as_ref()
                    && self.model.bindings_naming(s).is_empty()
                {
                    out.push(s.clone());
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// Every path into the CDE, from every start subject.
    pub fn all_paths(&self) -> Vec<Path> {
        self.start_subjects().iter().flat_map(|s| self.paths_from(s)).collect()
    }

    /// Shortest paths (breadth-first) from `start` to access in each CDE namespace.
    pub fn paths_from(&self, start: &Subject) -> Vec<Path> {
        let start_id = self.intern(&Node::Principal(start.clone()));
        let mut found: BTreeMap<String, Path> = BTreeMap::new();
        let mut prev: HashMap<u32, (u32, Action)> = HashMap::new();
        let mut queue = VecDeque::from([start_id]);
        let mut seen = std::collections::HashSet::from([start_id]);
        let mut group_done = vec![false; self.groups.len()];
        while let Some(id) = queue.pop_front() {
            if found.len() == self.cde_namespaces().len() {
                break;
            }
            for (ns, access) in self.cde_access_of(id, usize::MAX) {
                if found.contains_key(&ns) {
                    continue;
                }
                let node = self.node(id);
                let mut steps = vec![Step { from: self.label(&node), action: format!("{access} in CDE namespace {ns}"), to: format!("CDE namespace {ns}") }];
                let mut cur = id;
                while let Some(&(p, action)) = prev.get(&cur) {
                    let (from, to) = (self.node(p), self.node(cur));
                    steps.push(Step { from: self.label(&from), action: self.action_text(action, &to), to: self.label(&to) });
                    cur = p;
                }
                steps.reverse();
                found.insert(ns.clone(), Path { start: start.clone(), cde_namespace: ns, access, steps });
            }
            for edge in self.edges_of(id).iter() {
                if let Target::Group(g) = edge.target
                    && std::mem::replace(&mut group_done[g as usize], true)
                {
                    continue;
                }
                self.for_each_target(id, edge, |next| {
                    if seen.insert(next) {
                        prev.insert(next, (id, edge.action));
                        queue.push_back(next);
                    }
                });
            }
        }
        found.into_values().collect()
    }

    /// For each of `starts`, its shortest route to access in some CDE namespace. The part of
    /// the graph reachable from the starts is discovered once (a node with access ends every
    /// route through it, so its edges are not followed), then distances are computed backwards
    /// from the nodes with access: each node's edges and access are evaluated once however
    /// many subjects start there.
    pub fn cde_routes(&self, starts: &[Subject]) -> Routes {
        let mut d = Discovery::with_nodes(self.table.borrow().nodes.len());
        let start_index: Vec<usize> = starts.iter().map(|s| d.index(self.intern(&Node::Principal(s.clone())))).collect();
        let mut group_preds: Vec<Vec<Pred>> = vec![Vec::new(); self.groups.len()];
        let mut group_indexed = vec![false; self.groups.len()];
        // Per discovered node, its access (an index into `accesses`) or NO_ACCESS: few nodes
        // have access, so the texts are kept apart from the per-node array.
        let mut access: Vec<u32> = Vec::with_capacity(d.order.len());
        let mut accesses: Vec<(String, String)> = Vec::new();
        let mut seq = 0u32;
        while let Some(i) = d.queue.pop_front() {
            let id = d.order[i];
            access.resize(d.order.len(), NO_ACCESS);
            if let Some(a) = self.cde_access_of(id, 1).into_iter().next() {
                access[i] = accesses.len() as u32;
                accesses.push(a);
                continue;
            }
            for edge in self.edges_of(id).iter() {
                seq += 1;
                let pred = Pred { seq, from: i as u32, action: edge.action };
                match edge.target {
                    Target::Node(t) => {
                        let j = d.index(t);
                        d.preds[j].push(pred);
                    }
                    Target::Group(g) => {
                        if !std::mem::replace(&mut group_indexed[g as usize], true) {
                            self.for_each_target(id, edge, |m| {
                                d.index(m);
                            });
                        }
                        group_preds[g as usize].push(pred);
                    }
                }
            }
        }
        let n = d.order.len();
        access.resize(n, NO_ACCESS);
        // Backwards from the nodes with access, predecessors in the order their edges were met.
        let mut dist = vec![UNSEEN; n];
        let mut next: Vec<Option<(u32, Action)>> = vec![None; n];
        let mut back = VecDeque::new();
        for (i, &a) in access.iter().enumerate() {
            if a != NO_ACCESS {
                dist[i] = 0;
                back.push_back(i);
            }
        }
        let mut group_done = vec![false; self.groups.len()];
        let mut preds: Vec<Pred> = Vec::new();
        while let Some(j) = back.pop_front() {
            preds.clear();
            preds.extend_from_slice(&d.preds[j]);
            for &g in self.groups_of(d.order[j]) {
                // After one member, every predecessor of the group has its distance.
                if !std::mem::replace(&mut group_done[g as usize], true) {
                    preds.extend(group_preds[g as usize].iter().filter(|p| p.from as usize != j));
                }
            }
            preds.sort_by_key(|p| p.seq);
            for p in &preds {
                let i = p.from as usize;
                if dist[i] == UNSEEN {
                    dist[i] = dist[j] + 1;
                    next[i] = Some((j as u32, p.action));
                    back.push_back(i);
                }
            }
        }
        Routes { start_index, order: d.order, dist, next, access, accesses }
    }
}

/// An edge seen backwards: the node it leaves, what it does, and when it was met.
#[derive(Clone, Copy, Debug)]
struct Pred {
    seq: u32,
    from: u32,
    action: Action,
}

/// Nodes in the order a search meets them.
#[derive(Default)]
struct Discovery {
    /// Discovery index → node id.
    order: Vec<u32>,
    /// Node id → discovery index.
    index_of: Vec<u32>,
    preds: Vec<Vec<Pred>>,
    queue: VecDeque<usize>,
}

impl Discovery {
    /// Room for `nodes` node ids (more are allowed: the search may meet new nodes).
    fn with_nodes(nodes: usize) -> Discovery {
        Discovery { index_of: vec![UNSEEN; nodes], order: Vec::with_capacity(nodes), preds: Vec::with_capacity(nodes), queue: VecDeque::with_capacity(nodes) }
    }

    fn index(&mut self, id: u32) -> usize {
        if self.index_of.len() <= id as usize {
            self.index_of.resize(id as usize + 1, UNSEEN);
        }
        if self.index_of[id as usize] == UNSEEN {
            self.index_of[id as usize] = self.order.len() as u32;
            self.queue.push_back(self.order.len());
            self.order.push(id);
            self.preds.push(Vec::new());
        }
        self.index_of[id as usize] as usize
    }
}

/// The result of [`EscalationGraph::cde_routes`].
pub struct Routes {
    start_index: Vec<usize>,
    order: Vec<u32>,
    dist: Vec<u32>,
    next: Vec<Option<(u32, Action)>>,
    /// Per discovered node: an index into `accesses`, or NO_ACCESS.
    access: Vec<u32>,
    /// (CDE namespace, what the node can do there) of the nodes with access.
    accesses: Vec<(String, String)>,
}

/// The shortest route of one start subject into the CDE.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// Escalation steps before the access (0: the subject has access itself).
    pub distance: usize,
    /// Every step, the last one being the access in the CDE namespace.
    pub steps: Vec<Step>,
    pub cde_namespace: String,
    /// What the last node can do there.
    pub access: String,
    /// The node the first step reaches (`None` when the distance is 0).
    pub first: Option<Node>,
}

impl Routes {
    /// Distance of start `s` (index into the starts given) to CDE access, if it has a route.
    pub fn distance(&self, s: usize) -> Option<usize> {
        let i = *self.start_index.get(s)?;
        (self.dist[i] != UNSEEN).then_some(self.dist[i] as usize)
    }

    /// The route of start `s`, with the text of every step.
    pub fn route(&self, graph: &EscalationGraph, s: usize) -> Option<Route> {
        let distance = self.distance(s)?;
        let mut cur = self.start_index[s];
        let mut steps = Vec::new();
        let first = self.next[cur].map(|(j, _)| graph.node(self.order[j as usize]));
        while let Some((j, action)) = self.next[cur] {
            let (from, to) = (graph.node(self.order[cur]), graph.node(self.order[j as usize]));
            steps.push(Step { from: graph.label(&from), action: graph.action_text(action, &to), to: graph.label(&to) });
            cur = j as usize;
        }
        let (ns, what) = self.access.get(cur).and_then(|&a| self.accesses.get(a as usize)).cloned().unwrap_or_default();
        let last = graph.node(self.order[cur]);
        steps.push(Step { from: graph.label(&last), action: format!("{what} in CDE namespace {ns}"), to: format!("CDE namespace {ns}") });
        Some(Route { distance, steps, cde_namespace: ns, access: what, first })
    }
}
