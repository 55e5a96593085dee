use kubepci_findings::Evidence;
use kubepci_model::Resource;

use crate::support::certificates::{IssuerRef, IssuerType, SecretChain, CERT_MANAGER_GROUP, cert_manager_cert, certificate_for_secret, chain_not_assessed, object_chain, resolve_issuer};
use crate::support::each::{Problem, Verdict, each_of_kind};
use crate::support::exposure::{ingress_services, selected_cde_workloads};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Ingress routes to CDE workloads must not present self-signed certificates
    ///
    /// ## What it checks
    /// Every Ingress with a backend Service that selects a CDE workload: the certificate of
    /// each `spec.tls` entry must not be self-signed. The certificate is found as the Secret
    /// `secretName` (its `tls.crt` is parsed: self-signed when the issuer equals the subject
    /// and it is not issued by a CA), or else as the cert-manager `Certificate` writing that
    /// Secret, or the issuer named by the Ingress's `cert-manager.io/issuer` or
    /// `cert-manager.io/cluster-issuer` annotation: a `selfSigned` issuer fails. A `spec.tls`
    /// entry without `secretName` (the controller's default certificate) and a certificate the
    /// input does not show are not assessed.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 4.2.1 asks that certificates protecting PAN over open networks are trusted.
    /// A self-signed certificate cannot be verified by card holders' browsers or partners'
    /// clients, so they either fail or are told to accept any certificate, which lets anyone
    /// on the path intercept the traffic.
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
    /// metadata: {name: checkout, namespace: payments, labels: {app: checkout}}
    /// spec:
    ///   containers:
    ///   - {name: checkout, image: registry.example.com/pay/checkout:1.0}
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: checkout, namespace: payments}
    /// spec:
    ///   selector: {app: checkout}
    ///   ports: [{port: 8080}]
    /// ---
    /// apiVersion: cert-manager.io/v1
    /// kind: Issuer
    /// metadata: {name: selfsigned, namespace: payments}
    /// spec:
    ///   selfSigned: {}
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: checkout
    ///   namespace: payments
    ///   annotations: {cert-manager.io/issuer: selfsigned}
    /// spec:
    ///   tls: [{hosts: [pay.example.com], secretName: pay-tls}]
    ///   rules:
    ///   - host: pay.example.com
    ///     http:
    ///       paths:
    ///       - {path: /, pathType: Prefix, backend: {service: {name: checkout, port: {number: 8080}}}}
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
    /// metadata: {name: checkout, namespace: payments, labels: {app: checkout}}
    /// spec:
    ///   containers:
    ///   - {name: checkout, image: registry.example.com/pay/checkout:1.0}
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: checkout, namespace: payments}
    /// spec:
    ///   selector: {app: checkout}
    ///   ports: [{port: 8080}]
    /// ---
    /// apiVersion: cert-manager.io/v1
    /// kind: ClusterIssuer
    /// metadata: {name: letsencrypt}
    /// spec:
    ///   acme:
    ///     server: https://acme-v02.api.letsencrypt.org/directory
    ///     privateKeySecretRef: {name: letsencrypt-account}
    ///     solvers: [{http01: {ingress: {ingressClassName: nginx}}}]
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: checkout
    ///   namespace: payments
    ///   annotations: {cert-manager.io/cluster-issuer: letsencrypt}
    /// spec:
    ///   tls: [{hosts: [pay.example.com], secretName: pay-tls}]
    ///   rules:
    ///   - host: pay.example.com
    ///     http:
    ///       paths:
    ///       - {path: /, pathType: Prefix, backend: {service: {name: checkout, port: {number: 8080}}}}
    /// ```
    ///
    /// ## Fix
    /// Serve CDE hosts with a certificate from a publicly trusted CA (or, for partner-only
    /// endpoints, a CA the clients are configured to trust): point the Ingress at an ACME or
    /// enterprise-CA issuer instead of a `selfSigned` one, and set the controller's default
    /// certificate (`--default-ssl-certificate`) so no host falls back to a generated one.
    pub SELF_SIGNED_INGRESS {
        id: "TLS-003",
        name: "self-signed-certificate-on-cde-route",
        severity: High,
        applies: CdeRelated,
        reads: [workloads, Ingress, Namespace, Service, Secret, Certificate, Issuer, ClusterIssuer],
        on_partial_input: FailuresStand,
        requirements: [
            ("4.2.1", "4.2.1.b", "the certificate presented on a route to the CDE from open networks must be trusted, which a self-signed one cannot be"),
        ],
        run: run,
    }
}

/// What the input says about the certificate behind one `secretName`.
enum Found {
    SelfSigned(String, Evidence),
    Trusted,
    Unknown(String),
}

fn issuer_verdict(cx: &Context, namespace: Option<&str>, issuer: &IssuerRef, via: &str) -> Found {
    match resolve_issuer(cx, namespace, issuer) {
        Some((_, IssuerType::SelfSigned)) => Found::SelfSigned(format!("{via} is issued by the selfSigned {issuer}"), Evidence::field(via.to_string(), issuer.to_string())),
        Some(_) => Found::Trusted,
        None if issuer.group != CERT_MANAGER_GROUP => Found::Trusted,
        None => Found::Unknown(format!("{issuer} is not in the input")),
    }
}

