//! Effective Kubernetes RBAC for PCI DSS 7.x/8.x: a model of every Role, ClusterRole
//! (aggregation resolved) and binding with the upstream authorizer's semantics; who-can and
//! per-subject queries; an escalation graph whose paths end in access to the cardholder data
//! environment (CDE); and the periodic access-review sheet.
//!
//! The model ([`Model`]) is pure and built once from the input objects. Escalation and the
//! review also need the inventory (namespace scope, workloads, ServiceAccounts, Secrets).

pub mod builtin;
pub mod escalation;
pub mod model;
pub mod query;
pub mod resources;
pub mod review;
pub mod rule;
pub mod subject;

#[cfg(test)]
mod tests;

pub use kubepci_inventory as inventory;

pub use escalation::{Capability, EscalationGraph, Path, Step};
pub use model::{BindingDef, BindingKind, GrantScope, Issue, IssueKind, Model, RoleDef, RoleKind};
pub use query::{EffectiveRule, Grant, NamespaceFilter, ScopeSet, WhoCanEntry};
pub use rule::{Request, Rule, Target, parse_resource_arg};
pub use subject::{Subject, SubjectKind};
