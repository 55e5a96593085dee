//! Unit-test helper: run one check on a YAML manifest stream.

use kubepci_findings::{Finding, Status};
use kubepci_inventory::{Config, Inventory};

use crate::{Check, Context, InputKind, RunOptions, run_checks};

/// What one check reported on an input.
pub struct Outcome {
    pub fails: Vec<Finding>,
    pub not_assessed: Vec<Finding>,
    pub passed: usize,
}

/// Run `check` on `yaml` (manifests) with the `kubepci.yaml` text `config`.
pub fn run(check: &'static Check, yaml: &str, config: &str) -> Outcome {
    let loaded = kubepci_source::load_bytes("test.yaml", yaml.as_bytes());
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let inv = Inventory::build(loaded.objects, Config::from_yaml("test config", config).expect("test config"));
    let cx = Context::new(&inv, InputKind::Manifests);
    let result = run_checks(&cx, &[check], &RunOptions::default());
    let of = |s: Status| result.findings.iter().filter(|f| f.status == s).cloned().collect::<Vec<_>>();
    Outcome { fails: of(Status::Fail), not_assessed: of(Status::NotAssessed), passed: result.summaries[0].passed }
}
