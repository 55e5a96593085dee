//! The access-review sheet for PCI DSS 7.2.4 (review of user accounts and access privileges
//! every six months) and 7.2.5.1 (review of system and application accounts): every subject
//! with its rights on CDE namespaces and cluster-wide, stamped with a digest of the input and
//! the time, with empty approver/decision columns; and the difference to an earlier review.

use std::collections::{BTreeMap, BTreeSet};

use kubepci_base::text::hex;
use kubepci_inventory::{Inventory, Scope};
use kubepci_model::{Object, Resource};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::escalation::{EscalationGraph, Node};
use crate::model::{GrantScope, Model};
use crate::subject::Subject;

/// One row: a subject's grant through one binding, in a scope the review covers.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewEntry {
    pub subject: Subject,
    /// `cluster-wide` or the namespace.
    pub scope: String,
    /// Scope class of the namespace (`cde`, ...) or `cluster`.
    pub scope_class: String,
    pub binding: String,
    pub role: String,
    /// `verbs resources` summaries of the role's rules.
    pub rights: Vec<String>,
    /// Dangerous capabilities this grant gives (`read-secrets`, `exec-pods`, ...).
    pub capabilities: Vec<String>,
    /// Listed in `approvedSubjects` of kubepci.yaml.
    pub approved_in_config: bool,
    /// With audit logs (`rbac review --audit`): when the subject last made a request, or
    /// `never in the logs`, or why it cannot be told (groups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_active: Option<String>,
    /// With audit logs: the rules of this grant that no request in the logs needed (7.2.4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted_never_used: Option<Vec<String>>,
}

impl ReviewEntry {
    fn key(&self) -> (Subject, String, String, String) {
        (self.subject.clone(), self.scope.clone(), self.binding.clone(), self.role.clone())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Review {
    pub generated_at: String,
    pub input_sha256: String,
    pub cde_namespaces: Vec<String>,
    pub entries: Vec<ReviewEntry>,
    /// With audit logs: the time window they cover (`first .. last`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_window: Option<String>,
}

/// One kind of request a subject made, allowed, as an audit log shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsedRequest {
    pub verb: String,
    pub api_group: String,
    /// `resource` or `resource/subresource`.
    pub resource: String,
    /// Empty for cluster-scoped or all-namespace requests.
    pub namespace: String,
}

/// What the audit logs say about one subject: `None` when they cannot tell (a group: logs
/// name users); else the last request's time (or `None` if it never appears) and its requests.
pub type SubjectUse = Option<(Option<String>, Vec<UsedRequest>)>;

/// Add the "last active" and "granted but never used" columns (PCI DSS 7.2.4) from audit logs
/// covering `window`.
pub fn add_activity(review: &mut Review, model: &Model, window: &str, activity: impl Fn(&Subject) -> SubjectUse) {
    review.audit_window = Some(window.to_string());
    for e in &mut review.entries {
        match activity(&e.subject) {
            None => {
                e.last_active = Some("not assessed: audit logs name users, not groups".into());
                e.granted_never_used = None;
            }
            Some((last, uses)) => {
                e.last_active = Some(last.unwrap_or_else(|| "never in the logs".into()));
                let Some(b) = model.bindings.iter().find(|b| b.display() == e.binding) else { continue };
                let Some(role) = b.role else { continue };
                let scope = b.scope();
                let unused: Vec<crate::rule::Rule> = model.roles[role]
                    .rules
                    .iter()
                    .filter(|rule| !uses.iter().any(|u| scope_covers(&scope, &u.namespace) && rule_covers(rule, u)))
                    .cloned()
                    .collect();
                e.granted_never_used = Some(summarize_rules(&unused));
            }
        }
    }
}

fn scope_covers(scope: &GrantScope, namespace: &str) -> bool {
    match scope {
        GrantScope::Cluster => true,
        GrantScope::Namespace(ns) => ns == namespace,
    }
}

fn rule_covers(rule: &crate::rule::Rule, u: &UsedRequest) -> bool {
    let any = |list: &[String], v: &str| list.iter().any(|x| x == "*" || x == v);
    let resource_ok = rule.resources.iter().any(|r| {
        r == "*" || r == &u.resource || (r.starts_with("*/") && u.resource.split_once('/').is_some_and(|(_, sub)| Some(sub) == r.strip_prefix("*/")))
    });
    rule.non_resource_urls.is_empty() && any(&rule.verbs, &u.verb) && any(&rule.api_groups, &u.api_group) && resource_ok
}

/// What changed since an earlier review.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewDiff {
    pub old_input_sha256: String,
    pub new_input_sha256: String,
    pub added: Vec<ReviewEntry>,
    pub removed: Vec<ReviewEntry>,
    /// (old, new) pairs with the same subject, scope, binding and role but other rights.
    pub changed: Vec<(ReviewEntry, ReviewEntry)>,
}

