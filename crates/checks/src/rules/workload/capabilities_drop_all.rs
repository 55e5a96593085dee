use kubepci_pss::Level;
use crate::support::pss::report_controls;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Containers in restricted-level scope must drop all Linux capabilities
    ///
    /// ## What it checks
    /// Every container of every workload held to the restricted level (CDE and connected by
    /// default; `hardening` in kubepci.yaml) sets `securityContext.capabilities.drop: [ALL]`
    /// and adds nothing but NET_BIND_SERVICE (Pod Security Standards control
    /// `capabilities_restricted`).
    ///
    /// ## Why PCI DSS cares
    /// The runtime's default capability set (CHOWN, DAC_OVERRIDE, SETUID, NET_RAW, ...) is
    /// more than an application needs; in the CDE the standard asks for only what is necessary
    /// (2.2.4) and for security parameters that prevent misuse (2.2.6).
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
    ///     securityContext:
    ///       capabilities: {drop: [ALL]}
    /// ```
    ///
    /// ## Fix
    /// Set `securityContext.capabilities.drop: [ALL]` on every container and add back only
    /// NET_BIND_SERVICE if the process binds a port below 1024.
    pub CAPABILITIES_DROP_ALL {
        id: "POD-007",
        name: "capabilities-not-dropped",
        severity: Medium,
        applies: Restricted,
        reads: [workloads, Namespace],
        locality: Object,
        requirements: [
            ("2.2.4", "2.2.4.b", "default capabilities are functions the CDE application does not need"),
            ("2.2.6", "2.2.6.b", "dropping capabilities is the security parameter that limits a compromised process"),
        ],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    report_controls(e, Level::Restricted, Some(&["capabilities_restricted"]));
}
