//! `kubepci audit`: Kubernetes API audit logs for PCI DSS requirement 10 (and 7.2.5).
//!
//! - `analyze LOG…|- [-c kubepci.yaml] [--rules FILE]… [cluster inputs] [-f text|json|sarif]
//!   [-o FILE] [--fail-on SEVERITY] [--follow]`: alerts of the detection rules, grouped by
//!   requirement, per-identity activity, and the log's 10.2.2 completeness;
//! - `rbac --subject KIND:NAME LOG…`: the Role/ClusterRole and bindings covering what the
//!   subject did or tried, and (with cluster inputs) the difference from what it holds today;
//! - `rules [-f text|json]`: the rules in force, with their Falco and Panther equivalents.
//!
//! Cluster inputs (`--snapshot`, `--cluster-dump`, `--manifests`, `--kubeconfig`/`--context`)
//! give the RBAC model: cluster-admin holders count as administrators, CDE namespaces chosen by
//! label are resolved. Exit codes: 0 = done (no alert at or above `--fail-on`); 1 = an alert at
//! or above `--fail-on` that no exception covers; 2 = usage error or unreadable input (lines that
//! are not events are reported with file:line and skipped; they alone do not make it 2).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use kubepci::input::{ClusterArgs, InputArgs, load_config};
use kubepci::output::{self, Format};
use kubepci_audit::least_privilege::{self, Observed, SubjectSel};
use kubepci_audit::source::{self, Input, Report};
use kubepci_audit::{Alert, AlertException, Context, Engine, RuleSet, Severity};
use kubepci_inventory::{Config, Inventory};
use kubepci_rbac::{Model, Request, RoleKind, Subject};
use serde_json::{Value, json};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(clap::Subcommand, Debug)]
enum AuditCommand {
    /// Apply the detection rules to audit logs: alerts grouped by PCI DSS requirement,
    /// per-identity activity, and the completeness of the log (10.2.2).
    Analyze(AnalyzeArgs),
    /// Write the Role/ClusterRole and bindings that cover what one subject did or tried
    /// (allowed or denied), and compare with what it is granted today (7.2.5).
    Rbac(RbacArgs),
    /// List the detection rules in force (with --rules files applied).
    Rules(RulesArgs),
}

/// Where the RBAC model and namespaces come from (all optional).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ClusterInput {
    /// A snapshot written by `kubepci collect`.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// A full cluster dump (`kubectl get -A -o json` output, files or directories).
    #[arg(long, value_name = "PATH")]
    pub cluster_dump: Vec<PathBuf>,
    /// Manifest files or directories.
    #[arg(long, value_name = "PATH")]
    pub manifests: Vec<PathBuf>,
    /// Read the live cluster (implied by --kubeconfig or --context). Read-only.
    #[arg(long)]
    pub live: bool,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

impl ClusterInput {
    fn given(&self) -> bool {
        self.snapshot.is_some() || !self.cluster_dump.is_empty() || !self.manifests.is_empty() || self.live || self.cluster.kubeconfig.is_some() || self.cluster.context.is_some()
    }

    /// The cluster's objects as an inventory, when any input is given.
    fn load(&self, config: &Config, command: &str) -> anyhow::Result<Option<Inventory>> {
        if !self.given() {
            return Ok(None);
        }
        let mut paths = self.manifests.clone();
        paths.extend(self.cluster_dump.iter().cloned());
        let args = InputArgs {
            paths,
            snapshot: self.snapshot.clone(),
            live: self.live,
            cluster: self.cluster.clone(),
            cluster_dump: !self.cluster_dump.is_empty(),
            ..InputArgs::default()
        };
        let input = args.load_objects(command)?;
        input.print_errors();
        Ok(Some(Inventory::build(input.objects, config.clone())))
    }
}

#[derive(clap::Args, Debug)]
struct LogArgs {
    /// Audit log files (JSON Lines, EventList, .gz; AKS/EKS exports), or `-` for stdin. A
    /// rotated set is read in time order.
    #[arg(required = true, value_name = "LOG")]
    logs: Vec<PathBuf>,
    /// Read the files in the order given instead of ordering them by their first event's time.
    #[arg(long)]
    keep_order: bool,
}

