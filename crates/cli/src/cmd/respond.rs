//! `kubepci respond`: incident response (PCI DSS 12.10) that can be executed.
//!
//! - `quarantine NS/Kind/NAME [--reason TEXT] [--incident ID] [--evidence DIR|FILE.tar.gz]
//!   [--keep-card-data] [--cordon] [--apply [--yes]]`: prints the plan (text, JSON or YAML);
//!   with `--apply` it captures the evidence first (to `--evidence`, else
//!   `./kubepci-evidence-<incident>.tar.gz`), asks for confirmation on a terminal (`--yes`
//!   for automation) and sends the plan's requests. `--snapshot FILE` plans offline (a table-top
//!   exercise); it cannot apply.
//! - `release NS/Kind/NAME [--incident ID] [--apply [--yes]]`: reads the record on the
//!   quarantine NetworkPolicy and undoes exactly that.
//!
//! The only kubepci command that writes to a cluster; it needs the opt-in role
//! `deploy/respond-clusterrole.yaml`. What it does and why: `docs/respond.md`.
//!
//! Exit codes: 0 planned (or applied); 1 a request of `--apply` failed (what was done is
//! printed, with how to undo it); 2 usage error, target not found, evidence not written, or
//! no confirmation.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use kubepci::input::{ClusterArgs, Input, load_config};
use kubepci_inventory::Inventory;
use kubepci_rbac::Model;
use kubepci_respond::cluster::{Outcome, Session};
use kubepci_respond::evidence::{self, Bundle, BundleMeta, Destination};
use kubepci_respond::plan::{ApiRequest, Method, default_incident_id, valid_incident_id};
use kubepci_respond::{QuarantineOptions, Target, plan_quarantine, plan_release, render};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Isolate a Pod, or every pod of a controller, after capturing evidence: a deny-all
    /// NetworkPolicy on a quarantine label, controllers handled, optional cordon, and the
    /// ServiceAccount revocation as a plan. Prints the plan unless --apply.
    Quarantine(QuarantineArgs),
    /// Undo exactly what a quarantine did (from the record on its NetworkPolicy).
    Release(ReleaseArgs),
}

/// How to reach the cluster (never reads Secrets).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Connection {
    /// Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then the in-cluster service account).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Seconds allowed for each API request.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub request_timeout: u64,
}

#[derive(clap::Args, Debug)]
pub struct QuarantineArgs {
    /// `namespace/Kind/name`: Kind one of Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
    /// Job, CronJob (kubectl short names too).
    pub target: Target,
    /// Why (recorded on the NetworkPolicy and in the evidence).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Incident id (the label value; lower-case letters, digits, '-'). Default:
    /// ir-YYYYMMDD-HHMMSS.
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    /// Capture evidence into this directory (new or empty) or .tar.gz file (new). Always done
    /// before --apply changes anything (default ./kubepci-evidence-<incident>.tar.gz).
    #[arg(long, value_name = "DIR|FILE.tar.gz")]
    pub evidence: Option<PathBuf>,
    /// Keep card numbers in captured logs and specs (the bundle is then marked as holding
    /// cardholder data). By default they are masked.
    #[arg(long)]
    pub keep_card_data: bool,
    /// Also cordon the nodes the pods run on.
    #[arg(long)]
    pub cordon: bool,
    /// Apply the plan (asks for confirmation on a terminal).
    #[arg(long)]
    pub apply: bool,
    /// Do not ask for confirmation (automation).
    #[arg(long, requires = "apply")]
    pub yes: bool,
    /// Plan format.
    #[arg(short, long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Plan from a snapshot written by `kubepci collect` instead of the live cluster (no
    /// --apply; the evidence then lacks pod status, events and logs).
    #[arg(long, value_name = "FILE", conflicts_with = "apply")]
    pub snapshot: Option<PathBuf>,
    /// The kubepci.yaml configuration (CDE scope for the reachability evidence).
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub connection: Connection,
}

