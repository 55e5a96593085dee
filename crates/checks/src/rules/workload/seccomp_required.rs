use kubepci_pss::Level;
use crate::support::pss::report_controls;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Pods in restricted-level scope must set a seccomp profile
    ///
    /// ## What it checks
    /// Every workload held to the restricted level (CDE and connected by default; `hardening`
    /// in kubepci.yaml) sets `securityContext.seccompProfile.type` to `RuntimeDefault` or
    /// `Localhost` on the pod, or on every container (Pod Security Standards control
    /// `seccompProfile_restricted`; Windows pods are exempt).
    ///
    /// ## Why PCI DSS cares
    /// Without an explicit profile most runtimes run containers unconfined. In the CDE the
    /// kernel attack surface must be limited by configuration, not left to defaults (2.2.6),
    /// following the hardening standard (2.2.1).
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
    ///   - {name: api, image: registry.example.com/pay/api:1.0}
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
    ///   securityContext:
    ///     seccompProfile: {type: RuntimeDefault}
    ///   containers:
    ///   - {name: api, image: registry.example.com/pay/api:1.0}
    /// ```
    ///
    /// ## Fix
    /// Set `spec.securityContext.seccompProfile.type: RuntimeDefault` on the pod template.
    pub SECCOMP_REQUIRED {
        id: "POD-011",
        name: "seccomp-not-set",
        severity: Medium,
        applies: Restricted,
        reads: [workloads, Namespace],
        locality: Object,
        requirements: [
            ("2.2.1", "2.2.1.c", "the restricted pod standard is the hardening baseline for CDE workloads"),
            ("2.2.6", "2.2.6.b", "an explicit seccomp profile limits the kernel attack surface"),
        ],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    report_controls(e, Level::Restricted, Some(&["seccompProfile_restricted"]));
}