impl LogArgs {
    fn inputs(&self) -> Vec<Input> {
        let files: Vec<PathBuf> = self.logs.iter().filter(|p| p.as_os_str() != "-").cloned().collect();
        let mut out: Vec<Input> = if self.keep_order { files.into_iter().map(Input::Path).collect() } else { source::order_by_time(&files).into_iter().map(Input::Path).collect() };
        if self.logs.iter().any(|p| p.as_os_str() == "-") {
            out.push(Input::Stdin);
        }
        out
    }
}

#[derive(clap::Args, Debug)]
struct AnalyzeArgs {
    #[command(flatten)]
    logs: LogArgs,
    /// The kubepci.yaml configuration (CDE namespaces, breakGlassUsers, exceptions). Defaults
    /// to ./kubepci.yaml when it exists.
    #[arg(short, long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// A rule file adding, replacing (same id) or disabling rules; repeatable, applied in order.
    #[arg(long, value_name = "FILE")]
    rules: Vec<PathBuf>,
    #[command(flatten)]
    cluster: ClusterInput,
    /// Output format.
    #[arg(short, long, default_value = "text", value_parser = output::accepting(FORMATS))]
    format: Format,
    /// Write the result to a file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit with status 1 when an alert at or above this severity is not excepted
    /// (info, low, medium, high, critical).
    #[arg(long, value_name = "SEVERITY")]
    fail_on: Option<String>,
    /// Keep reading one growing file (like `tail -f`), printing alerts as they appear (text
    /// lines, or one JSON alert per line with -f json) until interrupted.
    #[arg(long)]
    follow: bool,
    /// Alerts listed per requirement in the text output (0 = all).
    #[arg(long, value_name = "N", default_value_t = 50)]
    limit: usize,
    /// Alerts kept in full (0 = no limit). Beyond it, alerts are counted per rule
    /// (`summary.notListed`) but not listed, so that memory stays bounded on any log size.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_ALERTS)]
    max_alerts: usize,
}

/// About 100 MB of alerts.
pub const DEFAULT_MAX_ALERTS: usize = 50_000;

const FORMATS: &[Format] = &[Format::Text, Format::Json, Format::Sarif];

#[derive(clap::Args, Debug)]
struct RbacArgs {
    /// The subject: User:NAME, Group:NAME or ServiceAccount:NAMESPACE:NAME.
    #[arg(long, value_name = "KIND:NAME")]
    subject: String,
    #[command(flatten)]
    logs: LogArgs,
    #[command(flatten)]
    cluster: ClusterInput,
    /// The kubepci.yaml configuration (used with cluster inputs).
    #[arg(short, long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Output: the YAML manifests (text), or JSON with the comparison.
    #[arg(short, long, default_value = "text", value_parser = output::accepting(output::TEXT_JSON))]
    format: Format,
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct RulesArgs {
    #[arg(long, value_name = "FILE")]
    rules: Vec<PathBuf>,
    #[arg(short, long, default_value = "text", value_parser = output::accepting(output::TEXT_JSON))]
    format: Format,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        AuditCommand::Analyze(a) => analyze(a),
        AuditCommand::Rbac(a) => rbac(a),
        AuditCommand::Rules(a) => rules(a),
    }
}

fn load_rules(paths: &[PathBuf]) -> anyhow::Result<RuleSet> {
    let mut files = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(p).with_context(|| format!("cannot read rule file {}", p.display()))?;
        files.push((p.display().to_string(), text));
    }
    RuleSet::load(&files).map_err(|e| anyhow::anyhow!("{e}"))
}

