use kubepci_findings::Evidence;

use super::control_plane::{Component, Verdict, each_pod};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// People must authenticate to the API server through an identity provider, never a password file
    ///
    /// ## What it checks
    /// The kube-apiserver static pod: it must not be started with `--basic-auth-file` (static
    /// passwords, removed in Kubernetes 1.19 but still accepted by older servers), and it must
    /// have an authenticator for people that an identity provider backs: OIDC
    /// (`--oidc-issuer-url`), a structured `AuthenticationConfiguration`
    /// (`--authentication-config`, whose JWT issuers are OIDC providers) or a token webhook
    /// (`--authentication-token-webhook-config-file`). Without one, the only ways in are client
    /// certificates and static tokens.
    ///
    /// ## Why PCI DSS cares
    /// Client certificates are a single factor (a file), cannot be revoked one by one (the API
    /// server has no revocation list: a departing administrator's certificate works until it
    /// expires) and often carry shared identities such as kubeadm's `kubernetes-admin`. Only an
    /// identity provider can require multi-factor authentication for administrative access to
    /// the CDE (8.4.1) and remove a person's access at once. Static password files keep
    /// passwords in clear text on the node (8.3.2).
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
    ///     command: [kube-apiserver, --client-ca-file=/etc/kubernetes/pki/ca.crt]
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
    ///     command: [kube-apiserver, --client-ca-file=/etc/kubernetes/pki/ca.crt, --authentication-config=/etc/kubernetes/authn.yaml]
    /// ```
    ///
    /// ## Fix
    /// Configure OIDC against your identity provider (a structured `AuthenticationConfiguration`
    /// with `--authentication-config`, or the `--oidc-*` flags), require MFA there, bind RBAC to
    /// the provider's groups, and keep client certificates for components and break-glass only.
    /// Remove `--basic-auth-file`.
    pub API_IDENTITY_PROVIDER {
        id: "IAM-001",
        name: "apiserver-identity-provider",
        severity: High,
        applies: Cluster,
        reads: [EncryptionConfiguration, KubeletConfiguration, Pod, Policy],
        requirements: [
            ("8.4.1", "8.4.1.a", "without an identity-provider authenticator, administrators reach the API with client certificates or tokens, which are single factor"),
            ("8.2.5", "8.2.5.a", "client certificates cannot be revoked individually, so a terminated user's access cannot be removed at once"),
            ("8.3.2", "8.3.2.b", "a basic-auth file keeps passwords in clear text on the control-plane node"),
        ],
        run: run,
    }
}

const IDP_FLAGS: &[&str] = &["oidc-issuer-url", "authentication-config", "authentication-token-webhook-config-file"];

fn run(cx: &Context, e: &mut Emitter) {
    each_pod(cx, e, Component::ApiServer, |pod| {
        let argv = pod.argv_path();
        if let Some(file) = pod.flag("basic-auth-file") {
            return Verdict::Fail("kube-apiserver accepts static passwords from --basic-auth-file".into(), vec![Evidence::field(argv, format!("--basic-auth-file={file}"))]);
        }
        match IDP_FLAGS.iter().find_map(|f| pod.flag(f).map(|v| (f, v))) {
            Some(_) => Verdict::Pass,
            None => Verdict::Fail(
                "kube-apiserver has no identity-provider authenticator (OIDC, AuthenticationConfiguration or token webhook): people can only use client certificates or tokens".into(),
                vec![Evidence::field(argv, "no --oidc-issuer-url, --authentication-config or --authentication-token-webhook-config-file")],
            ),
        }
    });
}
