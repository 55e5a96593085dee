//! DSSE (Dead Simple Signing Envelope) v1: the signature is over
//! `PAE(payloadType, payload) = "DSSEv1" SP LEN(type) SP type SP LEN(payload) SP payload`,
//! with lengths as ASCII decimals, so the type cannot be swapped under a valid signature.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    pub payload_type: String,
    /// Standard base64 of the payload bytes.
    pub payload: String,
    pub signatures: Vec<EnvelopeSignature>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    /// [`crate::keys::key_id`] of the public key that verifies `sig`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub keyid: String,
    /// Standard base64 of the 64-byte ed25519 signature.
    pub sig: String,
}

/// The pre-authentication encoding DSSE signs.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!("DSSEv1 {} {payload_type} {} ", payload_type.len(), payload.len()).into_bytes();
    out.extend_from_slice(payload);
    out
}

/// An envelope of `payload`, signed with `key` (unsigned without one).
pub fn seal(payload_type: &str, payload: &[u8], key: Option<&SigningKey>) -> Envelope {
    let signatures = key
        .map(|k| EnvelopeSignature { keyid: crate::keys::key_id(&k.verifying_key()), sig: STANDARD.encode(k.sign(&pae(payload_type, payload)).to_bytes()) })
        .into_iter()
        .collect();
    Envelope { payload_type: payload_type.to_string(), payload: STANDARD.encode(payload), signatures }
}

/// Why an envelope does not verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureProblem {
    PayloadNotBase64,
    Unsigned,
    /// No signature verifies with the key; `keyids` are the key ids the envelope names.
    NoValidSignature { keyids: Vec<String> },
}

impl std::fmt::Display for SignatureProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignatureProblem::PayloadNotBase64 => write!(f, "the payload is not base64"),
            SignatureProblem::Unsigned => write!(f, "the envelope holds no signature (created without --key)"),
            SignatureProblem::NoValidSignature { keyids } => {
                write!(f, "no signature verifies with the given public key (the envelope was changed, or signed by another key")?;
                if !keyids.is_empty() {
                    write!(f, ": {}", keyids.join(", "))?;
                }
                write!(f, ")")
            }
        }
    }
}

impl Envelope {
    /// The payload bytes (not verified).
    pub fn payload_bytes(&self) -> Option<Vec<u8>> {
        STANDARD.decode(&self.payload).ok()
    }

    /// The payload, when one of the signatures verifies with `key`.
    pub fn verify(&self, key: &VerifyingKey) -> Result<Vec<u8>, SignatureProblem> {
        let payload = self.payload_bytes().ok_or(SignatureProblem::PayloadNotBase64)?;
        if self.signatures.is_empty() {
            return Err(SignatureProblem::Unsigned);
        }
        let message = pae(&self.payload_type, &payload);
        let verifies = |s: &EnvelopeSignature| {
            let Some(bytes) = STANDARD.decode(&s.sig).ok().and_then(|b| <[u8; 64]>::try_from(b).ok()) else { return false };
            key.verify(&message, &Signature::from_bytes(&bytes)).is_ok()
        };
        if self.signatures.iter().any(verifies) {
            Ok(payload)
        } else {
            Err(SignatureProblem::NoValidSignature { keyids: self.signatures.iter().map(|s| s.keyid.clone()).filter(|k| !k.is_empty()).collect() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_is_the_dsse_encoding() {
        // The example of the DSSE protocol description.
        assert_eq!(pae("http://example.com/HelloWorld", b"hello world"), b"DSSEv1 29 http://example.com/HelloWorld 11 hello world");
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
    }

    #[test]
    fn a_sealed_envelope_verifies_and_any_change_fails() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let other = SigningKey::from_bytes(&[8; 32]);
        let envelope = seal("application/vnd.in-toto+json", b"{\"a\":1}", Some(&key));
        assert_eq!(envelope.verify(&key.verifying_key()).unwrap(), b"{\"a\":1}");
        assert!(matches!(envelope.verify(&other.verifying_key()), Err(SignatureProblem::NoValidSignature { .. })));
        let mut retyped = envelope.clone();
        retyped.payload_type = "text/plain".into();
        assert!(retyped.verify(&key.verifying_key()).is_err(), "the type is signed");
        let mut changed = envelope.clone();
        changed.payload = STANDARD.encode(b"{\"a\":2}");
        assert!(changed.verify(&key.verifying_key()).is_err());
        assert_eq!(seal("t", b"x", None).verify(&key.verifying_key()), Err(SignatureProblem::Unsigned));
    }
}
