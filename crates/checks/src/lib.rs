//! Checks: the registry of every kubepci check and the runner that evaluates them on an
//! [`Inventory`].
//!
//! Each check lives in its own file under `rules/<area>/`, declared with [`declare_check!`]:
//! its doc comment is the single source for the title, `kubepci checks explain`, the generated
//! `docs/checks/` pages and the remediation text in findings; its failing and passing examples
//! are run as fixtures by the test suite (`tests/examples.rs`).

pub mod analyses;
mod boundary;
mod context;
mod docs;
pub mod exceptions;
mod incremental;
mod fingerprint;
pub mod profile;
pub mod redaction;
mod runner;
pub mod rules;
pub mod support;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

use kubepci_findings::Severity;

pub use boundary::cde_boundary;
pub use analyses::{CardNumbers, SharedAnalyses};
pub use context::{CLASS_LOOKUP, Context, InputKind, InventoryView, KindRecorder, MEMBER_LOOKUP, UnlistedKind, WHOLE_INVENTORY};
pub use docs::{check_markdown, example_blocks, requirements_markdown};
pub use fingerprint::registry_sha256;
pub use incremental::{Applied, CLASS_BLIND, Change, FindingsDelta, IDENTITY_ONLY, Incremental, MEMBER_BLIND, Setting, pod_identity, reads_identity_only, reads_members};
pub use runner::{Assessment, CheckRun, Emitter, Focus, Passes, RunOptions, assess, assess_beside, run_checks, run_each, run_focused, run_sequential};

/// Which objects a check looks at, and whether it needs a declared CDE. The runner and the
/// loops in `support::each` apply it: a check never filters by its own scope or checks for a
/// CDE itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applies {
    /// Every object of the kinds the check reads, whatever its scope.
    All,
    /// Only objects in the cardholder data environment (a workload by its own scope, other
    /// objects by their namespace's). Not assessed when no CDE is declared.
    Cde,
    /// Objects in CDE, connected or security-impacting scope.
    InScope,
    /// Cluster-wide facts (one result for the whole input).
    Cluster,
    /// Objects of any scope, judged by what they do to the CDE (a binding that reaches a CDE
    /// namespace, a Service selecting CDE pods, a webhook exempting a CDE namespace). Not
    /// assessed when no CDE is declared.
    CdeRelated,
    /// Objects whose scope class `hardening` in kubepci.yaml holds to the Pod Security
    /// `restricted` level (by default: CDE and connected). Not assessed when no CDE is
    /// declared: without one, what must be restricted is unknown.
    Restricted,
}

impl Applies {
    /// Whether a check cannot be decided without a declared CDE: the runner then reports it
    /// "not assessed" once, without running it.
    pub fn needs_cde(self) -> bool {
        matches!(self, Applies::Cde | Applies::CdeRelated | Applies::Restricted)
    }

    /// Whether an object of scope class `scope` is within this scope.
    pub fn admits(self, scope: kubepci_inventory::Scope, config: &kubepci_inventory::Config) -> bool {
        match self {
            Applies::All | Applies::Cluster | Applies::CdeRelated => true,
            Applies::Cde => scope == kubepci_inventory::Scope::Cde,
            Applies::InScope => scope.in_scope(),
            Applies::Restricted => config.hardening.level(scope) == kubepci_inventory::config::HardeningLevel::Restricted,
        }
    }

    /// Whether the answer depends on the object's scope (so reading it reads Namespaces).
    pub fn reads_scope(self) -> bool {
        matches!(self, Applies::Cde | Applies::InScope | Applies::Restricted)
    }
}

/// The static description of a check. `doc` is the check's doc comment (Markdown).
#[derive(Debug)]
pub struct CheckMeta {
    /// Stable id (`POD-001`); never reused for another meaning.
    pub id: &'static str,
    /// Stable kebab-case name (`privileged-container`).
    pub name: &'static str,
    pub severity: Severity,
    /// The PCI DSS v4.0.1 requirements this check is evidence for: each with the testing
    /// procedure it evidences and why.
    pub requirements: &'static [Mapping],
    pub applies: Applies,
    /// The kinds whose objects the check reads, as written in its declaration: kind names
    /// (`NetworkPolicy`) and the groups [`WORKLOADS`] (every pod-running kind) and [`ANY_KIND`]
    /// (every object of the input). When one of them could not be listed from the cluster, the
    /// check is reported "not assessed" instead of being run on incomplete data.
    pub reads: &'static [&'static str],
    /// What a missing kind (one of `reads` the collector could not list) does to the check.
    pub on_partial_input: PartialInput,
    /// Whether the result for one object depends on that object alone (see [`Locality`]):
    /// `kubepci serve` then re-runs the check on changed objects only.
    pub locality: Locality,
    pub doc: &'static str,
}

