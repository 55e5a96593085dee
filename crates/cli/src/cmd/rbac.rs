//! `kubepci rbac`: effective RBAC over manifests, a snapshot or a live cluster.
//!
//! - `who-can VERB RESOURCE[/SUB] [-n NS] [--name NAME]` (or `who-can get /healthz`)
//! - `subject KIND:NAME[:NAMESPACE]`
//! - `paths --to-cde`
//! - `review [--format csv|json|text] [--diff OLD.json]`
//!
//! Each reads its input like every command (`kubepci::input`: paths, `--snapshot`, a live
//! cluster, `-c kubepci.yaml` for the CDE namespaces and approved subjects). Documents that
//! cannot be read are reported on stderr as `file:line:col: message`; the rest is still
//! analysed. Exit codes: 0 done; 1 `paths` found a path into the CDE; 2 usage error or
//! incomplete input (a document that could not be read, or an RBAC kind that a snapshot or
//! live collection lacks).

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use kubepci::input::InputArgs;
use kubepci::output::{self, Format, TEXT_JSON, write_json};
use kubepci_inventory::Inventory;
use kubepci_rbac::review::{self, Review, ReviewDiff, ReviewEntry};
use kubepci_rbac::{EscalationGraph, Model, NamespaceFilter, Request, Subject, parse_resource_arg};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

