//! PCI DSS scope classes and how each namespace and workload gets one.
//!
//! Precedence, most specific first: the workload's own `pci.kubepci.io/scope` label (on the
//! object or its pod template), a workload selector in `kubepci.yaml`, the namespace's label,
//! the namespace list in `kubepci.yaml`. Nothing matched = unclassified (itself a finding).

use std::fmt;

use serde::Serialize;

/// The label that declares scope on a namespace or workload.
pub const SCOPE_LABEL: &str = "pci.kubepci.io/scope";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Stores, processes or transmits account data.
    Cde,
    /// Connected to the CDE, or able to affect its security through the network.
    Connected,
    /// Security-impacting: controls or protects the CDE (identity, logging, policy engines).
    Security,
    /// Declared out of scope.
    Out,
    /// Not classified by any label or config entry.
    Unclassified,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "cde" => Some(Scope::Cde),
            "connected" => Some(Scope::Connected),
            "security" | "security-impacting" => Some(Scope::Security),
            "out" | "out-of-scope" => Some(Scope::Out),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Cde => "cde",
            Scope::Connected => "connected",
            Scope::Security => "security",
            Scope::Out => "out",
            Scope::Unclassified => "unclassified",
        }
    }
    /// In PCI scope: CDE, connected-to or security-impacting.
    pub fn in_scope(self) -> bool {
        matches!(self, Scope::Cde | Scope::Connected | Scope::Security)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scope class and the evidence for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScopeDecision {
    pub scope: Scope,
    pub reason: String,
}

impl ScopeDecision {
    pub fn unclassified() -> Self {
        ScopeDecision { scope: Scope::Unclassified, reason: "no scope label or kubepci.yaml entry".into() }
    }
}
