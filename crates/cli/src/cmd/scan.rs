//! `kubepci scan`: assess manifests, a `kubectl get -o json` dump or a snapshot.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use kubepci::input::InputArgs;
use kubepci::output::{self, Format};
use kubepci::pipeline::{ScanOptions, assess, fails_threshold};
use kubepci_findings::Severity;
use kubepci_report::{Format as ReportFormat, PrintOptions, write};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,

    /// Output format.
    #[arg(short, long, default_value = "text", value_parser = output::accepting(FORMATS))]
    pub format: Format,

    /// Write the report to a file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Exit with status 1 when a failure of this severity or higher is found
    /// (info, low, medium, high, critical).
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<String>,

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

    /// API audit logs (files, .gz, rotated sets): their per-identity activity is added to the
    /// input as an `AuditActivity` summary, which RBAC-012 (inactive CDE subjects, 8.2.6)
    /// reads. Repeatable.
    #[arg(long, value_name = "LOG")]
    pub audit_log: Vec<PathBuf>,
}

/// Every report format.
const FORMATS: &[Format] = &[Format::Text, Format::Json, Format::Sarif, Format::Junit, Format::PolicyReport, Format::Oscal, Format::Prometheus, Format::Html];

/// The report printer of a format (none for formats a report is not written in).
fn report_format(format: Format) -> Option<ReportFormat> {
    Some(match format {
        Format::Text => ReportFormat::Text,
        Format::Json => ReportFormat::Json,
        Format::Sarif => ReportFormat::Sarif,
        Format::Junit => ReportFormat::Junit,
        Format::PolicyReport => ReportFormat::PolicyReport,
        Format::Oscal => ReportFormat::Oscal,
        Format::Prometheus => ReportFormat::Prometheus,
        Format::Html => ReportFormat::Html,
        Format::Csv | Format::Dot | Format::Mermaid => return None,
    })
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Some(format) = report_format(args.format) else {
        anyhow::bail!("a report cannot be written as {:?}", args.format);
    };
    let fail_on: Option<Severity> = args.fail_on.as_deref().map(str::parse).transpose().map_err(|e: String| anyhow::anyhow!(e))?;
    kubepci::profile::enabled();
    let (mut input, config) = args.input.load("scan")?;
    if !args.audit_log.is_empty() {
        let summary = super::audit::activity_summary(&args.audit_log)?;
        let loaded = kubepci_source::load_bytes("audit-logs (kubepci scan --audit-log)", summary.as_bytes());
        input.objects.extend(loaded.objects);
        input.sources.extend(args.audit_log.iter().map(|p| p.display().to_string()));
    }
    kubepci::profile::mark(&format!("load ({} objects)", input.objects.len()));
    let epoch = kubepci_base::time::now_epoch();
    let opts = ScanOptions {
        run: kubepci_checks::RunOptions { today: Some(kubepci_base::time::date(epoch)), only: args.only.clone() },
        include_passed: args.include_passed,
        generated_at: kubepci_base::time::rfc3339(epoch),
        config_source: input.config_source.clone(),
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
    output::emit(args.output.as_deref(), |out| write(&report, format, print, out))?;
    kubepci::profile::mark("render");
    if !report.input.errors.is_empty() && format != ReportFormat::Text {
        for e in &report.input.errors {
            eprintln!("{e}");
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
