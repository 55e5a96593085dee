use kubepci_findings::Evidence;

use super::control_plane::{Component, absent_reason, component_pods};
use crate::support::containers::containers;
use crate::support::each::{Verdict, each_workload};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Pods must not mount the API server's audit log directory writable
    ///
    /// ## What it checks
    /// The kube-apiserver's `--audit-log-path` (from its static pod manifest, given with
    /// `--platform-config`, or its mirror pod) names the file where audit events are written.
    /// Every other workload must not mount a `hostPath` volume that contains that file (the
    /// file itself, its directory or any directory above it, `/` included) in a container
    /// without `readOnly: true`. The API server's own pod is not judged. When the input holds
    /// no kube-apiserver with a file path (managed control planes; `--audit-log-path=-` writes
    /// to its output; webhook only) the check is not assessed. The check assumes every node may
    /// be a control-plane node: a workload that cannot run there (node selectors, taints) still
    /// fails, and is the place for an exception.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 10.3.2 asks that audit log files are protected against modification by
    /// individuals. A container that can write the directory of the API server's audit log can
    /// truncate or rewrite the record of what was done through the API, before a shipper copies
    /// it, and anyone who can exec into or deploy such a pod inherits that.
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
    /// metadata: {name: log-agent, namespace: logging}
    /// spec:
    ///   selector: {matchLabels: {app: log-agent}}
    ///   template:
    ///     metadata: {labels: {app: log-agent}}
    ///     spec:
    ///       containers:
    ///       - name: agent
    ///         image: registry.example.com/logging/agent:3.1
    ///         volumeMounts: [{name: varlog, mountPath: /var/log}]
    ///       volumes:
    ///       - {name: varlog, hostPath: {path: /var/log}}
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
    /// metadata: {name: log-agent, namespace: logging}
    /// spec:
    ///   selector: {matchLabels: {app: log-agent}}
    ///   template:
    ///     metadata: {labels: {app: log-agent}}
    ///     spec:
    ///       containers:
    ///       - name: agent
    ///         image: registry.example.com/logging/agent:3.1
    ///         volumeMounts:
    ///         - {name: varlog, mountPath: /var/log, readOnly: true}
    ///         - {name: state, mountPath: /var/lib/agent}
    ///       volumes:
    ///       - {name: varlog, hostPath: {path: /var/log}}
    ///       - {name: state, hostPath: {path: /var/lib/log-agent}}
    /// ```
    ///
    /// ## Fix
    /// Mount log directories `readOnly: true` in log shippers (keep their position files in a
    /// separate host path), remove `hostPath` mounts of `/` or `/var` from workloads, and keep
    /// workloads off control-plane nodes unless they need to be there.
    pub AUDIT_LOG_WRITABLE {
        id: "AUD-004",
        name: "audit-log-writable-by-pods",
        severity: High,
        applies: All,
        reads: [workloads, EncryptionConfiguration, KubeletConfiguration, Policy],
        requirements: [("10.3.2", "10.3.2", "a workload that mounts the directory of the API server's audit log writable can modify or delete the log files")],
        run: run,
    }
}

fn trim(path: &str) -> &str {
    let t = path.trim_end_matches('/');
    if t.is_empty() { "/" } else { t }
}

/// Whether a host path mount exposes `log` (the audit log file): the file itself or a directory above it.
pub(super) fn exposes(host: &str, log: &str) -> bool {
    let (host, log) = (trim(host), trim(log));
    host == "/" || host == log || log.strip_prefix(host).is_some_and(|rest| rest.starts_with('/'))
}

