//! `kubepci evidence`: a signed, self-verifying bundle of an assessment for the assessor
//! (docs/evidence.md). `keygen` writes an ed25519 key pair; `create` scans its input and packs
//! the reports in every format, the redacted snapshot (or the input files' digests) and the
//! effective configuration, with a manifest of SHA-256 digests, signed as a DSSE envelope
//! around an in-toto statement; `verify` checks every digest and the signature.
//!
//! Exit codes: `keygen` 0 written, 2 not written. `create` 0 the bundle was written (input
//! documents that could not be read are recorded in its reports, as `scan` records them), 2
//! usage or input error (nothing readable, unreadable key). `verify` 0 every digest and the
//! signature match, 1 something does not (each mismatch is named), 2 the bundle or the key
//! cannot be read.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use kubepci::input::InputArgs;
use kubepci::output::{self, Format, TEXT_JSON};
use kubepci::pipeline::{ScanOptions, assess};
use kubepci_evidence::bundle::{self, Verification};
use kubepci_evidence::keys;
use kubepci_evidence::tar::Member;
use kubepci_live::{CollectOptions, collect_blocking, encode_snapshot, read_redacted_items};
use kubepci_report::{Format as ReportFormat, PrintOptions, Report};
use serde_json::json;

/// The bundle member holding the snapshot the reports were computed from.
const SNAPSHOT_MEMBER: &str = "input/snapshot.json.gz";
/// The bundle member listing the input files (manifests, platform configuration) by digest.
const FILES_MEMBER: &str = "input/files.json";

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Write an ed25519 key pair: PREFIX.key (private, PKCS#8 PEM, mode 0600) and PREFIX.pub.
    Keygen(KeygenArgs),
    /// Scan the input and write a signed evidence bundle (tar.gz).
    Create(Box<CreateArgs>),
    /// Check every digest and the signature of a bundle; name what does not match.
    Verify(VerifyArgs),
}

#[derive(clap::Args, Debug)]
struct KeygenArgs {
    /// Path prefix of the two key files (existing files are not overwritten).
    #[arg(long, value_name = "PREFIX")]
    out: PathBuf,
}

#[derive(clap::Args, Debug)]
struct CreateArgs {
    /// The bundle to write.
    #[arg(short = 'o', long = "output", value_name = "FILE", default_value = "evidence.tar.gz")]
    output: PathBuf,
    /// Private key (from `kubepci evidence keygen`) to sign with; without it the bundle is
    /// unsigned and `verify` reports so.
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    #[command(flatten)]
    input: InputArgs,
}

#[derive(clap::Args, Debug)]
struct VerifyArgs {
    /// The bundle to check.
    #[arg(value_name = "BUNDLE")]
    bundle: PathBuf,
    /// The signer's public key (PREFIX.pub).
    #[arg(long = "pub", value_name = "FILE")]
    public_key: PathBuf,
    #[arg(short, long, default_value = "text", value_parser = output::accepting(TEXT_JSON))]
    format: Format,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Keygen(a) => keygen(&a),
        Command::Create(a) => create(*a),
        Command::Verify(a) => verify(&a),
    }
}

fn keygen(args: &KeygenArgs) -> anyhow::Result<ExitCode> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| anyhow::anyhow!("no randomness from the operating system: {e}"))?;
    let key = keys::signing_key(seed);
    let (private, public) = (with_suffix(&args.out, "key"), with_suffix(&args.out, "pub"));
    for path in [&private, &public] {
        anyhow::ensure!(!path.exists(), "{} exists; not overwritten", path.display());
    }
    write_new(&private, keys::private_pem(&key).as_bytes())?;
    write_new(&public, keys::public_pem(&key.verifying_key()).as_bytes())?;
    eprintln!("wrote {} (keep it secret) and {}; key id {}", private.display(), public.display(), keys::key_id(&key.verifying_key()));
    Ok(ExitCode::SUCCESS)
}

fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut name = prefix.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

fn write_new(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    kubepci_base::fs::create_private(path, false).and_then(|mut f| f.write_all(bytes)).with_context(|| format!("cannot write {}", path.display()))
}

