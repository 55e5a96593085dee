//! The one way every subcommand reads cluster objects: manifest paths (files, directories,
//! `-` for stdin), a snapshot written by `kubepci collect`, or a live cluster, plus extra
//! platform configuration and the `kubepci.yaml` configuration. The analyses get the loaded
//! objects; none of them reads a file or a cluster itself.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use kubepci_checks::{InputKind, UnlistedKind};
use kubepci_findings::noun;
use kubepci_inventory::Config;
use kubepci_live::CollectOptions;
use kubepci_model::{Object, SourceLoc};
use kubepci_report::{ConfigSource, SnapshotInfo};
use kubepci_source::LoadError;

/// Where the objects come from, and the configuration: the same flags, with the same meaning,
/// on every subcommand that reads cluster objects (flatten it with `#[command(flatten)]`).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct InputArgs {
    /// Manifest files or directories (recursive: .yaml, .yml, .json), or `-` for stdin.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Read a snapshot written by `kubepci collect` (its sha256 is verified and cited).
    #[arg(long, value_name = "FILE", conflicts_with = "paths")]
    pub snapshot: Option<PathBuf>,

    /// Read the live cluster of the current kubeconfig context (implied by --kubeconfig or
    /// --context). Read-only: get and list only.
    #[arg(long, conflicts_with_all = ["paths", "snapshot"])]
    pub live: bool,

    #[command(flatten)]
    pub cluster: ClusterArgs,

    /// Extra directories of platform configuration (EncryptionConfiguration, audit Policy,
    /// KubeletConfiguration, control-plane static pod manifests).
    #[arg(long, value_name = "DIR")]
    pub platform_config: Vec<PathBuf>,

    /// Vulnerability scanner reports and VEX statements: files or directories (recursive:
    /// .json, .yaml, .yml, optionally .gz) of Trivy JSON, Grype JSON, CycloneDX, trivy-operator
    /// VulnerabilityReports, CycloneDX VEX or OpenVEX. Repeatable.
    #[arg(long, value_name = "PATH")]
    pub vulns: Vec<PathBuf>,

    /// The kubepci.yaml configuration (scope, approvals, exceptions). Defaults to ./kubepci.yaml
    /// when it exists.
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Treat the input as a full cluster dump (`kubectl get -A -o json`), so that missing
    /// objects mean absent rather than "not in these manifests".
    #[arg(long)]
    pub cluster_dump: bool,

    /// Accept an input that holds no Kubernetes object (a pipeline whose manifests may
    /// legitimately be empty). Without it an empty input is an error (exit 2): it is what a CI
    /// step reads when the step producing its manifests failed.
    #[arg(long)]
    pub allow_empty: bool,

    /// A snapshot already in memory, as (name, bytes), read instead of `snapshot` (`kubepci
    /// evidence create` scans the redacted snapshot it puts in the bundle, under the member's
    /// name). Not a flag.
    #[arg(skip)]
    pub snapshot_bytes: Option<(String, Vec<u8>)>,
}

/// How to reach a cluster; part of [`InputArgs`], and what `kubepci collect` reads.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ClusterArgs {
    /// Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then the in-cluster service account).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Also read Secrets (their values are checked for card numbers and default passwords;
    /// snapshots and bundles keep only what the checks need, never a value).
    #[arg(long)]
    pub include_secrets: bool,
    /// Items per list request.
    #[arg(long, value_name = "N", default_value_t = 500)]
    pub page_size: u32,
    /// Seconds allowed for each API request (retried up to 3 times).
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub request_timeout: u64,
    /// The most objects one kind's list may return; a longer list (or one whose continue
    /// token repeats) is stopped and reported, and the checks reading that kind are not assessed.
    #[arg(long, value_name = "N", default_value_t = kubepci_live::DEFAULT_MAX_OBJECTS)]
    pub max_objects: usize,
}

impl ClusterArgs {
    /// Collection options for these arguments: objects built, raw items not kept, progress
    /// shown on a terminal.
    pub fn options(&self) -> CollectOptions {
        CollectOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            include_secrets: self.include_secrets,
            page_size: self.page_size.max(1),
            request_timeout: Duration::from_secs(self.request_timeout.max(1)),
            max_objects: if self.max_objects == 0 { kubepci_live::DEFAULT_MAX_OBJECTS } else { self.max_objects },
            progress: true,
            ..CollectOptions::default()
        }
    }
}

