//! Edges: what each capability lets a node become (ServiceAccounts, Users, roles bound to
//! itself, everything), in the compact form the searches walk, and the text of a step.

use std::rc::Rc;

use super::{Action, CapabilityKind, Edge, EscalationGraph, Node, Target};
use crate::model::{GrantScope, RoleKind};
use crate::query::ScopeSet;
use crate::subject::{MASTERS, Subject};

impl EscalationGraph<'_> {
    /// The text of a step: what `action` is when it reaches `to`.
    pub(crate) fn action_text(&self, action: Action, to: &Node) -> String {
        let (ns, name) = match to {
            Node::Principal(s) => (s.namespace.as_deref().unwrap_or(""), s.name.as_str()),
            _ => ("", ""),
        };
        let scope = match to {
            Node::Role(_, scope) | Node::AnyRole(scope) => scope.label(),
            _ => String::new(),
        };
        match action {
            Action::CreateWorkloads => format!("create workloads in namespace {ns} running as ServiceAccount {name}"),
            Action::PatchPods => format!("patch pods in namespace {ns} that mount the token of ServiceAccount {name}"),
            Action::ExecPods => format!("exec into pods in namespace {ns} that mount the token of ServiceAccount {name}"),
            Action::GetSecrets => format!("get secrets in namespace {ns}, including a token of ServiceAccount {name}"),
            Action::ListSecrets => format!("list secrets in namespace {ns}, including a token of ServiceAccount {name}"),
            Action::CreateToken => format!("create a token for ServiceAccount {ns}/{name}"),
            Action::ImpersonateMasters => "impersonate the group system:masters".into(),
            Action::ImpersonateUser => format!("impersonate User {name}"),
            Action::ImpersonateServiceAccount => format!("impersonate ServiceAccount {ns}/{name}"),
            Action::BindAnyClusterRole => format!("bind any ClusterRole to itself ({scope})"),
            Action::BindRole => match to {
                Node::Role(r, _) => format!("bind {} to itself ({scope})", self.model.roles[*r].display()),
                _ => format!("bind a role to itself ({scope})"),
            },
            Action::Escalate => format!("escalate a role it holds to any rights ({scope})"),
            Action::ApproveCsr => "approve a CertificateSigningRequest for a system:masters client certificate".into(),
            Action::GrantClusterAdmin => "grant itself cluster-admin".into(),
        }
    }

    fn expand_namespaces<'s>(&'s self, scope: &'s ScopeSet) -> Vec<&'s str> {
        if scope.cluster { self.namespaces.iter().map(String::as_str).collect() } else { scope.namespaces.iter().map(String::as_str).collect() }
    }

    /// Outgoing edges, in a compact form (computed once per node).
    pub(crate) fn edges_of(&self, id: u32) -> Rc<[Edge]> {
        if let Some(Some(e)) = self.cache.borrow().edges.get(id as usize) {
            return e.clone();
        }
        let node = self.node_rc(id);
        let mut out: Vec<Edge> = Vec::new();
        let to_node = |out: &mut Vec<Edge>, action, target: &Node| {
            let t = self.intern(target);
            if t != id {
                out.push(Edge { action, target: Target::Node(t) });
            }
        };
        let group = |action, g: Option<&u32>| g.map(|&g| Edge { action, target: Target::Group(g) });
        for cap in self.capabilities_of(id).iter() {
            match cap.kind {
                CapabilityKind::RunWorkloads | CapabilityKind::CreatePods => {
                    out.extend(self.expand_namespaces(&cap.scope).into_iter().filter_map(|ns| group(Action::CreateWorkloads, self.account_group.get(ns))));
                }
                CapabilityKind::PatchPods | CapabilityKind::ExecPods => {
                    let action = if cap.kind == CapabilityKind::PatchPods { Action::PatchPods } else { Action::ExecPods };
                    out.extend(self.expand_namespaces(&cap.scope).into_iter().filter_map(|ns| group(action, self.pod_account_group.get(ns))));
                }
                CapabilityKind::GetSecrets | CapabilityKind::ListSecrets => {
                    let action = if cap.kind == CapabilityKind::GetSecrets { Action::GetSecrets } else { Action::ListSecrets };
                    out.extend(self.expand_namespaces(&cap.scope).into_iter().filter_map(|ns| group(action, self.account_group.get(ns))));
                }
                CapabilityKind::CreateTokens | CapabilityKind::ImpersonateServiceAccounts => {
                    let action = if cap.kind == CapabilityKind::CreateTokens { Action::CreateToken } else { Action::ImpersonateServiceAccount };
                    for ns in self.expand_namespaces(&cap.scope) {
                        if cap.names.is_empty() {
                            out.extend(group(action, self.account_group.get(ns)));
                            continue;
                        }
                        for name in self.accounts.get(ns).into_iter().flatten().filter(|n| cap.names.contains(n)) {
                            to_node(&mut out, action, &Node::Principal(Subject::service_account(ns, name)));
                        }
                    }
                }
                CapabilityKind::ImpersonateGroups if cap.scope.cluster && (cap.names.is_empty() || cap.names.iter().any(|n| n == MASTERS)) => {
                    to_node(&mut out, Action::ImpersonateMasters, &Node::Everything);
                }
                CapabilityKind::ImpersonateUsers if cap.scope.cluster => {
                    if cap.names.is_empty() {
                        out.extend(group(Action::ImpersonateUser, Some(&self.users_group)));
                    } else {
                        for u in self.users.iter().filter(|u| cap.names.contains(u)) {
                            to_node(&mut out, Action::ImpersonateUser, &Node::Principal(Subject::user(u)));
                        }
                    }
                }
                CapabilityKind::BindClusterRoles => {
                    // cluster-admin exists in every cluster: binding any ClusterRole is all rights.
                    for scope in scopes_of(&cap.scope) {
                        if cap.names.is_empty() {
                            to_node(&mut out, Action::BindAnyClusterRole, &Node::AnyRole(scope));
                            continue;
                        }
                        for name in &cap.names {
                            if let Some(r) = self.model.find_role(RoleKind::ClusterRole, None, name) {
                                to_node(&mut out, Action::BindRole, &Node::Role(r, scope.clone()));
                            }
                        }
                    }
                }
                CapabilityKind::BindRoles => {
                    // Only Roles that exist in the namespace can be bound.
                    for (r, role) in self.model.roles.iter().enumerate() {
                        let Some(ns) = role.namespace.as_deref() else { continue };
                        if role.kind == RoleKind::Role && cap.scope.covers(ns) && (cap.names.is_empty() || cap.names.contains(&role.name)) {
                            to_node(&mut out, Action::BindRole, &Node::Role(r, GrantScope::Namespace(ns.to_string())));
                        }
                    }
                }
                CapabilityKind::EscalateRoles => {
                    for scope in scopes_of(&cap.scope) {
                        to_node(&mut out, Action::Escalate, &Node::AnyRole(scope));
                    }
                }
                CapabilityKind::ApproveCsr => {
                    to_node(&mut out, Action::ApproveCsr, &Node::Everything);
                }
                _ => {}
            }
        }
        if let Node::AnyRole(GrantScope::Cluster) = *node
            && self.everything != id
        {
            out.push(Edge { action: Action::GrantClusterAdmin, target: Target::Node(self.everything) });
        }
        let edges: Rc<[Edge]> = if out.is_empty() { self.no_edges.clone() } else { out.into() };
        let mut cache = self.cache.borrow_mut();
        if cache.edges.len() <= id as usize {
            cache.edges.resize(id as usize + 1, None);
        }
        cache.edges[id as usize] = Some(edges.clone());
        edges
    }

    /// Visit the nodes an edge reaches (group members in name order, never `from` itself).
    pub(crate) fn for_each_target(&self, from: u32, edge: &Edge, mut f: impl FnMut(u32)) {
        match edge.target {
            Target::Node(t) => f(t),
            Target::Group(g) => self.groups[g as usize].iter().copied().filter(|&m| m != from).for_each(f),
        }
    }

    /// Outgoing edges: (action description, node reached).
    pub fn edges(&self, node: &Node) -> Rc<Vec<(String, Node)>> {
        let id = self.intern(node);
        let mut out = Vec::new();
        for edge in self.edges_of(id).iter() {
            self.for_each_target(id, edge, |t| {
                let to = self.node(t);
                out.push((self.action_text(edge.action, &to), to));
            });
        }
        Rc::new(out)
    }

    /// Whether `from` has an edge to `to`.
    pub fn has_edge(&self, from: &Node, to: &Node) -> bool {
        let (from, to) = (self.intern(from), self.intern(to));
        from != to
            && self.edges_of(from).iter().any(|e| match e.target {
                Target::Node(t) => t == to,
                Target::Group(g) => self.groups_of(to).contains(&g),
            })
    }
}

fn scopes_of(scope: &ScopeSet) -> Vec<GrantScope> {
    if scope.cluster {
        vec![GrantScope::Cluster]
    } else {
        scope.namespaces.iter().map(|n| GrantScope::Namespace(n.clone())).collect()
    }
}
