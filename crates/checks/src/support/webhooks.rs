//! A common view of validating and mutating admission webhooks.

use kubepci_model::k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kubepci_model::{Object, Resource};

/// The kinds that configure admission webhooks.
pub const WEBHOOK_KINDS: [&str; 2] = ["ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"];

/// The fields of one webhook the admission checks read.
pub struct Webhook<'a> {
    pub name: &'a str,
    /// `Fail` when unset (the `admissionregistration.k8s.io/v1` default).
    pub failure_policy: &'a str,
    pub namespace_selector: Option<&'a LabelSelector>,
    /// `webhooks[0]`
    pub path: String,
}

/// Every webhook of a Validating- or MutatingWebhookConfiguration (none for other kinds).
pub fn webhooks(o: &Object) -> Vec<Webhook<'_>> {
    macro_rules! view {
        ($list:expr) => {
            $list
                .iter()
                .flatten()
                .enumerate()
                .map(|(i, w)| Webhook {
                    name: &w.name,
                    failure_policy: w.failure_policy.as_deref().unwrap_or("Fail"),
                    namespace_selector: w.namespace_selector.as_ref(),
                    path: format!("webhooks[{i}]"),
                })
                .collect()
        };
    }
    match &o.resource {
        Resource::ValidatingWebhookConfiguration(c) => view!(c.webhooks),
        Resource::MutatingWebhookConfiguration(c) => view!(c.webhooks),
        _ => Vec::new(),
    }
}
