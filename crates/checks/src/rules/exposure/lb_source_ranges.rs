
use kubepci_findings::Evidence;

use crate::support::each::{Verdict, each_of_kind};
use crate::support::exposure::service_spec;
use crate::{Context, Emitter, declare_check};

/// Annotations (and the values) that make a cloud load balancer internal.
const INTERNAL_LB: &[(&str, &str)] = &[
    ("service.beta.kubernetes.io/aws-load-balancer-internal", "true"),
    ("service.beta.kubernetes.io/aws-load-balancer-scheme", "internal"),
    ("networking.gke.io/load-balancer-type", "internal"),
    ("cloud.google.com/load-balancer-type", "internal"),
    ("service.beta.kubernetes.io/azure-load-balancer-internal", "true"),
    ("service.beta.kubernetes.io/oci-load-balancer-internal", "true"),
    ("service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type", "private"),
];

declare_check! {
    /// Load balancers must be internal or restricted to known source ranges
    ///
    /// ## What it checks
    /// Every in-scope Service of type `LoadBalancer` either carries a cloud provider's
    /// internal-load-balancer annotation (AWS `aws-load-balancer-internal` /
    /// `aws-load-balancer-scheme: internal`, GKE `networking.gke.io/load-balancer-type:
    /// Internal`, Azure `azure-load-balancer-internal`, OCI, IBM) or sets
    /// `spec.loadBalancerSourceRanges` without `0.0.0.0/0` or `::/0`.
    ///
    /// ## Why PCI DSS cares
    /// A public load balancer without source ranges accepts traffic from the whole internet.
    /// Inbound traffic from untrusted networks must reach only components meant to be
    /// public, and only what is necessary (1.4.2); a deliberately public entry point is
    /// documented with an exception.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: connected}
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: admin-api, namespace: payments}
    /// spec:
    ///   type: LoadBalancer
    ///   selector: {app: admin-api}
    ///   ports: [{port: 443}]
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: connected}
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: admin-api
    ///   namespace: payments
    ///   annotations: {service.beta.kubernetes.io/aws-load-balancer-scheme: internal}
    /// spec:
    ///   type: LoadBalancer
    ///   selector: {app: admin-api}
    ///   ports: [{port: 443}]
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: partner-api, namespace: payments}
    /// spec:
    ///   type: LoadBalancer
    ///   loadBalancerSourceRanges: [203.0.113.0/24]
    ///   selector: {app: partner-api}
    ///   ports: [{port: 443}]
    /// ```
    ///
    /// ## Fix
    /// Add the provider's internal load balancer annotation, or list the client networks in
    /// `spec.loadBalancerSourceRanges`; for a deliberately public endpoint, record an
    /// exception and put a WAF in front.
    pub LB_SOURCE_RANGES {
        id: "EXP-002",
        name: "load-balancer-open-to-internet",
        severity: Medium,
        applies: InScope,
        reads: [Namespace, Service],
        locality: Object,
        requirements: [("1.4.2", "1.4.2", "a load balancer without source ranges accepts inbound traffic from any network; a deliberately public one is recorded as an exception")],
        run: run,
    }
}

fn is_internal(annotations: &kubepci_model::Labels) -> bool {
    INTERNAL_LB.iter().any(|(key, value)| annotations.get(key).is_some_and(|v| v.eq_ignore_ascii_case(value)))
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_of_kind(e, "Service", |_, _, o| {
        let Some(spec) = service_spec(o).filter(|s| s.type_.as_deref() == Some("LoadBalancer")) else { return Verdict::Skip };
        let ranges = spec.load_balancer_source_ranges.as_deref().unwrap_or_default();
        let open = ranges.is_empty() || ranges.iter().any(|r| matches!(r.trim(), "0.0.0.0/0" | "::/0"));
        if is_internal(o.annotations()) || !open {
            return Verdict::Pass;
        }
        let shown = if ranges.is_empty() { "<unset>".to_string() } else { ranges.join(", ") };
        Verdict::Fail(
            "LoadBalancer Service is neither internal nor restricted to source ranges".into(),
            vec![Evidence::field("spec.loadBalancerSourceRanges", shown)],
        )
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_annotations_are_case_insensitive() {
        let a = |k: &str, v: &str| [(k, v)].into_iter().collect::<kubepci_model::Labels>();
        assert!(is_internal(&a("networking.gke.io/load-balancer-type", "Internal")));
        assert!(is_internal(&a("service.beta.kubernetes.io/azure-load-balancer-internal", "true")));
        assert!(!is_internal(&a("service.beta.kubernetes.io/azure-load-balancer-internal", "false")));
        assert!(!is_internal(&kubepci_model::Labels::new()));
    }
}
