//! The fixed set of requests the dangerous capabilities are made of, and each role's answer
//! to every one of them, computed once per role.
//!
//! Capabilities are asked of thousands of nodes (every subject of a large cluster); matching
//! each role's rules against each request again for every subject holding it was the cost of
//! the escalation search. A role's answers depend only on its rules, so they are evaluated
//! once per role and shared by every principal and `Role` node that holds it.
//!
//! The answers of all roles come from the model's rule index, one lookup per request: on a
//! large cluster most roles answer none of the requests, and the index finds the few rules
//! that can without looking at the others. Answers are bit sets over the request indices.

use std::ops::Range;

use crate::model::Model;
use crate::resources::{WORKLOAD_RESOURCES, is_cluster_scoped};
use crate::rule::Request;
#[cfg(test)]
use crate::rule::Rule;

/// A set of request indices (there are fewer than 128 requests; a test checks).
pub(crate) type Bits = u128;

/// The set holding request `k` alone.
pub(crate) fn bit(k: usize) -> Bits {
    u32::try_from(k).ok().and_then(|k| (1 as Bits).checked_shl(k)).unwrap_or(0)
}

/// The set of the requests in `range`.
pub(crate) fn bits(range: Range<usize>) -> Bits {
    range.fold(0, |set, k| set | bit(k))
}

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

    /// Every role's answers, by role id.
    pub fn answer_roles(&self, model: &Model) -> Vec<RoleAnswer> {
        let mut out = vec![RoleAnswer::default(); model.roles.len()];
        for (k, request) in self.requests.iter().enumerate() {
            // Candidates come sorted by (role, rule): each role's names stay in rule order.
            for (role, rule) in model.candidate_rules(request) {
                let rule = model.rule(role, rule);
                let Some(answer) = out.get_mut(role) else { continue };
                if rule.allows_some(request) {
                    answer.add(k, &rule.resource_names);
                }
            }
        }
        out
    }

    /// A role's answers from its rules directly (the reference [`Asks::answer_roles`] is
    /// tested against).
    #[cfg(test)]
    pub fn answers(&self, rules: &[Rule]) -> RoleAnswer {
        let mut answer = RoleAnswer::default();
        for (k, request) in self.requests.iter().enumerate() {
            for rule in rules.iter().filter(|rule| rule.allows_some(request)) {
                answer.add(k, &rule.resource_names);
            }
        }
        answer
    }
}

/// How one role answers every request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RoleAnswer {
    /// Requests some rule allows on at least one object.
    pub some: Bits,
    /// Requests some rule allows without a `resourceNames` restriction.
    pub all: Bits,
    /// Per request (ascending), the `resourceNames` of every rule that allows it, in rule
    /// order; requests without any are left out.
    names: Vec<(usize, Vec<String>)>,
}

impl RoleAnswer {
    /// Allows nothing.
    pub const NONE: RoleAnswer = RoleAnswer { some: 0, all: 0, names: Vec::new() };

    /// Record that a rule with these `resourceNames` allows request `k` (requests in
    /// ascending order).
    fn add(&mut self, k: usize, resource_names: &[String]) {
        self.some |= bit(k);
        if resource_names.is_empty() {
            self.all |= bit(k);
            return;
        }
        match self.names.last_mut() {
            Some((last, names)) if *last == k => names.extend(resource_names.iter().cloned()),
            _ => self.names.push((k, resource_names.to_vec())),
        }
    }

    /// The `resourceNames` of the rules that allow request `k`.
    pub fn names(&self, k: usize) -> &[String] {
        self.names.iter().find(|(i, _)| *i == k).map_or(&[], |(_, names)| names.as_slice())
    }
}