#[derive(clap::Args, Debug)]
pub struct ReleaseArgs {
    /// `namespace/Kind/name`, as given to quarantine.
    pub target: Target,
    /// The incident to release (needed when the target was quarantined more than once).
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    /// Apply the release (asks for confirmation on a terminal).
    #[arg(long)]
    pub apply: bool,
    /// Do not ask for confirmation (automation).
    #[arg(long, requires = "apply")]
    pub yes: bool,
    /// Plan format.
    #[arg(short, long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    #[command(flatten)]
    pub connection: Connection,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanFormat {
    Text,
    Json,
    Yaml,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Quarantine(a) => quarantine(a),
        Command::Release(a) => release(a),
    }
}

fn quarantine(args: QuarantineArgs) -> anyhow::Result<ExitCode> {
    let epoch = kubepci_base::time::now_epoch();
    let incident = args.incident.clone().unwrap_or_else(|| default_incident_id(epoch));
    if !valid_incident_id(&incident) {
        bail!("--incident {incident:?}: use 1-40 lower-case letters, digits and '-', starting and ending with a letter or digit");
    }
    let input = match &args.snapshot {
        Some(path) => Input::from_snapshot(path)?,
        None => Input::from_cluster(&cluster_args(&args.connection))?,
    };
    input.print_errors();
    if input.lacks_any(&["Pod"]) {
        bail!("the pods of the cluster could not be listed, so the pods to isolate are unknown");
    }
    let source = input.sources.join(" ");
    let (config, _) = load_config(args.config.as_deref())?;
    let inv = Inventory::build(input.objects, config);
    let rbac = Model::build(&inv.objects);
    let opts = QuarantineOptions { incident: incident.clone(), reason: args.reason.clone(), cordon: args.cordon };
    let plan = plan_quarantine(&inv, &rbac, &args.target, &opts)?;

    print_plan(args.format, &plan, || render::quarantine_text(&plan))?;
    let session = match &args.snapshot {
        None if args.apply || args.evidence.is_some() => Some(connect(&args.connection)?),
        _ => None,
    };
    if let Some(s) = session.as_ref().filter(|_| args.apply) {
        confirm(args.yes, &format!("Quarantine {} (incident {incident}): capture evidence, then send {} requests to {}?", args.target, plan.requests.len(), s.endpoint))?;
    }
    // Evidence first: nothing is changed unless it was written.
    let evidence_path = match (&args.evidence, args.apply) {
        (Some(p), _) => Some(p.clone()),
        (None, true) => Some(PathBuf::from(format!("kubepci-evidence-{incident}.tar.gz"))),
        (None, false) => None,
    };
    if let Some(path) = &evidence_path {
        let mut bundle = Bundle::new(args.keep_card_data);
        evidence::add_analyses(&mut bundle, &plan, &inv, &rbac);
        match &session {
            Some(s) => evidence::capture_live(&mut bundle, &s.reader(), &plan),
            None => bundle.notes.push(format!("planned from {source}: the pods' status (image digests), events and logs were not read")),
        }
        let card_numbers = bundle.card_numbers;
        let meta = BundleMeta { incident: incident.clone(), target: args.target.to_string(), reason: args.reason.clone(), captured_at: kubepci_base::time::rfc3339(epoch), epoch, source: source.clone() };
        let files = bundle.finish(&meta);
        evidence::write(&files, &Destination::of(path), &format!("kubepci-evidence-{incident}"), epoch).with_context(|| format!("evidence not written to {}; nothing was changed", path.display()))?;
        let manifest = files.iter().find(|(p, _)| p == "manifest.json").map(|(_, c)| evidence::hex_sha256(c)).unwrap_or_default();
        let cards = match (card_numbers, args.keep_card_data) {
            (0, _) => String::new(),
            (n, false) => format!(", {n} card {} masked", kubepci_findings::noun(n, "number", "numbers")),
            (n, true) => format!(", {n} card {} KEPT: the bundle holds cardholder data", kubepci_findings::noun(n, "number", "numbers")),
        };
        eprintln!("evidence: {} ({} files{cards}; manifest.json sha256 {manifest})", path.display(), files.len());
    }

    let Some(session) = session.filter(|_| args.apply) else {
        eprintln!("dry run: nothing was changed; --apply sends these {} requests", plan.requests.len());
        return Ok(ExitCode::SUCCESS);
    };
    let undo = format!("kubepci respond release {} --incident {incident} --apply", args.target);
    Ok(send_all(&session, &plan.requests, false, &undo))
}

