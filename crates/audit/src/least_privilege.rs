//! Least privilege from real use (PCI DSS 7.2.5), in the manner of audit2rbac: the requests a
//! subject made or tried (allowed or denied) become the Role/ClusterRole and binding that would
//! allow exactly those, with `list` and `watch` widened to get/list/watch (a client that lists
//! then reads or watches what it listed needs all three; audit2rbac widens the same way).
//! Discovery and health endpoints (granted to every authenticated user by the built-in
//! system:discovery and system:public-info-viewer roles) are left out.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::event::Event;

/// Who to build the policy for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubjectSel {
    User(String),
    Group(String),
    ServiceAccount { namespace: String, name: String },
}

impl SubjectSel {
    /// `User:alice`, `Group:devs`, `ServiceAccount:ns:name` (or `ServiceAccount:ns/name`).
    pub fn parse(s: &str) -> Result<SubjectSel, String> {
        let (kind, rest) = s.split_once(':').ok_or_else(|| format!("{s:?}: expected KIND:NAME (User:alice, Group:devs, ServiceAccount:ns:name)"))?;
        match kind {
            "User" | "user" if !rest.is_empty() => Ok(SubjectSel::User(rest.into())),
            "Group" | "group" if !rest.is_empty() => Ok(SubjectSel::Group(rest.into())),
            "ServiceAccount" | "serviceaccount" | "sa" => {
                let (ns, name) = rest.split_once([':', '/']).ok_or_else(|| format!("{s:?}: a ServiceAccount is ServiceAccount:NAMESPACE:NAME"))?;
                if ns.is_empty() || name.is_empty() {
                    return Err(format!("{s:?}: a ServiceAccount is ServiceAccount:NAMESPACE:NAME"));
                }
                Ok(SubjectSel::ServiceAccount { namespace: ns.into(), name: name.into() })
            }
            _ => Err(format!("{s:?}: the kind is User, Group or ServiceAccount")),
        }
    }

    /// Whether the request acted as this subject (the impersonated identity, if any).
    pub fn matches(&self, e: &Event<'_>) -> bool {
        match self {
            SubjectSel::User(u) => e.effective_username() == u,
            SubjectSel::ServiceAccount { namespace, name } => e.effective_username() == format!("system:serviceaccount:{namespace}:{name}"),
            SubjectSel::Group(g) => e.effective_groups().iter().any(|x| x == g),
        }
    }

    /// The binding subject.
    pub fn binding_subject(&self) -> Value {
        match self {
            SubjectSel::User(u) => json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": u}),
            SubjectSel::Group(g) => json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": g}),
            SubjectSel::ServiceAccount { namespace, name } => json!({"kind": "ServiceAccount", "name": name, "namespace": namespace}),
        }
    }

    /// A name usable in object names and labels.
    pub fn label(&self) -> String {
        let raw = match self {
            SubjectSel::User(u) | SubjectSel::Group(u) => u.clone(),
            SubjectSel::ServiceAccount { namespace, name } => format!("{namespace}.{name}"),
        };
        raw.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c.to_ascii_lowercase() } else { '-' }).collect()
    }
}

/// One kind of request the subject made or tried.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Observed {
    pub verb: String,
    pub api_group: String,
    /// `resource` or `resource/subresource`; empty for a non-resource URL.
    pub resource: String,
    /// Empty: cluster-scoped, or every namespace at once.
    pub namespace: String,
    pub name: String,
    /// Non-resource URL (path without query).
    pub path: String,
    /// Whether the authorizer allowed it (false: 401/403 or decision forbid).
    pub allowed: bool,
}

const PUBLIC_PATHS: &[&str] = &["/api", "/apis", "/version", "/healthz", "/livez", "/readyz", "/openapi", "/.well-known"];

/// The request, if it acted as `subject` and is not one every authenticated user may make.
pub fn observe(e: &Event<'_>, subject: &SubjectSel) -> Option<Observed> {
    if !subject.matches(e) || e.verb().is_empty() {
        return None;
    }
    let allowed = e.decision() != crate::event::Decision::Forbid && !matches!(e.code(), Some(401 | 403));
    if e.object_ref.is_none() || e.resource().is_empty() {
        let path = e.uri().split('?').next().unwrap_or("").to_string();
        if path.is_empty() || PUBLIC_PATHS.iter().any(|p| path == *p || path.starts_with(&format!("{p}/"))) {
            return None;
        }
        return Some(Observed { verb: e.verb().into(), path, allowed, ..Observed::default() });
    }
    let resource = if e.subresource().is_empty() { e.resource().to_string() } else { format!("{}/{}", e.resource(), e.subresource()) };
    Some(Observed { verb: e.verb().into(), api_group: e.api_group().into(), resource, namespace: e.namespace().into(), name: e.name().into(), path: String::new(), allowed })
}

impl Default for Observed {
    fn default() -> Self {
        Observed { verb: String::new(), api_group: String::new(), resource: String::new(), namespace: String::new(), name: String::new(), path: String::new(), allowed: true }
    }
}

