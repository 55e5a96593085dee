use kubepci_findings::Evidence;

use crate::support::each::{Problem, Verdict, each_of_kind};
use crate::support::webhooks::{WEBHOOK_KINDS, webhooks};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Admission webhooks must fail closed
    ///
    /// ## What it checks
    /// Every webhook of every ValidatingWebhookConfiguration and MutatingWebhookConfiguration:
    /// `failurePolicy` is `Fail` (the default when unset), not `Ignore`.
    ///
    /// ## Why PCI DSS cares
    /// With `Ignore`, whenever the webhook is down, slow or unreachable the API server admits
    /// requests unchecked: policy engines, image verification and secret injection silently
    /// stop applying. Failures of critical security controls must be detected and alerted on
    /// (10.7.2); a fail-closed webhook makes its failure visible at once, a fail-open one only
    /// through the API server's fail-open metric, if someone alerts on it.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: admissionregistration.k8s.io/v1
    /// kind: ValidatingWebhookConfiguration
    /// metadata: {name: policy-engine}
    /// webhooks:
    /// - name: validate.policy.example.com
    ///   failurePolicy: Ignore
    ///   sideEffects: None
    ///   admissionReviewVersions: [v1]
    ///   clientConfig: {service: {name: policy, namespace: policy-system}}
    ///   rules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}]
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: admissionregistration.k8s.io/v1
    /// kind: ValidatingWebhookConfiguration
    /// metadata: {name: policy-engine}
    /// webhooks:
    /// - name: validate.policy.example.com
    ///   failurePolicy: Fail
    ///   sideEffects: None
    ///   admissionReviewVersions: [v1]
    ///   clientConfig: {service: {name: policy, namespace: policy-system}}
    ///   rules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}]
    /// ```
    ///
    /// ## Fix
    /// Set `failurePolicy: Fail`, run the webhook highly available, exclude only the
    /// namespaces it depends on (so it cannot block its own recovery), and alert on its
    /// failures.
    pub WEBHOOK_FAIL_OPEN {
        id: "RT-001",
        name: "webhook-fails-open",
        severity: Medium,
        applies: All,
        reads: [MutatingWebhookConfiguration, ValidatingWebhookConfiguration],
        locality: Object,
        requirements: [("10.7.2", "10.7.2.b", "with failurePolicy Ignore a failed security webhook lets every request through with no error, so the failure of the control produces no signal unless its fail-open metric is alerted on")],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    for kind in WEBHOOK_KINDS {
        each_of_kind(e, kind, |_, _, o| {
            Verdict::from_problems(webhooks(o).into_iter().filter(|w| w.failure_policy.eq_ignore_ascii_case("Ignore")).map(|w| {
                Problem::new(format!("webhook {} admits requests unchecked when it fails (failurePolicy: Ignore)", w.name), Evidence::field(format!("{}.failurePolicy", w.path), "Ignore"))
            }))
        });
    }
}
