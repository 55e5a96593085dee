//! The public facts of an X.509 certificate, read with a minimal DER walk: validity, subject
//! and issuer, DNS names, key algorithm and size, signature algorithm. Enough for the
//! certificate checks and `kubepci certs`, without a parsing dependency.
//!
//! Only `CERTIFICATE` PEM blocks are decoded: a private key that shares the input (a
//! `tls.crt` holding the key by mistake) is skipped, never decoded or kept. The signature is
//! not verified: "self-signed" means the issuer name equals the subject name.

use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The public key of a certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PublicKey {
    Rsa { bits: u32 },
    /// Elliptic curve, by its common name (`P-256`) or OID when unknown.
    Ec { curve: String, bits: Option<u32> },
    Ed25519,
    Ed448,
    /// Any other algorithm, by OID.
    Other(String),
}

impl PublicKey {
    /// `RSA 2048`, `EC P-256`, `Ed25519`.
    pub fn describe(&self) -> String {
        match self {
            PublicKey::Rsa { bits } => format!("RSA {bits}"),
            PublicKey::Ec { curve, .. } => format!("EC {curve}"),
            PublicKey::Ed25519 => "Ed25519".into(),
            PublicKey::Ed448 => "Ed448".into(),
            PublicKey::Other(oid) => format!("key algorithm {oid}"),
        }
    }

    /// Why the key is weaker than PCI DSS strong cryptography (NIST SP 800-57: 112 bits of
    /// security, so RSA of at least 2048 bits and elliptic curves of at least 224 bits).
    pub fn weakness(&self) -> Option<String> {
        match self {
            PublicKey::Rsa { bits } if *bits < 2048 => Some(format!("RSA key of {bits} bits (at least 2048 needed)")),
            PublicKey::Ec { curve, bits: Some(b) } if *b < 224 => Some(format!("EC key on {curve} ({b} bits; at least 224 needed)")),
            _ => None,
        }
    }
}

/// The facts a certificate states publicly (what a snapshot keeps of a TLS Secret's
/// certificate once its value is redacted: see [`crate::redaction`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertFacts {
    pub subject_cn: Option<String>,
    pub issuer_cn: Option<String>,
    /// `subjectAltName` DNS names.
    pub dns_names: Vec<String>,
    /// Seconds since the epoch.
    pub not_before: i64,
    pub not_after: i64,
    /// The issuer name equals the subject name.
    pub self_signed: bool,
    /// `basicConstraints cA=true`.
    pub is_ca: bool,
    pub key: PublicKey,
    /// The signature algorithm's name (`sha256WithRSAEncryption`) or OID.
    pub signature: String,
    /// The signature uses a broken hash (MD5 or SHA-1).
    pub weak_signature: bool,
    /// SHA-256 of the DER certificate, lowercase hex: the certificate's identity in inventories.
    pub sha256: String,
}

impl CertFacts {
    /// Subject for messages: the common name, else the first DNS name.
    pub fn subject(&self) -> &str {
        self.subject_cn.as_deref().or(self.dns_names.first().map(String::as_str)).unwrap_or("<no subject name>")
    }
}

/// Why a certificate could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct X509Error(pub &'static str);

impl std::fmt::Display for X509Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// Every `CERTIFICATE` block of a PEM bundle, in order (leaf first, as `tls.crt` holds them).
/// Other blocks (keys, parameters) are stepped over without decoding.
pub fn parse_pem(pem: &[u8]) -> Vec<Result<CertFacts, X509Error>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let text = String::from_utf8_lossy(pem);
    let mut out = Vec::new();
    let mut rest = text.as_ref();
    while let Some(start) = rest.find(BEGIN) {
        let body = &rest[start + BEGIN.len()..];
        let Some(end) = body.find(END) else {
            out.push(Err(X509Error("unterminated PEM certificate block")));
            break;
        };
        let b64: String = body[..end].chars().filter(|c| !c.is_whitespace()).collect();
        out.push(match base64::engine::general_purpose::STANDARD.decode(b64.as_bytes()) {
            Ok(der) => parse_der(&der),
            Err(_) => Err(X509Error("PEM certificate block is not valid base64")),
        });
        rest = &body[end + END.len()..];
    }
    out
}

