//! The certificate and key inventory PCI DSS 4.2.1.1 asks for, built from the input: every
//! certificate in `kubernetes.io/tls` Secrets (parsed public facts, leaf and chain), every
//! cert-manager `Certificate` (spec and status) and every cert-manager `Issuer` and
//! `ClusterIssuer` (what kind of CA, and which Secret holds its key), and the CA bundles the API
//! server trusts for admission webhooks (`clientConfig.caBundle`). Keys are listed by where
//! they are kept, never by content: nothing but a TLS Secret's `tls.crt` is read.

use kubepci_base::time::rfc3339;
use kubepci_inventory::Inventory;
use kubepci_model::{Object, ObjectRef, Resource};
use serde::Serialize;
use serde_json::Value;

use crate::support::certificates::{SecretChain, cert_manager_body, cert_manager_cert, chain_not_assessed, object_chain};
use crate::support::x509;

/// One certificate, certificate request or issuer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertEntry {
    /// `tls-secret`, `cert-manager-certificate`, `cert-manager-issuer` or `webhook-ca-bundle`.
    pub source: &'static str,
    pub object: Option<ObjectRef>,
    /// PCI scope class of the object's namespace (`cde`, `connected` …; cluster-scoped: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Position in a Secret's chain: 0 is the leaf.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain_index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_names: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_after: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_left: Option<i64>,
    /// `RSA 2048`, `EC P-256` (requested size for cert-manager Certificates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub self_signed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca: Option<bool>,
    /// SHA-256 fingerprint of the DER certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Where the private key is kept (`Secret payments/pay-tls, key tls.key`): a location, never
    /// the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_location: Option<String>,
    /// cert-manager issuer reference, or an issuer's type (`selfSigned`, `ca`, `acme` …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_by: Option<String>,
    /// `valid`, `expiring`, `expired`, `not-issued`, `unreadable`, `not-in-input`, `issuer`.
    pub status: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
}

fn scope(inv: &Inventory, o: &Object) -> Option<String> {
    o.namespace().map(|ns| inv.namespace_scope(ns).to_string())
}

impl CertEntry {
    /// This entry with a parsed certificate's public facts, and its validity judged on `now`.
    fn with_facts(self, c: &x509::CertFacts, now: i64, warn_days: u32) -> CertEntry {
        CertEntry {
            subject: Some(c.subject().to_string()),
            issuer: c.issuer_cn.clone(),
            dns_names: c.dns_names.clone(),
            not_before: Some(rfc3339(c.not_before)),
            not_after: Some(rfc3339(c.not_after)),
            days_left: Some((c.not_after - now).div_euclid(86_400)),
            key: Some(c.key.describe()),
            signature: Some(c.signature.clone()),
            self_signed: Some(c.self_signed),
            ca: Some(c.is_ca),
            sha256: Some(c.sha256.clone()),
            status: validity_status(now, c.not_after, warn_days).into(),
            ..self
        }
    }
}

fn validity_status(now: i64, not_after: i64, warn_days: u32) -> &'static str {
    if not_after <= now {
        "expired"
    } else if not_after - now < i64::from(warn_days) * 86_400 {
        "expiring"
    } else {
        "valid"
    }
}

