use kubepci_findings::Evidence;
use kubepci_model::PodTemplate;

use super::{LOG_SHIPPERS, PLATFORM_TOOLING_NOT_IN_MANIFESTS, identity_texts};
use crate::rules::platform::control_plane::{Component, ComponentPod, Verdict, each_pod, flag_evidence};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// The API server's audit log must leave the control-plane node
    ///
    /// ## What it checks
    /// For each kube-apiserver: audit events go to a webhook backend
    /// (`--audit-webhook-config-file`), or the log file (`--audit-log-path`, or standard output,
    /// which the node's container logs hold) is collected by a log-shipper DaemonSet (Fluent
    /// Bit, Fluentd, Vector, Promtail, Filebeat, an OpenTelemetry collector …) that tolerates the
    /// control-plane taint and mounts the log's directory from the host. An API server without
    /// an audit policy fails (it writes nothing to ship). Not assessed when the control plane is
    /// not visible (a managed cluster ships audit logs through the provider's control-plane
    /// logging) and, when no shipper is found, on manifests.
    ///
    /// ## Why PCI DSS cares
    /// An audit log kept only on the control-plane node can be altered or lost with the node,
    /// often by the very intruder it recorded. 10.3.3 requires audit logs to be promptly backed
    /// up to a central store that is hard to alter; responders reconstruct an incident from it.
    ///
    /// ## Failing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: kube-apiserver-cp-1, namespace: kube-system, labels: {component: kube-apiserver}}
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     image: registry.k8s.io/kube-apiserver:v1.35.1
    ///     command: [kube-apiserver, --audit-policy-file=/etc/kubernetes/audit/policy.yaml, --audit-log-path=/var/log/kubernetes/audit/audit.log, --audit-log-maxage=30]
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: kube-apiserver-cp-1, namespace: kube-system, labels: {component: kube-apiserver}}
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     image: registry.k8s.io/kube-apiserver:v1.35.1
    ///     command: [kube-apiserver, --audit-policy-file=/etc/kubernetes/audit/policy.yaml, --audit-log-path=/var/log/kubernetes/audit/audit.log, --audit-log-maxage=30]
    /// ---
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: fluent-bit, namespace: logging}
    /// spec:
    ///   selector: {matchLabels: {app: fluent-bit}}
    ///   template:
    ///     metadata: {labels: {app: fluent-bit}}
    ///     spec:
    ///       tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}]
    ///       containers:
    ///       - name: fluent-bit
    ///         image: cr.fluentbit.io/fluent/fluent-bit:3.1.9
    ///         volumeMounts: [{name: varlog, mountPath: /var/log, readOnly: true}]
    ///       volumes: [{name: varlog, hostPath: {path: /var/log}}]
    /// ```
    ///
    /// ## Fix
    /// Send audit events to a webhook backend, or run a log shipper on the control-plane nodes
    /// (toleration `node-role.kubernetes.io/control-plane`, a read-only hostPath of the audit log
    /// directory) that forwards them to a central store responders can search and intruders
    /// cannot edit. On managed clusters, turn on the provider's control-plane audit logging.
    pub AUDIT_LOG_SHIPPED {
        id: "IR-002",
        name: "audit-log-shipped",
        severity: Medium,
        applies: Cluster,
        reads: [EncryptionConfiguration, KubeletConfiguration, Pod, Policy, workloads],
        requirements: [
            ("10.3.3", "10.3.3", "audit events that a webhook or a log shipper does not carry off the control-plane node are not backed up to a central store"),
        ],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    let shippers: Vec<(String, PodTemplate)> = cx
        .workloads()
        .filter(|(_, o, t)| o.kind() == "DaemonSet" && identity_texts(o, t).iter().any(|s| LOG_SHIPPERS.iter().any(|k| s.contains(k))))
        .map(|(_, o, t)| (format!("DaemonSet/{}/{}", o.namespace().unwrap_or(""), o.name()), t))
        .collect();
    let is_cluster = cx.input.is_cluster();
    each_pod(cx, e, Component::ApiServer, |pod| verdict(pod, &shippers, is_cluster));
}

