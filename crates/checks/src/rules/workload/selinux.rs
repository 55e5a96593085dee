use kubepci_pss::Level;
use crate::support::pss::report_controls;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Pods must not set custom SELinux users, roles or privileged types
    ///
    /// ## What it checks
    /// Every workload's `seLinuxOptions` (pod and containers): `type` is empty or one of the
    /// container types (`container_t`, `container_init_t`, `container_kvm_t`,
    /// `container_engine_t`), and `user` and `role` are empty (Pod Security Standards control
    /// `seLinuxOptions`).
    ///
    /// ## Why PCI DSS cares
    /// A custom SELinux type such as `spc_t` or `unconfined_t` lifts the label confinement
    /// that keeps a container away from the host's and other pods' files: a security
    /// parameter (2.2.6) overridden.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: agent, namespace: tools}
    /// spec:
    ///   securityContext:
    ///     seLinuxOptions: {type: spc_t}
    ///   containers:
    ///   - {name: agent, image: registry.example.com/tools/agent:2.1}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: agent, namespace: tools}
    /// spec:
    ///   securityContext:
    ///     seLinuxOptions: {level: "s0:c123,c456"}
    ///   containers:
    ///   - {name: agent, image: registry.example.com/tools/agent:2.1}
    /// ```
    ///
    /// ## Fix
    /// Remove `seLinuxOptions.user`, `.role` and non-container `.type` values; set only
    /// `level` (MCS categories) where needed.
    pub SELINUX {
        id: "POD-013",
        name: "selinux-options",
        severity: Medium,
        applies: All,
        reads: [workloads],
        locality: Object,
        requirements: [("2.2.6", "2.2.6.b", "SELinux confinement is a security parameter that must not be lifted")],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    report_controls(e, Level::Restricted, Some(&["seLinuxOptions"]));
}
