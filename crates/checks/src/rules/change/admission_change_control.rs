use std::collections::BTreeMap;

use kubepci_findings::Evidence;
use kubepci_inventory::Scope;
use kubepci_model::Object;
use kubepci_model::selector::Selector;
use serde_json::Value;

use crate::rules::image::signature_policy::{body, gatekeeper_denies_in, kyverno_blocks, kyverno_resources_select, strings};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// CDE namespaces must have an admission policy that blocks changes from unapproved identities
    ///
    /// ## What it checks
    /// Every CDE namespace must be covered by an enforcing admission policy whose decision
    /// depends on who makes the change, so that only the approved deployment identity (a
    /// GitOps controller, a pipeline's service account) can change its workloads:
    /// - a Kyverno `ClusterPolicy` (or a `Policy` in the namespace) with a `validate` rule in
    ///   `Enforce` mode that selects Pods of the namespace and names requesters, in its `match`
    ///   or `exclude` (`subjects`, `roles`, `clusterRoles`) or in its conditions
    ///   (`request.userInfo`);
    /// - a `ValidatingAdmissionPolicy` whose expressions or match conditions read
    ///   `request.userInfo`, bound by a `ValidatingAdmissionPolicyBinding` with the `Deny`
    ///   action whose namespace selector selects the namespace;
    /// - a Gatekeeper constraint (enforcement action `deny`) matching the namespace, whose
    ///   `ConstraintTemplate` reads `userInfo`.
    ///
    /// Policies that only audit or warn do not count. On manifests without any such policy
    /// object the check is not assessed (policies are often deployed apart from applications).
    ///
    /// ## Why PCI DSS cares
    /// Requirement 6.5.1 asks that changes to system components in production follow change
    /// control, with approval before they are made. GitOps (CHG-003) shows how changes are meant
    /// to arrive; an admission policy that refuses changes from anyone else is what stops a
    /// `kubectl edit` in the CDE from bypassing the review, and the assessor can examine it as
    /// the enforcement of the procedure (6.5.1.b).
    ///
    /// ## Failing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: kyverno.io/v1
    /// kind: ClusterPolicy
    /// metadata: {name: only-argocd-changes-cde}
    /// spec:
    ///   validationFailureAction: Audit
    ///   rules:
    ///   - name: deny-others
    ///     match:
    ///       any:
    ///       - resources: {kinds: [Pod], namespaces: [payments]}
    ///     exclude:
    ///       any:
    ///       - subjects: [{kind: ServiceAccount, name: argocd-application-controller, namespace: argocd}]
    ///     validate:
    ///       message: CDE workloads change only through Argo CD
    ///       deny: {}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: kyverno.io/v1
    /// kind: ClusterPolicy
    /// metadata: {name: only-argocd-changes-cde}
    /// spec:
    ///   validationFailureAction: Enforce
    ///   rules:
    ///   - name: deny-others
    ///     match:
    ///       any:
    ///       - resources: {kinds: [Pod], namespaces: [payments]}
    ///     exclude:
    ///       any:
    ///       - subjects: [{kind: ServiceAccount, name: argocd-application-controller, namespace: argocd}]
    ///     validate:
    ///       message: CDE workloads change only through Argo CD
    ///       deny: {}
    /// ```
    ///
    /// ## Fix
    /// Add an enforcing policy that denies creating, updating and deleting workloads in CDE
    /// namespaces unless the requester is the GitOps controller or deployment pipeline
    /// (Kyverno `exclude.subjects`, a ValidatingAdmissionPolicy on `request.userInfo`), and
    /// give break-glass access through a separate, logged identity.
    pub ADMISSION_CHANGE_CONTROL {
        id: "CHG-004",
        name: "cde-changes-not-restricted-by-admission",
        severity: Medium,
        applies: Cde,
        reads: [Namespace, ClusterPolicy, Policy, ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding, ConstraintTemplate],
        requirements: [("6.5.1", "6.5.1.b", "an enforcing admission policy that admits CDE changes only from the approved deployment identity is the technical enforcement of the change-control procedure")],
        run: run,
    }
}

const NAME_LABEL: &str = "kubernetes.io/metadata.name";

