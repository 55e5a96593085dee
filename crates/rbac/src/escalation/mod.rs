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
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::rc::Rc;

use kubepci_inventory::{Inventory, Scope};
use kubepci_model::Resource;
use serde::Serialize;

use kubepci_model::hash::FastMap;
use crate::model::{BindingDef, BindingId, BindingKind, GrantScope, Model, RoleId, RoleKind};
use crate::query::ScopeSet;
use crate::subject::{ANONYMOUS, AUTHENTICATED, MASTERS, SA_GROUP, SA_USER_PREFIX, Subject, SubjectKind, UNAUTHENTICATED};
use asks::{Asks, Bits, RoleAnswer, bit, bits};
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

/// Nodes met so far, numbered. Each node is stored once, shared by the lookup map and the
/// list (a large cluster has tens of thousands of principals).
#[derive(Default)]
struct NodeTable {
    ids: FastMap<Rc<Node>, u32>,
    nodes: Vec<Rc<Node>>,
}

impl NodeTable {
    fn intern(&mut self, node: &Node) -> u32 {
        match self.ids.get(node) {
            Some(&id) => id,
            None => self.insert(node.clone()),
        }
    }

    /// [`NodeTable::intern`] of a node the caller built and no longer needs.
    fn intern_owned(&mut self, node: Node) -> u32 {
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
struct NodeCache {
    capabilities: Vec<Option<Rc<Vec<Capability>>>>,
    edges: Vec<Option<Rc<[Edge]>>>,
}

/// The graph over one model and inventory. Capabilities and edges are computed lazily, once
/// per node; roles' answers to the capability requests once per role, up front.
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
    /// Each role's answers to the requests, by role id.
    answers: Vec<RoleAnswer>,
    /// Bindings naming the groups principals are in without being named: `system:serviceaccounts`,
    /// `system:authenticated`, `system:unauthenticated`, and `system:serviceaccounts:<ns>` by
    /// namespace (the lookups `Model::bindings_for` makes, done once instead of per principal).
    sa_group_bindings: Vec<BindingId>,
    authenticated_bindings: Vec<BindingId>,
    unauthenticated_bindings: Vec<BindingId>,
    sa_namespace_group_bindings: FastMap<String, Vec<BindingId>>,
    table: RefCell<NodeTable>,
    cache: RefCell<NodeCache>,
    /// Shared results for the many nodes without capabilities or edges.
    no_capabilities: Rc<Vec<Capability>>,
    no_edges: Rc<[Edge]>,
    /// Member node ids of each group, in name order.
    pub(crate) groups: Vec<Vec<u32>>,
    /// The groups each node id numbered up front belongs to: those of node `n` are
    /// `member_of[member_start[n]..member_start[n + 1]]` (one array rather than a list per
    /// node: a large cluster has tens of thousands of accounts).
    member_start: Vec<u32>,
    member_of: Vec<u32>,
    account_group: FastMap<String, u32>,
    pod_account_group: FastMap<String, u32>,
    users_group: u32,
    everything: u32,
}

/// ServiceAccount names per namespace, gathered without copying strings. The same namespace
/// and account come back for every workload of a large cluster, usually one after the other
/// (manifests list a namespace's Deployment, ReplicaSet and pods together): the namespace is
/// looked up only when it changes, a name is kept unless it repeats the previous one, and the
/// other duplicates go when each namespace's names are sorted at the end. Any order gives
/// the same result; this one is only the fast case.
#[derive(Default)]
struct AccountNames<'s> {
    index: FastMap<&'s str, usize>,
    sets: Vec<(&'s str, Vec<&'s str>)>,
    last: usize,
}

impl<'s> AccountNames<'s> {
    fn add(&mut self, ns: &'s str, name: &'s str) {
        let i = match self.sets.get(self.last) {
            Some((last_ns, _)) if *last_ns == ns => self.last,
            _ => {
                let next = self.sets.len();
                let i = *self.index.entry(ns).or_insert(next);
                if i == next {
                    self.sets.push((ns, Vec::new()));
                }
                self.last = i;
                i
            }
        };
        if let Some((_, names)) = self.sets.get_mut(i)
            && names.last() != Some(&name)
        {
            names.push(name);
        }
    }

    fn namespaces(&self) -> impl Iterator<Item = &'s str> + '_ {
        self.sets.iter().map(|(ns, _)| *ns)
    }