/// The audit log files the API servers write, and the API server pods; `Err` with the reason when none is known.
pub(super) fn audit_log_files<'a>(cx: &Context<'a>) -> Result<(Vec<&'a str>, Vec<usize>), String> {
    let servers = component_pods(cx, Component::ApiServer);
    let logs: Vec<&str> = servers.iter().filter_map(|s| s.flag("audit-log-path")).filter(|p| p.starts_with('/')).collect();
    if servers.is_empty() {
        return Err(absent_reason(cx, "kube-apiserver manifest (its --audit-log-path names the audit log file)"));
    }
    if logs.is_empty() {
        return Err("the kube-apiserver writes no audit log file (--audit-log-path unset or `-`)".into());
    }
    Ok((logs, servers.iter().map(|s| s.index).collect()))
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
        let mut problems = Vec::new();
        for (vi, v) in t.spec.volumes.iter().flatten().enumerate() {
            let Some(host) = v.host_path.as_ref().map(|h| h.path.as_str()) else { continue };
            let Some(log) = logs.iter().find(|l| exposes(host, l)) else { continue };
            for c in containers(t) {
                for m in c.container.volume_mounts.iter().flatten().filter(|m| m.name == v.name && m.read_only != Some(true)) {
                    problems.push((
                        format!("container {:?} mounts host path {host} writable, which holds the API server's audit log {log}", c.container.name),
                        Evidence::field(format!("{}.volumes[{vi}].hostPath.path", t.spec_path), format!("{host} mounted at {} without readOnly", m.mount_path)),
                    ));
                }
            }
        }
        if problems.is_empty() {
            return Verdict::Pass;
        }
        let message = problems.iter().map(|(m, _)| m.clone()).collect::<Vec<_>>().join("; ");
        Verdict::Fail(message, problems.into_iter().map(|(_, ev)| ev).collect())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: kube-apiserver-cp-1, namespace: kube-system, labels: {component: kube-apiserver}}\nspec:\n  volumes: [{name: audit, hostPath: {path: /var/log/kubernetes/audit}}]\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.35.1\n    command: [kube-apiserver, LOG]\n    volumeMounts: [{name: audit, mountPath: /var/log/kubernetes/audit}]\n";

    fn agent(host: &str, read_only: bool) -> String {
        format!("---\napiVersion: v1\nkind: Pod\nmetadata: {{name: agent, namespace: logging}}\nspec:\n  volumes: [{{name: h, hostPath: {{path: {host}}}}}]\n  containers: [{{name: a, image: r.example/a:1, volumeMounts: [{{name: h, mountPath: /host, readOnly: {read_only}}}]}}]\n")
    }

    fn run_with(log: &str, host: &str, read_only: bool) -> crate::testing::Outcome {
        crate::testing::run(&AUDIT_LOG_WRITABLE, &format!("{}{}", SERVER.replace("LOG", log), agent(host, read_only)), "")
    }

    #[test]
    fn paths_above_the_log_expose_it_and_beside_it_do_not() {
        assert!(exposes("/", "/var/log/kubernetes/audit/audit.log"));
        assert!(exposes("/var/log/", "/var/log/kubernetes/audit/audit.log"));
        assert!(exposes("/var/log/kubernetes/audit/audit.log", "/var/log/kubernetes/audit/audit.log"));
        assert!(!exposes("/var/lo", "/var/log/kubernetes/audit/audit.log"));
        assert!(!exposes("/var/log/pods", "/var/log/kubernetes/audit/audit.log"));
    }

    #[test]
    fn writable_fails_read_only_passes_and_the_server_is_not_judged() {
        let log = "--audit-log-path=/var/log/kubernetes/audit/audit.log";
        let out = run_with(log, "/var/log", false);
        assert_eq!((out.fails.len(), out.passed), (1, 0), "{out:?}");
        assert_eq!(run_with(log, "/var/log", true).passed, 1);
        assert_eq!(run_with(log, "/var/lib/agent", false).passed, 1);
    }

    #[test]
    fn no_log_file_is_not_assessed() {
        let out = run_with("--audit-log-path=-", "/", false);
        assert_eq!((out.fails.len(), out.passed, out.not_assessed.len()), (0, 0, 1), "{out:?}");
        let none = crate::testing::run(&AUDIT_LOG_WRITABLE, &agent("/", false)[4..], "");
        assert_eq!(none.not_assessed.len(), 1, "{none:?}");
    }
}
