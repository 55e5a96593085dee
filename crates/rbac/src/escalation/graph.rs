//! Building the graph: the namespaces, the ServiceAccounts of each (and those pods mount),
//! the bound Users, the CDE namespaces, the bindings of the implicit groups, and every role's
//! answers to the capability requests, all read once from the model and the inventory.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use kubepci_inventory::{Inventory, Scope};
use kubepci_model::Resource;
use kubepci_model::hash::FastMap;

use super::asks::Asks;
use super::nodes::{NodeTable, memberships};
use super::{EscalationGraph, Node};
use crate::model::{BindingId, Model};
use crate::subject::{AUTHENTICATED, SA_GROUP, Subject, SubjectKind, UNAUTHENTICATED};

/// ServiceAccount names per namespace, gathered without copying strings. The same namespace
/// and account come back for every workload of a large cluster, usually one after the other
/// (manifests list a namespace's Deployment, ReplicaSet and pods together): the namespace is
/// looked up only when it changes, a name is kept unless it repeats the previous one, and the
/// other duplicates go when each namespace's names are sorted at the end. Any order gives
/// the same result; this one is only the fast case.
#[derive(Default)]
pub(super) struct AccountNames<'s> {
    index: FastMap<&'s str, usize>,
    sets: Vec<(&'s str, Vec<&'s str>)>,
    last: usize,
}

impl<'s> AccountNames<'s> {
    pub(super) fn add(&mut self, ns: &'s str, name: &'s str) {
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

    pub(super) fn namespaces(&self) -> impl Iterator<Item = &'s str> + '_ {
        self.sets.iter().map(|(ns, _)| *ns)
    }

    /// Namespace → names, both in name order.
    pub(super) fn into_map(self) -> BTreeMap<String, BTreeSet<String>> {
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

    pub fn cde_namespaces(&self) -> &[String] {
        &self.cde_namespaces
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
            out.insert((o.namespace().unwrap_or("default").to_string(), o.name().to_string()), sa.to_string());
        }
    }
    out
}
