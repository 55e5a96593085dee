//! Checks: the registry of every kubepci check and the runner that evaluates them on an
//! [`Inventory`].
//!
//! Each check lives in its own file under `rules/<area>/`, declared with [`declare_check!`]:
//! its doc comment is the single source for the title, `kubepci checks explain`, the generated
//! `docs/checks/` pages and the remediation text in findings; its failing and passing examples
//! are run as fixtures by the test suite (`tests/examples.rs`).

mod boundary;
mod context;
mod docs;
mod runner;
pub mod rules;
pub mod support;

use kubepci_findings::Severity;

pub use boundary::cde_boundary;
pub use context::{CardNumbers, Context, InputKind, InventoryView, KindRecorder, UnlistedKind, WHOLE_INVENTORY};
pub use docs::{check_markdown, example_blocks, requirements_markdown};
pub use runner::{Assessment, Emitter, RunOptions, run_checks};

/// Which objects a check looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applies {
    /// Every object of the kinds the check reads, whatever its scope.
    All,
    /// Only objects in the cardholder data environment.
    Cde,
    /// Objects in CDE, connected or security-impacting scope.
    InScope,
    /// Cluster-wide facts (one result for the whole input).
    Cluster,
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
    pub doc: &'static str,
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

impl CheckMeta {
    /// The doc comment's first line.
    pub fn title(&self) -> &'static str {
        self.doc.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or(self.name)
    }

    /// The doc comment's `## Fix` section, as one paragraph.
    pub fn remediation(&self) -> String {
        docs::section(self.doc, "Fix").split_whitespace().collect::<Vec<_>>().join(" ")
    }

    pub fn requirement_ids(&self) -> Vec<String> {
        self.requirements.iter().map(|m| m.requirement.to_string()).collect()
    }

    /// Whether the check reads objects of `kind` (directly or through a group).
    pub fn reads_kind(&self, kind: &str) -> bool {
        self.reads.iter().any(|&r| r == kind || r == ANY_KIND || (r == WORKLOADS && WORKLOAD_KINDS.contains(&kind)))
    }

    /// Whether the check reads a kind the collector could not list. Platform configuration
    /// kinds come from files, never from the API: a listed kind of the same name in another
    /// group (Kyverno's `Policy`) is not the one declared.
    pub fn reads_unlisted(&self, unlisted: &UnlistedKind) -> bool {
        if self.reads.contains(&ANY_KIND) {
            return true;
        }
        let other_group = |(group, kind): &(&str, &str)| *kind == unlisted.kind && unlisted.group.as_deref().is_some_and(|g| g != *group);
        !rules::platform::control_plane::PLATFORM_KINDS.iter().any(other_group) && self.reads_kind(&unlisted.kind)
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
                doc: concat!($($doc, "\n"),*),
            },
            run: $run,
        };
    };
    (@partial) => { $crate::PartialInput::NotAssessed };
    (@partial $partial:ident) => { $crate::PartialInput::$partial };
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
