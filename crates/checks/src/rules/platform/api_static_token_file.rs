use super::control_plane::{Component, Verdict, each_pod, flag_evidence};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// The API server must not authenticate with a static token file
    ///
    /// ## What it checks
    /// The kube-apiserver is not started with `--token-auth-file`.
    ///
    /// ## Why PCI DSS cares
    /// Static tokens are long-lived plaintext credentials in a file on the control-plane node;
    /// they never expire and changing them needs an API server restart. Requirement 8.3.2 asks
    /// that authentication factors are unreadable in storage, which a plaintext token file is
    /// not.
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
    ///     command: [kube-apiserver, --token-auth-file=/etc/kubernetes/tokens.csv]
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
    ///     command: [kube-apiserver, --client-ca-file=/etc/kubernetes/pki/ca.crt]
    /// ```
    ///
    /// ## Fix
    /// Remove `--token-auth-file` and its file; authenticate people through OIDC (or another
    /// identity provider) and workloads through service account tokens.
    pub API_STATIC_TOKEN_FILE {
        id: "API-003",
        name: "apiserver-static-token-file",
        severity: High,
        applies: Cluster,
        reads: [EncryptionConfiguration, KubeletConfiguration, Pod, Policy],
        requirements: [("8.3.2", "8.3.2.b", "the static token file keeps bearer tokens in clear text on the control-plane node")],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    each_pod(cx, e, Component::ApiServer, |pod| match pod.flag("token-auth-file") {
        Some(_) => Verdict::Fail("kube-apiserver accepts static tokens from --token-auth-file".into(), flag_evidence(pod, "token-auth-file")),
        None => Verdict::Pass,
    });
}
