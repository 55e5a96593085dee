use kubepci_findings::Evidence;

use crate::support::each::cde_declared;
use crate::{Context, Emitter, declare_check};

/// Label keys that name a namespace's environment.
const ENV_LABELS: &[&str] = &["env", "environment"];

/// Environment values that are not production.
const NON_PRODUCTION: &[&str] = &["dev", "development", "test", "testing", "staging", "stage", "qa", "uat", "sandbox"];

declare_check! {
    /// Non-production namespaces must not share the CDE's cluster
    ///
    /// ## What it checks
    /// When the input declares a CDE, no namespace in it is labelled `env` or `environment`
    /// with a non-production value (`dev`, `development`, `test`, `testing`, `staging`,
    /// `stage`, `qa`, `uat`, `sandbox`). One result for the whole input.
    ///
    /// ## Why PCI DSS cares
    /// Pre-production environments must be separated from production (6.5.3), and the
    /// people and roles working in them from production duties (6.5.4). In one cluster they
    /// share nodes, the control plane and usually admin roles with the CDE; if the sharing is
    /// intended, isolation (dedicated nodes, NetworkPolicies, RBAC) must be shown and the
    /// finding recorded as an exception.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde, env: production}
    /// ---
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments-staging
    ///   labels: {env: staging}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde, env: production}
    /// ---
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: web
    ///   labels: {environment: prod}
    /// ```
    ///
    /// ## Fix
    /// Run development, test and staging in a separate cluster (or account/project); if they
    /// must share, put them on dedicated nodes with default-deny NetworkPolicies towards the
    /// CDE and separate RBAC, and document it.
    pub NONPROD_COLOCATED {
        id: "CHG-002",
        name: "nonprod-colocated-with-cde",
        severity: Medium,
        applies: Cluster,
        reads: [Namespace],
        requirements: [
            ("6.5.3", "6.5.3.b", "pre-production namespaces share the cluster with the CDE"),
            ("6.5.4", "6.5.4.b", "a shared cluster usually shares admin roles between production and pre-production"),
        ],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    if !cde_declared(e) {
        return;
    }
    let hits: Vec<(&str, Evidence)> = cx
        .inv
        .namespaces()
        .flat_map(|ns| ENV_LABELS.iter().filter_map(move |k| ns.labels.get(*k).map(|v| (ns, *k, v))))
        .filter(|(_, _, v)| NON_PRODUCTION.contains(&v.to_ascii_lowercase().as_str()))
        .map(|(ns, k, v)| (ns.name.as_str(), Evidence::field(format!("Namespace/{}.metadata.labels[{k}]", ns.name), v.clone())))
        .collect();
    if hits.is_empty() {
        e.pass_cluster();
        return;
    }
    let names: Vec<&str> = hits.iter().map(|(n, _)| *n).collect();
    let message = format!("non-production namespaces share the cluster with the CDE: {}", names.join(", "));
    e.fail_cluster(message, hits.into_iter().map(|(_, ev)| ev).collect());
}
