//! Conformance against netpol-analyzer's expected connectivity lists
//! (`../shared/corpora/netpol-analyzer`, see its README), scored per category: core
//! NetworkPolicy, AdminNetworkPolicy / BaselineAdminNetworkPolicy, and Ingress/Route (flows from
//! `{ingress-controller}`). Every core case and every Ingress/Route case must match exactly (as
//! a set of lines). Ingress/Route cases are also scored where the oracle gives their lists
//! only indirectly: a case whose connlist is the base case's with a semantic diff applied, and
//! the focus-workload lists (the lines of one workload). Skips when the corpus is absent.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kubepci_inventory::{Config, Inventory};
use kubepci_netpol::format::{Format, render};
use kubepci_netpol::{Endpoint, Options, Reachability};
use serde_json::Value;

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/netpol-analyzer");
    dir.join("cases.json").is_file().then_some(dir)
}

/// Kinds this engine does not model (secondary networks, VMs).
const UNSUPPORTED: &[&str] = &["UserDefinedNetwork", "ClusterUserDefinedNetwork", "NetworkAttachmentDefinition", "MultiNetworkPolicy", "VirtualMachine", "VirtualMachineInstance"];

/// Kinds that give `{ingress-controller}` flows.
const INGRESS_KINDS: &[&str] = &["Route", "Ingress"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Category {
    Core,
    Admin,
    Ingress,
}

fn kinds(case: &Value) -> Vec<&str> {
    case["resource_kinds"].as_object().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default()
}

fn category(case: &Value) -> Option<Category> {
    let kinds = kinds(case);
    if case["core_networkpolicy_only"].as_bool() == Some(true) {
        Some(Category::Core)
    } else if kinds.iter().any(|k| UNSUPPORTED.contains(k)) {
        None
    } else if kinds.iter().any(|k| INGRESS_KINDS.contains(k)) {
        Some(Category::Ingress)
    } else if kinds.iter().any(|k| k.contains("AdminNetworkPolicy")) {
        Some(Category::Admin)
    } else {
        None
    }
}

/// netpol-analyzer's semantics: host-network pods are treated like any other pod.
fn analyzer_options() -> Options {
    Options { host_network_exempt: false }
}

fn lines_of(text: &str) -> BTreeSet<String> {
    text.lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect()
}

fn actual_lines(dir: &Path) -> BTreeSet<String> {
    let loaded = kubepci_source::load_paths(&[dir.to_path_buf()]);
    let inv = Inventory::build(loaded.objects, Config::default());
    let r = Reachability::compute_with(&inv, analyzer_options());
    assert_focused_agrees(&inv, &r, dir);
    lines_of(&render(&r, Format::Txt))
}

/// The focused computation (rows and columns of every other workload, as the checks use it)
/// must give the same answer for every pair, and the same ingress flows, as the full matrix.
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
    assert_eq!(render(&focused, Format::Json), render(full, Format::Json), "{}", dir.display());
}

#[derive(Default)]
struct Score {
    passed: usize,
    failed: Vec<String>,
}

impl Score {
    fn compare(&mut self, label: &str, expected: &BTreeSet<String>, actual: &BTreeSet<String>) {
        if actual == expected {
            self.passed += 1;
            return;
        }
        let missing: Vec<&String> = expected.difference(actual).collect();
        let extra: Vec<&String> = actual.difference(expected).collect();
        let mut msg = format!("{label} ({} missing, {} extra)", missing.len(), extra.len());
        for l in missing.iter().take(5) {
            msg.push_str(&format!("\n    - {l}"));
        }
        for l in extra.iter().take(5) {
            msg.push_str(&format!("\n    + {l}"));
        }
        self.failed.push(msg);
    }

    fn report(&self, label: &str) {
        for f in &self.failed {
            println!("FAIL {f}");
        }
        println!("{label}: {} passed, {} failed", self.passed, self.failed.len());
    }
}

fn case_name(case: &Value) -> &str {
    case["test_dir"].as_str().unwrap_or_default().trim_start_matches("tests/")
}

/// One record of a semantic-diff CSV (fields may be quoted).
fn csv_fields(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                out.last_mut().expect("field").push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(String::new()),
            c => out.last_mut().expect("field").push(c),
        }
    }
    out
}

/// The base case's connlist with a semantic diff applied (`added`, `removed`, `changed` pairs
/// of `diff_between_<case>_and_<base>.csv`).
fn apply_diff(base: &BTreeSet<String>, diff: &str) -> BTreeSet<String> {
    let mut out = base.clone();
    for record in diff.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f = csv_fields(record);
        let [kind, src, dst, old, new] = [0, 1, 2, 3, 4].map(|i| f.get(i).cloned().unwrap_or_default());
        out.remove(&format!("{src} => {dst} : {old}"));
        if kind != "removed" {
            out.insert(format!("{src} => {dst} : {new}"));
        }
    }
    out
}

