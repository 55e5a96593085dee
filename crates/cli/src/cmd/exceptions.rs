//! `kubepci exceptions list`: every exception of `kubepci.yaml` with its lifecycle status
//! (active, expiring within 30 days, expired, unused) and the findings it matches, so owners
//! renew or retire them before the assessment. Given scan inputs, the exceptions are matched
//! against that scan's findings; with the configuration alone, none is called unused.
//!
//! Exit codes: 0 listed; 2 usage or input error.

use std::path::PathBuf;
use std::process::ExitCode;

use kubepci::input::{InputArgs, load_config};
use kubepci::output::{self, Format};
use kubepci::pipeline::{ScanOptions, assess};
use kubepci_checks::exceptions::{EXPIRING_WITHIN_DAYS, ExceptionStatus, Lifecycle, register};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// List every exception with its status and the findings it matches.
    List(ListArgs),
}

#[derive(clap::Args, Debug)]
struct ListArgs {
    #[command(flatten)]
    input: InputArgs,
    #[arg(short, long, default_value = "text", value_parser = output::accepting(&[Format::Text, Format::Json, Format::Csv]))]
    format: Format,
    /// Write the list to a file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Command::List(args) = args.command;
    let epoch = kubepci_base::time::now_epoch();
    let today = kubepci_base::time::date(epoch);
    let scanned = !args.input.paths.is_empty() || args.input.snapshot.is_some() || args.input.is_live();
    let (statuses, config_path) = if scanned {
        let (input, config) = args.input.load("exceptions list")?;
        let exceptions = config.exceptions.clone();
        let opts = ScanOptions {
            run: kubepci_checks::RunOptions { today: Some(today.clone()), only: Vec::new() },
            include_passed: false,
            generated_at: kubepci_base::time::rfc3339(epoch),
            config_source: input.config_source.clone(),
        };
        let (report, _leftovers) = assess(input, config, &opts);
        (register(&exceptions, Some(&report.findings), Some(&today)), report.provenance.config.source.path.clone())
    } else {
        let (config, source) = load_config(args.input.config.as_deref())?;
        (register(&config.exceptions, None, Some(&today)), source.path)
    };
    output::emit(args.output.as_deref(), |out| match args.format {
        Format::Json => output::write_json(out, &serde_json::json!({"date": today, "config": config_path, "matchedAgainstScan": scanned, "exceptions": statuses})),
        Format::Csv => out.write_all(csv(&statuses).as_bytes()),
        _ => out.write_all(text(&statuses, &today, config_path.as_deref(), scanned).as_bytes()),
    })?;
    Ok(ExitCode::SUCCESS)
}

fn text(statuses: &[ExceptionStatus], today: &str, config: Option<&str>, scanned: bool) -> String {
    let mut out = format!("exceptions in {} on {today}", config.unwrap_or("(no kubepci.yaml)"));
    out.push_str(if scanned { ", matched against this scan's findings\n" } else { " (no scan input given: use is not known)\n" });
    for s in statuses {
        let ex = &s.exception;
        let when = match (&ex.expires, s.days_left) {
            (Some(d), Some(n)) if n < 0 => format!("expired {d} ({} days ago)", -n),
            (Some(d), Some(n)) => format!("until {d} ({n} days)"),
            (Some(d), None) => format!("until {d}"),
            (None, _) => "no expiry".into(),
        };
        let matched = s.matched.map(|n| format!(", {n} {}", kubepci_findings::noun(n, "finding", "findings"))).unwrap_or_default();
        out.push_str(&format!("  {:<9} {} {}  {when}{matched}\n", s.status.as_str(), ex.check, ex.object));
        let ticket = ex.ticket.as_deref().map(|t| format!(" · ticket {t}")).unwrap_or_default();
        out.push_str(&format!("            approved by {}{ticket} · {}\n", ex.approved_by, ex.reason));
        if let Some(control) = &ex.compensating_control {
            let reqs = if ex.compensates.is_empty() { String::new() } else { format!(" (compensates {})", ex.compensates.join(", ")) };
            out.push_str(&format!("            compensating control: {control}{reqs}\n"));
        }
    }
    let count = |l: Lifecycle| statuses.iter().filter(|s| s.status == l).count();
    out.push_str(&format!(
        "{} {}: {} active, {} expiring within {EXPIRING_WITHIN_DAYS} days, {} expired, {} unused\n",
        statuses.len(),
        kubepci_findings::noun(statuses.len(), "exception", "exceptions"),
        count(Lifecycle::Active),
        count(Lifecycle::Expiring),
        count(Lifecycle::Expired),
        count(Lifecycle::Unused)
    ));
    out
}

const CSV_HEADER: &str = "index,status,check,object,expires,days_left,matched,approved_by,ticket,reason,compensating_control,compensates";

fn csv(statuses: &[ExceptionStatus]) -> String {
    let mut out = format!("{CSV_HEADER}\n");
    for s in statuses {
        let ex = &s.exception;
        let fields = [
            s.index.to_string(),
            s.status.as_str().to_string(),
            ex.check.clone(),
            ex.object.clone(),
            ex.expires.clone().unwrap_or_default(),
            s.days_left.map(|d| d.to_string()).unwrap_or_default(),
            s.matched.map(|d| d.to_string()).unwrap_or_default(),
            ex.approved_by.clone(),
            ex.ticket.clone().unwrap_or_default(),
            ex.reason.clone(),
            ex.compensating_control.clone().unwrap_or_default(),
            ex.compensates.join(" "),
        ];
        out.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}

/// Quoted always; a leading `=`, `+`, `-` or `@` is defused so a spreadsheet shows it as text.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
    format!("\"{}\"", s.replace('"', "\"\""))
}
