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
pub use context::{Context, InputKind};
pub use docs::{check_markdown, example_blocks};
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
    /// PCI DSS v4.0.1 requirement numbers, each with why this check is evidence for it.
    pub requirements: &'static [(&'static str, &'static str)],
    pub applies: Applies,
    pub doc: &'static str,
}

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
        self.requirements.iter().map(|(r, _)| r.to_string()).collect()
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
///         requirements: [("2.2.6", "why")],
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
            requirements: [$(($req:literal, $why:literal)),* $(,)?],
            run: $run:expr $(,)?
        }
    ) => {
        pub static $static: $crate::Check = $crate::Check {
            meta: $crate::CheckMeta {
                id: $id,
                name: $name,
                severity: kubepci_findings::Severity::$sev,
                requirements: &[$(($req, $why)),*],
                applies: $crate::Applies::$applies,
                doc: concat!($($doc, "\n"),*),
            },
            run: $run,
        };
    };
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