/// The kinds that run pods (their pod templates are what Pod Security and reachability read).
pub const POD_KINDS: &[&str] = &["Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicationController"];

/// Objects to analyse and what is known about where they came from.
pub struct Input {
    pub kind: InputKind,
    pub sources: Vec<String>,
    pub objects: Vec<Object>,
    /// What went wrong while reading, in the order the report lists it: documents or items that
    /// could not be read and, for a snapshot or a live cluster, `not collected: Kind: why` for
    /// each kind the collection lacks.
    pub errors: Vec<LoadError>,
    /// How many of `errors` are `not collected` lines rather than input that could not be read.
    pub not_collected: usize,
    pub files: usize,
    pub documents: usize,
    pub snapshot: Option<SnapshotInfo>,
    /// Kinds the collector could not list (live or snapshot input): checks reading them are
    /// reported "not assessed" instead of being run on incomplete data.
    pub unlisted: Vec<UnlistedKind>,
    /// The kubepci.yaml read with the objects (path and digest), for the report's provenance.
    pub config_source: ConfigSource,
    /// Scanner reports and VEX statements read from `--vulns` (their problems are in `errors`).
    pub vulns: Option<std::sync::Arc<kubepci_vulns::Evidence>>,
}

impl InputArgs {
    /// Whether the objects come from a live cluster (`--live`, or implied by `--kubeconfig` or
    /// `--context`).
    pub fn is_live(&self) -> bool {
        self.live || self.cluster.kubeconfig.is_some() || self.cluster.context.is_some()
    }

    /// Read the configuration, then the objects, for `kubepci COMMAND`. An error (nothing
    /// given, an unreadable configuration or snapshot, an unreachable cluster, an input of
    /// which nothing could be read, or one without any Kubernetes object unless
    /// `--allow-empty`) is a usage or input error; documents that cannot be read are not when
    /// others could be: they are listed in [`Input::errors`] and the rest is read.
    pub fn load(&self, command: &str) -> anyhow::Result<(Input, Config)> {
        self.check_given(command)?;
        let (config, config_source) = load_config(self.config.as_deref())?;
        let mut input = self.load_objects(command)?;
        input.config_source = config_source;
        Ok((input, config))
    }

    fn check_given(&self, command: &str) -> anyhow::Result<()> {
        if self.paths.is_empty() && self.snapshot.is_none() && self.snapshot_bytes.is_none() && !self.is_live() {
            anyhow::bail!("nothing to scan: give manifest paths, `-` for stdin, --snapshot FILE or --live (see `kubepci {command} --help`)");
        }
        Ok(())
    }

    /// The objects alone, as [`Self::load`] reads them, without the configuration (for
    /// `kubepci init`, which writes one).
    pub fn load_objects(&self, command: &str) -> anyhow::Result<Input> {
        self.check_given(command)?;
        let live = self.is_live();
        let mut input = if let Some((name, bytes)) = &self.snapshot_bytes {
            Input::from_snapshot_bytes(name, bytes.clone())?
        } else if let Some(path) = &self.snapshot {
            Input::from_snapshot(path)?
        } else if live {
            Input::from_cluster(&self.cluster)?
        } else {
            Input::from_paths(&self.paths)
        };
        // Judged on the cluster's objects alone: platform configuration files (a kube-apiserver
        // manifest is a Pod) must not make an empty or unreadable input look like a cluster.
        input.check_assessable(self.allow_empty)?;
        if !self.platform_config.is_empty() {
            let platform = Input::from_paths(&self.platform_config);
            if input.kind == InputKind::Manifests {
                input.sources.extend(platform.sources.iter().cloned());
            }
            input.add(platform);
        }
        if self.cluster_dump {
            input.kind = InputKind::Snapshot;
        }
        if !self.vulns.is_empty() {
            input.add_vulns(&self.vulns);
        }
        Ok(input)
    }
}

