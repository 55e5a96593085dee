use kubepci_pss::Level;
use crate::support::pss::report_controls;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Probes and lifecycle hooks must not target other hosts
    ///
    /// ## What it checks
    /// Every container's liveness, readiness and startup probes and postStart/preStop
    /// handlers leave `httpGet.host` and `tcpSocket.host` unset (Pod Security Standards control
    /// `hostProbesAndHostLifecycle`).
    ///
    /// ## Why PCI DSS cares
    /// The kubelet runs probes and hooks from the node's network. A `host` field turns it into
    /// a proxy that connects wherever the pod author chooses, from the node's address and past
    /// the NetworkPolicies that limit the pod's own egress. The Pod Security Standards baseline
    /// forbids it: a security parameter that 2.2.6 expects to be set against misuse.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: web, namespace: shop}
    /// spec:
    ///   containers:
    ///   - name: web
    ///     image: registry.example.com/shop/web:5.0
    ///     livenessProbe:
    ///       httpGet: {host: 10.0.0.10, path: /, port: 80}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: web, namespace: shop}
    /// spec:
    ///   containers:
    ///   - name: web
    ///     image: registry.example.com/shop/web:5.0
    ///     livenessProbe:
    ///       httpGet: {path: /healthz, port: 8080}
    /// ```
    ///
    /// ## Fix
    /// Remove `host` from probes and lifecycle handlers so they target the pod's own address.
    pub HOST_PROBES {
        id: "POD-017",
        name: "host-probes-lifecycle",
        severity: Medium,
        applies: All,
        reads: [workloads],
        locality: Object,
        requirements: [("2.2.6", "2.2.6.b", "probe and hook targets are a security parameter of the pod (a Pod Security Standards baseline control)")],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    report_controls(e, Level::Restricted, Some(&["hostProbesAndHostLifecycle"]));
}
