use super::control_plane::{Component, Verdict, each_pod, flag_evidence};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// The API server must run NodeRestriction and PodSecurity, never AlwaysAdmit
    ///
    /// ## What it checks
    /// The kube-apiserver's `--enable-admission-plugins` includes `NodeRestriction` and not
    /// `AlwaysAdmit`, and `--disable-admission-plugins` does not switch off `PodSecurity`.
    ///
    /// ## Why PCI DSS cares
    /// NodeRestriction stops a compromised kubelet from changing other nodes or pods it does not
    /// run; PodSecurity enforces the namespace Pod Security levels; AlwaysAdmit disables
    /// admission control. Requirement 2.2.1 asks that hardening standards are applied, and
    /// 2.2.6 that security parameters prevent misuse.
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
    ///     command: [kube-apiserver, --enable-admission-plugins=AlwaysAdmit, --disable-admission-plugins=PodSecurity]
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
    ///     command: [kube-apiserver, --enable-admission-plugins=NodeRestriction]
    /// ```
    ///
    /// ## Fix
    /// Add `NodeRestriction` to `--enable-admission-plugins`, remove `AlwaysAdmit`, and remove
    /// `PodSecurity` from `--disable-admission-plugins`.
    pub API_ADMISSION_PLUGINS {
        id: "API-005",
        name: "apiserver-admission-plugins",
        severity: High,
        applies: Cluster,
        reads: [EncryptionConfiguration, KubeletConfiguration, Pod, Policy],
        requirements: [
            ("2.2.1", "2.2.1.c", "these admission plugins are part of the Kubernetes hardening baseline"),
            ("2.2.6", "2.2.6.b", "admission control is the API server's guard against misuse"),
        ],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    each_pod(cx, e, Component::ApiServer, |pod| {
        let enabled = pod.list("enable-admission-plugins");
        let disabled = pod.list("disable-admission-plugins");
        let mut problems = Vec::new();
        let mut evidence = Vec::new();
        if !enabled.contains(&"NodeRestriction") {
            problems.push("NodeRestriction is not enabled");
            evidence.extend(flag_evidence(pod, "enable-admission-plugins"));
        }
        if enabled.contains(&"AlwaysAdmit") {
            problems.push("AlwaysAdmit is enabled");
            evidence.extend(flag_evidence(pod, "enable-admission-plugins"));
        }
        if disabled.contains(&"PodSecurity") {
            problems.push("PodSecurity is disabled");
            evidence.extend(flag_evidence(pod, "disable-admission-plugins"));
        }
        evidence.dedup();
        if problems.is_empty() { Verdict::Pass } else { Verdict::Fail(format!("kube-apiserver admission: {}", problems.join("; ")), evidence) }
    });
}
