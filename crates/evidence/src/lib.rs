//! Evidence bundles (`kubepci evidence`): the pure parts, without file or network IO.
//!
//! * [`tar`]: a deterministic ustar archive in gzip (members sorted, one fixed mtime, mode
//!   0600, owner 0), written and read from bytes;
//! * [`dsse`]: the DSSE envelope and its pre-authentication encoding (PAE), signed and
//!   verified with ed25519;
//! * [`statement`]: the in-toto Statement v1 whose subjects are the bundle's members;
//! * [`keys`]: ed25519 keys as PEM (PKCS#8 private key, SubjectPublicKeyInfo public key, the
//!   forms `openssl pkey` reads);
//! * [`bundle`]: a bundle assembled from members and verified member by member.
#![forbid(unsafe_code)]

pub mod bundle;
pub mod dsse;
pub mod keys;
pub mod statement;
pub mod tar;

pub use ed25519_dalek::{SigningKey, VerifyingKey};

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
