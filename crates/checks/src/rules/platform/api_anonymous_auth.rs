use super::control_plane::{Component, Verdict, each_pod, flag_evidence};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// The API server must not accept anonymous requests
    ///
    /// ## What it checks
    /// The kube-apiserver static pod (in `kube-system`, found by its `component` label or its
    /// command) passes `--anonymous-auth=false`. The flag defaults to `true`, so an absent flag
    /// fails.
    ///
    /// ## Why PCI DSS cares
    /// With anonymous authentication on, requests without credentials are served as
    /// `system:anonymous`; any RBAC binding to that user or to `system:unauthenticated` then
    /// opens the cluster API to everyone who can reach it. Requirement 8.3.1 asks that all access
    /// to system components is authenticated, and 8.2.1 that every user has a unique ID.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: kube-apiserver-cp-1, namespace: kube-system, labels: {component: kube-apiserver, tier: control-plane}}
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     image: registry.k8s.io/kube-apiserver:v1.35.1
    ///     command: [kube-apiserver, "--authorization-mode=Node,RBAC"]
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: kube-apiserver-cp-1, namespace: kube-system, labels: {component: kube-apiserver, tier: control-plane}}
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     image: registry.k8s.io/kube-apiserver:v1.35.1
    ///     command: [kube-apiserver, --anonymous-auth=false, "--authorization-mode=Node,RBAC"]
    /// ```
    ///
    /// ## Fix
    /// Add `--anonymous-auth=false` to `/etc/kubernetes/manifests/kube-apiserver.yaml`. If load
    /// balancers need unauthenticated health checks, use an AuthenticationConfiguration whose
    /// `anonymous.conditions` allow only `/livez`, `/readyz` and `/healthz`.
    pub API_ANONYMOUS_AUTH {
        id: "API-001",
        name: "apiserver-anonymous-auth",
        severity: High,
        applies: Cluster,
        reads: [EncryptionConfiguration, KubeletConfiguration, Pod, Policy],
        requirements: [
            ("8.3.1", "8.3.1.b", "with anonymous authentication on, requests without credentials are served"),
            ("8.2.1", "8.2.1.b", "requests served as system:anonymous cannot be associated with an individual"),
        ],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    each_pod(cx, e, Component::ApiServer, |pod| {
        if pod.flag("authentication-config").is_some() && pod.flag("anonymous-auth").is_none() {
            return Verdict::NotAssessed("anonymous access is set in the AuthenticationConfiguration file (--authentication-config), which is not in the input".into());
        }
        if pod.bool_flag("anonymous-auth", true) {
            Verdict::Fail("kube-apiserver accepts anonymous requests (--anonymous-auth is not false)".into(), flag_evidence(pod, "anonymous-auth"))
        } else {
            Verdict::Pass
        }
    });
}
