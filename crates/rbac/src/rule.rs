//! One RBAC policy rule and the request it is checked against, with the matching semantics of
//! the upstream RBAC authorizer (`rbac/v1` helpers `VerbMatches`, `APIGroupMatches`,
//! `ResourceMatches`, `ResourceNameMatches`, `NonResourceURLMatches`):
//!
//! - `*` in verbs, apiGroups or resources matches anything;
//! - a request for a subresource (`pods/exec`) matches the rule resource `pods/exec` exactly,
//!   or `*/exec` (that subresource of any resource); `pods` alone does not match `pods/exec`;
//! - a rule with `resourceNames` only matches requests that name one of them (so never `list`,
//!   `watch` of a whole collection, or `create` without a name);
//! - nonResourceURLs match exactly, or by prefix when the rule URL ends in `*`.

use serde::Serialize;

/// A policy rule as written in a Role or ClusterRole (missing lists are empty).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub verbs: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub api_groups: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resource_names: Vec<String>,
    #[serde(rename = "nonResourceURLs", skip_serializing_if = "Vec::is_empty")]
    pub non_resource_urls: Vec<String>,
}

/// What is being asked: an API request on a resource, or on a non-resource URL.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    pub verb: String,
    pub target: Target,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum Target {
    Resource {
        api_group: String,
        /// Plural resource name (`pods`).
        resource: String,
        /// Subresource (`exec`), empty for none.
        #[serde(skip_serializing_if = "String::is_empty")]
        subresource: String,
        /// Object name, empty for collection requests.
        #[serde(skip_serializing_if = "String::is_empty")]
        name: String,
    },
    NonResource { path: String },
}

impl Request {
    pub fn resource(verb: &str, api_group: &str, resource: &str, subresource: &str, name: &str) -> Request {
        Request {
            verb: verb.into(),
            target: Target::Resource { api_group: api_group.into(), resource: resource.into(), subresource: subresource.into(), name: name.into() },
        }
    }

    pub fn non_resource(verb: &str, path: &str) -> Request {
        Request { verb: verb.into(), target: Target::NonResource { path: path.into() } }
    }

    /// `resource/subresource` as rules spell it.
    pub fn combined_resource(&self) -> Option<String> {
        match &self.target {
            Target::Resource { resource, subresource, .. } if subresource.is_empty() => Some(resource.clone()),
            Target::Resource { resource, subresource, .. } => Some(format!("{resource}/{subresource}")),
            Target::NonResource { .. } => None,
        }
    }
}

pub const ALL: &str = "*";

impl Rule {
    pub fn is_non_resource(&self) -> bool {
        !self.non_resource_urls.is_empty()
    }

