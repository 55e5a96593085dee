use kubepci_findings::Evidence;

use super::audit_log_writable::{audit_log_files, exposes};
use crate::rules::logging::shippers::is_shipper_image;
use crate::support::containers::containers;
use crate::support::each::{Verdict, each_workload};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Only log shippers may mount the API server's audit log directory
    ///
    /// ## What it checks
    /// The kube-apiserver's `--audit-log-path` is found as for AUD-004. Every other workload
    /// that mounts a `hostPath` volume containing that file (the file, its directory or any
    /// directory above it, `/` included), read-only or not, must be a log shipper: one of its
    /// containers runs a known log agent image (Fluent Bit, Fluentd, Vector, Promtail,
    /// Filebeat, the OpenTelemetry collector, Datadog or Grafana agents …, as LOG-001 knows
    /// them). Anything else that mounts it (node exporters mounting `/`, debug pods, backup
    /// agents) fails. When no audit log file is known the check is not assessed.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 10.3.1 asks that read access to audit log files is limited to those with a
    /// job-related need. The API server's audit log names every user, the objects they touched
    /// and often request bodies; a workload that mounts its directory gives that to whoever
    /// controls the workload. Shipping it to the central store is the need that remains.
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
    ///     command: [kube-apiserver, --audit-policy-file=/etc/kubernetes/audit/policy.yaml, --audit-log-path=/var/log/kubernetes/audit/audit.log]
    /// ---
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: node-exporter, namespace: monitoring}
    /// spec:
    ///   selector: {matchLabels: {app: node-exporter}}
    ///   template:
    ///     metadata: {labels: {app: node-exporter}}
    ///     spec:
    ///       containers:
    ///       - name: exporter
    ///         image: quay.io/prometheus/node-exporter:v1.8.2
    ///         volumeMounts: [{name: root, mountPath: /host/root, readOnly: true}]
    ///       volumes:
    ///       - {name: root, hostPath: {path: /}}
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
    ///     command: [kube-apiserver, --audit-policy-file=/etc/kubernetes/audit/policy.yaml, --audit-log-path=/var/log/kubernetes/audit/audit.log]
    /// ---
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: fluent-bit, namespace: logging}
    /// spec:
    ///   selector: {matchLabels: {app: fluent-bit}}
    ///   template:
    ///     metadata: {labels: {app: fluent-bit}}
    ///     spec:
    ///       containers:
    ///       - name: fluent-bit
    ///         image: cr.fluentbit.io/fluent/fluent-bit:3.1.9
    ///         volumeMounts: [{name: varlog, mountPath: /var/log, readOnly: true}]
    ///       volumes:
    ///       - {name: varlog, hostPath: {path: /var/log}}
    /// ```
    ///
    /// ## Fix
    /// Mount narrower host paths (node exporters need `/proc` and `/sys`, not `/`), keep
    /// debugging and backup tools off control-plane nodes, and read the audit log from the
    /// central log store, where access is granted per person.
    pub AUDIT_LOG_READERS {
        id: "AUD-005",
        name: "audit-log-readable-by-non-shippers",
        severity: Medium,
        applies: All,
        reads: [workloads, EncryptionConfiguration, KubeletConfiguration, Policy],
        requirements: [("10.3.1", "10.3.1", "a workload other than the log shipper that mounts the directory of the API server's audit log can read it without a job-related need")],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    let (logs, server_objects) = match audit_log_files(cx) {
        Ok(found) => found,
        Err(why) => return e.not_assessed(None, why),
    };
    each_workload(e, |_, w, _, t| {
        if server_objects.contains(&w.object) {
            return Verdict::Skip;
        }
        if containers(t).any(|c| c.container.image.as_deref().is_some_and(is_shipper_image)) {
            return Verdict::Pass;
        }
        let exposing: Vec<Evidence> = t
            .spec
            .volumes
            .iter()
            .flatten()
            .enumerate()
            .filter_map(|(vi, v)| {
                let host = v.host_path.as_ref()?.path.as_str();
                let log = logs.iter().find(|l| exposes(host, l))?;
                let mounted = containers(t).any(|c| c.container.volume_mounts.iter().flatten().any(|m| m.name == v.name));
                mounted.then(|| Evidence::field(format!("{}.volumes[{vi}].hostPath.path", t.spec_path), format!("{host} (holds {log})")))
            })
            .collect();
        if exposing.is_empty() {
            return Verdict::Pass;
        }
        let paths: Vec<&str> = exposing.iter().filter_map(|ev| ev.value.as_deref()).collect();
        Verdict::Fail(format!("mounts host path {} with the API server's audit log, and is not a log shipper", paths.join(", ")), exposing)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: kube-apiserver-cp-1, namespace: kube-system, labels: {component: kube-apiserver}}\nspec:\n  containers:\n  - {name: kube-apiserver, image: registry.k8s.io/kube-apiserver:v1.35.1, command: [kube-apiserver, --audit-log-path=/var/log/kubernetes/audit/audit.log]}\n";

    fn run(image: &str, host: &str) -> crate::testing::Outcome {
        let pod = format!("---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: tools}}\nspec:\n  volumes: [{{name: h, hostPath: {{path: {host}}}}}]\n  containers: [{{name: a, image: {image}, volumeMounts: [{{name: h, mountPath: /host, readOnly: true}}]}}]\n");
        crate::testing::run(&AUDIT_LOG_READERS, &format!("{SERVER}{pod}"), "")
    }

    #[test]
    fn read_only_mounts_by_others_fail_and_shippers_pass() {
        assert_eq!(run("busybox:1.36", "/var/log").fails.len(), 1);
        assert_eq!(run("docker.io/timberio/vector:0.40.0-debian", "/var/log").passed, 1);
        assert_eq!(run("busybox:1.36", "/var/log/pods").passed, 1);
    }
}
