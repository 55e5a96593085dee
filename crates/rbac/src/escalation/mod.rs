//! Escalation: what a set of rights lets its holder become or reach, and the shortest paths
//! from any subject to access in the cardholder data environment (CDE).
//!
//! A node is a principal (a subject with its bindings), a role granted in a scope (what
//! `bind`/`escalate` lead to), or "everything". Edges:
//! - create/update/patch workloads in ns N → run as any ServiceAccount of N;
//! - patch/update pods, or exec/attach into pods of N → the ServiceAccounts those pods run as;
//! - get/list/watch secrets in N → ServiceAccount token Secrets of N → those accounts;
//! - create `serviceaccounts/token` in N → those accounts;
//! - impersonate groups → `system:masters`; users → every bound User; serviceaccounts → them;
//! - `bind` on roles plus create on (cluster)rolebindings → the bindable roles in that scope;
//! - `escalate` plus write on roles → any rights in that scope;
//! - approve CertificateSigningRequests (`update` on `certificatesigningrequests/approval` and
//!   `approve` on `signers`) → a client certificate for `system:masters`.
//!
//! CDE access (the end of a path), for each namespace classified `cde`: read Secrets there,
//! run code there (create workloads, patch pods, exec/attach), port-forward to its pods,
//! `nodes/proxy` (exec in any pod through the kubelet), write on mutating webhooks (inject into
//! any pod), or everything.

mod asks;
mod search;
#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::rc::Rc;

use kubepci_inventory::{Inventory, Scope};
use kubepci_model::Resource;
use serde::Serialize;

use crate::model::{BindingKind, GrantScope, Model, RoleId, RoleKind};
use crate::query::ScopeSet;
use crate::subject::{MASTERS, Subject, SubjectKind};
use asks::{Asks, RoleAnswer};
pub use search::{Route, Routes};

/// A holder of rights in the escalation graph.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    Principal(Subject),
    /// The rights of one role, granted in one scope (after binding it to oneself).
    Role(RoleId, GrantScope),
    /// Any rights at all in a scope (`escalate`, or `bind` on any role).
    AnyRole(GrantScope),
    /// Everything, cluster-wide.
    Everything,
}

/// Kinds of dangerous capability, each tied to a PCI-relevant question.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CapabilityKind {
    Everything,
    RunWorkloads,
    CreatePods,
    PatchPods,
    ExecPods,
    PortForward,
    GetSecrets,
    ListSecrets,
    CreateTokens,
    ImpersonateUsers,
    ImpersonateGroups,
    ImpersonateServiceAccounts,
    /// `bind` on ClusterRoles plus create on a kind of binding that can refer to them.
    BindClusterRoles,
    /// `bind` on (namespaced) Roles plus create on RoleBindings.
    BindRoles,
    EscalateRoles,
    WriteBindings,
    NodeProxy,
    ApproveCsr,
    WriteWebhooks,
}

/// A capability and where it holds; `names` lists the only objects it applies to when every
/// grant of it is restricted by `resourceNames` (empty = any object).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capability {
    pub kind: CapabilityKind,
    pub scope: ScopeSet,
    pub names: Vec<String>,
}

/// One step of a path: `from` can `action`, which makes it `to`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub from: String,
    pub action: String,
    pub to: String,
}

/// A route from a subject to access in a CDE namespace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Path {
    pub start: Subject,
    pub cde_namespace: String,
    /// What the last node can do in the CDE namespace.
    pub access: String,
    pub steps: Vec<Step>,
}

impl Path {
    /// "a → b → c" rendering with each step named.
    pub fn render(&self) -> String {
        self.steps.iter().map(|s| format!("{} can {}", s.from, s.action)).collect::<Vec<_>>().join(" → ")
    }
}

