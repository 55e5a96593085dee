//! The `kubepci` command line (also installed as the kubectl plugin `kubectl-pci`).

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A scan allocates and frees millions of small values across threads; mimalloc does that
/// with less time in the allocator and in page faults than the system allocator (see
/// docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(name = "kubepci", version, about = "PCI DSS v4.0.1 assessment for Kubernetes")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Assess manifests, a cluster dump or a snapshot against PCI DSS v4.0.1.
    Scan(cmd::scan::Args),
    /// Write a starter kubepci.yaml proposed from the input: scope from namespace labels,
    /// registries of the CDE's images, its boundary flows to confirm.
    Init(cmd::init::Args),
    /// List, explain and document the checks.
    Checks(cmd::checks::Args),
    /// Write a read-only snapshot of a live cluster (evidence for the assessor).
    Collect(cmd::collect::Args),
    /// Signed evidence bundles: keygen, create (reports, snapshot, config, digests), verify.
    Evidence(cmd::evidence::Args),
    /// The exceptions of kubepci.yaml with their status: active, expiring, expired, unused.
    Exceptions(cmd::exceptions::Args),
    /// Evaluate pod templates against the Kubernetes Pod Security Standards.
    Pss(cmd::pss::Args),
    /// Find card numbers (PANs) in files, directories or stdin.
    Pan(cmd::pan::Args),
    /// NetworkPolicy reachability: list and explain allowed connections.
    Netpol(cmd::netpol::Args),
    /// Effective RBAC: who-can, subject rights, escalation paths, access review.
    Rbac(cmd::rbac::Args),
    /// Incident response: quarantine a workload (evidence first) and release it. The only
    /// command that writes to the cluster.
    Respond(cmd::respond::Args),
    /// Certificate and key inventory (PCI DSS 4.2.1.1): certificates, issuers and where keys
    /// are kept, never key material.
    Certs(cmd::certs::Args),
    /// Image vulnerabilities per workload or image, sorted by PCI urgency (CDE first, oldest
    /// overdue fix): scan coverage, report age, overdue critical fixes, end-of-life OS.
    Vulns(cmd::vulns::Args),
    /// Kubernetes API audit logs: PCI DSS requirement 10 alerts, activity, least privilege.
    Audit(cmd::audit::Args),
    /// Compare two assessments (two `scan -f json` reports or two history runs): new
    /// failures, fixed findings, scope and requirement status changes.
    Diff(cmd::diff::Args),
    /// Watch a live cluster and keep its assessment current: metrics, the report and the run
    /// history over HTTP.
    Serve(cmd::serve::Args),
    /// List the runs `kubepci serve` recorded.
    History(cmd::history::HistoryArgs),
    /// One row per cluster of the history: requirements failing, critical findings, last seen.
    Fleet(cmd::history::FleetArgs),
}

fn main() -> ExitCode {
    // Installed as `kubectl-pci`, kubectl runs us as `kubectl pci ARGS`: same commands.
    let cli = Cli::parse_from(plugin_args(std::env::args_os()));
    let result = match cli.command {
        Command::Scan(a) => cmd::scan::run(a),
        Command::Init(a) => cmd::init::run(a),
        Command::Checks(a) => cmd::checks::run(a),
        Command::Collect(a) => cmd::collect::run(a),
        Command::Evidence(a) => cmd::evidence::run(a),
        Command::Exceptions(a) => cmd::exceptions::run(a),
        Command::Pss(a) => cmd::pss::run(a),
        Command::Pan(a) => cmd::pan::run(a),
        Command::Netpol(a) => cmd::netpol::run(a),
        Command::Rbac(a) => cmd::rbac::run(a),
        Command::Respond(a) => cmd::respond::run(a),
        Command::Certs(a) => cmd::certs::run(a),
        Command::Vulns(a) => cmd::vulns::run(a),
        Command::Audit(a) => cmd::audit::run(a),
        Command::Diff(a) => cmd::diff::run(a),
        Command::Serve(a) => cmd::serve::run(a),
        Command::History(a) => cmd::history::history(a),
        Command::Fleet(a) => cmd::history::fleet(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Command-line arguments with the program name normalised, so that `kubectl-pci` (the kubectl
/// plugin name) prints help as `kubectl pci`.
fn plugin_args(args: impl Iterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let mut args: Vec<_> = args.collect();
    if let Some(first) = args.first_mut() {
        let is_plugin = std::path::Path::new(first).file_name().is_some_and(|n| n.to_string_lossy().starts_with("kubectl-pci"));
        *first = if is_plugin { "kubectl pci".into() } else { "kubepci".into() };
    }
    args
}
