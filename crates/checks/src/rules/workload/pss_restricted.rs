use kubepci_pss::Level;
use crate::support::pss::report_controls;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Workloads in restricted-level scope must meet the Pod Security Standards restricted level
    ///
    /// ## What it checks
    /// The pod template of every workload held to the restricted level (CDE and connected by
    /// default; `hardening` in kubepci.yaml), evaluated against the `restricted` level of the
    /// Pod Security Standards (latest policy version), as the Pod Security Admission
    /// controller would. Fails with every violation, baseline or restricted.
    ///
    /// ## Why PCI DSS cares
    /// Restricted is the current best-practice hardening for pods: non-root, no privilege
    /// escalation, all capabilities dropped, a seccomp profile, safe volume types. For the
    /// components that store, process or transmit account data it is the configuration
    /// standard 2.2.1 asks for, with the security parameters of 2.2.6.
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
    ///     runAsNonRoot: true
    ///     seccompProfile: {type: RuntimeDefault}
    ///   containers:
    ///   - name: api
    ///     image: registry.example.com/pay/api:1.0
    ///     securityContext:
    ///       allowPrivilegeEscalation: false
    ///       capabilities: {drop: [ALL]}
    /// ```
    ///
    /// ## Fix
    /// Fix each listed violation, then label the CDE namespace
    /// `pod-security.kubernetes.io/enforce: restricted` (see NS-001).
    pub PSS_RESTRICTED {
        id: "POD-022",
        name: "pss-restricted",
        severity: Medium,
        applies: Restricted,
        reads: [workloads, Namespace],
        locality: Object,
        requirements: [
            ("2.2.1", "2.2.1.c", "the PSS restricted level is the hardening standard for CDE pods"),
            ("2.2.6", "2.2.6.b", "restricted violations are security parameters left open to misuse"),
        ],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    report_controls(e, Level::Restricted, None);
}
