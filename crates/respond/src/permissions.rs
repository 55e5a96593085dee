//! The API permissions `kubepci respond` uses beyond the read-only collection role
//! (`deploy/clusterrole.yaml`): what `deploy/respond-clusterrole.yaml` grants, exactly.

/// One permission: API group (`""` core), resource (with subresource), verb, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Permission {
    pub group: &'static str,
    pub resource: &'static str,
    pub verb: &'static str,
    pub why: &'static str,
}

pub const PERMISSIONS: &[Permission] = &[
    Permission { group: "networking.k8s.io", resource: "networkpolicies", verb: "create", why: "quarantine: the deny-all policy" },
    Permission { group: "networking.k8s.io", resource: "networkpolicies", verb: "delete", why: "release: remove the policy" },
    Permission { group: "", resource: "pods", verb: "patch", why: "quarantine label and detaching labels, and back" },
    Permission { group: "batch", resource: "cronjobs", verb: "patch", why: "suspend a quarantined CronJob, and back" },
    Permission { group: "", resource: "nodes", verb: "patch", why: "--cordon, and back" },
    Permission { group: "", resource: "pods/log", verb: "get", why: "evidence: container logs" },
    Permission { group: "", resource: "events", verb: "list", why: "evidence: events" },
];

/// The (group, resource, verb) a request of a plan needs: `POST` create, `PATCH` patch,
/// `DELETE` delete, on the resource its path names.
pub fn needed(method: crate::plan::Method, path: &str) -> Option<(String, String, &'static str)> {
    let verb = match method {
        crate::plan::Method::Post => "create",
        crate::plan::Method::Patch => "patch",
        crate::plan::Method::Delete => "delete",
    };
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (group, rest) = match parts.as_slice() {
        ["api", _v, rest @ ..] => ("", rest),
        ["apis", g, _v, rest @ ..] => (*g, rest),
        _ => return None,
    };
    let resource = match rest {
        ["namespaces", _, resource, ..] | [resource, ..] => *resource,
        [] => return None,
    };
    Some((group.to_string(), resource.to_string(), verb))
}
