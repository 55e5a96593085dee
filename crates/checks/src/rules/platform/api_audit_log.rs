use kubepci_findings::Evidence;

use super::control_plane::{Component, Verdict, each_pod, flag_evidence};
use crate::{Context, Emitter, declare_check};

/// Days of local audit log retention that count as enough when logs are not shipped by webhook.
pub const MIN_LOCAL_RETENTION_DAYS: u32 = 30;

declare_check! {
    /// The API server must write an audit log and keep or ship it
    ///
    /// ## What it checks
    /// The kube-apiserver has `--audit-policy-file` and a backend: `--audit-webhook-config-file`
    /// (events leave the node at once), or `--audit-log-path` with `--audit-log-maxage` of at
    /// least 30 days. A log path of `-` (standard output) counts as shipped only together with a
    /// webhook; on its own its retention cannot be decided and is reported as not assessed.
    ///
    /// ## Why PCI DSS cares
    /// Without an audit policy the API server records nothing: no trail of who read Secrets,
    /// changed RBAC or exec'd into CDE pods. Requirement 10.2.1 asks that audit logs are enabled
    /// and active; 10.5.1 that they are kept for 12 months, three immediately available, which
    /// needs either a local window long enough for collection or a remote backend. Every
    /// Kubernetes audit event, at any level above `None`, carries the user, the verb and object,
    /// the time, the response code and the source addresses: the details 10.2.2 lists, present
    /// once events are recorded at all.
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
    ///     command: [kube-apiserver, --audit-policy-file=/etc/kubernetes/audit/policy.yaml, --audit-log-path=/var/log/kubernetes/audit.log, --audit-log-maxage=7]
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
    ///     command: [kube-apiserver, --audit-policy-file=/etc/kubernetes/audit/policy.yaml, --audit-log-path=/var/log/kubernetes/audit.log, --audit-log-maxage=30, --audit-log-maxbackup=10]
    /// ```
    ///
    /// ## Fix
    /// Set `--audit-policy-file` to a policy that meets AUD-001 and AUD-002, and either
    /// `--audit-webhook-config-file` to a central log store, or `--audit-log-path` with
    /// `--audit-log-maxage=30` (or more) and a shipper that copies the file off the node.
    pub API_AUDIT_LOG {
        id: "API-008",
        name: "apiserver-audit-log",
        severity: High,
        applies: Cluster,
        reads: [EncryptionConfiguration, KubeletConfiguration, Pod, Policy],
        requirements: [
            ("10.2.1", "10.2.1", "without an audit policy and a backend the API server records no audit events"),
            ("10.2.2", "10.2.2", "Kubernetes audit events always record user, verb and object, time, response code and source addresses; without a policy and a backend there are no records to carry them"),
            ("10.5.1", "10.5.1.b", "--audit-log-maxage is the retention setting of the local audit log; without a webhook it is the window a shipper has to copy it"),
        ],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    each_pod(cx, e, Component::ApiServer, |pod| {
        if pod.flag("audit-policy-file").is_none() {
            return Verdict::Fail("kube-apiserver has no --audit-policy-file: no audit events are recorded".into(), flag_evidence(pod, "audit-policy-file"));
        }
        let webhook = pod.flag("audit-webhook-config-file").is_some();
        let path = pod.flag("audit-log-path");
        if webhook {
            return Verdict::Pass;
        }
        match path {
            None => Verdict::Fail("kube-apiserver has an audit policy but no backend (--audit-log-path or --audit-webhook-config-file)".into(), flag_evidence(pod, "audit-log-path")),
            Some("-") => Verdict::NotAssessed("audit events go to standard output; their retention depends on the node's log pipeline".into()),
            Some(_) => {
                let days = pod.flag("audit-log-maxage").and_then(|d| d.parse::<u32>().ok()).unwrap_or(0);
                if days >= MIN_LOCAL_RETENTION_DAYS {
                    Verdict::Pass
                } else {
                    let shown = pod.flag("audit-log-maxage").map_or("an unset --audit-log-maxage".to_string(), |d| format!("{d} days"));
                    Verdict::Fail(
                        format!("audit log is kept locally with {shown} and not shipped by webhook; keep at least {MIN_LOCAL_RETENTION_DAYS} days or ship it"),
                        vec![Evidence::field(pod.argv_path(), format!("--audit-log-maxage={}", pod.flag("audit-log-maxage").unwrap_or("(unset)")))],
                    )
                }
            }
        }
    });
}