/// What an edge does; with the node it reaches, enough to write the step's text (which is
/// only written for paths that are reported).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    CreateWorkloads,
    PatchPods,
    ExecPods,
    GetSecrets,
    ListSecrets,
    CreateToken,
    ImpersonateMasters,
    ImpersonateUser,
    ImpersonateServiceAccount,
    BindAnyClusterRole,
    BindRole,
    Escalate,
    ApproveCsr,
    GrantClusterAdmin,
}

/// Where an edge leads: one node, or every member of a group (the ServiceAccounts of a
/// namespace, those its pods mount, the bound Users). "Create pods anywhere" is one edge per
/// namespace rather than one per ServiceAccount of the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Node(u32),
    Group(u32),
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Edge {
    pub action: Action,
    pub target: Target,
}

/// Nodes met so far, numbered.
#[derive(Default)]
struct NodeTable {
    ids: HashMap<Node, u32>,
    nodes: Vec<Node>,
}

impl NodeTable {
    fn intern(&mut self, node: &Node) -> u32 {
        if let Some(&id) = self.ids.get(node) {
            return id;
        }
        let id = self.nodes.len() as u32;
        self.ids.insert(node.clone(), id);
        self.nodes.push(node.clone());
        id
    }
}

/// Memoised per-node results, by node id.
#[derive(Default)]
struct NodeCache {
    capabilities: Vec<Option<Rc<Vec<Capability>>>>,
    edges: Vec<Option<Rc<[Edge]>>>,
}

/// The graph over one model and inventory. Capabilities and edges are computed lazily, once
/// per node; roles' answers to the capability requests once per role.
pub struct EscalationGraph<'a> {
    pub model: &'a Model,
    namespaces: Vec<String>,
    cde_namespaces: Vec<String>,
    /// ServiceAccounts per namespace (input objects, pod templates, binding subjects, `default`).
    accounts: BTreeMap<String, BTreeSet<String>>,
    /// ServiceAccounts whose token is mounted in the pods of a namespace.
    pod_accounts: BTreeMap<String, BTreeSet<String>>,
    users: BTreeSet<String>,
    asks: Asks,
    role_answers: RefCell<Vec<Option<Rc<Vec<RoleAnswer>>>>>,
    table: RefCell<NodeTable>,
    cache: RefCell<NodeCache>,
    /// Member node ids of each group, in name order.
    pub(crate) groups: Vec<Vec<u32>>,
    /// The groups each of the first `member_of.len()` node ids belongs to.
    pub(crate) member_of: Vec<Vec<u32>>,
    account_group: HashMap<String, u32>,
    pod_account_group: HashMap<String, u32>,
    users_group: u32,
    everything: u32,
}

