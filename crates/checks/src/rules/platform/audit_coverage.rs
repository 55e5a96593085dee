use kubepci_findings::Evidence;
use kubepci_inventory::Scope;

use super::audit_policy::{HUMAN, Level, Probe, SERVICE_ACCOUNT, decide, describe, report_loaded};
use super::control_plane::{Verdict, config_objects, not_visible};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// The audit policy must record the events PCI DSS 10.2.1 lists
    ///
    /// ## What it checks
    /// Every audit Policy (`audit.k8s.io`, given with `--platform-config`) is evaluated as the API
    /// server does (first matching rule wins, no match means `None`) on these requests, by a
    /// person and by a service account; each must get level `Metadata` or more:
    /// reading and listing Secrets; creating, changing and deleting Roles, ClusterRoles and their
    /// bindings; creating service account tokens (`serviceaccounts/token`); `pods/exec`,
    /// `pods/attach` and `pods/portforward`; reading and changing workloads in every namespace
    /// classified `cde`; and an arbitrary request no rule names (the catch-all).
    /// The verdict counts only for a policy the API server loads: a kube-apiserver's
    /// `--audit-policy-file` must name the policy's file (by file name, so the node's
    /// `/etc/kubernetes/audit/policy.yaml` is the input's `policy.yaml`). A policy the API
    /// server does not load is not assessed, and so is an API server whose policy file is not
    /// in the input; with no kube-apiserver manifest in the input, failures stand and a pass is
    /// reported as not assessed.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 10.2.1 asks that audit logs are active for all components, and 10.2.1.1,
    /// 10.2.1.2, 10.2.1.5 and 10.2.1.7 that they capture access to cardholder data,
    /// administrative actions, changes to credentials and privileges, and creation and deletion
    /// of system-level objects. A `None` rule placed too early silently removes these from the
    /// trail. The check covers the Kubernetes API's audit log for a sample of the requests
    /// these requirements name; applications, databases and nodes keep their own logs.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: audit.k8s.io/v1
    /// kind: Policy
    /// rules:
    /// - level: None
    ///   resources: [{group: "", resources: [secrets, pods/exec]}]
    /// - level: Metadata
    ///   resources: [{group: rbac.authorization.k8s.io}]
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
    ///   resources: [{group: "", resources: [secrets, configmaps, serviceaccounts/token]}]
    /// - level: RequestResponse
    ///   resources: [{group: rbac.authorization.k8s.io}]
    /// - level: Metadata
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: kube-apiserver-cp-1, namespace: kube-system, labels: {component: kube-apiserver}}
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     image: registry.k8s.io/kube-apiserver:v1.35.1
    ///     command: [kube-apiserver, --audit-policy-file=/etc/kubernetes/audit/policy.yaml, --audit-webhook-config-file=/etc/kubernetes/audit/webhook.yaml]
    /// ```
    ///
    /// ## Fix
    /// Move `None` rules below the rules for Secrets, RBAC, tokens and exec/attach/portforward,
    /// limit them to the system users and read-only verbs they are meant for, never exclude CDE
    /// namespaces, and end the policy with a catch-all `- level: Metadata`.
    pub AUDIT_POLICY_COVERAGE {
        id: "AUD-001",
        name: "audit-policy-coverage",
        severity: High,
        applies: Cluster,
        reads: [EncryptionConfiguration, KubeletConfiguration, Namespace, Pod, Policy],
        requirements: [
            ("10.2.1", "10.2.1", "the audit policy decides what the API server's audit log records"),
            ("10.2.1.1", "10.2.1.1", "exec, attach and port-forward into CDE pods and reads of CDE Secrets are how a person reaches card data through the cluster API"),
            ("10.2.1.2", "10.2.1.2", "exec, attach, port-forward and RBAC changes are administrative actions through the cluster API"),
            ("10.2.1.5", "10.2.1.5", "token creation and role binding changes alter identification and authentication credentials and privileges"),
            ("10.2.1.7", "10.2.1.7", "creation and deletion of namespaces and RBAC objects are system-level object changes"),
        ],
        run: run,
    }
}