/// The bundle member a report format is written to: `reports/report.<format>`, with the usual
/// extension where the name alone would not say what the file is.
fn report_member(format: &str) -> String {
    let file = match format {
        "text" => "report.txt".to_string(),
        "sarif" => "report.sarif.json".into(),
        "junit" => "report.junit.xml".into(),
        "policyreport" => "report.policyreport.json".into(),
        "oscal" => "report.oscal.json".into(),
        "prometheus" => "report.prom".into(),
        other => format!("report.{other}"),
    };
    format!("reports/{file}")
}

fn create(args: CreateArgs) -> anyhow::Result<ExitCode> {
    let key = match &args.key {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read key {}", path.display()))?;
            Some(keys::parse_private_pem(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?)
        }
        None => None,
    };
    anyhow::ensure!(!args.input.paths.iter().any(|p| p.as_os_str() == "-"), "evidence create records a digest of each input file; stdin has none: save it to a file first");
    let epoch = kubepci_base::time::now_epoch();
    let mut members = Vec::new();
    let mut input = args.input.clone();
    // A snapshot or live input is scanned from the redacted snapshot put into the bundle, so
    // the reports cite that snapshot's hash.
    if let Some(path) = &args.input.snapshot {
        let (meta, items) = read_redacted_items(path).map_err(|e| anyhow::anyhow!("{e}"))?;
        let (_, bytes) = encode_snapshot(&meta, &items).context("encoding the snapshot")?;
        input.snapshot = None;
        input.snapshot_bytes = Some((SNAPSHOT_MEMBER.into(), bytes.clone()));
        members.push(Member::new(SNAPSHOT_MEMBER, bytes));
    } else if args.input.is_live() {
        let collected = collect_blocking(&CollectOptions { keep_raw: true, build_objects: false, ..args.input.cluster.options() })?;
        let (_, bytes) = encode_snapshot(&collected.metadata, &collected.raw).context("encoding the snapshot")?;
        input.live = false;
        input.cluster.kubeconfig = None;
        input.cluster.context = None;
        input.snapshot_bytes = Some((SNAPSHOT_MEMBER.into(), bytes.clone()));
        members.push(Member::new(SNAPSHOT_MEMBER, bytes));
    }
    members.push(Member::new(FILES_MEMBER, pretty(&input_files(&args.input.paths, &args.input.platform_config))));

    let (loaded, config) = input.load("evidence create")?;
    let opts = ScanOptions {
        run: kubepci_checks::RunOptions { today: Some(kubepci_base::time::date(epoch)), only: Vec::new() },
        include_passed: false,
        generated_at: kubepci_base::time::rfc3339(epoch),
        config_source: loaded.config_source.clone(),
    };
    let (report, _leftovers) = assess(loaded, config, &opts);
    for e in &report.input.errors {
        eprintln!("{e}");
    }
    members.extend(report_members(&report));
    members.push(Member::new("config.json", pretty(&report.provenance.config)));
    let predicate = predicate(&report, key.as_ref());
    let bytes = bundle::assemble(members, predicate, key.as_ref(), epoch).map_err(|e| anyhow::anyhow!(e))?;
    output::emit(Some(&args.output), |out| out.write_all(&bytes))?;
    let signed = key.map_or_else(|| "UNSIGNED (no --key)".to_string(), |k| format!("signed by {}", keys::key_id(&k.verifying_key())));
    eprintln!("wrote {}: {} reports, {}; sha256 {}", args.output.display(), ReportFormat::NAMES.len(), signed, kubepci_evidence::sha256_hex(&bytes));
    Ok(ExitCode::SUCCESS)
}

/// The report in every format `kubepci scan` writes; a format added there is bundled too.
fn report_members(report: &Report) -> Vec<Member> {
    let print = PrintOptions { color: false, verbose: true };
    ReportFormat::NAMES
        .iter()
        .filter_map(|name| ReportFormat::parse(name).map(|f| Member::new(report_member(name), kubepci_report::render(report, f, print))))
        .collect()
}

