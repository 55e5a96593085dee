//! Evaluating an audit Policy (audit.k8s.io/v1) the way kube-apiserver does: the first rule
//! that matches a request decides its level; no match means `None`. And whether the API server
//! actually loads the policy analysed: a verdict on a file it does not load is no evidence.

use serde_json::{Map, Value};

use super::control_plane::{Component, ComponentPod, Verdict, component_pods, emit};
use crate::{Context, Emitter};

/// Audit levels, in increasing detail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    None,
    Metadata,
    Request,
    RequestResponse,
}

impl Level {
    fn parse(s: &str) -> Option<Level> {
        match s {
            "None" => Some(Level::None),
            "Metadata" => Some(Level::Metadata),
            "Request" => Some(Level::Request),
            "RequestResponse" => Some(Level::RequestResponse),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "None",
            Level::Metadata => "Metadata",
            Level::Request => "Request",
            Level::RequestResponse => "RequestResponse",
        }
    }
}

/// A resource request to evaluate the policy on.
#[derive(Clone, Debug)]
pub struct Probe {
    pub user: &'static str,
    pub groups: &'static [&'static str],
    pub verb: &'static str,
    /// API group, `""` for core.
    pub group: &'static str,
    pub resource: String,
    /// `""` when the request is for the resource itself.
    pub subresource: String,
    /// `""` for cluster-scoped requests.
    pub namespace: String,
    /// What the probe stands for in messages ("reading Secrets").
    pub what: String,
}

/// A person authenticated through the identity provider.
pub const HUMAN: (&str, &[&str]) = ("alice@example.com", &["system:authenticated", "platform-admins"]);
/// A workload's service account (a stolen token looks like this).
pub const SERVICE_ACCOUNT: (&str, &[&str]) = ("system:serviceaccount:apps:app", &["system:serviceaccounts", "system:serviceaccounts:apps", "system:authenticated"]);

impl Probe {
    pub fn new(who: (&'static str, &'static [&'static str]), verb: &'static str, group: &'static str, resource: &str, namespace: &str, what: impl Into<String>) -> Probe {
        let (resource, subresource) = resource.split_once('/').unwrap_or((resource, ""));
        Probe { user: who.0, groups: who.1, verb, group, resource: resource.into(), subresource: subresource.into(), namespace: namespace.into(), what: what.into() }
    }

    fn combined(&self) -> String {
        if self.subresource.is_empty() { self.resource.to_string() } else { format!("{}/{}", self.resource, self.subresource) }
    }
}

/// The decision for a probe: the level and which rule gave it (`None` when no rule matched).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub level: Level,
    pub rule: Option<usize>,
}

fn strings(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default()
}

fn rule_matches_resource(rule: &Map<String, Value>, p: &Probe) -> bool {
    let Some(groups) = rule.get("resources").and_then(Value::as_array).filter(|g| !g.is_empty()) else { return true };
    let combined = p.combined();
    groups.iter().any(|gr| {
        let group = gr.get("group").and_then(Value::as_str).unwrap_or("");
        if group != p.group {
            return false;
        }
        let resources = strings(gr.get("resources"));
        if resources.is_empty() {
            return true;
        }
        // Probes name no particular object, so rules limited to resource names never match.
        if !strings(gr.get("resourceNames")).is_empty() {
            return false;
        }
        resources.iter().any(|&res| {
            res == combined
                || res == "*"
                || (!p.subresource.is_empty() && res.strip_prefix("*/") == Some(p.subresource.as_str()))
                // `pods/*` matches pods and every pods subresource, as upstream does.
                || res.strip_suffix("/*") == Some(p.resource.as_str())
        })
    })
}

fn rule_matches(rule: &Map<String, Value>, p: &Probe) -> bool {
    let users = strings(rule.get("users"));
    if !users.is_empty() && !users.contains(&p.user) {
        return false;
    }
    let groups = strings(rule.get("userGroups"));
    if !groups.is_empty() && !groups.iter().any(|g| p.groups.contains(g)) {
        return false;
    }
    let verbs = strings(rule.get("verbs"));
    if !verbs.is_empty() && !verbs.contains(&p.verb) {
        return false;
    }
    // Resource requests never match rules limited to non-resource URLs.
    if !strings(rule.get("nonResourceURLs")).is_empty() {
        return false;
    }
    let namespaces = strings(rule.get("namespaces"));
    if !namespaces.is_empty() && !namespaces.contains(&p.namespace.as_str()) {
        return false;
    }
    rule_matches_resource(rule, p)
}

/// The level the policy gives a probe. Rules with an unknown level are skipped as invalid.
pub fn decide(policy: &Map<String, Value>, p: &Probe) -> Decision {
    let rules = policy.get("rules").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    for (i, rule) in rules.iter().enumerate() {
        let Some(rule) = rule.as_object() else { continue };
        let Some(level) = rule.get("level").and_then(Value::as_str).and_then(Level::parse) else { continue };
        if rule_matches(rule, p) {
            return Decision { level, rule: Some(i) };
        }
    }
    Decision { level: Level::None, rule: None }
}

/// "rules[3] (level None)" or "no rule".
pub fn describe(d: &Decision) -> String {
    match d.rule {
        Some(i) => format!("rules[{i}] (level {})", d.level.as_str()),
        None => "no rule (default None)".to_string(),
    }
}

/// Whether the input's kube-apiserver loads an audit Policy read from a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyLink {
    /// A kube-apiserver's `--audit-policy-file` names the policy's file.
    Loaded,
    /// The kube-apiservers in the input load other files, or none: the policy is not in use.
    NotLoaded(String),
    /// No kube-apiserver in the input: whether the policy is in use is unknown.
    Unknown,
}

