use std::collections::BTreeMap;

use kubepci_findings::Evidence;
use kubepci_inventory::Scope;
use kubepci_model::selector::Selector;
use kubepci_model::{Object, Resource};
use serde_json::Value;

use crate::support::webhooks::webhooks;
use crate::{Context, Emitter, declare_check};

/// The label Kubernetes sets on every Namespace to its name (selectors may use it).
const NAME_LABEL: &str = "kubernetes.io/metadata.name";
/// sigstore policy-controller enforces only in namespaces labelled so.
const SIGSTORE_INCLUDE: &str = "policy.sigstore.dev/include";

declare_check! {
    /// CDE namespaces must be covered by an admission policy that verifies image signatures
    ///
    /// ## What it checks
    /// Each CDE namespace is covered by at least one enforcing image-signature policy:
    /// a Kyverno `ClusterPolicy` (or a `Policy` in the namespace) with a `verifyImages` rule
    /// that matches Pods in the namespace (its `namespaces` and `namespaceSelector`, less its
    /// `exclude`), in `Enforce` mode, whose `imageReferences` cover every image the
    /// namespace's workloads run; a sigstore policy-controller `ClusterImagePolicy` (not in
    /// `warn` mode) whose `images` globs cover those images, with the namespace opted in by
    /// the label `policy.sigstore.dev/include=true`; a Gatekeeper constraint whose
    /// ConstraintTemplate calls Ratify, matching the namespace and denying; or a Connaisseur
    /// admission webhook whose namespace selector admits the namespace. In manifests without
    /// any such policy object the check is not assessed (the policies may be deployed from
    /// elsewhere); on a cluster or snapshot their absence fails.
    ///
    /// ## Why PCI DSS cares
    /// Verifying signatures at admission makes only software built and approved through the
    /// change process run in the CDE: an image pushed around the pipeline is refused. It is
    /// evidence that changes to CDE system components follow change control (6.5.1) and that
    /// the software running is the inventoried, authorised software (6.3.2).
    ///
    /// ## Failing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers: [{name: api, image: "registry.pay.example/payments/api:3.4.2"}]
    /// ---
    /// apiVersion: kyverno.io/v1
    /// kind: ClusterPolicy
    /// metadata: {name: verify-signatures}
    /// spec:
    ///   validationFailureAction: Audit
    ///   rules:
    ///   - name: cosign
    ///     match: {any: [{resources: {kinds: [Pod]}}]}
    ///     verifyImages:
    ///     - imageReferences: ["registry.pay.example/*"]
    ///       attestors: [{entries: [{keys: {publicKeys: "-----BEGIN PUBLIC KEY-----"}}]}]
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers: [{name: api, image: "registry.pay.example/payments/api:3.4.2"}]
    /// ---
    /// apiVersion: kyverno.io/v1
    /// kind: ClusterPolicy
    /// metadata: {name: verify-signatures}
    /// spec:
    ///   validationFailureAction: Enforce
    ///   rules:
    ///   - name: cosign
    ///     match: {any: [{resources: {kinds: [Pod], namespaceSelector: {matchLabels: {pci.kubepci.io/scope: cde}}}}]}
    ///     verifyImages:
    ///     - imageReferences: ["registry.pay.example/*"]
    ///       attestors: [{entries: [{keys: {publicKeys: "-----BEGIN PUBLIC KEY-----"}}]}]
    /// ```
    ///
    /// ## Fix
    /// Sign images in the pipeline (cosign, Notation) and enforce verification for the CDE
    /// namespaces: a Kyverno `verifyImages` rule in `Enforce` mode, a sigstore
    /// `ClusterImagePolicy` with the namespaces labelled `policy.sigstore.dev/include=true`,
    /// Ratify behind Gatekeeper, or Connaisseur, covering every registry the CDE pulls from.
    pub SIGNATURE_POLICY {
        id: "IMG-005",
        name: "cde-image-signature-verification",
        severity: High,
        applies: Cde,
        reads: [workloads, Namespace, ClusterPolicy, Policy, ClusterImagePolicy, ConstraintTemplate, MutatingWebhookConfiguration, ValidatingWebhookConfiguration],
        requirements: [
            ("6.5.1", "6.5.1.b", "admission that refuses unsigned images makes every change to CDE software pass the signing step of change control"),
            ("6.3.2", "6.3.2.b", "only signed, inventoried images can run in the CDE namespaces"),
        ],
        run: run,
    }
}