/// What the signed statement says about the assessment besides its members.
fn predicate(report: &Report, key: Option<&kubepci_evidence::SigningKey>) -> serde_json::Value {
    json!({
        "tool": {"name": report.tool.name, "version": report.tool.version},
        "createdAt": report.generated_at,
        "standard": {"name": report.standard.name, "version": report.standard.version},
        "input": {"kind": report.input.kind, "sources": report.input.sources, "objects": report.input.objects, "unreadable": report.input.errors.len(), "snapshot": report.input.snapshot},
        "checkRegistry": report.provenance.registry,
        "config": report.provenance.config.source,
        "summary": report.summary,
        "signer": key.map(|k| keys::key_id(&k.verifying_key())),
    })
}

/// Each input file (manifests, platform configuration) with its SHA-256 and size, as the scan
/// reads them; the files themselves are not bundled (they may hold what no evidence should).
fn input_files(paths: &[PathBuf], platform: &[PathBuf]) -> serde_json::Value {
    let list = |paths: &[PathBuf]| -> Vec<serde_json::Value> {
        let (pending, errors) = kubepci_source::collect_pending(paths);
        let mut out: Vec<serde_json::Value> = pending
            .into_iter()
            .map(|p| match p.read() {
                Ok(file) => json!({"path": file.name, "sha256": kubepci_evidence::sha256_hex(&file.bytes), "bytes": file.bytes.len()}),
                Err(e) => json!({"path": e.loc.file.to_string(), "error": e.message}),
            })
            .collect();
        out.extend(errors.into_iter().map(|e| json!({"path": e.loc.file.to_string(), "error": e.message})));
        out
    };
    json!({"manifests": list(paths), "platformConfig": list(platform)})
}

fn pretty(value: &impl serde::Serialize) -> Vec<u8> {
    let mut text = serde_json::to_vec_pretty(value).unwrap_or_default();
    text.push(b'\n');
    text
}

fn verify(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.public_key).with_context(|| format!("cannot read public key {}", args.public_key.display()))?;
    let key = keys::parse_public_pem(&text).map_err(|e| anyhow::anyhow!("{}: {e}", args.public_key.display()))?;
    let bytes = std::fs::read(&args.bundle).with_context(|| format!("cannot read {}", args.bundle.display()))?;
    let result = bundle::verify(&bytes, &key).map_err(|e| anyhow::anyhow!("{}: not a readable bundle: {e}", args.bundle.display()))?;
    output::emit(None, |out| match args.format {
        Format::Json => output::write_json(out, &verification_json(&args.bundle, &result)),
        _ => write_verification(out, &args.bundle, &result),
    })?;
    Ok(if result.verified() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn verification_json(path: &Path, v: &Verification) -> serde_json::Value {
    json!({
        "bundle": path.display().to_string(),
        "verified": v.verified(),
        "members": v.members.iter().map(|(name, sha256)| json!({"name": name, "sha256": sha256})).collect::<Vec<_>>(),
        "mismatches": v.mismatches.iter().map(|m| json!({"member": m.member, "problem": m.problem})).collect::<Vec<_>>(),
        "predicate": if v.verified() { v.predicate.clone() } else { serde_json::Value::Null },
    })
}

fn write_verification(out: &mut dyn std::io::Write, path: &Path, v: &Verification) -> std::io::Result<()> {
    if v.verified() {
        writeln!(out, "verified {}: {} members, every digest and the signature match", path.display(), v.members.len())?;
        if let Some(input) = v.predicate.get("input") {
            writeln!(out, "  assessment of {} ({}) by {} at {}", input["sources"], input["kind"].as_str().unwrap_or("?"), v.predicate["tool"]["version"].as_str().unwrap_or("?"), v.predicate["createdAt"].as_str().unwrap_or("?"))?;
        }
        return Ok(());
    }
    writeln!(out, "NOT VERIFIED {}: {} {}", path.display(), v.mismatches.len(), kubepci_findings::noun(v.mismatches.len(), "mismatch", "mismatches"))?;
    for m in &v.mismatches {
        writeln!(out, "  {m}")?;
    }
    Ok(())
}