/// What the result a check gives one object depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Locality {
    /// Anything in the input (the default): re-run whole when a kind it reads changes.
    Whole,
    /// Only the object itself (its own fields and pod template), its scope (its namespace's
    /// labels, kubepci.yaml), the configuration and the run's date. Its results for other
    /// objects stand when one object changes; a run focused on some objects
    /// ([`run_focused`]) gives exactly the whole run's results for those objects. Results not
    /// tied to an object ("no CDE declared", a kind not listable) depend on the input as a
    /// whole and are not part of a focused run.
    Object,
}

/// One mapping of a check to a PCI DSS v4.0.1 requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Mapping {
    /// The requirement number (`1.3.1`).
    pub requirement: &'static str,
    /// The testing procedure the check's result is evidence for, numbered as in the
    /// standard's "Testing Procedures" column (`1.3.1.b`; the requirement number itself when
    /// the requirement has a single procedure).
    pub procedure: &'static str,
    /// Why the result is evidence for that procedure.
    pub why: &'static str,
}

/// How a check is reported when some kind it reads could not be listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PartialInput {
    /// Missing objects could turn any verdict around (a NetworkPolicy not seen makes a pod
    /// look unprotected): one "not assessed" result, the check is not run.
    NotAssessed,
    /// Every failure found on the objects that were listed is a real one (a card number in a
    /// ConfigMap stays one when Secrets were not read), but a pass cannot be claimed: the check
    /// runs, its failures stand, and its passes become one "not assessed" result.
    FailuresStand,
}

/// `reads` group: every kind that runs pods (the inventory's workloads and their pods).
pub const WORKLOADS: &str = "workloads";
/// `reads` group: every object of the input, whatever its kind (card-data discovery).
pub const ANY_KIND: &str = "any";
/// The kinds [`WORKLOADS`] stands for.
pub const WORKLOAD_KINDS: &[&str] = &["Pod", "ReplicationController", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob"];
/// Platform configuration files kubepci reads, by (API group, kind): they come from files
/// (`--platform-config`), never from the API.
/// Kinds kubepci itself writes into the input from other evidence (never listed from the API):
/// `AuditActivity`, the summary of audit logs that `scan --audit-log` adds.
pub const SUMMARY_KINDS: &[(&str, &str)] = &[("kubepci.io", "AuditActivity")];

pub const PLATFORM_KINDS: &[(&str, &str)] = &[
    ("apiserver.config.k8s.io", "EncryptionConfiguration"),
    ("audit.k8s.io", "Policy"),
    ("kubelet.config.k8s.io", "KubeletConfiguration"),
];

/// Whether a `reads` list (kind names and the groups [`WORKLOADS`], [`ANY_KIND`]) covers `kind`.
pub(crate) fn reads_kind(reads: &[&str], kind: &str) -> bool {
    reads.iter().any(|&r| r == kind || r == ANY_KIND || (r == WORKLOADS && WORKLOAD_KINDS.contains(&kind)))
}

/// Whether a `reads` list covers a kind the collector could not list. Platform configuration
/// kinds come from files, never from the API: a listed kind of the same name in another group
/// (Kyverno's `Policy`) is not the one declared.
fn reads_unlisted(reads: &[&str], unlisted: &UnlistedKind) -> bool {
    if reads.contains(&ANY_KIND) {
        return true;
    }
    let other_group = |(group, kind): &(&str, &str)| *kind == unlisted.kind && unlisted.group.as_deref().is_some_and(|g| g != *group);
    !PLATFORM_KINDS.iter().any(other_group) && reads_kind(reads, &unlisted.kind)
}

impl CheckMeta {
    /// The doc comment's first line.
    pub fn title(&self) -> &'static str {
        self.doc.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or(self.name)
    }

    /// The doc comment's `## Fix` section, as one paragraph. Read from the doc once per check
    /// (an admission review asks for it on every failure it answers).
    pub fn remediation(&self) -> String {
        use std::collections::HashMap;
        use std::sync::{Mutex, OnceLock};
        // By the doc comment's address: every check's doc is a distinct static string.
        static READ: OnceLock<Mutex<HashMap<usize, String>>> = OnceLock::new();
        let read = READ.get_or_init(Default::default);
        let key = self.doc.as_ptr() as usize;
        if let Some(text) = read.lock().ok().and_then(|r| r.get(&key).cloned()) {
            return text;
        }
        let text = docs::section(self.doc, "Fix").split_whitespace().collect::<Vec<_>>().join(" ");
        if let Ok(mut r) = read.lock() {
            r.insert(key, text.clone());
        }
        text
    }

    pub fn requirement_ids(&self) -> Vec<String> {
        self.requirements.iter().map(|m| m.requirement.to_string()).collect()
    }

    /// Whether the check reads objects of `kind` (directly or through a group).
    pub fn reads_kind(&self, kind: &str) -> bool {
        reads_kind(self.reads, kind)
    }

    /// Whether the check reads a kind the collector could not list.
    pub fn reads_unlisted(&self, unlisted: &UnlistedKind) -> bool {
        reads_unlisted(self.reads, unlisted)
    }

    /// The declared kinds with [`WORKLOADS`] spelled out (sorted, unique); [`ANY_KIND`] stays
    /// as it is.
    pub fn kinds_read(&self) -> Vec<&'static str> {
        let mut kinds: Vec<&'static str> = self.reads.iter().flat_map(|r| if *r == WORKLOADS { WORKLOAD_KINDS } else { std::slice::from_ref(r) }).copied().collect();
        kinds.sort_unstable();
        kinds.dedup();
        kinds
    }
}

