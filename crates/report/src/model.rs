use kubepci_findings::{BoundaryFlow, CheckSummary, Finding, RequirementResult, Severity, Status};
use serde::Serialize;

/// Version of the JSON report schema (`docs/report-schema.md`). Bumped on any incompatible change.
pub const REPORT_SCHEMA_VERSION: &str = "kubepci.io/report/v2";

/// Everything one assessment found, ready to print.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub schema: String,
    pub tool: Tool,
    pub standard: Standard,
    /// RFC 3339 UTC.
    pub generated_at: String,
    /// The rule set, configuration and options that produced this report.
    pub provenance: Provenance,
    pub input: InputSummary,
    pub scope: ScopeSummary,
    pub summary: Summary,
    pub requirements: Vec<RequirementResult>,
    pub checks: Vec<CheckInfo>,
    pub findings: Vec<Finding>,
    /// Every allowed flow into or out of the CDE (empty when no CDE is declared).
    pub boundary: Vec<BoundaryFlow>,
    /// The access review: every grant of a sensitive capability in a CDE namespace or
    /// cluster-wide, approved or not (absent when there is none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub access: Vec<AccessGrant>,
}

/// One subject's sensitive capabilities through one binding, in a CDE namespace or
/// cluster-wide: a row of the access review (PCI DSS 7.2.4, 7.2.5.1).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessGrant {
    /// `Kind:name`, `ServiceAccount:name:namespace` (as `kubepci rbac` takes subjects).
    pub subject: String,
    /// The namespace, or `cluster-wide`.
    pub scope: String,
    pub binding: String,
    pub role: String,
    /// What the grant allows that matters for the CDE (`get-secrets`, `exec-pods`,
    /// `run-workloads`, `everything`, …), as `kubepci rbac review` names them.
    pub capabilities: Vec<String>,
    /// The subject is listed in `approvedSubjects`.
    pub approved: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Standard {
    pub name: String,
    pub version: String,
}

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InputSummary {
    /// `manifests`, `snapshot` or `live`.
    pub kind: String,
    pub sources: Vec<String>,
    pub files: usize,
    pub documents: usize,
    pub objects: usize,
    /// Objects by kind, for the inventory evidence (12.5.1).
    pub kinds: std::collections::BTreeMap<String, usize>,
    pub errors: Vec<InputError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<SnapshotInfo>,
}

/// A document, item or path that could not be read. `line` and `column` are 1-based; 0 means
/// none exists (a file that cannot be opened, an item of a live cluster).
#[derive(Clone, Debug, Serialize)]
pub struct InputError {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl std::fmt::Display for InputError {
    /// `file:line:column: message`, with only the parts of the position that exist.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let loc = kubepci_model::SourceLoc::new(self.file.as_str(), self.line, self.column);
        write!(f, "{loc}: {}", self.message)
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotInfo {
    pub sha256: String,
    pub collected_at: String,
}

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeSummary {
    pub namespaces: Vec<NamespaceScope>,
    /// Workload counts per scope class.
    pub workloads: std::collections::BTreeMap<String, usize>,
    /// The workloads an assessor reviews one by one, with the reason for their class: every
    /// `cde` and `connected` workload, and any other whose class differs from its namespace's
    /// (set by a workload label or a `kubepci.yaml` workload selector). The rest take their
    /// namespace's class and reason and are only counted in `workloads`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub workload_scopes: Vec<WorkloadScope>,
}

/// One workload's scope class and why.
#[derive(Clone, Debug, Serialize)]
pub struct WorkloadScope {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub scope: String,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct NamespaceScope {
    pub name: String,
    pub scope: String,
    pub reason: String,
}

/// A check as the report describes it (for rule tables in SARIF and friends).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckInfo {
    #[serde(flatten)]
    pub summary: CheckSummary,
    pub name: String,
    pub remediation: String,
    /// Markdown help (the check's documentation).
    pub help: String,
}

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub failed: usize,
    pub excepted: usize,
    pub not_assessed: usize,
    pub passed: usize,
    /// Failures per severity.
    pub failed_by_severity: std::collections::BTreeMap<String, usize>,
    /// Requirement numbers per roll-up status.
    pub requirements: std::collections::BTreeMap<String, usize>,
}

impl Summary {
    pub fn compute(checks: &[CheckInfo], findings: &[Finding], requirements: &[RequirementResult]) -> Summary {
        Summary::tally(checks.iter().map(|c| c.summary.passed).sum(), findings, requirements)
    }

