//! Certificates as the cluster states them, for the TLS checks and `kubepci certs`:
//! `kubernetes.io/tls` Secrets (the public certificate in `tls.crt`, parsed by
//! [`crate::support::x509`]; `tls.key` is never read) and cert-manager `Certificate`,
//! `Issuer` and `ClusterIssuer` objects (spec and status only).

use kubepci_model::kinds::Secret;
use kubepci_model::{Object, Resource};
use serde_json::{Map, Value};

use crate::Context;
use crate::support::x509::{self, CertFacts, X509Error};

/// The cert-manager API group.
pub const CERT_MANAGER_GROUP: &str = "cert-manager.io";
/// The Secret type of TLS key pairs.
pub const TLS_SECRET_TYPE: &str = "kubernetes.io/tls";
/// The Secret key holding the public certificate chain.
pub const TLS_CERT_KEY: &str = "tls.crt";
/// The annotation cert-manager sets on the Secrets it writes.
pub const CERT_MANAGER_SECRET_ANNOTATION: &str = "cert-manager.io/certificate-name";

/// A TLS Secret's certificate chain, leaf first.
#[derive(Debug)]
pub enum SecretChain {
    Parsed(Vec<CertFacts>),
    /// `tls.crt` is absent from the input (Secret values not collected, or redacted).
    Missing,
    /// `tls.crt` is present but not a readable PEM certificate.
    Unreadable(String),
}

/// Whether an object is a TLS Secret.
pub fn is_tls_secret(o: &Object) -> bool {
    matches!(&o.resource, Resource::Secret(s) if s.type_.as_deref() == Some(TLS_SECRET_TYPE))
}

/// The certificate chain in a Secret's `tls.crt` (`data` or `stringData`). Only the public
/// certificate is read; nothing else of the Secret is looked at.
pub fn secret_chain(secret: &Secret) -> SecretChain {
    let bytes: Option<&[u8]> = secret
        .data
        .as_ref()
        .and_then(|d| d.get(TLS_CERT_KEY))
        .map(|b| b.0.as_slice())
        .or_else(|| secret.string_data.as_ref().and_then(|d| d.get(TLS_CERT_KEY)).map(String::as_bytes))
        .filter(|b| !b.is_empty());
    let Some(bytes) = bytes else { return SecretChain::Missing };
    let parsed = x509::parse_pem(bytes);
    if parsed.is_empty() {
        return SecretChain::Unreadable(X509Error("tls.crt holds no PEM certificate").to_string());
    }
    match parsed.into_iter().collect::<Result<Vec<_>, _>>() {
        Ok(chain) => SecretChain::Parsed(chain),
        Err(e) => SecretChain::Unreadable(e.to_string()),
    }
}

/// The chain of a TLS Secret object, `None` for any other object. A stored (redacted) Secret
/// has no `tls.crt` value left; its chain is then the one recorded when it was redacted, so a
/// snapshot scan judges the certificate as the live scan did.
pub fn object_chain(o: &Object) -> Option<SecretChain> {
    match &o.resource {
        Resource::Secret(s) if s.type_.as_deref() == Some(TLS_SECRET_TYPE) => Some(match secret_chain(s) {
            SecretChain::Missing => match crate::redaction::recorded(o).and_then(|r| r.tls_certificates) {
                Some(Ok(chain)) => SecretChain::Parsed(chain),
                Some(Err(why)) => SecretChain::Unreadable(why),
                None => SecretChain::Missing,
            },
            chain => chain,
        }),
        _ => None,
    }
}

/// Why a Secret's certificate cannot be judged.
pub fn chain_not_assessed(chain: &SecretChain) -> Option<String> {
    match chain {
        SecretChain::Parsed(c) if c.is_empty() => Some("tls.crt holds no certificate".into()),
        SecretChain::Parsed(_) => None,
        SecretChain::Missing => Some("tls.crt is not in the input (Secret values were not collected, or were redacted)".into()),
        SecretChain::Unreadable(e) => Some(format!("tls.crt could not be read: {e}")),
    }
}

