use kubepci_findings::Evidence;
use kubepci_inventory::NamespaceInfo;
use kubepci_model::LabelLookup;

use crate::{Context, Emitter, declare_check};

/// Label and annotation keys that name a namespace's environment.
const ENV_KEYS: &[&str] = &["env", "environment", "app.kubernetes.io/environment"];

/// Words that mark a pre-production environment, in a namespace name (`payments-staging`) or
/// an environment label or annotation value (`staging`, `uat-2`). Matched as whole words, so
/// `devices` or `latest` are not matches.
const NON_PRODUCTION: &[&str] = &[
    "dev", "devel", "develop", "development", "test", "testing", "tst", "qa", "uat", "stage", "staging", "stg", "sandbox", "sbx", "preprod",
    "preproduction", "nonprod", "nonproduction",
];

/// Word pairs that spell a pre-production marker across a separator (`pre-prod`, `non_prod`).
const NON_PRODUCTION_PAIRS: &[(&str, &str)] = &[("pre", "prod"), ("pre", "production"), ("non", "prod"), ("non", "production")];

/// The pre-production marker in `text`, if any: its lowercase words (split on every
/// non-alphanumeric character) contain one of [`NON_PRODUCTION`] or a pair of
/// [`NON_PRODUCTION_PAIRS`].
fn non_production_marker(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    if let Some(w) = words.iter().find(|w| NON_PRODUCTION.contains(w)) {
        return Some((*w).to_string());
    }
    words.windows(2).find(|pair| NON_PRODUCTION_PAIRS.contains(&(pair[0], pair[1]))).map(|pair| format!("{}-{}", pair[0], pair[1]))
}

declare_check! {
    /// Non-production namespaces must not share the CDE's cluster
    ///
    /// ## What it checks
    /// When the input declares a CDE, no namespace in it looks like a pre-production
    /// environment: by its name (`payments-staging`, `checkout-dev`, `team-uat`, `pre-prod`),
    /// or by a label or annotation `env`, `environment` or `app.kubernetes.io/environment`
    /// whose value says so. Names and values are split into words on every non-alphanumeric
    /// character, and a word `dev`, `development`, `test`, `testing`, `tst`, `qa`, `uat`,
    /// `stage`, `staging`, `stg`, `sandbox`, `preprod` or `nonprod` (or `pre-prod`, `non-prod`)
    /// marks the namespace. One result for the whole input.
    ///
    /// ## Why PCI DSS cares
    /// Pre-production environments must be separated from production (6.5.3). In one cluster
    /// they share nodes, the control plane and usually admin roles with the CDE; if the sharing
    /// is intended, isolation (dedicated nodes, NetworkPolicies, RBAC) must be shown and the
    /// finding recorded as an exception. A pass only says that no namespace looks like
    /// pre-production by its name, labels or annotations; it does not show where pre-production
    /// runs or how it is separated.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde, env: production}
    /// ---
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments-staging
    /// ---
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: reports
    ///   annotations: {environment: uat}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde, env: production}
    /// ---
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: web
    ///   labels: {environment: prod}
    /// ---
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: device-registry
    /// ```
    ///
    /// ## Fix
    /// Run development, test and staging in a separate cluster (or account/project); if they
    /// must share, put them on dedicated nodes with default-deny NetworkPolicies towards the
    /// CDE and separate RBAC, and document it.
    pub NONPROD_COLOCATED {
        id: "CHG-002",
        name: "nonprod-colocated-with-cde",
        severity: Medium,
        applies: CdeRelated,
        reads: [Namespace],
        requirements: [("6.5.3", "6.5.3.b", "a namespace named or labelled as pre-production shares the cluster, its nodes and its control plane with the CDE")],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    let mut names: Vec<&str> = Vec::new();
    let mut evidence = Vec::new();
    for ns in cx.inv.namespaces() {
        let found = non_production_evidence(cx, ns);
        if !found.is_empty() {
            names.push(&ns.name);
            evidence.extend(found);
        }
    }
    if names.is_empty() {
        e.pass_cluster();
        return;
    }
    let message = format!("non-production namespaces share the cluster with the CDE: {}", names.join(", "));
    e.fail_cluster(message, evidence);
}

/// What marks `ns` as pre-production: its environment labels and annotations, then its name.
pub(crate) fn non_production_evidence(cx: &Context, ns: &NamespaceInfo) -> Vec<Evidence> {
    let annotations = ns.object.map(|i| cx.inv.objects[i].annotations() as &dyn LabelLookup);
    let mut out = Vec::new();
    for (field, values) in [("labels", Some(&ns.labels as &dyn LabelLookup)), ("annotations", annotations)] {
        for key in ENV_KEYS {
            if let Some(value) = values.and_then(|v| v.label(key)).filter(|v| non_production_marker(v).is_some()) {
                out.push(Evidence::field(format!("Namespace/{}.metadata.{field}[{key}]", ns.name), value.to_string()));
            }
        }
    }
    if out.is_empty()
        && let Some(marker) = non_production_marker(&ns.name)
    {
        out.push(Evidence::field(format!("Namespace/{}.metadata.name", ns.name), format!("{} (the word {marker:?})", ns.name)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run;

    #[test]
    fn markers_are_whole_words() {
        for name in ["payments-staging", "checkout-dev", "team-uat-2", "qa", "shop.test", "Payments_PreProd", "pre-prod-shop", "non-prod", "stg"] {
            assert!(non_production_marker(name).is_some(), "{name}");
        }
        for name in ["payments", "devices", "latest-images", "contest", "production", "prod", "stagecoach", "preview", "card-vault"] {
            assert_eq!(non_production_marker(name), None, "{name}");
        }
    }

    fn namespaces(extra: &str) -> String {
        format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: payments, labels: {{pci.kubepci.io/scope: cde}}}}\n---\n{extra}")
    }

    #[test]
    fn names_labels_and_annotations_are_noticed() {
        for extra in [
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: payments-staging}",
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: web, labels: {env: dev}}",
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: web, annotations: {environment: QA}}",
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: web, labels: {app.kubernetes.io/environment: pre-prod}}",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: checkout-sandbox}",
        ] {
            let out = run(&NONPROD_COLOCATED, &namespaces(extra), "");
            assert_eq!(out.fails.len(), 1, "{extra}");
        }
        let out = run(&NONPROD_COLOCATED, &namespaces("apiVersion: v1\nkind: Namespace\nmetadata: {name: payments-dev, labels: {env: dev}}"), "");
        let paths: Vec<&str> = out.fails[0].evidence.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["Namespace/payments-dev.metadata.labels[env]"], "a label match is the evidence; the name is not repeated");
    }

    #[test]
    fn production_namespaces_pass() {
        let out = run(&NONPROD_COLOCATED, &namespaces("apiVersion: v1\nkind: Namespace\nmetadata: {name: device-registry, labels: {env: production}}"), "");
        assert!(out.fails.is_empty());
        assert_eq!(out.passed, 1);
    }
}
