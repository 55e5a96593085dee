//! `kubepci.yaml`: the user's statement of scope, approvals and exceptions. Every key is
//! documented in `docs/config.md`; unknown keys are rejected so a typo cannot silently weaken
//! an assessment.

use std::collections::BTreeMap;

use kubepci_model::k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kubepci_model::selector::{Selector, SelectorError};
use serde::{Deserialize, Serialize};

use crate::scope::Scope;

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Config {
    /// Namespace given to namespaced objects that do not name one (as `kubectl apply` would).
    pub default_namespace: Option<String>,
    pub scope: ScopeConfig,
    /// Image registries (prefixes such as `registry.example.com/` or `ghcr.io/acme/`) that CDE
    /// workloads may pull from.
    pub approved_registries: Vec<String>,
    /// Subjects approved for privileged access (cluster-admin, secret readers, exec).
    pub approved_subjects: Vec<SubjectRef>,
    /// Network flows across the CDE boundary that have a documented business need.
    pub approved_flows: Vec<ApprovedFlow>,
    /// Emergency (break-glass) user names (`*` globs): every request they make is an audit
    /// alert, and they count as administrators (`kubepci audit analyze`, PCI DSS 10.2.1.2).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub break_glass_users: Vec<String>,
    pub checks: ChecksConfig,
    pub exceptions: Vec<Exception>,
    /// The Pod Security level the hardening checks hold each scope class to.
    pub hardening: HardeningConfig,
    /// How the certificate checks judge validity.
    pub certificates: CertificatesConfig,
    /// How old credentials may get before they must be rotated.
    pub credentials: CredentialsConfig,
    /// How vulnerability evidence is judged (report age, patch deadlines).
    #[serde(skip_serializing_if = "VulnerabilityConfig::is_default")]
    pub vulnerabilities: VulnerabilityConfig,
    /// Node agents that detect intrusions, file changes or malware, in addition to the ones
    /// kubepci knows (Falco, Tetragon, KubeArmor, Sysdig, Aqua, Prisma Cloud, Defender,
    /// CrowdStrike, Wazuh): the DET checks look for their DaemonSets.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_agents: Vec<SecurityAgent>,
    /// What the admission webhook of `kubepci serve` does with a failure (docs/serve.md).
    #[serde(skip_serializing_if = "AdmissionConfig::is_default")]
    pub admission: AdmissionConfig,
}

/// Credential rotation settings (IAM-003).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct CredentialsConfig {
    /// Credential Secrets older than this many days fail IAM-003; unset, it is not assessed.
    pub rotation_days: Option<u32>,
}

/// Certificate validity settings (TLS-001).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct CertificatesConfig {
    /// A certificate that expires within this many days fails, unless cert-manager renews it.
    pub expiry_warning_days: u32,
}

impl Default for CertificatesConfig {
    fn default() -> Self {
        CertificatesConfig { expiry_warning_days: 30 }
    }
}

/// A node agent declared in `securityAgents:`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct SecurityAgent {
    /// The product, as findings name it.
    pub name: String,
    /// Image references (or parts of them: `registry.example.com/secops/sensor`) of the
    /// DaemonSet containers that are this agent.
    pub images: Vec<String>,
    /// What it provides: `detection` (runtime intrusion detection), `fim` (file-integrity
    /// monitoring), `anti-malware`.
    pub capabilities: Vec<String>,
}

/// `vulnerabilities:` in kubepci.yaml: what the vulnerability checks (VUL-0xx) hold images to.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct VulnerabilityConfig {
    /// A running image's newest scan report may be at most this many days old (6.3.1, 11.3.1).
    pub max_report_age_days: u32,
    /// A vulnerability whose fix has been available longer than this many days fails (6.3.3
    /// asks for one month).
    pub patch_within_days: u32,
    /// Severities held to `patchWithinDays`: `critical` by default; add `high` where the
    /// entity's risk ranking (6.3.1) calls high vulnerabilities critical too.
    pub patch_severities: Vec<String>,
}

