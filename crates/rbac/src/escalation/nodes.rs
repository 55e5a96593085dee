//! The node table: every node met gets a number once (the searches and caches work on
//! numbers), and the groups edges lead to (a namespace's ServiceAccounts, the accounts its
//! pods mount, the bound Users) are lists of numbers with a reverse index.

use std::rc::Rc;

use kubepci_model::hash::FastMap;

use super::{Capability, Edge, EscalationGraph, Node};

/// Nodes met so far, numbered. Each node is stored once, shared by the lookup map and the
/// list (a large cluster has tens of thousands of principals).
#[derive(Default)]
pub(super) struct NodeTable {
    pub(super) ids: FastMap<Rc<Node>, u32>,
    pub(super) nodes: Vec<Rc<Node>>,
}

impl NodeTable {
    pub(super) fn intern(&mut self, node: &Node) -> u32 {
        match self.ids.get(node) {
            Some(&id) => id,
            None => self.insert(node.clone()),
        }
    }

    /// [`NodeTable::intern`] of a node the caller built and no longer needs.
    pub(super) fn intern_owned(&mut self, node: Node) -> u32 {
        match self.ids.get(&node) {
            Some(&id) => id,
            None => self.insert(node),
        }
    }

    fn insert(&mut self, node: Node) -> u32 {
        let id = self.nodes.len() as u32;
        let node = Rc::new(node);
        self.ids.insert(node.clone(), id);
        self.nodes.push(node);
        id
    }
}

/// Memoised per-node results, by node id.
#[derive(Default)]
pub(super) struct NodeCache {
    pub(super) capabilities: Vec<Option<Rc<Vec<Capability>>>>,
    pub(super) edges: Vec<Option<Rc<[Edge]>>>,
}

impl EscalationGraph<'_> {
    /// The groups node `id` is a member of, in group order (none for nodes met later).
    pub(crate) fn groups_of(&self, id: u32) -> &[u32] {
        let id = id as usize;
        match (self.member_start.get(id), self.member_start.get(id + 1)) {
            (Some(&a), Some(&b)) => self.member_of.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    pub fn label(&self, node: &Node) -> String {
        match node {
            Node::Principal(s) => s.to_string(),
            Node::Role(r, scope) => format!("holder of {} ({})", self.model.roles[*r].display(), scope.label()),
            Node::AnyRole(scope) => format!("holder of any role ({})", scope.label()),
            Node::Everything => "cluster-admin equivalent".into(),
        }
    }

    pub(crate) fn intern(&self, node: &Node) -> u32 {
        self.table.borrow_mut().intern(node)
    }

    pub(crate) fn node(&self, id: u32) -> Node {
        self.node_rc(id).as_ref().clone()
    }

    /// The node with this id, shared (no copy of its names).
    pub(super) fn node_rc(&self, id: u32) -> Rc<Node> {
        self.table.borrow().nodes[id as usize].clone()
    }
}

/// For each of `nodes` node ids, the groups it is a member of, in group order, as
/// (start offsets with one extra at the end, flat group list).
pub(super) fn memberships(groups: &[Vec<u32>], nodes: usize) -> (Vec<u32>, Vec<u32>) {
    let mut count = vec![0u32; nodes + 1];
    for &m in groups.iter().flatten() {
        if let Some(c) = count.get_mut(m as usize + 1) {
            *c += 1;
        }
    }
    for i in 1..count.len() {
        count[i] += count[i - 1];
    }
    let start = count.clone();
    let mut flat = vec![0u32; count.last().copied().unwrap_or(0) as usize];
    for (g, members) in groups.iter().enumerate() {
        for &m in members {
            if let Some(next) = count.get_mut(m as usize)
                && let Some(slot) = flat.get_mut(*next as usize)
            {
                *slot = g as u32;
                *next += 1;
            }
        }
    }
    (start, flat)
}
