use std::collections::{BTreeMap, BTreeSet};

use kubepci_findings::Evidence;

use super::view::{Perm, RbacView, perm, subject_label};
use crate::rules::change::nonprod_colocated::non_production_evidence;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// No subject may change workloads both in the CDE and in pre-production
    ///
    /// ## What it checks
    /// Namespaces marked as pre-production are found as for CHG-002 (environment labels or
    /// annotations, or the name: `dev`, `test`, `qa`, `uat`, `staging`, `preprod` …). For every
    /// subject not in `approvedSubjects` (the GitOps controller or pipeline that deploys both
    /// is listed there), the bindings that let it create, update, patch or delete workloads,
    /// pods, Secrets or ConfigMaps are collected. Every binding that reaches a CDE namespace (a
    /// RoleBinding there, or any ClusterRoleBinding) fails when one of its subjects may also
    /// change those objects in a pre-production namespace, through it or another binding.
    /// Membership of users in groups is not known to the cluster, so a user who changes
    /// pre-production through one group and the CDE through another is not seen. Without a
    /// namespace marked pre-production the check is not assessed.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 6.5.4 asks that roles and functions are separated between production and
    /// pre-production, so that only reviewed and approved changes reach production. A person
    /// or account that can change both can carry untested changes (or test shortcuts) straight
    /// into the CDE; the bindings are the roles as the cluster enforces them.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments-staging
    ///   labels: {environment: staging}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: team-edit, namespace: payments}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
    /// subjects:
    /// - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: payments-devs}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: team-edit, namespace: payments-staging}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
    /// subjects:
    /// - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: payments-devs}
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
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments-staging
    ///   labels: {environment: staging}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: release-edit, namespace: payments}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
    /// subjects:
    /// - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: payments-release}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: team-edit, namespace: payments-staging}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
    /// subjects:
    /// - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: payments-devs}
    /// ```
    ///
    /// ## Fix
    /// Give production and pre-production to different groups (or deploy production only
    /// through an approved GitOps controller listed in `approvedSubjects`), and keep write
    /// roles in the CDE off the identities developers use for staging.
    pub PROD_PREPROD_SEPARATION {
        id: "RBAC-014",
        name: "cde-and-preproduction-write-access",
        severity: Medium,
        applies: CdeRelated,
        reads: [workloads, ClusterRole, ClusterRoleBinding, Namespace, Role, RoleBinding, ServiceAccount],
        requirements: [("6.5.4", "6.5.4.b", "the bindings are the production and pre-production roles as enforced; a subject with write access to both has the two functions unseparated")],
        run: run,
    }
}

const VERBS: &[&str] = &["create", "update", "patch", "delete"];
const OBJECTS: &[(&str, &str)] = &[("", "pods"), ("", "secrets"), ("", "configmaps"), ("apps", "deployments"), ("apps", "statefulsets"), ("apps", "daemonsets"), ("batch", "jobs"), ("batch", "cronjobs")];

fn run(cx: &Context, e: &mut Emitter) {
    // Every result is about a binding or the whole input: a focused run on another object
    // keeps none.
    if !e.wants_whole() && !cx.rbac_model().bindings.iter().any(|b| e.wants(b.object)) {
        return;
    }
    let preproduction: BTreeSet<String> = cx.inv.namespaces().filter(|ns| !non_production_evidence(cx, ns).is_empty()).map(|ns| ns.name.clone()).collect();
    if preproduction.is_empty() {
        e.not_assessed(None, "no namespace is marked as pre-production (environment label or name); if pre-production is another cluster, compare its bindings with these");
        return;
    }
    let view = RbacView::new(cx);
    let perms: Vec<Perm> = OBJECTS.iter().flat_map(|&(g, r)| VERBS.iter().map(move |&v| perm(v, g, r))).collect();
    // Subject → where it may write in pre-production ("RoleBinding/x/y: ns").
    let mut in_preproduction: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let writers: Vec<_> = view.model.bindings.iter().filter(|b| !view.is_platform_default(b) && !view.granted(b, &perms).is_empty()).collect();
    for b in &writers {
        let reached = view.reached(b, &preproduction);
        if reached.is_empty() {
            continue;
        }
        for s in view.unapproved(b) {
            in_preproduction.entry(subject_label(s)).or_default().push(format!("{} in {}", b.display(), reached.join(", ")));
        }
    }
    for b in &view.model.bindings {
        let cde = view.reached(b, &view.cde_namespaces);
        if cde.is_empty() {
            continue;
        }
        let both: Vec<(String, &Vec<String>)> = if writers.iter().any(|w| std::ptr::eq(*w, b)) {
            view.unapproved(b).into_iter().map(subject_label).filter_map(|s| in_preproduction.get(&s).map(|w| (s, w))).collect()
        } else {
            Vec::new()
        };
        if both.is_empty() {
            e.pass(b.object);
            continue;
        }
        let subjects: Vec<&str> = both.iter().map(|(s, _)| s.as_str()).collect();
        let mut evidence = vec![Evidence::field("binding", view.binding_label(b))];
        evidence.extend(both.iter().map(|(s, w)| Evidence::field("pre-production", format!("{s}: {}", w.join("; ")))));
        e.fail(b.object, format!("{} lets {} change workloads in CDE {} and they can also change pre-production ({})", b.display(), subjects.join(", "), cde.join(", "), both.iter().flat_map(|(_, w)| w.iter().map(String::as_str)).collect::<Vec<_>>().join("; ")), evidence);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMESPACES: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: payments-uat}\n";

    fn binding(ns: &str, name: &str, role: &str, group: &str) -> String {
        format!("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: {name}, namespace: {ns}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {role}}}\nsubjects: [{{apiGroup: rbac.authorization.k8s.io, kind: Group, name: {group}}}]\n")
    }

    #[test]
    fn the_same_group_writing_both_fails_and_readers_pass() {
        let both = format!("{NAMESPACES}{}{}", binding("payments", "a", "edit", "devs"), binding("payments-uat", "b", "edit", "devs"));
        let out = crate::testing::run(&PROD_PREPROD_SEPARATION, &both, "");
        assert_eq!(out.fails.len(), 1, "{out:?}");
        assert!(out.fails[0].message.contains("Group:devs") && out.fails[0].message.contains("payments-uat"), "{out:?}");
        let viewer = format!("{NAMESPACES}{}{}", binding("payments", "a", "view", "devs"), binding("payments-uat", "b", "edit", "devs"));
        assert_eq!(crate::testing::run(&PROD_PREPROD_SEPARATION, &viewer, "").passed, 1);
    }

    #[test]
    fn approved_deployers_pass_and_no_preproduction_is_not_assessed() {
        let both = format!("{NAMESPACES}{}{}", binding("payments", "a", "edit", "deployers"), binding("payments-uat", "b", "edit", "deployers"));
        let approved = "approvedSubjects: [{kind: Group, name: deployers}]";
        let out = crate::testing::run(&PROD_PREPROD_SEPARATION, &both, approved);
        assert_eq!((out.fails.len(), out.passed), (0, 1), "{out:?}");
        let prod_only = NAMESPACES.replace("payments-uat", "payments-api");
        let out = crate::testing::run(&PROD_PREPROD_SEPARATION, &format!("{prod_only}{}", binding("payments", "a", "edit", "devs")), "");
        assert_eq!(out.not_assessed.len(), 1, "{out:?}");
    }
}
