//! `kubepci certs`: the certificate and key inventory PCI DSS 4.2.1.1 asks for, from the input
//! (manifests, a snapshot or a live cluster): every certificate in `kubernetes.io/tls` Secrets
//! with its public facts (subject, issuer, DNS names, validity, key algorithm and size,
//! signature algorithm, fingerprint), every cert-manager `Certificate`, `Issuer` and
//! `ClusterIssuer`, the CA bundles admission webhooks are called with, and where each private
//! key is kept. Key material is never read or printed:
//! of a Secret only the public certificate in `tls.crt` is parsed.
//!
//! TLS Secrets' certificates are only in the input when Secret values are: manifests that hold
//! them, or `--live --include-secrets` / a snapshot collected with it. Without them each TLS
//! Secret is listed with status `not-in-input`.
//!
//! Exit codes: 0 listed; 2 usage error or an input document that could not be read (reported
//! on stderr; the rest is still listed).

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use kubepci::input::InputArgs;
use kubepci::output::{self, Format};
use kubepci_checks::support::cert_inventory::{CertEntry, cert_inventory, to_csv};
use kubepci_inventory::Inventory;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Output format.
    #[arg(short, long, default_value = "text", value_parser = output::accepting(FORMATS))]
    pub format: Format,
    #[command(flatten)]
    pub input: InputArgs,
    /// Write the inventory to a file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

const FORMATS: &[Format] = &[Format::Text, Format::Json, Format::Csv];

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (input, config) = args.input.load("certs")?;
    input.print_errors();
    let unreadable = input.unreadable();
    let inventory = Inventory::build(input.objects, config);
    let entries = cert_inventory(&inventory, kubepci_base::time::now_epoch());
    output::emit(args.output.as_deref(), |out| match args.format {
        Format::Json => output::write_json(out, &entries),
        Format::Csv => out.write_all(to_csv(&entries).as_bytes()),
        _ => write_text(out, &entries),
    })?;
    Ok(if unreadable > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

fn write_text(out: &mut dyn Write, entries: &[CertEntry]) -> io::Result<()> {
    for e in entries {
        let object = e.object.as_ref().map(ToString::to_string).unwrap_or_default();
        let chain = e.chain_index.filter(|&i| i > 0).map(|i| format!(" [chain {i}]")).unwrap_or_default();
        let scope = e.scope.as_deref().map(|s| format!(" ({s})")).unwrap_or_default();
        writeln!(out, "{:<13} {object}{chain}{scope}", e.status.to_uppercase())?;
        let mut facts = Vec::new();
        if let Some(s) = &e.subject {
            facts.push(format!("subject {s}"));
        }
        if let Some(i) = &e.issuer {
            facts.push(format!("issuer {i}"));
        }
        if let Some(b) = &e.issued_by {
            facts.push(format!("issued by {b}"));
        }
        if let Some(n) = &e.not_after {
            facts.push(format!("expires {n}{}", e.days_left.map(|d| format!(" ({d} days)")).unwrap_or_default()));
        }
        if let Some(k) = &e.key {
            facts.push(k.clone());
        }
        if let Some(s) = &e.signature {
            facts.push(s.clone());
        }
        if e.self_signed == Some(true) {
            facts.push("self-signed".into());
        }
        if !facts.is_empty() {
            writeln!(out, "    {}", facts.join(", "))?;
        }
        if !e.dns_names.is_empty() {
            writeln!(out, "    DNS: {}", e.dns_names.join(", "))?;
        }
        if let Some(k) = &e.key_location {
            writeln!(out, "    private key: {k}")?;
        }
        if !e.note.is_empty() {
            writeln!(out, "    {}", e.note)?;
        }
    }
    let count = |s: &str| entries.iter().filter(|e| e.status == s).count();
    writeln!(
        out,
        "{} entries: {} valid, {} expiring, {} expired, {} not issued, {} not in the input, {} unreadable, {} issuers",
        entries.len(),
        count("valid"),
        count("expiring"),
        count("expired"),
        count("not-issued"),
        count("not-in-input"),
        count("unreadable"),
        count("issuer")
    )
}