/// The last path component (`policy.yaml` of `/etc/kubernetes/audit/policy.yaml`).
fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// Whether `--audit-policy-file=flag` loads the policy read from `source`. The file given with
/// `--platform-config` is a copy of the node's file, so the link is its name: the API server's
/// `/etc/kubernetes/audit/policy.yaml` is the input's `policy.yaml`, wherever it was copied.
fn loads(flag: &str, source: &str) -> bool {
    !flag.is_empty() && file_name(flag) == file_name(source)
}

/// How the API servers in `servers` relate to the policy read from `source`.
pub fn policy_link(servers: &[ComponentPod], source: &str) -> PolicyLink {
    if servers.is_empty() {
        return PolicyLink::Unknown;
    }
    let flags: Vec<&str> = servers.iter().filter_map(|s| s.flag("audit-policy-file")).collect();
    if flags.iter().any(|f| loads(f, source)) {
        PolicyLink::Loaded
    } else if flags.is_empty() {
        PolicyLink::NotLoaded("the kube-apiserver has no --audit-policy-file, so it loads no audit policy (see API-008)".into())
    } else {
        let named: Vec<String> = flags.iter().map(|f| format!("--audit-policy-file={f}")).collect();
        PolicyLink::NotLoaded(format!("the kube-apiserver loads {}, not {}: this policy is not the one in use", named.join(", "), file_name(source)))
    }
}