impl Input {
    /// Read manifest files, directories and stdin.
    pub fn from_paths(paths: &[PathBuf]) -> Input {
        let loaded = kubepci_source::load_paths(paths);
        Input {
            kind: InputKind::Manifests,
            sources: paths.iter().map(|p| p.display().to_string()).collect(),
            objects: loaded.objects,
            errors: loaded.errors,
            not_collected: 0,
            files: loaded.files,
            documents: loaded.documents,
            snapshot: None,
            unlisted: Vec::new(),
            config_source: ConfigSource::default(),
            vulns: None,
        }
    }

    /// A snapshot written by `kubepci collect`: hash verified, items decoded like any input.
    pub fn from_snapshot(path: &Path) -> anyhow::Result<Input> {
        let snap = kubepci_live::load_snapshot(path).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Input::of_snapshot(snap, path.display().to_string()))
    }

    /// A snapshot's bytes, named `name` in locations.
    pub fn from_snapshot_bytes(name: &str, bytes: Vec<u8>) -> anyhow::Result<Input> {
        let snap = kubepci_live::load_snapshot_bytes(bytes, name).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Input::of_snapshot(snap, name.to_string()))
    }

    fn of_snapshot(snap: kubepci_live::Snapshot, name: String) -> Input {
        let documents = snap.objects.len() + snap.errors.len();
        let mut errors: Vec<LoadError> = snap.errors.into_iter().map(|message| cluster_error(&name, message)).collect();
        let not_collected = snap.meta.kinds_not_listable.len();
        errors.extend(snap.meta.kinds_not_listable.iter().map(|k| cluster_error(&name, format!("not collected: {}: {}", k.kind, k.reason))));
        Input {
            kind: InputKind::Snapshot,
            sources: vec![name],
            objects: snap.objects,
            errors,
            not_collected,
            files: 1,
            documents,
            unlisted: unlisted_kinds(&snap.meta),
            config_source: ConfigSource::default(),
            vulns: None,
            snapshot: Some(SnapshotInfo { sha256: snap.meta.sha256, collected_at: snap.meta.time }),
        }
    }

    /// The live cluster, through the same object decoding as files.
    pub fn from_cluster(cluster: &ClusterArgs) -> anyhow::Result<Input> {
        let collected = kubepci_live::collect_blocking(&cluster.options()).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Input::from_collected(collected))
    }

    /// The input of a live collection (what `serve` re-evaluates as its watches change it).
    pub fn from_collected(collected: kubepci_live::Collected) -> Input {
        let endpoint = collected.metadata.endpoint.clone();
        let unlisted = unlisted_kinds(&collected.metadata);
        let documents = collected.objects.len();
        let mut errors: Vec<LoadError> = collected.errors.into_iter().map(|m| cluster_error(&endpoint, m)).collect();
        let not_collected = collected.unlistable.len();
        errors.extend(collected.unlistable.into_iter().map(|(kind, why)| cluster_error(&endpoint, format!("not collected: {kind}: {why}"))));
        Input {
            kind: InputKind::Live,
            sources: vec![endpoint],
            objects: collected.objects,
            errors,
            not_collected,
            files: 0,
            documents,
            snapshot: None,
            unlisted,
            config_source: ConfigSource::default(),
            vulns: None,
        }
    }

    /// Read scanner reports and VEX statements (`--vulns`): each file that cannot be read is
    /// an input error with its position, the rest is read.
    pub fn add_vulns(&mut self, paths: &[PathBuf]) {
        let mut evidence = kubepci_vulns::read_paths(paths);
        for e in std::mem::take(&mut evidence.errors) {
            let loc = SourceLoc::new(e.file.as_str(), e.line.unwrap_or(0) as u32, e.column.unwrap_or(0) as u32);
            self.errors.push(LoadError { loc, message: format!("vulnerability report: {}", e.message) });
        }
        self.sources.extend(paths.iter().map(|p| format!("--vulns {}", p.display())));
        self.vulns = Some(std::sync::Arc::new(evidence));
    }

    /// Append the objects and problems of more input (platform configuration files).
    fn add(&mut self, more: Input) {
        self.objects.extend(more.objects);
        self.errors.extend(more.errors);
        self.not_collected += more.not_collected;
        self.files += more.files;
        self.documents += more.documents;
    }

    /// An error when there is nothing to assess: nothing could be read (the error lists every
    /// problem, with file and, where one exists, line and column), or the input holds no
    /// Kubernetes object and an empty input was not allowed.
    pub fn check_assessable(&self, allow_empty: bool) -> Result<(), Unassessable> {
        if !self.objects.is_empty() {
            Ok(())
        } else if !self.errors.is_empty() {
            Err(Unassessable::NothingRead(self.errors.clone()))
        } else if allow_empty {
            Ok(())
        } else {
            Err(Unassessable::Empty { sources: self.sources.join(" "), files: self.files, documents: self.documents })
        }
    }

    /// How many documents or items could not be read (the analysis of the rest is incomplete).
    pub fn unreadable(&self) -> usize {
        self.errors.len() - self.not_collected
    }

    /// Whether the collection lacks objects of any of these kinds (a snapshot or live cluster
    /// that could not list them): an analysis that reads them would answer on partial data.
    pub fn lacks_any(&self, kinds: &[&str]) -> bool {
        self.unlisted.iter().any(|u| kinds.contains(&u.kind.as_str()))
    }

    /// Print every problem met while reading to stderr as `file:line:col: message` (the
    /// analysis commands; `scan` puts them in its report).
    pub fn print_errors(&self) {
        for e in &self.errors {
            eprintln!("{e}");
        }
    }
}

