use kubepci_findings::Evidence;
use kubepci_model::Resource;

use crate::support::each::{Verdict, each_of_kind};
use crate::{Context, Emitter, declare_check};

const TOKEN_TYPE: &str = "kubernetes.io/service-account-token";

declare_check! {
    /// Service account tokens must not be stored in Secrets
    ///
    /// ## What it checks
    /// Every Secret's `type` is not `kubernetes.io/service-account-token` (a legacy,
    /// non-expiring token for the ServiceAccount named in the annotation
    /// `kubernetes.io/service-account.name`).
    ///
    /// ## Why PCI DSS cares
    /// Legacy token Secrets never expire and are readable by anyone who can read Secrets in the
    /// namespace. Requirement 8.6.3 asks that credentials of application and system accounts
    /// are changed periodically and on suspicion of compromise; a token that never expires
    /// changes only if someone replaces it. Bound, projected tokens expire and are tied to one
    /// pod. (8.3.9 is about user passwords and 8.2.2 about IDs people share; neither applies to
    /// a ServiceAccount token.)
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata:
    ///   name: ci-deployer-token
    ///   namespace: ci
    ///   annotations: {kubernetes.io/service-account.name: ci-deployer}
    /// type: kubernetes.io/service-account-token
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata: {name: api-tls, namespace: ci}
    /// type: kubernetes.io/tls
    /// data: {tls.crt: "", tls.key: ""}
    /// ```
    ///
    /// ## Fix
    /// Delete the Secret and use bound tokens (`kubectl create token`, projected volumes, or
    /// workload identity federation for CI systems outside the cluster).
    pub LEGACY_TOKEN_SECRET {
        id: "SA-003",
        name: "legacy-service-account-token",
        severity: Medium,
        applies: All,
        reads: [Secret],
        locality: Object,
        requirements: [("8.6.3", "8.6.3.c", "a legacy token never expires, so the application credential is not changed unless someone replaces it by hand")],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_of_kind(e, "Secret", |_, _, o| {
        let Resource::Secret(secret) = &o.resource else { return Verdict::Skip };
        if secret.type_.as_deref() != Some(TOKEN_TYPE) {
            return Verdict::Pass;
        }
        let account = o.annotations().get("kubernetes.io/service-account.name").unwrap_or("<unknown>");
        Verdict::Fail(format!("Secret holds a non-expiring token for ServiceAccount {account}"), vec![Evidence::field("type", TOKEN_TYPE)])
    });
}
