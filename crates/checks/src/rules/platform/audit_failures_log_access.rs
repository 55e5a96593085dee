use kubepci_findings::Evidence;

use super::audit_policy::{HUMAN, Level, Probe, SERVICE_ACCOUNT, decide, describe, report_loaded};
use super::control_plane::{Verdict, config_objects, not_visible};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// The audit policy must record failed logins and reads of the logs themselves
    ///
    /// ## What it checks
    /// Every audit Policy (`audit.k8s.io`, given with `--platform-config`) is evaluated as the API
    /// server does (first matching rule wins, no match means `None`, as for AUD-001) on these
    /// requests; each must get level `Metadata` or more:
    /// - a request whose authentication failed (the API server audits it with no user) and an
    ///   anonymous request (`system:anonymous`, group `system:unauthenticated`), reading
    ///   namespaces and listing Secrets;
    /// - a person and a service account reading node files through the API server
    ///   (`nodes/proxy`, which reaches the kubelet's `/logs/`, where control-plane nodes keep the
    ///   audit log) and the kube-apiserver's output (`pods/log` in `kube-system`, where an audit
    ///   log written to `-` ends up).
    ///
    /// The verdict counts only for a policy the API server loads (`--audit-policy-file`), as
    /// for AUD-001.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 10.2.1.4 asks that audit logs capture invalid logical access attempts and
    /// 10.2.1.3 that they capture all access to audit logs. Against the Kubernetes API these
    /// are failed and anonymous requests, and reads of node logs or of the API server's output;
    /// policies that drop `system:unauthenticated` or `nodes/proxy` to cut noise remove exactly
    /// them. The check covers the Kubernetes API; access to log files on nodes or in the log
    /// store is logged elsewhere.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: audit.k8s.io/v1
    /// kind: Policy
    /// rules:
    /// - level: None
    ///   userGroups: [system:unauthenticated]
    /// - level: None
    ///   resources: [{group: "", resources: [nodes/proxy, pods/log]}]
    /// - level: Metadata
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// # file: policy.yaml (the name the API server loads)
    /// apiVersion: audit.k8s.io/v1
    /// kind: Policy
    /// omitStages: [RequestReceived]
    /// rules:
    /// - level: None
    ///   users: [system:kube-proxy]
    ///   verbs: [watch]
    ///   resources: [{group: "", resources: [endpoints, services]}]
    /// - level: Metadata
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: kube-apiserver-cp-1, namespace: kube-system, labels: {component: kube-apiserver}}
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     image: registry.k8s.io/kube-apiserver:v1.35.1
    ///     command: [kube-apiserver, --audit-policy-file=/etc/kubernetes/audit/policy.yaml, --audit-log-path=/var/log/kubernetes/audit/audit.log]
    /// ```
    ///
    /// ## Fix
    /// Remove `None` rules for `system:unauthenticated`, `system:anonymous` or all users
    /// without a name, and for `nodes/proxy` and `pods/log`; if their volume is a concern, log
    /// them at `Metadata`, which records who, when and the outcome without bodies.
    pub AUDIT_FAILURES_LOG_ACCESS {
        id: "AUD-003",
        name: "audit-policy-failed-logins-log-access",
        severity: Medium,
        applies: Cluster,
        reads: [EncryptionConfiguration, KubeletConfiguration, Pod, Policy],
        requirements: [
            ("10.2.1.3", "10.2.1.3", "audit logs kept on nodes are read through the API as nodes/proxy, and one written to the API server's output as kube-system pods/log; the loaded policy decides whether those reads are recorded"),
            ("10.2.1.4", "10.2.1.4", "requests that fail authentication and anonymous requests are the invalid logical access attempts against the API; the loaded policy decides whether they are recorded"),
        ],
        run: run,
    }
}

/// A request whose credentials the API server rejected: audited with empty user attributes.
const FAILED_LOGIN: (&str, &[&str]) = ("", &[]);
const ANONYMOUS: (&str, &[&str]) = ("system:anonymous", &["system:unauthenticated"]);

fn probes() -> Vec<Probe> {
    let mut out = Vec::new();
    for (who, actor) in [(FAILED_LOGIN, "a request that failed authentication"), (ANONYMOUS, "an anonymous request")] {
        out.push(Probe::new(who, "get", "", "namespaces", "", format!("{actor} reading namespaces")));
        out.push(Probe::new(who, "list", "", "secrets", "kube-system", format!("{actor} listing Secrets")));
    }
    for (who, actor) in [(HUMAN, "a user"), (SERVICE_ACCOUNT, "a service account")] {
        out.push(Probe::new(who, "get", "", "nodes/proxy", "", format!("{actor} reading node files through nodes/proxy")));
        out.push(Probe::new(who, "get", "", "pods/log", "kube-system", format!("{actor} reading kube-system pod logs")));
    }
    out
}

fn run(cx: &Context, e: &mut Emitter) {
    let policies = config_objects(cx, "audit.k8s.io", "Policy");
    if policies.is_empty() {
        not_visible(cx, e, "audit Policy (pass it with --platform-config)");
        return;
    }
    let probes = probes();
    report_loaded(cx, e, &policies, |policy| {
        let missed: Vec<(String, String)> = probes.iter().filter_map(|p| {
            let d = decide(policy, p);
            (d.level == Level::None).then(|| (p.what.clone(), describe(&d)))
        }).collect();
        if missed.is_empty() {
            return Verdict::Pass;
        }
        let list: Vec<String> = missed.iter().map(|(what, why)| format!("{what} ({why})")).collect();
        let evidence = missed.iter().map(|(what, why)| Evidence::field("rules", format!("{what}: {why}"))).collect();
        Verdict::Fail(format!("the audit policy records nothing for: {}", list.join("; ")), evidence)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const CATCH_ALL: &str = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n";

    #[test]
    fn a_catch_all_records_them_all() {
        let out = crate::testing::run(&AUDIT_FAILURES_LOG_ACCESS, CATCH_ALL, "");
        // Without the API server in the input a pass is not claimed.
        assert_eq!((out.fails.len(), out.passed, out.not_assessed.len()), (0, 0, 1), "{out:?}");
    }

    #[test]
    fn named_users_only_miss_failed_logins() {
        let named = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  userGroups: [system:authenticated]\n";
        let out = crate::testing::run(&AUDIT_FAILURES_LOG_ACCESS, named, "");
        assert_eq!(out.fails.len(), 1, "{out:?}");
        let message = &out.fails[0].message;
        assert!(message.contains("failed authentication") && message.contains("anonymous") && !message.contains("nodes/proxy"), "{message}");
    }

    #[test]
    fn dropping_node_proxy_misses_log_access() {
        let noisy = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  resources: [{group: \"\", resources: [nodes/proxy]}]\n- level: Metadata\n";
        let out = crate::testing::run(&AUDIT_FAILURES_LOG_ACCESS, noisy, "");
        assert!(out.fails[0].message.contains("nodes/proxy") && !out.fails[0].message.contains("anonymous"), "{out:?}");
    }
}
