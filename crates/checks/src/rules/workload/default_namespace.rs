use kubepci_findings::Evidence;

use crate::support::each::{Verdict, each_workload};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Workloads must not run in the default namespace
    ///
    /// ## What it checks
    /// Every workload's namespace is not `default` (objects without a namespace land there,
    /// unless `defaultNamespace` in `kubepci.yaml` says otherwise).
    ///
    /// ## Why PCI DSS cares
    /// The `default` namespace is the catch-all: it is rarely classified, labelled for pod
    /// security or covered by NetworkPolicies and RBAC, so what runs there escapes the controls
    /// scoped to namespaces. The CIS Kubernetes Benchmark, an industry-accepted hardening
    /// standard that configuration standards (2.2.1) are built on, keeps workloads out of it.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: default}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers:
    ///       - {name: api, image: registry.example.com/pay/api:1.0}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers:
    ///       - {name: api, image: registry.example.com/pay/api:1.0}
    /// ```
    ///
    /// ## Fix
    /// Move the workload into a dedicated, classified namespace with its own pod-security
    /// labels, NetworkPolicies and RBAC.
    pub DEFAULT_NAMESPACE {
        id: "POD-020",
        name: "default-namespace",
        severity: Low,
        applies: All,
        reads: [workloads],
        locality: Object,
        requirements: [("2.2.1", "2.2.1.c", "the CIS Kubernetes Benchmark, an industry-accepted hardening standard, keeps workloads out of the default namespace; this shows whether that part of the standard is applied")],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_workload(e, |_, _, o, _| match o.namespace() {
        Some("default") => Verdict::Fail("workload runs in the default namespace".into(), vec![Evidence::field("metadata.namespace", "default")]),
        _ => Verdict::Pass,
    });
}