impl<'a> EscalationGraph<'a> {
    pub fn new(model: &'a Model, inv: &Inventory) -> EscalationGraph<'a> {
        let mut namespaces: BTreeSet<String> = inv.namespaces().map(|n| n.name.clone()).collect();
        let mut accounts: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (ns, name) in &model.service_accounts {
            accounts.entry(ns.clone()).or_default().insert(name.clone());
        }
        let mut users = BTreeSet::new();
        for s in model.bound_subjects() {
            match (s.kind, &s.namespace) {
                (SubjectKind::ServiceAccount, Some(ns)) => {
                    accounts.entry(ns.clone()).or_default().insert(s.name.clone());
                }
                (SubjectKind::User, _) => {
                    users.insert(s.name.clone());
                }
                _ => {}
            }
        }
        let mut pod_accounts: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for w in inv.workloads() {
            let o = &inv.objects[w.object];
            let Some(t) = o.pod_template() else { continue };
            let ns = o.namespace().unwrap_or("default").to_string();
            let sa = t.spec.service_account_name.clone().or_else(|| t.spec.service_account.clone()).unwrap_or_else(|| "default".into());
            accounts.entry(ns.clone()).or_default().insert(sa.clone());
            if t.spec.automount_service_account_token != Some(false) {
                pod_accounts.entry(ns).or_default().insert(sa);
            }
        }
        namespaces.extend(accounts.keys().cloned());
        for ns in &namespaces {
            accounts.entry(ns.clone()).or_default().insert("default".into());
        }
        // CDE namespaces: classified `cde`, or holding a workload classified `cde` (RBAC is
        // namespace-grained, so rights there reach that workload).
        let mut cde: BTreeSet<String> = namespaces.iter().filter(|ns| inv.namespace_scope(ns) == Scope::Cde).cloned().collect();
        for w in inv.workloads().iter().filter(|w| w.scope.scope == Scope::Cde) {
            if let Some(ns) = inv.objects.get(w.object).and_then(|o| o.namespace()) {
                cde.insert(ns.to_string());
            }
        }
        // Number every ServiceAccount and bound User up front and group them.
        let mut table = NodeTable::default();
        let mut groups: Vec<Vec<u32>> = Vec::new();
        let group_of_accounts = |map: &BTreeMap<String, BTreeSet<String>>, table: &mut NodeTable, groups: &mut Vec<Vec<u32>>| {
            let mut by_ns = HashMap::new();
            for (ns, names) in map {
                let members = names.iter().map(|n| table.intern(&Node::Principal(Subject::service_account(ns, n)))).collect();
                by_ns.insert(ns.clone(), groups.len() as u32);
                groups.push(members);
            }
            by_ns
        };
        let account_group = group_of_accounts(&accounts, &mut table, &mut groups);
        let pod_account_group = group_of_accounts(&pod_accounts, &mut table, &mut groups);
        let users_group = groups.len() as u32;
        groups.push(users.iter().map(|u| table.intern(&Node::Principal(Subject::user(u)))).collect());
        let everything = table.intern(&Node::Everything);
        let mut member_of = vec![Vec::new(); table.nodes.len()];
        for (g, members) in groups.iter().enumerate() {
            for &m in members {
                member_of[m as usize].push(g as u32);
            }
        }
        EscalationGraph {
            model,
            namespaces: namespaces.into_iter().collect(),
            cde_namespaces: cde.into_iter().collect(),
            accounts,
            pod_accounts,
            users,
            asks: Asks::new(),
            role_answers: RefCell::new(vec![None; model.roles.len()]),
            table: RefCell::new(table),
            cache: RefCell::default(),
            groups,
            member_of,
            account_group,
            pod_account_group,
            users_group,
            everything,
        }
    }

    pub fn cde_namespaces(&self) -> &[String] {
        &self.cde_namespaces
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
        self.table.borrow().nodes[id as usize].clone()
    }

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

    /// A role's answers to the capability requests (computed on first use).
    fn role_answers(&self, role: RoleId) -> Rc<Vec<RoleAnswer>> {
        if let Some(Some(a)) = self.role_answers.borrow().get(role) {
            return a.clone();
        }
        let answers = Rc::new(self.asks.answers(&self.model.roles[role].rules));
        if let Some(slot) = self.role_answers.borrow_mut().get_mut(role) {
            *slot = Some(answers.clone());
        }
        answers
    }

    /// Where the holder may make request `k` on some object (and whether only named ones).
    fn allows(&self, holder: &Holder, k: usize) -> (ScopeSet, Vec<String>) {
        let cluster_only = self.asks.cluster_only[k];
        let in_scope = |scope: &GrantScope| -> ScopeSet {
            let mut s = ScopeSet::default();
            match scope {
                GrantScope::Cluster => s.cluster = true,
                GrantScope::Namespace(ns) if !cluster_only => {
                    s.namespaces.insert(ns.clone());
                }
                GrantScope::Namespace(_) => {}
            }
            s
        };
        match holder {
            Holder::Everything => (ScopeSet { cluster: true, namespaces: BTreeSet::new() }, vec![]),
            Holder::AnyRole(scope) => (in_scope(scope), vec![]),
            Holder::Role(r, scope) => {
                let answers = self.role_answers(*r);
                let a = &answers[k];
                if a.all {
                    (in_scope(scope), vec![])
                } else if a.names.is_empty() {
                    (ScopeSet::default(), vec![])
                } else {
                    (in_scope(scope), a.names.clone())
                }
            }
            Holder::Superuser => (ScopeSet { cluster: true, namespaces: BTreeSet::new() }, vec![]),
            Holder::Bindings(bindings) => {
                // As `Model::scopes_allowing(_all)`: grants of bindings that reach the request.
                let mut all = ScopeSet::default();
                let mut some = ScopeSet::default();
                for (role, kind, scope) in bindings {
                    let Some(role) = role else { continue };
                    if *kind == BindingKind::RoleBinding && cluster_only {
                        continue;
                    }
                    let answers = self.role_answers(*role);
                    if answers[k].all {
                        all.add(scope);
                    }
                    if answers[k].some {
                        some.add(scope);
                    }
                }
                if all == some || !all.is_empty() {
                    return (some, vec![]);
                }
                // Only name-restricted grants: collect the names.
                let mut names = Vec::new();
                for (role, _, _) in bindings {
                    if let Some(role) = role {
                        names.extend(self.role_answers(*role)[k].names.iter().cloned());
                    }
                }
                (some, names)
            }
        }
    }

    fn any_of(&self, holder: &Holder, asks: Range<usize>) -> ScopeSet {
        let mut set = ScopeSet::default();
        for k in asks {
            let (scope, _) = self.allows(holder, k);
            set.cluster |= scope.cluster;
            set.namespaces.extend(scope.namespaces);
        }
        set
    }

    /// The dangerous capabilities of a node.
    pub fn capabilities(&self, node: &Node) -> Vec<Capability> {
        let id = self.intern(node);
        self.capabilities_of(id).as_ref().clone()
    }

    pub(crate) fn capabilities_of(&self, id: u32) -> Rc<Vec<Capability>> {
        if let Some(Some(c)) = self.cache.borrow().capabilities.get(id as usize) {
            return c.clone();
        }
        let node = self.node(id);
        let caps = Rc::new(self.compute_capabilities(&node));
        let mut cache = self.cache.borrow_mut();
        if cache.capabilities.len() <= id as usize {
            cache.capabilities.resize(id as usize + 1, None);
        }
        cache.capabilities[id as usize] = Some(caps.clone());
        caps
    }

    fn compute_capabilities(&self, node: &Node) -> Vec<Capability> {
        let holder = match node {
            Node::Everything => Holder::Everything,
            Node::AnyRole(scope) => Holder::AnyRole(scope.clone()),
            Node::Role(r, scope) => Holder::Role(*r, scope.clone()),
            Node::Principal(p) if self.model.is_superuser(p) => Holder::Superuser,
            Node::Principal(p) => Holder::Bindings(
                self.model
                    .bindings_for(p)
                    .iter()
                    .map(|pb| {
                        let b = &self.model.bindings[pb.binding];
                        (b.role, b.kind, b.scope())
                    })
                    .collect(),
            ),
        };
        let holder = &holder;
        let a = &self.asks;
        let mut out = Vec::new();
        let mut push = |kind, (scope, names): (ScopeSet, Vec<String>)| {
            if !scope.is_empty() {
                out.push(Capability { kind, scope, names });
            }
        };
        let everything = self.allows(holder, a.everything);
        let is_everything = matches!(node, Node::Everything) || everything.0.cluster && everything.1.is_empty();
        if is_everything {
            push(CapabilityKind::Everything, everything);
        }
        push(CapabilityKind::RunWorkloads, (self.any_of(holder, a.create_workloads.clone()), vec![]));
        push(CapabilityKind::RunWorkloads, (self.any_of(holder, a.change_workloads.clone()), vec![]));
        push(CapabilityKind::CreatePods, (self.any_of(holder, a.create_pods.clone()), vec![]));
        push(CapabilityKind::PatchPods, (self.any_of(holder, a.patch_pods.clone()), vec![]));
        push(CapabilityKind::ExecPods, (self.any_of(holder, a.exec_pods.clone()), vec![]));
        push(CapabilityKind::PortForward, (self.any_of(holder, a.port_forward.clone()), vec![]));
        push(CapabilityKind::GetSecrets, self.allows(holder, a.get_secrets));
        push(CapabilityKind::ListSecrets, (self.any_of(holder, a.list_secrets.clone()), vec![]));
        push(CapabilityKind::CreateTokens, self.allows(holder, a.create_tokens));
        push(CapabilityKind::ImpersonateUsers, self.allows(holder, a.impersonate_users));
        push(CapabilityKind::ImpersonateGroups, self.allows(holder, a.impersonate_groups));
        push(CapabilityKind::ImpersonateServiceAccounts, self.allows(holder, a.impersonate_service_accounts));
        for (i, (bind, write, cluster_only)) in a.bind.iter().enumerate() {
            let (bind_scope, names) = self.allows(holder, *bind);
            let create = self.any_of(holder, write.clone());
            let scope = intersect(&bind_scope, &create, *cluster_only);
            let kind = if i == 2 { CapabilityKind::BindRoles } else { CapabilityKind::BindClusterRoles };
            push(kind, (scope, names));
        }
        let escalate = self.any_of(holder, a.escalate_roles.clone());
        let write_roles = self.any_of(holder, a.write_roles.clone());
        push(CapabilityKind::EscalateRoles, (intersect(&escalate, &write_roles, false), vec![]));
        push(CapabilityKind::WriteBindings, (self.any_of(holder, a.write_bindings.clone()), vec![]));
        push(CapabilityKind::NodeProxy, (self.any_of(holder, a.node_proxy.clone()), vec![]));
        let approve = self.any_of(holder, a.approve_csr.clone());
        let signers = self.any_of(holder, a.approve_signers.clone());
        if approve.cluster && signers.cluster {
            push(CapabilityKind::ApproveCsr, (approve, vec![]));
        }
        push(CapabilityKind::WriteWebhooks, (self.any_of(holder, a.write_webhooks.clone()), vec![]));
        out
    }

    fn expand_namespaces<'s>(&'s self, scope: &'s ScopeSet) -> Vec<&'s str> {
        if scope.cluster { self.namespaces.iter().map(String::as_str).collect() } else { scope.namespaces.iter().map(String::as_str).collect() }
    }

    /// Outgoing edges, in a compact form (computed once per node).
    pub(crate) fn edges_of(&self, id: u32) -> Rc<[Edge]> {
        if let Some(Some(e)) = self.cache.borrow().edges.get(id as usize) {
            return e.clone();
        }
        let node = self.node(id);
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
        if let Node::AnyRole(GrantScope::Cluster) = node
            && self.everything != id
        {
            out.push(Edge { action: Action::GrantClusterAdmin, target: Target::Node(self.everything) });
        }
        let edges: Rc<[Edge]> = out.into();
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
                Target::Group(g) => self.member_of.get(to as usize).is_some_and(|gs| gs.contains(&g)),
            })
    }

    /// What the node can do directly in each CDE namespace: (namespace, description).
    pub fn cde_access(&self, node: &Node) -> Vec<(String, String)> {
        let id = self.intern(node);
        self.cde_access_of(id, usize::MAX)
    }

    /// [`Self::cde_access`] of a node id, at most `limit` namespaces.
    pub(crate) fn cde_access_of(&self, id: u32, limit: usize) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if self.cde_namespaces.is_empty() {
            return out;
        }
        let caps = self.capabilities_of(id);
        // Most nodes have no access anywhere in the CDE: tell that without visiting every
        // CDE namespace.
        let is_cde = |ns: &String| self.cde_namespaces.binary_search(ns).is_ok();
        let relevant = caps.iter().any(|cap| match cap.kind {
            CapabilityKind::Everything => true,
            CapabilityKind::NodeProxy | CapabilityKind::WriteWebhooks => cap.scope.cluster,
            CapabilityKind::GetSecrets
            | CapabilityKind::ListSecrets
            | CapabilityKind::RunWorkloads
            | CapabilityKind::CreatePods
            | CapabilityKind::PatchPods
            | CapabilityKind::ExecPods
            | CapabilityKind::PortForward => cap.scope.cluster || cap.scope.namespaces.iter().any(is_cde),
            _ => false,
        });
        if !relevant {
            return out;
        }
        for ns in &self.cde_namespaces {
            if out.len() >= limit {
                break;
            }
            let mut what: Vec<&str> = Vec::new();
            for cap in caps.iter() {
                let applies = cap.scope.covers(ns);
                let label = match cap.kind {
                    CapabilityKind::Everything => "do everything (cluster-admin)",
                    CapabilityKind::GetSecrets | CapabilityKind::ListSecrets if applies => "read Secrets",
                    CapabilityKind::RunWorkloads | CapabilityKind::CreatePods if applies => "run code (create workloads that mount any Secret)",
                    CapabilityKind::PatchPods if applies => "patch pods",
                    CapabilityKind::ExecPods if applies => "exec into pods",
                    CapabilityKind::PortForward if applies => "port-forward to pods",
                    CapabilityKind::NodeProxy if cap.scope.cluster => "exec into any pod through the kubelet (nodes/proxy)",
                    CapabilityKind::WriteWebhooks if cap.scope.cluster => "inject into pods through admission webhooks",
                    _ => continue,
                };
                if !what.contains(&label) {
                    what.push(label);
                }
            }
            if !what.is_empty() {
                out.push((ns.clone(), what.join(", ")));
            }
        }
        out
    }

    /// Subjects worth starting from: every bound subject and every ServiceAccount pods run as.
    pub fn start_subjects(&self) -> Vec<Subject> {
        let mut set: BTreeSet<Subject> = self.model.bound_subjects().cloned().collect();
        for (ns, names) in &self.pod_accounts {
            for n in names {
                set.insert(Subject::service_account(ns, n));
            }
        }
        set.into_iter().collect()
    }

    /// Every path into the CDE, from every start subject.
    pub fn all_paths(&self) -> Vec<Path> {
        self.start_subjects().iter().flat_map(|s| self.paths_from(s)).collect()
    }
}

