use std::collections::BTreeMap;

use kubepci_checks::{Context, RunOptions, check_markdown, registry, run_checks};
use kubepci_findings::Finding;
use kubepci_inventory::{Config, Inventory};
use kubepci_report::{CheckInfo, ConfigSource, EffectiveConfig, InputError, InputSummary, NamespaceScope, Provenance, RegistryInfo, Report, RunInfo, ScopeSummary};

use crate::input::Input;

#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    pub run: RunOptions,
    /// List passing results as findings too (large on big clusters).
    pub include_passed: bool,
    /// RFC 3339 time stamped on the report.
    pub generated_at: String,
    /// Where the configuration came from (for the report's provenance).
    pub config_source: ConfigSource,
}

/// Run the whole assessment, once per process: the shared analyses are left for the exit to
/// reclaim. The inventory is handed back with the report so that a caller about to exit can
/// skip freeing it (100k objects take about 0.1 s of CPU to free).
pub fn assess(input: Input, config: Config, opts: &ScanOptions) -> (Report, Inventory) {
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for o in &input.objects {
        *kinds.entry(o.kind().to_string()).or_default() += 1;
    }
    let summary = InputSummary {
        kind: serde_json::to_value(input.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
        sources: input.sources,
        files: input.files,
        documents: input.documents,
        objects: input.objects.len(),
        kinds,
        errors: input
            .errors
            .iter()
            .map(|e| InputError { file: e.loc.file.to_string(), line: e.loc.line, column: e.loc.column, message: e.message.clone() })
            .collect(),
        snapshot: input.snapshot,
    };
    let inv = Inventory::build(input.objects, config);
    crate::profile::mark("inventory");
    let cx = Context::new(&inv, input.kind).with_unlisted(input.unlisted);
    let checks = registry();
    if opts.run.only.is_empty() {
        warm_analyses(&cx);
        crate::profile::mark("shared analyses");
    }
    // The boundary section reads the same reachability as the network checks.
    let (mut assessment, boundary) = rayon::join(
        || run_checks(&cx, &checks, &opts.run),
        || crate::profile::timed("boundary section", || kubepci_checks::cde_boundary(&cx)),
    );
    crate::profile::mark("checks and boundary");
    let passed = if opts.include_passed { assessment.passed_findings(&cx) } else { Vec::new() };
    let mut findings: Vec<Finding> = std::mem::take(&mut assessment.findings);
    if !passed.is_empty() {
        findings.extend(passed);
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    }
    redact(&mut findings);
    crate::profile::mark("redact");
    let infos: Vec<CheckInfo> = assessment
        .summaries
        .iter()
        .filter_map(|s| {
            let check = checks.iter().find(|c| c.meta.id == s.check)?;
            Some(CheckInfo { summary: s.clone(), name: check.meta.name.to_string(), remediation: check.meta.remediation(), help: check_markdown(check) })
        })
        .collect();
    let mut workloads: BTreeMap<String, usize> = BTreeMap::new();
    for w in inv.workloads() {
        *workloads.entry(w.scope.scope.to_string()).or_default() += 1;
    }
    let scope = ScopeSummary {
        namespaces: inv.namespaces().map(|n| NamespaceScope { name: n.name.clone(), scope: n.scope.scope.to_string(), reason: n.scope.reason.clone() }).collect(),
        workloads,
    };
    let provenance = Provenance {
        registry: RegistryInfo { checks: checks.len(), sha256: kubepci_checks::registry_sha256(&checks) },
        config: EffectiveConfig::new(&inv.config, opts.config_source.clone()),
        run: RunInfo { only: opts.run.only.clone(), date: opts.run.today.clone() },
    };
    let mut report = Report::new(opts.generated_at.clone(), provenance, summary, scope, infos, findings);
    report.boundary = boundary;
    crate::profile::mark("report model");
    // The shared analyses (reachability, RBAC model, evaluations) are not freed: `scan` runs
    // one assessment per process, and freeing them is serial work on the way to the report.
    std::mem::forget(cx);
    (report, inv)
}

/// Compute the analyses several checks share (reachability and its index, RBAC model, Pod
/// Security evaluations, card numbers, CDE NetworkPolicies) side by side before the checks
/// start. Left to the checks, the first one to ask computes it while every other check asking
/// waits, holding a worker thread idle.
fn warm_analyses(cx: &Context) {
    use crate::profile::timed;
    rayon::join(
        || timed("analysis reachability", || _ = cx.net_index()),
        || {
            rayon::join(
                || rayon::join(|| timed("analysis rbac model", || _ = cx.rbac_model()), || timed("analysis card numbers", || _ = cx.card_numbers())),
                || rayon::join(|| timed("analysis pss", || _ = cx.pss_restricted()), || timed("analysis cde policies", || _ = cx.cde_network_policies())),
            );
        },
    );
}

/// Last line of defence: whatever a check wrote, no card number leaves in a finding.
fn redact(findings: &mut [Finding]) {
    for f in findings {
        f.message = kubepci_pan::redact(&f.message);
        for e in &mut f.evidence {
            if let Some(v) = &mut e.value {
                *v = kubepci_pan::redact(v);
            }
        }
    }
}

/// Exit status for `--fail-on`: 1 when a failure at or above the threshold exists.
pub fn fails_threshold(report: &Report, threshold: Option<kubepci_findings::Severity>) -> bool {
    match (threshold, report.worst_failure()) {
        (Some(t), Some(w)) => w >= t,
        _ => false,
    }
}
