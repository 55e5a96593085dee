//! `kubepci netpol`: NetworkPolicy / AdminNetworkPolicy reachability.
//!
//! - `list [--format text|json|csv|dot|mermaid]`: every allowed connection between workloads
//!   (`ns/name[Kind]`, ` [CDE]` after those of the cardholder data environment) and external
//!   IPv4 ranges (`a.b.c.d-e.f.g.h[External]`), one sorted line per pair: `src => dst : conns`.
//! - `explain --from ns/name --to ns/name [--port TCP/8080]`: allowed or denied, and the
//!   policy rules (file:line) that decide it at each end. `--from '{ingress-controller}'`
//!   explains the traffic from outside through the ingress controllers: each Ingress, Route or
//!   Gateway API route (file:line) that routes to the workload, the controller forwarding it and
//!   the rules at both ends of that hop.
//!
//! Both read their input like every command (`kubepci::input`: paths, `--snapshot`, a live
//! cluster, `-c kubepci.yaml`).
//!
//! Documents that cannot be read, and policies that cannot be compiled, are reported on stderr
//! as `file:line:col: message`; the rest is analysed. Exit codes: 0 ok (explain: allowed);
//! 1 explain: denied; 2 usage error or incomplete input (a document that could not be read, or
//! a kind reachability reads that a snapshot or live collection lacks).

use std::path::PathBuf;
use std::process::ExitCode;

use kubepci::input::{InputArgs, POD_KINDS};
use kubepci::output::{self, Format, TEXT_JSON};
use kubepci_inventory::{Inventory, Scope};
use kubepci_netpol::format::{Format as ListFormat, render_marked};
use kubepci_netpol::ports::parse_port_spec;
use kubepci_netpol::{Endpoint, INGRESS_CONTROLLER, Options, Protocol, Reachability};

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
    #[command(flatten)]
    pub input: InputArgs,
    /// Write the result to a file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Output format (workloads of the CDE are marked in text and json).
    #[arg(short, long, default_value = "text", value_parser = output::accepting(LIST_FORMATS))]
    pub format: Format,
    #[command(flatten)]
    pub common: CommonArgs,
}

const LIST_FORMATS: &[Format] = &[Format::Text, Format::Json, Format::Csv, Format::Dot, Format::Mermaid];

#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// Source: `ns/name`, `ns/name[Kind]`, a unique workload name, an IPv4 address, or
    /// `{ingress-controller}` (traffic from outside through Ingresses, Routes and Gateway API
    /// routes; --to is then a workload).
    #[arg(long)]
    pub from: String,
    /// Destination, in the same forms as --from.
    #[arg(long)]
    pub to: String,
    /// One connection to ask about: `TCP/8080`, `UDP/53`, `8080` (TCP).
    #[arg(long, value_parser = parse_port)]
    pub port: Option<(Protocol, u16)>,
    /// Output format.
    #[arg(short, long, default_value = "text", value_parser = output::accepting(TEXT_JSON))]
    pub format: Format,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Kinds reachability is computed from: a collection without one of them answers on partial
/// data.
const READS: &[&str] = &["Namespace", "NetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy"];

fn parse_port(s: &str) -> Result<(Protocol, u16), String> {
    parse_port_spec(s).ok_or_else(|| format!("expected PROTOCOL/PORT such as TCP/8080, got {s:?}"))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::List(a) => list(a),
        Command::Explain(a) => explain(a),
    }
}

/// The reachability of the input, with the inventory it was computed on and whether the input
/// was incomplete. Input problems and policies that could not be compiled go to stderr.
fn analyse(common: &CommonArgs, command: &str) -> anyhow::Result<(Reachability, Inventory, bool)> {
    let (input, config) = common.input.load(command)?;
    input.print_errors();
    let incomplete = input.unreadable() > 0 || input.lacks_any(READS) || input.lacks_any(POD_KINDS);
    let inv = Inventory::build(input.objects, config);
    let r = Reachability::compute_with(&inv, Options { host_network_exempt: !common.host_network_as_pod });
    for w in r.warnings() {
        eprintln!("{w}");
    }
    Ok((r, inv, incomplete))
}

/// For each of the reachability's workloads: whether it belongs to the cardholder data
/// environment (by labels or kubepci.yaml, as the inventory classifies it).
fn cde_workloads(r: &Reachability, inv: &Inventory) -> Vec<bool> {
    let workloads = inv.workloads();
    r.workloads().iter().map(|w| w.inventory_workloads.iter().any(|&i| workloads.get(i).is_some_and(|w| w.scope.scope == Scope::Cde))).collect()
}

fn list(args: ListArgs) -> anyhow::Result<ExitCode> {
    let format = match args.format {
        Format::Json => ListFormat::Json,
        Format::Csv => ListFormat::Csv,
        Format::Dot => ListFormat::Dot,
        Format::Mermaid => ListFormat::Mermaid,
        _ => ListFormat::Txt,
    };
    let (r, inv, incomplete) = analyse(&args.common, "netpol list")?;
    let rendered = render_marked(&r, format, &cde_workloads(&r, &inv));
    output::emit(args.common.output.as_deref(), |out| out.write_all(rendered.as_bytes()))?;
    Ok(if incomplete { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

fn explain(args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let (r, _, incomplete) = analyse(&args.common, "netpol explain")?;
    if args.from == INGRESS_CONTROLLER {
        return explain_ingress(&r, &args, incomplete);
    }
    let Some(src) = r.find_endpoint(&args.from, true) else {
        anyhow::bail!("--from {:?}: no such workload (use ns/name or ns/name[Kind]), IPv4 address or {INGRESS_CONTROLLER}", args.from);
    };
    let Some(dst) = r.find_endpoint(&args.to, false) else {
        anyhow::bail!("--to {:?}: no such workload (use ns/name or ns/name[Kind]) or IPv4 address", args.to);
    };
    let e = r.explain(src, dst, args.port);
    print_verdict(&args, &e, e.allowed, incomplete)
}

/// `--from '{ingress-controller}'`: the paths into a workload through the ingress controllers.
fn explain_ingress(r: &Reachability, args: &ExplainArgs, incomplete: bool) -> anyhow::Result<ExitCode> {
    let Some(Endpoint::Workload(dst)) = r.find_endpoint(&args.to, false) else {
        anyhow::bail!("--to {:?}: no such workload (use ns/name or ns/name[Kind]); with --from {INGRESS_CONTROLLER} the destination is a workload", args.to);
    };
    let e = r.explain_ingress(dst, args.port);
    print_verdict(args, &e, e.allowed, incomplete)
}

/// Write an explanation in the asked format; exit 0 when allowed, 1 when denied, 2 when the
/// input was incomplete (whatever the answer).
fn print_verdict<E: serde::Serialize + std::fmt::Display>(args: &ExplainArgs, e: &E, allowed: bool, incomplete: bool) -> anyhow::Result<ExitCode> {
    output::emit(args.common.output.as_deref(), |out| match args.format {
        Format::Json => output::write_json(out, e),
        _ => write!(out, "{e}"),
    })?;
    Ok(if incomplete {
        ExitCode::from(2)
    } else if allowed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
