//! `kubepci scan`: assess manifests, a `kubectl get -o json` dump or a snapshot.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use kubepci::pipeline::{ScanInput, ScanOptions, assess, fails_threshold};
use kubepci_findings::Severity;
use kubepci_inventory::Config;
use kubepci_report::{Format, PrintOptions, write};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Manifest files or directories (recursive: .yaml, .yml, .json), or `-` for stdin.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Assess a snapshot written by `kubepci collect` (its sha256 is verified and cited).
    #[arg(long, value_name = "FILE", conflicts_with = "paths")]
    pub snapshot: Option<PathBuf>,

    /// Assess the live cluster of the current kubeconfig context (implied by --kubeconfig or
    /// --context). Read-only: get and list only.
    #[arg(long, conflicts_with_all = ["paths", "snapshot"])]
    pub live: bool,

    #[command(flatten)]
    pub cluster: super::collect::ClusterArgs,

    /// Output format: text, json, sarif, junit, policyreport, oscal, prometheus.
    #[arg(short, long, default_value = "text")]
    pub format: String,

    /// Write the report to a file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Exit with status 1 when a failure of this severity or higher is found
    /// (info, low, medium, high, critical).
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<String>,

    /// The kubepci.yaml configuration (scope, approvals, exceptions). Defaults to ./kubepci.yaml
    /// when it exists.
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Extra directories of platform configuration (EncryptionConfiguration, audit Policy,
    /// KubeletConfiguration, control-plane static pod manifests).
    #[arg(long, value_name = "DIR")]
    pub platform_config: Vec<PathBuf>,

    /// Treat the input as a full cluster dump (`kubectl get -A -o json`), so that missing
    /// objects mean absent rather than "not in these manifests".
    #[arg(long)]
    pub cluster_dump: bool,

    /// Run only these checks (ids or names, comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    pub only: Vec<String>,

    /// Include passing results in json/policyreport/junit output.
    #[arg(long)]
    pub include_passed: bool,

    /// Colour: auto (when stdout is a terminal), always, never.
    #[arg(long, default_value = "auto")]
    pub color: String,

    /// List requirements without automated checks in the terminal report.
    #[arg(short, long)]
    pub verbose: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Some(format) = Format::parse(&args.format) else {
        bail!("unknown format {:?} (expected one of: {})", args.format, Format::NAMES.join(", "));
    };
    let fail_on: Option<Severity> = args.fail_on.as_deref().map(str::parse).transpose().map_err(|e: String| anyhow::anyhow!(e))?;
    let live = args.live || args.cluster.kubeconfig.is_some() || args.cluster.context.is_some();
    if args.paths.is_empty() && args.snapshot.is_none() && !live {
        bail!("nothing to scan: give manifest paths, `-` for stdin, --snapshot FILE or --live (see `kubepci scan --help`)");
    }
    let config = load_config(args.config.as_deref())?;
    kubepci::profile::enabled();
    let mut input = if let Some(path) = &args.snapshot {
        snapshot_input(path)?
    } else if live {
        live_input(&args.cluster)?
    } else {
        let mut paths = args.paths.clone();
        paths.extend(args.platform_config.iter().cloned());
        ScanInput::from_paths(&paths)
    };
    if (args.snapshot.is_some() || live) && !args.platform_config.is_empty() {
        let extra = ScanInput::from_paths(&args.platform_config);
        input.objects.extend(extra.objects);
        input.errors.extend(extra.errors);
        input.files += extra.files;
        input.documents += extra.documents;
    }
    kubepci::profile::mark(&format!("load ({} objects)", input.objects.len()));
    if args.cluster_dump {
        input.kind = kubepci_checks::InputKind::Snapshot;
    }
    let epoch = kubepci_base::time::now_epoch();
    let opts = ScanOptions {
        run: kubepci_checks::RunOptions { today: Some(kubepci_base::time::date(epoch)), only: args.only.clone() },
        include_passed: args.include_passed,
        generated_at: kubepci_base::time::rfc3339(epoch),
    };
    let (report, inventory) = assess(input, config, &opts);
    kubepci::profile::mark("assess");
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.color.as_str() {
        "always" => true,
        "never" => false,
        _ => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let print = PrintOptions { color, verbose: args.verbose };
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
            let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
            write(&report, format, print, &mut out)
                .and_then(|()| out.flush())
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => {
            let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = write(&report, format, print, &mut out).and_then(|()| out.flush());
        }
    }
    kubepci::profile::mark("render");
    if !report.input.errors.is_empty() && format != Format::Text {
        for e in &report.input.errors {
            eprintln!("{}:{}:{}: {}", e.file, e.line, e.column, e.message);
        }
    }
    let code = if report.input.objects == 0 && !report.input.errors.is_empty() {
        ExitCode::from(2)
    } else if fails_threshold(&report, fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    // The process ends here: freeing a large report and inventory piece by piece only delays
    // the exit.
    std::mem::forget(report);
    std::mem::forget(inventory);
    Ok(code)
}

/// A snapshot written by `kubepci collect`: hash verified, items decoded like any input.
fn snapshot_input(path: &std::path::Path) -> anyhow::Result<ScanInput> {
    let snap = kubepci_live::load_snapshot(path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let name = path.display().to_string();
    let documents = snap.objects.len() + snap.errors.len();
    let mut errors: Vec<kubepci_source::LoadError> = snap.errors.into_iter().map(|message| cluster_error(&name, message)).collect();
    errors.extend(snap.meta.kinds_not_listable.iter().map(|k| cluster_error(&name, format!("not collected: {}: {}", k.kind, k.reason))));
    Ok(ScanInput {
        kind: kubepci_checks::InputKind::Snapshot,
        sources: vec![name],
        objects: snap.objects,
        errors,
        files: 1,
        documents,
        unlisted: kubepci::pipeline::unlisted_kinds(&snap.meta),
        snapshot: Some(kubepci_report::SnapshotInfo { sha256: snap.meta.sha256, collected_at: snap.meta.time }),
    })
}

/// The live cluster, through the same object decoding as files.
fn live_input(cluster: &super::collect::ClusterArgs) -> anyhow::Result<ScanInput> {
    let collected = kubepci_live::collect_blocking(&cluster.options()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let endpoint = collected.metadata.endpoint.clone();
    let unlisted = kubepci::pipeline::unlisted_kinds(&collected.metadata);
    let documents = collected.objects.len();
    let mut errors: Vec<kubepci_source::LoadError> = collected.errors.into_iter().map(|m| cluster_error(&endpoint, m)).collect();
    errors.extend(collected.unlistable.into_iter().map(|(kind, why)| cluster_error(&endpoint, format!("not collected: {kind}: {why}"))));
    Ok(ScanInput {
        kind: kubepci_checks::InputKind::Live,
        sources: vec![endpoint],
        objects: collected.objects,
        errors,
        files: 0,
        documents,
        snapshot: None,
        unlisted,
    })
}

fn cluster_error(source: &str, message: String) -> kubepci_source::LoadError {
    kubepci_source::LoadError { loc: kubepci_model::SourceLoc::whole(source), message }
}

/// `--config FILE`, else `./kubepci.yaml` when present, else defaults.
pub fn load_config(path: Option<&std::path::Path>) -> anyhow::Result<Config> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => {
            let default = PathBuf::from("kubepci.yaml");
            if !default.exists() {
                return Ok(Config::default());
            }
            default
        }
    };
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read config {}", path.display()))?;
    Config::from_yaml(&path.display().to_string(), &text).map_err(|e| anyhow::anyhow!("{e}"))
}
