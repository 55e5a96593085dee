//! Questions to the model: who can make a request, what a subject can do, and whether a
//! subject is allowed something (the authorizer's answer).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::{BindingId, BindingKind, GrantScope, Model, RoleId};
use crate::resources::is_cluster_scoped;
use crate::rule::{ExpandedRule, Request, Rule, Target};
use crate::subject::{MASTERS, Subject};

/// Which namespaces a who-can question is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NamespaceFilter {
    /// Anywhere: cluster-wide grants and grants in any one namespace (each reported with its
    /// scope). What `who-can` answers without `-n`.
    Any,
    /// Requests without a namespace (cluster-scoped resources, all-namespace lists): only
    /// ClusterRoleBindings count.
    Cluster,
    /// Requests in this namespace: ClusterRoleBindings and this namespace's RoleBindings.
    Namespace(String),
}

/// One way a subject is granted a request: through this binding of this role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    pub subject: Subject,
    pub binding: String,
    pub role: String,
    pub scope: GrantScope,
    #[serde(skip)]
    pub binding_id: BindingId,
    #[serde(skip)]
    pub role_id: RoleId,
}

/// A who-can answer grouped by subject (the JSON schema of `who-can --format json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoCanEntry {
    pub kind: &'static str,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub grants: Vec<GrantVia>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "camelCase")]
pub struct GrantVia {
    pub binding: String,
    pub role: String,
    pub scope: GrantScope,
}

/// A principal's binding: which binding applies to it, through which of its identities
/// (itself, or a group it belongs to).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrincipalBinding {
    pub binding: BindingId,
    pub via: Subject,
}

/// One effective permission of a subject (a row of `subject` / policy-rules output).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EffectiveRule {
    pub scope: GrantScope,
    #[serde(flatten)]
    pub rule: ExpandedRule,
    pub role: String,
    pub binding: String,
    /// The subject the binding names when it is not the principal itself (a group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

/// Where a principal may do something: everywhere, or in these namespaces.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopeSet {
    pub cluster: bool,
    pub namespaces: BTreeSet<String>,
}

impl ScopeSet {
    pub fn is_empty(&self) -> bool {
        !self.cluster && self.namespaces.is_empty()
    }
    pub fn covers(&self, ns: &str) -> bool {
        self.cluster || self.namespaces.contains(ns)
    }
    pub(crate) fn add(&mut self, scope: &GrantScope) {
        match scope {
            GrantScope::Cluster => self.cluster = true,
            GrantScope::Namespace(ns) => {
                self.namespaces.insert(ns.clone());
            }
        }
    }
}

impl Model {
    /// Whether a binding's grant reaches requests of this shape under this filter.
    fn binding_reaches(&self, b: BindingId, request: &Request, filter: &NamespaceFilter) -> bool {
        let binding = &self.bindings[b];
        if binding.kind == BindingKind::ClusterRoleBinding {
            return true;
        }
        // RoleBindings only grant namespaced requests.
        let namespaced = match &request.target {
            Target::NonResource { .. } => false,
            Target::Resource { api_group, resource, .. } => !is_cluster_scoped(api_group, resource),
        };
        namespaced
            && match filter {
                NamespaceFilter::Any => true,
                NamespaceFilter::Cluster => false,
                NamespaceFilter::Namespace(ns) => binding.namespace.as_deref() == Some(ns.as_str()),
            }
    }

    /// Every (subject, binding, role) that allows the request. Members of `system:masters`
    /// are allowed everything without a binding; they are not listed here (see
    /// [`Model::who_can_entries`]).
    pub fn who_can(&self, request: &Request, filter: &NamespaceFilter) -> Vec<Grant> {
        let mut out = Vec::new();
        let mut role_done = vec![false; self.roles.len()];
        for (role, rule) in self.candidate_rules(request) {
            if role_done[role] || !self.rule(role, rule).allows(request) {
                continue;
            }
            role_done[role] = true;
            for &b in self.bindings_of_role(role) {
                if !self.binding_reaches(b, request, filter) {
                    continue;
                }
                let binding = &self.bindings[b];
                for s in &binding.subjects {
                    out.push(Grant {
                        subject: s.clone(),
                        binding: binding.display(),
                        role: self.roles[role].display(),
                        scope: binding.scope(),
                        binding_id: b,
                        role_id: role,
                    });
                }
            }
        }
        out.sort_by(|a, b| (&a.subject, &a.binding).cmp(&(&b.subject, &b.binding)));
        out.dedup_by(|a, b| a.subject == b.subject && a.binding_id == b.binding_id);
        out
    }

