//! Findings and their roll-up into a per-requirement PCI DSS status. This is the data every
//! printer (terminal, JSON, SARIF, JUnit, …) renders; it holds no I/O.

pub mod reasons;
pub mod requirements;
mod rollup;
mod text;

use std::fmt;
use std::str::FromStr;

use kubepci_model::{ObjectRef, SourceLoc};
use serde::{Deserialize, Serialize};

pub use text::{Text, TextList};
pub use rollup::{Coverage, MissingEvidence, OUT_OF_SCOPE, RequirementException, RequirementResult, RequirementStatus, RocFinding, rollup};

/// The singular/plural choice of messages, re-exported where the checks and printers write them.
pub use kubepci_base::text::noun;

/// How bad a failure is. Ordered, so `--fail-on high` means high or critical.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical];
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown severity {s:?} (expected info, low, medium, high or critical)"))
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of one check on one object (or on the input as a whole).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Fail,
    /// A failure covered by an unexpired exception in `kubepci.yaml`.
    Excepted,
    /// The input cannot decide the check (the reason says why). Never counted as a pass.
    NotAssessed,
    Pass,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fail => "fail",
            Status::Excepted => "excepted",
            Status::NotAssessed => "not-assessed",
            Status::Pass => "pass",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One observed fact behind a finding: a field path in the object and what it holds. Values
/// are already redacted (no Secret values, card numbers masked).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl Evidence {
    pub fn field(path: impl Into<String>, value: impl Into<String>) -> Self {
        Evidence { path: path.into(), value: Some(value.into()) }
    }
    pub fn path(path: impl Into<String>) -> Self {
        Evidence { path: path.into(), value: None }
    }
}

/// The exception that turned a failure into `excepted`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedException {
    pub reason: String,
    pub approved_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// The compensating control the exception relies on (a PCI DSS compensating-control
    /// worksheet, by name or reference). Without one, the exception is an accepted risk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compensating_control: Option<String>,
    /// The requirement numbers the compensating control stands in for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compensates: Vec<String>,
}

/// One result of one check. The texts a check gives every finding of it (id, title,
/// requirements, fix) and the scope class and file name are [`Text`]s shared between
/// findings; the message and evidence are the finding's own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The check id (`POD-001`).
    pub check: Text,
    pub title: Text,
    pub status: Status,
    pub severity: Severity,
    pub requirements: TextList,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<ObjectRef>,
    /// PCI scope class of the object (`cde`, `connected`, …) when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
    pub remediation: Text,
    /// Boxed: rare, and five strings wide.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<Box<AppliedException>>,
}

/// Where to look in the input.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Location {
    pub file: Text,
    #[serde(skip_serializing_if = "is_zero")]
    pub line: u32,
    #[serde(skip_serializing_if = "is_zero")]
    pub column: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl From<&SourceLoc> for Location {
    fn from(l: &SourceLoc) -> Self {
        Location { file: Text::from(l.file.clone()), line: l.line, column: l.column }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => write!(f, "{}", self.file),
            (l, 0) => write!(f, "{}:{l}", self.file),
            (l, c) => write!(f, "{}:{l}:{c}", self.file),
        }
    }
}

impl Finding {
    /// Stable order for every output: status, then severity (worst first), check, object.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (self.status, std::cmp::Reverse(self.severity), &self.check, &self.object, &self.location, &self.message)
    }
}

/// Per-check counts, including passes that are not materialised as findings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckSummary {
    pub check: String,
    pub title: String,
    pub severity: Severity,
    pub requirements: Vec<String>,
    pub passed: usize,
    pub failed: usize,
    pub excepted: usize,
    pub not_assessed: usize,
    /// Why the check did not run (disabled in kubepci.yaml, not selected with `--only`);
    /// absent when it ran. A check that did not run holds its requirements back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_run: Option<String>,
}

/// One allowed network flow across the CDE boundary (the report's boundary section).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BoundaryFlow {
    /// `into-cde` or `out-of-cde`.
    pub direction: String,
    /// `namespace/name[Kind]`, an address range, or `{ingress-controller}`.
    pub from: String,
    pub to: String,
    /// What is allowed (`TCP 8443`, `All Connections`).
    pub connections: String,
    /// The part not covered by `approvedFlows` (empty when fully approved).
    pub unapproved: String,
    pub approved: bool,
    /// How many workloads `from` (into the CDE) or `to` (out of it) stands for: 1 for one
    /// workload, more for a `namespace/*` or `*/*` group, 0 for an address range or
    /// `{ingress-controller}`.
    pub workloads: usize,
    /// How many CDE workloads the CDE end stands for: 1 for one workload, more for a
    /// `namespace/*` or `*/*` group of CDE workloads.
    pub cde_workloads: usize,
    /// For a flow from `{ingress-controller}` (traffic from outside through an ingress
    /// controller): the objects that give it, `Kind namespace/name` (`Ingress payments/pay`,
    /// `HTTPRoute payments/pay`). Empty, and not serialised, for every other flow.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
}