/// `*` matches any run of characters (Kyverno and sigstore globs; `**` the same here).
use kubepci_base::text::glob;

/// An image as written and with Docker Hub's implicit parts, so patterns of either form match.
fn image_forms(image: &str) -> [String; 2] {
    [image.to_string(), kubepci_vulns::ImageRef::parse(image).display()]
}

fn covered_by(patterns: &[String], image: &str) -> bool {
    image_forms(image).iter().any(|i| patterns.iter().any(|p| glob(p, i) || glob(&format!("{p}*"), i) && p.ends_with('/')))
}

pub(crate) fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array).map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

pub(crate) fn body(o: &Object) -> Option<&serde_json::Map<String, Value>> {
    match &o.resource {
        Resource::Generic(g) => Some(&g.body),
        _ => None,
    }
}

/// Whether a Kyverno `resources` block selects Pods of namespace `ns` (labels `labels`).
pub(crate) fn kyverno_resources_select(r: &Value, ns: &str, labels: &BTreeMap<String, String>) -> bool {
    let kinds = strings(r.get("kinds"));
    let kinds_ok = kinds.is_empty() || kinds.iter().any(|k| k == "Pod" || k == "*" || k.ends_with("/Pod"));
    let names = strings(r.get("namespaces"));
    let ns_ok = names.is_empty() || names.iter().any(|p| glob(p, ns));
    let selector_ok = match r.get("namespaceSelector").and_then(|s| serde_json::from_value(s.clone()).ok()).and_then(|s| Selector::from_label_selector(&s).ok()) {
        Some(sel) => sel.matches(labels),
        None => r.get("namespaceSelector").is_none(),
    };
    kinds_ok && ns_ok && selector_ok
}

/// The `resources` blocks of a Kyverno `match` or `exclude` (`any`, `all`, or direct).
pub(crate) fn kyverno_blocks(m: Option<&Value>) -> (Vec<&Value>, bool) {
    let Some(m) = m else { return (Vec::new(), false) };
    if let Some(any) = m.get("any").and_then(Value::as_array) {
        return (any.iter().filter_map(|b| b.get("resources")).collect(), false);
    }
    if let Some(all) = m.get("all").and_then(Value::as_array) {
        return (all.iter().filter_map(|b| b.get("resources")).collect(), true);
    }
    (m.get("resources").into_iter().collect(), false)
}