    /// The summary from its parts: the passes the checks counted (`CheckSummary::passed`), the
    /// findings and the requirement roll-up. `serve` keeps those parts between changes.
    pub fn tally(checks_passed: usize, findings: &[Finding], requirements: &[RequirementResult]) -> Summary {
        let mut s = Summary { passed: checks_passed, ..Summary::default() };
        for f in findings {
            match f.status {
                Status::Fail => {
                    s.failed += 1;
                    *s.failed_by_severity.entry(f.severity.as_str().into()).or_default() += 1;
                }
                Status::Excepted => s.excepted += 1,
                Status::NotAssessed => s.not_assessed += 1,
                Status::Pass => s.passed += 1,
            }
        }
        for r in requirements {
            *s.requirements.entry(r.status.as_str().to_string()).or_default() += 1;
        }
        s
    }
}

impl Report {
    pub fn new(generated_at: String, provenance: Provenance, input: InputSummary, scope: ScopeSummary, checks: Vec<CheckInfo>, findings: Vec<Finding>) -> Report {
        let summaries: Vec<CheckSummary> = checks.iter().map(|c| c.summary.clone()).collect();
        let requirements = kubepci_findings::rollup(&summaries, &findings);
        let summary = Summary::compute(&checks, &findings, &requirements);
        Report {
            schema: REPORT_SCHEMA_VERSION.into(),
            tool: Tool { name: "kubepci".into(), version: env!("CARGO_PKG_VERSION").into() },
            standard: Standard { name: "PCI DSS".into(), version: "4.0.1".into() },
            generated_at,
            provenance,
            input,
            scope,
            summary,
            requirements,
            checks,
            findings,
            boundary: Vec::new(),
            access: Vec::new(),
        }
    }

    /// Highest severity among failures (for `--fail-on`).
    pub fn worst_failure(&self) -> Option<Severity> {
        self.findings.iter().filter(|f| f.status == Status::Fail).map(|f| f.severity).max()
    }

    pub fn check(&self, id: &str) -> Option<&CheckInfo> {
        self.checks.iter().find(|c| c.summary.check == id)
    }
}

/// What produced the report, so a reader can tell how far configuration shaped the result:
/// the rule set (registry fingerprint), the effective `kubepci.yaml` and the run's options.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Provenance {
    pub registry: RegistryInfo,
    pub config: EffectiveConfig,
    pub run: RunInfo,
}

/// The check registry the report was judged by.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistryInfo {
    /// Checks in the registry (run or not).
    pub checks: usize,
    /// `sha256:…` over every check's metadata, mapping and documentation.
    pub sha256: String,
}

/// Where the configuration came from: a file and its digest, or the built-in defaults.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigSource {
    /// Path of the kubepci.yaml read; absent when the defaults were used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `sha256:…` of the file's bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// The configuration in effect, every key that can change a result.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EffectiveConfig {
    #[serde(flatten)]
    pub source: ConfigSource,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_namespace: Option<String>,
    pub scope: kubepci_inventory::config::ScopeConfig,
    pub approved_registries: Vec<String>,
    pub approved_subjects: Vec<kubepci_inventory::config::SubjectRef>,
    pub approved_flows: Vec<kubepci_inventory::config::ApprovedFlow>,
    /// `checks.disable`: these checks did not run, and hold back the requirements they map to.
    pub disabled_checks: Vec<String>,
    /// `checks.overrides`: severities and mappings changed from the registry's.
    pub overrides: std::collections::BTreeMap<String, kubepci_inventory::config::CheckOverride>,
    pub exceptions: Vec<kubepci_inventory::config::Exception>,
    /// `hardening`: the Pod Security level each scope class is held to.
    pub hardening: kubepci_inventory::config::HardeningConfig,
}

impl EffectiveConfig {
    pub fn new(config: &kubepci_inventory::Config, source: ConfigSource) -> EffectiveConfig {
        EffectiveConfig {
            source,
            default_namespace: config.default_namespace.clone(),
            scope: config.scope.clone(),
            approved_registries: config.approved_registries.clone(),
            approved_subjects: config.approved_subjects.clone(),
            approved_flows: config.approved_flows.clone(),
            disabled_checks: config.checks.disable.clone(),
            overrides: config.checks.overrides.clone(),
            exceptions: config.exceptions.clone(),
            hardening: config.hardening.clone(),
        }
    }

    /// Keys that change verdicts away from the registry's defaults, one phrase each, for
    /// headers: `1 check disabled (NET-009)`, `overrides: POD-019`, `3 exceptions`.
    pub fn changes(&self) -> Vec<String> {
        use kubepci_findings::noun;
        let mut out = Vec::new();
        if !self.disabled_checks.is_empty() {
            let n = self.disabled_checks.len();
            out.push(format!("{n} {} ({})", noun(n, "check disabled", "checks disabled"), self.disabled_checks.join(", ")));
        }
        if !self.overrides.is_empty() {
            out.push(format!("{} {}", noun(self.overrides.len(), "override:", "overrides:"), self.overrides.keys().cloned().collect::<Vec<_>>().join(", ")));
        }
        if !self.exceptions.is_empty() {
            let n = self.exceptions.len();
            out.push(format!("{n} {}", noun(n, "exception", "exceptions")));
        }
        out
    }
}

/// Options of the run that change what was assessed.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunInfo {
    /// `--only`: the checks selected (all when empty); the others hold their requirements back.
    pub only: Vec<String>,
    /// The date exceptions were judged against (`YYYY-MM-DD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}
