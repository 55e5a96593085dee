//! The fixed set of requests the dangerous capabilities are made of, and each role's answer
//! to every one of them, computed once per role.
//!
//! Capabilities are asked of thousands of nodes (every subject of a large cluster); matching
//! each role's rules against each request again for every subject holding it was the cost of
//! the escalation search. A role's answers depend only on its rules, so they are evaluated
//! once per role and shared by every principal and `Role` node that holds it.

use std::ops::Range;

use crate::resources::{WORKLOAD_RESOURCES, is_cluster_scoped};
use crate::rule::{Request, Rule};

const RBAC: &str = "rbac.authorization.k8s.io";
const CERTIFICATES: &str = "certificates.k8s.io";
const ADMISSION: &str = "admissionregistration.k8s.io";

/// The requests, in one list, with the index ranges each capability reads.
pub(crate) struct Asks {
    pub requests: Vec<Request>,
    /// Per request: the resource is cluster-scoped (a namespace grant never reaches it).
    pub cluster_only: Vec<bool>,
    pub everything: usize,
    pub create_workloads: Range<usize>,
    pub change_workloads: Range<usize>,
    pub create_pods: Range<usize>,
    pub patch_pods: Range<usize>,
    pub exec_pods: Range<usize>,
    pub port_forward: Range<usize>,
    pub get_secrets: usize,
    pub list_secrets: Range<usize>,
    pub create_tokens: usize,
    pub impersonate_users: usize,
    pub impersonate_groups: usize,
    pub impersonate_service_accounts: usize,
    /// (`bind` on the role kind, write on the binding kind, binding kind is cluster-wide),
    /// for ClusterRoles via ClusterRoleBindings, ClusterRoles via RoleBindings, Roles via
    /// RoleBindings.
    pub bind: [(usize, Range<usize>, bool); 3],
    pub escalate_roles: Range<usize>,
    pub write_roles: Range<usize>,
    pub write_bindings: Range<usize>,
    pub node_proxy: Range<usize>,
    pub approve_csr: Range<usize>,
    pub approve_signers: Range<usize>,
    pub write_webhooks: Range<usize>,
}

impl Asks {
    pub fn new() -> Asks {
        let mut requests: Vec<Request> = Vec::new();
        let mut add = |verbs: &[&str], targets: &[(&str, &str, &str)]| -> Range<usize> {
            let start = requests.len();
            for v in verbs {
                for (g, r, s) in targets {
                    requests.push(Request::resource(v, g, r, s, ""));
                }
            }
            start..requests.len()
        };
        let workloads: Vec<(&str, &str, &str)> = WORKLOAD_RESOURCES.iter().map(|(g, r)| (*g, *r, "")).collect();
        let non_pod: Vec<(&str, &str, &str)> = workloads.iter().copied().filter(|t| t.1 != "pods").collect();
        let everything = add(&["*"], &[("*", "*", "")]).start;
        let create_workloads = add(&["create"], &workloads);
        let change_workloads = add(&["update", "patch"], &non_pod);
        let create_pods = add(&["create"], &[("", "pods", "")]);
        let patch_pods = add(&["patch", "update"], &[("", "pods", "")]);
        let exec_pods = add(&["create"], &[("", "pods", "exec"), ("", "pods", "attach")]);
        let port_forward = add(&["create"], &[("", "pods", "portforward")]);
        let get_secrets = add(&["get"], &[("", "secrets", "")]).start;
        let list_secrets = add(&["list", "watch"], &[("", "secrets", "")]);
        let create_tokens = add(&["create"], &[("", "serviceaccounts", "token")]).start;
        let impersonate_users = add(&["impersonate"], &[("", "users", "")]).start;
        let impersonate_groups = add(&["impersonate"], &[("", "groups", "")]).start;
        let impersonate_service_accounts = add(&["impersonate"], &[("", "serviceaccounts", "")]).start;
        let write = ["create", "update", "patch"];
        let bind = [("clusterroles", "clusterrolebindings"), ("clusterroles", "rolebindings"), ("roles", "rolebindings")]
            .map(|(bind_res, binding_res)| (add(&["bind"], &[(RBAC, bind_res, "")]).start, add(&write, &[(RBAC, binding_res, "")]), binding_res == "clusterrolebindings"));
        let escalate_roles = add(&["escalate"], &[(RBAC, "roles", ""), (RBAC, "clusterroles", "")]);
        let write_roles = add(&write, &[(RBAC, "roles", ""), (RBAC, "clusterroles", "")]);
        let write_bindings = add(&write, &[(RBAC, "rolebindings", ""), (RBAC, "clusterrolebindings", "")]);
        let node_proxy = add(&["get", "create"], &[("", "nodes", "proxy")]);
        let approve_csr = add(&["update", "patch"], &[(CERTIFICATES, "certificatesigningrequests", "approval")]);
        let approve_signers = add(&["approve"], &[(CERTIFICATES, "signers", "")]);
        let write_webhooks = add(&write, &[(ADMISSION, "mutatingwebhookconfigurations", ""), (ADMISSION, "validatingwebhookconfigurations", "")]);
        let cluster_only = requests
            .iter()
            .map(|r| match &r.target {
                crate::rule::Target::Resource { api_group, resource, .. } => is_cluster_scoped(api_group, resource),
                crate::rule::Target::NonResource { .. } => is_cluster_scoped("", ""),
            })
            .collect();
        Asks {
            requests,
            cluster_only,
            everything,
            create_workloads,
            change_workloads,
            create_pods,
            patch_pods,
            exec_pods,
            port_forward,
            get_secrets,
            list_secrets,
            create_tokens,
            impersonate_users,
            impersonate_groups,
            impersonate_service_accounts,
            bind,
            escalate_roles,
            write_roles,
            write_bindings,
            node_proxy,
            approve_csr,
            approve_signers,
            write_webhooks,
        }
    }

    /// A role's answer to every request.
    pub fn answers(&self, rules: &[Rule]) -> Vec<RoleAnswer> {
        self.requests
            .iter()
            .map(|request| {
                let mut answer = RoleAnswer::default();
                for rule in rules.iter().filter(|rule| rule.allows_some(request)) {
                    answer.some = true;
                    answer.all |= rule.resource_names.is_empty();
                    answer.names.extend(rule.resource_names.iter().cloned());
                }
                answer
            })
            .collect()
    }
}

/// How one role answers one request.
#[derive(Clone, Debug, Default)]
pub(crate) struct RoleAnswer {
    /// Some rule allows it on at least one object.
    pub some: bool,
    /// Some rule allows it without a `resourceNames` restriction.
    pub all: bool,
    /// The `resourceNames` of every rule that allows it, in rule order.
    pub names: Vec<String>,
}
