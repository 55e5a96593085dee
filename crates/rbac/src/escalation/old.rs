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

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use kubepci_inventory::{Inventory, Scope};
use kubepci_model::Resource;
use serde::Serialize;

use crate::model::{GrantScope, Model, RoleId, RoleKind};
use crate::query::ScopeSet;
use crate::resources::{WORKLOAD_RESOURCES, is_cluster_scoped};
use crate::rule::Request;
use crate::subject::{MASTERS, Subject, SubjectKind};

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

fn req(verb: &str, group: &str, resource: &str, sub: &str) -> Request {
    Request::resource(verb, group, resource, sub, "")
}

/// The graph over one model and inventory. Edges are computed lazily and cached.
pub struct EscalationGraph<'a> {
    pub model: &'a Model,
    namespaces: Vec<String>,
    cde_namespaces: Vec<String>,
    /// ServiceAccounts per namespace (input objects, pod templates, binding subjects, `default`).
    accounts: BTreeMap<String, BTreeSet<String>>,
    /// ServiceAccounts whose token is mounted in the pods of a namespace.
    pod_accounts: BTreeMap<String, BTreeSet<String>>,
    users: BTreeSet<String>,
    cache: std::cell::RefCell<HashMap<Node, std::rc::Rc<Vec<(String, Node)>>>>,
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
        let cde_namespaces = cde.into_iter().collect();
        EscalationGraph {
            model,
            namespaces: namespaces.into_iter().collect(),
            cde_namespaces,
            accounts,
            pod_accounts,
            users,
            cache: Default::default(),
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

    /// Where the node may make this request on some object (and whether only named ones).
    fn allows(&self, node: &Node, request: &Request) -> (ScopeSet, Vec<String>) {
        let (group, resource) = match &request.target {
            crate::rule::Target::Resource { api_group, resource, .. } => (api_group.as_str(), resource.as_str()),
            crate::rule::Target::NonResource { .. } => ("", ""),
        };
        let cluster_only = is_cluster_scoped(group, resource);
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
        match node {
            Node::Everything => (ScopeSet { cluster: true, namespaces: BTreeSet::new() }, vec![]),
            Node::AnyRole(scope) => (in_scope(scope), vec![]),
            Node::Role(r, scope) => {
                let rules = &self.model.roles[*r].rules;
                if rules.iter().any(|rule| rule.resource_names.is_empty() && rule.allows_some(request)) {
                    (in_scope(scope), vec![])
                } else {
                    let names: Vec<String> = rules.iter().filter(|rule| rule.allows_some(request)).flat_map(|rule| rule.resource_names.clone()).collect();
                    if names.is_empty() { (ScopeSet::default(), vec![]) } else { (in_scope(scope), names) }
                }
            }
            Node::Principal(p) => {
                let all = self.model.scopes_allowing_all(p, request);
                let some = self.model.scopes_allowing(p, request);
                if all == some || !all.is_empty() {
                    return (some, vec![]);
                }
                // Only name-restricted grants: collect the names.
                let mut names = Vec::new();
                for pb in self.model.bindings_for(p) {
                    if let Some(r) = self.model.bindings[pb.binding].role {
                        for rule in &self.model.roles[r].rules {
                            if rule.allows_some(request) {
                                names.extend(rule.resource_names.iter().cloned());
                            }
                        }
                    }
                }
                (some, names)
            }
        }
    }

    fn any_of(&self, node: &Node, verbs: &[&str], targets: &[(&str, &str, &str)]) -> ScopeSet {
        let mut set = ScopeSet::default();
        for v in verbs {
            for (g, r, s) in targets {
                let (scope, _) = self.allows(node, &req(v, g, r, s));
                set.cluster |= scope.cluster;
                set.namespaces.extend(scope.namespaces);
            }
        }
        set
    }

    /// The dangerous capabilities of a node.
    pub fn capabilities(&self, node: &Node) -> Vec<Capability> {
        let mut out = Vec::new();
        let mut push = |kind, (scope, names): (ScopeSet, Vec<String>)| {
            if !scope.is_empty() {
                out.push(Capability { kind, scope, names });
            }
        };
        let everything = self.allows(node, &req("*", "*", "*", ""));
        let is_everything = matches!(node, Node::Everything) || everything.0.cluster && everything.1.is_empty();
        if is_everything {
            push(CapabilityKind::Everything, everything);
        }
        let workloads: Vec<(&str, &str, &str)> = WORKLOAD_RESOURCES.iter().map(|(g, r)| (*g, *r, "")).collect();
        push(CapabilityKind::RunWorkloads, (self.any_of(node, &["create"], &workloads), vec![]));
        let non_pod: Vec<(&str, &str, &str)> = workloads.iter().copied().filter(|t| t.1 != "pods").collect();
        push(CapabilityKind::RunWorkloads, (self.any_of(node, &["update", "patch"], &non_pod), vec![]));
        push(CapabilityKind::CreatePods, (self.any_of(node, &["create"], &[("", "pods", "")]), vec![]));
        push(CapabilityKind::PatchPods, (self.any_of(node, &["patch", "update"], &[("", "pods", "")]), vec![]));
        push(CapabilityKind::ExecPods, (self.any_of(node, &["create"], &[("", "pods", "exec"), ("", "pods", "attach")]), vec![]));
        push(CapabilityKind::PortForward, (self.any_of(node, &["create"], &[("", "pods", "portforward")]), vec![]));
        push(CapabilityKind::GetSecrets, self.allows(node, &req("get", "", "secrets", "")));
        let list = self.any_of(node, &["list", "watch"], &[("", "secrets", "")]);
        push(CapabilityKind::ListSecrets, (list, vec![]));
        push(CapabilityKind::CreateTokens, self.allows(node, &req("create", "", "serviceaccounts", "token")));
        push(CapabilityKind::ImpersonateUsers, self.allows(node, &req("impersonate", "", "users", "")));
        push(CapabilityKind::ImpersonateGroups, self.allows(node, &req("impersonate", "", "groups", "")));
        push(CapabilityKind::ImpersonateServiceAccounts, self.allows(node, &req("impersonate", "", "serviceaccounts", "")));
        let rbac = "rbac.authorization.k8s.io";
        for (bind_res, binding_res) in [("clusterroles", "clusterrolebindings"), ("clusterroles", "rolebindings"), ("roles", "rolebindings")] {
            let (bind_scope, names) = self.allows(node, &req("bind", rbac, bind_res, ""));
            let create = self.any_of(node, &["create", "update", "patch"], &[(rbac, binding_res, "")]);
            let scope = intersect(&bind_scope, &create, binding_res == "clusterrolebindings");
            let kind = if bind_res == "roles" { CapabilityKind::BindRoles } else { CapabilityKind::BindClusterRoles };
            push(kind, (scope, names));
        }
        let escalate = self.any_of(node, &["escalate"], &[(rbac, "roles", ""), (rbac, "clusterroles", "")]);
        let write_roles = self.any_of(node, &["create", "update", "patch"], &[(rbac, "roles", ""), (rbac, "clusterroles", "")]);
        push(CapabilityKind::EscalateRoles, (intersect(&escalate, &write_roles, false), vec![]));
        push(CapabilityKind::WriteBindings, (self.any_of(node, &["create", "update", "patch"], &[(rbac, "rolebindings", ""), (rbac, "clusterrolebindings", "")]), vec![]));
        push(CapabilityKind::NodeProxy, (self.any_of(node, &["get", "create"], &[("", "nodes", "proxy")]), vec![]));
        let approve = self.any_of(node, &["update", "patch"], &[("certificates.k8s.io", "certificatesigningrequests", "approval")]);
        let signers = self.any_of(node, &["approve"], &[("certificates.k8s.io", "signers", "")]);
        if approve.cluster && signers.cluster {
            push(CapabilityKind::ApproveCsr, (approve, vec![]));
        }
        let webhooks = [("admissionregistration.k8s.io", "mutatingwebhookconfigurations", ""), ("admissionregistration.k8s.io", "validatingwebhookconfigurations", "")];
        push(CapabilityKind::WriteWebhooks, (self.any_of(node, &["create", "update", "patch"], &webhooks), vec![]));
        out
    }

    fn expand_namespaces<'s>(&'s self, scope: &'s ScopeSet) -> Vec<&'s str> {
        if scope.cluster { self.namespaces.iter().map(String::as_str).collect() } else { scope.namespaces.iter().map(String::as_str).collect() }
    }

    /// Outgoing edges: (action description, node reached).
    pub fn edges(&self, node: &Node) -> std::rc::Rc<Vec<(String, Node)>> {
        if let Some(e) = self.cache.borrow().get(node) {
            return e.clone();
        }
        let mut out: Vec<(String, Node)> = Vec::new();
        let sa = |ns: &str, name: &str| Node::Principal(Subject::service_account(ns, name));
        for cap in self.capabilities(node) {
            match cap.kind {
                CapabilityKind::RunWorkloads | CapabilityKind::CreatePods => {
                    for ns in self.expand_namespaces(&cap.scope) {
                        for name in self.accounts.get(ns).into_iter().flatten() {
                            out.push((format!("create workloads in namespace {ns} running as ServiceAccount {name}"), sa(ns, name)));
                        }
                    }
                }
                CapabilityKind::PatchPods | CapabilityKind::ExecPods => {
                    let verb = if cap.kind == CapabilityKind::PatchPods { "patch pods" } else { "exec into pods" };
                    for ns in self.expand_namespaces(&cap.scope) {
                        for name in self.pod_accounts.get(ns).into_iter().flatten() {
                            out.push((format!("{verb} in namespace {ns} that mount the token of ServiceAccount {name}"), sa(ns, name)));
                        }
                    }
                }
                CapabilityKind::GetSecrets | CapabilityKind::ListSecrets => {
                    let verb = if cap.kind == CapabilityKind::GetSecrets { "get" } else { "list" };
                    for ns in self.expand_namespaces(&cap.scope) {
                        for name in self.accounts.get(ns).into_iter().flatten() {
                            out.push((format!("{verb} secrets in namespace {ns}, including a token of ServiceAccount {name}"), sa(ns, name)));
                        }
                    }
                }
                CapabilityKind::CreateTokens => {
                    for ns in self.expand_namespaces(&cap.scope) {
                        for name in self.accounts.get(ns).into_iter().flatten() {
                            if cap.names.is_empty() || cap.names.contains(name) {
                                out.push((format!("create a token for ServiceAccount {ns}/{name}"), sa(ns, name)));
                            }
                        }
                    }
                }
                CapabilityKind::ImpersonateGroups if cap.scope.cluster && (cap.names.is_empty() || cap.names.iter().any(|n| n == MASTERS)) => {
                    out.push(("impersonate the group system:masters".into(), Node::Everything));
                }
                CapabilityKind::ImpersonateUsers if cap.scope.cluster => {
                    for u in &self.users {
                        if cap.names.is_empty() || cap.names.contains(u) {
                            out.push((format!("impersonate User {u}"), Node::Principal(Subject::user(u))));
                        }
                    }
                }
                CapabilityKind::ImpersonateServiceAccounts => {
                    for ns in self.expand_namespaces(&cap.scope) {
                        for name in self.accounts.get(ns).into_iter().flatten() {
                            if cap.names.is_empty() || cap.names.contains(name) {
                                out.push((format!("impersonate ServiceAccount {ns}/{name}"), sa(ns, name)));
                            }
                        }
                    }
                }
                CapabilityKind::BindClusterRoles => {
                    // cluster-admin exists in every cluster: binding any ClusterRole is all rights.
                    for scope in scopes_of(&cap.scope) {
                        if cap.names.is_empty() {
                            out.push((format!("bind any ClusterRole to itself ({})", scope.label()), Node::AnyRole(scope)));
                            continue;
                        }
                        for name in &cap.names {
                            if let Some(r) = self.model.find_role(RoleKind::ClusterRole, None, name) {
                                out.push((format!("bind {} to itself ({})", self.model.roles[r].display(), scope.label()), Node::Role(r, scope.clone())));
                            }
                        }
                    }
                }
                CapabilityKind::BindRoles => {
                    // Only Roles that exist in the namespace can be bound.
                    for (r, role) in self.model.roles.iter().enumerate() {
                        let Some(ns) = role.namespace.as_deref() else { continue };
                        if role.kind == RoleKind::Role && cap.scope.covers(ns) && (cap.names.is_empty() || cap.names.contains(&role.name)) {
                            let scope = GrantScope::Namespace(ns.to_string());
                            out.push((format!("bind {} to itself ({})", role.display(), scope.label()), Node::Role(r, scope)));
                        }
                    }
                }
                CapabilityKind::EscalateRoles => {
                    for scope in scopes_of(&cap.scope) {
                        out.push((format!("escalate a role it holds to any rights ({})", scope.label()), Node::AnyRole(scope)));
                    }
                }
                CapabilityKind::ApproveCsr => {
                    out.push(("approve a CertificateSigningRequest for a system:masters client certificate".into(), Node::Everything));
                }
                _ => {}
            }
        }
        if let Node::AnyRole(GrantScope::Cluster) = node {
            out.push(("grant itself cluster-admin".into(), Node::Everything));
        }
        out.retain(|(_, to)| to != node);
        let rc = std::rc::Rc::new(out);
        self.cache.borrow_mut().insert(node.clone(), rc.clone());
        rc
    }

    /// What the node can do directly in each CDE namespace: (namespace, description).
    pub fn cde_access(&self, node: &Node) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if self.cde_namespaces.is_empty() {
            return out;
        }
        let caps = self.capabilities(node);
        for ns in &self.cde_namespaces {
            let mut what: Vec<&str> = Vec::new();
            for cap in &caps {
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

    /// Shortest paths (breadth-first) from `start` to access in each CDE namespace.
    pub fn paths_from(&self, start: &Subject) -> Vec<Path> {
        let start_node = Node::Principal(start.clone());
        let mut found: BTreeMap<String, Path> = BTreeMap::new();
        let mut prev: HashMap<Node, (Node, String)> = HashMap::new();
        let mut queue = VecDeque::from([start_node.clone()]);
        let mut seen = std::collections::HashSet::from([start_node.clone()]);
        while let Some(node) = queue.pop_front() {
            if found.len() == self.cde_namespaces.len() {
                break;
            }
            for (ns, access) in self.cde_access(&node) {
                if found.contains_key(&ns) {
                    continue;
                }
                let mut steps = vec![Step { from: self.label(&node), action: format!("{access} in CDE namespace {ns}"), to: format!("CDE namespace {ns}") }];
                let mut cur = node.clone();
                while let Some((p, action)) = prev.get(&cur) {
                    steps.push(Step { from: self.label(p), action: action.clone(), to: self.label(&cur) });
                    cur = p.clone();
                }
                steps.reverse();
                found.insert(ns.clone(), Path { start: start.clone(), cde_namespace: ns, access, steps });
            }
            for (action, next) in self.edges(&node).iter() {
                if seen.insert(next.clone()) {
                    prev.insert(next.clone(), (node.clone(), action.clone()));
                    queue.push_back(next.clone());
                }
            }
        }
        found.into_values().collect()
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
