use kubepci_findings::Evidence;

use crate::support::each::{Problem, container_label, each_container};
use crate::{Context, Emitter, declare_check};

/// The limits every in-scope container must set.
const REQUIRED_LIMITS: &[&str] = &["cpu", "memory"];

declare_check! {
    /// In-scope containers must set CPU and memory limits
    ///
    /// ## What it checks
    /// Every container and init container of every CDE, connected or security-impacting
    /// workload sets `resources.limits.cpu` and `resources.limits.memory`.
    ///
    /// ## Why PCI DSS cares
    /// Without limits one workload can exhaust a node's CPU or memory and starve the CDE
    /// components and security agents sharing it (the kernel OOM killer picks its victims
    /// freely). Industry hardening guidance for Kubernetes asks for limits; where the entity's
    /// configuration standard (2.2.1) includes them, this check shows whether the standard is
    /// applied. Limits are not isolation between security levels in the sense of 2.2.3.
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
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   containers:
    ///   - name: api
    ///     image: registry.example.com/pay/api:1.0
    ///     resources:
    ///       limits: {memory: 256Mi}
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
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   containers:
    ///   - name: api
    ///     image: registry.example.com/pay/api:1.0
    ///     resources:
    ///       limits: {cpu: 500m, memory: 256Mi}
    /// ```
    ///
    /// ## Fix
    /// Set `resources.limits.cpu` and `resources.limits.memory` on every container (and a
    /// LimitRange in the namespace as a default).
    pub RESOURCE_LIMITS {
        id: "POD-019",
        name: "resource-limits",
        severity: Low,
        applies: InScope,
        reads: [workloads, Namespace],
        locality: Object,
        requirements: [("2.2.1", "2.2.1.c", "resource limits are part of industry Kubernetes hardening guidance (NSA/CISA); where the entity's configuration standard adopts it, this shows whether it is applied")],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_container(e, |_, c| {
        let limits = c.container.resources.as_ref().and_then(|r| r.limits.as_ref());
        let missing: Vec<&str> = REQUIRED_LIMITS.iter().copied().filter(|k| !limits.is_some_and(|l| l.contains_key(*k))).collect();
        (!missing.is_empty()).then(|| {
            let evidence = Evidence::field(format!("{}.resources.limits", c.path), format!("missing {}", missing.join(", ")));
            Problem::new(format!("{} sets no {} limit", container_label(c), missing.join(" or ")), evidence)
        })
    });
}
