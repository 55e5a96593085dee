//! `kubepci pan`: find card numbers (PANs) in files, directories, gzip files and stdin.
//!
//! `kubepci pan scan PATHS…|- [--format text|json|sarif] [-o FILE] [--mask first6last4|last4]
//! [--fail-on-found] [--threads N]`
//!
//! Exit codes: 0 = scan complete (and no real PAN found, or `--fail-on-found` not given);
//! 1 = `--fail-on-found` and at least one PAN that is not a public test number was found
//! (this wins over 2); 2 = usage error, or some input could not be read (the other inputs
//! are still scanned and reported; when nothing could be read, only the errors are printed).

use std::path::PathBuf;
use std::process::ExitCode;

use kubepci::output::{self, Format};
use kubepci_pan::MaskMode;
use kubepci_pan::report::{ToolInfo, render_json, render_sarif, render_text};
use kubepci_pan::scan::{ScanOptions, scan_paths};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: PanCommand,
}

#[derive(clap::Subcommand, Debug)]
enum PanCommand {
    /// Scan files, directories (recursively; .gz decompressed) or `-` (stdin) for card
    /// numbers. Prints masked numbers only.
    Scan(ScanArgs),
}

#[derive(clap::Args, Debug)]
struct ScanArgs {
    /// Files, directories, or `-` for standard input.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(short, long, default_value = "text", value_parser = output::accepting(FORMATS))]
    format: Format,
    /// Write the result to a file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// How much of each number to show.
    #[arg(long, value_enum, default_value_t = Mask::First6last4)]
    mask: Mask,
    /// Exit with status 1 if any card number other than a public test number is found.
    #[arg(long)]
    fail_on_found: bool,
    /// Files scanned in parallel (default: one per core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

const FORMATS: &[Format] = &[Format::Text, Format::Json, Format::Sarif];

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum Mask {
    /// First six and last four digits.
    #[value(name = "first6last4")]
    First6last4,
    /// Last four digits only.
    #[value(name = "last4")]
    Last4,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        PanCommand::Scan(a) => scan(a),
    }
}

fn scan(a: ScanArgs) -> anyhow::Result<ExitCode> {
    let opts = ScanOptions {
        mask: match a.mask {
            Mask::First6last4 => MaskMode::First6Last4,
            Mask::Last4 => MaskMode::Last4,
        },
        threads: a.threads,
        ..ScanOptions::default()
    };
    let report = scan_paths(&a.paths, &opts);
    let s = &report.summary;
    if !report.errors.is_empty() && s.files_scanned == 0 && s.bytes_scanned == 0 && s.findings == 0 {
        // Nothing could be read: the errors alone, not a report of nothing.
        for e in &report.errors {
            eprintln!("error: {}: {}", e.file, e.message);
        }
        return Ok(ExitCode::from(2));
    }
    let tool = ToolInfo {
        name: "kubepci",
        version: env!("CARGO_PKG_VERSION"),
    };
    let rendered = match a.format {
        Format::Json => format!("{:#}\n", render_json(&report, tool)),
        Format::Sarif => format!("{:#}\n", render_sarif(&report, tool)),
        _ => render_text(&report),
    };
    output::emit(a.output.as_deref(), |out| out.write_all(rendered.as_bytes()))?;
    if a.format != Format::Text {
        for e in &report.errors {
            eprintln!("error: {}: {}", e.file, e.message);
        }
    }
    Ok(if a.fail_on_found && report.summary.real_findings() > 0 {
        ExitCode::from(1)
    } else if !report.errors.is_empty() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