/// The cert-manager issuer an Ingress names in its annotations.
fn annotated_issuer(o: &kubepci_model::Object) -> Option<IssuerRef> {
    let a = o.annotations();
    let (kind, name) = a.get("cert-manager.io/cluster-issuer").map(|n| ("ClusterIssuer", n)).or_else(|| a.get("cert-manager.io/issuer").map(|n| ("Issuer", n)))?;
    Some(IssuerRef { kind: kind.into(), name: name.to_string(), group: CERT_MANAGER_GROUP.into() })
}

fn certificate_of(cx: &Context, ingress: &kubepci_model::Object, secret_name: &str) -> Found {
    let ns = ingress.namespace().unwrap_or("");
    if let Some(secret) = cx.inv.get("Secret", Some(ns), secret_name)
        && let Some(chain) = object_chain(secret)
    {
        if let SecretChain::Parsed(chain) = &chain
            && let Some(leaf) = chain.first()
        {
            return if leaf.self_signed && chain.len() == 1 {
                Found::SelfSigned(format!("Secret {secret_name} holds a self-signed certificate for {:?}", leaf.subject()), Evidence::field(format!("Secret/{ns}/{secret_name}"), "issuer = subject"))
            } else {
                Found::Trusted
            };
        }
        if let Some(why) = chain_not_assessed(&chain)
            && certificate_for_secret(cx, ns, secret_name).is_none()
            && annotated_issuer(ingress).is_none()
        {
            return Found::Unknown(format!("Secret {secret_name}: {why}"));
        }
    }
    if let Some(cert) = certificate_for_secret(cx, ns, secret_name)
        && let Some(issuer) = cert_manager_cert(cert).and_then(|c| c.issuer)
    {
        return issuer_verdict(cx, Some(ns), &issuer, &format!("Certificate {}", cert.name()));
    }
    if let Some(issuer) = annotated_issuer(ingress) {
        return issuer_verdict(cx, Some(ns), &issuer, "the Ingress's cert-manager annotation");
    }
    Found::Unknown(format!("the certificate in Secret {secret_name} is not in the input"))
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_of_kind(e, "Ingress", |cx, _, o| {
        let Resource::Ingress(ing) = &o.resource else { return Verdict::Skip };
        if !ingress_services(cx, o).iter().any(|(_, svc)| !selected_cde_workloads(cx, svc).is_empty()) {
            return Verdict::Skip;
        }
        let tls = ing.spec.as_ref().and_then(|s| s.tls.as_deref()).unwrap_or_default();
        if tls.is_empty() {
            return Verdict::Skip; // EXP-004 reports routes without TLS.
        }
        let (mut problems, mut unknown) = (Vec::new(), Vec::new());
        for (i, t) in tls.iter().enumerate() {
            match t.secret_name.as_deref().filter(|s| !s.is_empty()) {
                None => unknown.push(format!("spec.tls[{i}] has no secretName: the controller's default certificate is served")),
                Some(name) => match certificate_of(cx, o, name) {
                    Found::SelfSigned(why, ev) => problems.push(Problem::new(why, ev)),
                    Found::Trusted => {}
                    Found::Unknown(why) => unknown.push(why),
                },
            }
        }
        if problems.is_empty() && !unknown.is_empty() {
            return Verdict::NotAssessed(unknown.join("; "));
        }
        Verdict::from_problems(problems)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTE: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: checkout, namespace: payments, labels: {app: checkout}}\nspec:\n  containers: [{name: c, image: r.example/c:1}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: checkout, namespace: payments}\nspec: {selector: {app: checkout}, ports: [{port: 80}]}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: checkout, namespace: payments}\nspec:\n  tls: [{hosts: [pay.example.com], secretName: pay-tls}]\n  rules:\n  - host: pay.example.com\n    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: checkout, port: {number: 80}}}}]}\n";

    fn with_secret(pem: &str) -> String {
        let pem = pem.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n");
        format!("{ROUTE}---\napiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata: {{name: pay-tls, namespace: payments}}\nstringData:\n  tls.crt: |\n{pem}\n")
    }

    #[test]
    fn parsed_secrets_decide() {
        let out = crate::testing::run(&SELF_SIGNED_INGRESS, &with_secret(include_str!("../../support/testdata/rsa1024-sha1-selfsigned.pem")), "");
        assert_eq!(out.fails.len(), 1);
        assert!(out.fails[0].message.contains("legacy.example.com"));
        let out = crate::testing::run(&SELF_SIGNED_INGRESS, &with_secret(include_str!("../../support/testdata/ec-p256-leaf.pem")), "");
        assert_eq!((out.fails.len(), out.passed), (0, 1));
    }

    #[test]
    fn unknown_certificates_are_not_assessed() {
        let out = crate::testing::run(&SELF_SIGNED_INGRESS, ROUTE, "");
        assert_eq!((out.fails.len(), out.not_assessed.len(), out.passed), (0, 1, 0));
        let default_cert = ROUTE.replace(", secretName: pay-tls", "");
        let out = crate::testing::run(&SELF_SIGNED_INGRESS, &default_cert, "");
        assert!(out.not_assessed[0].message.contains("default certificate"));
    }
}
