use kubepci_findings::Evidence;
use kubepci_model::Resource;

use crate::support::each::{Verdict, each_of_kind};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// CDE namespaces should not hold basic-auth Secrets
    ///
    /// ## What it checks
    /// Every Secret in a CDE namespace: its `type` is not `kubernetes.io/basic-auth`.
    ///
    /// ## Why PCI DSS cares
    /// A basic-auth Secret is a static username and password, usually shared by every client of
    /// a service and rarely rotated. Passwords of application and system accounts must be
    /// changed periodically and on suspicion of compromise, and be complex enough for how often
    /// they change (8.6.3); kubepci cannot see either, so each finding marks a password to
    /// examine. In the CDE, per-workload identities (mTLS, federated tokens) are expected
    /// instead.
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
    /// kind: Secret
    /// metadata: {name: gateway-login, namespace: payments}
    /// type: kubernetes.io/basic-auth
    /// data: {username: YXBp, password: bm90LXNob3du}
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
    /// kind: Secret
    /// metadata: {name: gateway-client-cert, namespace: payments}
    /// type: kubernetes.io/tls
    /// data: {tls.crt: "", tls.key: ""}
    /// ```
    ///
    /// ## Fix
    /// Replace the shared password with per-client credentials (client certificates, workload
    /// identity, short-lived tokens from a secrets manager); if it must stay, document the
    /// shared use and its rotation and add an exception.
    pub BASIC_AUTH_SECRET {
        id: "SEC-005",
        name: "basic-auth-secret-in-cde",
        severity: Medium,
        applies: Cde,
        reads: [Namespace, Secret],
        locality: Object,
        requirements: [("8.6.3", "8.6.3.c", "a basic-auth Secret is a static application password; the assessor confirms it is changed periodically and is complex enough")],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_of_kind(e, "Secret", |_, _, o| match &o.resource {
        Resource::Secret(s) if s.type_.as_deref() == Some("kubernetes.io/basic-auth") => {
            Verdict::Fail("basic-auth Secret (a static shared password) in the CDE".into(), vec![Evidence::field("type", "kubernetes.io/basic-auth")])
        }
        Resource::Secret(_) => Verdict::Pass,
        _ => Verdict::Skip,
    });
}
