use kubepci_findings::Evidence;
use kubepci_model::Resource;
use kubepci_model::k8s_openapi::api::networking::v1::IngressTLS;

use crate::support::each::{Problem, Verdict, each_of_kind};
use crate::support::exposure::{ingress_services, selected_cde_workloads, tls_host_covers};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Ingress routes to CDE workloads must terminate TLS
    ///
    /// ## What it checks
    /// Every Ingress with a backend Service that selects a CDE workload (same namespace,
    /// Service selector against pod template labels): each such rule's host must be covered
    /// by a `spec.tls[].hosts` entry (exact, or a `*.` wildcard for one label). A rule without
    /// a host (and the default backend) needs a `spec.tls` entry without hosts. Ingresses
    /// that route to no CDE workload are not reported.
    ///
    /// ## Why PCI DSS cares
    /// Traffic through an Ingress crosses open networks between the client and the cluster.
    /// Cardholder data sent to CDE workloads must be protected with strong cryptography and
    /// trusted certificates (4.2.1); plain HTTP also exposes session credentials (8.3.2).
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: checkout, namespace: payments, labels: {app: checkout}}
    /// spec:
    ///   containers:
    ///   - {name: checkout, image: registry.example.com/pay/checkout:1.0}
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: checkout, namespace: payments}
    /// spec:
    ///   selector: {app: checkout}
    ///   ports: [{port: 8080}]
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: checkout, namespace: payments}
    /// spec:
    ///   tls: [{hosts: [www.example.com], secretName: www-tls}]
    ///   rules:
    ///   - host: pay.example.com
    ///     http:
    ///       paths:
    ///       - {path: /, pathType: Prefix, backend: {service: {name: checkout, port: {number: 8080}}}}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: checkout, namespace: payments, labels: {app: checkout}}
    /// spec:
    ///   containers:
    ///   - {name: checkout, image: registry.example.com/pay/checkout:1.0}
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: checkout, namespace: payments}
    /// spec:
    ///   selector: {app: checkout}
    ///   ports: [{port: 8080}]
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: checkout, namespace: payments}
    /// spec:
    ///   tls: [{hosts: ["*.example.com"], secretName: wildcard-tls}]
    ///   rules:
    ///   - host: pay.example.com
    ///     http:
    ///       paths:
    ///       - {path: /, pathType: Prefix, backend: {service: {name: checkout, port: {number: 8080}}}}
    /// ```
    ///
    /// ## Fix
    /// Add a `spec.tls` entry whose `hosts` cover every host routed to CDE workloads, with a
    /// certificate from a trusted CA, and redirect HTTP to HTTPS.
    pub INGRESS_TLS {
        id: "EXP-004",
        name: "cde-ingress-without-tls",
        severity: High,
        applies: CdeRelated,
        reads: [workloads, Ingress, Namespace, Service],
        requirements: [
            ("4.2.1", "4.2.1.b", "cardholder data sent to CDE workloads through the Ingress crosses open networks and must be protected by TLS"),
            ("8.3.2", "8.3.2.a", "credentials sent to CDE workloads over plain HTTP are readable in transit"),
        ],
        run: run,
    }
}

/// Does some TLS entry cover the rule's host (`None`: a host-less rule or default backend)?
fn tls_covers(tls: &[IngressTLS], host: Option<&str>) -> bool {
    tls.iter().any(|t| {
        let hosts = t.hosts.as_deref().unwrap_or_default();
        match host {
            Some(h) => hosts.iter().any(|p| tls_host_covers(p, h)),
            None => hosts.is_empty(),
        }
    })
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_of_kind(e, "Ingress", |cx, _, o| {
        let Resource::Ingress(ing) = &o.resource else { return Verdict::Skip };
        let tls = ing.spec.as_ref().and_then(|s| s.tls.as_deref()).unwrap_or_default();
        let to_cde: Vec<_> = ingress_services(cx, o).into_iter().filter(|(_, svc)| !selected_cde_workloads(cx, svc).is_empty()).map(|(b, _)| b).collect();
        if to_cde.is_empty() {
            return Verdict::Skip;
        }
        // One problem per uncovered host, however many paths route it to the CDE.
        let mut problems = Vec::new();
        let mut reported = Vec::new();
        for b in to_cde {
            if tls_covers(tls, b.host) || reported.contains(&b.host) {
                continue;
            }
            reported.push(b.host);
            let host = b.host.unwrap_or("<any host>");
            problems.push(Problem::new(format!("host {host} routes to CDE Service {} without TLS", b.service), Evidence::field(b.path, b.service)));
        }
        Verdict::from_problems(problems)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_less_rules_need_host_less_tls() {
        let tls = |hosts: Option<Vec<&str>>| IngressTLS { hosts: hosts.map(|h| h.into_iter().map(String::from).collect()), secret_name: None };
        assert!(tls_covers(&[tls(None)], None));
        assert!(!tls_covers(&[tls(Some(vec!["a.example.com"]))], None));
        assert!(tls_covers(&[tls(Some(vec!["*.example.com"]))], Some("a.example.com")));
        assert!(!tls_covers(&[], Some("a.example.com")));
    }
}