fn verdict(pod: &ComponentPod, shippers: &[(String, PodTemplate)], is_cluster: bool) -> Verdict {
    if pod.flag("audit-policy-file").is_none() {
        return Verdict::Fail("kube-apiserver has no --audit-policy-file: it writes no audit log to ship".into(), flag_evidence(pod, "audit-policy-file"));
    }
    if pod.flag("audit-webhook-config-file").is_some() {
        return Verdict::Pass;
    }
    let Some(path) = pod.flag("audit-log-path") else {
        return Verdict::Fail("kube-apiserver has an audit policy but neither a webhook backend nor --audit-log-path".into(), flag_evidence(pod, "audit-log-path"));
    };
    // Standard output lands in the node's container logs under /var/log.
    let file = if path == "-" { "/var/log/pods/" } else { path };
    if shippers.iter().any(|(_, t)| runs_on_control_plane(t) && mounts_host_path_of(t, file)) {
        return Verdict::Pass;
    }
    if !is_cluster {
        return Verdict::NotAssessed(PLATFORM_TOOLING_NOT_IN_MANIFESTS.to_string());
    }
    let seen = if shippers.is_empty() { "no log-shipper DaemonSet found".to_string() } else { format!("{} do not both tolerate control-plane nodes and mount it", shippers.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")) };
    Verdict::Fail(format!("the audit log {path} stays on the control-plane node: no webhook backend, and {seen}"), vec![Evidence::field(pod.argv_path(), format!("--audit-log-path={path}"))])
}

fn runs_on_control_plane(t: &PodTemplate) -> bool {
    t.spec.tolerations.iter().flatten().any(|tol| {
        let key = tol.key.as_deref().unwrap_or("");
        (key.is_empty() && tol.operator.as_deref() == Some("Exists")) || key == "node-role.kubernetes.io/control-plane" || key == "node-role.kubernetes.io/master"
    })
}

fn mounts_host_path_of(t: &PodTemplate, file: &str) -> bool {
    t.spec.volumes.iter().flatten().filter_map(|v| v.host_path.as_ref()).any(|h| {
        let dir = h.path.trim_end_matches('/');
        dir.is_empty() || file.starts_with(&format!("{dir}/"))
    })
}

#[cfg(test)]
mod tests {
    use crate::testing::run;

    use super::*;

    const APISERVER: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: kube-apiserver-cp-1, namespace: kube-system, labels: {component: kube-apiserver}}\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.35.1\n    command: [kube-apiserver, --audit-policy-file=/p.yaml, ARGS]\n---\n";

    fn shipper(tolerations: &str, host_path: &str) -> String {
        format!("apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: vector, namespace: logging}}\nspec:\n  selector: {{matchLabels: {{app: vector}}}}\n  template:\n    metadata: {{labels: {{app: vector}}}}\n    spec:\n      tolerations: {tolerations}\n      containers: [{{name: vector, image: timberio/vector:0.41.1}}]\n      volumes: [{{name: logs, hostPath: {{path: {host_path}}}}}]\n")
    }

    #[test]
    fn webhooks_pass_and_shippers_must_reach_the_control_plane_and_the_log() {
        let snap = "# input: snapshot\n";
        let webhook = run(&AUDIT_LOG_SHIPPED, &format!("{snap}{}", APISERVER.replace("ARGS", "--audit-webhook-config-file=/w.yaml")), "");
        assert_eq!((webhook.passed, webhook.fails.len()), (1, 0));
        let file = APISERVER.replace("ARGS", "--audit-log-path=/var/log/kubernetes/audit.log");
        let everywhere = run(&AUDIT_LOG_SHIPPED, &format!("{snap}{file}{}", shipper("[{operator: Exists}]", "/var/log/kubernetes")), "");
        assert_eq!((everywhere.passed, everywhere.fails.len()), (1, 0));
        let workers_only = run(&AUDIT_LOG_SHIPPED, &format!("{snap}{file}{}", shipper("[]", "/var/log")), "");
        assert_eq!(workers_only.fails.len(), 1);
        assert!(workers_only.fails[0].message.contains("DaemonSet/logging/vector do not both tolerate"), "{:?}", workers_only.fails);
        let wrong_dir = run(&AUDIT_LOG_SHIPPED, &format!("{snap}{file}{}", shipper("[{operator: Exists}]", "/var/log/containers")), "");
        assert_eq!(wrong_dir.fails.len(), 1);
        let stdout = run(&AUDIT_LOG_SHIPPED, &format!("{snap}{}{}", APISERVER.replace("ARGS", "--audit-log-path=-"), shipper("[{operator: Exists}]", "/var/log")), "");
        assert_eq!((stdout.passed, stdout.fails.len()), (1, 0));
        let manifests = run(&AUDIT_LOG_SHIPPED, &file, "");
        assert_eq!(manifests.not_assessed.len(), 1);
    }
}
