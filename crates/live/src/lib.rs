//! The live path: read a cluster through the Kubernetes API (get/list only) and freeze what
//! was read as a snapshot.
//!
//! * [`collect`] (and [`collect_blocking`]) lists every kind the checks read, concurrently and
//!   paginated, and turns each item into a [`kubepci_model::Object`] with the model's decoders
//!   (`decode_direct` for typed kinds, `decode_value` otherwise, as the file loader does), so a
//!   live scan and a file scan give equal objects. Kinds it could not list are recorded with
//!   the reason ([`SnapshotMeta::kinds_missing`]); the checks that read them are then reported
//!   "not assessed".
//! * [`write_snapshot`] / [`read_snapshot`] store and re-read a collection as gzip JSON with a
//!   sha256 over its items (format: `docs/snapshot.md`).
//!
//! Nothing here writes to the cluster.

mod client;
mod collect;
mod kinds;
mod list;
mod progress;
mod snapshot;

use std::path::PathBuf;
use std::time::Duration;

use kubepci_model::Object;
use serde::{Deserialize, Serialize};

pub use collect::{collect, collect_blocking};
pub use kinds::{GATED_KINDS, TYPED_KINDS, GatedKind, Target, TypedKind};
pub use snapshot::{CanonicalItem, SNAPSHOT_API_VERSION, SNAPSHOT_KIND, Snapshot, SpilledItems, encode_snapshot, items_sha256, load_snapshot, load_snapshot_bytes, read_redacted_items, read_snapshot, write_snapshot, write_spilled_snapshot};

/// A kube client for the cluster of `opts` (kubeconfig and context resolved as for
/// [`collect`]), and the apiserver URL. For `kubepci respond`, the one command that writes (its
/// requests are its own, in `kubepci-respond`); nothing in this crate writes with it.
pub async fn connect(opts: &CollectOptions) -> Result<(kube::Client, String), Error> {
    let config = client::config(opts).await?;
    let endpoint = config.cluster_url.to_string().trim_end_matches('/').to_string();
    Ok((client::client(config)?, endpoint))
}

/// A client for the cluster `opts` points at, configured as [`collect`]'s (what `serve`
/// watches with).
pub async fn client(opts: &CollectOptions) -> Result<kube::Client, Error> {
    Ok(connect(opts).await?.0)
}

/// The default `--max-objects`: items one kind's list may return. Ten times the 100,000-object
/// clusters kubepci is benchmarked on, all in one kind; a list past it is runaway.
pub const DEFAULT_MAX_OBJECTS: usize = 1_000_000;

/// The collector's name and version, as recorded in snapshots.
pub const COLLECTOR: &str = concat!("kubepci ", env!("CARGO_PKG_VERSION"));

/// How to reach the cluster and what to read.
#[derive(Clone, Debug)]
pub struct CollectOptions {
    /// Kubeconfig file; `None` uses kubectl's defaults (`KUBECONFIG`, `~/.kube/config`,
    /// then the in-cluster service account).
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context; `None` uses the current context.
    pub context: Option<String>,
    /// List Secrets too (only card-data discovery needs their data).
    pub include_secrets: bool,
    /// Keep every item, redacted for storage (`kubepci_checks::redaction`: no Secret value, card
    /// numbers masked; with `kind`/`apiVersion` set, in canonical JSON) in [`Collected::raw`]
    /// and compute the items hash, as a snapshot needs. A scan does not.
    pub keep_raw: bool,
    /// With `keep_raw`: write the items to unlinked temporary files in this directory as each
    /// page arrives ([`Collected::spilled`]) instead of holding them in [`Collected::raw`], so
    /// that memory stays bounded whatever the cluster size (`kubepci collect`).
    pub spill_dir: Option<PathBuf>,
    /// Decode items into [`Collected::objects`]. `kubepci collect` only writes the raw items
    /// and turns this off to keep memory to the items' text.
    pub build_objects: bool,
    /// Items per list page (`limit`).
    pub page_size: u32,
    /// Bound on each request (a page, a discovery document).
    pub request_timeout: Duration,
    /// Retries of one request on timeouts, transport errors, 429 and 5xx; also the number of
    /// times a list is restarted after its continue token expired (410).
    pub retries: u32,
    /// Kinds listed at the same time.
    pub concurrency: usize,
    /// Show a one-line progress counter on stderr when stderr is a terminal.
    pub progress: bool,
    /// The most items one kind's list may return; a list past it (or one repeating a continue
    /// token) is stopped and the kind reported as not listed.
    pub max_objects: usize,
}

impl SnapshotMeta {
    /// Kinds whose objects may be missing from the collection (see [`KindProblem::objects_missing`]).
    pub fn kinds_missing(&self) -> impl Iterator<Item = &KindProblem> {
        self.kinds_not_listable.iter().filter(|p| p.objects_missing())
    }
}

impl Default for CollectOptions {
    fn default() -> Self {
        CollectOptions {
            kubeconfig: None,
            context: None,
            include_secrets: false,
            keep_raw: false,
            spill_dir: None,
            build_objects: true,
            page_size: 500,
            request_timeout: Duration::from_secs(60),
            retries: 3,
            concurrency: 8,
            progress: false,
            max_objects: DEFAULT_MAX_OBJECTS,
        }
    }
}

