//! `kubepci collect`: read the cluster the kubeconfig points at (get/list only) and write a
//! gzip JSON snapshot with a sha256 over its items, for offline `kubepci scan --snapshot` and
//! as assessment evidence. Format: `docs/snapshot.md`.
//!
//! Exit codes: 0 snapshot written (kinds that could not be listed are reported on stderr and
//! recorded in the snapshot); 2 the cluster could not be reached or the file not written.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use kubepci::input::ClusterArgs;
use kubepci_live::{CollectOptions, collect_blocking, write_spilled_snapshot};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Snapshot file to write (gzip when the name ends in .gz).
    #[arg(short = 'o', long = "output", value_name = "FILE", default_value = "snapshot.json.gz")]
    pub output: PathBuf,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // A snapshot needs the raw items only; objects are decoded when the snapshot is scanned.
    // The items go to disk page by page, so memory does not grow with the cluster.
    let spill_dir = Some(spill_dir(&args.output));
    let collected = collect_blocking(&CollectOptions { keep_raw: true, build_objects: false, spill_dir, ..args.cluster.options() })?;
    for e in &collected.errors {
        eprintln!("warning: {e}");
    }
    for (kind, reason) in &collected.unlistable {
        eprintln!("not collected: {kind}: {reason}");
    }
    for line in not_assessed_checks(&collected.metadata) {
        eprintln!("{line}");
    }
    let meta = write_spilled_snapshot(&args.output, &collected.metadata, &collected.spilled).with_context(|| format!("writing {}", args.output.display()))?;
    eprintln!(
        "wrote {}: {} objects of {} kinds from {} ({}), sha256 {}",
        args.output.display(),
        meta.item_count,
        meta.kinds_listed.len(),
        meta.endpoint,
        meta.cluster_version.as_deref().unwrap_or("version unknown"),
        meta.sha256
    );
    Ok(ExitCode::SUCCESS)
}

/// Where the items wait while collecting: beside the snapshot (on the disk chosen for it),
/// unless the output is not a regular file (`/dev/null`, a pipe), then the temporary directory.
fn spill_dir(output: &Path) -> PathBuf {
    let regular_or_new = std::fs::metadata(output).map_or(true, |m| m.is_file());
    match output.parent() {
        _ if !regular_or_new => std::env::temp_dir(),
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// For each kind whose objects the snapshot will lack, the checks a scan of it reports "not
/// assessed" (so a missing permission is noticed when collecting, not after the scan).
fn not_assessed_checks(meta: &kubepci_live::SnapshotMeta) -> Vec<String> {
    let checks = kubepci_checks::registry();
    kubepci::input::unlisted_kinds(meta)
        .iter()
        .filter_map(|unlisted| {
            let ids: Vec<&str> = checks.iter().filter(|c| c.meta.reads_unlisted(unlisted)).map(|c| c.meta.id).collect();
            (!ids.is_empty()).then(|| format!("  without {}, {} {} will be reported not assessed: {}", unlisted.kind, ids.len(), kubepci_findings::noun(ids.len(), "check", "checks"), ids.join(", ")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_wait_beside_the_snapshot_unless_it_is_not_a_file() {
        assert_eq!(spill_dir(Path::new("snap.json.gz")), PathBuf::from("."));
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(spill_dir(&dir.path().join("s.json.gz")), dir.path());
        if Path::new("/dev/null").exists() {
            assert_eq!(spill_dir(Path::new("/dev/null")), std::env::temp_dir());
        }
    }

    #[test]
    fn names_the_checks_a_missing_kind_leaves_not_assessed() {
        let problem = |kind: &str, cause| kubepci_live::KindProblem { kind: kind.into(), group: Some(String::new()), reason: "r".into(), cause: Some(cause) };
        let meta = kubepci_live::SnapshotMeta {
            kinds_not_listable: vec![problem("Secret", kubepci_live::ListFailure::NotRequested), problem("ReplicationController", kubepci_live::ListFailure::NotServed)],
            ..Default::default()
        };
        let lines = not_assessed_checks(&meta);
        assert_eq!(lines.len(), 1, "a kind the cluster does not serve leaves nothing out: {lines:?}");
        assert!(lines[0].starts_with("  without Secret, ") && lines[0].contains("SEC-004") && lines[0].contains("DATA-001"), "{}", lines[0]);
    }
}
