//! Any bytes as a TLS Secret's `tls.crt` (PEM, with DER inside): the certificate reader of the
//! TLS checks and `kubepci certs` must not panic, whatever the blocks and lengths say.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for cert in kubepci_checks::support::x509::parse_pem(data).into_iter().flatten() {
        let _ = (cert.subject(), cert.key.describe(), cert.key.weakness());
    }
});
