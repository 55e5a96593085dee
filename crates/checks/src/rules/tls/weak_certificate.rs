use kubepci_findings::Evidence;

use crate::support::certificates::{SecretChain, cert_manager_cert, chain_not_assessed, object_chain};
use crate::support::each::{Problem, Verdict, each_of_kind};
use crate::support::x509::CertFacts;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Certificates must use strong keys and signatures
    ///
    /// ## What it checks
    /// In CDE, connected and security-impacting namespaces: the certificates in every
    /// `kubernetes.io/tls` Secret's `tls.crt` (the public chain; `tls.key` is never read) must
    /// have RSA keys of at least 2048 bits or elliptic-curve keys of at least 224 bits, and no
    /// certificate but a self-signed root may be signed with MD5 or SHA-1. Every cert-manager
    /// `Certificate` must not request an RSA key under 2048 bits (`spec.privateKey`) or a SHA-1
    /// or MD5 `spec.signatureAlgorithm`. A Secret whose `tls.crt` is not in the input is not
    /// assessed.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 4.2.1 asks for strong cryptography wherever PAN crosses open networks; the
    /// PCI DSS glossary puts strong cryptography at 112 bits of effective strength, which RSA
    /// under 2048 bits does not reach, and SHA-1 signatures can be forged (chosen-prefix
    /// collisions), so a certificate signed with it cannot be trusted. Weak keys on endpoints
    /// carrying credentials also break 8.3.2.
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
    ///   privateKey: {algorithm: RSA, size: 1024}
    ///   issuerRef: {kind: ClusterIssuer, name: letsencrypt}
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
    ///   privateKey: {algorithm: ECDSA, size: 256}
    ///   issuerRef: {kind: ClusterIssuer, name: letsencrypt}
    /// ```
    ///
    /// ## Fix
    /// Reissue the certificate with an RSA key of 2048 bits or more (3072 for use past 2030) or
    /// an ECDSA P-256/P-384 key, signed with SHA-256 or stronger; with cert-manager set
    /// `spec.privateKey` (`algorithm: ECDSA, size: 256`) and `rotationPolicy: Always`. Replace
    /// intermediates signed with SHA-1.
    pub WEAK_CERTIFICATE {
        id: "TLS-002",
        name: "weak-certificate-crypto",
        severity: High,
        applies: InScope,
        reads: [Secret, Certificate, Namespace],
        on_partial_input: FailuresStand,
        locality: Object,
        requirements: [
            ("4.2.1", "4.2.1.b", "the certificates in use are examined for strong cryptography: keys of at least 112-bit strength, no forgeable signatures"),
            ("8.3.2", "8.3.2.a", "credentials sent to endpoints with weak certificate keys are not protected by strong cryptography in transit"),
        ],
        run: run,
    }
}

/// A chain's weaknesses: every certificate's key, and every signature but a root's own.
fn chain_problems(chain: &[CertFacts]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (i, c) in chain.iter().enumerate() {
        let which = if i == 0 { format!("certificate {:?}", c.subject()) } else { format!("chain certificate {i} ({:?})", c.subject()) };
        let evidence = || Evidence::field(format!("data.tls.crt[{i}]"), format!("{}, {}", c.key.describe(), c.signature));
        if let Some(why) = c.key.weakness() {
            problems.push(Problem::new(format!("{which} has an {why}"), evidence()));
        }
        // A trust anchor's self-signature is never checked by clients; everything below it is.
        let root = c.self_signed && c.is_ca && i > 0;
        if c.weak_signature && !root {
            problems.push(Problem::new(format!("{which} is signed with {}", c.signature), evidence()));
        }
    }
    problems
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_of_kind(e, "Secret", |_, _, o| {
        let Some(chain) = object_chain(o) else { return Verdict::Skip };
        if let Some(why) = chain_not_assessed(&chain) {
            return Verdict::NotAssessed(why);
        }
        let SecretChain::Parsed(chain) = chain else { return Verdict::Skip };
        Verdict::from_problems(chain_problems(&chain))
    });
    each_of_kind(e, "Certificate", |_, _, o| {
        let Some(cert) = cert_manager_cert(o) else { return Verdict::Skip };
        match cert.weakness() {
            Some(why) => Verdict::Fail(format!("cert-manager Certificate {}: {why}", o.name()), vec![Evidence::field("spec.privateKey", cert.key_description())]),
            None => Verdict::Pass,
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::x509::parse_pem;

    fn chain(pems: &[&str]) -> Vec<CertFacts> {
        pems.iter().flat_map(|p| parse_pem(p.as_bytes())).map(Result::unwrap).collect()
    }

    #[test]
    fn weak_key_and_sha1_signature_both_fail() {
        let weak = chain(&[include_str!("../../support/testdata/rsa1024-sha1-selfsigned.pem")]);
        let problems = chain_problems(&weak);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].message.contains("RSA key of 1024 bits"));
        assert!(problems[1].message.contains("sha1WithRSAEncryption"));
    }

    #[test]
    fn strong_chains_pass() {
        let good = chain(&[include_str!("../../support/testdata/ec-p256-leaf.pem"), include_str!("../../support/testdata/ec-p256-ca.pem")]);
        assert!(chain_problems(&good).is_empty());
        assert!(chain_problems(&chain(&[include_str!("../../support/testdata/rsa2048-sha256-1day.pem")])).is_empty());
    }

    #[test]
    fn secrets_are_read_from_tls_crt() {
        let pem = include_str!("../../support/testdata/rsa1024-sha1-selfsigned.pem").lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n");
        let yaml = format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: payments, labels: {{pci.kubepci.io/scope: cde}}}}\n---\napiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata: {{name: legacy-tls, namespace: payments}}\nstringData:\n  tls.crt: |\n{pem}\n");
        let out = crate::testing::run(&WEAK_CERTIFICATE, &yaml, "");
        assert_eq!(out.fails.len(), 1);
        assert!(out.fails[0].message.contains("legacy.example.com"));
    }
}
