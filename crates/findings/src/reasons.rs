//! "Not assessed" reasons that one action of the user lifts (declare the CDE, give the
//! platform configuration …): shared by the checks that give them and the reports that say,
//! per reason, what unlocks it. Compared as whole strings, so each is written only here.

/// A check that looks only at the cardholder data environment, run where no namespace or
/// workload is declared CDE.
pub const NO_CDE_DECLARED: &str = "no CDE declared";

/// The registry allowlist check without `approvedRegistries` in kubepci.yaml.
pub const NO_APPROVED_REGISTRIES: &str = "no approvedRegistries in kubepci.yaml";

/// Control-plane checks on manifests that hold neither a kube-apiserver manifest nor the
/// platform configuration files.
pub const NO_PLATFORM_CONFIGURATION: &str = "no kube-apiserver manifest or platform configuration in the input";

/// The kubelet version checks on manifests (which hold no Nodes).
pub const NO_NODES_IN_MANIFESTS: &str = "no Nodes in the input (manifests)";

/// The supported-version check on manifests without Nodes or a kube-apiserver manifest.
pub const NO_NODES_OR_APISERVER_IN_MANIFESTS: &str = "no Nodes or kube-apiserver manifest in the input (manifests)";

/// Whether the network plugin enforces NetworkPolicies, asked of manifests.
pub const NETWORK_PLUGIN_NOT_IN_MANIFESTS: &str = "the network plugin is not part of manifests; assess on a live cluster or snapshot";

/// Incident-response readiness (runtime detection, audit shipping, responders' access) asked of
/// manifests: the platform team installs that tooling, rarely with the applications.
pub const SECURITY_TOOLING_NOT_IN_MANIFESTS: &str = "security tooling and responders' access are usually not part of application manifests; assess on a live cluster or snapshot";

/// A check left out by `checks.disable` in kubepci.yaml: it holds back the requirements it maps to.
pub const DISABLED_IN_CONFIG: &str = "disabled in kubepci.yaml (checks.disable)";

/// A check left out of a run by `--only`.
pub const NOT_SELECTED: &str = "not selected (--only)";

/// The vulnerability checks when no scanner report is in the input (files or trivy-operator).
pub const NO_VULNERABILITY_EVIDENCE: &str = "no vulnerability scan reports in the input";
