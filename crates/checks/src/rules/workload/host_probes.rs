use kubepci_pss::Level;
use crate::support::pss::report_controls;
use crate::{Applies, Context, Emitter, declare_check};

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
    /// a proxy that connects wherever the pod author chooses, past the NetworkPolicies that
    /// limit the pod's own egress (1.3.2), and is an unneeded function (2.2.6).
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
        requirements: [
            ("1.3.2", "1.3.2.b", "probes with a host field make the node connect past the pod's egress policy"),
            ("2.2.6", "2.2.6.b", "probe targets are a security parameter of the pod"),
        ],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    report_controls(e, Level::Restricted, Applies::All, Some(&["hostProbesAndHostLifecycle"]));
}