/// Why an input cannot be assessed at all (exit 2, and no report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unassessable {
    /// Every path, document or item failed: the errors, in input order.
    NothingRead(Vec<LoadError>),
    /// Read without error, but without a single Kubernetes object.
    Empty { sources: String, files: usize, documents: usize },
}

impl std::fmt::Display for Unassessable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unassessable::NothingRead(errors) => {
                write!(f, "nothing could be read:")?;
                for e in errors {
                    write!(f, "\n  {e}")?;
                }
                Ok(())
            }
            Unassessable::Empty { sources, files, documents } => write!(
                f,
                "no Kubernetes object in the input ({sources}: {files} {}, {documents} {}); if the step producing the manifests failed (helm template, kustomize build), a scan would pass on nothing. Give --allow-empty when an empty input is expected",
                noun(*files, "file", "files"),
                noun(*documents, "document", "documents"),
            ),
        }
    }
}

impl std::error::Error for Unassessable {}

/// The kinds a collection (live, or a snapshot's metadata) is missing objects of.
pub fn unlisted_kinds(meta: &kubepci_live::SnapshotMeta) -> Vec<UnlistedKind> {
    meta.kinds_missing().map(|p| UnlistedKind { kind: p.kind.clone(), group: p.group.clone(), reason: p.reason.clone() }).collect()
}

fn cluster_error(source: &str, message: String) -> LoadError {
    LoadError { loc: SourceLoc::whole(source), message }
}

