//! Every check's documented failing and passing examples are its fixtures: the failing one
//! must fail the check and the passing one must pass it. Docs and behaviour cannot drift apart.

use kubepci_checks::testing::{context_for, load, run_on};
use kubepci_checks::{example_blocks, registry};

fn run_one(check: &'static kubepci_checks::Check, yaml: &str, config: &str, which: &str) -> (usize, usize) {
    // `# file: NAME (comment)` loads the example as that file (checks that link files by name,
    // such as the audit policy the API server loads, need the real name).
    let named = yaml.lines().find_map(|l| l.trim().strip_prefix("# file:")).and_then(|rest| rest.split_whitespace().next());
    let file = named.map_or_else(|| format!("{}-{which}.yaml", check.meta.id), str::to_string);
    let inv = load(&file, yaml, config);
    assert!(!inv.objects.is_empty(), "{} {which} example has no objects", check.meta.id);
    let out = run_on(check, &context_for(&inv, yaml));
    (out.fails.len(), out.passed)
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