/// Who is who: CDE namespaces (names from the configuration, and namespaces its selectors put
/// in the CDE when the cluster is given), break-glass users, cluster-admin holders.
fn context(config: &Config, inventory: Option<&Inventory>) -> Context {
    let mut cde: BTreeSet<String> = config.scope.cde.namespaces.iter().cloned().collect();
    let mut admin_users = BTreeSet::new();
    let mut admin_groups = BTreeSet::new();
    if let Some(inv) = inventory {
        cde.extend(inv.namespaces().filter(|n| inv.namespace_scope(&n.name) == kubepci_inventory::Scope::Cde).map(|n| n.name.clone()));
        let model = Model::build(&inv.objects);
        if let Some(role) = model.find_role(RoleKind::ClusterRole, None, "cluster-admin") {
            for &b in model.bindings_of_role(role) {
                let binding = &model.bindings[b];
                if binding.scope() != kubepci_rbac::GrantScope::Cluster {
                    continue;
                }
                for s in &binding.subjects {
                    match s.kind {
                        kubepci_rbac::SubjectKind::User => admin_users.insert(s.name.clone()),
                        kubepci_rbac::SubjectKind::Group => admin_groups.insert(s.name.clone()),
                        kubepci_rbac::SubjectKind::ServiceAccount => {
                            admin_users.insert(format!("system:serviceaccount:{}:{}", s.namespace.as_deref().unwrap_or("default"), s.name))
                        }
                    };
                }
            }
        }
    }
    Context {
        cde_namespaces: cde.into_iter().collect(),
        admin_users: admin_users.into_iter().collect(),
        admin_groups: admin_groups.into_iter().collect(),
        break_glass_users: config.break_glass_users.clone(),
    }
}

fn exceptions(config: &Config) -> Vec<AlertException> {
    config
        .exceptions
        .iter()
        .map(|x| AlertException { rule: x.check.clone(), object: x.object.clone(), reason: x.reason.clone(), approved_by: x.approved_by.clone(), expires: x.expires.clone() })
        .collect()
}

fn analyze(a: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let fail_on: Option<Severity> = a.fail_on.as_deref().map(str::parse).transpose().map_err(|e: String| anyhow::anyhow!(e))?;
    let (config, _) = load_config(a.config.as_deref())?;
    let rules = load_rules(&a.rules)?;
    let inventory = a.cluster.load(&config, "audit analyze")?;
    let ctx = context(&config, inventory.as_ref());
    let rbac_model = inventory.is_some();
    let engine = Engine::new(rules, ctx).with_max_alerts(a.max_alerts);
    let today = kubepci_base::time::date(kubepci_base::time::now_epoch());
    let exceptions = exceptions(&config);
    if a.follow {
        return follow(&a, &engine, &exceptions, &today, fail_on);
    }
    let inputs = a.logs.inputs();
    let mut report = source::analyze_inputs(&inputs, &engine).map_err(|e| anyhow::anyhow!("{e}"))?;
    kubepci_audit::apply_exceptions(&mut report.alerts, &exceptions, &today);
    for d in &report.diagnostics {
        eprintln!("warning: {d}");
    }
    if report.diagnostics_total > report.diagnostics.len() as u64 {
        eprintln!("warning: {} more lines could not be read", report.diagnostics_total - report.diagnostics.len() as u64);
    }
    let generated_at = kubepci_base::time::rfc3339(kubepci_base::time::now_epoch());
    output::emit(a.output.as_deref(), |out| match a.format {
        Format::Json => output::write_json(out, &to_json(&report, &engine, rbac_model, &generated_at)),
        Format::Sarif => output::write_json(out, &to_sarif(&report, &engine)),
        _ => write_text(out, &report, &engine, rbac_model, a.limit),
    })?;
    if !report.unlisted.is_empty() {
        let n: u64 = report.unlisted.values().map(|(_, n)| n).sum();
        eprintln!("note: {n} more alerts are counted but not listed (--max-alerts {}); see summary.notListed", a.max_alerts);
    }
    // Alerts not listed could not be matched against exceptions: they count against --fail-on.
    let unlisted_fail = fail_on.is_some_and(|t| report.unlisted.values().any(|(sev, _)| *sev >= t));
    let code = if fails(&report.alerts, fail_on) || unlisted_fail { ExitCode::from(1) } else { ExitCode::SUCCESS };
    // The process ends here: freeing tens of thousands of alerts piece by piece only delays
    // the exit (as `scan` does with its report).
    std::mem::forget(report);
    Ok(code)
}

fn fails(alerts: &[Alert], fail_on: Option<Severity>) -> bool {
    fail_on.is_some_and(|t| alerts.iter().any(|a| a.excepted.is_none() && a.severity >= t))
}

