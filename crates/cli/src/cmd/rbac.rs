//! `kubepci rbac`: effective RBAC over manifests or a snapshot.
//!
//! - `who-can VERB RESOURCE[/SUB] [-n NS] [--name NAME] PATHS…` (or `who-can get /healthz`)
//! - `subject KIND:NAME[:NAMESPACE] PATHS…`
//! - `paths --to-cde PATHS…`
//! - `review PATHS… --format csv|json [--diff OLD.json]`
//!
//! Documents that cannot be read are reported on stderr as `file:line:col: message`; the rest
//! is still analysed. Exit codes: 0 done; 1 `paths` found a path into the CDE; 2 usage error
//! or unreadable input.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use kubepci_rbac::inventory::{Config, Inventory};
use kubepci_rbac::review::{self, Review};
use kubepci_rbac::source::load_paths;
use kubepci_rbac::{EscalationGraph, Model, NamespaceFilter, Request, Subject, parse_resource_arg};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewFormat {
    Csv,
    Json,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Args, Debug)]
pub struct Input {
    /// Manifest files or directories (recursively .yaml/.yml/.json); `-` reads stdin.
    #[arg(required = true, value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
    /// kubepci.yaml with scope (CDE namespaces) and approved subjects.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
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
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        input: Input,
    },
    /// A subject's effective permissions, per namespace and cluster-wide.
    Subject {
        /// `User:alice`, `Group:devs`, `ServiceAccount:NAME:NAMESPACE`.
        subject: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        input: Input,
    },
    /// Escalation paths that end in access to a CDE namespace, each step named.
    Paths {
        /// Paths into namespaces classified `cde` (the only target for now).
        #[arg(long, required = true)]
        to_cde: bool,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        input: Input,
    },
    /// The access-review sheet (PCI DSS 7.2.4 / 7.2.5.1), stamped with the input's digest and time.
    Review {
        #[arg(long, value_enum, default_value_t = ReviewFormat::Csv)]
        format: ReviewFormat,
        /// An earlier review (JSON) to compare with: prints what was added, removed or changed.
        #[arg(long, value_name = "OLD")]
        diff: Option<PathBuf>,
        #[command(flatten)]
        input: Input,
    },
}

struct Loaded {
    inv: Inventory,
    model: Model,
    had_errors: bool,
}

fn load(input: &Input) -> anyhow::Result<Loaded> {
    let config = match &input.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            Config::from_yaml(&path.display().to_string(), &text)?
        }
        None => Config::default(),
    };
    let loaded = load_paths(&input.paths);
    for e in &loaded.errors {
        eprintln!("{e}");
    }
    let inv = Inventory::build(loaded.objects, config);
    let model = Model::build(&inv.objects);
    Ok(Loaded { inv, model, had_errors: !loaded.errors.is_empty() })
}

fn done(had_errors: bool, found: bool) -> ExitCode {
    if had_errors {
        ExitCode::from(2)
    } else if found {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut out = BufWriter::new(io::stdout().lock());
    let code = match args.command {
        Command::WhoCan { verb, resource, namespace, name, cluster, format, input } => {
            let l = load(&input)?;
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
            match format {
                Format::Json => {
                    serde_json::to_writer_pretty(&mut out, &entries)?;
                    writeln!(out)?;
                }
                Format::Table => {
                    writeln!(out, "{:<15} {:<40} {:<15} VIA", "KIND", "NAME", "NAMESPACE")?;
                    for e in &entries {
                        for g in &e.grants {
                            writeln!(
                                out,
                                "{:<15} {:<40} {:<15} {} → {} ({})",
                                e.kind,
                                e.name,
                                e.namespace.as_deref().unwrap_or(""),
                                g.binding,
                                g.role,
                                g.scope.label()
                            )?;
                        }
                    }
                }
            }
            done(l.had_errors, false)
        }
        Command::Subject { subject, format, input } => {
            let subject: Subject = subject.parse().map_err(anyhow::Error::msg)?;
            let l = load(&input)?;
            let rows = l.model.effective_rules(&subject);
            match format {
                Format::Json => {
                    serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "subject": subject, "rules": rows }))?;
                    writeln!(out)?;
                }
                Format::Table => {
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
                }
            }
            done(l.had_errors, false)
        }
        Command::Paths { to_cde: _, format, input } => {
            let l = load(&input)?;
            let graph = EscalationGraph::new(&l.model, &l.inv);
            if graph.cde_namespaces().is_empty() {
                eprintln!("note: no namespace is classified cde (label pci.kubepci.io/scope=cde or kubepci.yaml scope.cde); no paths to look for");
            }
            let paths = graph.all_paths();
            match format {
                Format::Json => {
                    serde_json::to_writer_pretty(&mut out, &paths)?;
                    writeln!(out)?;
                }
                Format::Table => {
                    for p in &paths {
                        let steps = kubepci_findings::noun(p.steps.len(), "step", "steps");
                        writeln!(out, "{} → CDE namespace {} ({} {steps}): {}", p.start, p.cde_namespace, p.steps.len(), p.access)?;
                        for (i, s) in p.steps.iter().enumerate() {
                            writeln!(out, "    {}. {} can {}", i + 1, s.from, s.action)?;
                        }
                    }
                    let (n, cde) = (paths.len(), graph.cde_namespaces().len());
                    writeln!(out, "{n} {} into {cde} CDE {}", kubepci_findings::noun(n, "path", "paths"), kubepci_findings::noun(cde, "namespace", "namespaces"))?;
                }
            }
            done(l.had_errors, !paths.is_empty())
        }
        Command::Review { format, diff, input } => {
            let l = load(&input)?;
            let digest = review::input_digest(&l.inv.objects);
            let sheet = review::build(&l.model, &l.inv, &digest, &kubepci_base::time::rfc3339(kubepci_base::time::now_epoch()));
            if let Some(old_path) = diff {
                let text = std::fs::read_to_string(&old_path).with_context(|| format!("reading {}", old_path.display()))?;
                let old: Review = serde_json::from_str(&text).with_context(|| format!("{}: not a kubepci review in JSON", old_path.display()))?;
                let d = review::diff(&old, &sheet);
                match format {
                    ReviewFormat::Json => {
                        serde_json::to_writer_pretty(&mut out, &d)?;
                        writeln!(out)?;
                    }
                    ReviewFormat::Csv => {
                        writeln!(out, "change,{}", review::CSV_HEADER)?;
                        let rows = |r: &Review| review::to_csv(r).lines().skip_while(|l| l.starts_with('#')).skip(1).map(str::to_string).collect::<Vec<_>>();
                        let one = |e: &review::ReviewEntry| rows(&Review { entries: vec![e.clone()], ..sheet.clone() }).concat();
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
                    }
                }
            } else {
                match format {
                    ReviewFormat::Json => {
                        serde_json::to_writer_pretty(&mut out, &sheet)?;
                        writeln!(out)?;
                    }
                    ReviewFormat::Csv => out.write_all(review::to_csv(&sheet).as_bytes())?,
                }
            }
            done(l.had_errors, false)
        }
    };
    out.flush()?;
    Ok(code)
}