/// `--config FILE`, else `./kubepci.yaml` when present, else defaults; with where it came
/// from (path and digest) for the report's provenance.
pub fn load_config(path: Option<&Path>) -> anyhow::Result<(Config, ConfigSource)> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => {
            let default = PathBuf::from("kubepci.yaml");
            if !default.exists() {
                return Ok((Config::default(), ConfigSource::default()));
            }
            default
        }
    };
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read config {}", path.display()))?;
    let name = path.display().to_string();
    let config = Config::from_yaml(&name, &text).map_err(|e| anyhow::anyhow!("{e}"))?;
    let sha256 = {
        use sha2::Digest;
        format!("sha256:{:x}", sha2::Sha256::digest(text.as_bytes()))
    };
    Ok((config, ConfigSource { path: Some(name), sha256: Some(sha256) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    #[test]
    fn nothing_given_is_an_error_naming_the_command() {
        let err = InputArgs::default().load("pss").err().expect("an error").to_string();
        assert_eq!(err, "nothing to scan: give manifest paths, `-` for stdin, --snapshot FILE or --live (see `kubepci pss --help`)");
    }

    #[test]
    fn paths_and_platform_config_are_read_together_and_bad_documents_listed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let manifests = write(dir.path(), "app.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\nthis: is: not: yaml\n");
        let platform = dir.path().join("platform");
        std::fs::create_dir(&platform).expect("mkdir");
        write(&platform, "audit.yaml", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: Metadata}]\n");
        let config = write(dir.path(), "kubepci.yaml", "scope:\n  cde:\n    namespaces: [shop]\n");
        let args = InputArgs { paths: vec![manifests], platform_config: vec![platform], config: Some(config), ..InputArgs::default() };
        let (input, config) = args.load("scan").expect("loads");
        assert_eq!(input.kind, InputKind::Manifests);
        let kinds: Vec<&str> = input.objects.iter().map(|o| o.kind()).collect();
        assert_eq!(kinds, ["Namespace", "Policy"]);
        assert_eq!((input.files, input.errors.len(), input.unreadable()), (2, 1, 1));
        assert_eq!(config.scope.cde.namespaces, ["shop"]);
        let dump = InputArgs { cluster_dump: true, ..args };
        assert_eq!(dump.load("scan").expect("loads").0.kind, InputKind::Snapshot);
    }

    #[test]
    fn an_input_of_which_nothing_could_be_read_is_an_error_listing_each_problem_without_a_made_up_position() {
        let dir = tempfile::tempdir().expect("tempdir");
        let broken = write(dir.path(), "broken.yaml", "a: [\n");
        let args = InputArgs { paths: vec![dir.path().join("missing.yaml"), broken], ..InputArgs::default() };
        let err = args.load("scan").err().expect("an error");
        let problem = err.downcast_ref::<Unassessable>().expect("unassessable");
        let Unassessable::NothingRead(errors) = problem else { panic!("{problem:?}") };
        assert_eq!(errors.len(), 2);
        let message = err.to_string();
        assert!(message.starts_with("nothing could be read:\n  "), "{message}");
        assert!(message.contains("missing.yaml: cannot read"), "{message}");
        assert!(!message.contains(":0"), "{message}");
        // --allow-empty is for inputs that are empty, not for inputs that cannot be read.
        let allowed = InputArgs { allow_empty: true, ..args };
        assert!(allowed.load("scan").is_err());
    }

    #[test]
    fn an_input_without_objects_is_an_error_unless_allowed_and_platform_files_do_not_count() {
        let dir = tempfile::tempdir().expect("tempdir");
        let empty = write(dir.path(), "empty.yaml", "# rendered nothing\n---\n");
        let platform = dir.path().join("platform");
        std::fs::create_dir(&platform).expect("mkdir");
        write(&platform, "audit.yaml", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: Metadata}]\n");
        let args = InputArgs { paths: vec![empty.clone()], platform_config: vec![platform], ..InputArgs::default() };
        let err = args.load("scan").err().expect("an error");
        assert!(matches!(err.downcast_ref::<Unassessable>(), Some(Unassessable::Empty { files: 1, documents: 0, .. })), "{err}");
        assert!(err.to_string().contains("--allow-empty"), "{err}");
        let (input, _) = InputArgs { allow_empty: true, ..args }.load("scan").expect("allowed");
        assert_eq!(input.objects.len(), 1, "the platform files are still read");
        assert_eq!(input.sources.len(), 2);
    }

    #[test]
    fn an_unreadable_config_is_an_error() {
        let args = InputArgs { paths: vec!["-".into()], config: Some("/nonexistent/kubepci.yaml".into()), ..InputArgs::default() };
        let err = format!("{:#}", args.load("rbac who-can").err().expect("an error"));
        assert!(err.starts_with("cannot read config /nonexistent/kubepci.yaml"), "{err}");
    }

    #[test]
    fn kinds_not_collected_are_told_apart_from_unreadable_documents() {
        let unlisted = |kind: &str| UnlistedKind { kind: kind.into(), group: Some(String::new()), reason: "no permission".into() };
        let input = Input {
            kind: InputKind::Live,
            sources: vec!["https://cluster".into()],
            objects: Vec::new(),
            errors: vec![cluster_error("https://cluster", "not collected: Secret: Secrets not read".into())],
            not_collected: 1,
            files: 0,
            documents: 0,
            snapshot: None,
            unlisted: vec![unlisted("Secret")],
            config_source: ConfigSource::default(),
            vulns: None,
        };
        assert_eq!(input.unreadable(), 0);
        assert!(input.lacks_any(&["Pod", "Secret"]));
        assert!(!input.lacks_any(&["Role", "ClusterRole"]));
    }
}