fn follow(a: &AnalyzeArgs, engine: &Engine, exceptions: &[AlertException], today: &str, fail_on: Option<Severity>) -> anyhow::Result<ExitCode> {
    let [path] = a.logs.logs.as_slice() else { anyhow::bail!("--follow reads exactly one file") };
    if path.as_os_str() == "-" {
        anyhow::bail!("--follow needs a file (stdin is read to its end without it)");
    }
    let mut failed = false;
    let mut out = io::stdout().lock();
    source::follow(path, engine, std::time::Duration::from_millis(500), &mut |mut alerts, diagnostics| {
        kubepci_audit::apply_exceptions(&mut alerts, exceptions, today);
        for d in diagnostics {
            eprintln!("warning: {d}");
        }
        failed |= fails(&alerts, fail_on);
        for alert in &alerts {
            let written = match a.format {
                Format::Json => serde_json::to_writer(&mut out, alert).map_err(io::Error::other).and_then(|()| writeln!(out)),
                _ => write_alert_line(&mut out, alert),
            };
            if written.and_then(|()| out.flush()).is_err() {
                return false;
            }
        }
        true
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// Per-identity activity from audit logs (for `rbac review --audit` and `scan --audit-log`).
pub struct LogActivity {
    pub by_user: BTreeMap<String, kubepci_audit::Activity>,
    /// `first .. last` event time.
    pub window: Option<String>,
}

pub fn activity_from_logs(logs: &[PathBuf]) -> anyhow::Result<LogActivity> {
    let inputs: Vec<Input> = source::order_by_time(logs).into_iter().map(Input::Path).collect();
    // Activity only: no rule needs to run.
    let engine = Engine::new(RuleSet { rules: Vec::new() }, Context::default());
    let report = source::analyze_inputs(&inputs, &engine).map_err(|e| anyhow::anyhow!("{e}"))?;
    for d in &report.diagnostics {
        eprintln!("warning: {d}");
    }
    Ok(LogActivity {
        window: report.window.as_ref().map(|((_, a), (_, b))| format!("{a} .. {b}")),
        by_user: report.activity.into_iter().map(|a| (a.user.clone(), a)).collect(),
    })
}

/// The `AuditActivity` object `scan --audit-log` adds to its input (JSON): the window the logs
/// cover and each identity's last request, with epoch seconds for the checks.
pub fn activity_summary(logs: &[PathBuf]) -> anyhow::Result<String> {
    let inputs: Vec<Input> = source::order_by_time(logs).into_iter().map(Input::Path).collect();
    let engine = Engine::new(RuleSet { rules: Vec::new() }, Context::default());
    let report = source::analyze_inputs(&inputs, &engine).map_err(|e| anyhow::anyhow!("{e}"))?;
    for d in &report.diagnostics {
        eprintln!("warning: {d}");
    }
    let epoch = |t: &str| kubepci_audit::time::parse_micros(t).map(|m| m.div_euclid(1_000_000));
    let window = report.window.as_ref().map(|((a, at), (b, bt))| json!({"first": at, "last": bt, "firstEpoch": a.div_euclid(1_000_000), "lastEpoch": b.div_euclid(1_000_000)}));
    let last_seen: serde_json::Map<String, Value> = report
        .activity
        .iter()
        .filter_map(|a| a.last_seen.as_deref().map(|t| (a.user.clone(), json!({"time": t, "epoch": epoch(t)}))))
        .collect();
    let object = json!({
        "apiVersion": "kubepci.io/v1",
        "kind": "AuditActivity",
        "metadata": {"name": "audit-logs"},
        "sources": logs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "events": report.completeness.events,
        "window": window,
        "lastSeen": last_seen,
    });
    Ok(object.to_string())
}

fn rule_summaries(engine: &Engine) -> Vec<Value> {
    engine
        .rules()
        .iter()
        .map(|r| {
            json!({"id": r.id, "title": r.title, "requirements": r.requirements, "severity": r.severity, "falco": r.falco, "panther": r.panther,
                   "alsoPanther": r.also_panther, "enabled": r.enabled, "needs": r.needs})
        })
        .collect()
}

/// The JSON report (docs/audit.md): written field by field, without building a document in
/// memory first (a long log can have hundreds of thousands of alerts).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonReport<'r> {
    api_version: &'static str,
    tool: Value,
    generated_at: &'r str,
    inputs: &'r [source::FileSummary],
    window: Value,
    context: Value,
    summary: Value,
    alerts: &'r [Alert],
    completeness: &'r kubepci_audit::Completeness,
    activity: &'r [kubepci_audit::Activity],
    diagnostics: &'r [kubepci_audit::Diagnostic],
    diagnostics_total: u64,
    rules_not_evaluated: Vec<Value>,
}

fn to_json<'r>(report: &'r Report, engine: &Engine, rbac_model: bool, generated_at: &'r str) -> JsonReport<'r> {
    let mut by_severity: BTreeMap<&str, u64> = BTreeMap::new();
    let mut by_rule: BTreeMap<&str, u64> = BTreeMap::new();
    let mut by_requirement: BTreeMap<&str, u64> = BTreeMap::new();
    let mut excepted = 0u64;
    for a in &report.alerts {
        if a.excepted.is_some() {
            excepted += 1;
            continue;
        }
        *by_severity.entry(a.severity.as_str()).or_default() += 1;
        *by_rule.entry(a.rule.as_str()).or_default() += 1;
        for r in &a.requirements {
            *by_requirement.entry(r.as_str()).or_default() += 1;
        }
    }
    let ctx = engine.context();
    JsonReport {
        api_version: "kubepci.io/audit-analysis/v1",
        tool: json!({"name": "kubepci", "version": env!("CARGO_PKG_VERSION")}),
        generated_at,
        inputs: &report.files,
        window: report.window.as_ref().map(|((_, first), (_, last))| json!({"first": first, "last": last})).unwrap_or(Value::Null),
        context: json!({"cdeNamespaces": ctx.cde_namespaces, "breakGlassUsers": ctx.break_glass_users, "adminUsers": ctx.admin_users, "adminGroups": ctx.admin_groups, "rbacModel": rbac_model}),
        summary: json!({"events": report.completeness.events, "alerts": report.alerts.len(), "excepted": excepted, "bySeverity": by_severity, "byRule": by_rule, "byRequirement": by_requirement,
                        "notListed": report.unlisted.iter().map(|(rule, (_, n))| (rule.clone(), *n)).collect::<BTreeMap<String, u64>>()}),
        alerts: &report.alerts,
        completeness: &report.completeness,
        activity: &report.activity,
        diagnostics: &report.diagnostics,
        diagnostics_total: report.diagnostics_total,
        rules_not_evaluated: engine.rules().iter().filter(|r| !r.enabled).map(|r| json!({"id": r.id, "falco": r.falco, "panther": r.panther, "needs": r.needs})).collect(),
    }
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

fn to_sarif(report: &Report, engine: &Engine) -> Value {
    let rules = engine.rules();
    let index: BTreeMap<&str, usize> = rules.iter().enumerate().map(|(i, r)| (r.id.as_str(), i)).collect();
    let results: Vec<Value> = report
        .alerts
        .iter()
        .map(|a| {
            let mut r = json!({
                "ruleId": a.rule,
                "ruleIndex": index.get(a.rule.as_str()),
                "level": sarif_level(a.severity),
                "message": {"text": alert_sentence(a)},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": a.file.as_ref()}, "region": {"startLine": a.line}}}],
                "properties": {"requirements": a.requirements, "auditID": a.audit_id, "time": a.time, "user": a.user, "impersonator": a.impersonator,
                               "sourceIPs": a.source_ips, "falco": a.falco, "panther": a.panther}
            });
            if let Some(b) = &a.burst {
                r["properties"]["burst"] = json!(b);
            }
            if let Some(x) = &a.excepted {
                r["suppressions"] = json!([{"kind": "external", "justification": format!("{} (approved by {})", x.reason, x.approved_by)}]);
            }
            r
        })
        .collect();
    let sarif_rules: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({"id": r.id, "name": r.title, "shortDescription": {"text": r.title}, "fullDescription": {"text": r.description},
                   "defaultConfiguration": {"level": sarif_level(r.severity), "enabled": r.enabled},
                   "properties": {"requirements": r.requirements, "falco": r.falco, "panther": r.panther}})
        })
        .collect();
    let notifications: Vec<Value> = report.diagnostics.iter().map(|d| json!({"level": "warning", "message": {"text": d.to_string()}})).collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "kubepci", "version": env!("CARGO_PKG_VERSION"), "rules": sarif_rules}},
            "invocations": [{"executionSuccessful": true, "toolExecutionNotifications": notifications}],
            "results": results
        }]
    })
}

