use kubepci_findings::Evidence;

use super::automount_token::service_account_name;
use crate::support::each::{Verdict, each_workload};
use crate::{Applies, Context, Emitter, declare_check};

declare_check! {
    /// CDE workloads must not run as the default service account
    ///
    /// ## What it checks
    /// Every CDE workload names a ServiceAccount other than `default` in
    /// `serviceAccountName` (unset means `default`).
    ///
    /// ## Why PCI DSS cares
    /// The namespace's `default` account is shared by every pod that names none, so its
    /// permissions and its audit trail cannot be attributed to one application. Shared,
    /// generic accounts need a documented exception (8.2.2), and vendor-default accounts
    /// should not be used as they come (2.2.2).
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
    /// kind: Pod
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   containers:
    ///   - {name: api, image: registry.example.com/pay/api:1.0}
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
    /// kind: Pod
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   serviceAccountName: payments-api
    ///   containers:
    ///   - {name: api, image: registry.example.com/pay/api:1.0}
    /// ```
    ///
    /// ## Fix
    /// Create a ServiceAccount per application (with automount off unless needed) and set
    /// `serviceAccountName` on the pod template.
    pub DEFAULT_SERVICE_ACCOUNT {
        id: "SA-002",
        name: "default-service-account",
        severity: Medium,
        applies: Cde,
        reads: [workloads, Namespace],
        requirements: [
            ("8.2.2", "8.2.2.a", "the default account is a shared identity for every pod in the namespace"),
            ("2.2.2", "2.2.2.c", "the default account is a platform default used as it comes"),
        ],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_workload(e, Applies::Cde, |_, _, _, t| match service_account_name(t) {
        Some(name) if name != "default" => Verdict::Pass,
        named => Verdict::Fail(
            "workload runs as the namespace's default ServiceAccount".into(),
            vec![Evidence::field(format!("{}.serviceAccountName", t.spec_path), named.unwrap_or("<unset>"))],
        ),
    });
}
