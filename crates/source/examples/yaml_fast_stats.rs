//! `cargo run --release -p kubepci-source --example yaml_fast_stats PATHS…`: how many YAML
//! documents the fast YAML path reads (the rest go to yaml_serde), why the others were
//! declined, and whether any result differs from yaml_serde's (it must not).
use std::path::{Path, PathBuf};

fn yaml_files(path: &Path, files: &mut Vec<PathBuf>) {
    let is_yaml = |p: &Path| p.extension().is_some_and(|e| e == "yaml" || e == "yml");
    if path.is_dir() {
        files.extend(kubepci_base::walk::files_under(path, is_yaml).files);
    } else if is_yaml(path) {
        files.push(path.to_path_buf());
    }
}

fn main() {
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        yaml_files(Path::new(&arg), &mut files);
    }
    let mut total = kubepci_source::FastPathReport::default();
    for file in &files {
        let Ok(bytes) = std::fs::read(file) else { continue };
        if matches!(bytes.iter().find(|b| !b.is_ascii_whitespace()), Some(b'{' | b'[')) {
            continue; // read as JSON, not YAML
        }
        total.add(kubepci_source::check_fast_path(&file.display().to_string(), &bytes));
    }
    let share = 100.0 * total.fast as f64 / total.documents.max(1) as f64;
    println!("{} files, {} documents, {} read by the fast path ({share:.2}%)", files.len(), total.documents, total.fast);
    let mut reasons: Vec<_> = total.declined.iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(a.1));
    for (reason, n) in reasons {
        println!("  declined {n:>6}: {reason} (first: {})", total.declined_example[reason]);
    }
    println!("{} mismatches", total.mismatches.len());
    for m in total.mismatches.iter().take(20) {
        println!("  {m}");
    }
}
