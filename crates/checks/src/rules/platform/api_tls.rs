use kubepci_findings::Evidence;

use super::control_plane::{Component, Verdict, each_pod, flag_evidence};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// The API server must use TLS 1.2 or later with strong cipher suites
    ///
    /// ## What it checks
    /// The kube-apiserver's `--tls-min-version` is `VersionTLS12` or `VersionTLS13` (or unset,
    /// which means TLS 1.2), and `--tls-cipher-suites` is set and lists only AEAD suites with
    /// forward secrecy (ECDHE with AES-GCM or ChaCha20-Poly1305; TLS 1.3 suites). Unset cipher
    /// suites fail: Go's defaults still include CBC-mode suites.
    ///
    /// ## Why PCI DSS cares
    /// All cluster administration goes through the API server. Requirement 2.2.7 asks that
    /// non-console administrative access is encrypted with strong cryptography, and 8.3.2 that
    /// credentials in transit are protected. The yearly documentation and review of cipher
    /// suites in use (12.3.3) is a process; the explicit suite list this check asks for is one
    /// input to it.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: kube-apiserver-cp-1, namespace: kube-system, labels: {component: kube-apiserver}}
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     image: registry.k8s.io/kube-apiserver:v1.35.1
    ///     command: [kube-apiserver, --tls-min-version=VersionTLS10, --tls-cipher-suites=TLS_RSA_WITH_AES_128_CBC_SHA]
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: kube-apiserver-cp-1, namespace: kube-system, labels: {component: kube-apiserver}}
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     image: registry.k8s.io/kube-apiserver:v1.35.1
    ///     command:
    ///     - kube-apiserver
    ///     - --tls-min-version=VersionTLS12
    ///     - --tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
    /// ```
    ///
    /// ## Fix
    /// Set `--tls-min-version=VersionTLS12` (or 13) and `--tls-cipher-suites` to ECDHE suites with
    /// AES-GCM or ChaCha20-Poly1305 only, for example
    /// `TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305`.
    pub API_TLS {
        id: "API-004",
        name: "apiserver-tls",
        severity: Medium,
        applies: Cluster,
        reads: [EncryptionConfiguration, KubeletConfiguration, Pod, Policy],
        requirements: [
            ("2.2.7", "2.2.7.b", "administrative access to the cluster goes over the API server's TLS"),
            ("8.3.2", "8.3.2.a", "credentials sent to the API server are protected by its TLS configuration"),
        ],
        run: run,
    }
}

/// Whether a Go cipher suite name is strong: forward secrecy and an AEAD cipher.
pub fn strong_suite(name: &str) -> bool {
    let tls13 = matches!(name, "TLS_AES_128_GCM_SHA256" | "TLS_AES_256_GCM_SHA384" | "TLS_CHACHA20_POLY1305_SHA256");
    tls13 || (name.starts_with("TLS_ECDHE_") && (name.contains("_GCM_") || name.contains("CHACHA20_POLY1305")))
}

fn run(cx: &Context, e: &mut Emitter) {
    each_pod(cx, e, Component::ApiServer, |pod| {
        let mut problems = Vec::new();
        let mut evidence = Vec::new();
        if let Some(v) = pod.flag("tls-min-version")
            && !matches!(v, "VersionTLS12" | "VersionTLS13")
        {
            problems.push(format!("minimum TLS version {v} is below TLS 1.2"));
            evidence.extend(flag_evidence(pod, "tls-min-version"));
        }
        let suites = pod.list("tls-cipher-suites");
        if suites.is_empty() {
            problems.push("--tls-cipher-suites is not set (Go defaults include CBC-mode suites)".to_string());
            evidence.extend(flag_evidence(pod, "tls-cipher-suites"));
        }
        let weak: Vec<&str> = suites.iter().copied().filter(|s| !strong_suite(s)).collect();
        if !weak.is_empty() {
            problems.push(format!("weak cipher suites allowed: {}", weak.join(", ")));
            evidence.push(Evidence::field(pod.argv_path(), format!("--tls-cipher-suites includes {}", weak.join(","))));
        }
        if problems.is_empty() { Verdict::Pass } else { Verdict::Fail(format!("kube-apiserver TLS: {}", problems.join("; ")), evidence) }
    });
}

#[cfg(test)]
mod tests {
    use super::strong_suite;

    #[test]
    fn suites() {
        assert!(strong_suite("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"));
        assert!(strong_suite("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"));
        assert!(!strong_suite("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"));
        assert!(!strong_suite("TLS_RSA_WITH_AES_128_GCM_SHA256"));
        assert!(!strong_suite("TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"));
        assert!(!strong_suite("TLS_ECDHE_RSA_WITH_RC4_128_SHA"));
    }
}
