use super::control_plane::{Component, Verdict, component_pods, emit, flag_evidence, not_visible};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Control-plane components must not expose profiling endpoints
    ///
    /// ## What it checks
    /// The kube-apiserver, kube-controller-manager and kube-scheduler static pods each pass
    /// `--profiling=false`. The flag defaults to `true`, so an absent flag fails.
    ///
    /// ## Why PCI DSS cares
    /// `/debug/pprof` reveals internals and lets a caller trigger expensive profiling on the
    /// control plane; it is a debugging function production does not need. Requirement 2.2.4
    /// asks that only necessary functions are enabled.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: kube-scheduler-cp-1, namespace: kube-system, labels: {component: kube-scheduler}}
    /// spec:
    ///   containers:
    ///   - name: kube-scheduler
    ///     image: registry.k8s.io/kube-scheduler:v1.35.1
    ///     command: [kube-scheduler, --profiling=true]
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: kube-scheduler-cp-1, namespace: kube-system, labels: {component: kube-scheduler}}
    /// spec:
    ///   containers:
    ///   - name: kube-scheduler
    ///     image: registry.k8s.io/kube-scheduler:v1.35.1
    ///     command: [kube-scheduler, --profiling=false]
    /// ```
    ///
    /// ## Fix
    /// Add `--profiling=false` to the kube-apiserver, kube-controller-manager and kube-scheduler
    /// manifests in `/etc/kubernetes/manifests/`.
    pub PROFILING_DISABLED {
        id: "API-006",
        name: "control-plane-profiling",
        severity: Low,
        applies: Cluster,
        reads: [EncryptionConfiguration, KubeletConfiguration, Pod, Policy],
        requirements: [("2.2.4", "2.2.4.b", "profiling is a debugging function production does not need")],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    let mut seen = false;
    for component in [Component::ApiServer, Component::ControllerManager, Component::Scheduler] {
        for pod in component_pods(cx, component) {
            seen = true;
            let verdict = if pod.bool_flag("profiling", true) {
                Verdict::Fail(format!("{} serves profiling endpoints (--profiling is not false)", component.binary()), flag_evidence(&pod, "profiling"))
            } else {
                Verdict::Pass
            };
            emit(e, pod.index, verdict);
        }
    }
    if !seen {
        not_visible(cx, e, "kube-apiserver, kube-controller-manager or kube-scheduler static pod or manifest");
    }
}