    pub fn verb_matches(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == ALL || v == verb)
    }

    pub fn api_group_matches(&self, group: &str) -> bool {
        self.api_groups.iter().any(|g| g == ALL || g == group)
    }

    /// `combined` is `resource` or `resource/subresource`.
    pub fn resource_matches(&self, combined: &str, subresource: &str) -> bool {
        self.resources.iter().any(|r| {
            if r == ALL || r == combined {
                return true;
            }
            // `*/scale` style: the named subresource of every resource.
            !subresource.is_empty() && r.strip_prefix("*/").is_some_and(|sub| sub == subresource)
        })
    }

    /// [`Rule::resource_matches`] with the resource and subresource apart, so that no
    /// `resource/subresource` string is built per rule (escalation asks this millions of
    /// times on large clusters).
    fn resource_matches_parts(&self, resource: &str, subresource: &str) -> bool {
        self.resources.iter().any(|r| {
            if r == ALL {
                return true;
            }
            if subresource.is_empty() {
                return r == resource;
            }
            r.strip_prefix(resource).and_then(|rest| rest.strip_prefix('/')).is_some_and(|sub| sub == subresource)
                || r.strip_prefix("*/").is_some_and(|sub| sub == subresource)
        })
    }

    pub fn resource_name_matches(&self, name: &str) -> bool {
        self.resource_names.is_empty() || self.resource_names.iter().any(|n| n == name)
    }

    pub fn non_resource_url_matches(&self, path: &str) -> bool {
        self.non_resource_urls.iter().any(|u| {
            u == ALL || u == path || u.strip_suffix('*').is_some_and(|prefix| path.starts_with(prefix))
        })
    }

    /// The upstream `RuleAllows`.
    pub fn allows(&self, request: &Request) -> bool {
        if !self.verb_matches(&request.verb) {
            return false;
        }
        match &request.target {
            Target::Resource { api_group, resource, subresource, name } => {
                self.api_group_matches(api_group) && self.resource_matches_parts(resource, subresource) && self.resource_name_matches(name)
            }
            Target::NonResource { path } => self.non_resource_url_matches(path),
        }
    }

    /// Like [`Rule::allows`] but for "any object of this kind": a rule limited to some
    /// `resourceNames` still counts (it grants the verb on those objects). Used by escalation
    /// and checks, which ask "can this subject read *some* secret here".
    pub fn allows_some(&self, request: &Request) -> bool {
        match &request.target {
            Target::Resource { api_group, resource, subresource, .. } => {
                self.verb_matches(&request.verb) && self.api_group_matches(api_group) && self.resource_matches_parts(resource, subresource)
            }
            Target::NonResource { .. } => self.allows(request),
        }
    }

    /// Whether this rule grants everything (`*` verbs on `*` resources in `*` groups, with no
    /// name restriction), the shape of cluster-admin.
    pub fn is_full_wildcard(&self) -> bool {
        self.verbs.iter().any(|v| v == ALL)
            && self.api_groups.iter().any(|g| g == ALL)
            && self.resources.iter().any(|r| r == ALL)
            && self.resource_names.is_empty()
    }

    /// Whether any of verbs, apiGroups, resources or nonResourceURLs uses `*`.
    pub fn has_wildcard(&self) -> bool {
        [&self.verbs, &self.api_groups, &self.resources, &self.non_resource_urls].iter().any(|l| l.iter().any(|x| x == ALL))
    }

    /// The rule with one verb, one apiGroup, one resource and at most one resourceName or
    /// nonResourceURL per entry, as `rbac-tool policy-rules` prints effective rules.
    pub fn expand(&self) -> Vec<ExpandedRule> {
        let mut out = Vec::new();
        for verb in &self.verbs {
            if self.is_non_resource() {
                for url in &self.non_resource_urls {
                    out.push(ExpandedRule { verb: verb.clone(), non_resource_url: url.clone(), ..Default::default() });
                }
                continue;
            }
            for group in &self.api_groups {
                for resource in &self.resources {
                    let names: Vec<&str> = if self.resource_names.is_empty() { vec![""] } else { self.resource_names.iter().map(String::as_str).collect() };
                    for name in names {
                        out.push(ExpandedRule {
                            verb: verb.clone(),
                            api_group: group.clone(),
                            resource: resource.clone(),
                            resource_name: name.to_string(),
                            non_resource_url: String::new(),
                        });
                    }
                }
            }
        }
        out
    }
}

/// One verb on one resource (or URL): a row of an effective-permissions listing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpandedRule {
    pub verb: String,
    pub api_group: String,
    pub resource: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource_name: String,
    #[serde(rename = "nonResourceURL", skip_serializing_if = "String::is_empty")]
    pub non_resource_url: String,
}

impl From<&kubepci_model::k8s_openapi::api::rbac::v1::PolicyRule> for Rule {
    fn from(r: &kubepci_model::k8s_openapi::api::rbac::v1::PolicyRule) -> Rule {
        Rule {
            verbs: r.verbs.clone(),
            api_groups: r.api_groups.clone().unwrap_or_default(),
            resources: r.resources.clone().unwrap_or_default(),
            resource_names: r.resource_names.clone().unwrap_or_default(),
            non_resource_urls: r.non_resource_urls.clone().unwrap_or_default(),
        }
    }
}