/// The requests every policy must record at Metadata or above.
fn probes(cx: &Context) -> Vec<Probe> {
    let mut out = Vec::new();
    for who in [HUMAN, SERVICE_ACCOUNT] {
        let actor = if who == HUMAN { "a user" } else { "a service account" };
        for verb in ["get", "list", "watch"] {
            out.push(Probe::new(who, verb, "", "secrets", "apps", format!("{actor} doing {verb} on Secrets")));
        }
        for resource in ["roles", "rolebindings", "clusterroles", "clusterrolebindings"] {
            let ns = if resource.starts_with("cluster") { "" } else { "apps" };
            for verb in ["create", "update", "patch", "delete"] {
                out.push(Probe::new(who, verb, "rbac.authorization.k8s.io", resource, ns, format!("{actor} doing {verb} on {resource}")));
            }
        }
        out.push(Probe::new(who, "create", "", "serviceaccounts/token", "apps", format!("{actor} creating a service account token")));
        for sub in ["pods/exec", "pods/attach", "pods/portforward"] {
            out.push(Probe::new(who, "create", "", sub, "apps", format!("{actor} using {sub}")));
        }
        out.push(Probe::new(who, "create", "", "namespaces", "", format!("{actor} creating a namespace")));
        out.push(Probe::new(who, "delete", "", "namespaces", "", format!("{actor} deleting a namespace")));
        for ns in cx.inv.namespaces().filter(|n| n.scope.scope == Scope::Cde) {
            out.push(Probe::new(who, "get", "", "pods", &ns.name, format!("{actor} reading pods in CDE namespace {}", ns.name)));
            out.push(Probe::new(who, "get", "", "secrets", &ns.name, format!("{actor} reading Secrets in CDE namespace {}", ns.name)));
            out.push(Probe::new(who, "update", "apps", "deployments", &ns.name, format!("{actor} changing a Deployment in CDE namespace {}", ns.name)));
            out.push(Probe::new(who, "create", "", "pods/exec", &ns.name, format!("{actor} exec'ing into a pod in CDE namespace {}", ns.name)));
        }
        out.push(Probe::new(who, "get", "probe.kubepci.io", "widgets", "apps", format!("{actor} doing a request no rule names (catch-all)")));
    }
    out
}

fn run(cx: &Context, e: &mut Emitter) {
    let policies = config_objects(cx, "audit.k8s.io", "Policy");
    if policies.is_empty() {
        not_visible(cx, e, "audit Policy (pass it with --platform-config)");
        return;
    }
    let probes = probes(cx);
    report_loaded(cx, e, &policies, |policy| {
        let mut missed: Vec<(String, String)> = Vec::new();
        for p in &probes {
            let d = decide(policy, p);
            if d.level == Level::None {
                missed.push((p.what.clone(), describe(&d)));
            }
        }
        if missed.is_empty() {
            return Verdict::Pass;
        }
        let first: Vec<String> = missed.iter().take(5).map(|(what, why)| format!("{what} ({why})")).collect();
        let more = if missed.len() > 5 { format!(" and {} more", missed.len() - 5) } else { String::new() };
        let evidence = missed.iter().map(|(what, why)| Evidence::field("rules", format!("{what}: {why}"))).collect();
        Verdict::Fail(format!("the audit policy records nothing for: {}{more}", first.join("; ")), evidence)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run;

    const GAPPY: &str = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  resources: [{group: \"\", resources: [secrets]}]\n- level: Metadata\n";
    const COMPLETE: &str = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n";

    /// A kube-apiserver static pod loading `file` (the test input is read as `test.yaml`).
    fn api_server(file: &str) -> String {
        format!("---\napiVersion: v1\nkind: Pod\nmetadata: {{name: kube-apiserver, namespace: kube-system, labels: {{component: kube-apiserver}}}}\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.35.1\n    command: [kube-apiserver, --audit-policy-file={file}]\n")
    }

    #[test]
    fn a_verdict_counts_for_the_policy_the_api_server_loads() {
        let loaded = api_server("/etc/kubernetes/audit/test.yaml");
        let out = run(&AUDIT_POLICY_COVERAGE, &format!("{GAPPY}{loaded}"), "");
        assert_eq!((out.fails.len(), out.passed, out.not_assessed.len()), (1, 0, 0));
        let out = run(&AUDIT_POLICY_COVERAGE, &format!("{COMPLETE}{loaded}"), "");
        assert_eq!((out.fails.len(), out.passed, out.not_assessed.len()), (0, 1, 0));
    }

    #[test]
    fn a_policy_the_api_server_does_not_load_decides_nothing() {
        let other = api_server("/etc/kubernetes/audit/other.yaml");
        for policy in [GAPPY, COMPLETE] {
            let out = run(&AUDIT_POLICY_COVERAGE, &format!("{policy}{other}"), "");
            assert_eq!((out.fails.len(), out.passed), (0, 0));
            let reasons: Vec<&str> = out.not_assessed.iter().map(|f| f.message.as_str()).collect();
            assert_eq!(reasons.len(), 2, "the policy and the API server's unread file: {reasons:?}");
            assert!(reasons.iter().any(|r| r.contains("not the one in use")), "{reasons:?}");
            assert!(reasons.iter().any(|r| r.contains("other.yaml, which is not in the input")), "{reasons:?}");
        }
    }

    #[test]
    fn without_an_api_server_failures_stand_and_a_pass_is_not_claimed() {
        let out = run(&AUDIT_POLICY_COVERAGE, GAPPY, "");
        assert_eq!((out.fails.len(), out.passed, out.not_assessed.len()), (1, 0, 0));
        let out = run(&AUDIT_POLICY_COVERAGE, COMPLETE, "");
        assert_eq!((out.fails.len(), out.passed, out.not_assessed.len()), (0, 0, 1));
        assert!(out.not_assessed[0].message.contains("loads it"), "{}", out.not_assessed[0].message);
    }
}
