//! Access control checks (PCI DSS 7.2, 8.2), decided on the effective RBAC computed by
//! `kubepci-rbac` (upstream authorizer semantics, aggregation, groups, escalation), not on
//! the text of single roles. `view.rs` holds what they share.

mod anti_malware_tampering;
mod cde_escalation_paths;
mod cde_secret_readers;
mod cde_workload_exec;
mod cluster_admin;
mod control_tampering;
mod default_sa_cde;
mod escalation_verbs;
mod everyone_bindings;
mod inactive_cde_subjects;
mod node_csr_token;
mod privileged_non_idp_users;
mod prod_preprod_separation;
mod services_status_write;
mod stale_bindings;
#[cfg(test)]
mod tests;
mod view;
mod wildcard_rules;

use crate::Check;

pub const CHECKS: &[&Check] = &[
    &cluster_admin::CLUSTER_ADMIN_BINDING,
    &wildcard_rules::WILDCARD_RULES,
    &cde_secret_readers::CDE_SECRET_READERS,
    &escalation_verbs::ESCALATION_VERBS,
    &cde_workload_exec::CDE_WORKLOAD_EXEC,
    &node_csr_token::NODE_CSR_TOKEN,
    &services_status_write::SERVICES_STATUS_WRITE,
    &privileged_non_idp_users::PRIVILEGED_NON_IDP_USERS,
    &control_tampering::CONTROL_TAMPERING,
    &everyone_bindings::EVERYONE_BINDINGS,
    &default_sa_cde::DEFAULT_SA_CDE_GRANTS,
    &stale_bindings::STALE_BINDINGS,
    &cde_escalation_paths::CDE_ESCALATION_PATHS,
    &inactive_cde_subjects::INACTIVE_CDE_SUBJECTS,
    &prod_preprod_separation::PROD_PREPROD_SEPARATION,
    &anti_malware_tampering::ANTI_MALWARE_TAMPERING,
];
