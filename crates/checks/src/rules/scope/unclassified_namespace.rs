use kubepci_findings::Evidence;
use kubepci_inventory::{SCOPE_LABEL, Scope};

use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Every namespace must be classified for PCI scope
    ///
    /// ## What it checks
    /// Each namespace (declared, or referenced by an object) has a scope class: the label
    /// `pci.kubepci.io/scope` with value `cde`, `connected`, `security` or `out`, or an entry in
    /// `kubepci.yaml` under `scope`. System namespaces are not exempt: `kube-system` runs the
    /// components that secure the CDE and is usually `security`.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 12.5.2 asks the entity to document and confirm its scope. In a shared cluster
    /// an unclassified namespace is an unknown: it may hold account data or reach the CDE, and
    /// no control can be assessed against it.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: batch}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: batch
    ///   labels: {pci.kubepci.io/scope: out}
    /// ```
    ///
    /// ## Fix
    /// Label the namespace (`kubectl label ns batch pci.kubepci.io/scope=out`) or list it under
    /// `scope` in `kubepci.yaml`, and keep the classification under change control.
    pub UNCLASSIFIED_NAMESPACE {
        id: "SCOPE-001",
        name: "unclassified-namespace",
        severity: Medium,
        applies: All,
        reads: [Namespace],
        requirements: [("12.5.2", "12.5.2.b", "an unclassified namespace is a gap in the documented scope")],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    for ns in cx.inv.namespaces() {
        // Namespaces only referenced (no Namespace object) are reported on the first object
        // that lives in them, so the finding has a file and line.
        let index = ns.reported_at;
        if ns.scope.scope == Scope::Unclassified {
            let evidence = vec![Evidence::field(format!("metadata.labels[{SCOPE_LABEL}]"), ns.labels.get(SCOPE_LABEL).cloned().unwrap_or_else(|| "<absent>".into()))];
            e.fail(index, format!("namespace {} is not classified: {}", ns.name, ns.scope.reason), evidence);
        } else {
            e.pass(index);
        }
    }
}
