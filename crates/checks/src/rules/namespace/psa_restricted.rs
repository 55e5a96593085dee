use kubepci_findings::Evidence;
use kubepci_inventory::NamespaceInfo;
use kubepci_model::Object;

use crate::support::each::{Verdict, each_namespace};
use crate::{Context, Emitter, declare_check};

/// The Pod Security Admission label that rejects non-conforming pods.
pub(crate) const ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";

declare_check! {
    /// Namespaces in restricted-level scope must enforce the restricted Pod Security Standard
    ///
    /// ## What it checks
    /// Every namespace held to the restricted level (CDE and connected by default; `hardening`
    /// in kubepci.yaml) sets the label `pod-security.kubernetes.io/enforce` to `restricted`. A
    /// namespace that objects refer to but whose Namespace object is not in the input is not
    /// assessed (its labels are unknown). Cluster-wide defaults set in the API server's
    /// AdmissionConfiguration are not visible here; record them as an exception.
    ///
    /// ## Why PCI DSS cares
    /// Checking manifests finds today's violations; enforcement stops tomorrow's. Pod
    /// Security Admission at `restricted` makes the hardening standard (2.2.1) a property of
    /// the namespace, so a new or changed CDE workload cannot drop its security parameters
    /// (2.2.6).
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels:
    ///     pci.kubepci.io/scope: cde
    ///     pod-security.kubernetes.io/enforce: baseline
    ///     pod-security.kubernetes.io/warn: restricted
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels:
    ///     pci.kubepci.io/scope: cde
    ///     pod-security.kubernetes.io/enforce: restricted
    ///     pod-security.kubernetes.io/enforce-version: latest
    /// ```
    ///
    /// ## Fix
    /// `kubectl label ns NAME pod-security.kubernetes.io/enforce=restricted` after fixing the
    /// violations POD-022 reports (try `--dry-run=server` first: the API server lists the pods
    /// that would be rejected).
    pub PSA_RESTRICTED {
        id: "NS-001",
        name: "cde-namespace-psa-restricted",
        severity: High,
        applies: Restricted,
        reads: [Namespace],
        requirements: [
            ("2.2.1", "2.2.1.c", "admission enforcement applies the hardening standard to every CDE pod"),
            ("2.2.6", "2.2.6.b", "enforcement keeps pod security parameters from being relaxed"),
        ],
        run: run,
    }
}

/// Passes when the namespace enforces one of `accepted` levels; not assessed without the
/// Namespace object.
pub(crate) fn enforce_verdict(ns: &NamespaceInfo, object: Option<&Object>, accepted: &[&str]) -> Verdict {
    if object.is_none() {
        return Verdict::NotAssessed(format!("namespace {} has no Namespace object in the input; its pod-security labels are unknown", ns.name));
    }
    let level = ns.labels.get(ENFORCE_LABEL).map(String::as_str);
    if level.is_some_and(|l| accepted.contains(&l)) {
        return Verdict::Pass;
    }
    Verdict::Fail(
        format!("namespace {} enforces {} (needs {})", ns.name, level.unwrap_or("no pod security level"), accepted.join(" or ")),
        vec![Evidence::field(format!("metadata.labels[{ENFORCE_LABEL}]"), level.unwrap_or("<absent>"))],
    )
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_namespace(e, |_, ns, object| enforce_verdict(ns, object, &["restricted"]));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run as run_check;

    #[test]
    fn referenced_namespace_is_not_assessed_at_its_first_object() {
        let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: payments}\n";
        let out = run_check(&PSA_RESTRICTED, yaml, "scope: {cde: {namespaces: [payments]}}");
        assert_eq!(out.not_assessed.len(), 1);
        assert!(out.not_assessed[0].message.contains("no Namespace object"));
        assert_eq!(out.not_assessed[0].object.as_ref().map(|o| o.kind.as_str()), Some("ConfigMap"));
    }
}
