//! TLS to a real PostgreSQL on loopback (`ssl=on`), with certificates made by openssl for the
//! test: `verify-full` connects with the right CA and host name and refuses a wrong CA or a
//! wrong name, `verify-ca` checks the chain only, `require` encrypts without checking, and
//! `disable` still connects in the clear. The server says which connections are encrypted
//! (`pg_stat_ssl`).

mod common;

use std::path::Path;
use std::process::Command;

use common::content;
use kubepci_history::testing::TestPostgres;
use kubepci_history::{Recorded, open};

fn openssl(dir: &Path, openssl: &Path, args: &[&str]) {
    let out = Command::new(openssl).args(args).current_dir(dir).output().expect("run openssl");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A CA (`NAME.crt`) and its key.
fn make_ca(dir: &Path, bin: &Path, name: &str) {
    let (key, crt, subject) = (format!("{name}.key"), format!("{name}.crt"), format!("/CN=kubepci test {name}"));
    openssl(dir, bin, &["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", &key, "-out", &crt, "-days", "2", "-subj", &subject, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
}

/// The number of encrypted client connections the server has (the query's own connection,
/// in the clear, not counted), once it is `expected` or after 5 s: a dropped client's
/// backend ends a moment after the drop.
fn encrypted_connections(server: &TestPostgres, expected: i64) -> i64 {
    let mut admin = postgres::Client::connect(&format!("host=127.0.0.1 port={} user=postgres dbname=postgres sslmode=disable", server.port), postgres::NoTls).expect("admin connection");
    let mut count = -1;
    for _ in 0..50 {
        count = admin.query_one("SELECT count(*) FROM pg_stat_ssl WHERE ssl", &[]).expect("pg_stat_ssl").get(0);
        if count == expected {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    count
}

#[test]
fn verify_full_verify_ca_require_and_disable() {
    let Some(bin) = kubepci_base::real_part::require("openssl", &["openssl", "/usr/bin/openssl"]) else { return };
    let certs = tempfile::tempdir().unwrap();
    let dir = certs.path();
    make_ca(dir, &bin, "ca");
    make_ca(dir, &bin, "other-ca");
    // The server's certificate names `localhost` only (not 127.0.0.1).
    openssl(dir, &bin, &["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"]);
    std::fs::write(dir.join("server.ext"), "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n").unwrap();
    openssl(dir, &bin, &["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "server.ext"]);

    let Some(server) = TestPostgres::start_with_tls(&dir.join("server.crt"), &dir.join("server.key")) else { return };
    let port = server.port;
    let ca = dir.join("ca.crt").display().to_string();
    let other_ca = dir.join("other-ca.crt").display().to_string();
    let url = |host: &str, query: &str| format!("postgres://postgres@{host}:{port}/postgres?{query}");

    // verify-full with the right CA and the certificate's name: connects, writes, encrypted.
    let mut h = open(&url("localhost", &format!("sslmode=verify-full&sslrootcert={ca}"))).expect("verify-full with the right CA");
    assert!(matches!(h.record("eu-prod", "2026-12-07T15:00:00Z", &content(1)).unwrap(), Recorded::Run(_)));
    assert_eq!(encrypted_connections(&server, 1), 1);
    drop(h);

    // A CA that did not sign the server's certificate: refused at start, saying why.
    let err = open(&url("localhost", &format!("sslmode=verify-full&sslrootcert={other_ca}"))).err().expect("wrong CA refused").to_string();
    assert!(err.contains("invalid peer certificate: UnknownIssuer"), "{err}");
    // The right CA, but a host name the certificate does not carry.
    let err = open(&url("127.0.0.1", &format!("sslmode=verify-full&sslrootcert={ca}"))).err().expect("wrong name refused").to_string();
    assert!(err.contains("not valid for name \"127.0.0.1\""), "{err}");
    // verify-ca checks the chain, not the name; a wrong CA is still refused.
    let mut h = open(&url("127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={ca}"))).expect("verify-ca ignores the name");
    assert_eq!(h.runs(Some("eu-prod"), None).unwrap().len(), 1);
    let err = open(&url("127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={other_ca}"))).err().expect("verify-ca: wrong CA refused").to_string();
    assert!(err.contains("invalid peer certificate: UnknownIssuer"), "{err}");
    drop(h);

    // require: encrypted, the certificate not checked (libpq's meaning).
    let h = open(&url("127.0.0.1", "sslmode=require")).expect("require");
    assert_eq!(encrypted_connections(&server, 1), 1);
    drop(h);

    // disable: in the clear, still works.
    let mut h = open(&url("127.0.0.1", "sslmode=disable")).expect("disable");
    assert_eq!(h.runs(Some("eu-prod"), None).unwrap().len(), 1);
    assert_eq!(encrypted_connections(&server, 0), 0);

    // No sslmode: libpq's default `prefer`, encrypted when the server offers TLS.
    let h2 = open(&url("127.0.0.1", "")).expect("prefer");
    assert_eq!(encrypted_connections(&server, 1), 1);
    drop((h, h2));
}
