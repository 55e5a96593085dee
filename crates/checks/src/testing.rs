//! Running one check in tests, the one way (this crate's unit and integration tests, and other
//! crates' with the `testing` feature): [`run`] on a YAML manifest stream, or [`run_on`] on a
//! context the test built (another input kind, a recording context, a prepared inventory).
//! Every run also holds the check to its declaration: each result is the check's own, and each
//! result on an object lies within the check's declared `applies`.

use kubepci_findings::{Finding, Status};
use kubepci_inventory::{Config, Inventory};

use crate::{Check, Context, InputKind, RunOptions, run_checks};

/// What one check reported on an input.
#[derive(Debug)]
pub struct Outcome {
    /// Every result that is not a pass (failures, exceptions, not assessed), sorted.
    pub findings: Vec<Finding>,
    pub fails: Vec<Finding>,
    pub not_assessed: Vec<Finding>,
    /// Passing objects and cluster-wide passes.
    pub passed: usize,
    /// The inventory indices of the passing objects.
    pub passes: Vec<usize>,
}

/// The inventory of a manifest stream (`name` is the file name findings cite) with the
/// `kubepci.yaml` text `config`. Panics when either does not load.
pub fn load(name: &str, yaml: &str, config: &str) -> Inventory {
    let loaded = kubepci_source::load_bytes(name, yaml.as_bytes());
    assert!(loaded.errors.is_empty(), "{name} does not load: {:?}", loaded.errors);
    let config = Config::from_yaml("test config", config).unwrap_or_else(|e| panic!("{name}: configuration: {e}"));
    Inventory::build(loaded.objects, config)
}

/// The input kind a manifest stream asks for: a `# input: snapshot` (or `live`) comment line
/// evaluates it as a cluster, as the check documentation's examples do; manifests otherwise.
pub fn input_kind(yaml: &str) -> InputKind {
    match yaml.lines().find_map(|l| l.trim().strip_prefix("# input:")).map(str::trim) {
        Some("snapshot") => InputKind::Snapshot,
        Some("live") => InputKind::Live,
        _ => InputKind::Manifests,
    }
}

/// The date checks are run on in tests (exception expiry, EXC-001).
pub const TODAY: &str = "2026-12-07";

/// The day a manifest stream is judged on: a `# now: YYYY-MM-DD` comment line (examples of
/// checks that compute ages), else the run's clock.
pub fn clock(yaml: &str) -> Option<i64> {
    yaml.lines().find_map(|l| l.trim().strip_prefix("# now:")).and_then(|d| kubepci_vulns::date::parse_timestamp(d.trim()))
}

/// The context a manifest stream asks for: its input kind and, with `# now:`, its day.
pub fn context_for<'a>(inv: &'a Inventory, yaml: &str) -> Context<'a> {
    let cx = Context::new(inv, input_kind(yaml));
    match clock(yaml) {
        Some(now) => cx.at(now),
        None => cx,
    }
}

/// Run `check` on `yaml` with the `kubepci.yaml` text `config`, as [`input_kind`] and
/// [`clock`] say.
pub fn run(check: &'static Check, yaml: &str, config: &str) -> Outcome {
    let inv = load("test.yaml", yaml, config);
    run_on(check, &context_for(&inv, yaml))
}

/// Run `check` on `cx` through the runner, as a scan does.
pub fn run_on(check: &'static Check, cx: &Context) -> Outcome {
    let result = run_checks(cx, &[check], &RunOptions { today: Some(TODAY.into()), ..RunOptions::default() });
    let inv = cx.inventory();
    for f in &result.findings {
        assert_eq!(f.check, check.meta.id, "a result of another check");
        let index = f.object.as_ref().and_then(|o| inv.get(&o.kind, o.namespace.as_deref(), &o.name)).and_then(|found| inv.objects.iter().position(|o| std::ptr::eq(o, found)));
        if let Some(index) = index {
            assert_within_declared_scope(check, cx, index);
        }
    }
    let passes: Vec<usize> = result.passes.iter().map(|(_, &i)| i as usize).collect();
    for &index in &passes {
        assert_within_declared_scope(check, cx, index);
    }
    let of = |s: Status| result.findings.iter().filter(|f| f.status == s).cloned().collect::<Vec<_>>();
    Outcome { fails: of(Status::Fail), not_assessed: of(Status::NotAssessed), passed: result.summaries[0].passed, passes, findings: result.findings }
}

fn assert_within_declared_scope(check: &Check, cx: &Context, index: usize) {
    let o = &cx.inventory().objects[index];
    assert!(
        crate::context::applies_to(cx.inventory(), check.meta.applies, index),
        "{} reports on {}, outside its declared scope (applies: {:?}): declare what it looks at",
        check.meta.id,
        o.object_ref(),
        check.meta.applies
    );
}
