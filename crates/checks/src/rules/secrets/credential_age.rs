use kubepci_base::time::{date, parse_rfc3339};
use kubepci_findings::Evidence;
use kubepci_model::Resource;
use kubepci_model::kinds::Secret;

use crate::support::credentials::is_secret_name;
use crate::support::each::{Verdict, each_of_kind};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Credentials in Secrets must be rotated within the configured period
    ///
    /// ## What it checks
    /// With `credentials.rotationDays` set in kubepci.yaml: every credential Secret in CDE,
    /// connected and security-impacting namespaces (types `kubernetes.io/basic-auth`,
    /// `ssh-auth`, `service-account-token`, `dockerconfigjson`/`dockercfg`, and `Opaque`
    /// Secrets with a key named like a credential: `password`, `token`, `api-key` …) must be
    /// younger than that many days. Age is taken from metadata only: the later of
    /// `metadata.creationTimestamp` and the date in a `pci.kubepci.io/rotated-at` annotation
    /// (`YYYY-MM-DD` or RFC 3339), which whoever rotates a value in place sets. Values are never
    /// read. Secrets owned by a controller (External Secrets, Sealed Secrets, Vault operators
    /// …), which may rotate them in place, and Secrets without a creation time (manifests) are
    /// not assessed; without `credentials.rotationDays` the check is not assessed.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 8.6.3 asks that passwords and other credentials of application and system
    /// accounts are changed periodically, at a frequency the entity's risk analysis sets. A
    /// Secret that has not changed since it was created long ago holds a credential that has
    /// not been rotated either.
    ///
    /// ## Failing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: v1
    /// kind: Secret
    /// type: kubernetes.io/basic-auth
    /// metadata: {name: db-login, namespace: payments, creationTimestamp: "2021-02-01T09:00:00Z"}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: v1
    /// kind: Secret
    /// type: kubernetes.io/basic-auth
    /// metadata:
    ///   name: db-login
    ///   namespace: payments
    ///   creationTimestamp: "2021-02-01T09:00:00Z"
    ///   annotations: {pci.kubepci.io/rotated-at: "2099-01-01"}
    /// ```
    ///
    /// ## Example configuration
    /// ```yaml
    /// credentials: {rotationDays: 90}
    /// ```
    ///
    /// ## Fix
    /// Rotate the credential (a new password or key at its system, then the Secret), and
    /// record the date with the `pci.kubepci.io/rotated-at` annotation when the Secret is
    /// updated in place; better, let a secrets manager rotate it (External Secrets with a
    /// `refreshInterval`, Vault dynamic credentials).
    pub CREDENTIAL_AGE {
        id: "IAM-003",
        name: "credential-secret-rotation",
        severity: Medium,
        applies: InScope,
        reads: [Secret, Namespace],
        locality: Object,
        requirements: [("8.6.3", "8.6.3.c", "a credential Secret older than the rotation period holds an application credential that was not changed as the entity's period requires")],
        run: run,
    }
}

/// The annotation recording when a Secret's value was last rotated in place.
pub const ROTATED_AT: &str = "pci.kubepci.io/rotated-at";

const CREDENTIAL_TYPES: &[&str] = &[
    "kubernetes.io/basic-auth",
    "kubernetes.io/ssh-auth",
    "kubernetes.io/service-account-token",
    "kubernetes.io/dockerconfigjson",
    "kubernetes.io/dockercfg",
];

/// Whether a Secret holds a credential, from its type and key names (never its values).
fn holds_credential(s: &Secret) -> bool {
    match s.type_.as_deref().unwrap_or("Opaque") {
        t if CREDENTIAL_TYPES.contains(&t) => true,
        "Opaque" => s.data.iter().flat_map(|d| d.keys()).chain(s.string_data.iter().flat_map(|d| d.keys())).any(|k| is_secret_name(k)),
        _ => false,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    let Some(days) = cx.inv.config.credentials.rotation_days else {
        e.not_assessed(None, "no rotation period: set credentials.rotationDays in kubepci.yaml");
        return;
    };
    let limit = i64::from(days) * 86_400;
    each_of_kind(e, "Secret", |cx, _, o| {
        let Resource::Secret(s) = &o.resource else { return Verdict::Skip };
        if !holds_credential(s) {
            return Verdict::Skip;
        }
        if let Some(owner) = o.metadata().owner_references.iter().flatten().find(|r| r.controller == Some(true)).or_else(|| o.metadata().owner_references.iter().flatten().next()) {
            return Verdict::NotAssessed(format!("managed by {}/{}, which may rotate the value in place", owner.kind, owner.name));
        }
        let created = o.metadata().creation_timestamp().map(|t| t.0.as_second());
        let rotated = o.annotations().get(ROTATED_AT).and_then(parse_rfc3339);
        let Some(changed) = created.into_iter().chain(rotated).max() else {
            return Verdict::NotAssessed("no creationTimestamp (manifests) and no pci.kubepci.io/rotated-at annotation".into());
        };
        let age = cx.now - changed;
        if age <= limit {
            return Verdict::Pass;
        }
        let (field, value) = match rotated.filter(|r| Some(*r) == Some(changed)) {
            Some(r) => (format!("metadata.annotations.{ROTATED_AT}"), date(r)),
            None => ("metadata.creationTimestamp".to_string(), date(changed)),
        };
        Verdict::Fail(format!("credential Secret last changed {} ({} days ago, over {days})", date(changed), age / 86_400), vec![Evidence::field(field, value)])
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "# input: snapshot\napiVersion: v1\nkind: Namespace\nmetadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: app, namespace: payments, creationTimestamp: \"2021-02-01T09:00:00Z\"}\n";

    #[test]
    fn unconfigured_is_not_assessed() {
        let out = crate::testing::run(&CREDENTIAL_AGE, &format!("{SECRET}stringData: {{password: x}}\n"), "");
        assert_eq!((out.fails.len(), out.not_assessed.len()), (0, 1));
    }

    #[test]
    fn only_credentials_are_judged_by_key_name() {
        let config = "credentials: {rotationDays: 90}";
        let out = crate::testing::run(&CREDENTIAL_AGE, &format!("{SECRET}stringData: {{password: s3cr3t-value}}\n"), config);
        assert_eq!(out.fails.len(), 1);
        assert!(out.fails[0].message.contains("2021-02-01") && !out.fails[0].message.contains("s3cr3t"), "{:?}", out.fails);
        let out = crate::testing::run(&CREDENTIAL_AGE, &format!("{SECRET}data: {{app.properties: eA==}}\n"), config);
        assert_eq!((out.fails.len(), out.passed, out.not_assessed.len()), (0, 0, 0));
    }

    #[test]
    fn controller_owned_secrets_are_not_assessed() {
        let owned = SECRET.replace("creationTimestamp", "ownerReferences: [{apiVersion: external-secrets.io/v1, kind: ExternalSecret, name: app, uid: u1, controller: true}], creationTimestamp");
        let out = crate::testing::run(&CREDENTIAL_AGE, &format!("{owned}stringData: {{password: x}}\n"), "credentials: {rotationDays: 90}");
        assert!(out.not_assessed[0].message.contains("ExternalSecret/app"), "{:?}", out.not_assessed);
    }
}