fn is_enforced(action: &str) -> bool {
    action.eq_ignore_ascii_case("enforce")
}

/// Whether a Kyverno match/exclude names requesters.
fn names_requesters(m: Option<&Value>) -> bool {
    let Some(m) = m else { return false };
    let blocks: Vec<&Value> = match (m.get("any").and_then(Value::as_array), m.get("all").and_then(Value::as_array)) {
        (Some(a), _) | (None, Some(a)) => a.iter().collect(),
        (None, None) => vec![m],
    };
    blocks.iter().any(|b| ["subjects", "roles", "clusterRoles"].iter().any(|k| b.get(*k).and_then(Value::as_array).is_some_and(|a| !a.is_empty())))
}

fn kyverno(o: &Object, ns: &str, labels: &BTreeMap<String, String>, notes: &mut Vec<String>) -> bool {
    let Some(spec) = body(o).and_then(|b| b.get("spec")) else { return false };
    if o.kind() == "Policy" && o.namespace() != Some(ns) {
        return false;
    }
    let policy_action = spec.get("validationFailureAction").and_then(Value::as_str).unwrap_or("Audit");
    spec.get("rules").and_then(Value::as_array).into_iter().flatten().any(|rule| {
        let Some(validate) = rule.get("validate") else { return false };
        let (matches, all) = kyverno_blocks(rule.get("match"));
        let selects = if all { matches.iter().all(|r| kyverno_resources_select(r, ns, labels)) } else { matches.iter().any(|r| kyverno_resources_select(r, ns, labels)) };
        let who = names_requesters(rule.get("match")) || names_requesters(rule.get("exclude")) || rule.to_string().contains("request.userInfo");
        if !selects || !who {
            return false;
        }
        let action = validate.get("failureAction").and_then(Value::as_str).unwrap_or(policy_action);
        if !is_enforced(action) {
            notes.push(format!("{} rule {} only audits ({action})", o.object_ref(), rule.get("name").and_then(Value::as_str).unwrap_or("")));
        }
        is_enforced(action)
    })
}

fn admission_policy(cx: &Context, labels: &BTreeMap<String, String>, notes: &mut Vec<String>) -> bool {
    let by_requester: Vec<&str> = cx.inv.of_kind("ValidatingAdmissionPolicy").filter(|p| body(p).and_then(|b| b.get("spec")).is_some_and(|s| s.to_string().contains("request.userInfo"))).map(|p| p.name()).collect();
    cx.inv.of_kind("ValidatingAdmissionPolicyBinding").any(|b| {
        let Some(spec) = body(b).and_then(|b| b.get("spec")) else { return false };
        let Some(policy) = spec.get("policyName").and_then(Value::as_str).filter(|p| by_requester.contains(p)) else { return false };
        let selects = match spec.pointer("/matchResources/namespaceSelector") {
            None => true,
            Some(s) => serde_json::from_value(s.clone()).ok().and_then(|s| Selector::from_label_selector(&s).ok()).is_some_and(|s| s.matches(labels)),
        };
        let deny = strings(spec.get("validationActions")).iter().any(|a| a == "Deny");
        if selects && !deny {
            notes.push(format!("{} binds {policy} without the Deny action", b.object_ref()));
        }
        selects && deny
    })
}

fn gatekeeper(cx: &Context, ns: &str, notes: &mut Vec<String>) -> bool {
    gatekeeper_denies_in(cx, ns, "", |spec| spec.to_string().contains("userInfo"), notes)
}

