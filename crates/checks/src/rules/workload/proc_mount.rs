use kubepci_pss::Level;
use crate::support::pss::report_controls;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Containers must keep the default /proc mask
    ///
    /// ## What it checks
    /// Every container's `securityContext.procMount` is unset or `Default` (Pod Security
    /// Standards control `procMount`, evaluated at baseline level: from policy v1.35 pods
    /// with `hostUsers: false` may set any value).
    ///
    /// ## Why PCI DSS cares
    /// `Unmasked` exposes kernel interfaces under /proc that the runtime normally hides
    /// (kcore, sysrq-trigger, timer lists), giving a compromised process information and
    /// control over the node: a security parameter (2.2.6) removed.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: builder, namespace: ci}
    /// spec:
    ///   containers:
    ///   - name: builder
    ///     image: registry.example.com/ci/builder:1.4
    ///     securityContext: {procMount: Unmasked}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: builder, namespace: ci}
    /// spec:
    ///   containers:
    ///   - name: builder
    ///     image: registry.example.com/ci/builder:1.4
    ///     securityContext: {procMount: Default}
    /// ```
    ///
    /// ## Fix
    /// Remove `procMount: Unmasked`; run nested container builds in user-namespaced pods
    /// (`hostUsers: false`) or dedicated build infrastructure outside the CDE cluster.
    pub PROC_MOUNT {
        id: "POD-015",
        name: "proc-mount-unmasked",
        severity: Medium,
        applies: All,
        reads: [workloads],
        locality: Object,
        requirements: [("2.2.6", "2.2.6.b", "the /proc mask is a runtime security parameter")],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    report_controls(e, Level::Baseline, Some(&["procMount"]));
}