/// A kind that could not be listed, and why ("no permission to list secrets", "not served").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindProblem {
    pub kind: String,
    /// API group (`""` for the core group); absent in snapshots from before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub reason: String,
    /// Why, as a fixed word; absent in snapshots from before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<ListFailure>,
}

/// Why a kind was not listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ListFailure {
    /// HTTP 403: the credentials may not list it.
    Forbidden,
    /// HTTP 404: the cluster does not serve it, so there are no such objects.
    NotServed,
    /// Timeouts, transport or server errors, after retries.
    Failed,
    /// Not asked for (Secrets without `--include-secrets`).
    NotRequested,
    /// API discovery failed, so whether the cluster serves it is unknown.
    DiscoveryFailed,
}

impl KindProblem {
    /// Whether objects of this kind may exist that the collection does not have: every
    /// problem but "not served". Checks reading such a kind are "not assessed".
    pub fn objects_missing(&self) -> bool {
        match self.cause {
            Some(cause) => cause != ListFailure::NotServed,
            // Snapshots written before `cause` was recorded say it in the reason.
            None => !self.reason.contains("is not served by this cluster"),
        }
    }
}

/// What was collected and from where; the `metadata` of a snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotMeta {
    /// `kubepci <version>`.
    pub collector_version: String,
    /// When collection started, RFC 3339 UTC (`2026-11-28T11:18:09Z`); `SOURCE_DATE_EPOCH`
    /// pins it.
    pub time: String,
    /// The apiserver's `/version` `gitVersion`, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_version: Option<String>,
    /// The apiserver URL.
    pub endpoint: String,
    /// The kubeconfig context used, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// Whether Secrets were read.
    #[serde(default)]
    pub include_secrets: bool,
    /// Kinds listed completely, as `Kind.group/version` (`Deployment.apps/v1`, `Pod.v1`).
    pub kinds_listed: Vec<String>,
    /// Kinds not listed, with the reason.
    pub kinds_not_listable: Vec<KindProblem>,
    /// Number of items.
    pub item_count: usize,
    /// Hex sha256 over the canonical JSON of `items` (see [`items_sha256`]); empty when the
    /// collection did not keep the raw items.
    pub sha256: String,
}

/// The result of [`collect`].
#[derive(Debug, Default)]
pub struct Collected {
    /// Every item that decoded, in kind-table order, then as the apiserver listed them.
    pub objects: Vec<Object>,
    /// The items as received but redacted for storage, with `kind`/`apiVersion` set, in
    /// canonical JSON (only with `keep_raw`), in the same order as `objects` plus any that
    /// failed to decode.
    pub raw: Vec<CanonicalItem>,
    /// The same items, on disk, when collected with [`CollectOptions::spill_dir`] (`raw` is
    /// then empty); [`write_spilled_snapshot`] writes them.
    pub spilled: SpilledItems,
    pub metadata: SnapshotMeta,
    /// Problems that did not stop the collection (an item that did not decode, a kind whose
    /// listing failed after retries).
    pub errors: Vec<String>,
    /// Kinds that could not be listed: (kind, reason), including kinds the cluster does not
    /// serve. [`SnapshotMeta::kinds_missing`] tells which of them leave objects out.
    pub unlistable: Vec<(String, String)>,
    /// The kinds listed completely, as list targets (what `serve` watches).
    pub listed: Vec<Target>,
}

/// Why collection or a snapshot failed as a whole.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("kubeconfig: {0}")]
    Config(String),
    #[error("cannot reach the cluster at {endpoint}: {message}")]
    Connect { endpoint: String, message: String },
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: not a kubepci snapshot: {message}")]
    Format { path: String, message: String },
    #[error("{path}: snapshot content does not match its sha256 (recorded {recorded}, computed {computed}); it was modified or truncated")]
    Tampered { path: String, recorded: String, computed: String },
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_not_served_are_complete_in_new_and_old_snapshots() {
        let meta: SnapshotMeta = serde_json::from_value(serde_json::json!({
            "collectorVersion": "kubepci 0.1.0", "time": "2026-11-28T11:18:09Z", "endpoint": "https://h", "kindsListed": [], "itemCount": 0, "sha256": "",
            "kindsNotListable": [
                // Written before `cause` and `group` were recorded.
                {"kind": "ConfigMap", "reason": "no permission to list configmaps: forbidden"},
                {"kind": "CronJob", "reason": "cronjobs.batch is not served by this cluster"},
                {"kind": "Job", "group": "batch", "reason": "jobs.batch is not served by this cluster", "cause": "not-served"},
                {"kind": "Secret", "group": "", "reason": "Secrets not read (collect with --include-secrets)", "cause": "not-requested"}
            ]
        }))
        .expect("metadata");
        let missing: Vec<&str> = meta.kinds_missing().map(|p| p.kind.as_str()).collect();
        assert_eq!(missing, ["ConfigMap", "Secret"]);
        let written = serde_json::to_value(&meta.kinds_not_listable[3]).unwrap();
        assert_eq!(written, serde_json::json!({"kind": "Secret", "group": "", "reason": "Secrets not read (collect with --include-secrets)", "cause": "not-requested"}));
    }
}
