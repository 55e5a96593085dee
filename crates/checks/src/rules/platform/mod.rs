//! Platform checks: control plane flags, encryption at rest, audit policy, kubelet, versions.
//!
//! They read kube-apiserver / etcd / controller-manager / scheduler static pods (visible on
//! kubeadm-style clusters, or given as manifests), platform configuration files given as
//! extra inputs (EncryptionConfiguration, audit Policy, KubeletConfiguration) and Nodes. When
//! none of that is in the input they report "not assessed" (provider-managed on a cluster).

mod api_admission_plugins;
mod api_anonymous_auth;
mod api_audit_log;
mod api_authorization_mode;
mod api_encryption_provider;
mod api_identity_provider;
mod api_static_token_file;
mod api_tls;
mod api_token_lifetime;
mod audit_coverage;
mod audit_failures_log_access;
mod audit_log_readers;
mod audit_log_writable;
mod audit_policy;
mod audit_secret_payloads;
pub mod control_plane;
mod encryption_config;
mod encryption_strength;
mod etcd_tls;
mod kubelet_auth;
mod kubelet_read_only_port;
mod profiling;
mod secrets_encrypted;
mod version_skew;
mod version_supported;
mod versions;

use crate::Check;

pub const CHECKS: &[&Check] = &[
    &api_identity_provider::API_IDENTITY_PROVIDER,
    &api_token_lifetime::API_TOKEN_LIFETIME,
    &api_anonymous_auth::API_ANONYMOUS_AUTH,
    &api_authorization_mode::API_AUTHORIZATION_MODE,
    &api_static_token_file::API_STATIC_TOKEN_FILE,
    &api_tls::API_TLS,
    &api_admission_plugins::API_ADMISSION_PLUGINS,
    &profiling::PROFILING_DISABLED,
    &api_encryption_provider::API_ENCRYPTION_PROVIDER,
    &api_audit_log::API_AUDIT_LOG,
    &etcd_tls::ETCD_MUTUAL_TLS,
    &secrets_encrypted::SECRETS_ENCRYPTED,
    &encryption_strength::ENCRYPTION_STRENGTH,
    &audit_coverage::AUDIT_POLICY_COVERAGE,
    &audit_failures_log_access::AUDIT_FAILURES_LOG_ACCESS,
    &audit_log_writable::AUDIT_LOG_WRITABLE,
    &audit_log_readers::AUDIT_LOG_READERS,
    &audit_secret_payloads::AUDIT_SECRET_PAYLOADS,
    &kubelet_auth::KUBELET_AUTH,
    &kubelet_read_only_port::KUBELET_READ_ONLY_PORT,
    &version_supported::VERSION_SUPPORTED,
    &version_skew::VERSION_SKEW,
];

#[cfg(test)]
mod tests {
    use kubepci_findings::{Finding, Status};

    use super::*;
    use crate::testing::{load, run_on};
    use crate::{Context, InputKind};

    fn run(check: &'static Check, yaml: &str, input: InputKind) -> (Vec<Finding>, usize) {
        let out = run_on(check, &Context::new(&load("t.yaml", yaml, ""), input));
        (out.findings, out.passed)
    }

    fn only_not_assessed(findings: &[Finding]) -> Vec<&str> {
        assert!(findings.iter().all(|f| f.status == Status::NotAssessed && f.object.is_none()), "{findings:?}");
        findings.iter().map(|f| f.message.as_str()).collect()
    }

    const WORKLOAD: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: payments}\n";

    #[test]
    fn absent_control_plane_is_never_pass_or_fail() {
        for check in CHECKS.iter().filter(|c| !c.meta.id.starts_with("VER")) {
            let (f, passed) = run(check, WORKLOAD, InputKind::Manifests);
            assert_eq!(only_not_assessed(&f), vec!["no kube-apiserver manifest or platform configuration in the input"], "{}", check.meta.id);
            assert_eq!(passed, 0);
            let (f, _) = run(check, WORKLOAD, InputKind::Snapshot);
            assert_eq!(only_not_assessed(&f), vec!["provider-managed: control plane not visible"], "{}", check.meta.id);
            let (f, _) = run(check, WORKLOAD, InputKind::Live);
            assert_eq!(only_not_assessed(&f), vec!["provider-managed: control plane not visible"], "{}", check.meta.id);
        }
    }

    #[test]
    fn partial_platform_input_names_what_is_missing() {
        let kubelet = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nreadOnlyPort: 0\n";
        let (f, _) = run(&audit_coverage::AUDIT_POLICY_COVERAGE, kubelet, InputKind::Manifests);
        assert_eq!(only_not_assessed(&f), vec!["no audit Policy (pass it with --platform-config) in the input"]);
        let (f, _) = run(&api_anonymous_auth::API_ANONYMOUS_AUTH, kubelet, InputKind::Snapshot);
        assert_eq!(only_not_assessed(&f), vec!["no kube-apiserver static pod or manifest in the input"]);
    }

    #[test]
    fn apiserver_pods_outside_kube_system_are_not_the_control_plane() {
        let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: etcd-0, namespace: apps}\nspec:\n  containers:\n  - {name: etcd, image: bitnami/etcd:3.5, command: [etcd, --auto-tls=true]}\n";
        let (f, _) = run(&etcd_tls::ETCD_MUTUAL_TLS, yaml, InputKind::Snapshot);
        assert_eq!(only_not_assessed(&f).len(), 1);
    }

    #[test]
    fn control_plane_found_by_command_without_labels() {
        let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: apiserver, namespace: kube-system}\nspec:\n  containers:\n  - name: main\n    image: registry.k8s.io/kube-apiserver:v1.35.0\n    command: [/usr/local/bin/kube-apiserver]\n    args: [--anonymous-auth=true]\n";
        let (f, _) = run(&api_anonymous_auth::API_ANONYMOUS_AUTH, yaml, InputKind::Snapshot);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].status, Status::Fail);
        assert_eq!(f[0].evidence[0].value.as_deref(), Some("--anonymous-auth=true"));
    }

    #[test]
    fn audit_policy_cde_namespace_excluded() {
        let yaml = "apiVersion: v1\nkind: Namespace\nmetadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}\n---\napiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  namespaces: [payments]\n- level: Metadata\n";
        let (f, passed) = run(&audit_coverage::AUDIT_POLICY_COVERAGE, yaml, InputKind::Manifests);
        assert_eq!(passed, 0);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("CDE namespace payments"), "{}", f[0].message);
        assert!(f[0].message.contains("rules[0] (level None)"), "{}", f[0].message);
    }

    #[test]
    fn version_checks_use_the_apiserver_image() {
        let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: kube-apiserver-cp, namespace: kube-system, labels: {component: kube-apiserver}}\nspec:\n  containers:\n  - {name: kube-apiserver, image: 'registry.k8s.io/kube-apiserver:v1.29.3', command: [kube-apiserver]}\n---\napiVersion: v1\nkind: Node\nmetadata: {name: n}\nstatus:\n  nodeInfo: {kubeletVersion: v1.25.1, osImage: x, kernelVersion: k, containerRuntimeVersion: c, machineID: a, systemUUID: a, bootID: a, kubeProxyVersion: '', operatingSystem: linux, architecture: amd64}\n";
        let (f, _) = run(&version_supported::VERSION_SUPPORTED, yaml, InputKind::Snapshot);
        assert_eq!(f.iter().filter(|f| f.status == Status::Fail).count(), 2);
        let (f, _) = run(&version_skew::VERSION_SKEW, yaml, InputKind::Snapshot);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("4 minor versions behind kube-apiserver v1.29.3"), "{}", f[0].message);
    }
}
