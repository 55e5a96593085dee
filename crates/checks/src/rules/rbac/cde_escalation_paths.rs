use std::collections::{HashMap, VecDeque};

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
    /// holds that account's rights. Requirement 7.2.1 asks for an access model that covers
    /// such paths, 7.2.2 for least privilege, and 7.2.6 that access to card data stores is
    /// restricted.
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
        applies: Cde,
        requirements: [
            ("7.2.1", "the access model must account for rights that lead to other rights"),
            ("7.2.2", "a chain into the CDE gives a subject far more than its job function"),
            ("7.2.6", "each chain ends in reading CDE Secrets or running code next to card data"),
        ],
        run: run,
    }
}

/// The part of the graph reachable from the start subjects, with, for every node, the next
/// step on a shortest route to CDE access (computed backwards from the nodes that have it, so
/// each node's edges and access are evaluated once however many subjects start there).
struct Routes {
    nodes: Vec<Node>,
    /// Per node: (next node, action) on a shortest route, or `None`.
    next: Vec<Option<(usize, String)>>,
    /// Per node: distance to CDE access (0: it has access itself).
    dist: Vec<Option<usize>>,
    /// Per node with access: (CDE namespace, what it can do there), first namespace.
    access: Vec<Option<(String, String)>>,
}

fn routes(graph: &EscalationGraph, starts: &[Subject]) -> Routes {
    let mut index: HashMap<Node, usize> = HashMap::new();
    let mut nodes: Vec<Node> = Vec::new();
    let mut preds: Vec<Vec<(usize, String)>> = Vec::new();
    let mut queue = VecDeque::new();
    for s in starts {
        let n = Node::Principal(s.clone());
        if !index.contains_key(&n) {
            index.insert(n.clone(), nodes.len());
            queue.push_back(nodes.len());
            nodes.push(n);
            preds.push(Vec::new());
        }
    }
    // Access of each node as it is discovered; a node with access ends every route through
    // it, so its edges (often thousands: "run as any ServiceAccount of the cluster") are
    // never expanded.
    let mut access: Vec<Option<(String, String)>> = Vec::new();
    while let Some(i) = queue.pop_front() {
        access.resize(nodes.len(), None);
        access[i] = graph.cde_access(&nodes[i]).into_iter().next();
        if access[i].is_some() {
            continue;
        }
        let edges = graph.edges(&nodes[i]);
        for (action, to) in edges.iter() {
            let j = match index.get(to) {
                Some(&j) => j,
                None => {
                    let j = nodes.len();
                    index.insert(to.clone(), j);
                    nodes.push(to.clone());
                    preds.push(Vec::new());
                    queue.push_back(j);
                    j
                }
            };
            preds[j].push((i, action.clone()));
        }
    }
    access.resize(nodes.len(), None);
    let mut dist = vec![None; nodes.len()];
    let mut next = vec![None; nodes.len()];
    let mut back = VecDeque::new();
    for (i, a) in access.iter().enumerate() {
        if a.is_some() {
            dist[i] = Some(0);
            back.push_back(i);
        }
    }
    while let Some(j) = back.pop_front() {
        let d = dist[j].unwrap_or(0);
        for (i, action) in &preds[j] {
            if dist[*i].is_none() {
                dist[*i] = Some(d + 1);
                next[*i] = Some((j, action.clone()));
                back.push_back(*i);
            }
        }
    }
    Routes { nodes, next, dist, access }
}

fn run(cx: &Context, e: &mut Emitter) {
    if !cx.has_cde() {
        e.not_assessed(None, "no CDE declared");
        return;
    }
    let view = RbacView::new(cx);
    let graph = EscalationGraph::new(&view.model, cx.inv);
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
    let r = routes(&graph, &starts);
    let mut flagged_bindings = std::collections::BTreeSet::new();
    for (i, start) in starts.iter().enumerate() {
        let Some(d) = r.dist.get(i).copied().flatten() else { continue };
        if d == 0 {
            continue;
        }
        let mut evidence = vec![Evidence::field("subject", subject_label(start))];
        let mut cur = i;
        let mut k = 0;
        while let Some((nxt, action)) = &r.next[cur] {
            evidence.push(Evidence::field(format!("steps[{k}]"), format!("{} can {action}", graph.label(&r.nodes[cur]))));
            cur = *nxt;
            k += 1;
        }
        let (ns, what) = r.access[cur].clone().unwrap_or_default();
        evidence.push(Evidence::field(format!("steps[{k}]"), format!("{} can {what} in CDE namespace {ns}", graph.label(&r.nodes[cur]))));
        let first = r.next[i].as_ref().map(|(n, _)| &r.nodes[*n]);
        let Some(b) = starting_binding(&view, &graph, start, first) else { continue };
        let binding = &view.model.bindings[b];
        evidence.insert(1, Evidence::field("binding", view.binding_label(binding)));
        evidence.insert(2, Evidence::field("role", view.role_label(binding)));
        flagged_bindings.insert(binding.object);
        let message = format!("{} can reach CDE namespace {ns} ({what}) in {d} escalation step(s), starting from {}", subject_label(start), binding.display());
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
            (Some(role), Some(first)) => graph.edges(&Node::Role(role, b.scope())).iter().any(|(_, to)| to == first),
            _ => false,
        }
    });
    by_role.or(bindings.first()).map(|pb| pb.binding)
}
