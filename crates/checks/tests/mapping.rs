//! The PCI DSS mapping stays honest: every mapping names a catalogued requirement, a testing
//! procedure of that requirement and a rationale.

use kubepci_checks::registry;
use kubepci_findings::requirements::gist;

/// Whether `procedure` is a testing procedure of `requirement`: the requirement number itself
/// (a requirement with a single procedure) or the number followed by one lowercase letter
/// (`1.3.1.b`). A plain prefix test would take `1.2.10.a` for a procedure of `1.2.1`.
fn is_procedure_of(procedure: &str, requirement: &str) -> bool {
    procedure == requirement
        || procedure.strip_prefix(requirement).and_then(|rest| rest.strip_prefix('.')).is_some_and(|letter| letter.len() == 1 && letter.chars().all(|c| c.is_ascii_lowercase()))
}

#[test]
fn procedure_ids_belong_to_their_requirement() {
    assert!(is_procedure_of("1.3.1.b", "1.3.1"));
    assert!(is_procedure_of("1.2.8", "1.2.8"));
    assert!(is_procedure_of("A3.2.5.b", "A3.2.5"));
    assert!(!is_procedure_of("1.2.10.a", "1.2.1"));
    assert!(!is_procedure_of("1.3.2.b", "1.3.1"));
    assert!(!is_procedure_of("1.3.1.", "1.3.1"));
    assert!(!is_procedure_of("1.3.1.B", "1.3.1"));
    assert!(!is_procedure_of("", "1.3.1"));
}

#[test]
fn every_mapping_names_a_catalogued_requirement_its_procedure_and_why() {
    let mut problems = Vec::new();
    for c in registry() {
        let m = &c.meta;
        if m.requirements.is_empty() {
            problems.push(format!("{}: maps to no requirement", m.id));
        }
        for (i, r) in m.requirements.iter().enumerate() {
            if gist(r.requirement).is_none() {
                problems.push(format!("{}: {} is not in the requirement catalogue", m.id, r.requirement));
            }
            if !is_procedure_of(r.procedure, r.requirement) {
                problems.push(format!("{}: {:?} is not a testing procedure of {}", m.id, r.procedure, r.requirement));
            }
            if r.why.trim().is_empty() {
                problems.push(format!("{}: no rationale for {}", m.id, r.requirement));
            }
            if m.requirements[..i].iter().any(|earlier| earlier.requirement == r.requirement) {
                problems.push(format!("{}: {} is mapped twice", m.id, r.requirement));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_decidable_requirement_has_a_check_behind_it() {
    let checks = registry();
    let uncovered: Vec<&str> = kubepci_findings::requirements::REQUIREMENTS
        .iter()
        .filter(|(n, _, _)| kubepci_findings::requirements::decidable(n))
        .filter(|(n, _, _)| !checks.iter().any(|c| c.meta.requirements.iter().any(|r| r.requirement == *n)))
        .map(|(n, _, _)| *n)
        .collect();
    assert!(uncovered.is_empty(), "decidable, but no check maps to {uncovered:?}");
}