/// One DER-encoded certificate.
pub fn parse_der(der: &[u8]) -> Result<CertFacts, X509Error> {
    let mut outer = Der::new(der);
    let cert = outer.expect(SEQUENCE, "certificate is not a DER sequence")?;
    let mut cert = Der::new(cert);
    let mut tbs = Der::new(cert.expect(SEQUENCE, "no tbsCertificate")?);
    let sig_alg = cert.expect(SEQUENCE, "no signatureAlgorithm")?;

    if tbs.peek() == Some(0xa0) {
        tbs.next()?; // version
    }
    tbs.expect(INTEGER, "no serial number")?;
    tbs.expect(SEQUENCE, "no signature algorithm in tbsCertificate")?;
    let issuer = tbs.expect(SEQUENCE, "no issuer")?;
    let mut validity = Der::new(tbs.expect(SEQUENCE, "no validity")?);
    let not_before = read_time(&mut validity)?;
    let not_after = read_time(&mut validity)?;
    let subject = tbs.expect(SEQUENCE, "no subject")?;
    let key = read_public_key(tbs.expect(SEQUENCE, "no subjectPublicKeyInfo")?)?;
    let (mut dns_names, mut is_ca) = (Vec::new(), false);
    while let Some(tag) = tbs.peek() {
        let content = tbs.next()?.1;
        if tag == 0xa3 {
            read_extensions(content, &mut dns_names, &mut is_ca)?;
        }
    }
    let sig_oid = oid_string(Der::new(sig_alg).expect(OID, "no signature algorithm OID")?);
    let (signature, weak_signature) = signature_name(&sig_oid);
    Ok(CertFacts {
        subject_cn: common_name(subject),
        issuer_cn: common_name(issuer),
        dns_names,
        not_before,
        not_after,
        self_signed: issuer == subject,
        is_ca,
        key,
        signature,
        weak_signature,
        sha256: Sha256::digest(&der[..outer.consumed()]).iter().map(|b| format!("{b:02x}")).collect(),
    })
}

const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const BOOLEAN: u8 = 0x01;

/// A cursor over DER tag-length-value items (single-byte tags, definite lengths).
struct Der<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Der<'a> {
    fn new(data: &'a [u8]) -> Self {
        Der { data, pos: 0 }
    }

    fn consumed(&self) -> usize {
        self.pos
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    /// The next item: (tag, content).
    fn next(&mut self) -> Result<(u8, &'a [u8]), X509Error> {
        let tag = *self.data.get(self.pos).ok_or(X509Error("truncated DER"))?;
        if tag & 0x1f == 0x1f {
            return Err(X509Error("multi-byte DER tags are not supported"));
        }
        let first = *self.data.get(self.pos + 1).ok_or(X509Error("truncated DER length"))?;
        let (len, header) = if first < 0x80 {
            (first as usize, 2)
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 {
                return Err(X509Error("unsupported DER length"));
            }
            let bytes = self.data.get(self.pos + 2..self.pos + 2 + n).ok_or(X509Error("truncated DER length"))?;
            (bytes.iter().fold(0usize, |acc, &b| (acc << 8) | b as usize), 2 + n)
        };
        let start = self.pos + header;
        let end = start.checked_add(len).ok_or(X509Error("DER length overflows"))?;
        let content = self.data.get(start..end).ok_or(X509Error("DER item runs past its container"))?;
        self.pos = end;
        Ok((tag, content))
    }

    fn expect(&mut self, tag: u8, missing: &'static str) -> Result<&'a [u8], X509Error> {
        match self.next() {
            Ok((t, content)) if t == tag => Ok(content),
            _ => Err(X509Error(missing)),
        }
    }
}

/// Dotted form of an OID's content bytes.
fn oid_string(bytes: &[u8]) -> String {
    let mut parts: Vec<u64> = Vec::new();
    let mut value: u64 = 0;
    for &b in bytes {
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if parts.is_empty() {
                let first = (value / 40).min(2);
                parts.push(first);
                parts.push(value - first * 40);
            } else {
                parts.push(value);
            }
            value = 0;
        }
        if value > u64::MAX >> 8 {
            return "<invalid OID>".into();
        }
    }
    parts.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
}

/// UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime (`YYYYMMDDHHMMSSZ`).
fn read_time(d: &mut Der) -> Result<i64, X509Error> {
    let (tag, content) = d.next()?;
    let text = std::str::from_utf8(content).map_err(|_| X509Error("validity time is not text"))?;
    let (year, rest) = match tag {
        0x17 => {
            let yy: i64 = text.get(0..2).and_then(|t| t.parse().ok()).ok_or(X509Error("bad UTCTime"))?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, text.get(2..))
        }
        0x18 => (text.get(0..4).and_then(|t| t.parse().ok()).ok_or(X509Error("bad GeneralizedTime"))?, text.get(4..)),
        _ => return Err(X509Error("validity time has an unknown type")),
    };
    let rest = rest.filter(|r| r.len() >= 10 && r[..10].bytes().all(|b| b.is_ascii_digit())).ok_or(X509Error("bad validity time"))?;
    let n = |r: std::ops::Range<usize>| rest[r].parse::<u32>().unwrap_or(99);
    kubepci_base::time::epoch_of(year, n(0..2), n(2..4), n(4..6), n(6..8), n(8..10)).ok_or(X509Error("validity time out of range"))
}

/// The first common name (2.5.4.3) of a Name.
fn common_name(name: &[u8]) -> Option<String> {
    let mut rdns = Der::new(name);
    while let Ok((SET, set)) = rdns.next() {
        let mut atvs = Der::new(set);
        while let Ok((SEQUENCE, atv)) = atvs.next() {
            let mut atv = Der::new(atv);
            let Ok(oid) = atv.expect(OID, "") else { continue };
            if oid_string(oid) == "2.5.4.3"
                && let Ok((tag, value)) = atv.next()
            {
                return match tag {
                    0x0c | 0x13 | 0x14 | 0x16 => Some(String::from_utf8_lossy(value).into_owned()),
                    0x1e => Some(String::from_utf16_lossy(&value.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect::<Vec<_>>())),
                    _ => None,
                };
            }
        }
    }
    None
}

fn read_public_key(spki: &[u8]) -> Result<PublicKey, X509Error> {
    let mut spki = Der::new(spki);
    let mut alg = Der::new(spki.expect(SEQUENCE, "no public key algorithm")?);
    let oid = oid_string(alg.expect(OID, "no public key algorithm OID")?);
    Ok(match oid.as_str() {
        "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => {
            let bits = spki.expect(BIT_STRING, "no RSA public key")?;
            let key = bits.get(1..).ok_or(X509Error("empty RSA public key"))?;
            let mut key = Der::new(Der::new(key).expect(SEQUENCE, "RSA public key is not a sequence")?);
            PublicKey::Rsa { bits: integer_bits(key.expect(INTEGER, "no RSA modulus")?) }
        }
        "1.2.840.10045.2.1" => {
            let curve = alg.expect(OID, "").map(oid_string).unwrap_or_default();
            let (name, bits) = match curve.as_str() {
                "1.2.840.10045.3.1.7" => ("P-256".to_string(), Some(256)),
                "1.3.132.0.34" => ("P-384".to_string(), Some(384)),
                "1.3.132.0.35" => ("P-521".to_string(), Some(521)),
                "1.2.840.10045.3.1.1" => ("P-192".to_string(), Some(192)),
                "1.3.132.0.33" => ("P-224".to_string(), Some(224)),
                "1.3.132.0.10" => ("secp256k1".to_string(), Some(256)),
                other => (other.to_string(), None),
            };
            PublicKey::Ec { curve: name, bits }
        }
        "1.3.101.112" => PublicKey::Ed25519,
        "1.3.101.113" => PublicKey::Ed448,
        other => PublicKey::Other(other.to_string()),
    })
}