fn object_text(a: &Alert) -> String {
    let o = &a.object;
    if o.resource.is_empty() {
        return o.path.clone();
    }
    let mut s = o.resource.clone();
    if !o.subresource.is_empty() {
        s = format!("{s}/{}", o.subresource);
    }
    match (o.namespace.is_empty(), o.name.is_empty()) {
        (false, false) => format!("{s} {}/{}", o.namespace, o.name),
        (false, true) => format!("{s} in {}", o.namespace),
        (true, false) => format!("{s} {}", o.name),
        (true, true) => s,
    }
}

fn alert_sentence(a: &Alert) -> String {
    let who = match &a.impersonator {
        Some(i) => format!("{} (impersonated by {i})", a.user),
        None => a.user.clone(),
    };
    let outcome = a.code.map(|c| format!(" → {c} {}", a.decision)).unwrap_or_default();
    // A threshold rule's alert stands for a burst; its other fields are one of its requests'.
    let burst = a
        .burst
        .as_ref()
        .map(|b| {
            let counted = match (b.distinct, b.requests) {
                (Some(what), Some(requests)) => format!("{} distinct {what}s in {requests} requests", b.count),
                _ => format!("{} requests", b.count),
            };
            format!(" — {counted} with {} {}, {} to {}", b.key, b.value, b.first_time.as_deref().unwrap_or("?"), b.last_time.as_deref().unwrap_or("?"))
        })
        .unwrap_or_default();
    format!("{}: {who} {} {}{outcome}{burst}", a.title, a.verb, object_text(a))
}

