use std::collections::BTreeMap;

use kubepci_findings::Evidence;

use super::automount_token::service_account_name;
use crate::support::each::{Verdict, each_workload};
use crate::support::exposure::workload_name;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Each CDE workload must have a ServiceAccount of its own
    ///
    /// ## What it checks
    /// Every CDE workload that names a ServiceAccount other than `default` (SA-002 judges the
    /// default account) must be the only workload in its namespace running as it. A workload
    /// whose account also runs other workloads fails and names them.
    ///
    /// ## Why PCI DSS cares
    /// A ServiceAccount is an application account. Shared by several workloads, it holds the
    /// union of what each needs, so every one of them gets privileges it does not need, and
    /// its actions in the audit log cannot be told apart. Requirement 7.2.5 asks that
    /// application accounts get only the privileges their application needs; 8.2.2 that
    /// shared credentials are used only by documented exception.
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
    ///   serviceAccountName: payments
    ///   containers:
    ///   - {name: api, image: registry.example.com/pay/api:1.0}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: worker, namespace: payments}
    /// spec:
    ///   serviceAccountName: payments
    ///   containers:
    ///   - {name: worker, image: registry.example.com/pay/worker:1.0}
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
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: worker, namespace: payments}
    /// spec:
    ///   serviceAccountName: payments-worker
    ///   containers:
    ///   - {name: worker, image: registry.example.com/pay/worker:1.0}
    /// ```
    ///
    /// ## Fix
    /// Create one ServiceAccount per workload, bind each only the roles its workload needs, and
    /// set `serviceAccountName` accordingly.
    pub SHARED_SERVICE_ACCOUNT {
        id: "SA-004",
        name: "shared-service-account-in-cde",
        severity: Medium,
        applies: Cde,
        reads: [workloads, Namespace],
        requirements: [
            ("7.2.5", "7.2.5.b", "an account shared by several workloads holds the union of their privileges, more than each application needs"),
            ("8.2.2", "8.2.2.a", "a ServiceAccount shared by several workloads is a shared application credential whose use is not attributable to one workload"),
        ],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    // (namespace, account) → the CDE workloads running as it.
    let mut users: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
    for (w, o, t) in cx.workloads() {
        if !e.sees(w.object) {
            continue;
        }
        if let Some(sa) = service_account_name(&t).filter(|s| *s != "default") {
            users.entry((o.namespace().unwrap_or(""), sa)).or_default().push(workload_name(cx, w));
        }
    }
    each_workload(e, |cx, w, o, t| {
        let Some(sa) = service_account_name(t).filter(|s| *s != "default") else { return Verdict::Skip };
        let me = workload_name(cx, w);
        let others: Vec<&String> = users.get(&(o.namespace().unwrap_or(""), sa)).into_iter().flatten().filter(|n| **n != me).collect();
        if others.is_empty() {
            return Verdict::Pass;
        }
        let names: Vec<&str> = others.iter().map(|s| s.as_str()).collect();
        Verdict::Fail(format!("ServiceAccount {sa} is shared with {}", names.join(", ")), vec![Evidence::field(format!("{}.serviceAccountName", t.spec_path), sa)])
    });
}
