use kubepci_base::time::rfc3339;
use kubepci_findings::Evidence;

use crate::support::certificates::{CERT_MANAGER_SECRET_ANNOTATION, cert_manager_cert, chain_not_assessed, days_left, object_chain, SecretChain};
use crate::support::each::{Verdict, each_of_kind};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Certificates must be valid and not about to expire
    ///
    /// ## What it checks
    /// In CDE, connected and security-impacting namespaces: every `kubernetes.io/tls` Secret's
    /// leaf certificate (the first in `tls.crt`, whose `notAfter` is read from the public
    /// certificate; `tls.key` is never read) and every cert-manager `Certificate`'s
    /// `status.notAfter`. A certificate fails when it has expired, or when it expires within
    /// `certificates.expiryWarningDays` (kubepci.yaml, default 30) and nothing renews it: a
    /// cert-manager `Certificate` reporting `Ready=True` (and the Secrets cert-manager writes,
    /// annotated `cert-manager.io/certificate-name`) are renewed automatically and fail only
    /// once expired. A Secret whose `tls.crt` is not in the input (Secrets not collected, or
    /// redacted) and a `Certificate` without status (manifests) are not assessed.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 4.2.1 asks that certificates protecting PAN over open networks are confirmed
    /// valid and not expired. An expired certificate breaks TLS for clients that check it and
    /// teaches users and integrations to accept certificate errors; 4.2.1.1 asks that the
    /// inventory of certificates is kept current, which a certificate about to lapse unnoticed
    /// shows it is not.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: cert-manager.io/v1
    /// kind: Certificate
    /// metadata: {name: pay-example-com, namespace: payments}
    /// spec:
    ///   secretName: pay-tls
    ///   dnsNames: [pay.example.com]
    ///   issuerRef: {kind: ClusterIssuer, name: letsencrypt}
    /// status:
    ///   notAfter: "2020-03-01T00:00:00Z"
    ///   conditions:
    ///   - {type: Ready, status: "False", reason: Expired}
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
    /// apiVersion: cert-manager.io/v1
    /// kind: Certificate
    /// metadata: {name: pay-example-com, namespace: payments}
    /// spec:
    ///   secretName: pay-tls
    ///   dnsNames: [pay.example.com]
    ///   issuerRef: {kind: ClusterIssuer, name: letsencrypt}
    /// status:
    ///   notAfter: "2099-03-01T00:00:00Z"
    ///   conditions:
    ///   - {type: Ready, status: "True"}
    /// ```
    ///
    /// ## Fix
    /// Renew or replace the certificate before it expires, and let a controller do it: issue it
    /// with cert-manager (or your platform's certificate manager) and alert on `Certificate`
    /// objects that are not `Ready`. Delete TLS Secrets that nothing uses.
    pub CERTIFICATE_EXPIRY {
        id: "TLS-001",
        name: "certificate-expiry",
        severity: High,
        applies: InScope,
        reads: [Secret, Certificate, Namespace],
        on_partial_input: FailuresStand,
        locality: Object,
        requirements: [
            ("4.2.1", "4.2.1.b", "the certificates that protect in-scope traffic are examined and must be valid and not expired"),
            ("4.2.1.1", "4.2.1.1.b", "a certificate about to lapse without renewal shows the certificate inventory is not kept current"),
        ],
        run: run,
    }
}

/// Judge one expiry: expired fails; within the window fails unless something renews it.
fn judge(now: i64, warn_days: u32, not_after: i64, renewed: bool, what: &str, evidence: Evidence) -> Verdict {
    let days = days_left(now, not_after);
    if not_after <= now {
        return Verdict::Fail(format!("{what} expired on {}", rfc3339(not_after)), vec![evidence]);
    }
    if days < i64::from(warn_days) && !renewed {
        return Verdict::Fail(format!("{what} expires on {} ({days} days left, under {warn_days}) and nothing renews it", rfc3339(not_after)), vec![evidence]);
    }
    Verdict::Pass
}

fn run(cx: &Context, e: &mut Emitter) {
    let warn = cx.inv.config.certificates.expiry_warning_days;
    each_of_kind(e, "Secret", |cx, _, o| {
        let Some(chain) = object_chain(o) else { return Verdict::Skip };
        if let Some(why) = chain_not_assessed(&chain) {
            return Verdict::NotAssessed(why);
        }
        let SecretChain::Parsed(chain) = chain else { return Verdict::Skip };
        let leaf = &chain[0];
        let renewed = o.annotations().contains_key(CERT_MANAGER_SECRET_ANNOTATION);
        let what = format!("certificate {:?}", leaf.subject());
        judge(cx.now, warn, leaf.not_after, renewed, &what, Evidence::field("data.tls.crt", format!("notAfter {}", rfc3339(leaf.not_after))))
    });
    each_of_kind(e, "Certificate", |cx, _, o| {
        let Some(cert) = cert_manager_cert(o) else { return Verdict::Skip };
        let Some(not_after) = cert.not_after else {
            return Verdict::NotAssessed("no status.notAfter: the certificate is not issued yet, or the input has no status (manifests)".into());
        };
        let what = format!("cert-manager Certificate {}", o.name());
        judge(cx.now, warn, not_after, cert.ready == Some(true), &what, Evidence::field("status.notAfter", rfc3339(not_after)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{load, run_on};
    use kubepci_findings::Status;

    const LEAF: &str = include_str!("../../support/testdata/ec-p256-leaf.pem");

    fn secret(annotations: &str) -> String {
        let pem = LEAF.lines().map(|l| format!("      {l}")).collect::<Vec<_>>().join("\n");
        format!(
            "apiVersion: v1\nkind: Namespace\nmetadata: {{name: payments, labels: {{pci.kubepci.io/scope: cde}}}}\n---\napiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata: {{name: pay-tls, namespace: payments, annotations: {{{annotations}}}}}\nstringData:\n  tls.crt: |\n{pem}\n  tls.key: secret\n"
        )
    }

    fn statuses(yaml: &str, now: i64) -> Vec<(Status, String)> {
        let inv = load("t.yaml", yaml, "");
        let cx = crate::Context::new(&inv, crate::InputKind::Manifests).at(now);
        run_on(&CERTIFICATE_EXPIRY, &cx).findings.into_iter().map(|f| (f.status, f.message)).collect()
    }

    #[test]
    fn secrets_are_judged_from_the_parsed_certificate() {
        // The leaf is valid until 2036-12-04T11:27:11Z.
        let not_after = kubepci_base::time::parse_rfc3339("2036-12-04T11:27:11Z").unwrap();
        assert!(statuses(&secret(""), not_after - 40 * 86_400).is_empty());
        let soon = statuses(&secret(""), not_after - 10 * 86_400);
        assert_eq!(soon.len(), 1);
        assert!(soon[0].1.contains("pay.example.com") && soon[0].1.contains("10 days left"), "{soon:?}");
        assert!(!soon[0].1.contains("secret"), "no Secret value in messages");
        // cert-manager renews its Secrets: only expiry fails.
        assert!(statuses(&secret("cert-manager.io/certificate-name: pay"), not_after - 10 * 86_400).is_empty());
        let expired = statuses(&secret("cert-manager.io/certificate-name: pay"), not_after + 1);
        assert!(expired[0].1.contains("expired on 2036-12-04"), "{expired:?}");
    }

    #[test]
    fn a_secret_without_its_certificate_is_not_assessed() {
        let yaml = "apiVersion: v1\nkind: Namespace\nmetadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}\n---\napiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata: {name: pay-tls, namespace: payments}\n";
        let s = statuses(yaml, 0);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].0, Status::NotAssessed);
    }
}
