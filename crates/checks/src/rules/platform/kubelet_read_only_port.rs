use kubepci_findings::Evidence;
use serde_json::Value;

use super::control_plane::{config_objects, not_visible};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Kubelets must not open the unauthenticated read-only port
    ///
    /// ## What it checks
    /// Every KubeletConfiguration (`kubelet.config.k8s.io`, given with `--platform-config`) has
    /// `readOnlyPort` unset or `0`.
    ///
    /// ## Why PCI DSS cares
    /// The read-only port (usually 10255) serves pod specs, environment and node details over
    /// plain HTTP with no authentication at all. Requirement 2.2.4 asks that only necessary
    /// functions are enabled, 2.2.5 that insecure services that remain are justified and
    /// mitigated, and 8.3.1 that all access is authenticated.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// readOnlyPort: 10255
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// readOnlyPort: 0
    /// ```
    ///
    /// ## Fix
    /// Set `readOnlyPort: 0` (and remove `--read-only-port` from the kubelet's flags); scrape
    /// metrics from the authenticated port 10250 instead.
    pub KUBELET_READ_ONLY_PORT {
        id: "KUB-002",
        name: "kubelet-read-only-port",
        severity: High,
        applies: Cluster,
        reads: [EncryptionConfiguration, KubeletConfiguration, Pod, Policy],
        requirements: [
            ("2.2.4", "2.2.4.b", "the read-only port is a function nothing needs since metrics moved to the authenticated port"),
            ("2.2.5", "2.2.5.a", "an insecure, plain-HTTP service that stays on needs a documented justification; an exception records it"),
            ("8.3.1", "8.3.1.b", "the read-only port serves pod and node data without any authentication"),
        ],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    let configs = config_objects(cx, "kubelet.config.k8s.io", "KubeletConfiguration");
    if configs.is_empty() {
        not_visible(cx, e, "KubeletConfiguration (pass it with --platform-config)");
        return;
    }
    for (index, body) in configs {
        match body.get("readOnlyPort").map(|v| (v, v.as_i64())) {
            None | Some((_, Some(0))) | Some((Value::Null, _)) => e.pass(index),
            Some((v, _)) => e.fail(index, format!("the kubelet serves the unauthenticated read-only port {v}"), vec![Evidence::field("readOnlyPort", v.to_string())]),
        }
    }
}
