use kubepci_pss::Level;
use crate::support::pss::report_controls;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Every workload must meet the Pod Security Standards baseline
    ///
    /// ## What it checks
    /// Every workload's pod template, evaluated against the `baseline` level of the Pod
    /// Security Standards (latest policy version) with the semantics of the Pod Security
    /// Admission controller. Fails with every baseline violation; the individual controls
    /// are also reported by their own checks (POD-001 to POD-017).
    ///
    /// ## Why PCI DSS cares
    /// Baseline is the industry-accepted minimum hardening for any pod: it blocks the known
    /// privilege escalations to the node. 2.2.1 asks that configuration standards address
    /// known vulnerabilities and are applied to every component; 2.2.6 that security
    /// parameters prevent misuse. In a shared cluster a non-CDE pod that escapes to the node
    /// reaches the CDE pods there.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: agent, namespace: tools}
    /// spec:
    ///   hostNetwork: true
    ///   containers:
    ///   - name: agent
    ///     image: registry.example.com/tools/agent:2.1
    ///     securityContext:
    ///       capabilities: {add: [SYS_ADMIN]}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: agent, namespace: tools}
    /// spec:
    ///   containers:
    ///   - {name: agent, image: registry.example.com/tools/agent:2.1}
    /// ```
    ///
    /// ## Fix
    /// Fix each listed violation, then label the namespace
    /// `pod-security.kubernetes.io/enforce: baseline` so the admission controller keeps it so.
    pub PSS_BASELINE {
        id: "POD-021",
        name: "pss-baseline",
        severity: High,
        applies: All,
        reads: [workloads],
        locality: Object,
        requirements: [
            ("2.2.1", "2.2.1.c", "the PSS baseline is the minimum hardening standard for every pod"),
            ("2.2.6", "2.2.6.b", "baseline violations are security parameters left open to misuse"),
        ],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    report_controls(e, Level::Baseline, None);
}