impl Default for VulnerabilityConfig {
    fn default() -> Self {
        VulnerabilityConfig { max_report_age_days: 30, patch_within_days: 30, patch_severities: vec!["critical".into()] }
    }
}

impl VulnerabilityConfig {
    pub fn is_default(&self) -> bool {
        *self == VulnerabilityConfig::default()
    }
}

/// `admission`: the action per check and scope class for objects `kubepci serve`'s webhook
/// reviews. The first rule matching a failure decides; without a match, a critical failure in
/// a CDE namespace is denied and every other failure warned about.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct AdmissionConfig {
    pub rules: Vec<AdmissionRule>,
}

impl AdmissionConfig {
    pub fn is_default(&self) -> bool {
        self.rules.is_empty()
    }

    /// The action for a failure of `check` (of `severity`) on an object of scope class `scope`.
    pub fn action(&self, check: &str, scope: &str, critical: bool) -> AdmissionAction {
        let matches = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == "*" || w.eq_ignore_ascii_case(have));
        match self.rules.iter().find(|r| matches(&r.check, check) && matches(&r.scope, scope)) {
            Some(rule) => rule.action,
            None if critical && scope == "cde" => AdmissionAction::Deny,
            None => AdmissionAction::Warn,
        }
    }
}

/// One `admission.rules` entry: `check` and `scope` (absent or `*`: any) and the action.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AdmissionRule {
    #[serde(default)]
    pub check: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
    pub action: AdmissionAction,
}

/// `deny` rejects the object, `warn` admits it with an AdmissionReview warning, `audit` admits
/// it and records the failure in an audit annotation only.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AdmissionAction {
    Deny,
    Warn,
    Audit,
}

#[cfg(test)]
mod admission_tests {
    use super::*;

    #[test]
    fn first_matching_rule_then_the_default() {
        let config: Config = yaml_serde::from_str("admission:\n  rules:\n  - {check: POD-001, scope: cde, action: warn}\n  - {check: IMG-003, action: deny}\n  - {scope: out, action: audit}\n").expect("config");
        let a = &config.admission;
        assert_eq!(a.action("POD-001", "cde", true), AdmissionAction::Warn);
        assert_eq!(a.action("IMG-003", "connected", false), AdmissionAction::Deny);
        assert_eq!(a.action("POD-002", "out", true), AdmissionAction::Audit);
        assert_eq!(a.action("DATA-001", "cde", true), AdmissionAction::Deny, "default: critical in the CDE");
        assert_eq!(a.action("POD-019", "cde", false), AdmissionAction::Warn);
        assert!(yaml_serde::from_str::<Config>("admission:\n  rules:\n  - {check: X, action: block}\n").is_err());
    }
}

/// A Pod Security Standards level, as the hardening checks apply it.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum HardeningLevel {
    #[default]
    Baseline,
    Restricted,
}

/// Which Pod Security level each scope class is held to. PCI DSS counts connected and
/// security-impacting systems as in-scope system components (2.2.1 covers all of them), so the
/// default holds connected workloads to `restricted` like the CDE's; security agents often need
/// host access and are held to `baseline`, with their own checks.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct HardeningConfig {
    pub cde: HardeningLevel,
    pub connected: HardeningLevel,
    pub security: HardeningLevel,
    pub out: HardeningLevel,
    pub unclassified: HardeningLevel,
}

impl Default for HardeningConfig {
    fn default() -> Self {
        HardeningConfig {
            cde: HardeningLevel::Restricted,
            connected: HardeningLevel::Restricted,
            security: HardeningLevel::Baseline,
            out: HardeningLevel::Baseline,
            unclassified: HardeningLevel::Baseline,
        }
    }
}

