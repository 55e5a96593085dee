use crate::{Context, Emitter, declare_check};

declare_check! {
    /// The cardholder data environment must be declared
    ///
    /// ## What it checks
    /// At least one namespace or workload is classified `cde`, by the label
    /// `pci.kubepci.io/scope=cde` or by `scope.cde` in `kubepci.yaml`.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 12.5.2 starts every assessment: the entity identifies where account data
    /// lives. Without a declared CDE, the CDE-only checks (segmentation, restricted pod
    /// security, secret readers) cannot be decided and report "not assessed".
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ```
    ///
    /// ## Fix
    /// Label the namespaces that store, process or transmit card data with
    /// `pci.kubepci.io/scope=cde`, or list them under `scope.cde.namespaces` in `kubepci.yaml`.
    pub CDE_DECLARED {
        id: "SCOPE-002",
        name: "cde-declared",
        severity: High,
        applies: Cluster,
        reads: [workloads, Namespace],
        requirements: [("12.5.2", "12.5.2.b", "the scope of the assessment starts with where account data lives")],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    if cx.has_cde() {
        e.pass_cluster();
    } else {
        e.fail_cluster("no namespace or workload is classified as cde; CDE-only checks cannot be assessed", Vec::new());
    }
}