fn write_alert_line(out: &mut dyn Write, a: &Alert) -> io::Result<()> {
    let ips = if a.source_ips.is_empty() { String::new() } else { format!(" from {}", a.source_ips.join(",")) };
    let excepted = if a.excepted.is_some() { " [excepted]" } else { "" };
    writeln!(
        out,
        "  {} {:<8} {:<24} {}{ips}  ({}:{}){excepted}",
        a.time.as_deref().unwrap_or("(no time)"),
        a.severity.as_str().to_uppercase(),
        a.rule,
        alert_sentence(a),
        a.file,
        a.line
    )
}

fn write_text(out: &mut dyn Write, report: &Report, engine: &Engine, rbac_model: bool, limit: usize) -> io::Result<()> {
    let c = &report.completeness;
    writeln!(out, "kubepci audit analyze: {} events in {} {}", c.events, report.files.len(), if report.files.len() == 1 { "file" } else { "files" })?;
    if let Some(((_, first), (_, last))) = &report.window {
        writeln!(out, "window: {first} .. {last}")?;
    }
    let ctx = engine.context();
    writeln!(
        out,
        "context: CDE namespaces [{}], break-glass users [{}], administrators: system:masters{}{}",
        ctx.cde_namespaces.join(", "),
        ctx.break_glass_users.join(", "),
        if ctx.admin_users.is_empty() && ctx.admin_groups.is_empty() { String::new() } else { format!(", {}", ctx.admin_users.iter().chain(&ctx.admin_groups).cloned().collect::<Vec<_>>().join(", ")) },
        if rbac_model { "" } else { " (no RBAC model given: cluster-admin holders unknown)" }
    )?;
    let live: Vec<&Alert> = report.alerts.iter().filter(|a| a.excepted.is_none()).collect();
    let excepted = report.alerts.len() - live.len();
    writeln!(out, "{} alerts{}", live.len(), if excepted > 0 { format!(" ({excepted} more excepted)") } else { String::new() })?;
    if !report.unlisted.is_empty() {
        let list: Vec<String> = report.unlisted.iter().map(|(rule, (_, n))| format!("{rule} {n}")).collect();
        writeln!(out, "not listed (beyond --max-alerts, counted only): {}", list.join(", "))?;
    }
    let mut by_req: BTreeMap<&str, Vec<&Alert>> = BTreeMap::new();
    for a in &live {
        for r in &a.requirements {
            by_req.entry(r.as_str()).or_default().push(a);
        }
    }
    let mut reqs: Vec<&str> = by_req.keys().copied().collect();
    reqs.sort_by_key(|r| r.split('.').map(|p| p.parse::<u32>().unwrap_or(0)).collect::<Vec<_>>());
    for r in reqs {
        let alerts = &by_req[r];
        writeln!(out, "\nPCI DSS {r}: {} {}", alerts.len(), if alerts.len() == 1 { "alert" } else { "alerts" })?;
        let shown = if limit == 0 { alerts.len() } else { limit.min(alerts.len()) };
        for a in &alerts[..shown] {
            write_alert_line(out, a)?;
        }
        if shown < alerts.len() {
            writeln!(out, "  … {} more (all of them with -f json)", alerts.len() - shown)?;
        }
    }
    writeln!(out, "\n10.2.2 log completeness ({} events):", c.events)?;
    let gaps = c.gaps();
    if gaps.is_empty() {
        writeln!(out, "  every event has user, type, time, outcome, origin and resource")?;
    }
    for (field, n) in gaps {
        writeln!(out, "  {n} events without {field}")?;
    }
    writeln!(out, "\nActivity ({} identities, most requests first):", report.activity.len())?;
    let mut act: Vec<_> = report.activity.iter().collect();
    act.sort_by(|a, b| b.requests.cmp(&a.requests).then(a.user.cmp(&b.user)));
    for a in act.iter().take(if limit == 0 { usize::MAX } else { limit }) {
        writeln!(out, "  {:<48} last seen {:<28} {:>8} requests {:>6} failed  verbs: {}", a.user, a.last_seen.as_deref().unwrap_or("-"), a.requests, a.failures, a.verbs.keys().cloned().collect::<Vec<_>>().join(","))?;
    }
    let off: Vec<&str> = engine.rules().iter().filter(|r| !r.enabled).map(|r| r.id.as_str()).collect();
    if !off.is_empty() {
        writeln!(out, "\nNot evaluated (need data an audit log lacks; see `kubepci audit rules`): {}", off.join(", "))?;
    }
    if report.diagnostics_total > 0 {
        writeln!(out, "\n{} lines could not be read (listed on stderr)", report.diagnostics_total)?;
    }
    Ok(())
}