/// Summaries like `get,list,watch secrets` for each rule.
pub fn summarize_rules(rules: &[crate::rule::Rule]) -> Vec<String> {
    rules
        .iter()
        .map(|r| {
            let verbs = r.verbs.join(",");
            if r.is_non_resource() {
                return format!("{verbs} {}", r.non_resource_urls.join(","));
            }
            let groups: BTreeSet<&str> = r.api_groups.iter().map(String::as_str).filter(|g| !g.is_empty()).collect();
            let mut s = format!("{verbs} {}", r.resources.join(","));
            if !groups.is_empty() {
                s.push_str(&format!(" [{}]", groups.into_iter().collect::<Vec<_>>().join(",")));
            }
            if !r.resource_names.is_empty() {
                s.push_str(&format!(" (names: {})", r.resource_names.join(",")));
            }
            s
        })
        .collect()
}

/// Build the review: grants that are cluster-wide or in a CDE namespace, stamped with
/// `generated_at` (RFC 3339; the caller reads the clock, see `kubepci_base::time::now_epoch`).
pub fn build(model: &Model, inv: &Inventory, input_sha256: &str, generated_at: &str) -> Review {
    let graph = EscalationGraph::new(model, inv);
    let cde: BTreeSet<String> = graph.cde_namespaces().iter().cloned().collect();
    let mut entries = Vec::new();
    for b in &model.bindings {
        let scope = b.scope();
        let (scope_label, class) = match &scope {
            GrantScope::Cluster => ("cluster-wide".to_string(), "cluster".to_string()),
            GrantScope::Namespace(ns) => (ns.clone(), inv.namespace_scope(ns).as_str().to_string()),
        };
        if let GrantScope::Namespace(ns) = &scope
            && !cde.contains(ns)
        {
            continue;
        }
        let (rights, capabilities) = match b.role {
            Some(r) => {
                let caps = graph.capabilities(&Node::Role(r, scope.clone()));
                let mut names: Vec<String> = caps.iter().map(|c| serde_json::to_value(c.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()).collect();
                names.sort();
                names.dedup();
                (summarize_rules(&model.roles[r].rules), names)
            }
            None => (vec!["(role not found: grants nothing)".to_string()], vec![]),
        };
        for s in &b.subjects {
            entries.push(ReviewEntry {
                subject: s.clone(),
                scope: scope_label.clone(),
                scope_class: class.clone(),
                binding: b.display(),
                role: b.role.map_or_else(|| format!("{:?}/{}", b.role_kind, b.role_name), |r| model.roles[r].display()),
                rights: rights.clone(),
                capabilities: capabilities.clone(),
                approved_in_config: inv.config.subject_approved(s.kind.as_str(), &s.name, s.namespace.as_deref()),
                last_active: None,
                granted_never_used: None,
            });
        }
    }
    entries.sort();
    entries.dedup();
    Review { generated_at: generated_at.into(), input_sha256: input_sha256.into(), cde_namespaces: cde.into_iter().collect(), entries, audit_window: None }
}

/// Compare two reviews by (subject, scope, binding, role).
pub fn diff(old: &Review, new: &Review) -> ReviewDiff {
    let old_map: BTreeMap<_, _> = old.entries.iter().map(|e| (e.key(), e)).collect();
    let new_map: BTreeMap<_, _> = new.entries.iter().map(|e| (e.key(), e)).collect();
    let mut d = ReviewDiff { old_input_sha256: old.input_sha256.clone(), new_input_sha256: new.input_sha256.clone(), ..Default::default() };
    for (k, e) in &new_map {
        match old_map.get(k) {
            None => d.added.push((*e).clone()),
            Some(o) if o.rights != e.rights => d.changed.push(((*o).clone(), (*e).clone())),
            Some(_) => {}
        }
    }
    for (k, e) in &old_map {
        if !new_map.contains_key(k) {
            d.removed.push((*e).clone());
        }
    }
    d
}

fn csv_field(s: &str) -> String {
    // Quote always; also defuse spreadsheet formulas.
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
    format!("\"{}\"", s.replace('"', "\"\""))
}

pub const CSV_HEADER: &str = "subject_kind,subject_name,subject_namespace,scope,scope_class,binding,role,rights,capabilities,approved_in_config,approver,decision,comment";

/// CSV with `#` stamp lines first, then a header and one row per entry.
pub fn to_csv(r: &Review) -> String {
    let mut out = String::new();
    out.push_str("# kubepci RBAC access review (PCI DSS 7.2.4, 7.2.5.1)\n");
    out.push_str(&format!("# generated-at: {}\n# input-sha256: {}\n# cde-namespaces: {}\n", r.generated_at, r.input_sha256, r.cde_namespaces.join(" ")));
    let with_audit = r.audit_window.is_some();
    if let Some(w) = &r.audit_window {
        out.push_str(&format!("# audit-window: {w}\n"));
        out.push_str(&CSV_HEADER.replace(",approver,", ",last_active,granted_never_used,approver,"));
    } else {
        out.push_str(CSV_HEADER);
    }
    out.push('\n');
    for e in &r.entries {
        let mut fields = vec![
            e.subject.kind.as_str().to_string(),
            e.subject.name.clone(),
            e.subject.namespace.clone().unwrap_or_default(),
            e.scope.clone(),
            e.scope_class.clone(),
            e.binding.clone(),
            e.role.clone(),
            e.rights.join("; "),
            e.capabilities.join(" "),
            e.approved_in_config.to_string(),
        ];
        if with_audit {
            fields.push(e.last_active.clone().unwrap_or_default());
            fields.push(e.granted_never_used.as_ref().map(|u| u.join("; ")).unwrap_or_else(|| "not assessed".into()));
        }
        fields.extend([String::new(), String::new(), String::new()]);
        out.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}

/// SHA-256 over the input objects, independent of their order and of file names: each
/// object's JSON is hashed, the digests sorted, and the sorted list hashed.
pub fn input_digest(objects: &[Object]) -> String {
    let mut digests: Vec<[u8; 32]> = objects
        .iter()
        .map(|o| {
            let mut h = Sha256::new();
            h.update(o.api_version.as_bytes());
            h.update([0]);
            h.update(o.kind().as_bytes());
            h.update([0]);
            h.update(object_json(&o.resource).as_bytes());
            h.finalize().into()
        })
        .collect();
    digests.sort_unstable();
    let mut h = Sha256::new();
    for d in &digests {
        h.update(d);
    }
    hex(&h.finalize())
}

fn object_json(r: &Resource) -> String {
    macro_rules! json {
        ($($v:ident),*) => {
            match r {
                $( Resource::$v(o) => serde_json::to_string(o), )*
                // Typed since they were held as generic objects: hashed as one was.
                Resource::EndpointSlice(o) => generic_json(&o.metadata, &**o),
                Resource::PodDisruptionBudget(o) => generic_json(&o.metadata, &**o),
                Resource::LimitRange(o) => generic_json(&o.metadata, &**o),
                Resource::ResourceQuota(o) => generic_json(&o.metadata, &**o),
                Resource::Generic(g) => serde_json::to_string(&(&g.metadata, &g.body)),
            }
        };
    }
    json!(Namespace, Pod, ReplicationController, Service, ConfigMap, Secret, ServiceAccount, Node, PersistentVolumeClaim, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, Ingress, NetworkPolicy, Role, ClusterRole, RoleBinding, ClusterRoleBinding, ValidatingWebhookConfiguration, MutatingWebhookConfiguration)
        .unwrap_or_default()
}

/// A typed object as a generic one's JSON: its metadata, then its other fields in a map
/// (sorted by name, as a generic object's body is).
fn generic_json<T: serde::Serialize>(metadata: &kubepci_model::Meta, object: &T) -> serde_json::Result<String> {
    let mut body = match serde_json::to_value(object)? {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    for field in ["apiVersion", "kind", "metadata"] {
        body.remove(field);
    }
    serde_json::to_string(&(metadata, &body))
}

/// Scope classes a review covers.
pub fn covered(scope: Scope) -> bool {
    scope == Scope::Cde
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kind typed since it was held generic hashes as the generic object did, so a review's
    /// input digest does not change with the typing.
    #[test]
    fn typed_kinds_hash_as_their_generic_objects_did() {
        use kubepci_model::{GenericObject, SourceLoc, decode_value};
        let doc = serde_json::json!({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"s","namespace":"a","labels":{"x":"y"}},
            "ports":[{"port":443,"name":"https"}],"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"],"conditions":{"ready":true},"targetRef":{"kind":"Pod","name":"p"}}]});
        let typed = decode_value(doc.clone(), SourceLoc::new("t", 1, 1)).unwrap();
        assert!(matches!(typed.resource, Resource::EndpointSlice(_)));
        let serde_json::Value::Object(mut body) = doc else { unreachable!() };
        body.remove("apiVersion");
        body.remove("kind");
        let metadata = serde_json::from_value(body.remove("metadata").unwrap()).unwrap();
        let generic = Object {
            resource: Resource::Generic(Box::new(GenericObject { api_version: typed.api_version.clone(), kind: "EndpointSlice".into(), metadata, body })),
            ..typed.clone()
        };
        assert_eq!(input_digest(&[typed]), input_digest(&[generic]));
    }

    #[test]
    fn csv_quotes_and_defuses() {
        assert_eq!(csv_field("a\"b"), "\"a\"\"b\"");
        assert_eq!(csv_field("=cmd"), "\"'=cmd\"");
    }
}
