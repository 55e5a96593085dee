//! `kubepci history` and `kubepci fleet`: read the run history `kubepci serve` writes.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use kubepci::output::{self, Format, TEXT_JSON};
use kubepci_history::{DEFAULT_DATABASE, DatabaseUrl, History};
use serde::Serialize;

#[derive(clap::Args, Debug)]
pub struct HistoryArgs {
    /// The history database: `sqlite:PATH` or `postgres://user@host:port/db`.
    #[arg(long, value_name = "URL", default_value = DEFAULT_DATABASE)]
    pub database: String,

    /// Only the runs of this cluster (the `--cluster-name` of `serve`).
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,

    /// At most this many runs, newest first.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,

    /// Output format (JSON: `{"runs": [...]}`).
    #[arg(short, long, default_value = "text", value_parser = output::accepting(TEXT_JSON))]
    pub format: Format,

    /// Write the result to a file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct FleetArgs {
    /// The history database: `sqlite:PATH` or `postgres://user@host:port/db`.
    #[arg(long, value_name = "URL", default_value = DEFAULT_DATABASE)]
    pub database: String,

    /// Output format (JSON: `{"clusters": [...]}`).
    #[arg(short, long, default_value = "text", value_parser = output::accepting(TEXT_JSON))]
    pub format: Format,

    /// Write the result to a file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Open an existing history (reading never creates an empty SQLite file).
pub fn open_existing(url: &str) -> anyhow::Result<History> {
    if let DatabaseUrl::Sqlite(path) = DatabaseUrl::parse(url)?
        && !path.exists()
    {
        anyhow::bail!("no history at {} (kubepci serve writes it; --database names another)", path.display());
    }
    Ok(kubepci_history::open(url)?)
}

pub fn history(args: HistoryArgs) -> anyhow::Result<ExitCode> {
    let mut store = open_existing(&args.database)?;
    let runs = store.runs(args.cluster.as_deref(), args.limit)?;
    #[derive(Serialize)]
    struct Out<'a> {
        runs: &'a [kubepci_history::RunRow],
    }
    output::emit(args.output.as_deref(), |out| match args.format {
        Format::Json => output::write_json(out, &Out { runs: &runs }),
        _ => {
            let mut text = String::new();
            let _ = writeln!(text, "{:>6}  {:<20} {:<20} {:<20} {:>6} {:>8} {:>8} {:>9}", "RUN", "CLUSTER", "STARTED", "LAST SEEN", "BEATS", "REQ FAIL", "CRITICAL", "FAILURES");
            for r in &runs {
                let _ = writeln!(text, "{:>6}  {:<20} {:<20} {:<20} {:>6} {:>8} {:>8} {:>9}", r.id, r.cluster, r.started_at, r.last_seen, r.heartbeats, r.requirements_failing, r.critical_failures, r.failed);
            }
            if runs.is_empty() {
                text.push_str("no runs\n");
            }
            out.write_all(text.as_bytes())
        }
    })?;
    Ok(ExitCode::SUCCESS)
}

pub fn fleet(args: FleetArgs) -> anyhow::Result<ExitCode> {
    let mut store = open_existing(&args.database)?;
    let clusters = store.fleet()?;
    #[derive(Serialize)]
    struct Out<'a> {
        clusters: &'a [kubepci_history::FleetRow],
    }
    output::emit(args.output.as_deref(), |out| match args.format {
        Format::Json => output::write_json(out, &Out { clusters: &clusters }),
        _ => {
            let mut text = String::new();
            let _ = writeln!(text, "{:<24} {:>13} {:>17} {:>9}  {:<20} {:>8}", "CLUSTER", "REQS FAILING", "CRITICAL FINDINGS", "FAILURES", "LAST SEEN", "LAST RUN");
            for c in &clusters {
                let _ = writeln!(text, "{:<24} {:>13} {:>17} {:>9}  {:<20} {:>8}", c.cluster, c.requirements_failing, c.critical_failures, c.failed, c.last_seen, c.last_run);
            }
            if clusters.is_empty() {
                text.push_str("no clusters\n");
            }
            out.write_all(text.as_bytes())
        }
    })?;
    Ok(ExitCode::SUCCESS)
}
