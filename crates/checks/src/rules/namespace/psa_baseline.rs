use super::psa_restricted::enforce_verdict;
use crate::support::each::each_namespace;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Every namespace must enforce at least the baseline Pod Security Standard
    ///
    /// ## What it checks
    /// Every namespace's label `pod-security.kubernetes.io/enforce` is `baseline` or
    /// `restricted` (absent or `privileged` fails). System namespaces are not exempt: a node
    /// agent that needs more gets an exception. Namespaces without a Namespace object in the
    /// input are not assessed.
    ///
    /// ## Why PCI DSS cares
    /// In a shared cluster any pod that reaches the node reaches the CDE pods on it. Enforcing
    /// baseline everywhere applies the minimum hardening standard to every component (2.2.1)
    /// and keeps functions of different security levels isolated on shared nodes (2.2.3).
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: batch
    ///   labels: {pod-security.kubernetes.io/enforce: privileged}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: batch
    ///   labels: {pod-security.kubernetes.io/enforce: baseline}
    /// ```
    ///
    /// ## Fix
    /// `kubectl label ns NAME pod-security.kubernetes.io/enforce=baseline` (after fixing the
    /// violations POD-021 reports), and record an exception for the few namespaces that run
    /// privileged node agents.
    pub PSA_BASELINE {
        id: "NS-002",
        name: "namespace-psa-baseline",
        severity: Medium,
        applies: All,
        reads: [Namespace],
        requirements: [
            ("2.2.1", "2.2.1.c", "baseline enforcement applies the minimum hardening standard everywhere"),
            ("2.2.3", "2.2.3.c", "privileged pods on shared nodes break isolation from CDE workloads"),
        ],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_namespace(e, |_, ns, object| enforce_verdict(ns, object, &["baseline", "restricted"]));
}