/// Parse `pods`, `pods/exec`, `deployments.apps`, `deployments.apps/scale` into
/// (apiGroup, resource, subresource). Without a group suffix, well-known resources get their
/// group from [`crate::resources::default_group`]; unknown ones are core (`""`).
pub fn parse_resource_arg(arg: &str) -> (String, String, String) {
    let (res_group, sub) = match arg.split_once('/') {
        Some((r, s)) => (r, s),
        None => (arg, ""),
    };
    let (resource, group) = match res_group.split_once('.') {
        Some((r, g)) => (r.to_string(), g.to_string()),
        None => (res_group.to_string(), crate::resources::default_group(res_group).to_string()),
    };
    (group, resource, sub.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(verbs: &[&str], groups: &[&str], resources: &[&str], names: &[&str]) -> Rule {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        Rule { verbs: v(verbs), api_groups: v(groups), resources: v(resources), resource_names: v(names), non_resource_urls: vec![] }
    }

    #[test]
    fn wildcards_and_exact_matches() {
        let r = rule(&["get"], &[""], &["pods"], &[]);
        assert!(r.allows(&Request::resource("get", "", "pods", "", "x")));
        assert!(!r.allows(&Request::resource("list", "", "pods", "", "")));
        assert!(!r.allows(&Request::resource("get", "apps", "pods", "", "")));
        let all = rule(&["*"], &["*"], &["*"], &[]);
        assert!(all.allows(&Request::resource("delete", "apps", "deployments", "scale", "d")));
        assert!(all.is_full_wildcard());
    }

    #[test]
    fn subresources_need_their_own_grant() {
        let pods = rule(&["create"], &[""], &["pods"], &[]);
        assert!(!pods.allows(&Request::resource("create", "", "pods", "exec", "p")));
        let exec = rule(&["create"], &[""], &["pods/exec"], &[]);
        assert!(exec.allows(&Request::resource("create", "", "pods", "exec", "p")));
        let any_scale = rule(&["update"], &["apps"], &["*/scale"], &[]);
        assert!(any_scale.allows(&Request::resource("update", "apps", "deployments", "scale", "d")));
        assert!(!any_scale.allows(&Request::resource("update", "apps", "deployments", "", "d")));
        // `pods/*` is not a wildcard upstream.
        let pods_star = rule(&["create"], &[""], &["pods/*"], &[]);
        assert!(!pods_star.allows(&Request::resource("create", "", "pods", "exec", "p")));
    }

    #[test]
    fn resource_matching_by_parts_equals_the_combined_string() {
        let rule_resources = ["*", "pods", "pods/exec", "*/exec", "*/", "pods/", "pods/exec/x", "pod", "*/*", "exec", ""];
        let requests = [("pods", ""), ("pods", "exec"), ("pods", "log"), ("pod", "s/exec"), ("pods/exec", ""), ("", ""), ("*", ""), ("", "exec")];
        for r in rule_resources {
            let rule = rule(&["get"], &[""], &[r], &[]);
            for (res, sub) in requests {
                let combined = if sub.is_empty() { res.to_string() } else { format!("{res}/{sub}") };
                assert_eq!(rule.resource_matches_parts(res, sub), rule.resource_matches(&combined, sub), "rule {r:?}, request {res:?} {sub:?}");
            }
        }
    }

    #[test]
    fn resource_names_restrict_to_named_requests() {
        let r = rule(&["get", "list"], &[""], &["secrets"], &["db"]);
        assert!(r.allows(&Request::resource("get", "", "secrets", "", "db")));
        assert!(!r.allows(&Request::resource("get", "", "secrets", "", "other")));
        assert!(!r.allows(&Request::resource("list", "", "secrets", "", "")));
        assert!(r.allows_some(&Request::resource("list", "", "secrets", "", "")));
    }

    #[test]
    fn non_resource_urls_prefix_star() {
        let r = Rule { verbs: vec!["get".into()], non_resource_urls: vec!["/healthz".into(), "/api/*".into()], ..Default::default() };
        assert!(r.allows(&Request::non_resource("get", "/healthz")));
        assert!(!r.allows(&Request::non_resource("get", "/healthz/ready")));
        assert!(r.allows(&Request::non_resource("get", "/api/v1")));
        assert!(r.allows(&Request::non_resource("get", "/api/")));
        assert!(!r.allows(&Request::non_resource("post", "/api/v1")));
        assert!(!r.allows(&Request::resource("get", "", "pods", "", "")));
    }

    #[test]
    fn expands_for_listings() {
        let r = rule(&["get", "list"], &[""], &["secrets"], &["a", "b"]);
        assert_eq!(r.expand().len(), 4);
    }

    #[test]
    fn parses_resource_arguments() {
        assert_eq!(parse_resource_arg("pods/exec"), ("".into(), "pods".into(), "exec".into()));
        assert_eq!(parse_resource_arg("deployments"), ("apps".into(), "deployments".into(), "".into()));
        assert_eq!(parse_resource_arg("gateways.gateway.networking.k8s.io"), ("gateway.networking.k8s.io".into(), "gateways".into(), "".into()));
    }
}
