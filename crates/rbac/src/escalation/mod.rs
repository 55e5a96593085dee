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
//!
//! The code is split by concern: `graph` builds the graph from a model and an inventory,
//! `nodes` numbers its nodes and groups, `capabilities` evaluates what a node may do (and what
//! of it reaches the CDE), `edges` turns capabilities into edges, and `search` finds paths.

mod asks;
mod capabilities;
mod edges;
mod graph;
mod nodes;
mod search;
#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use kubepci_model::hash::FastMap;
use serde::Serialize;

use crate::model::{BindingId, GrantScope, Model, RoleId};
use crate::query::ScopeSet;
use crate::subject::Subject;
use asks::{Asks, RoleAnswer};
use nodes::{NodeCache, NodeTable};
pub use graph::token_secrets;
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
