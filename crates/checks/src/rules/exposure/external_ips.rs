use kubepci_findings::Evidence;

use crate::support::each::{Verdict, each_of_kind};
use crate::support::exposure::service_spec;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Services must not set externalIPs
    ///
    /// ## What it checks
    /// Every Service's `spec.externalIPs` is empty.
    ///
    /// ## Why PCI DSS cares
    /// `externalIPs` makes every node accept traffic for arbitrary addresses and forward it to
    /// the Service, outside the load balancer and firewall configuration; any user who can
    /// create a Service can also intercept traffic meant for those addresses (CVE-2020-8554).
    /// Inbound paths from untrusted networks must reach only components authorized to be public
    /// (1.4.2).
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: api, namespace: shop}
    /// spec:
    ///   selector: {app: api}
    ///   externalIPs: [198.51.100.7]
    ///   ports: [{port: 443}]
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: api, namespace: shop}
    /// spec:
    ///   selector: {app: api}
    ///   ports: [{port: 443}]
    /// ```
    ///
    /// ## Fix
    /// Remove `externalIPs`; publish through a LoadBalancer or Ingress, and enable the
    /// `DenyServiceExternalIPs` admission plugin.
    pub EXTERNAL_IPS {
        id: "EXP-003",
        name: "service-external-ips",
        severity: Medium,
        applies: All,
        reads: [Service],
        locality: Object,
        requirements: [("1.4.2", "1.4.2", "externalIPs open an inbound path from any network that routes to a node, outside the load balancer and firewall configuration")],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_of_kind(e, "Service", |_, _, o| {
        let ips = service_spec(o).and_then(|s| s.external_ips.as_deref()).unwrap_or_default();
        if ips.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail(format!("Service accepts traffic for external IPs {}", ips.join(", ")), vec![Evidence::field("spec.externalIPs", ips.join(", "))])
        }
    });
}
