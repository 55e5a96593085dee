use super::control_plane::{Component, Verdict, each_pod, flag_evidence};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// The API server must authorize with Node and RBAC, never AlwaysAllow
    ///
    /// ## What it checks
    /// The kube-apiserver's `--authorization-mode` includes `Node` and `RBAC` and not
    /// `AlwaysAllow`. Unset means `AlwaysAllow` and fails. A structured authorization file
    /// (`--authorization-config`) cannot be read from the pod and is reported as not assessed.
    ///
    /// ## Why PCI DSS cares
    /// `AlwaysAllow` lets every authenticated identity do anything; without `Node`, kubelets
    /// can read every Secret in the cluster. Requirements 7.3.1 to 7.3.3 ask for an access
    /// control system that enforces the permissions assigned and denies by default. This covers
    /// the Kubernetes API; the access control of nodes and applications is assessed on them.
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
    ///     command: [kube-apiserver, --authorization-mode=AlwaysAllow]
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
    ///     command: [kube-apiserver, "--authorization-mode=Node,RBAC"]
    /// ```
    ///
    /// ## Fix
    /// Set `--authorization-mode=Node,RBAC` (add `Webhook` only if an external authorizer is
    /// required) and remove `AlwaysAllow`.
    pub API_AUTHORIZATION_MODE {
        id: "API-002",
        name: "apiserver-authorization-mode",
        severity: Critical,
        applies: Cluster,
        reads: [EncryptionConfiguration, KubeletConfiguration, Pod, Policy],
        requirements: [
            ("7.3.1", "7.3.1", "RBAC is the access control system of the Kubernetes API, restricting access to what bindings grant"),
            ("7.3.2", "7.3.2", "the Node and RBAC authorizers enforce the permissions assigned to users, ServiceAccounts and nodes"),
            ("7.3.3", "7.3.3", "AlwaysAllow is the opposite of deny-by-default; RBAC denies what no binding grants"),
        ],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    each_pod(cx, e, Component::ApiServer, |pod| {
        let modes = pod.list("authorization-mode");
        if modes.is_empty() && pod.flag("authorization-config").is_some() {
            return Verdict::NotAssessed("authorizers are set in the AuthorizationConfiguration file (--authorization-config), which is not in the input".into());
        }
        let mut problems = Vec::new();
        if modes.is_empty() || modes.contains(&"AlwaysAllow") {
            problems.push("AlwaysAllow is in effect");
        }
        if !modes.contains(&"RBAC") {
            problems.push("RBAC is not enabled");
        }
        if !modes.contains(&"Node") {
            problems.push("the Node authorizer is not enabled");
        }
        if problems.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail(format!("kube-apiserver authorization: {}", problems.join("; ")), flag_evidence(pod, "authorization-mode"))
        }
    });
}
