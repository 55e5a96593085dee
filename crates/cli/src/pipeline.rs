use kubepci_checks::{Context, RunOptions, SharedAnalyses};
use kubepci_inventory::{Config, Inventory};
use kubepci_report::{AssembleOptions, ConfigSource, InputError, InputFacts, Report, ReportParts};

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

/// What an assessment was computed from, handed back with its report: the inventory and the
/// shared analyses. A caller about to exit can leave them unfreed: freeing is serial work on
/// the way out (100k objects alone take about 0.1 s of CPU).
pub struct Leftovers {
    pub inventory: Inventory,
    pub analyses: SharedAnalyses,
}

/// Run the whole assessment: inventory, context, checks and boundary section, report.
pub fn assess(input: Input, config: Config, opts: &ScanOptions) -> (Report, Leftovers) {
    let facts = InputFacts {
        kind: input.kind,
        sources: input.sources,
        files: input.files,
        documents: input.documents,
        errors: input.errors.iter().map(|e| InputError::at(&e.loc, e.message.clone())).collect(),
        snapshot: input.snapshot,
    };
    let inventory = Inventory::build(input.objects, config);
    crate::profile::mark("inventory");
    let cx = Context::new(&inventory, input.kind).with_unlisted(input.unlisted).with_vulns(input.vulns);
    let assemble = AssembleOptions {
        generated_at: opts.generated_at.clone(),
        include_passed: opts.include_passed,
        config_source: opts.config_source.clone(),
        run: opts.run.clone(),
    };
    // The parts of the report that do not need the results are gathered beside the checks.
    let (assessment, parts) = kubepci_checks::assess_beside(&cx, &opts.run, || crate::profile::timed("report parts", || ReportParts::gather(&cx, facts, &assemble)));
    let report = Report::from_parts(&cx, parts, assessment, &assemble);
    crate::profile::mark("report model");
    let analyses = cx.into_analyses();
    (report, Leftovers { inventory, analyses })
}

/// Exit status for `--fail-on`: 1 when a failure at or above the threshold exists.
pub fn fails_threshold(report: &Report, threshold: Option<kubepci_findings::Severity>) -> bool {
    match (threshold, report.worst_failure()) {
        (Some(t), Some(w)) => w >= t,
        _ => false,
    }
}