/// What every `rbac` subcommand reads and where it writes.
#[derive(clap::Args, Debug)]
pub struct Common {
    #[command(flatten)]
    pub input: InputArgs,
    /// Write the result to a file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Every subject that can make a request, and the bindings and roles that grant it.
    WhoCan {
        /// API verb (get, list, create, exec is `create pods/exec`, ...), or `*`.
        verb: String,
        /// `pods`, `pods/exec`, `deployments.apps`, or a non-resource URL such as `/healthz`.
        resource: String,
        /// Namespace of the request; without it, grants anywhere are listed with their scope.
        #[arg(short = 'n', long)]
        namespace: Option<String>,
        /// Only grants that cover this object name (resourceNames).
        #[arg(long)]
        name: Option<String>,
        /// Requests without a namespace only (cluster-scoped): ClusterRoleBindings.
        #[arg(long, conflicts_with = "namespace")]
        cluster: bool,
        /// Output format.
        #[arg(short, long, default_value = "text", value_parser = output::accepting(TEXT_JSON))]
        format: Format,
        #[command(flatten)]
        common: Common,
    },
    /// A subject's effective permissions, per namespace and cluster-wide.
    Subject {
        /// `User:alice`, `Group:devs`, `ServiceAccount:NAME:NAMESPACE`.
        subject: String,
        /// Output format.
        #[arg(short, long, default_value = "text", value_parser = output::accepting(TEXT_JSON))]
        format: Format,
        #[command(flatten)]
        common: Common,
    },
    /// Escalation paths that end in access to a CDE namespace, each step named.
    Paths {
        /// Paths into namespaces classified `cde` (the only target for now).
        #[arg(long, required = true)]
        to_cde: bool,
        /// Output format.
        #[arg(short, long, default_value = "text", value_parser = output::accepting(TEXT_JSON))]
        format: Format,
        #[command(flatten)]
        common: Common,
    },
    /// The access-review sheet (PCI DSS 7.2.4 / 7.2.5.1), stamped with the input's digest and time.
    Review {
        /// Output format (csv: the sheet to fill in, with approver, decision and comment columns).
        #[arg(short, long, default_value = "csv", value_parser = output::accepting(REVIEW_FORMATS))]
        format: Format,
        /// An earlier review (JSON) to compare with: prints what was added, removed or changed.
        #[arg(long, value_name = "OLD")]
        diff: Option<PathBuf>,
        /// API audit logs (files, .gz, rotated sets): adds "last active" and "granted but never
        /// used" to every grant (PCI DSS 7.2.4). Repeatable.
        #[arg(long, value_name = "LOG")]
        audit: Vec<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
}

const REVIEW_FORMATS: &[Format] = &[Format::Csv, Format::Json, Format::Text];

/// Kinds the RBAC model is built from: a collection without one of them answers on partial data.
const READS: &[&str] = &["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ServiceAccount", "Namespace"];

struct Loaded {
    inv: Inventory,
    model: Model,
    incomplete: bool,
}

fn load(input: &InputArgs, command: &str) -> anyhow::Result<Loaded> {
    let (input, config) = input.load(command)?;
    input.print_errors();
    let incomplete = input.unreadable() > 0 || input.lacks_any(READS);
    let inv = Inventory::build(input.objects, config);
    let model = Model::build(&inv.objects);
    Ok(Loaded { inv, model, incomplete })
}

fn done(incomplete: bool, found: bool) -> ExitCode {
    if incomplete {
        ExitCode::from(2)
    } else if found {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::WhoCan { verb, resource, namespace, name, cluster, format, common } => {
            let l = load(&common.input, "rbac who-can")?;
            let request = if resource.starts_with('/') {
                Request::non_resource(&verb, &resource)
            } else {
                let (group, res, sub) = parse_resource_arg(&resource);
                Request::resource(&verb, &group, &res, &sub, name.as_deref().unwrap_or(""))
            };
            let filter = match (namespace, cluster) {
                (Some(ns), _) => NamespaceFilter::Namespace(ns),
                (None, true) => NamespaceFilter::Cluster,
                (None, false) => NamespaceFilter::Any,
            };
            let entries = l.model.who_can_entries(&request, &filter);
            output::emit(common.output.as_deref(), |out| {
                if format == Format::Json {
                    return write_json(out, &entries);
                }
                writeln!(out, "{:<15} {:<40} {:<15} VIA", "KIND", "NAME", "NAMESPACE")?;
                for e in &entries {
                    for g in &e.grants {
                        writeln!(out, "{:<15} {:<40} {:<15} {} → {} ({})", e.kind, e.name, e.namespace.as_deref().unwrap_or(""), g.binding, g.role, g.scope.label())?;
                    }
                }
                Ok(())
            })?;
            Ok(done(l.incomplete, false))
        }
        Command::Subject { subject, format, common } => {
            let subject: Subject = subject.parse().map_err(anyhow::Error::msg)?;
            let l = load(&common.input, "rbac subject")?;
            let rows = l.model.effective_rules(&subject);
            output::emit(common.output.as_deref(), |out| {
                if format == Format::Json {
                    return write_json(out, &serde_json::json!({ "subject": subject, "rules": rows }));
                }
                writeln!(out, "{subject}: {} effective {}", rows.len(), kubepci_findings::noun(rows.len(), "permission", "permissions"))?;
                writeln!(out, "{:<22} {:<10} {:<28} {:<30} {:<14} VIA", "SCOPE", "VERB", "API GROUP", "RESOURCE", "NAME")?;
                for r in &rows {
                    let resource = if r.rule.non_resource_url.is_empty() { r.rule.resource.clone() } else { r.rule.non_resource_url.clone() };
                    let group = if r.rule.api_group.is_empty() && r.rule.non_resource_url.is_empty() { "core" } else { &r.rule.api_group };
                    let via = match &r.via {
                        Some(g) => format!("{} → {} (as {g})", r.binding, r.role),
                        None => format!("{} → {}", r.binding, r.role),
                    };
                    writeln!(out, "{:<22} {:<10} {:<28} {:<30} {:<14} {via}", r.scope.label(), r.rule.verb, group, resource, r.rule.resource_name)?;
                }
                Ok(())
            })?;
            Ok(done(l.incomplete, false))
        }
        Command::Paths { to_cde: _, format, common } => {
            let l = load(&common.input, "rbac paths")?;
            let graph = EscalationGraph::new(&l.model, &l.inv);
            if graph.cde_namespaces().is_empty() {
                eprintln!("note: no namespace is classified cde (label pci.kubepci.io/scope=cde or kubepci.yaml scope.cde); no paths to look for");
            }
            let paths = graph.all_paths();
            output::emit(common.output.as_deref(), |out| {
                if format == Format::Json {
                    return write_json(out, &paths);
                }
                for p in &paths {
                    let steps = kubepci_findings::noun(p.steps.len(), "step", "steps");
                    writeln!(out, "{} → CDE namespace {} ({} {steps}): {}", p.start, p.cde_namespace, p.steps.len(), p.access)?;
                    for (i, s) in p.steps.iter().enumerate() {
                        writeln!(out, "    {}. {} can {}", i + 1, s.from, s.action)?;
                    }
                }
                let (n, cde) = (paths.len(), graph.cde_namespaces().len());
                writeln!(out, "{n} {} into {cde} CDE {}", kubepci_findings::noun(n, "path", "paths"), kubepci_findings::noun(cde, "namespace", "namespaces"))
            })?;
            Ok(done(l.incomplete, !paths.is_empty()))
        }
        Command::Review { format, diff, audit, common } => {
            let l = load(&common.input, "rbac review")?;
            let digest = review::input_digest(&l.inv.objects);
            let mut sheet = review::build(&l.model, &l.inv, &digest, &kubepci_base::time::rfc3339(kubepci_base::time::now_epoch()));
            if !audit.is_empty() {
                add_audit_activity(&mut sheet, &l.model, &audit)?;
            }
            if let Some(old_path) = diff {
                let text = std::fs::read_to_string(&old_path).with_context(|| format!("reading {}", old_path.display()))?;
                let old: Review = serde_json::from_str(&text).with_context(|| format!("{}: not a kubepci review in JSON", old_path.display()))?;
                let d = review::diff(&old, &sheet);
                output::emit(common.output.as_deref(), |out| match format {
                    Format::Json => write_json(out, &d),
                    Format::Text => write_diff_text(out, &d),
                    _ => write_diff_csv(out, &d, &sheet),
                })?;
            } else {
                output::emit(common.output.as_deref(), |out| match format {
                    Format::Json => write_json(out, &sheet),
                    Format::Text => write_review_text(out, &sheet),
                    _ => out.write_all(review::to_csv(&sheet).as_bytes()),
                })?;
            }
            Ok(done(l.incomplete, false))
        }
    }
}

/// Read the audit logs and add each grant's last activity and unused rules to the sheet.
fn add_audit_activity(sheet: &mut Review, model: &Model, logs: &[PathBuf]) -> anyhow::Result<()> {
    let activity = super::audit::activity_from_logs(logs)?;
    let window = activity.window.clone().unwrap_or_else(|| "no timestamps in the logs".into());
    review::add_activity(sheet, model, &window, |subject| {
        let user = match subject.kind {
            kubepci_rbac::SubjectKind::Group => return None,
            kubepci_rbac::SubjectKind::User => subject.name.clone(),
            kubepci_rbac::SubjectKind::ServiceAccount => format!("system:serviceaccount:{}:{}", subject.namespace.as_deref().unwrap_or("default"), subject.name),
        };
        Some(match activity.by_user.get(&user) {
            None => (None, Vec::new()),
            Some(a) => (
                a.last_seen.clone(),
                a.uses
                    .iter()
                    .filter(|u| u.allowed)
                    .map(|u| review::UsedRequest {
                        verb: u.verb.clone(),
                        api_group: u.api_group.clone(),
                        resource: if u.subresource.is_empty() { u.resource.clone() } else { format!("{}/{}", u.resource, u.subresource) },
                        namespace: u.namespace.clone(),
                    })
                    .collect(),
            ),
        })
    });
    Ok(())
}

/// The diff as CSV: the sheet's columns after a `change` column.
fn write_diff_csv(out: &mut dyn Write, d: &ReviewDiff, sheet: &Review) -> io::Result<()> {
    writeln!(out, "change,{}", review::CSV_HEADER)?;
    let rows = |r: &Review| review::to_csv(r).lines().skip_while(|l| l.starts_with('#')).skip(1).map(str::to_string).collect::<Vec<_>>();
    let one = |e: &ReviewEntry| rows(&Review { entries: vec![e.clone()], ..sheet.clone() }).concat();
    for e in &d.added {
        writeln!(out, "added,{}", one(e))?;
    }
    for e in &d.removed {
        writeln!(out, "removed,{}", one(e))?;
    }
    for (o, n) in &d.changed {
        writeln!(out, "changed-from,{}", one(o))?;
        writeln!(out, "changed-to,{}", one(n))?;
    }
    Ok(())
}

/// One review entry for people: who, where, through what, and what it allows.
fn write_entry_text(out: &mut dyn Write, mark: &str, e: &ReviewEntry) -> io::Result<()> {
    let approved = if e.approved_in_config { ", approved in kubepci.yaml" } else { "" };
    let scope = if e.scope == "cluster-wide" { e.scope.clone() } else { format!("in {} ({})", e.scope, e.scope_class) };
    writeln!(out, "{mark}{} {scope}: {} → {}{approved}", e.subject, e.binding, e.role)?;
    writeln!(out, "    rights: {}", e.rights.join("; "))?;
    if let Some(last) = &e.last_active {
        writeln!(out, "    last active: {last}")?;
    }
    if let Some(unused) = &e.granted_never_used {
        writeln!(out, "    granted, never used: {}", if unused.is_empty() { "nothing".to_string() } else { unused.join("; ") })?;
    }
    if !e.capabilities.is_empty() {
        writeln!(out, "    capabilities: {}", e.capabilities.join(" "))?;
    }
    Ok(())
}

fn write_review_text(out: &mut dyn Write, r: &Review) -> io::Result<()> {
    writeln!(out, "RBAC access review (PCI DSS 7.2.4, 7.2.5.1), generated {}", r.generated_at)?;
    writeln!(out, "input sha256 {} · CDE namespaces: {}", r.input_sha256, if r.cde_namespaces.is_empty() { "none".to_string() } else { r.cde_namespaces.join(", ") })?;
    for e in &r.entries {
        write_entry_text(out, "", e)?;
    }
    writeln!(out, "{} {} to review", r.entries.len(), kubepci_findings::noun(r.entries.len(), "grant", "grants"))
}

fn write_diff_text(out: &mut dyn Write, d: &ReviewDiff) -> io::Result<()> {
    writeln!(out, "RBAC access review changes: input sha256 {} → {}", d.old_input_sha256, d.new_input_sha256)?;
    for e in &d.added {
        write_entry_text(out, "+ ", e)?;
    }
    for e in &d.removed {
        write_entry_text(out, "- ", e)?;
    }
    for (o, n) in &d.changed {
        write_entry_text(out, "~ was ", o)?;
        write_entry_text(out, "~ now ", n)?;
    }
    writeln!(out, "{} added, {} removed, {} changed", d.added.len(), d.removed.len(), d.changed.len())
}
