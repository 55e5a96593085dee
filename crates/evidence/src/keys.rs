//! ed25519 keys as PEM: the private key as PKCS#8 (`-----BEGIN PRIVATE KEY-----`), the public
//! key as SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`), as OpenSSL writes and reads
//! them. For Ed25519 both DER encodings are a fixed prefix followed by the 32 key bytes
//! (RFC 8410), so no ASN.1 library is needed.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{SigningKey, VerifyingKey};

/// PKCS#8 v1 PrivateKeyInfo for Ed25519 (OID 1.3.101.112), up to the 32-byte seed.
const PKCS8_PREFIX: [u8; 16] = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
/// SubjectPublicKeyInfo for Ed25519, up to the 32-byte public key.
const SPKI_PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

/// A signing key from 32 secret random bytes.
pub fn signing_key(seed: [u8; 32]) -> SigningKey {
    SigningKey::from_bytes(&seed)
}

pub fn private_pem(key: &SigningKey) -> String {
    let mut der = PKCS8_PREFIX.to_vec();
    der.extend_from_slice(&key.to_bytes());
    pem("PRIVATE KEY", &der)
}

pub fn public_pem(key: &VerifyingKey) -> String {
    let mut der = SPKI_PREFIX.to_vec();
    der.extend_from_slice(key.as_bytes());
    pem("PUBLIC KEY", &der)
}

pub fn parse_private_pem(text: &str) -> Result<SigningKey, String> {
    let der = unpem(text, "PRIVATE KEY")?;
    let seed = der.strip_prefix(&PKCS8_PREFIX[..]).and_then(|s| <[u8; 32]>::try_from(s).ok()).ok_or("not an Ed25519 private key (PKCS#8)")?;
    Ok(SigningKey::from_bytes(&seed))
}

pub fn parse_public_pem(text: &str) -> Result<VerifyingKey, String> {
    let der = unpem(text, "PUBLIC KEY")?;
    let bytes = der.strip_prefix(&SPKI_PREFIX[..]).and_then(|s| <[u8; 32]>::try_from(s).ok()).ok_or("not an Ed25519 public key (SubjectPublicKeyInfo)")?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| format!("not a valid Ed25519 public key: {e}"))
}

/// `sha256:<hex>` of the public key's SubjectPublicKeyInfo DER: names the key in envelopes.
pub fn key_id(key: &VerifyingKey) -> String {
    let mut der = SPKI_PREFIX.to_vec();
    der.extend_from_slice(key.as_bytes());
    format!("sha256:{}", crate::sha256_hex(&der))
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

fn unpem(text: &str, label: &str) -> Result<Vec<u8>, String> {
    let (begin, end) = (format!("-----BEGIN {label}-----"), format!("-----END {label}-----"));
    let start = text.find(&begin).ok_or_else(|| format!("no {begin} block"))? + begin.len();
    let stop = text[start..].find(&end).ok_or_else(|| format!("no {end} line"))? + start;
    let body: String = text[start..stop].chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD.decode(body).map_err(|e| format!("the {label} block is not base64: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_pem_and_reject_other_keys() {
        let key = signing_key([42; 32]);
        let private = private_pem(&key);
        assert!(private.starts_with("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI"), "{private}");
        assert_eq!(parse_private_pem(&private).unwrap().to_bytes(), key.to_bytes());
        let public = public_pem(&key.verifying_key());
        assert!(public.starts_with("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA"), "{public}");
        assert_eq!(parse_public_pem(&public).unwrap(), key.verifying_key());
        assert!(parse_public_pem(&private).is_err());
        assert!(parse_private_pem(&public).is_err());
        assert!(parse_public_pem("-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n").is_err());
        assert!(parse_public_pem("garbage").is_err());
        assert!(key_id(&key.verifying_key()).starts_with("sha256:"));
    }
}