fn rules(a: RulesArgs) -> anyhow::Result<ExitCode> {
    let set = load_rules(&a.rules)?;
    let engine = Engine::new(set, Context::default());
    output::emit(None, |out| match a.format {
        Format::Json => output::write_json(out, &json!({"rules": rule_summaries(&engine)})),
        _ => {
            for r in engine.rules() {
                writeln!(out, "{:<26} {:<8} {:<22} {}{}", r.id, r.severity.as_str(), r.requirements.join(","), r.title, if r.enabled { "" } else { " (not evaluated)" })?;
                if let Some(f) = &r.falco {
                    writeln!(out, "{:<26} falco: {f}", "")?;
                }
                for p in r.panther.iter().chain(&r.also_panther) {
                    writeln!(out, "{:<26} panther: {p}", "")?;
                }
                if let Some(n) = &r.needs {
                    writeln!(out, "{:<26} needs: {n}", "")?;
                }
            }
            Ok(())
        }
    })?;
    Ok(ExitCode::SUCCESS)
}

fn rbac(a: RbacArgs) -> anyhow::Result<ExitCode> {
    let subject = SubjectSel::parse(&a.subject).map_err(|e| anyhow::anyhow!(e))?;
    let mut observed: BTreeSet<Observed> = BTreeSet::new();
    for input in a.logs.inputs() {
        let diagnostics = source::for_each_event(&input, &mut |e| {
            if let Some(o) = least_privilege::observe(e, &subject) {
                observed.insert(o);
            }
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        for d in diagnostics {
            eprintln!("warning: {d}");
        }
    }
    let generated = least_privilege::generate(&subject, &observed);
    let (config, _) = load_config(a.config.as_deref())?;
    let inventory = a.cluster.load(&config, "audit rbac")?;
    let comparison = inventory.map(|inv| compare(&subject, &observed, &Model::build(&inv.objects)));
    output::emit(a.output.as_deref(), |out| match a.format {
        Format::Json => output::write_json(out, &json!({"subject": a.subject, "requests": observed.len(), "generated": generated, "comparison": comparison})),
        _ => {
            writeln!(out, "# kubepci audit rbac --subject {}: {} distinct requests observed (allowed or denied)", a.subject, observed.len())?;
            writeln!(out, "# list and watch are widened to get, list, watch; discovery and health endpoints are left out")?;
            for doc in &generated {
                writeln!(out, "---")?;
                let yaml = yaml_text(doc);
                out.write_all(yaml.as_bytes())?;
            }
            if let Some(c) = &comparison {
                writeln!(out, "# Compared with the RBAC model given (PCI DSS 7.2.5):")?;
                for line in c["grantedNeverUsed"].as_array().into_iter().flatten() {
                    writeln!(out, "#   granted, never used: {}", line.as_str().unwrap_or(""))?;
                }
                for line in c["usedNotGranted"].as_array().into_iter().flatten() {
                    writeln!(out, "#   tried, not granted:  {}", line.as_str().unwrap_or(""))?;
                }
            }
            Ok(())
        }
    })?;
    Ok(ExitCode::SUCCESS)
}

fn yaml_text(v: &Value) -> String {
    least_privilege::to_yaml(v)
}

fn rbac_subject(s: &SubjectSel) -> Subject {
    match s {
        SubjectSel::User(u) => Subject::user(u).canonical(),
        SubjectSel::Group(g) => Subject::group(g),
        SubjectSel::ServiceAccount { namespace, name } => Subject::service_account(namespace, name),
    }
}

/// What the subject holds today against what it used: grants no observed request needed, and
/// requests the model would refuse.
fn compare(subject: &SubjectSel, observed: &BTreeSet<Observed>, model: &Model) -> Value {
    let principal = rbac_subject(subject);
    let request = |o: &Observed| -> Request {
        if o.path.is_empty() {
            let (resource, sub) = o.resource.split_once('/').unwrap_or((&o.resource, ""));
            Request::resource(&o.verb, &o.api_group, resource, sub, &o.name)
        } else {
            Request::non_resource(&o.verb, &o.path)
        }
    };
    let mut unused = Vec::new();
    for er in model.effective_rules(&principal) {
        let r = &er.rule;
        let used = observed.iter().any(|o| {
            let verb_ok = r.verb == "*" || r.verb == o.verb;
            let target_ok = if !r.non_resource_url.is_empty() {
                !o.path.is_empty() && (r.non_resource_url == o.path || r.non_resource_url.strip_suffix('*').is_some_and(|p| o.path.starts_with(p)))
            } else {
                o.path.is_empty() && (r.api_group == "*" || r.api_group == o.api_group) && (r.resource == "*" || r.resource == o.resource)
            };
            let scope_ok = match &er.scope {
                kubepci_rbac::GrantScope::Cluster => true,
                kubepci_rbac::GrantScope::Namespace(ns) => ns == &o.namespace,
            };
            verb_ok && target_ok && scope_ok
        });
        if !used {
            let what = if r.non_resource_url.is_empty() { format!("{} {}{}", r.verb, if r.api_group.is_empty() { String::new() } else { format!("{}/", r.api_group) }, r.resource) } else { format!("{} {}", r.verb, r.non_resource_url) };
            unused.push(format!("{what} ({}) via {} {}", er.scope.label(), er.binding, er.role));
        }
    }
    unused.sort();
    unused.dedup();
    let mut missing: Vec<String> = observed
        .iter()
        .filter(|o| !model.is_allowed(&principal, &request(o), (!o.namespace.is_empty()).then_some(o.namespace.as_str())))
        .map(|o| {
            let target = if o.path.is_empty() { o.resource.clone() } else { o.path.clone() };
            let ns = if o.namespace.is_empty() { String::new() } else { format!(" in {}", o.namespace) };
            format!("{} {target}{ns}{}", o.verb, if o.allowed { "" } else { " (denied in the log)" })
        })
        .collect();
    missing.sort();
    missing.dedup();
    json!({"grantedNeverUsed": unused, "usedNotGranted": missing})
}