/// Every certificate, certificate request and issuer in the inventory, judged at `now`.
pub fn cert_inventory(inv: &Inventory, now: i64) -> Vec<CertEntry> {
    let warn = inv.config.certificates.expiry_warning_days;
    let mut out = Vec::new();
    for o in inv.of_kind("Secret") {
        let Some(chain) = object_chain(o) else { continue };
        let base = CertEntry {
            source: "tls-secret",
            object: Some(o.object_ref()),
            scope: scope(inv, o),
            key_location: Some(format!("Secret {}/{}, key tls.key (not read)", o.namespace().unwrap_or(""), o.name())),
            ..CertEntry::default()
        };
        match &chain {
            SecretChain::Parsed(certs) if !certs.is_empty() => {
                for (i, c) in certs.iter().enumerate() {
                    let entry = CertEntry { chain_index: Some(i), key_location: if i == 0 { base.key_location.clone() } else { None }, ..base.clone() };
                    out.push(entry.with_facts(c, now, warn));
                }
            }
            other => {
                let missing = matches!(other, SecretChain::Missing);
                out.push(CertEntry {
                    status: if missing { "not-in-input" } else { "unreadable" }.into(),
                    note: chain_not_assessed(other).unwrap_or_default(),
                    ..base
                });
            }
        }
    }
    for o in inv.of_kind("Certificate") {
        let Some(c) = cert_manager_cert(o) else { continue };
        let ns = o.namespace().unwrap_or("");
        out.push(CertEntry {
            source: "cert-manager-certificate",
            object: Some(o.object_ref()),
            scope: scope(inv, o),
            subject: c.common_name.map(str::to_string).or_else(|| c.dns_names.first().map(|s| s.to_string())),
            dns_names: c.dns_names.iter().map(|s| s.to_string()).collect(),
            not_after: c.not_after.map(rfc3339),
            days_left: c.not_after.map(|t| (t - now).div_euclid(86_400)),
            key: Some(c.key_description()),
            signature: c.signature_algorithm.map(str::to_string),
            key_location: c.secret_name.map(|s| format!("Secret {ns}/{s}, key tls.key (not read)")),
            issued_by: c.issuer.as_ref().map(ToString::to_string),
            status: match c.not_after {
                Some(t) => validity_status(now, t, warn).into(),
                None => "not-issued".into(),
            },
            note: match c.ready {
                Some(false) => "Ready=False".into(),
                _ => String::new(),
            },
            ..CertEntry::default()
        });
    }
    // CA bundles the API server trusts to call admission webhooks.
    for kind in ["ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"] {
        for o in inv.of_kind(kind) {
            for (name, bundle) in webhook_ca_bundles(o) {
                for (i, parsed) in x509::parse_pem(bundle).into_iter().enumerate() {
                    let base = CertEntry { source: "webhook-ca-bundle", object: Some(o.object_ref()), chain_index: Some(i), note: format!("webhook {name}"), ..CertEntry::default() };
                    out.push(match parsed {
                        Ok(c) => base.with_facts(&c, now, warn),
                        Err(e) => CertEntry { status: "unreadable".into(), note: format!("webhook {name}: caBundle could not be read: {e}"), ..base },
                    });
                }
            }
        }
    }
    for kind in ["Issuer", "ClusterIssuer"] {
        for o in inv.of_kind(kind) {
            let Some(body) = cert_manager_body(o, kind) else { continue };
            let spec = body.get("spec").and_then(Value::as_object);
            let issuer_type = spec.and_then(|s| ["selfSigned", "ca", "acme", "vault", "venafi"].into_iter().find(|t| s.contains_key(*t))).unwrap_or("other");
            let key_secret = spec.and_then(|s| s.get("ca")).and_then(|ca| ca.get("secretName")).and_then(Value::as_str);
            // A ClusterIssuer's CA Secret lives in cert-manager's cluster resource namespace.
            let key_location = key_secret.map(|s| match o.namespace() {
                Some(ns) => format!("Secret {ns}/{s}, key tls.key (not read)"),
                None => format!("Secret {s} in cert-manager's cluster resource namespace, key tls.key (not read)"),
            });
            out.push(CertEntry {
                source: "cert-manager-issuer",
                object: Some(o.object_ref()),
                scope: scope(inv, o),
                issued_by: Some(issuer_type.to_string()),
                key_location,
                status: "issuer".into(),
                ..CertEntry::default()
            });
        }
    }
    out
}

/// (webhook name, PEM caBundle) of an admission webhook configuration.
fn webhook_ca_bundles<'a>(o: &'a Object) -> Vec<(&'a str, &'a [u8])> {
    let bundle = |name: &'a str, cc: &'a kubepci_model::k8s_openapi::api::admissionregistration::v1::WebhookClientConfig| cc.ca_bundle.as_ref().map(|b| (name, b.0.as_slice()));
    match &o.resource {
        Resource::ValidatingWebhookConfiguration(v) => v.webhooks.iter().flatten().filter_map(|w| bundle(&w.name, &w.client_config)).collect(),
        Resource::MutatingWebhookConfiguration(m) => m.webhooks.iter().flatten().filter_map(|w| bundle(&w.name, &w.client_config)).collect(),
        _ => Vec::new(),
    }
}

/// The columns of [`to_csv`].
pub const CSV_HEADER: &str = "source,kind,namespace,name,scope,chainIndex,subject,issuer,dnsNames,notBefore,notAfter,daysLeft,key,signature,selfSigned,ca,sha256,keyLocation,issuedBy,status,note";

/// A CSV field: quoted when needed, and a leading `=`, `+`, `-` or `@` defused so a
/// spreadsheet does not run it as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

