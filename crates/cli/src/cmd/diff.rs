//! `kubepci diff A B`: what changed between two assessments (two `scan -f json` reports, or
//! two runs of the history).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use kubepci::output::{self, Format, TEXT_JSON};
use kubepci_findings::Severity;
use kubepci_report::compare::{RunContent, diff, render_text};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The earlier assessment: a `kubepci scan -f json` report file, or a run id of the
    /// history (with `--database`).
    #[arg(value_name = "A")]
    pub from: String,

    /// The later assessment, as A.
    #[arg(value_name = "B")]
    pub to: String,

    /// The history database run ids are read from (`sqlite:PATH` or `postgres://…`).
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,

    /// Output format.
    #[arg(short, long, default_value = "text", value_parser = output::accepting(TEXT_JSON))]
    pub format: Format,

    /// Write the result to a file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Exit with status 1 only for new failures of this severity or higher (default: any).
    #[arg(long, value_name = "SEVERITY", default_value = "info")]
    pub fail_on: String,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let threshold: Severity = args.fail_on.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    let from = load(&args.from, args.database.as_deref())?;
    let to = load(&args.to, args.database.as_deref())?;
    let result = diff(&from, &to);
    output::emit(args.output.as_deref(), |out| match args.format {
        Format::Json => output::write_json(out, &result),
        _ => out.write_all(render_text(&result, &args.from, &args.to).as_bytes()),
    })?;
    Ok(if result.regressed(threshold) { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// A side of the comparison: a report file, or (a number, with `--database`) a stored run.
fn load(what: &str, database: Option<&str>) -> anyhow::Result<RunContent> {
    let path = std::path::Path::new(what);
    if !path.exists()
        && let (Some(url), Ok(id)) = (database, what.parse::<i64>())
    {
        let mut store = crate::cmd::history::open_existing(url)?;
        return store.run_content(id)?.with_context(|| format!("no run {id} in {url}"));
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {what}"))?;
    RunContent::from_report_json(&text).map_err(|e| anyhow::anyhow!("{what}: {e}"))
}