/// One namespace's coverage, or why each candidate falls short.
fn kyverno(o: &Object, ns: &str, labels: &BTreeMap<String, String>, images: &[&str], notes: &mut Vec<String>) -> bool {
    let Some(spec) = body(o).and_then(|b| b.get("spec")) else { return false };
    if o.kind() == "Policy" && o.namespace() != Some(ns) {
        return false;
    }
    let policy_action = spec.get("validationFailureAction").and_then(Value::as_str).unwrap_or("Audit");
    let mut covered = false;
    for rule in spec.get("rules").and_then(Value::as_array).into_iter().flatten() {
        let Some(verify) = rule.get("verifyImages").and_then(Value::as_array) else { continue };
        let (matches, all) = kyverno_blocks(rule.get("match"));
        let selects = if all { matches.iter().all(|r| kyverno_resources_select(r, ns, labels)) } else { matches.iter().any(|r| kyverno_resources_select(r, ns, labels)) };
        let (excludes, _) = kyverno_blocks(rule.get("exclude"));
        let excluded = excludes.iter().any(|r| (r.get("namespaces").is_some() || r.get("namespaceSelector").is_some()) && kyverno_resources_select(r, ns, labels));
        let rule_name = rule.get("name").and_then(Value::as_str).unwrap_or("");
        if !selects || excluded {
            continue;
        }
        for v in verify {
            let action = v.get("failureAction").and_then(Value::as_str).unwrap_or(policy_action);
            if !action.eq_ignore_ascii_case("enforce") {
                notes.push(format!("{} rule {rule_name} only audits ({action})", o.object_ref()));
                continue;
            }
            let mut patterns = strings(v.get("imageReferences"));
            patterns.extend(strings(v.get("image")));
            let uncovered: Vec<&&str> = images.iter().filter(|i| !covered_by(&patterns, i)).collect();
            if uncovered.is_empty() {
                covered = true;
            } else {
                notes.push(format!("{} rule {rule_name} does not cover {}", o.object_ref(), uncovered.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")));
            }
        }
    }
    covered
}

fn sigstore(policies: &[&Object], labels: &BTreeMap<String, String>, images: &[&str], notes: &mut Vec<String>) -> bool {
    if policies.is_empty() {
        return false;
    }
    if labels.get(SIGSTORE_INCLUDE).map(String::as_str) != Some("true") {
        notes.push(format!("sigstore policy-controller is configured but the namespace is not labelled {SIGSTORE_INCLUDE}=true"));
        return false;
    }
    let enforcing: Vec<Vec<String>> = policies
        .iter()
        .filter_map(|p| body(p)?.get("spec"))
        .filter(|s| s.get("mode").and_then(Value::as_str).is_none_or(|m| m.eq_ignore_ascii_case("enforce")))
        .map(|s| s.get("images").and_then(Value::as_array).map(|a| a.iter().filter_map(|i| i.get("glob").and_then(Value::as_str).map(str::to_string)).collect()).unwrap_or_default())
        .collect();
    let uncovered: Vec<&&str> = images.iter().filter(|i| !enforcing.iter().any(|globs| covered_by(globs, i))).collect();
    if !uncovered.is_empty() {
        notes.push(format!("no enforcing ClusterImagePolicy covers {}", uncovered.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")));
    }
    uncovered.is_empty()
}

/// Gatekeeper constraints whose template calls Ratify, matching the namespace and denying.
fn ratify(cx: &Context, ns: &str, notes: &mut Vec<String>) -> bool {
    gatekeeper_denies_in(cx, ns, "(Ratify) ", |spec| spec.to_string().to_ascii_lowercase().contains("ratify"), notes)
}

/// Whether a Gatekeeper constraint, of a ConstraintTemplate whose spec `template` accepts,
/// selects namespace `ns` with the `deny` action. Constraints that select it but only warn or
/// dry-run are noted (`<constraint> <what>only warns`).
pub(crate) fn gatekeeper_denies_in(cx: &Context, ns: &str, what: &str, template: impl Fn(&Value) -> bool, notes: &mut Vec<String>) -> bool {
    let kinds: Vec<String> = cx
        .inv
        .of_kind("ConstraintTemplate")
        .filter_map(|t| {
            let spec = body(t)?.get("spec")?;
            template(spec).then(|| spec.pointer("/crd/spec/names/kind").and_then(Value::as_str).map(str::to_string))?
        })
        .collect();
    kinds.iter().any(|kind| {
        cx.inv.of_kind(kind).filter(|c| c.api_version.starts_with("constraints.gatekeeper.sh/")).any(|c| {
            let Some(spec) = body(c).and_then(|b| b.get("spec")) else { return false };
            let m = spec.get("match");
            let names = strings(m.and_then(|m| m.get("namespaces")));
            let excluded = strings(m.and_then(|m| m.get("excludedNamespaces")));
            let action = spec.get("enforcementAction").and_then(Value::as_str).unwrap_or("deny");
            let selects = (names.is_empty() || names.iter().any(|p| glob(p, ns))) && !excluded.iter().any(|p| glob(p, ns));
            if selects && action != "deny" {
                notes.push(format!("{} {what}only {action}s", c.object_ref()));
            }
            selects && action == "deny"
        })
    })
}

fn connaisseur(cx: &Context, labels: &BTreeMap<String, String>) -> bool {
    cx.inv.of_kind("MutatingWebhookConfiguration").chain(cx.inv.of_kind("ValidatingWebhookConfiguration")).any(|o| {
        webhooks(o).iter().any(|w| {
            w.name.contains("connaisseur") && w.failure_policy == "Fail" && w.namespace_selector.and_then(|s| Selector::from_label_selector(s).ok()).is_none_or(|s| s.matches(labels))
        })
    })
}

fn run(cx: &Context, e: &mut Emitter) {
    let kyverno_policies: Vec<&Object> = cx.inv.of_kind("ClusterPolicy").chain(cx.inv.of_kind("Policy")).filter(|o| o.api_version.starts_with("kyverno.io/")).collect();
    let sigstore_policies: Vec<&Object> = cx.inv.of_kind("ClusterImagePolicy").filter(|o| o.api_version.starts_with("policy.sigstore.dev/")).collect();
    let has_templates = cx.inv.of_kind("ConstraintTemplate").next().is_some();
    let has_connaisseur = cx.inv.of_kind("MutatingWebhookConfiguration").chain(cx.inv.of_kind("ValidatingWebhookConfiguration")).any(|o| webhooks(o).iter().any(|w| w.name.contains("connaisseur")));
    let nothing = kyverno_policies.is_empty() && sigstore_policies.is_empty() && !has_templates && !has_connaisseur;
    if nothing && !cx.input.is_cluster() {
        e.not_assessed(None, "no image-signature admission policy (Kyverno, sigstore policy-controller, Ratify, Connaisseur) in the input (manifests); scan the cluster or include the policies");
        return;
    }
    let namespaces: Vec<_> = cx.inv.namespaces().filter(|n| n.scope.scope == Scope::Cde).cloned().collect();
    for ns in namespaces {
        if !e.sees(ns.reported_at) {
            continue;
        }
        let mut labels = ns.labels.clone();
        labels.insert(NAME_LABEL.into(), ns.name.clone());
        let mut images: Vec<&str> = cx.inv.workloads_in(&ns.name).filter_map(|w| cx.inv.pod_template(w)).flat_map(|t| crate::support::containers::containers(&t).filter_map(|c| c.container.image.as_deref()).collect::<Vec<_>>()).collect();
        images.sort_unstable();
        images.dedup();
        let mut notes = Vec::new();
        let covered = kyverno_policies.iter().any(|p| kyverno(p, &ns.name, &labels, &images, &mut notes)) || sigstore(&sigstore_policies, &labels, &images, &mut notes) || ratify(cx, &ns.name, &mut notes) || connaisseur(cx, &labels);
        if covered {
            e.pass(ns.reported_at);
        } else {
            let why = if notes.is_empty() { "no image-signature admission policy applies to it".to_string() } else { notes.join("; ") };
            e.fail(ns.reported_at, format!("CDE namespace {} is not covered by an enforcing image-signature policy: {why}", ns.name), vec![Evidence::field("images", images.join(", "))]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_registry_prefixes() {
        assert!(glob("registry.pay.example/*", "registry.pay.example/payments/api:3.4.2"));
        assert!(glob("*", "anything"));
        assert!(!glob("registry.pay.example/*", "docker.io/library/nginx:1"));
        assert!(glob("ghcr.io/*/vault*", "ghcr.io/acme/vault-store:2"));
        assert!(covered_by(&["docker.io/library/nginx*".into()], "nginx:1.27"));
        assert!(!covered_by(&["ghcr.io/acme/*".into()], "ghcr.io/other/x:1"));
    }

    #[test]
    fn sigstore_needs_the_namespace_label_and_ratify_constraints_count() {
        let base = "# input: snapshot\napiVersion: v1\nkind: Namespace\nmetadata: {name: pay, labels: {pci.kubepci.io/scope: cde}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: pay}\nspec: {containers: [{name: a, image: \"ghcr.io/acme/a:1\"}]}\n---\napiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata: {name: acme}\nspec:\n  images: [{glob: \"ghcr.io/acme/**\"}]\n  authorities: [{keyless: {url: \"https://fulcio.sigstore.dev\"}}]\n";
        let out = crate::testing::run(&SIGNATURE_POLICY, base, "");
        assert!(out.fails[0].message.contains("not labelled policy.sigstore.dev/include=true"), "{:?}", out.fails);
        let labelled = base.replace("labels: {pci.kubepci.io/scope: cde}", "labels: {pci.kubepci.io/scope: cde, policy.sigstore.dev/include: \"true\"}");
        assert_eq!(crate::testing::run(&SIGNATURE_POLICY, &labelled, "").passed, 1);
        let ratify = "# input: snapshot\napiVersion: v1\nkind: Namespace\nmetadata: {name: pay, labels: {pci.kubepci.io/scope: cde}}\n---\napiVersion: templates.gatekeeper.sh/v1\nkind: ConstraintTemplate\nmetadata: {name: ratifyverification}\nspec:\n  crd: {spec: {names: {kind: RatifyVerification}}}\n  targets: [{target: admission.k8s.gatekeeper.sh, rego: \"package ratify\\nviolation[{}] { external_data({\\\"provider\\\": \\\"ratify-provider\\\"}) }\"}]\n---\napiVersion: constraints.gatekeeper.sh/v1beta1\nkind: RatifyVerification\nmetadata: {name: verify}\nspec:\n  enforcementAction: deny\n  match: {namespaces: [pay]}\n";
        assert_eq!(crate::testing::run(&SIGNATURE_POLICY, ratify, "").passed, 1);
    }
}