/// The inventory as CSV, one row per entry, with [`CSV_HEADER`].
pub fn to_csv(entries: &[CertEntry]) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let flag = |v: Option<bool>| v.map(|b| b.to_string()).unwrap_or_default();
    for e in entries {
        let (kind, namespace, name) = match &e.object {
            Some(o) => (o.kind.clone(), o.namespace.clone().unwrap_or_default(), o.name.clone()),
            None => Default::default(),
        };
        let row = [
            e.source.to_string(),
            kind,
            namespace,
            name,
            opt(&e.scope),
            e.chain_index.map(|i| i.to_string()).unwrap_or_default(),
            opt(&e.subject),
            opt(&e.issuer),
            e.dns_names.join(" "),
            opt(&e.not_before),
            opt(&e.not_after),
            e.days_left.map(|d| d.to_string()).unwrap_or_default(),
            opt(&e.key),
            opt(&e.signature),
            flag(e.self_signed),
            flag(e.ca),
            opt(&e.sha256),
            opt(&e.key_location),
            opt(&e.issued_by),
            e.status.clone(),
            e.note.clone(),
        ];
        out.push_str(&row.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_MARKER: &str = "PRIVATE-KEY-MATERIAL-MUST-NOT-APPEAR";

    fn inventory() -> Inventory {
        let leaf = include_str!("testdata/ec-p256-leaf.pem");
        let ca = include_str!("testdata/ec-p256-ca.pem");
        let pem = format!("{leaf}{ca}").lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n");
        let yaml = format!(
            "apiVersion: v1\nkind: Namespace\nmetadata: {{name: payments, labels: {{pci.kubepci.io/scope: cde}}}}\n---\napiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata: {{name: pay-tls, namespace: payments}}\nstringData:\n  tls.crt: |\n{pem}\n  tls.key: {KEY_MARKER}\n---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {{name: pay, namespace: payments}}\nspec: {{secretName: pay-tls, dnsNames: [pay.example.com], issuerRef: {{name: internal-ca, kind: ClusterIssuer}}}}\n---\napiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {{name: internal-ca}}\nspec: {{ca: {{secretName: internal-ca-key}}}}\n"
        );
        crate::testing::load("certs.yaml", &yaml, "")
    }

    #[test]
    fn lists_chain_requests_and_issuers_without_key_material() {
        let now = kubepci_base::time::parse_rfc3339("2027-01-01T00:00:00Z").unwrap();
        let entries = cert_inventory(&inventory(), now);
        let sources: Vec<_> = entries.iter().map(|e| (e.source, e.chain_index, e.status.as_str())).collect();
        assert_eq!(sources, vec![("tls-secret", Some(0), "valid"), ("tls-secret", Some(1), "valid"), ("cert-manager-certificate", None, "not-issued"), ("cert-manager-issuer", None, "issuer")]);
        assert_eq!(entries[0].scope.as_deref(), Some("cde"));
        assert_eq!(entries[0].key.as_deref(), Some("EC P-256"));
        assert_eq!(entries[1].self_signed, Some(true));
        assert_eq!(entries[3].issued_by.as_deref(), Some("ca"));
        let csv = to_csv(&entries);
        let json = serde_json::to_string(&entries).unwrap();
        for out in [&csv, &json] {
            assert!(!out.contains(KEY_MARKER));
            assert!(!out.contains("BEGIN"), "no PEM in the inventory");
        }
        assert_eq!(csv.lines().count(), 5);
        assert!(csv.lines().all(|l| !l.is_empty()));
    }

    #[test]
    fn webhook_ca_bundles_are_listed() {
        use base64::Engine;
        let ca = base64::engine::general_purpose::STANDARD.encode(include_str!("testdata/ec-p256-ca.pem"));
        let yaml = format!("apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {{name: policy}}\nwebhooks:\n- name: validate.policy.example.com\n  admissionReviewVersions: [v1]\n  sideEffects: None\n  clientConfig: {{service: {{name: p, namespace: policy}}, caBundle: {ca}}}\n");
        let inv = crate::testing::load("webhooks.yaml", &yaml, "");
        let entries = cert_inventory(&inv, 0);
        assert_eq!(entries.len(), 1);
        assert_eq!((entries[0].source, entries[0].subject.as_deref(), entries[0].ca), ("webhook-ca-bundle", Some("Example CA"), Some(true)));
        assert_eq!(entries[0].note, "webhook validate.policy.example.com");
    }

    #[test]
    fn csv_defuses_formulas() {
        assert_eq!(csv_field("=cmd"), "'=cmd");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
    }
}