/// Whose rights a capability question is about.
enum Holder {
    Everything,
    AnyRole(GrantScope),
    Role(RoleId, GrantScope),
    /// `system:masters`: allowed everything.
    Superuser,
    /// A principal, through its bindings: (role, binding kind, where it grants).
    Bindings(Vec<(Option<RoleId>, BindingKind, GrantScope)>),
}

fn intersect(a: &ScopeSet, b: &ScopeSet, cluster_only: bool) -> ScopeSet {
    let mut out = ScopeSet { cluster: a.cluster && b.cluster, namespaces: BTreeSet::new() };
    if cluster_only {
        return out;
    }
    for ns in a.namespaces.iter().chain(&b.namespaces) {
        if a.covers(ns) && b.covers(ns) {
            out.namespaces.insert(ns.clone());
        }
    }
    out
}

fn scopes_of(scope: &ScopeSet) -> Vec<GrantScope> {
    if scope.cluster {
        vec![GrantScope::Cluster]
    } else {
        scope.namespaces.iter().map(|n| GrantScope::Namespace(n.clone())).collect()
    }
}

/// ServiceAccount token Secrets in the input: (namespace, secret name) → account name.
pub fn token_secrets(inv: &Inventory) -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    for o in inv.of_kind("Secret") {
        if let Resource::Secret(s) = &o.resource
            && s.type_.as_deref() == Some("kubernetes.io/service-account-token")
            && let Some(sa) = o.annotations().get("kubernetes.io/service-account.name")
        {
            out.insert((o.namespace().unwrap_or("default").to_string(), o.name().to_string()), sa.clone());
        }
    }
    out
}
