//! External exposure: Services, load balancers and Ingresses in front of in-scope workloads.

mod admin_ui_exposed;
mod cde_route_waf;
mod cde_service_exposed;
mod cleartext_ports;
mod external_ips;
mod external_traffic_policy;
mod ingress_snippets;
mod ingress_tls;
mod lb_source_ranges;

use crate::Check;

pub const CHECKS: &[&Check] = &[
    &cde_service_exposed::CDE_SERVICE_EXPOSED,
    &lb_source_ranges::LB_SOURCE_RANGES,
    &external_ips::EXTERNAL_IPS,
    &ingress_tls::INGRESS_TLS,
    &cleartext_ports::CLEARTEXT_PORTS,
    &admin_ui_exposed::ADMIN_UI_EXPOSED,
    &ingress_snippets::INGRESS_SNIPPETS,
    &external_traffic_policy::EXTERNAL_TRAFFIC_POLICY,
    &cde_route_waf::CDE_ROUTE_WAF,
];