/// The body of a cert-manager object of `kind`.
pub fn cert_manager_body<'a>(o: &'a Object, kind: &str) -> Option<&'a Map<String, Value>> {
    match &o.resource {
        Resource::Generic(g) if g.kind == kind && g.api_version.split('/').next() == Some(CERT_MANAGER_GROUP) => Some(&g.body),
        _ => None,
    }
}

/// A cert-manager issuer reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerRef {
    /// `Issuer` (default) or `ClusterIssuer`; external issuers keep their kind.
    pub kind: String,
    pub name: String,
    /// `cert-manager.io` unless an external issuer.
    pub group: String,
}

impl std::fmt::Display for IssuerRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.kind, self.name)
    }
}

/// What a cert-manager `Certificate` states.
#[derive(Debug, Default)]
pub struct CertManagerCert<'a> {
    pub secret_name: Option<&'a str>,
    pub common_name: Option<&'a str>,
    pub dns_names: Vec<&'a str>,
    pub issuer: Option<IssuerRef>,
    /// `spec.privateKey.algorithm`: `RSA` (cert-manager's default), `ECDSA`, `Ed25519`.
    pub key_algorithm: &'a str,
    /// `spec.privateKey.size`; `None` when unset (cert-manager's default: 2048 for RSA, 256 for ECDSA).
    pub key_size: Option<u64>,
    /// `spec.signatureAlgorithm`, when set.
    pub signature_algorithm: Option<&'a str>,
    /// `status.notAfter` (seconds since the epoch), when issued and the status is in the input.
    pub not_after: Option<i64>,
    /// The `Ready` condition's status.
    pub ready: Option<bool>,
}

impl CertManagerCert<'_> {
    /// The key as `RSA 2048` (cert-manager's defaults filled in).
    pub fn key_description(&self) -> String {
        let size = self.key_size.or(match self.key_algorithm {
            "RSA" => Some(2048),
            "ECDSA" => Some(256),
            _ => None,
        });
        match size {
            Some(s) => format!("{} {s}", self.key_algorithm),
            None => self.key_algorithm.to_string(),
        }
    }

    /// Why the requested key or signature is weak.
    pub fn weakness(&self) -> Option<String> {
        let mut why = Vec::new();
        match (self.key_algorithm, self.key_size) {
            ("RSA", Some(s)) if s < 2048 => why.push(format!("spec.privateKey requests an RSA key of {s} bits (at least 2048 needed)")),
            ("ECDSA", Some(s)) if s < 224 => why.push(format!("spec.privateKey requests an ECDSA key of {s} bits (at least 224 needed)")),
            _ => {}
        }
        if let Some(sig) = self.signature_algorithm {
            let upper = sig.to_ascii_uppercase();
            if upper.contains("SHA1") || upper.contains("MD5") {
                why.push(format!("spec.signatureAlgorithm is {sig}"));
            }
        }
        (!why.is_empty()).then(|| why.join("; "))
    }
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

/// A cert-manager `Certificate` object's statement; `None` for other objects.
pub fn cert_manager_cert(o: &Object) -> Option<CertManagerCert<'_>> {
    let body = cert_manager_body(o, "Certificate")?;
    let spec = body.get("spec").unwrap_or(&Value::Null);
    let status = body.get("status").unwrap_or(&Value::Null);
    let issuer = spec.get("issuerRef").and_then(|r| {
        let name = r.get("name")?.as_str()?;
        Some(IssuerRef {
            kind: r.get("kind").and_then(Value::as_str).unwrap_or("Issuer").to_string(),
            name: name.to_string(),
            group: r.get("group").and_then(Value::as_str).unwrap_or(CERT_MANAGER_GROUP).to_string(),
        })
    });
    let ready = status.get("conditions").and_then(Value::as_array).and_then(|cs| {
        cs.iter().find(|c| c.get("type").and_then(Value::as_str) == Some("Ready")).and_then(|c| c.get("status")?.as_str()).map(|s| s == "True")
    });
    Some(CertManagerCert {
        secret_name: str_at(spec, &["secretName"]),
        common_name: str_at(spec, &["commonName"]),
        dns_names: spec.get("dnsNames").and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default(),
        issuer,
        key_algorithm: str_at(spec, &["privateKey", "algorithm"]).unwrap_or("RSA"),
        key_size: spec.get("privateKey").and_then(|p| p.get("size")).and_then(Value::as_u64),
        signature_algorithm: str_at(spec, &["signatureAlgorithm"]),
        not_after: str_at(status, &["notAfter"]).and_then(kubepci_base::time::parse_rfc3339),
        ready,
    })
}

