//! The registry's fingerprint: one SHA-256 over every check's metadata and documentation, so
//! a report says exactly which rule set produced it (two reports with the same fingerprint
//! were judged by the same checks, mappings and texts).

use sha2::{Digest, Sha256};

use crate::Check;

/// `sha256:<hex>` over each check's id, name, severity, scope, reads, mapping and doc, in
/// the order given (the registry's id order).
pub fn registry_sha256(checks: &[&Check]) -> String {
    let mut h = Sha256::new();
    for c in checks {
        let m = &c.meta;
        let mut field = |s: &str| {
            h.update(s.as_bytes());
            h.update([0]);
        };
        field(m.id);
        field(m.name);
        field(m.severity.as_str());
        field(&format!("{:?}", m.applies));
        field(&format!("{:?}", m.on_partial_input));
        for r in m.reads {
            field(r);
        }
        for r in m.requirements {
            field(r.requirement);
            field(r.procedure);
            field(r.why);
        }
        field(m.doc);
        h.update([1]);
    }
    format!("sha256:{:x}", h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_changes_with_any_check_and_is_stable_otherwise() {
        let all = crate::registry();
        let full = registry_sha256(&all);
        assert_eq!(full, registry_sha256(&all));
        assert!(full.starts_with("sha256:") && full.len() == 7 + 64);
        assert_ne!(full, registry_sha256(&all[1..]));
        let mut swapped = all.clone();
        swapped.swap(0, 1);
        assert_ne!(full, registry_sha256(&swapped));
    }
}