impl HardeningConfig {
    /// The level objects of a scope class are held to.
    pub fn level(&self, scope: Scope) -> HardeningLevel {
        match scope {
            Scope::Cde => self.cde,
            Scope::Connected => self.connected,
            Scope::Security => self.security,
            Scope::Out => self.out,
            Scope::Unclassified => self.unclassified,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ScopeConfig {
    pub cde: ScopeRule,
    pub connected: ScopeRule,
    pub security: ScopeRule,
    pub out: ScopeRule,
}

impl ScopeConfig {
    pub fn rules(&self) -> [(Scope, &ScopeRule); 4] {
        [(Scope::Cde, &self.cde), (Scope::Connected, &self.connected), (Scope::Security, &self.security), (Scope::Out, &self.out)]
    }
}

/// Namespaces (exact names, or a selector over their labels) and workload selectors that
/// belong to one scope class.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ScopeRule {
    pub namespaces: Vec<String>,
    /// Namespaces whose labels it selects (the labels teams already use, such as
    /// `pci.scope=cde`); weaker than every class's `namespaces` list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,
    pub workloads: Vec<WorkloadSelector>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct WorkloadSelector {
    /// Namespace the workloads are in; absent means any namespace.
    pub namespace: Option<String>,
    /// Selector over the pod template labels.
    pub selector: LabelSelector,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SubjectRef {
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ApprovedFlow {
    /// `namespace/workload`, `namespace/*`, or an IP range in CIDR form.
    pub from: String,
    pub to: String,
    /// `TCP/443` style entries; empty means any port.
    pub ports: Vec<String>,
    pub reason: String,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ChecksConfig {
    /// Check ids that are not run.
    pub disable: Vec<String>,
    /// Per-check changes of severity or PCI DSS mapping.
    pub overrides: BTreeMap<String, CheckOverride>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct CheckOverride {
    pub severity: Option<String>,
    pub requirements: Option<Vec<String>>,
}

/// An accepted risk: matching failures are reported as `excepted` (not `fail`) until `expires`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Exception {
    pub check: String,
    /// `Kind/namespace/name` or `Kind/name`; `*` matches any run of characters.
    pub object: String,
    pub reason: String,
    pub approved_by: String,
    pub ticket: Option<String>,
    /// `YYYY-MM-DD`; after this date the exception no longer applies.
    pub expires: Option<String>,
    /// The compensating control that makes up for the failure (a compensating-control
    /// worksheet's name or reference). Without one, the exception is a known, accepted risk.
    pub compensating_control: Option<String>,
    /// The PCI DSS requirement numbers the compensating control stands in for (`["2.2.6"]`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub compensates: Vec<String>,
}

#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for ConfigError {}

impl Config {
    /// Parse `kubepci.yaml` text; `name` is used in error messages.
    pub fn from_yaml(name: &str, text: &str) -> Result<Config, ConfigError> {
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        let config: Config = yaml_serde::from_str(text).map_err(|e| {
            let at = e.location().map(|l| format!(":{}:{}", l.line(), l.column() + 1)).unwrap_or_default();
            ConfigError(format!("{name}{at}: {e}"))
        })?;
        for (scope, rule) in config.scope.rules() {
            let invalid = |what: &str, e: SelectorError| ConfigError(format!("{name}: scope.{scope}.{what}: {e}"));
            if let Some(selector) = &rule.namespace_selector {
                Selector::from_label_selector(selector).map_err(|e| invalid("namespaceSelector", e))?;
            }
            for w in &rule.workloads {
                Selector::from_label_selector(&w.selector).map_err(|e| invalid("workloads selector", e))?;
            }
        }
        for ex in &config.exceptions {
            if let Some(date) = &ex.expires
                && !is_iso_date(date)
            {
                return Err(ConfigError(format!("{name}: exception for {} on {}: expires must be YYYY-MM-DD, got {date:?}", ex.check, ex.object)));
            }
            if let Some(bad) = ex.compensates.iter().find(|r| !is_requirement_number(r)) {
                return Err(ConfigError(format!("{name}: exception for {} on {}: compensates takes PCI DSS requirement numbers (\"2.2.6\"), got {bad:?}", ex.check, ex.object)));
            }
            if !ex.compensates.is_empty() && ex.compensating_control.is_none() {
                return Err(ConfigError(format!("{name}: exception for {} on {}: compensates needs the compensatingControl that does it", ex.check, ex.object)));
            }
        }
        Ok(config)
    }

    pub fn default_namespace(&self) -> &str {
        self.default_namespace.as_deref().unwrap_or("default")
    }

    pub fn subject_approved(&self, kind: &str, name: &str, namespace: Option<&str>) -> bool {
        self.approved_subjects.iter().any(|s| {
            s.kind == kind && s.name == name && (s.namespace.is_none() || s.namespace.as_deref() == namespace)
        })
    }

    pub fn registry_approved(&self, image: &str) -> bool {
        self.approved_registries.iter().any(|r| image.starts_with(r.as_str()))
    }
}

pub(crate) fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10 && b[4] == b'-' && b[7] == b'-' && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// `2.2.6`, `10.2.1.1`, `A3.2.5`: digits (or an appendix letter) and dots.
fn is_requirement_number(s: &str) -> bool {
    let body = s.strip_prefix(|c: char| c.is_ascii_uppercase()).unwrap_or(s);
    !body.is_empty() && body.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Glob match with `*` only, as exceptions use.
pub use kubepci_base::text::glob as glob_match;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_config() {
        let c = Config::from_yaml(
            "kubepci.yaml",
            r#"
scope:
  cde:
    namespaces: [payments]
    workloads:
      - namespace: shared
        selector: {matchLabels: {app: tokenizer}}
  security: {namespaces: [kube-system]}
approvedRegistries: [registry.example.com/]
approvedSubjects: [{kind: Group, name: platform-admins}]
checks:
  disable: [KPCI-EXAMPLE]
  overrides: {KPCI-OTHER: {severity: low}}
exceptions:
  - {check: KPCI-X, object: "Deployment/payments/*", reason: vendor image, approvedBy: CISO, expires: "2027-01-31"}
"#,
        )
        .unwrap();
        assert_eq!(c.scope.cde.namespaces, ["payments"]);
        assert!(c.registry_approved("registry.example.com/pay/api:1.0"));
        assert!(!c.registry_approved("docker.io/library/nginx"));
        assert!(c.subject_approved("Group", "platform-admins", None));
    }

    #[test]
    fn unknown_keys_and_bad_dates_are_errors_with_position() {
        let e = Config::from_yaml("k.yaml", "scope:\n  cdee: {}\n").unwrap_err();
        assert!(e.0.starts_with("k.yaml:2:"), "{e}");
        assert!(Config::from_yaml("k.yaml", "exceptions: [{check: a, object: b, expires: tomorrow}]").is_err());
        let compensated = Config::from_yaml("k.yaml", "exceptions: [{check: a, object: b, compensatingControl: CCW-3, compensates: ['2.2.6', A3.2.5]}]").unwrap();
        assert_eq!(compensated.exceptions[0].compensates, ["2.2.6", "A3.2.5"]);
        assert!(Config::from_yaml("k.yaml", "exceptions: [{check: a, object: b, compensatingControl: CCW-3, compensates: [req 2]}]").is_err());
        assert!(Config::from_yaml("k.yaml", "exceptions: [{check: a, object: b, compensates: ['2.2.6']}]").is_err(), "compensates without a control");
    }

    #[test]
    fn the_documented_example_parses() {
        let doc = include_str!("../../../docs/config.md");
        let start = doc.find("```yaml\n").expect("a yaml block") + "```yaml\n".len();
        let end = start + doc[start..].find("```").expect("its end");
        let c = Config::from_yaml("docs/config.md", &doc[start..end]).expect("the documented example is valid");
        assert!(c.scope.cde.namespace_selector.is_some() && c.scope.connected.namespace_selector.is_some());
    }

    #[test]
    fn globs() {
        assert!(glob_match("Deployment/payments/*", "Deployment/payments/api"));
        assert!(glob_match("*/api", "Deployment/payments/api"));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxbyy"));
        assert!(glob_match("exact", "exact"));
    }
}
