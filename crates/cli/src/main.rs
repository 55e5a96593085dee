//! The `kubepci` command line (also installed as the kubectl plugin `kubectl-pci`).

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "kubepci", version, about = "PCI DSS v4.0.1 assessment for Kubernetes")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Evaluate pod templates against the Kubernetes Pod Security Standards.
    Pss(cmd::pss::Args),
    /// Find card numbers (PANs) in files, directories or stdin.
    #[command(subcommand_value_name = "COMMAND")]
    Pan(cmd::pan::Args),
    /// NetworkPolicy reachability: list and explain allowed connections.
    Netpol(cmd::netpol::Args),
    /// Effective RBAC: who-can, subject rights, escalation paths, access review.
    Rbac(cmd::rbac::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Pss(a) => cmd::pss::run(a),
        Command::Pan(a) => cmd::pan::run(a),
        Command::Netpol(a) => cmd::netpol::run(a),
        Command::Rbac(a) => cmd::rbac::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
