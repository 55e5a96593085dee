use kubepci_pss::Level;
use crate::support::pss::report_controls;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Pods must not mount hostPath volumes
    ///
    /// ## What it checks
    /// Every workload's `volumes[*].hostPath` (Pod Security Standards control
    /// `hostPathVolumes`, evaluated at baseline level).
    ///
    /// ## Why PCI DSS cares
    /// A hostPath volume gives the container the node's files: the container runtime socket
    /// (full control of every container on the node), kubelet credentials, other pods' volumes
    /// and the node's logs. It defeats the container's security parameters (2.2.6). A writable
    /// mount of the node's log directories also lets a pod alter audit trails; the audit log
    /// protection of 10.3.2 is assessed on the nodes themselves.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: logger, namespace: tools}
    /// spec:
    ///   containers:
    ///   - name: logger
    ///     image: registry.example.com/tools/logger:1.0
    ///     volumeMounts: [{name: varlog, mountPath: /var/log}]
    ///   volumes:
    ///   - name: varlog
    ///     hostPath: {path: /var/log}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: logger, namespace: tools}
    /// spec:
    ///   containers:
    ///   - name: logger
    ///     image: registry.example.com/tools/logger:1.0
    ///     volumeMounts: [{name: scratch, mountPath: /tmp}]
    ///   volumes:
    ///   - name: scratch
    ///     emptyDir: {}
    /// ```
    ///
    /// ## Fix
    /// Replace hostPath volumes with emptyDir, ConfigMap, Secret, projected or persistent
    /// volumes. Log shippers and node agents that need host files belong in a security
    /// namespace, mount read-only, and carry an exception.
    pub HOST_PATH_VOLUME {
        id: "POD-004",
        name: "host-path-volume",
        severity: High,
        applies: All,
        reads: [workloads],
        locality: Object,
        requirements: [("2.2.6", "2.2.6.b", "host filesystem access bypasses the container's isolation parameters")],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    report_controls(e, Level::Baseline, Some(&["hostPathVolumes"]));
}