/// Report each policy's verdict (from `judge`) as far as the API server's use of it allows. A
/// verdict on a policy the API server loads stands. On a policy it does not load nothing is
/// decided. With no API server in the input a failure still stands (the policy given has the
/// gap), but a pass becomes "not assessed": it would vouch for a file nobody showed to be in
/// use. An API server whose policy file is not in the input is reported as not assessed too.
pub fn report_loaded(cx: &Context, e: &mut Emitter, policies: &[(usize, &Map<String, Value>)], judge: impl Fn(&Map<String, Value>) -> Verdict) {
    let servers = component_pods(cx, Component::ApiServer);
    for &(index, policy) in policies {
        let source = &cx.inv.objects[index].loc.file;
        match (policy_link(&servers, source), judge(policy)) {
            (PolicyLink::Loaded, verdict) | (PolicyLink::Unknown, verdict @ (Verdict::Fail(..) | Verdict::NotAssessed(_))) => emit(e, index, verdict),
            (PolicyLink::Unknown, Verdict::Pass) => e.not_assessed(
                Some(index),
                "the policy passes, but no kube-apiserver manifest in the input shows that the API server loads it (give the static pod manifest with --platform-config)",
            ),
            (PolicyLink::NotLoaded(why), _) => e.not_assessed(Some(index), why),
        }
    }
    for server in &servers {
        if let Some(flag) = server.flag("audit-policy-file").filter(|f| !policies.iter().any(|&(i, _)| loads(f, &cx.inv.objects[i].loc.file))) {
            e.not_assessed(Some(server.index), format!("the kube-apiserver loads --audit-policy-file={flag}, which is not in the input (give it with --platform-config)"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn first_match_decides() {
        let p = policy(json!({"rules": [
            {"level": "None", "users": ["system:kube-proxy"]},
            {"level": "None", "resources": [{"group": "", "resources": ["events"]}]},
            {"level": "Metadata", "resources": [{"group": "", "resources": ["secrets", "pods/*"]}]},
            {"level": "RequestResponse", "resources": [{"group": "rbac.authorization.k8s.io"}]},
            {"level": "None", "namespaces": ["kube-system"]},
            {"level": "Request"}
        ]}));
        let get_secret = Probe::new(HUMAN, "get", "", "secrets", "payments", "");
        assert_eq!(decide(&p, &get_secret), Decision { level: Level::Metadata, rule: Some(2) });
        let exec = Probe::new(HUMAN, "create", "", "pods/exec", "payments", "");
        assert_eq!(decide(&p, &exec).level, Level::Metadata);
        let roles = Probe::new(HUMAN, "update", "rbac.authorization.k8s.io", "roles", "payments", "");
        assert_eq!(decide(&p, &roles).level, Level::RequestResponse);
        let kube_system = Probe::new(HUMAN, "get", "", "configmaps", "kube-system", "");
        assert_eq!(decide(&p, &kube_system), Decision { level: Level::None, rule: Some(4) });
        let other = Probe::new(HUMAN, "get", "apps", "deployments", "web", "");
        assert_eq!(decide(&p, &other).level, Level::Request);
        assert_eq!(decide(&policy(json!({})), &other), Decision { level: Level::None, rule: None });
    }

    #[test]
    fn subresource_patterns() {
        let p = policy(json!({"rules": [{"level": "None", "resources": [{"group": "", "resources": ["*/exec"]}]}, {"level": "Metadata"}]}));
        assert_eq!(decide(&p, &Probe::new(HUMAN, "create", "", "pods/exec", "a", "")).level, Level::None);
        assert_eq!(decide(&p, &Probe::new(HUMAN, "get", "", "pods", "a", "")).level, Level::Metadata);
        let named = policy(json!({"rules": [{"level": "None", "resources": [{"group": "", "resources": ["secrets"], "resourceNames": ["x"]}]}, {"level": "Metadata"}]}));
        assert_eq!(decide(&named, &Probe::new(HUMAN, "get", "", "secrets", "a", "")).level, Level::Metadata);
    }

    #[test]
    fn policies_are_linked_by_file_name() {
        assert!(loads("/etc/kubernetes/audit/policy.yaml", "platform/policy.yaml"));
        assert!(loads("/etc/kubernetes/audit/policy.yaml", "/etc/kubernetes/audit/policy.yaml"));
        assert!(loads("policy.yaml", "C:\\cfg\\policy.yaml"));
        assert!(!loads("/etc/kubernetes/audit/policy.yaml", "platform/audit-policy.yaml"));
        assert!(!loads("", "policy.yaml"));
    }
}
