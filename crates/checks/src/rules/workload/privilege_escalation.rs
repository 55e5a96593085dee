use kubepci_pss::Level;
use crate::support::pss::report_controls;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Containers in restricted-level scope must forbid privilege escalation
    ///
    /// ## What it checks
    /// Every container of every workload held to the restricted level (CDE and connected by
    /// default; `hardening` in kubepci.yaml) sets
    /// `securityContext.allowPrivilegeEscalation: false` (Pod Security Standards control
    /// `allowPrivilegeEscalation`; Windows pods are exempt).
    ///
    /// ## Why PCI DSS cares
    /// Unless it is false, a process can gain more privileges than its parent through setuid
    /// binaries or file capabilities (`no_new_privs` is not set). Turning it off is a basic
    /// security parameter for CDE components (2.2.6) and keeps application accounts at least
    /// privilege (7.2.5).
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
    ///   containers:
    ///   - name: api
    ///     image: registry.example.com/pay/api:1.0
    ///     securityContext: {allowPrivilegeEscalation: false}
    /// ```
    ///
    /// ## Fix
    /// Set `securityContext.allowPrivilegeEscalation: false` on every container.
    pub PRIVILEGE_ESCALATION {
        id: "POD-008",
        name: "privilege-escalation-allowed",
        severity: Medium,
        applies: Restricted,
        reads: [workloads, Namespace],
        locality: Object,
        requirements: [
            ("2.2.6", "2.2.6.b", "no_new_privs is the security parameter that stops setuid escalation"),
            ("7.2.5", "7.2.5.b", "an application process must not be able to raise its own privileges"),
        ],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    report_controls(e, Level::Restricted, Some(&["allowPrivilegeEscalation"]));
}
