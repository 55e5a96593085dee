//! PCI DSS scope classes and how each namespace and workload gets one.
//!
//! Precedence, most specific first: the workload's own `pci.kubepci.io/scope` label (on the
//! object or its pod template), a workload selector in `kubepci.yaml`, the namespace's label,
//! the namespace lists in `kubepci.yaml`, then their namespace selectors. Within one step the
//! most restrictive class that matches wins (cde, connected, security, out). Nothing matched =
//! unclassified (itself a finding).

use std::collections::BTreeMap;
use std::fmt;

use kubepci_model::selector::Selector;
use serde::Serialize;

use crate::config::ScopeConfig;

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

/// Decides the scope of namespaces from their name and labels: their own `pci.kubepci.io/scope`
/// label, then the `namespaces` lists of kubepci.yaml, then its `namespaceSelector`s. The
/// selectors are compiled once (an invalid one, which `Config::from_yaml` rejects, selects
/// nothing).
pub struct NamespaceClassifier<'a> {
    config: &'a ScopeConfig,
    selectors: Vec<(Scope, Selector)>,
}

impl<'a> NamespaceClassifier<'a> {
    pub fn new(config: &'a ScopeConfig) -> Self {
        let selectors = config
            .rules()
            .into_iter()
            .filter_map(|(scope, rule)| Some((scope, Selector::from_label_selector(rule.namespace_selector.as_ref()?).ok()?)))
            .collect();
        NamespaceClassifier { config, selectors }
    }

    pub fn classify(&self, name: &str, labels: &BTreeMap<String, String>) -> ScopeDecision {
        if let Some(v) = labels.get(SCOPE_LABEL) {
            return match Scope::parse(v) {
                Some(scope) => ScopeDecision { scope, reason: format!("namespace label {SCOPE_LABEL}={v}") },
                None => ScopeDecision { scope: Scope::Unclassified, reason: format!("namespace label {SCOPE_LABEL}={v} is not one of cde, connected, security, out") },
            };
        }
        for (scope, rule) in self.config.rules() {
            if rule.namespaces.iter().any(|n| n == name) {
                return ScopeDecision { scope, reason: format!("kubepci.yaml scope.{scope}.namespaces") };
            }
        }
        // In rule order, which is the most restrictive class first.
        let mut matched = self.selectors.iter().filter(|(_, s)| s.matches(labels));
        let Some((scope, selector)) = matched.next() else { return ScopeDecision::unclassified() };
        let mut reason = format!("kubepci.yaml scope.{scope}.namespaceSelector ({selector})");
        let also: Vec<String> = matched.map(|(other, _)| format!("scope.{other}.namespaceSelector")).collect();
        if !also.is_empty() {
            reason.push_str(&format!("; {} {} too, the most restrictive class wins", also.join(" and "), if also.len() == 1 { "matches" } else { "match" }));
        }
        ScopeDecision { scope: *scope, reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn classify(config: &str, name: &str, pairs: &[(&str, &str)]) -> ScopeDecision {
        let config = Config::from_yaml("kubepci.yaml", config).expect("valid config");
        NamespaceClassifier::new(&config.scope).classify(name, &labels(pairs))
    }

    const TEAM_LABELS: &str = "
scope:
  cde:
    namespaceSelector:
      matchExpressions:
        - {key: data-classification, operator: In, values: [cardholder, pan]}
  connected:
    namespaceSelector: {matchLabels: {pci.scope: connected}}
  out:
    namespaces: [vault-mirror]
    namespaceSelector:
      matchExpressions: [{key: compliance, operator: DoesNotExist}]
";

    #[test]
    fn a_namespace_selector_classifies_by_the_labels_teams_use() {
        let d = classify(TEAM_LABELS, "billing", &[("data-classification", "cardholder"), ("compliance", "pci-dss")]);
        assert_eq!(d, ScopeDecision { scope: Scope::Cde, reason: "kubepci.yaml scope.cde.namespaceSelector (data-classification in (cardholder,pan))".into() });
        let d = classify(TEAM_LABELS, "gateway", &[("pci.scope", "connected"), ("compliance", "pci-dss")]);
        assert_eq!((d.scope, d.reason.as_str()), (Scope::Connected, "kubepci.yaml scope.connected.namespaceSelector (pci.scope=connected)"));
        // matchExpressions with DoesNotExist: namespaces without the label.
        assert_eq!(classify(TEAM_LABELS, "blog", &[]).scope, Scope::Out);
        assert_eq!(classify(TEAM_LABELS, "hr", &[("compliance", "sox")]), ScopeDecision::unclassified());
    }

    #[test]
    fn when_selectors_of_several_classes_match_the_most_restrictive_wins_and_the_reason_says_so() {
        let d = classify(TEAM_LABELS, "ledger", &[("data-classification", "pan"), ("pci.scope", "connected")]);
        assert_eq!(d.scope, Scope::Cde);
        assert_eq!(d.reason, "kubepci.yaml scope.cde.namespaceSelector (data-classification in (cardholder,pan)); scope.connected.namespaceSelector and scope.out.namespaceSelector match too, the most restrictive class wins");
    }

    #[test]
    fn the_scope_label_and_explicit_lists_come_before_selectors() {
        let d = classify(TEAM_LABELS, "billing", &[(SCOPE_LABEL, "out"), ("data-classification", "cardholder")]);
        assert_eq!((d.scope, d.reason.as_str()), (Scope::Out, "namespace label pci.kubepci.io/scope=out"));
        // An explicit list of a less restrictive class still wins over a selector.
        let d = classify(TEAM_LABELS, "vault-mirror", &[("data-classification", "cardholder")]);
        assert_eq!((d.scope, d.reason.as_str()), (Scope::Out, "kubepci.yaml scope.out.namespaces"));
    }

    #[test]
    fn an_empty_selector_selects_every_namespace_and_an_invalid_one_is_a_config_error() {
        assert_eq!(classify("scope: {security: {namespaceSelector: {}}}", "any", &[]).scope, Scope::Security);
        let err = Config::from_yaml("k.yaml", "scope:\n  cde:\n    namespaceSelector: {matchExpressions: [{key: a, operator: In}]}\n").unwrap_err();
        assert_eq!(err.0, "k.yaml: scope.cde.namespaceSelector: invalid label selector: operator In on key \"a\" needs at least one value");
        let err = Config::from_yaml("k.yaml", "scope:\n  out:\n    namespaceSelector: {matchExpressions: [{key: a, operator: Maybe}]}\n").unwrap_err();
        assert!(err.0.starts_with("k.yaml: scope.out.namespaceSelector: invalid label selector: unknown operator"), "{err}");
        assert!(Config::from_yaml("k.yaml", "scope:\n  cde:\n    namespaceSelectr: {}\n").is_err(), "a typo is an error");
    }
}
