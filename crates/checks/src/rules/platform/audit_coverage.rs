use kubepci_findings::Evidence;
use kubepci_inventory::Scope;

use super::audit_policy::{HUMAN, Level, Probe, SERVICE_ACCOUNT, decide, describe};
use super::control_plane::{config_objects, not_visible};
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
    ///
    /// ## Why PCI DSS cares
    /// Requirement 10.2.1 asks that audit logs are active for all components, and 10.2.1.1,
    /// 10.2.1.2, 10.2.1.5 and 10.2.1.7 that they capture access to cardholder data (CDE
    /// namespaces, Secrets), administrative actions (exec, RBAC changes), changes to credentials
    /// (tokens, role bindings) and creation and deletion of system-level objects. A `None` rule
    /// placed too early silently removes these from the trail.
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
            ("10.2.1", "10.2.1", "the audit policy decides what the audit log records"),
            ("10.2.1.1", "10.2.1.1", "reads of Secrets and of CDE namespaces are access to cardholder data"),
            ("10.2.1.2", "10.2.1.2", "exec, attach, port-forward and RBAC changes are administrative actions"),
            ("10.2.1.5", "10.2.1.5", "token creation and role bindings change credentials and privileges"),
            ("10.2.1.7", "10.2.1.7", "creation and deletion of cluster objects are system-level changes"),
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
    for (index, policy) in policies {
        let mut missed: Vec<(String, String)> = Vec::new();
        for p in &probes {
            let d = decide(policy, p);
            if d.level == Level::None {
                missed.push((p.what.clone(), describe(&d)));
            }
        }
        if missed.is_empty() {
            e.pass(index);
        } else {
            let first: Vec<String> = missed.iter().take(5).map(|(what, why)| format!("{what} ({why})")).collect();
            let more = if missed.len() > 5 { format!(" and {} more", missed.len() - 5) } else { String::new() };
            let evidence = missed.iter().map(|(what, why)| Evidence::field("rules", format!("{what}: {why}"))).collect();
            e.fail(index, format!("the audit policy records nothing for: {}{more}", first.join("; ")), evidence);
        }
    }
}