/// A check: its description and the function that evaluates it.
pub struct Check {
    pub meta: CheckMeta,
    pub run: fn(&Context, &mut Emitter),
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Check").field("id", &self.meta.id).finish()
    }
}

/// Declare a check from its doc comment and metadata:
///
/// ```ignore
/// declare_check! {
///     /// Containers must not run privileged
///     /// ## What it checks ...
///     pub PRIVILEGED_CONTAINER {
///         id: "POD-001", name: "privileged-container", severity: Critical, applies: All,
///         reads: [workloads],
///         requirements: [("2.2.6", "2.2.6.b", "why")],
///         run: run,
///     }
/// }
/// ```
#[macro_export]
macro_rules! declare_check {
    (
        $(#[doc = $doc:literal])*
        pub $static:ident {
            id: $id:literal,
            name: $name:literal,
            severity: $sev:ident,
            applies: $applies:ident,
            reads: [$($reads:ident),* $(,)?],
            $(on_partial_input: $partial:ident,)?
            $(locality: $locality:ident,)?
            requirements: [$(($req:literal, $proc:literal, $why:literal)),* $(,)?],
            run: $run:expr $(,)?
        }
    ) => {
        pub static $static: $crate::Check = $crate::Check {
            meta: $crate::CheckMeta {
                id: $id,
                name: $name,
                severity: kubepci_findings::Severity::$sev,
                requirements: &[$($crate::Mapping { requirement: $req, procedure: $proc, why: $why }),*],
                applies: $crate::Applies::$applies,
                reads: &[$(stringify!($reads)),*],
                on_partial_input: $crate::declare_check!(@partial $($partial)?),
                locality: $crate::declare_check!(@locality $($locality)?),
                doc: concat!($($doc, "\n"),*),
            },
            run: $run,
        };
    };
    (@partial) => { $crate::PartialInput::NotAssessed };
    (@partial $partial:ident) => { $crate::PartialInput::$partial };
    (@locality) => { $crate::Locality::Whole };
    (@locality $locality:ident) => { $crate::Locality::$locality };
}

/// Every check, in id order.
pub fn registry() -> Vec<&'static Check> {
    let mut all: Vec<&'static Check> = rules::ALL.iter().flat_map(|area| area.iter().copied()).collect();
    all.sort_by_key(|c| c.meta.id);
    all
}

/// Find a check by id (`POD-001`) or name (`privileged-container`), case-insensitively.
pub fn find(id_or_name: &str) -> Option<&'static Check> {
    registry().into_iter().find(|c| c.meta.id.eq_ignore_ascii_case(id_or_name) || c.meta.name.eq_ignore_ascii_case(id_or_name))
}