    /// [`Model::who_can`] grouped per subject, with the implicit `system:masters` entry first.
    pub fn who_can_entries(&self, request: &Request, filter: &NamespaceFilter) -> Vec<WhoCanEntry> {
        let mut by_subject: BTreeMap<Subject, Vec<GrantVia>> = BTreeMap::new();
        by_subject.insert(
            Subject::group(MASTERS),
            vec![GrantVia { binding: "(none: members bypass RBAC)".into(), role: "(superuser)".into(), scope: GrantScope::Cluster }],
        );
        for g in self.who_can(request, filter) {
            by_subject.entry(g.subject).or_default().push(GrantVia { binding: g.binding, role: g.role, scope: g.scope });
        }
        by_subject
            .into_iter()
            .map(|(s, mut grants)| {
                grants.sort();
                grants.dedup();
                WhoCanEntry { kind: s.kind.as_str(), name: s.name, namespace: s.namespace, grants }
            })
            .collect()
    }

    /// The bindings that apply to a principal: those naming it, its user name, or a group it is
    /// in (for a ServiceAccount: `system:serviceaccounts[:ns]`, `system:authenticated`).
    pub fn bindings_for(&self, principal: &Subject) -> Vec<PrincipalBinding> {
        let mut out = Vec::new();
        for key in principal.clone().canonical().matching_keys() {
            for &b in self.bindings_naming(&key) {
                if !out.iter().any(|p: &PrincipalBinding| p.binding == b) {
                    out.push(PrincipalBinding { binding: b, via: key.clone() });
                }
            }
        }
        out
    }

    /// Whether the principal is a superuser (`system:masters`).
    pub fn is_superuser(&self, principal: &Subject) -> bool {
        principal.is_superuser_group()
    }

    /// The authorizer's decision for a request in `namespace` (`None`: no namespace).
    pub fn is_allowed(&self, principal: &Subject, request: &Request, namespace: Option<&str>) -> bool {
        if self.is_superuser(principal) {
            return true;
        }
        let filter = match namespace {
            Some(ns) => NamespaceFilter::Namespace(ns.into()),
            None => NamespaceFilter::Cluster,
        };
        self.bindings_for(principal).iter().any(|pb| {
            self.binding_reaches(pb.binding, request, &filter)
                && self.bindings[pb.binding].role.is_some_and(|r| self.roles[r].rules.iter().any(|rule| rule.allows(request)))
        })
    }

    /// Where the principal may make this kind of request on at least one object (rules
    /// restricted to `resourceNames` count). `cluster` means every namespace, and cluster-scoped
    /// objects.
    pub fn scopes_allowing(&self, principal: &Subject, request: &Request) -> ScopeSet {
        self.scopes_where(principal, request, |rule| rule.allows_some(request))
    }

    /// Like [`Model::scopes_allowing`], but only grants without a `resourceNames` restriction
    /// ("every object of that kind").
    pub fn scopes_allowing_all(&self, principal: &Subject, request: &Request) -> ScopeSet {
        self.scopes_where(principal, request, |rule| rule.resource_names.is_empty() && rule.allows_some(request))
    }

    /// The scopes of the principal's bindings that reach the request and whose role has a rule
    /// `grants` accepts.
    fn scopes_where(&self, principal: &Subject, request: &Request, grants: impl Fn(&Rule) -> bool) -> ScopeSet {
        let mut set = ScopeSet::default();
        if self.is_superuser(principal) {
            set.cluster = true;
            return set;
        }
        for pb in self.bindings_for(principal) {
            let b = &self.bindings[pb.binding];
            if !self.binding_reaches(pb.binding, request, &NamespaceFilter::Any) {
                continue;
            }
            if b.role.is_some_and(|r| self.roles[r].rules.iter().any(&grants)) {
                set.add(&b.scope());
            }
        }
        set
    }

    /// Every effective permission of the principal, one verb/resource per row, with the
    /// binding and role it comes from.
    pub fn effective_rules(&self, principal: &Subject) -> Vec<EffectiveRule> {
        let principal = principal.clone().canonical();
        let mut out = Vec::new();
        if self.is_superuser(&principal) {
            out.push(EffectiveRule {
                scope: GrantScope::Cluster,
                rule: ExpandedRule { verb: "*".into(), api_group: "*".into(), resource: "*".into(), ..Default::default() },
                role: "(superuser: system:masters bypasses RBAC)".into(),
                binding: "(none)".into(),
                via: None,
            });
        }
        for pb in self.bindings_for(&principal) {
            let b = &self.bindings[pb.binding];
            let Some(role) = b.role else { continue };
            for rule in &self.roles[role].rules {
                for row in rule.expand() {
                    out.push(EffectiveRule {
                        scope: b.scope(),
                        rule: row,
                        role: self.roles[role].display(),
                        binding: b.display(),
                        via: (pb.via != principal).then(|| pb.via.to_string()),
                    });
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }
}