    /// Namespace → names, both in name order.
    fn into_map(self) -> BTreeMap<String, BTreeSet<String>> {
        let mut sets = self.sets;
        sets.sort_unstable_by_key(|(ns, _)| *ns);
        sets.into_iter()
            .map(|(ns, mut names)| {
                names.sort_unstable();
                names.dedup();
                (ns.to_string(), names.into_iter().map(str::to_string).collect())
            })
            .collect()
    }
}

impl<'a> EscalationGraph<'a> {
    pub fn new(model: &'a Model, inv: &Inventory) -> EscalationGraph<'a> {
        let mut accounts = AccountNames::default();
        for (ns, name) in &model.service_accounts {
            accounts.add(ns, name);
        }
        let mut users = BTreeSet::new();
        let mut sa_namespace_group_bindings: FastMap<String, Vec<BindingId>> = FastMap::default();
        for s in model.bound_subjects() {
            match (s.kind, &s.namespace) {
                (SubjectKind::ServiceAccount, Some(ns)) => accounts.add(ns, &s.name),
                (SubjectKind::User, _) => {
                    users.insert(s.name.clone());
                }
                (SubjectKind::Group, _) => {
                    if let Some(ns) = s.name.strip_prefix(SA_GROUP).and_then(|rest| rest.strip_prefix(':')) {
                        sa_namespace_group_bindings.insert(ns.to_string(), model.bindings_naming(s).to_vec());
                    }
                }
                _ => {}
            }
        }
        let mut pod_accounts = AccountNames::default();
        for w in inv.workloads() {
            let Some(o) = inv.objects.get(w.object) else { continue };
            let Some(t) = o.pod_template() else { continue };
            let ns = o.namespace().unwrap_or("default");
            let sa = t.spec.service_account_name.as_deref().or(t.spec.service_account.as_deref()).unwrap_or("default");
            accounts.add(ns, sa);
            if t.spec.automount_service_account_token != Some(false) {
                pod_accounts.add(ns, sa);
            }
        }
        let mut namespaces: BTreeSet<&str> = inv.namespaces().map(|n| n.name.as_str()).collect();
        namespaces.extend(accounts.namespaces());
        for ns in &namespaces {
            accounts.add(ns, "default");
        }
        let namespaces: Vec<String> = namespaces.into_iter().map(str::to_string).collect();
        let accounts = accounts.into_map();
        let pod_accounts = pod_accounts.into_map();
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
        let mut account_group = FastMap::default();
        for (ns, names) in &accounts {
            let members = names.iter().map(|n| table.intern_owned(Node::Principal(Subject::service_account(ns, n)))).collect();
            account_group.insert(ns.clone(), groups.len() as u32);
            groups.push(members);
        }
        // Every account whose token pods mount is also in `accounts`: take its id from there,
        // walking both name-ordered sets side by side.
        let mut pod_account_group = FastMap::default();
        for (ns, names) in &pod_accounts {
            let mut members = Vec::with_capacity(names.len());
            let known = accounts.get(ns).zip(account_group.get(ns).and_then(|&g| groups.get(g as usize)));
            let mut known = known.into_iter().flat_map(|(all, ids)| all.iter().zip(ids.iter().copied()));
            for n in names {
                let id = match known.find(|(name, _)| *name == n) {
                    Some((_, id)) => id,
                    None => table.intern_owned(Node::Principal(Subject::service_account(ns, n))),
                };
                members.push(id);
            }
            pod_account_group.insert(ns.clone(), groups.len() as u32);
            groups.push(members);
        }
        let users_group = groups.len() as u32;
        groups.push(users.iter().map(|u| table.intern_owned(Node::Principal(Subject::user(u)))).collect());
        let everything = table.intern_owned(Node::Everything);
        let (member_start, member_of) = memberships(&groups, table.nodes.len());
        let asks = Asks::new();
        let answers = asks.answer_roles(model);
        let group_bindings = |name: &str| model.bindings_naming(&Subject::group(name)).to_vec();
        EscalationGraph {
            model,
            namespaces,
            cde_namespaces: cde.into_iter().collect(),
            accounts,
            pod_accounts,
            users,
            asks,
            answers,
            sa_group_bindings: group_bindings(SA_GROUP),
            authenticated_bindings: group_bindings(AUTHENTICATED),
            unauthenticated_bindings: group_bindings(UNAUTHENTICATED),
            sa_namespace_group_bindings,
            table: RefCell::new(table),
            cache: RefCell::default(),
            no_capabilities: Rc::new(Vec::new()),
            no_edges: Rc::new([]),
            groups,
            member_start,
            member_of,
            account_group,
            pod_account_group,
            users_group,
            everything,
        }
    }

    /// The groups node `id` is a member of, in group order (none for nodes met later).
    pub(crate) fn groups_of(&self, id: u32) -> &[u32] {
        let id = id as usize;
        match (self.member_start.get(id), self.member_start.get(id + 1)) {
            (Some(&a), Some(&b)) => self.member_of.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
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
        self.node_rc(id).as_ref().clone()
    }

    /// The node with this id, shared (no copy of its names).
    fn node_rc(&self, id: u32) -> Rc<Node> {
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

    /// A role's answers to the capability requests.
    fn answer(&self, role: RoleId) -> &RoleAnswer {
        static NONE: RoleAnswer = RoleAnswer::NONE;
        self.answers.get(role).unwrap_or(&NONE)
    }

    /// The requests the holder may make somewhere: a request outside it is allowed nowhere,
    /// which most requests are for most principals of a large cluster.
    fn holder_requests(&self, holder: &Holder) -> Bits {
        match holder {
            Holder::Everything | Holder::AnyRole(_) | Holder::Superuser => Bits::MAX,
            Holder::Role(r, _) => self.answer(*r).some,
            Holder::Bindings(bindings, _) => {
                bindings.iter().filter_map(|&b| self.model.bindings.get(b)?.role).fold(0, |set, r| set | self.answer(r).some)
            }
        }
    }

    /// Where the holder may make request `k` on some object (and whether only named ones).
    fn allows(&self, holder: &Holder, k: usize) -> (ScopeSet, Vec<String>) {
        let cluster_only = self.asks.cluster_only.get(k).copied().unwrap_or(false);
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
                let a = self.answer(*r);
                if a.all & bit(k) != 0 {
                    (in_scope(scope), vec![])
                } else if a.names(k).is_empty() {
                    (ScopeSet::default(), vec![])
                } else {
                    (in_scope(scope), a.names(k).to_vec())
                }
            }
            Holder::Superuser => (ScopeSet { cluster: true, namespaces: BTreeSet::new() }, vec![]),
            Holder::Bindings(bindings, requests) => {
                if requests & bit(k) == 0 {
                    return (ScopeSet::default(), vec![]);
                }
                // As `Model::scopes_allowing(_all)`: grants of bindings that reach the request.
                let mut some = ScopeSet::default();
                let mut some_all = false;
                for b in bindings.iter().filter_map(|&b| self.model.bindings.get(b)) {
                    let Some(role) = b.role else { continue };
                    if b.kind == BindingKind::RoleBinding && cluster_only {
                        continue;
                    }
                    let a = self.answer(role);
                    if a.some & bit(k) != 0 {
                        add_binding_scope(&mut some, b);
                        some_all |= a.all & bit(k) != 0;
                    }
                }
                // Names only matter when every grant is restricted to some (a grant without
                // names is allowed on any object).
                if some_all || some.is_empty() {
                    return (some, vec![]);
                }
                let mut names = Vec::new();
                for role in bindings.iter().filter_map(|&b| self.model.bindings.get(b)?.role) {
                    names.extend(self.answer(role).names(k).iter().cloned());
                }
                (some, names)
            }
        }
    }

    fn any_of(&self, holder: &Holder, requests: Bits, asks: Range<usize>) -> ScopeSet {
        let mut set = ScopeSet::default();
        if requests & bits(asks.clone()) == 0 {
            return set;
        }
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
        let node = self.node_rc(id);
        let caps = self.compute_capabilities(&node);
        let caps = if caps.is_empty() { self.no_capabilities.clone() } else { Rc::new(caps) };
        let mut cache = self.cache.borrow_mut();
        if cache.capabilities.len() <= id as usize {
            cache.capabilities.resize(id as usize + 1, None);
        }
        cache.capabilities[id as usize] = Some(caps.clone());
        caps
    }

    /// The bindings that apply to a principal, in the order and with the duplicates removed
    /// as [`Model::bindings_for`] lists them.
    fn principal_bindings(&self, p: &Subject) -> Vec<BindingId> {
        // A User spelled as a ServiceAccount: the model's general path canonicalises it.
        if p.kind == SubjectKind::User && p.name.starts_with(SA_USER_PREFIX) {
            return self.model.bindings_for(p).iter().map(|pb| pb.binding).collect();
        }
        let mut out = self.model.bindings_naming(p).to_vec();
        let mut add = |list: &[BindingId]| {
            for &b in list {
                if !out.contains(&b) {
                    out.push(b);
                }
            }
        };
        match p.kind {
            SubjectKind::Group => {}
            SubjectKind::User if p.name == ANONYMOUS => add(&self.unauthenticated_bindings),
            SubjectKind::User => add(&self.authenticated_bindings),
            SubjectKind::ServiceAccount => {
                add(&self.sa_group_bindings);
                let ns = p.namespace.as_deref().unwrap_or("");
                if let Some(list) = self.sa_namespace_group_bindings.get(ns) {
                    add(list);
                }
                add(&self.authenticated_bindings);
            }
        }
        out
    }

    fn compute_capabilities(&self, node: &Node) -> Vec<Capability> {
        let holder = match node {
            Node::Everything => Holder::Everything,
            Node::AnyRole(scope) => Holder::AnyRole(scope),
            Node::Role(r, scope) => Holder::Role(*r, scope),
            Node::Principal(p) if self.model.is_superuser(p) => Holder::Superuser,
            Node::Principal(p) => Holder::Bindings(self.principal_bindings(p), 0),
        };
        let requests = self.holder_requests(&holder);
        if requests == 0 {
            return Vec::new();
        }
        let holder = match holder {
            Holder::Bindings(bindings, _) => Holder::Bindings(bindings, requests),
            other => other,
        };
        let holder = &holder;
        let a = &self.asks;
        let any_of = |asks: &Range<usize>| self.any_of(holder, requests, asks.clone());
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
        push(CapabilityKind::RunWorkloads, (any_of(&a.create_workloads), vec![]));
        push(CapabilityKind::RunWorkloads, (any_of(&a.change_workloads), vec![]));
        push(CapabilityKind::CreatePods, (any_of(&a.create_pods), vec![]));
        push(CapabilityKind::PatchPods, (any_of(&a.patch_pods), vec![]));
        push(CapabilityKind::ExecPods, (any_of(&a.exec_pods), vec![]));
        push(CapabilityKind::PortForward, (any_of(&a.port_forward), vec![]));
        push(CapabilityKind::GetSecrets, self.allows(holder, a.get_secrets));
        push(CapabilityKind::ListSecrets, (any_of(&a.list_secrets), vec![]));
        push(CapabilityKind::CreateTokens, self.allows(holder, a.create_tokens));
        push(CapabilityKind::ImpersonateUsers, self.allows(holder, a.impersonate_users));
        push(CapabilityKind::ImpersonateGroups, self.allows(holder, a.impersonate_groups));
        push(CapabilityKind::ImpersonateServiceAccounts, self.allows(holder, a.impersonate_service_accounts));
        for (i, (bind, write, cluster_only)) in a.bind.iter().enumerate() {
            let (bind_scope, names) = self.allows(holder, *bind);
            let create = any_of(write);
            let scope = intersect(&bind_scope, &create, *cluster_only);
            let kind = if i == 2 { CapabilityKind::BindRoles } else { CapabilityKind::BindClusterRoles };
            push(kind, (scope, names));
        }
        let escalate = any_of(&a.escalate_roles);
        let write_roles = any_of(&a.write_roles);
        push(CapabilityKind::EscalateRoles, (intersect(&escalate, &write_roles, false), vec![]));
        push(CapabilityKind::WriteBindings, (any_of(&a.write_bindings), vec![]));
        push(CapabilityKind::NodeProxy, (any_of(&a.node_proxy), vec![]));
        let approve = any_of(&a.approve_csr);
        let signers = any_of(&a.approve_signers);
        if approve.cluster && signers.cluster {
            push(CapabilityKind::ApproveCsr, (approve, vec![]));
        }
        push(CapabilityKind::WriteWebhooks, (any_of(&a.write_webhooks), vec![]));
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
}

/// For each of `nodes` node ids, the groups it is a member of, in group order, as
/// (start offsets with one extra at the end, flat group list).
fn memberships(groups: &[Vec<u32>], nodes: usize) -> (Vec<u32>, Vec<u32>) {
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

/// Whose rights a capability question is about.
enum Holder<'n> {
    Everything,
    AnyRole(&'n GrantScope),
    Role(RoleId, &'n GrantScope),
    /// `system:masters`: allowed everything.
    Superuser,
    /// A principal, through its bindings (model binding ids), with the requests at least one
    /// of their roles allows (see [`EscalationGraph::holder_requests`]).
    Bindings(Vec<BindingId>, Bits),
}

/// Add the scope a binding grants in (as [`crate::model::BindingDef::scope`]) without
/// building a [`GrantScope`].
fn add_binding_scope(set: &mut ScopeSet, b: &BindingDef) {
    match (b.kind, &b.namespace) {
        (BindingKind::RoleBinding, Some(ns)) => {
            if !set.namespaces.contains(ns) {
                set.namespaces.insert(ns.clone());
            }
        }
        _ => set.cluster = true,
    }
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
