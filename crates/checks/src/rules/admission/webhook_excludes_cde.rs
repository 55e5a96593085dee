use std::collections::BTreeMap;

use kubepci_findings::Evidence;
use kubepci_inventory::Scope;
use kubepci_model::selector::{Requirement, Selector};

use crate::support::each::{Problem, Verdict, each_of_kind};
use crate::support::webhooks::{WEBHOOK_KINDS, webhooks};
use crate::{Context, Emitter, declare_check};

/// The label the API server puts on every namespace, naming it.
const NAME_LABEL: &str = "kubernetes.io/metadata.name";

declare_check! {
    /// Admission webhooks must not exclude CDE namespaces
    ///
    /// ## What it checks
    /// Every webhook of every Validating- and MutatingWebhookConfiguration whose
    /// `namespaceSelector` has an exclusion (`NotIn` or `DoesNotExist`): none of those
    /// exclusions may leave out a CDE namespace (judged on the namespace's labels plus the
    /// automatic `kubernetes.io/metadata.name`). Opt-in selectors (`In`, `Exists`,
    /// `matchLabels`) are not judged: they are how a webhook is scoped, not exempted.
    ///
    /// ## Why PCI DSS cares
    /// A policy engine or image verifier that exempts the CDE namespace protects everything but
    /// the CDE. Configuration standards must be applied when components are configured (2.2.1);
    /// an admission policy that enforces them everywhere except the CDE leaves new CDE pods
    /// unchecked. Webhooks that are not security controls can exclude the CDE for good reason;
    /// record those as exceptions.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: admissionregistration.k8s.io/v1
    /// kind: ValidatingWebhookConfiguration
    /// metadata: {name: image-verifier}
    /// webhooks:
    /// - name: verify.images.example.com
    ///   sideEffects: None
    ///   admissionReviewVersions: [v1]
    ///   clientConfig: {service: {name: verifier, namespace: security}}
    ///   namespaceSelector:
    ///     matchExpressions:
    ///     - {key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system, payments]}
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
    /// apiVersion: admissionregistration.k8s.io/v1
    /// kind: ValidatingWebhookConfiguration
    /// metadata: {name: image-verifier}
    /// webhooks:
    /// - name: verify.images.example.com
    ///   sideEffects: None
    ///   admissionReviewVersions: [v1]
    ///   clientConfig: {service: {name: verifier, namespace: security}}
    ///   namespaceSelector:
    ///     matchExpressions:
    ///     - {key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system]}
    /// ```
    ///
    /// ## Fix
    /// Remove the CDE namespace from the webhook's exclusions (exclude only the webhook's own
    /// namespace and what it depends on), or record why the CDE is exempt.
    pub WEBHOOK_EXCLUDES_CDE {
        id: "RT-002",
        name: "webhook-excludes-cde",
        severity: Medium,
        applies: CdeRelated,
        reads: [MutatingWebhookConfiguration, Namespace, ValidatingWebhookConfiguration],
        requirements: [("2.2.1", "2.2.1.c", "an admission policy that applies the configuration standard to new pods does not apply it in the excluded CDE namespace")],
        run: run,
    }
}

/// Does the selector exclude a namespace with these labels through a NotIn/DoesNotExist term?
fn excludes(selector: &Selector, labels: &BTreeMap<String, String>) -> bool {
    selector.requirements().iter().any(|r| matches!(r, Requirement::NotIn(..) | Requirement::DoesNotExist(_)) && !r.matches(labels))
}

fn run(_cx: &Context, e: &mut Emitter) {
    let cx = e.context();
    let cde: Vec<(&str, BTreeMap<String, String>)> = cx
        .inv
        .namespaces()
        .filter(|ns| ns.scope.scope == Scope::Cde)
        .map(|ns| {
            let mut labels = ns.labels.clone();
            labels.insert(NAME_LABEL.into(), ns.name.clone());
            (ns.name.as_str(), labels)
        })
        .collect();
    for kind in WEBHOOK_KINDS {
        each_of_kind(e, kind, |_, _, o| {
            Verdict::from_problems(webhooks(o).into_iter().flat_map(|w| {
                let selector = w.namespace_selector.and_then(|s| Selector::from_label_selector(s).ok());
                let excluded: Vec<&str> = cde.iter().filter(|(_, labels)| selector.as_ref().is_some_and(|s| excludes(s, labels))).map(|(n, _)| *n).collect();
                (!excluded.is_empty()).then(|| {
                    Problem::new(format!("webhook {} excludes CDE namespaces {}", w.name, excluded.join(", ")), Evidence::path(format!("{}.namespaceSelector", w.path)))
                })
            }))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubepci_model::k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

    fn selector(op: &str, values: &[&str]) -> Selector {
        let req = LabelSelectorRequirement { key: "tier".into(), operator: op.into(), values: Some(values.iter().map(|v| v.to_string()).collect()) };
        Selector::from_label_selector(&LabelSelector { match_expressions: Some(vec![req]), match_labels: None }).unwrap_or_default()
    }

    #[test]
    fn only_exclusions_count() {
        let cde = BTreeMap::from([("tier".to_string(), "cde".to_string())]);
        assert!(excludes(&selector("NotIn", &["cde"]), &cde));
        assert!(!excludes(&selector("NotIn", &["dev"]), &cde));
        // An opt-in selector that does not match is scoping, not an exemption.
        assert!(!excludes(&selector("In", &["web"]), &cde));
    }
}
