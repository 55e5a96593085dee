//! Encryption in transit: certificates (validity, strength, trust) and the TLS and mutual-TLS
//! settings of ingress controllers and service meshes.

mod certificate_expiry;
mod ingress_tls_protocols;
mod mesh_mtls_strict;
mod self_signed_ingress;
mod weak_certificate;

use crate::Check;

pub const CHECKS: &[&Check] = &[
    &certificate_expiry::CERTIFICATE_EXPIRY,
    &weak_certificate::WEAK_CERTIFICATE,
    &self_signed_ingress::SELF_SIGNED_INGRESS,
    &ingress_tls_protocols::INGRESS_TLS_PROTOCOLS,
    &mesh_mtls_strict::MESH_MTLS_STRICT,
];
