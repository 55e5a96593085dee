//! `kubepci collect`: read the cluster the kubeconfig points at (get/list only) and write a
//! gzip JSON snapshot with a sha256 over its items, for offline `kubepci scan --snapshot` and
//! as assessment evidence. Format: `docs/snapshot.md`.
//!
//! Exit codes: 0 snapshot written (kinds that could not be listed are reported on stderr and
//! recorded in the snapshot); 2 the cluster could not be reached or the file not written.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use kubepci::input::ClusterArgs;
use kubepci_live::{CollectOptions, collect_blocking, write_snapshot};

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
    let collected = collect_blocking(&CollectOptions { keep_raw: true, build_objects: false, ..args.cluster.options() })?;
    for e in &collected.errors {
        eprintln!("warning: {e}");
    }
    for (kind, reason) in &collected.unlistable {
        eprintln!("not collected: {kind}: {reason}");
    }
    for line in not_assessed_checks(&collected.metadata) {
        eprintln!("{line}");
    }
    let meta = write_snapshot(&args.output, &collected.metadata, &collected.raw).with_context(|| format!("writing {}", args.output.display()))?;
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