/// Significant bits of a DER (big-endian, two's complement) positive integer.
fn integer_bits(bytes: &[u8]) -> u32 {
    let significant = match bytes.iter().position(|&b| b != 0) {
        Some(i) => &bytes[i..],
        None => return 0,
    };
    (significant.len() as u32 - 1) * 8 + (8 - significant[0].leading_zeros())
}

fn read_extensions(content: &[u8], dns_names: &mut Vec<String>, is_ca: &mut bool) -> Result<(), X509Error> {
    let mut list = Der::new(Der::new(content).expect(SEQUENCE, "extensions are not a sequence")?);
    while list.peek().is_some() {
        let mut ext = Der::new(list.expect(SEQUENCE, "extension is not a sequence")?);
        let oid = oid_string(ext.expect(OID, "extension without OID")?);
        if ext.peek() == Some(BOOLEAN) {
            ext.next()?;
        }
        let value = ext.expect(OCTET_STRING, "extension without value")?;
        match oid.as_str() {
            "2.5.29.17" => {
                let mut names = Der::new(Der::new(value).expect(SEQUENCE, "subjectAltName is not a sequence")?);
                while names.peek().is_some() {
                    let (tag, name) = names.next()?;
                    if tag == 0x82 {
                        dns_names.push(String::from_utf8_lossy(name).into_owned());
                    }
                }
            }
            "2.5.29.19" => {
                let mut bc = Der::new(Der::new(value).expect(SEQUENCE, "basicConstraints is not a sequence")?);
                if let Ok((BOOLEAN, v)) = bc.next() {
                    *is_ca = v.first().is_some_and(|&b| b != 0);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The signature algorithm's name, and whether its hash is broken (MD5, SHA-1).
fn signature_name(oid: &str) -> (String, bool) {
    let (name, weak) = match oid {
        "1.2.840.113549.1.1.4" => ("md5WithRSAEncryption", true),
        "1.2.840.113549.1.1.5" => ("sha1WithRSAEncryption", true),
        "1.2.840.113549.1.1.10" => ("RSASSA-PSS", false),
        "1.2.840.113549.1.1.11" => ("sha256WithRSAEncryption", false),
        "1.2.840.113549.1.1.12" => ("sha384WithRSAEncryption", false),
        "1.2.840.113549.1.1.13" => ("sha512WithRSAEncryption", false),
        "1.2.840.113549.1.1.14" => ("sha224WithRSAEncryption", false),
        "1.2.840.10045.4.1" => ("ecdsa-with-SHA1", true),
        "1.2.840.10045.4.3.1" => ("ecdsa-with-SHA224", false),
        "1.2.840.10045.4.3.2" => ("ecdsa-with-SHA256", false),
        "1.2.840.10045.4.3.3" => ("ecdsa-with-SHA384", false),
        "1.2.840.10045.4.3.4" => ("ecdsa-with-SHA512", false),
        "1.2.840.10040.4.3" => ("dsa-with-SHA1", true),
        "1.3.14.3.2.29" => ("sha1WithRSASignature", true),
        "1.3.101.112" => ("Ed25519", false),
        "1.3.101.113" => ("Ed448", false),
        other => return (other.to_string(), false),
    };
    (name.to_string(), weak)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Public test certificates made with `openssl req -x509` / `openssl x509 -req` (their keys
    // were never kept): RSA 1024 + SHA-1 self-signed; EC P-256 leaf signed by a test CA with two
    // DNS names; RSA 2048 + SHA-256 self-signed, valid one day.
    const WEAK: &str = include_str!("testdata/rsa1024-sha1-selfsigned.pem");
    const LEAF: &str = include_str!("testdata/ec-p256-leaf.pem");
    const CA: &str = include_str!("testdata/ec-p256-ca.pem");
    const RSA2048: &str = include_str!("testdata/rsa2048-sha256-1day.pem");

    fn one(pem: &str) -> CertFacts {
        let mut all = parse_pem(pem.as_bytes());
        assert_eq!(all.len(), 1);
        all.remove(0).expect("parses")
    }

    #[test]
    fn reads_a_weak_self_signed_certificate() {
        let c = one(WEAK);
        assert_eq!(c.subject_cn.as_deref(), Some("legacy.example.com"));
        assert!(c.self_signed);
        assert_eq!(c.key, PublicKey::Rsa { bits: 1024 });
        assert!(c.key.weakness().is_some());
        assert_eq!(c.signature, "sha1WithRSAEncryption");
        assert!(c.weak_signature);
        // notAfter=Dec  4 11:27:11 2036 GMT
        assert_eq!(kubepci_base::time::rfc3339(c.not_after), "2036-12-04T11:27:11Z");
        assert_eq!(kubepci_base::time::rfc3339(c.not_before), "2026-12-07T11:27:11Z");
    }

    #[test]
    fn reads_an_ec_leaf_and_its_ca() {
        let c = one(LEAF);
        assert_eq!(c.subject_cn.as_deref(), Some("pay.example.com"));
        assert_eq!(c.issuer_cn.as_deref(), Some("Example CA"));
        assert!(!c.self_signed);
        assert_eq!(c.dns_names, vec!["pay.example.com", "*.pay.example.com"]);
        assert_eq!(c.key, PublicKey::Ec { curve: "P-256".into(), bits: Some(256) });
        assert_eq!(c.key.weakness(), None);
        assert_eq!((c.signature.as_str(), c.weak_signature), ("ecdsa-with-SHA256", false));
        assert_eq!(c.sha256.len(), 64);

        let ca = one(CA);
        assert!(ca.self_signed && ca.is_ca);
        // A chain: leaf first.
        let chain = format!("{LEAF}{CA}");
        let parsed: Vec<_> = parse_pem(chain.as_bytes()).into_iter().map(|r| r.map(|c| c.subject_cn)).collect();
        assert_eq!(parsed, vec![Ok(Some("pay.example.com".into())), Ok(Some("Example CA".into()))]);
    }

    #[test]
    fn reads_rsa_2048() {
        let c = one(RSA2048);
        assert_eq!(c.key, PublicKey::Rsa { bits: 2048 });
        assert_eq!(c.not_after - c.not_before, 86_400);
        assert!(!c.weak_signature);
    }

    #[test]
    fn private_key_blocks_are_never_decoded() {
        let mixed = format!("-----BEGIN PRIVATE KEY-----\nnot base64 at all!\n-----END PRIVATE KEY-----\n{LEAF}");
        let parsed = parse_pem(mixed.as_bytes());
        assert_eq!(parsed.len(), 1);
        assert!(parsed[0].is_ok());
    }

    #[test]
    fn garbage_never_panics() {
        assert!(parse_pem(b"").is_empty());
        assert!(parse_pem(b"-----BEGIN CERTIFICATE-----\nAAAA").first().is_some_and(Result::is_err));
        assert!(parse_pem(b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----").first().is_some_and(Result::is_err));
        let der = base64::engine::general_purpose::STANDARD.decode(LEAF.lines().filter(|l| !l.starts_with("-----")).collect::<String>()).unwrap();
        // Every truncation and every single-byte corruption either parses or errors.
        for n in 0..der.len() {
            let _ = parse_der(&der[..n]);
            let mut bad = der.clone();
            bad[n] ^= 0xff;
            let _ = parse_der(&bad);
        }
        assert!(parse_der(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(parse_der(&[0x3f, 0x00]).is_err());
    }

    #[test]
    fn integer_bits_ignore_the_sign_byte() {
        assert_eq!(integer_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(integer_bits(&[0x01]), 1);
        assert_eq!(integer_bits(&[0x00]), 0);
        assert_eq!(oid_string(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]), "1.2.840.113549.1.1.11");
    }
}