fn release(args: ReleaseArgs) -> anyhow::Result<ExitCode> {
    if let Some(i) = &args.incident
        && !valid_incident_id(i)
    {
        bail!("--incident {i:?} is not an incident id kubepci creates");
    }
    let session = connect(&args.connection)?;
    let ns = &args.target.namespace;
    let policies = session
        .reader()
        .list(&format!("/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies"), &format!("labelSelector={}", kubepci_respond::release::policy_selector().replace('=', "%3D").replace(',', "%2C")))
        .map_err(|e| anyhow::anyhow!("cannot list the NetworkPolicies of namespace {ns}: {e}"))?;
    let plan = plan_release(&args.target, &policies, args.incident.as_deref()).map_err(anyhow::Error::msg)?;
    print_plan(args.format, &plan, || render::release_text(&plan))?;
    if !args.apply {
        eprintln!("dry run: nothing was changed; --apply sends these {} requests", plan.requests.len());
        return Ok(ExitCode::SUCCESS);
    }
    confirm(args.yes, &format!("Release {} (incident {}): send {} requests to {}?", args.target, plan.incident, plan.requests.len(), session.endpoint))?;
    Ok(send_all(&session, &plan.requests, true, &format!("kubepci respond release {} --incident {} --apply", args.target, plan.incident)))
}

fn cluster_args(c: &Connection) -> ClusterArgs {
    ClusterArgs { kubeconfig: c.kubeconfig.clone(), context: c.context.clone(), include_secrets: false, page_size: 500, request_timeout: c.request_timeout, max_objects: kubepci_live::DEFAULT_MAX_OBJECTS }
}

fn connect(c: &Connection) -> anyhow::Result<Session> {
    Session::connect(c.kubeconfig.clone(), c.context.clone(), Duration::from_secs(c.request_timeout.max(1))).map_err(anyhow::Error::msg)
}

fn print_plan<T: serde::Serialize>(format: PlanFormat, plan: &T, text: impl FnOnce() -> String) -> anyhow::Result<()> {
    let rendered = match format {
        PlanFormat::Text => text(),
        PlanFormat::Json => format!("{}\n", serde_json::to_string_pretty(plan)?),
        PlanFormat::Yaml => yaml_serde::to_string(plan)?,
    };
    kubepci::output::emit(None, |out| out.write_all(rendered.as_bytes()))
}

/// Go ahead only when told to: `--yes`, or "yes" typed on a terminal.
fn confirm(yes: bool, question: &str) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        bail!("--apply asks for confirmation and stdin is not a terminal: pass --yes to apply without asking");
    }
    eprint!("{question} Type yes to apply: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        bail!("not applied (answer was not yes)");
    }
    Ok(())
}

/// Send the requests in order, printing each outcome on stderr. A quarantine stops at the first
/// failure; a release goes on past objects already gone (a pod deleted since), and stops at
/// any other failure so that its record (the policy, deleted last) stays for a rerun.
fn send_all(session: &Session, requests: &[ApiRequest], gone_is_ok: bool, undo: &str) -> ExitCode {
    let writer = session.writer();
    for (i, r) in requests.iter().enumerate() {
        match writer.send(r) {
            Outcome::Done => eprintln!("  done  {} {}", r.method.as_str(), r.path),
            Outcome::NotFound if gone_is_ok => eprintln!("  gone  {} {} (the object no longer exists)", r.method.as_str(), r.path),
            outcome => {
                let why = match outcome {
                    Outcome::Failed(e) => e.to_string(),
                    _ => "HTTP 404: not found".to_string(),
                };
                eprintln!("  FAILED {} {}: {why}", r.method.as_str(), r.path);
                eprintln!("{} of {} requests were applied; to undo them: {undo}", i, requests.len());
                if r.method == Method::Post && i == 0 && !gone_is_ok {
                    eprintln!("(nothing was changed: the first request failed)");
                }
                return ExitCode::from(1);
            }
        }
    }
    eprintln!("applied {} requests", requests.len());
    ExitCode::SUCCESS
}
