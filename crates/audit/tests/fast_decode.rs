//! The fast event decoder against serde on real lines: every line of a generated benchmark log
//! (all kinds of request it writes) and of the conformance corpora. Where the fast decoder
//! answers, its event must be exactly serde's; on the generated log it must answer every line
//! (that is where the speed comes from).

use std::path::Path;

use kubepci_audit::event::Event;
use kubepci_audit::fast;

/// `Some(true)`: the fast decoder answered, with serde's event; `Some(false)`: it left the line
/// to serde. Panics when it accepts a line serde refuses or differs from serde.
fn compare(line: &str) -> bool {
    let Some(fast) = fast::decode(line) else { return false };
    let serde: Event<'_> = serde_json::from_str(line).unwrap_or_else(|e| panic!("fast accepted a line serde refuses ({e}): {line}"));
    assert_eq!(format!("{fast:?}"), format!("{serde:?}"), "{line}");
    true
}

#[test]
fn every_generated_line_takes_the_fast_path_with_serdes_result() {
    let mut lines = 0;
    let (generated, _, counts) = kubepci_bench::audit_log::generate(3_000_000, 11, |line| {
        lines += 1;
        assert!(compare(line), "left to serde: {line}");
    });
    assert_eq!(lines, generated);
    assert!(counts.iter().all(|n| *n > 0), "every kind of request was generated: {counts:?}");
}

#[test]
fn corpus_lines_agree_with_serde() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora");
    let mut stack = vec![root.join("falco-k8s-audit"), root.join("panther-k8s-audit-rules"), root.join("audit2rbac-demo")];
    let (mut files, mut fast_lines, mut all_lines) = (0, 0, 0);
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            stack.extend(std::fs::read_dir(&p).into_iter().flatten().flatten().map(|e| e.path()));
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&p) else { continue };
        files += 1;
        // Lines of JSON Lines files, and (for the rule tests) each event of a whole document.
        let mut docs: Vec<String> = text.lines().map(str::to_string).collect();
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
            let tests = v.get("tests").and_then(|t| t.as_array()).cloned().unwrap_or_default();
            docs.extend(tests.iter().filter_map(|t| t.get("event")).map(|e| e.to_string()));
        }
        for doc in docs.iter().map(|d| d.trim()).filter(|d| d.starts_with('{')) {
            all_lines += 1;
            fast_lines += usize::from(compare(doc));
        }
    }
    if files == 0 {
        println!("note: the corpora are not there; skipping");
        return;
    }
    println!("{files} files, {all_lines} documents, {fast_lines} decoded by the fast path, all as serde does");
    assert!(fast_lines > 0);
}