/// The plain focus-workload outputs of a case (one workload, both directions, every port):
/// (workload as `ns/name` or `name`, expected file).
fn focus_outputs(case: &Value) -> Vec<(String, &str)> {
    let prefix = format!("{}_focus_workload_", case_name(case));
    let mut out = Vec::new();
    for file in case["expected_outputs"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        let name = file.rsplit('/').next().unwrap_or_default();
        let Some(spec) = name.strip_prefix(&prefix).and_then(|s| s.strip_suffix("_connlist_output.txt")) else { continue };
        let variant = spec.ends_with("_ingress") || spec.ends_with("_egress") || spec.contains("_with_") || spec.contains("tcp-") || spec.contains("udp-");
        if !variant {
            // Kubernetes names have no `_`: it stands for the `/` of `ns/name`.
            out.push((spec.replacen('_', "/", 1), file));
        }
    }
    out
}

/// Whether a connlist peer (`ns/name[Kind]`, `{ingress-controller}`, a range) is the workload
/// `spec` (`ns/name` or `name`), as netpol-analyzer's focus matches it.
fn is_focus(peer: &str, spec: &str) -> bool {
    let peer = peer.trim_matches(['{', '}']);
    let qualified = peer.split('[').next().unwrap_or(peer);
    qualified == spec || qualified.rsplit('/').next() == Some(spec)
}

fn focus_lines(lines: &BTreeSet<String>, spec: &str) -> BTreeSet<String> {
    lines
        .iter()
        .filter(|l| {
            let (src, rest) = l.split_once(" => ").unwrap_or_default();
            let dst = rest.split(" : ").next().unwrap_or_default();
            is_focus(src, spec) || is_focus(dst, spec)
        })
        .cloned()
        .collect()
}

#[test]
fn netpol_analyzer_connlists() {
    let Some(root) = corpus() else {
        println!("netpol-analyzer corpus not found (../shared absent): skipping conformance");
        return;
    };
    let text = std::fs::read_to_string(root.join("cases.json")).expect("read cases.json");
    let cases: Vec<Value> = serde_json::from_str(&text).expect("parse cases.json");
    let read = |file: &str| lines_of(&std::fs::read_to_string(root.join(file)).unwrap_or_default());
    let (mut core, mut admin, mut ingress) = (Score::default(), Score::default(), Score::default());
    let (mut ingress_diffs, mut ingress_focus) = (Score::default(), Score::default());
    let mut skipped = 0;
    for case in &cases {
        let Some(category) = category(case) else {
            skipped += usize::from(case["default_connlist_txt"].is_string());
            continue;
        };
        let name = case_name(case);
        let expected = case["default_connlist_txt"].as_str().map(read);
        if expected.is_none() && category != Category::Ingress {
            continue;
        }
        let actual = actual_lines(&root.join("tests").join(name));
        if let Some(expected) = &expected {
            let score = match category {
                Category::Core => &mut core,
                Category::Admin => &mut admin,
                Category::Ingress => &mut ingress,
            };
            score.compare(name, expected, &actual);
        }
        if category != Category::Ingress {
            continue;
        }
        // The case as a diff from a base case with a connlist.
        let diff_prefix = format!("diff_between_{name}_and_");
        for entry in std::fs::read_dir(root.join("test_outputs/diff")).into_iter().flatten().flatten() {
            let file = entry.file_name().to_string_lossy().to_string();
            let Some(base) = file.strip_prefix(&diff_prefix).and_then(|f| f.strip_suffix(".csv")) else { continue };
            let Some(base_list) = cases.iter().find(|c| case_name(c) == base).and_then(|c| c["default_connlist_txt"].as_str()) else { continue };
            let diff = std::fs::read_to_string(entry.path()).unwrap_or_default();
            ingress_diffs.compare(&format!("{name} (= {base} + diff)"), &apply_diff(&read(base_list), &diff), &actual);
        }
        for (spec, file) in focus_outputs(case) {
            ingress_focus.compare(&format!("{name} focus {spec}"), &read(file), &focus_lines(&actual, &spec));
        }
    }
    admin.report("anp-conformance");
    println!("({skipped} cases with unsupported kinds not scored)");
    core.report("conformance");
    ingress.report("ingress-conformance");
    ingress_diffs.report("ingress-conformance (connlist = base case + semantic diff)");
    ingress_focus.report("ingress-conformance (focus-workload lists)");
    assert!(core.failed.is_empty(), "core NetworkPolicy cases must all match");
    assert!(ingress.failed.is_empty() && ingress_diffs.failed.is_empty() && ingress_focus.failed.is_empty(), "Ingress/Route cases must all match");
}
