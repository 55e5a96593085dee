//! Every check's documented failing and passing examples are its fixtures: the failing one
//! must fail the check and the passing one must pass it. Docs and behaviour cannot drift apart.

use kubepci_checks::{Context, InputKind, RunOptions, example_blocks, registry, run_checks};
use kubepci_findings::Status;
use kubepci_inventory::{Config, Inventory};

fn run_one(check: &'static kubepci_checks::Check, yaml: &str, config: &str, which: &str) -> (usize, usize) {
    // `# file: NAME (comment)` loads the example as that file (checks that link files by name,
    // such as the audit policy the API server loads, need the real name).
    let named = yaml.lines().find_map(|l| l.trim().strip_prefix("# file:")).and_then(|rest| rest.split_whitespace().next());
    let file = named.map_or_else(|| format!("{}-{which}.yaml", check.meta.id), str::to_string);
    let loaded = kubepci_source::load_bytes(&file, yaml.as_bytes());
    assert!(loaded.errors.is_empty(), "{} {which} example does not load: {:?}", check.meta.id, loaded.errors);
    assert!(!loaded.objects.is_empty(), "{} {which} example has no objects", check.meta.id);
    let config = Config::from_yaml("example config", config).unwrap_or_else(|e| panic!("{} example configuration: {e}", check.meta.id));
    let inv = Inventory::build(loaded.objects, config);
    let input = if yaml.contains("# input: snapshot") { InputKind::Snapshot } else { InputKind::Manifests };
    let cx = Context::new(&inv, input);
    let result = run_checks(&cx, &[check], &RunOptions::default());
    let summary = &result.summaries[0];
    let unexpected: Vec<_> = result.findings.iter().filter(|f| f.check != check.meta.id).collect();
    assert!(unexpected.is_empty());
    let fails = result.findings.iter().filter(|f| f.status == Status::Fail).count();
    (fails, summary.passed)
}

#[test]
fn every_check_has_examples_that_behave_as_documented() {
    let mut problems = Vec::new();
    for check in registry() {
        let (failing, passing, config) = example_blocks(check);
        let config = config.unwrap_or_default();
        match failing {
            None => problems.push(format!("{}: no failing example", check.meta.id)),
            Some(y) => {
                let (fails, _) = run_one(check, &y, &config, "failing");
                if fails == 0 {
                    problems.push(format!("{}: failing example does not fail", check.meta.id));
                }
            }
        }
        match passing {
            None => problems.push(format!("{}: no passing example", check.meta.id)),
            Some(y) => {
                let (fails, passes) = run_one(check, &y, &config, "passing");
                if fails > 0 || passes == 0 {
                    problems.push(format!("{}: passing example gives {fails} failures and {passes} passes", check.meta.id));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn registry_metadata_is_complete() {
    let checks = registry();
    let mut ids: Vec<_> = checks.iter().map(|c| c.meta.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), checks.len(), "duplicate check ids");
    for c in checks {
        let m = &c.meta;
        assert!(!m.requirements.is_empty(), "{} maps to no requirement", m.id);

        for section in ["## What it checks", "## Why PCI DSS cares", "## Fix"] {
            assert!(m.doc.contains(section), "{}: doc lacks {section}", m.id);
        }
        assert!(!m.remediation().is_empty(), "{}", m.id);
        assert!(m.name.chars().all(|ch| ch.is_ascii_lowercase() || ch == '-' || ch.is_ascii_digit()), "{}: name {}", m.id, m.name);
    }
}
