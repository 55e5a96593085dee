use kubepci_findings::Evidence;

use crate::support::each::{Verdict, each_workload};
use crate::{Applies, Context, Emitter, declare_check};

declare_check! {
    /// Workloads must not run in the default namespace
    ///
    /// ## What it checks
    /// Every workload's namespace is not `default` (objects without a namespace land there,
    /// unless `defaultNamespace` in `kubepci.yaml` says otherwise).
    ///
    /// ## Why PCI DSS cares
    /// The `default` namespace is the catch-all: it is rarely classified, labelled for pod
    /// security or covered by NetworkPolicies and RBAC, so what runs there shares one
    /// undifferentiated security domain (2.2.3) and falls outside the documented scope
    /// (12.5.2).
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
        requirements: [
            ("2.2.3", "2.2.3.c", "the default namespace mixes unrelated workloads in one security domain"),
            ("12.5.2", "12.5.2.b", "workloads in default are rarely part of the documented scope"),
        ],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_workload(e, Applies::All, |_, _, o, _| match o.namespace() {
        Some("default") => Verdict::Fail("workload runs in the default namespace".into(), vec![Evidence::field("metadata.namespace", "default")]),
        _ => Verdict::Pass,
    });
}
