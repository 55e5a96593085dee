use std::path::PathBuf;

use kubepci_checks::{Context, InputKind, RunOptions, SharedAnalyses, UnlistedKind};
use kubepci_inventory::{Config, Inventory};
use kubepci_model::Object;
use kubepci_report::{AssembleOptions, InputError, InputFacts, Report, SnapshotInfo};
use kubepci_source::LoadError;

/// Objects to assess and what is known about where they came from.
pub struct ScanInput {
    pub kind: InputKind,
    pub sources: Vec<String>,
    pub objects: Vec<Object>,
    pub errors: Vec<LoadError>,
    pub files: usize,
    pub documents: usize,
    pub snapshot: Option<SnapshotInfo>,
    /// Kinds the collector could not list (live or snapshot input): checks reading them are
    /// reported "not assessed" instead of being run on incomplete data.
    pub unlisted: Vec<UnlistedKind>,
}

impl ScanInput {
    /// Read manifest files, directories and stdin.
    pub fn from_paths(paths: &[PathBuf]) -> ScanInput {
        let loaded = kubepci_source::load_paths(paths);
        ScanInput {
            kind: InputKind::Manifests,
            sources: paths.iter().map(|p| p.display().to_string()).collect(),
            objects: loaded.objects,
            errors: loaded.errors,
            files: loaded.files,
            documents: loaded.documents,
            snapshot: None,
            unlisted: Vec::new(),
        }
    }
}

/// The kinds a collection (live, or a snapshot's metadata) is missing objects of.
pub fn unlisted_kinds(meta: &kubepci_live::SnapshotMeta) -> Vec<UnlistedKind> {
    meta.kinds_missing().map(|p| UnlistedKind { kind: p.kind.clone(), group: p.group.clone(), reason: p.reason.clone() }).collect()
}

#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    pub run: RunOptions,
    /// List passing results as findings too (large on big clusters).
    pub include_passed: bool,
    /// RFC 3339 time stamped on the report.
    pub generated_at: String,
}

/// What an assessment was computed from, handed back with its report: the inventory and the
/// shared analyses. A caller about to exit can leave them unfreed: freeing is serial work on
/// the way out (100k objects alone take about 0.1 s of CPU).
pub struct Leftovers {
    pub inventory: Inventory,
    pub analyses: SharedAnalyses,
}

/// Run the whole assessment: inventory, context, checks and boundary section, report.
pub fn assess(input: ScanInput, config: Config, opts: &ScanOptions) -> (Report, Leftovers) {
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
    let cx = Context::new(&inventory, input.kind).with_unlisted(input.unlisted);
    let assessment = kubepci_checks::assess(&cx, &opts.run);
    let report = Report::assemble(&cx, facts, assessment, &AssembleOptions { generated_at: opts.generated_at.clone(), include_passed: opts.include_passed });
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
