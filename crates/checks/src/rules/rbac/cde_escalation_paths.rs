use kubepci_findings::Evidence;
use kubepci_rbac::escalation::Node;
use kubepci_rbac::{EscalationGraph, Subject};

use super::view::{RbacView, subject_label};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// No unapproved subject may escalate its way into the CDE
    ///
    /// ## What it checks
    /// The escalation graph of `kubepci-rbac`: from every subject that some non-bootstrap
    /// binding names (and every ServiceAccount pods run as) and that is not in
    /// `approvedSubjects`, the shortest chain of steps (create a workload to run as another
    /// ServiceAccount, read its token, create a token, impersonate, bind or escalate a role,
    /// approve a CSR) that ends in access to a CDE namespace: reading Secrets there, running
    /// code or exec there, `nodes/proxy`, writing admission webhooks, or everything. It fails
    /// for subjects that need at least one such step (direct access is reported by RBAC-003,
    /// RBAC-005 and RBAC-006), with every step as evidence, on the binding that starts the
    /// chain.
    ///
    /// ## Why PCI DSS cares
    /// Access to the CDE is what the RBAC grants allow after their holders use them, not just
    /// what they state: a subject that may create pods as a more privileged ServiceAccount
    /// holds that account's rights. Requirement 7.2.2 asks for least privilege, and 7.2.6 that
    /// direct access to stores of cardholder data is restricted.
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
    /// kind: ServiceAccount
    /// metadata: {name: deployer, namespace: tools}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: deployer-admin}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
    /// subjects:
    /// - {kind: ServiceAccount, name: deployer, namespace: tools}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: run-pods, namespace: tools}
    /// rules:
    /// - {apiGroups: [""], resources: ["pods"], verbs: ["create"]}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: dev-run-pods, namespace: tools}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: run-pods}
    /// subjects:
    /// - {apiGroup: rbac.authorization.k8s.io, kind: User, name: dave}
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
    /// kind: ServiceAccount
    /// metadata: {name: runner, namespace: tools}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: run-pods, namespace: tools}
    /// rules:
    /// - {apiGroups: [""], resources: ["pods"], verbs: ["create"]}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: dev-run-pods, namespace: tools}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: run-pods}
    /// subjects:
    /// - {apiGroup: rbac.authorization.k8s.io, kind: User, name: dave}
    /// ```
    ///
    /// ## Fix
    /// Break the first step of the chain: remove the right that lets the subject become a more
    /// privileged identity (workload creation next to privileged ServiceAccounts, Secret reads,
    /// token creation, impersonation, bind or escalate), or move the privileged ServiceAccount
    /// to a namespace the subject cannot deploy to. Approved administrators go under
    /// `approvedSubjects` in `kubepci.yaml`.
    pub CDE_ESCALATION_PATHS {
        id: "RBAC-011",
        name: "cde-escalation-paths",
        severity: High,
        applies: CdeRelated,
        reads: [workloads, ClusterRole, ClusterRoleBinding, Namespace, Role, RoleBinding, Secret, ServiceAccount],
        on_partial_input: FailuresStand,
        requirements: [
            ("7.2.2", "7.2.2.b", "a chain of rights into the CDE gives a subject far more than its job function"),
            ("7.2.6", "7.2.6.b", "each chain ends in reading CDE Secrets or running code next to card data"),
        ],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    let view = RbacView::new(cx);
    // Every result is about a binding: a focused run on another object keeps none, so the
    // graph is not built for it.
    if !view.model.bindings.iter().any(|b| e.wants(b.object)) {
        return;
    }
    let graph = EscalationGraph::new(view.model, &cx.inv);
    // Starting points: subjects named by a binding that is not a platform default, or pods'
    // ServiceAccounts, that kubepci.yaml does not approve.
    let starts: Vec<Subject> = graph
        .start_subjects()
        .into_iter()
        .filter(|s| !view.approved(s))
        .filter(|s| {
            let named = view.model.bindings_naming(s);
            named.is_empty() || named.iter().any(|&b| !view.is_platform_default(&view.model.bindings[b]))
        })
        .collect();
    // Shortest routes of all starts at once; step texts are written only for failures.
    let routes = graph.cde_routes(&starts);
    let mut flagged_bindings = std::collections::BTreeSet::new();
    for (i, start) in starts.iter().enumerate() {
        if routes.distance(i).is_none_or(|d| d == 0) {
            continue;
        }
        let Some(route) = routes.route(&graph, i) else { continue };
        let Some(b) = starting_binding(&view, &graph, start, route.first.as_ref()) else { continue };
        let binding = &view.model.bindings[b];
        let mut evidence = vec![
            Evidence::field("subject", subject_label(start)),
            Evidence::field("binding", view.binding_label(binding)),
            Evidence::field("role", view.role_label(binding)),
        ];
        evidence.extend(route.steps.iter().enumerate().map(|(k, step)| Evidence::field(format!("steps[{k}]"), format!("{} can {}", step.from, step.action))));
        flagged_bindings.insert(binding.object);
        let (ns, what, d) = (&route.cde_namespace, &route.access, route.distance);
        let steps = kubepci_findings::noun(d, "step", "steps");
        let message = format!("{} can reach CDE namespace {ns} ({what}) in {d} escalation {steps}, starting from {}", subject_label(start), binding.display());
        e.fail(binding.object, message, evidence);
    }
    for b in &view.model.bindings {
        if !flagged_bindings.contains(&b.object) {
            e.pass(b.object);
        }
    }
}

/// The binding of `start` whose role, on its own, gives the first step to `first` (or the
/// subject's first binding when the step needs several together).
fn starting_binding(view: &RbacView, graph: &EscalationGraph, start: &Subject, first: Option<&Node>) -> Option<usize> {
    let bindings = view.model.bindings_for(start);
    let by_role = bindings.iter().find(|pb| {
        let b = &view.model.bindings[pb.binding];
        match (b.role, first) {
            (Some(role), Some(first)) => graph.has_edge(&Node::Role(role, b.scope()), first),
            _ => false,
        }
    });
    by_role.or(bindings.first()).map(|pb| pb.binding)
}
