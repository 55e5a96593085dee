use kubepci_findings::Evidence;
use kubepci_model::Resource;

use crate::support::each::{Verdict, each_of_kind};
use crate::{Context, Emitter, declare_check};

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

declare_check! {
    /// Secret values must not be copied into the last-applied annotation
    ///
    /// ## What it checks
    /// Every Secret's `kubectl.kubernetes.io/last-applied-configuration` annotation: it fails
    /// when the JSON there contains a non-empty `data` or `stringData` (what
    /// `kubectl apply` of a Secret manifest leaves behind). Only the key names are reported.
    ///
    /// ## Why PCI DSS cares
    /// The annotation is a second, unmanaged copy of the Secret's values: `stringData` in
    /// plain text, `data` base64-encoded. It is returned with the object's metadata (metadata
    /// watches, `kubectl get -o yaml`, backups, audit logs at Metadata level, GitOps diffs)
    /// and survives rotation of the real value until the next apply. Credentials must be
    /// unreadable in storage (8.3.2) and held in the fewest places (3.6.1.2 applies to keys).
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata:
    ///   name: db
    ///   namespace: shop
    ///   annotations:
    ///     kubectl.kubernetes.io/last-applied-configuration: '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"shop"},"stringData":{"password":"not-shown"}}'
    /// type: Opaque
    /// data: {password: bm90LXNob3du}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata: {name: db, namespace: shop}
    /// type: Opaque
    /// data: {password: bm90LXNob3du}
    /// ```
    ///
    /// ## Fix
    /// Create Secrets with `kubectl create secret`, server-side apply, or a secrets operator
    /// (External Secrets, Sealed Secrets) instead of client-side `kubectl apply`; remove the
    /// annotation (`kubectl annotate secret NAME kubectl.kubernetes.io/last-applied-configuration-`)
    /// and rotate the exposed values.
    pub LAST_APPLIED_SECRET {
        id: "SEC-004",
        name: "secret-in-last-applied-annotation",
        severity: Medium,
        applies: All,
        reads: [Secret],
        locality: Object,
        requirements: [
            ("8.3.2", "8.3.2.b", "the annotation stores the credential readably beside the Secret"),
            ("3.6.1.2", "3.6.1.2.b", "a key in the annotation exists in one more, unprotected form"),
        ],
        run: run,
    }
}

/// The key names under `data` and `stringData` in a last-applied JSON document.
fn leaked_keys(annotation: &str) -> Vec<String> {
    let Ok(serde_json::Value::Object(doc)) = serde_json::from_str::<serde_json::Value>(annotation) else { return Vec::new() };
    ["data", "stringData"]
        .iter()
        .filter_map(|f| doc.get(*f).and_then(|v| v.as_object()).map(|m| (f, m)))
        .flat_map(|(f, m)| m.keys().map(move |k| format!("{f}.{k}")))
        .collect()
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_of_kind(e, "Secret", |_, _, o| {
        if !matches!(o.resource, Resource::Secret(_)) {
            return Verdict::Skip;
        }
        let keys = o.annotations().get(LAST_APPLIED).map(leaked_keys).unwrap_or_default();
        if keys.is_empty() {
            return Verdict::Pass;
        }
        Verdict::Fail(
            format!("the {LAST_APPLIED} annotation holds a copy of the Secret's values ({})", keys.join(", ")),
            vec![Evidence::field(format!("metadata.annotations[{LAST_APPLIED}]"), format!("contains {}", keys.join(", ")))],
        )
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_only_in_data_sections() {
        assert_eq!(leaked_keys(r#"{"kind":"Secret","data":{"a":"x"},"stringData":{"b":"y"}}"#), ["data.a", "stringData.b"]);
        assert!(leaked_keys(r#"{"kind":"Secret","metadata":{"name":"x"}}"#).is_empty());
        assert!(leaked_keys("not json").is_empty());
        assert!(leaked_keys(r#"{"data":{}}"#).is_empty());
    }
}
