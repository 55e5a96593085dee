use kubepci_findings::Evidence;

use super::automount_token::service_account_name;
use crate::support::each::{Verdict, each_workload};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// CDE workloads must not run as the default service account
    ///
    /// ## What it checks
    /// Every CDE workload names a ServiceAccount other than `default` in
    /// `serviceAccountName` (unset means `default`).
    ///
    /// ## Why PCI DSS cares
    /// The namespace's `default` account is shared by every pod that names none, so its
    /// permissions and its audit trail cannot be attributed to one application. Requirement
    /// 7.2.5 asks that application accounts and their privileges are limited to the processes
    /// that need them. (Shared IDs in the sense of 8.2.2 are accounts people share; this is an
    /// application account.)
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
        locality: Object,
        requirements: [("7.2.5", "7.2.5.b", "a workload on the namespace's default account shares it with every pod that names none, so the account's use is not limited to the application that needs it")],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_workload(e, |_, _, _, t| match service_account_name(t) {
        Some(name) if name != "default" => Verdict::Pass,
        named => Verdict::Fail(
            "workload runs as the namespace's default ServiceAccount".into(),
            vec![Evidence::field(format!("{}.serviceAccountName", t.spec_path), named.unwrap_or("<unset>"))],
        ),
    });
}
