//! Capability evaluation: which dangerous requests a node may make, and where (from each
//! role's precomputed answers), and what of that is access to a CDE namespace.

use std::collections::BTreeSet;
use std::ops::Range;
use std::rc::Rc;

use super::asks::{Bits, RoleAnswer, bit, bits};
use super::{Capability, CapabilityKind, EscalationGraph, Node};
use crate::model::{BindingDef, BindingId, BindingKind, GrantScope, RoleId};
use crate::query::ScopeSet;
use crate::subject::{ANONYMOUS, SA_USER_PREFIX, Subject, SubjectKind};

impl EscalationGraph<'_> {
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
    pub(super) fn principal_bindings(&self, p: &Subject) -> Vec<BindingId> {
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
