//! What Services and Ingresses put in front of workloads, for the exposure checks.

use kubepci_inventory::{Scope, Workload};
use kubepci_model::k8s_openapi::api::core::v1::ServiceSpec;
use kubepci_model::kinds::Ingress;
use kubepci_model::{Object, Resource};

use crate::Context;

/// The spec of a Service object.
pub fn service_spec(o: &Object) -> Option<&ServiceSpec> {
    match &o.resource {
        Resource::Service(s) => s.spec.as_ref(),
        _ => None,
    }
}

/// `LoadBalancer` or `NodePort`: reachable from outside the cluster network.
pub fn service_type_exposed(spec: &ServiceSpec) -> bool {
    matches!(spec.type_.as_deref(), Some("LoadBalancer" | "NodePort"))
}

/// Workloads in the Service's namespace whose pod template labels match its selector. A
/// Service without a selector (endpoints managed by hand) selects no workload.
pub fn selected_workloads<'a>(cx: &Context<'a>, service: &Object) -> Vec<&'a Workload> {
    let Some(selector) = service_spec(service).and_then(|s| s.selector.as_ref()).filter(|s| !s.is_empty()) else { return Vec::new() };
    cx.inv.workloads_selected_by(service.namespace().unwrap_or(""), selector)
}

/// Names of the CDE workloads a Service selects, sorted and without repeats (empty when none).
pub fn selected_cde_workloads(cx: &Context, service: &Object) -> Vec<String> {
    let mut names: Vec<String> = selected_workloads(cx, service).into_iter().filter(|w| w.scope.scope == Scope::Cde).map(|w| workload_name(cx, w)).collect();
    names.sort();
    names.dedup();
    names
}

/// `Deployment/api`, for messages.
pub fn workload_name(cx: &Context, w: &Workload) -> String {
    let o = &cx.inv.objects[w.object];
    format!("{}/{}", o.kind(), o.name())
}

/// One backend an Ingress routes to.
#[derive(Debug, PartialEq)]
pub struct IngressBackend<'a> {
    /// The rule's host; `None` for the default backend and host-less rules.
    pub host: Option<&'a str>,
    pub service: &'a str,
    /// Field path of the backend's service name.
    pub path: String,
}

/// Every Service backend of an Ingress (default backend and rule paths).
pub fn ingress_backends(ing: &Ingress) -> Vec<IngressBackend<'_>> {
    let mut out = Vec::new();
    let Some(spec) = &ing.spec else { return out };
    if let Some(svc) = spec.default_backend.as_ref().and_then(|b| b.service.as_ref()) {
        out.push(IngressBackend { host: None, service: &svc.name, path: "spec.defaultBackend.service.name".into() });
    }
    for (ri, rule) in spec.rules.iter().flatten().enumerate() {
        for (pi, p) in rule.http.iter().flat_map(|h| h.paths.iter()).enumerate() {
            if let Some(svc) = &p.backend.service {
                let path = format!("spec.rules[{ri}].http.paths[{pi}].backend.service.name");
                out.push(IngressBackend { host: rule.host.as_deref().filter(|h| !h.is_empty()), service: &svc.name, path });
            }
        }
    }
    out
}

/// The Services an Ingress routes to that exist in the input, with the backend.
pub fn ingress_services<'a>(cx: &Context<'a>, ingress: &'a Object) -> Vec<(IngressBackend<'a>, &'a Object)> {
    let Resource::Ingress(ing) = &ingress.resource else { return Vec::new() };
    ingress_backends(ing).into_iter().filter_map(|b| cx.inv.get("Service", ingress.namespace(), b.service).map(|s| (b, s))).collect()
}

/// Does a TLS host pattern (`*.example.com` or exact) cover `host`? Wildcards cover exactly one
/// leading label, as TLS certificates do.
pub fn tls_host_covers(pattern: &str, host: &str) -> bool {
    let (pattern, host) = (pattern.to_ascii_lowercase(), host.to_ascii_lowercase());
    match pattern.strip_prefix("*.") {
        Some(suffix) => host.split_once('.').is_some_and(|(first, rest)| !first.is_empty() && rest == suffix),
        None => pattern == host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_wildcards_cover_one_label() {
        assert!(tls_host_covers("*.example.com", "pay.example.com"));
        assert!(!tls_host_covers("*.example.com", "a.pay.example.com"));
        assert!(!tls_host_covers("*.example.com", "example.com"));
        assert!(tls_host_covers("Pay.Example.com", "pay.example.com"));
    }
}
