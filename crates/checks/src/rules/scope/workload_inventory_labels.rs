use kubepci_findings::Evidence;

use crate::support::each::{Verdict, each_workload};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// In-scope workloads must say what they do and who owns them
    ///
    /// ## What it checks
    /// Every workload in CDE, connected or security-impacting scope (controllers, and pods
    /// no controller owns; control-plane static pods in `kube-system` labelled
    /// `tier: control-plane` are the platform's) must carry, on itself or its pod template:
    /// - a function label: `app.kubernetes.io/name`, `app.kubernetes.io/component`, `app` or
    ///   `k8s-app`;
    /// - an owner label, on itself, its pod template or its namespace: `owner`, `team`,
    ///   `app.kubernetes.io/owner`, `app.kubernetes.io/team` or `pci.kubepci.io/owner`.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 12.5.1 asks for an inventory of the in-scope system components with a
    /// description of each one's function or use, kept current. In a cluster the objects are
    /// that inventory (kubepci's scope output lists them, 12.5.2); a workload whose labels do
    /// not say what it does or who answers for it is an inventory entry nobody can confirm or
    /// retire.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: worker-7, namespace: payments}
    /// spec:
    ///   selector: {matchLabels: {pod: worker-7}}
    ///   template:
    ///     metadata: {labels: {pod: worker-7}}
    ///     spec:
    ///       containers:
    ///       - {name: worker, image: registry.example.com/pay/worker:2.3}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde, team: payments-core}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: settlement-worker
    ///   namespace: payments
    ///   labels: {app.kubernetes.io/name: settlement-worker, app.kubernetes.io/component: batch}
    /// spec:
    ///   selector: {matchLabels: {app.kubernetes.io/name: settlement-worker}}
    ///   template:
    ///     metadata: {labels: {app.kubernetes.io/name: settlement-worker}}
    ///     spec:
    ///       containers:
    ///       - {name: worker, image: registry.example.com/pay/worker:2.3}
    /// ```
    ///
    /// ## Fix
    /// Label every in-scope workload with `app.kubernetes.io/name` (and `component`), and its
    /// namespace or the workload with the owning team (`team: …`), in the manifests so the
    /// labels stay with every deployment.
    pub WORKLOAD_INVENTORY_LABELS {
        id: "SCOPE-003",
        name: "in-scope-workload-unlabelled",
        severity: Low,
        applies: InScope,
        reads: [workloads, Namespace],
        locality: Object,
        requirements: [("12.5.1", "12.5.1.a", "the in-scope workloads are the cluster's inventory entries; each must state its function and owner for the inventory to be complete and confirmable")],
        run: run,
    }
}

const FUNCTION_KEYS: &[&str] = &["app.kubernetes.io/name", "app.kubernetes.io/component", "app", "k8s-app"];
const OWNER_KEYS: &[&str] = &["owner", "team", "app.kubernetes.io/owner", "app.kubernetes.io/team", "pci.kubepci.io/owner"];

fn run(_cx: &Context, e: &mut Emitter) {
    each_workload(e, |cx, _, o, t| {
        // Owned objects are judged through their owner; control-plane static pods belong to
        // the platform, which kubeadm labels `tier: control-plane`.
        let control_plane = o.kind() == "Pod" && o.namespace() == Some("kube-system") && o.labels().get("tier").is_some_and(|t| t == "control-plane");
        if control_plane || o.metadata().owner_references.iter().flatten().next().is_some() {
            return Verdict::Skip;
        }
        let template = t.metadata.labels.as_ref();
        let has = |keys: &[&str], namespace: bool| {
            keys.iter().any(|k| {
                o.labels().contains_key(k)
                    || template.is_some_and(|l| l.contains_key(k))
                    || namespace && o.namespace().and_then(|ns| cx.inv.namespace(ns)).is_some_and(|ns| ns.labels.contains_key(*k))
            })
        };
        let mut missing = Vec::new();
        if !has(FUNCTION_KEYS, false) {
            missing.push(format!("a function label ({})", FUNCTION_KEYS.join(", ")));
        }
        if !has(OWNER_KEYS, true) {
            missing.push(format!("an owner label on it or its namespace ({})", OWNER_KEYS.join(", ")));
        }
        if missing.is_empty() {
            return Verdict::Pass;
        }
        Verdict::Fail(format!("{} {} lacks {}", o.kind(), o.name(), missing.join(" and ")), vec![Evidence::path("metadata.labels")])
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(ns_labels: &str, labels: &str) -> crate::testing::Outcome {
        let yaml = format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: pay, labels: {ns_labels}}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: pay, labels: {labels}}}\nspec: {{containers: [{{name: c, image: r.example/c:1}}]}}\n");
        crate::testing::run(&WORKLOAD_INVENTORY_LABELS, &yaml, "")
    }

    #[test]
    fn function_on_the_workload_and_owner_anywhere() {
        assert_eq!(run("{pci.kubepci.io/scope: cde, team: pay}", "{app: api}").passed, 1);
        assert_eq!(run("{pci.kubepci.io/scope: cde}", "{app: api, owner: pay}").passed, 1);
        let out = run("{pci.kubepci.io/scope: cde}", "{app: api}");
        assert!(out.fails[0].message.contains("owner label") && !out.fails[0].message.contains("function"), "{out:?}");
        let out = run("{pci.kubepci.io/scope: cde, team: pay}", "{}");
        assert!(out.fails[0].message.contains("function label"), "{out:?}");
    }

    #[test]
    fn out_of_scope_is_not_judged() {
        let out = run("{pci.kubepci.io/scope: out}", "{}");
        assert_eq!((out.fails.len(), out.passed), (0, 0), "{out:?}");
    }
}