fn run(cx: &Context, e: &mut Emitter) {
    let kyverno_policies: Vec<&Object> = cx.inv.of_kind("ClusterPolicy").chain(cx.inv.of_kind("Policy")).filter(|o| o.api_version.starts_with("kyverno.io/")).collect();
    let nothing = kyverno_policies.is_empty() && ["ValidatingAdmissionPolicy", "ConstraintTemplate"].iter().all(|k| cx.inv.of_kind(k).next().is_none());
    if nothing && !cx.input.is_cluster() {
        e.not_assessed(None, "no admission policy (Kyverno, ValidatingAdmissionPolicy, Gatekeeper) in the input (manifests); scan the cluster or include the policies");
        return;
    }
    let namespaces: Vec<_> = cx.inv.namespaces().filter(|n| n.scope.scope == Scope::Cde).cloned().collect();
    for ns in namespaces {
        if !e.sees(ns.reported_at) {
            continue;
        }
        let mut labels = ns.labels.clone();
        labels.insert(NAME_LABEL.into(), ns.name.clone());
        let mut notes = Vec::new();
        if kyverno_policies.iter().any(|p| kyverno(p, &ns.name, &labels, &mut notes)) || admission_policy(cx, &labels, &mut notes) || gatekeeper(cx, &ns.name, &mut notes) {
            e.pass(ns.reported_at);
        } else {
            let why = if notes.is_empty() { "no enforcing admission policy restricts who may change its workloads".to_string() } else { notes.join("; ") };
            e.fail(ns.reported_at, format!("CDE namespace {}: {why}", ns.name), vec![Evidence::field("admission", "no enforcing policy on request.userInfo, subjects or roles")]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: &str = "# input: snapshot\napiVersion: v1\nkind: Namespace\nmetadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}\n";

    #[test]
    fn nothing_on_a_cluster_fails_and_on_manifests_is_not_assessed() {
        assert_eq!(crate::testing::run(&ADMISSION_CHANGE_CONTROL, NS, "").fails.len(), 1);
        let manifests = NS.replace("# input: snapshot\n", "");
        assert_eq!(crate::testing::run(&ADMISSION_CHANGE_CONTROL, &manifests, "").not_assessed.len(), 1);
    }

    #[test]
    fn a_policy_that_ignores_the_requester_does_not_count() {
        let kyverno = format!("{NS}---\napiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {{name: no-latest}}\nspec:\n  validationFailureAction: Enforce\n  rules: [{{name: r, match: {{any: [{{resources: {{kinds: [Pod]}}}}]}}, validate: {{pattern: {{spec: {{containers: [{{image: \"!*:latest\"}}]}}}}}}}}]\n");
        assert_eq!(crate::testing::run(&ADMISSION_CHANGE_CONTROL, &kyverno, "").fails.len(), 1);
    }

    #[test]
    fn admission_policy_binding_with_deny_passes() {
        let vap = format!(
            "{NS}---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {{name: cde-deployer}}\nspec:\n  matchConstraints: {{resourceRules: [{{apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE, DELETE], resources: [deployments]}}]}}\n  validations: [{{expression: \"request.userInfo.username == 'system:serviceaccount:flux-system:kustomize-controller'\"}}]\n---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata: {{name: cde-deployer}}\nspec:\n  policyName: cde-deployer\n  validationActions: [ACTIONS]\n  matchResources: {{namespaceSelector: {{matchLabels: {{pci.kubepci.io/scope: cde}}}}}}\n"
        );
        assert_eq!(crate::testing::run(&ADMISSION_CHANGE_CONTROL, &vap.replace("ACTIONS", "Deny, Audit"), "").passed, 1);
        let warn = crate::testing::run(&ADMISSION_CHANGE_CONTROL, &vap.replace("ACTIONS", "Warn"), "");
        assert!(warn.fails[0].message.contains("without the Deny action"), "{warn:?}");
    }

    #[test]
    fn gatekeeper_constraint_on_user_info_passes() {
        let gk = format!(
            "{NS}---\napiVersion: templates.gatekeeper.sh/v1\nkind: ConstraintTemplate\nmetadata: {{name: k8sallowedrequesters}}\nspec:\n  crd: {{spec: {{names: {{kind: K8sAllowedRequesters}}}}}}\n  targets: [{{target: admission.k8s.gatekeeper.sh, rego: \"package r\\nviolation[{{\\\"msg\\\": m}}] {{ not input.review.userInfo.username == input.parameters.user; m := \\\"no\\\" }}\"}}]\n---\napiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sAllowedRequesters\nmetadata: {{name: cde}}\nspec:\n  match: {{namespaces: [payments]}}\n  parameters: {{user: system:serviceaccount:argocd:argocd-application-controller}}\n"
        );
        assert_eq!(crate::testing::run(&ADMISSION_CHANGE_CONTROL, &gk, "").passed, 1);
    }
}
