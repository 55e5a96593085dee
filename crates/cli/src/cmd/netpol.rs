//! `kubepci netpol`: NetworkPolicy / AdminNetworkPolicy reachability.
//!
//! - `list PATHS… [--format txt|json|csv|dot|mermaid]`: every allowed connection between
//!   workloads (`ns/name[Kind]`) and external IPv4 ranges (`a.b.c.d-e.f.g.h[External]`), one
//!   sorted line per pair: `src => dst : conns`.
//! - `explain --from ns/name --to ns/name [--port TCP/8080] PATHS…`: allowed or denied, and the
//!   policy rules (file:line) that decide it at each end.
//!
//! Documents that cannot be read, and policies that cannot be compiled, are reported on stderr
//! as `file:line:col: message`; the rest is analysed. Exit codes: 0 ok (explain: allowed);
//! 1 explain: denied; 2 usage error or unreadable input.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use kubepci_netpol::batch::analyse_paths;
use kubepci_netpol::format::{Format, render};
use kubepci_netpol::ports::parse_port_spec;
use kubepci_netpol::{Options, Protocol, Reachability};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// List every allowed connection between workloads and external IP ranges.
    List(ListArgs),
    /// Explain whether one connection is allowed, naming the deciding policy rules.
    Explain(ExplainArgs),
}

#[derive(clap::Args, Debug)]
pub struct CommonArgs {
    /// Treat pods with hostNetwork like other pods (netpol-analyzer's behaviour). By default
    /// they are not subject to policies, as in Kubernetes.
    #[arg(long)]
    pub host_network_as_pod: bool,
    /// Manifest files or directories (recursively .yaml/.yml/.json); `-` reads stdin.
    #[arg(required = true, value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Output format: txt, json, csv, dot or mermaid.
    #[arg(long, default_value = "txt", value_parser = parse_format)]
    pub format: Format,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExplainFormat {
    Text,
    Json,
}

#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// Source: `ns/name`, `ns/name[Kind]`, a unique workload name, or an IPv4 address.
    #[arg(long)]
    pub from: String,
    /// Destination, in the same forms as --from.
    #[arg(long)]
    pub to: String,
    /// One connection to ask about: `TCP/8080`, `UDP/53`, `8080` (TCP).
    #[arg(long, value_parser = parse_port)]
    pub port: Option<(Protocol, u16)>,
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,
    #[command(flatten)]
    pub common: CommonArgs,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

fn parse_port(s: &str) -> Result<(Protocol, u16), String> {
    parse_port_spec(s).ok_or_else(|| format!("expected PROTOCOL/PORT such as TCP/8080, got {s:?}"))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::List(a) => list(a),
        Command::Explain(a) => explain(a),
    }
}

/// Load, analyse, and report input problems on stderr. Returns whether input was incomplete.
fn analyse(common: &CommonArgs) -> (Reachability, bool) {
    let analysis = analyse_paths(&common.paths, Options { host_network_exempt: !common.host_network_as_pod });
    for e in &analysis.load_errors {
        eprintln!("{e}");
    }
    let r = analysis.reachability;
    for w in r.warnings() {
        eprintln!("{w}");
    }
    let incomplete = !analysis.load_errors.is_empty();
    (r, incomplete)
}

fn list(args: ListArgs) -> anyhow::Result<ExitCode> {
    let (r, incomplete) = analyse(&args.common);
    let mut out = BufWriter::new(io::stdout().lock());
    out.write_all(render(&r, args.format).as_bytes())?;
    out.flush()?;
    Ok(if incomplete { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

fn explain(args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let (r, incomplete) = analyse(&args.common);
    let Some(src) = r.find_endpoint(&args.from, true) else {
        anyhow::bail!("--from {:?}: no such workload (use ns/name or ns/name[Kind]) or IPv4 address", args.from);
    };
    let Some(dst) = r.find_endpoint(&args.to, false) else {
        anyhow::bail!("--to {:?}: no such workload (use ns/name or ns/name[Kind]) or IPv4 address", args.to);
    };
    let e = r.explain(src, dst, args.port);
    let mut out = BufWriter::new(io::stdout().lock());
    match args.format {
        ExplainFormat::Text => write!(out, "{e}")?,
        ExplainFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&e)?)?,
    }
    out.flush()?;
    Ok(if incomplete {
        ExitCode::from(2)
    } else if e.allowed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
