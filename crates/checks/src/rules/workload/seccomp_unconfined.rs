use kubepci_pss::Level;
use crate::support::pss::report_controls;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Pods must not run with seccomp disabled
    ///
    /// ## What it checks
    /// Every workload's `securityContext.seccompProfile.type` (pod and containers) is not
    /// `Unconfined`, and legacy seccomp annotations name only `runtime/default`,
    /// `docker/default` or `localhost/*` (Pod Security Standards control
    /// `seccompProfile_baseline`, evaluated at baseline level).
    ///
    /// ## Why PCI DSS cares
    /// Seccomp filters the system calls a container can make; `Unconfined` exposes the whole
    /// kernel interface to a compromised process, the usual route of container escapes. It is
    /// a security parameter that 2.2.6 expects to be set everywhere, CDE or not.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: worker, namespace: batch}
    /// spec:
    ///   securityContext:
    ///     seccompProfile: {type: Unconfined}
    ///   containers:
    ///   - {name: worker, image: registry.example.com/batch/worker:3.2}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: worker, namespace: batch}
    /// spec:
    ///   securityContext:
    ///     seccompProfile: {type: RuntimeDefault}
    ///   containers:
    ///   - {name: worker, image: registry.example.com/batch/worker:3.2}
    /// ```
    ///
    /// ## Fix
    /// Remove `seccompProfile: {type: Unconfined}`; set `RuntimeDefault` on the pod, or a
    /// `Localhost` profile where the default blocks a needed call.
    pub SECCOMP_UNCONFINED {
        id: "POD-010",
        name: "seccomp-unconfined",
        severity: Medium,
        applies: All,
        reads: [workloads],
        locality: Object,
        requirements: [("2.2.6", "2.2.6.b", "system-call filtering is a kernel security parameter")],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    report_controls(e, Level::Baseline, Some(&["seccompProfile_baseline"]));
}
