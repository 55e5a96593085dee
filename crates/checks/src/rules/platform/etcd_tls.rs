use kubepci_findings::Evidence;

use super::control_plane::{Component, Verdict, each_pod};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// etcd must require mutual TLS from clients and peers
    ///
    /// ## What it checks
    /// Every etcd static pod has `--cert-file`, `--key-file` and `--trusted-ca-file`,
    /// `--client-cert-auth=true`, `--peer-client-cert-auth=true`, and neither `--auto-tls` nor
    /// `--peer-auto-tls` set to true (self-signed certificates that any client accepts).
    ///
    /// ## Why PCI DSS cares
    /// etcd holds every object of the cluster, Secrets included. Whoever can connect to it
    /// without a client certificate reads and rewrites the whole cluster, bypassing RBAC and
    /// audit. Requirement 2.2.7 asks that administrative access is encrypted with strong
    /// cryptography, 8.3.2 that authentication factors are protected in transit, and 8.3.1 that
    /// all access is authenticated. TLS on etcd protects data in transit; stored data is the
    /// subject of the encryption checks (ENC-002, ENC-003).
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: etcd-cp-1, namespace: kube-system, labels: {component: etcd}}
    /// spec:
    ///   containers:
    ///   - name: etcd
    ///     image: registry.k8s.io/etcd:3.5.21-0
    ///     command: [etcd, --auto-tls=true, --peer-auto-tls=true, --data-dir=/var/lib/etcd]
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: etcd-cp-1, namespace: kube-system, labels: {component: etcd}}
    /// spec:
    ///   containers:
    ///   - name: etcd
    ///     image: registry.k8s.io/etcd:3.5.21-0
    ///     command:
    ///     - etcd
    ///     - --cert-file=/etc/kubernetes/pki/etcd/server.crt
    ///     - --key-file=/etc/kubernetes/pki/etcd/server.key
    ///     - --trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt
    ///     - --client-cert-auth=true
    ///     - --peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt
    ///     - --peer-key-file=/etc/kubernetes/pki/etcd/peer.key
    ///     - --peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt
    ///     - --peer-client-cert-auth=true
    /// ```
    ///
    /// ## Fix
    /// Give etcd server and peer certificates from a dedicated etcd CA (`--cert-file`,
    /// `--key-file`, `--peer-cert-file`, `--peer-key-file`, `--trusted-ca-file`,
    /// `--peer-trusted-ca-file`), set `--client-cert-auth=true` and
    /// `--peer-client-cert-auth=true`, and remove `--auto-tls` and `--peer-auto-tls`.
    pub ETCD_MUTUAL_TLS {
        id: "ENC-001",
        name: "etcd-mutual-tls",
        severity: Critical,
        applies: Cluster,
        reads: [EncryptionConfiguration, KubeletConfiguration, Pod, Policy],
        requirements: [
            ("2.2.7", "2.2.7.b", "etcd access is administrative access to all cluster data and must be encrypted"),
            ("8.3.2", "8.3.2.a", "the API server sends Secrets, tokens and passwords to etcd over this connection"),
            ("8.3.1", "8.3.1.b", "without client certificate authentication anyone who reaches etcd reads and writes it unauthenticated"),
        ],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    each_pod(cx, e, Component::Etcd, |pod| {
        let mut problems = Vec::new();
        for flag in ["cert-file", "key-file", "trusted-ca-file"] {
            if pod.flag(flag).is_none() {
                problems.push(format!("--{flag} is not set"));
            }
        }
        for flag in ["client-cert-auth", "peer-client-cert-auth"] {
            if !pod.bool_flag(flag, false) {
                problems.push(format!("--{flag} is not true"));
            }
        }
        for flag in ["auto-tls", "peer-auto-tls"] {
            if pod.bool_flag(flag, false) {
                problems.push(format!("--{flag} is on (self-signed certificates)"));
            }
        }
        if problems.is_empty() {
            Verdict::Pass
        } else {
            let evidence = problems.iter().map(|p| Evidence::field(pod.argv_path(), p.clone())).collect();
            Verdict::Fail(format!("etcd does not enforce mutual TLS: {}", problems.join("; ")), evidence)
        }
    });
}
