//! Network segmentation checks, decided on the reachability computed by `kubepci-netpol`
//! (NetworkPolicy, AdminNetworkPolicy and BaselineAdminNetworkPolicy semantics), not on the
//! mere presence of policies.

mod api_server_reach;
mod cde_boundary_flows;
mod cni_enforces_policy;
mod cross_scope_ingress;
mod default_deny_egress;
mod default_deny_ingress;
mod dns_egress_scoped;
mod hostnetwork_in_cde;
mod metadata_endpoint;
mod no_allow_all_rules;
mod no_broad_egress;
mod ports_explicit;
#[cfg(test)]
mod tests;

use crate::Check;

pub const CHECKS: &[&Check] = &[
    &default_deny_ingress::DEFAULT_DENY_INGRESS,
    &default_deny_egress::DEFAULT_DENY_EGRESS,
    &no_allow_all_rules::NO_ALLOW_ALL_RULES,
    &no_broad_egress::NO_BROAD_EGRESS,
    &dns_egress_scoped::DNS_EGRESS_SCOPED,
    &cross_scope_ingress::CROSS_SCOPE_INGRESS,
    &ports_explicit::PORTS_EXPLICIT,
    &cni_enforces_policy::CNI_ENFORCES_POLICY,
    &hostnetwork_in_cde::HOSTNETWORK_IN_CDE,
    &cde_boundary_flows::CDE_BOUNDARY_FLOWS,
    &metadata_endpoint::METADATA_ENDPOINT,
    &api_server_reach::API_SERVER_REACH,
];
