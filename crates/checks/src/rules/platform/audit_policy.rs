//! Evaluating an audit Policy (audit.k8s.io/v1) the way kube-apiserver does: the first rule
//! that matches a request decides its level; no match means `None`.

use serde_json::{Map, Value};

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
}