/// What kind of CA an issuer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssuerType {
    /// `spec.selfSigned`: every certificate it issues signs itself.
    SelfSigned,
    /// `spec.ca`: a private CA whose key is a Secret in the cluster.
    PrivateCa,
    /// ACME, Vault, Venafi or an external issuer.
    Other,
}

/// The issuer object a Certificate (in `namespace`) refers to, and its type; `None` when the
/// issuer is not in the input. Reads `Issuer` or `ClusterIssuer` by the reference's kind.
pub fn resolve_issuer<'a>(cx: &Context<'a>, namespace: Option<&str>, issuer: &IssuerRef) -> Option<(&'a Object, IssuerType)> {
    if issuer.group != CERT_MANAGER_GROUP {
        return None;
    }
    let (kind, ns) = match issuer.kind.as_str() {
        "ClusterIssuer" => ("ClusterIssuer", None),
        _ => ("Issuer", namespace),
    };
    let o = cx.inv.get(kind, ns, &issuer.name)?;
    let body = cert_manager_body(o, kind)?;
    let spec = body.get("spec").unwrap_or(&Value::Null);
    let t = if spec.get("selfSigned").is_some() {
        IssuerType::SelfSigned
    } else if spec.get("ca").is_some() {
        IssuerType::PrivateCa
    } else {
        IssuerType::Other
    };
    Some((o, t))
}

/// The cert-manager Certificate in `namespace` that writes the Secret `secret_name`.
pub fn certificate_for_secret<'a>(cx: &Context<'a>, namespace: &str, secret_name: &str) -> Option<&'a Object> {
    cx.inv.indices_of_kind_in("Certificate", namespace).iter().map(|&i| &cx.inv.objects[i]).find(|o| cert_manager_cert(o).is_some_and(|c| c.secret_name == Some(secret_name)))
}

/// Days, rounded down, from `now` to `until` (negative once past).
pub fn days_left(now: i64, until: i64) -> i64 {
    (until - now).div_euclid(86_400)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubepci_model::k8s_openapi::ByteString;
    use std::collections::BTreeMap;

    #[test]
    fn secret_chain_reads_only_tls_crt() {
        let leaf = include_str!("testdata/ec-p256-leaf.pem");
        let mut s = Secret { type_: Some(TLS_SECRET_TYPE.into()), ..Secret::default() };
        assert!(matches!(secret_chain(&s), SecretChain::Missing));
        s.string_data = Some(BTreeMap::from([(TLS_CERT_KEY.to_string(), leaf.to_string())]));
        assert!(matches!(secret_chain(&s), SecretChain::Parsed(c) if c.len() == 1));
        s.data = Some(BTreeMap::from([(TLS_CERT_KEY.to_string(), ByteString(b"junk".to_vec())), ("tls.key".to_string(), ByteString(b"-----BEGIN PRIVATE KEY-----".to_vec()))]));
        assert!(matches!(secret_chain(&s), SecretChain::Unreadable(_)));
    }

    #[test]
    fn cert_manager_defaults() {
        let c = CertManagerCert { key_algorithm: "RSA", ..CertManagerCert::default() };
        assert_eq!(c.key_description(), "RSA 2048");
        assert_eq!(c.weakness(), None);
        let weak = CertManagerCert { key_algorithm: "RSA", key_size: Some(1024), signature_algorithm: Some("SHA1WithRSA"), ..CertManagerCert::default() };
        assert_eq!(weak.weakness().unwrap().matches("; ").count(), 1);
        assert_eq!(days_left(0, 86_399), 0);
        assert_eq!(days_left(10, 0), -1);
    }
}
