use kubepci_pss::Level;
use crate::support::pss::report_controls;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Containers must not run privileged
    ///
    /// ## What it checks
    /// Every container, init container and ephemeral container of every workload for
    /// `securityContext.privileged: true`, and Windows pods for `hostProcess: true`
    /// (Pod Security Standards controls `privileged` and `windowsHostProcess`).
    ///
    /// ## Why PCI DSS cares
    /// A privileged container has every capability and all host devices: it is root on the
    /// node, so one compromised pod reaches every other workload on that node, CDE or not.
    /// Requirement 2.2.6 asks that security parameters prevent misuse, and 2.2.3 that functions
    /// of different security levels sharing a system are isolated.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: debug, namespace: payments}
    /// spec:
    ///   containers:
    ///   - name: shell
    ///     image: registry.example.com/tools/shell:1.0
    ///     securityContext: {privileged: true}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   containers:
    ///   - name: api
    ///     image: registry.example.com/pay/api:1.0
    ///     securityContext: {privileged: false}
    /// ```
    ///
    /// ## Fix
    /// Remove `privileged: true`. Grant only the specific capabilities the process needs, and
    /// move node-level agents to a dedicated, security-scoped namespace with an exception.
    pub PRIVILEGED_CONTAINER {
        id: "POD-001",
        name: "privileged-container",
        severity: Critical,
        applies: All,
        reads: [workloads],
        locality: Object,
        requirements: [
            ("2.2.6", "2.2.6.b", "privileged mode switches off the container's security parameters"),
            ("2.2.3", "2.2.3.c", "a privileged container is root on the node and reaches every other workload there, so functions of different security levels are no longer isolated"),
        ],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    report_controls(e, Level::Restricted, Some(&["privileged", "windowsHostProcess"]));
}