/// `list` and `watch` need their siblings; other verbs stand alone.
pub fn widen(verb: &str) -> &'static [&'static str] {
    match verb {
        "list" | "watch" => &["get", "list", "watch"],
        "get" => &["get"],
        "create" => &["create"],
        "update" => &["update"],
        "patch" => &["patch"],
        "delete" => &["delete"],
        "deletecollection" => &["deletecollection"],
        "impersonate" => &["impersonate"],
        "bind" => &["bind"],
        "escalate" => &["escalate"],
        "approve" => &["approve"],
        "sign" => &["sign"],
        _ => &[],
    }
}

/// The Role/ClusterRole and bindings covering every observed request (allowed or not): one
/// Role + RoleBinding per namespace, one ClusterRole + ClusterRoleBinding for cluster-scoped,
/// all-namespace and non-resource requests. Rules with the same API group and verbs are
/// merged; everything is sorted so that the output is stable.
pub fn generate(subject: &SubjectSel, observed: &BTreeSet<Observed>) -> Vec<Value> {
    // scope ("" = cluster) -> (apiGroup, resource) -> verbs
    let mut by_scope: BTreeMap<&str, BTreeMap<(&str, &str), BTreeSet<String>>> = BTreeMap::new();
    let mut non_resource: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for o in observed {
        let verbs: Vec<String> = match widen(&o.verb) {
            [] => vec![o.verb.clone()],
            w => w.iter().map(|v| v.to_string()).collect(),
        };
        if !o.path.is_empty() {
            non_resource.entry(o.path.as_str()).or_default().extend(verbs);
        } else {
            by_scope.entry(o.namespace.as_str()).or_default().entry((o.api_group.as_str(), o.resource.as_str())).or_default().extend(verbs);
        }
    }
    let name = format!("kubepci:{}", subject.label());
    let labels = json!({"kubepci.io/generated": "true", "kubepci.io/subject": subject.label()});
    let mut out = Vec::new();
    let mut scopes: Vec<&str> = by_scope.keys().copied().collect();
    if !non_resource.is_empty() && !scopes.contains(&"") {
        scopes.insert(0, "");
    }
    for scope in scopes {
        let mut merged: BTreeMap<(&str, Vec<String>), BTreeSet<&str>> = BTreeMap::new();
        for ((group, resource), verbs) in by_scope.get(scope).into_iter().flatten() {
            merged.entry((*group, verbs.iter().cloned().collect())).or_default().insert(*resource);
        }
        let mut rules: Vec<Value> =
            merged.into_iter().map(|((group, verbs), resources)| json!({"apiGroups": [group], "resources": resources, "verbs": verbs})).collect();
        if scope.is_empty() {
            let mut by_verbs: BTreeMap<Vec<String>, BTreeSet<&str>> = BTreeMap::new();
            for (path, verbs) in &non_resource {
                by_verbs.entry(verbs.iter().cloned().collect()).or_default().insert(*path);
            }
            rules.extend(by_verbs.into_iter().map(|(verbs, paths)| json!({"nonResourceURLs": paths, "verbs": verbs})));
        }
        let (role_kind, binding_kind) = if scope.is_empty() { ("ClusterRole", "ClusterRoleBinding") } else { ("Role", "RoleBinding") };
        let mut meta = json!({"name": name, "labels": labels});
        if !scope.is_empty() {
            meta["namespace"] = json!(scope);
        }
        out.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": role_kind, "metadata": meta, "rules": rules}));
        out.push(json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": binding_kind,
            "metadata": meta,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": name},
            "subjects": [subject.binding_subject()],
        }));
    }
    out
}

/// One manifest as YAML (for `---`-separated output).
pub fn to_yaml(doc: &Value) -> String {
    yaml_serde::to_string(doc).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: &str) -> Option<Observed> {
        let e: Event<'_> = serde_json::from_str(json).unwrap();
        observe(&e, &SubjectSel::User("alice".into()))
    }

    #[test]
    fn subjects_parse() {
        assert_eq!(SubjectSel::parse("User:alice").unwrap(), SubjectSel::User("alice".into()));
        assert_eq!(SubjectSel::parse("ServiceAccount:ns1/sa1").unwrap(), SubjectSel::ServiceAccount { namespace: "ns1".into(), name: "sa1".into() });
        assert!(SubjectSel::parse("alice").is_err());
        assert!(SubjectSel::parse("ServiceAccount:sa1").is_err());
    }

    #[test]
    fn impersonated_denied_lists_become_a_widened_role() {
        let mut set = BTreeSet::new();
        for r in ["pods", "secrets", "configmaps"] {
            let line = format!(
                r#"{{"verb":"list","user":{{"username":"system:admin"}},"impersonatedUser":{{"username":"alice"}},"objectRef":{{"resource":"{r}","namespace":"ns1"}},"responseStatus":{{"code":403}}}}"#
            );
            set.insert(event(&line).unwrap());
        }
        assert!(event(r#"{"verb":"get","user":{"username":"alice"},"requestURI":"/apis"}"#).is_none(), "discovery is left out");
        assert!(event(r#"{"verb":"get","user":{"username":"bob"},"objectRef":{"resource":"pods"}}"#).is_none());
        let out = generate(&SubjectSel::User("alice".into()), &set);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0]["kind"], "Role");
        assert_eq!(out[0]["metadata"]["namespace"], "ns1");
        assert_eq!(out[0]["rules"], json!([{"apiGroups": [""], "resources": ["configmaps", "pods", "secrets"], "verbs": ["get", "list", "watch"]}]));
        assert_eq!(out[1]["subjects"][0]["name"], "alice");
    }
}
