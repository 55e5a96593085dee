//! Conformance against netpol-analyzer's expected connectivity lists
//! (`../shared/corpora/netpol-analyzer`, see its README). Every case whose inputs use only core
//! NetworkPolicy must match exactly (as a set of lines); AdminNetworkPolicy /
//! BaselineAdminNetworkPolicy cases are scored. Skips when the corpus is absent.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kubepci_inventory::{Config, Inventory};
use kubepci_netpol::format::{Format, render};
use kubepci_netpol::{Endpoint, Options, Reachability};

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/netpol-analyzer");
    dir.join("cases.json").is_file().then_some(dir)
}

/// Kinds this engine does not model (secondary networks, VMs, ingress controllers).
const UNSUPPORTED: &[&str] = &[
    "Route", "Ingress", "UserDefinedNetwork", "ClusterUserDefinedNetwork", "NetworkAttachmentDefinition",
    "MultiNetworkPolicy", "VirtualMachine", "VirtualMachineInstance",
];

/// netpol-analyzer's semantics: host-network pods are treated like any other pod.
fn analyzer_options() -> Options {
    Options { host_network_exempt: false }
}

fn actual_lines(dir: &Path) -> BTreeSet<String> {
    let loaded = kubepci_source::load_paths(&[dir.to_path_buf()]);
    let inv = Inventory::build(loaded.objects, Config::default());
    let r = Reachability::compute_with(&inv, analyzer_options());
    assert_focused_agrees(&inv, &r, dir);
    render(&r, Format::Txt).lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect()
}

/// The focused computation (rows and columns of every other workload, as the checks use it)
/// must give the same answer for every pair as the full matrix.
fn assert_focused_agrees(inv: &Inventory, full: &Reachability, dir: &Path) {
    let focus: Vec<usize> = (0..inv.workloads().len()).step_by(2).collect();
    let focused = Reachability::compute_focused(inv, analyzer_options(), &focus);
    let n = full.workloads().len() as u32;
    let ends: Vec<Endpoint> = full.endpoints().collect();
    for w in 0..n as usize {
        assert_eq!(focused.sources_of(w), full.sources_of(w), "{}: sources of {w}", dir.display());
        assert_eq!(focused.destinations_of(w), full.destinations_of(w), "{}: destinations of {w}", dir.display());
    }
    for &s in &ends {
        for &d in &ends {
            assert_eq!(focused.allowed(s, d), full.allowed(s, d), "{}: {s:?} -> {d:?}", dir.display());
        }
    }
}

struct Score {
    passed: usize,
    failed: Vec<String>,
}

fn check(root: &Path, case: &serde_json::Value, score: &mut Score) {
    let dir = root.join(case["test_dir"].as_str().unwrap_or_default());
    let expected_file = root.join(case["default_connlist_txt"].as_str().unwrap_or_default());
    let expected: BTreeSet<String> = std::fs::read_to_string(&expected_file)
        .unwrap_or_default()
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    let actual = actual_lines(&dir);
    if actual == expected {
        score.passed += 1;
        return;
    }
    let missing: Vec<&String> = expected.difference(&actual).collect();
    let extra: Vec<&String> = actual.difference(&expected).collect();
    let mut msg = format!("{} ({} missing, {} extra)", dir.file_name().unwrap_or_default().to_string_lossy(), missing.len(), extra.len());
    for l in missing.iter().take(5) {
        msg.push_str(&format!("\n    - {l}"));
    }
    for l in extra.iter().take(5) {
        msg.push_str(&format!("\n    + {l}"));
    }
    score.failed.push(msg);
}

fn report(label: &str, score: &Score) {
    for f in &score.failed {
        println!("FAIL {f}");
    }
    println!("{label}: {} passed, {} failed", score.passed, score.failed.len());
}

#[test]
fn netpol_analyzer_connlists() {
    let Some(root) = corpus() else {
        println!("netpol-analyzer corpus not found (../shared absent): skipping conformance");
        return;
    };
    let text = std::fs::read_to_string(root.join("cases.json")).expect("read cases.json");
    let cases: Vec<serde_json::Value> = serde_json::from_str(&text).expect("parse cases.json");
    let mut core = Score { passed: 0, failed: Vec::new() };
    let mut admin = Score { passed: 0, failed: Vec::new() };
    let mut skipped = 0;
    for case in &cases {
        if case["default_connlist_txt"].as_str().is_none() {
            continue;
        }
        let kinds: Vec<&str> = case["resource_kinds"].as_object().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default();
        if case["core_networkpolicy_only"].as_bool() == Some(true) {
            check(&root, case, &mut core);
        } else if kinds.iter().any(|k| k.contains("AdminNetworkPolicy")) && !kinds.iter().any(|k| UNSUPPORTED.contains(k)) {
            check(&root, case, &mut admin);
        } else {
            skipped += 1;
        }
    }
    report("anp-conformance", &admin);
    println!("({skipped} cases with unsupported kinds not scored)");
    report("conformance", &core);
    assert!(core.failed.is_empty(), "core NetworkPolicy cases must all match");
}
