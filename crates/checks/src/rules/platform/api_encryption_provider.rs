use super::control_plane::{Component, Verdict, each_pod, flag_evidence};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// The API server must encrypt Secrets at rest
    ///
    /// ## What it checks
    /// The kube-apiserver is started with `--encryption-provider-config`. What that file
    /// encrypts, and how, is checked by ENC-002 and ENC-003 when the file is given with
    /// `--platform-config`.
    ///
    /// ## Why PCI DSS cares
    /// Without an encryption configuration, Secrets (database passwords, keys, tokens) sit in
    /// etcd and in every etcd backup in plain base64. Requirement 8.3.2 asks that
    /// authentication factors are unreadable in storage, and 3.6.1.2 that keys protecting
    /// stored account data are kept only in protected forms, for example encrypted with a
    /// key-encrypting key stored separately.
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
    ///     command: [kube-apiserver, --etcd-servers=https://127.0.0.1:2379]
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
    ///     command: [kube-apiserver, --encryption-provider-config=/etc/kubernetes/enc/encryption.yaml]
    /// ```
    ///
    /// ## Fix
    /// Write an EncryptionConfiguration that covers `secrets` with a KMS v2 provider first, mount
    /// it into the kube-apiserver pod, set `--encryption-provider-config` to it, then rewrite
    /// existing Secrets (`kubectl get secrets -A -o json | kubectl replace -f -`).
    pub API_ENCRYPTION_PROVIDER {
        id: "API-007",
        name: "apiserver-encryption-at-rest",
        severity: High,
        applies: Cluster,
        reads: [EncryptionConfiguration, KubeletConfiguration, Pod, Policy],
        requirements: [
            ("8.3.2", "8.3.2.b", "without encryption at rest, the passwords and tokens held in Secrets are stored readable in etcd and its backups"),
            ("3.6.1.2", "3.6.1.2.b", "a Secret holding a key that protects account data is then stored in cleartext, a form 3.6.1.2 does not allow"),
        ],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    each_pod(cx, e, Component::ApiServer, |pod| match pod.flag("encryption-provider-config") {
        Some(_) => Verdict::Pass,
        None => Verdict::Fail("kube-apiserver has no --encryption-provider-config: Secrets are stored unencrypted in etcd".into(), flag_evidence(pod, "encryption-provider-config")),
    });
}
