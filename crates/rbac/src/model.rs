//! The RBAC model: every Role, ClusterRole (with aggregation resolved) and binding of the
//! input, indexed so that "who can do X" is a lookup and "what can S do" is a walk over S's
//! few bindings. Built once, read-only afterwards.

use std::collections::{BTreeSet, HashMap};

use kubepci_model::selector::Selector;
use kubepci_model::{Object, Resource, SourceLoc};
use serde::Serialize;

use crate::builtin;
use kubepci_model::hash::{FastMap, FastSet};
use crate::rule::{ALL, Request, Rule, Target};
use crate::subject::{Subject, SubjectKind};

pub type RoleId = usize;
pub type BindingId = usize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum RoleKind {
    Role,
    ClusterRole,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum BindingKind {
    RoleBinding,
    ClusterRoleBinding,
}

/// Where a binding's grant applies: every namespace and cluster-scoped resources
/// (ClusterRoleBinding), or one namespace (RoleBinding).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase", tag = "type", content = "namespace")]
pub enum GrantScope {
    Cluster,
    Namespace(String),
}

impl GrantScope {
    pub fn covers(&self, namespace: &str) -> bool {
        match self {
            GrantScope::Cluster => true,
            GrantScope::Namespace(ns) => ns == namespace,
        }
    }
    pub fn label(&self) -> String {
        match self {
            GrantScope::Cluster => "cluster-wide".into(),
            GrantScope::Namespace(ns) => format!("namespace {ns}"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct RoleDef {
    pub kind: RoleKind,
    pub namespace: Option<String>,
    pub name: String,
    pub labels: kubepci_model::Labels,
    /// Effective rules: the role's own plus, for aggregated ClusterRoles, those of every
    /// ClusterRole its selectors match (to a fixpoint).
    pub rules: Vec<Rule>,
    /// ClusterRoles whose rules were aggregated into this one.
    pub aggregated_from: Vec<RoleId>,
    /// Index of the object in the input; `None` for a built-in definition.
    pub object: Option<usize>,
    pub loc: Option<SourceLoc>,
}

impl RoleDef {
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("Role/{ns}/{}", self.name),
            None => format!("ClusterRole/{}", self.name),
        }
    }
}

#[derive(Clone, Debug)]
pub struct BindingDef {
    pub kind: BindingKind,
    pub namespace: Option<String>,
    pub name: String,
    pub role_kind: RoleKind,
    pub role_name: String,
    /// The role it grants, when that role exists (in the input or built in).
    pub role: Option<RoleId>,
    /// Subjects, canonical (ServiceAccount namespace defaulted to the binding's).
    pub subjects: Vec<Subject>,
    pub object: usize,
    pub loc: SourceLoc,
}

impl BindingDef {
    pub fn scope(&self) -> GrantScope {
        match (self.kind, &self.namespace) {
            (BindingKind::RoleBinding, Some(ns)) => GrantScope::Namespace(ns.clone()),
            _ => GrantScope::Cluster,
        }
    }
    pub fn display(&self) -> String {
        match (self.kind, &self.namespace) {
            (BindingKind::RoleBinding, Some(ns)) => format!("RoleBinding/{ns}/{}", self.name),
            _ => format!("ClusterRoleBinding/{}", self.name),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IssueKind {
    /// A binding refers to a Role or ClusterRole that is not in the input (grants nothing).
    MissingRole,
    /// A binding refers to a default ClusterRole not in the input; its built-in definition is used.
    BuiltinRole,
    /// A binding names a ServiceAccount that is not in the input (stale access).
    MissingServiceAccount,
    /// A roleRef or subject the API server would reject.
    Invalid,
    /// An aggregationRule selector that could not be parsed.
    BadAggregationSelector,
}

/// Something about the RBAC objects worth telling the user (not itself a finding).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Issue {
    pub kind: IssueKind,
    /// `RoleBinding/ns/name` etc.
    pub object: String,
    pub message: String,
    #[serde(skip)]
    pub loc: Option<SourceLoc>,
    #[serde(skip)]
    pub object_index: Option<usize>,
}

/// (apiGroup → resource → verb) → rules mentioning exactly those strings (`*` included).
type RuleIndex = FastMap<String, FastMap<String, FastMap<String, Vec<(RoleId, u32)>>>>;

pub struct Model {
    pub roles: Vec<RoleDef>,
    pub bindings: Vec<BindingDef>,
    pub issues: Vec<Issue>,
    role_by_key: FastMap<(RoleKind, String, String), RoleId>,
    rule_index: RuleIndex,
    non_resource_rules: Vec<(RoleId, u32)>,
    bindings_by_role: Vec<Vec<BindingId>>,
    /// (Looked up for every principal of the escalation graph: a fast hasher.)
    bindings_by_subject: FastMap<Subject, Vec<BindingId>>,
    /// ServiceAccounts present in the input, as (namespace, name).
    pub service_accounts: BTreeSet<(String, String)>,
}

impl Model {
    /// Build the model from all input objects (non-RBAC objects are ignored except
    /// ServiceAccounts and Namespaces, used to report bindings to missing accounts).
    pub fn build(objects: &[Object]) -> Model {
        let mut m = Model {
            roles: Vec::new(),
            bindings: Vec::new(),
            issues: Vec::new(),
            role_by_key: FastMap::default(),
            rule_index: FastMap::default(),
            non_resource_rules: Vec::new(),
            bindings_by_role: Vec::new(),
            bindings_by_subject: FastMap::default(),
            service_accounts: BTreeSet::new(),
        };
        let mut aggregation: Vec<(RoleId, Vec<Selector>)> = Vec::new();
        let mut namespaces_seen: FastSet<String> = FastSet::default();
        for (i, o) in objects.iter().enumerate() {
            match &o.resource {
                Resource::Role(r) => {
                    let rules = r.rules.iter().flatten().map(Rule::from).collect();
                    m.add_role(RoleKind::Role, o.namespace().map(str::to_string), o, i, rules);
                }
                Resource::ClusterRole(r) => {
                    let rules = r.rules.iter().flatten().map(Rule::from).collect();
                    let id = m.add_role(RoleKind::ClusterRole, None, o, i, rules);
                    if let Some(agg) = &r.aggregation_rule {
                        let mut selectors = Vec::new();
                        for s in agg.cluster_role_selectors.iter().flatten() {
                            match Selector::from_label_selector(s) {
                                Ok(sel) => selectors.push(sel),
                                Err(e) => m.issues.push(Issue {
                                    kind: IssueKind::BadAggregationSelector,
                                    object: format!("ClusterRole/{}", o.name()),
                                    message: e.to_string(),
                                    loc: Some(o.loc.clone()),
                                    object_index: Some(i),
                                }),
                            }
                        }
                        aggregation.push((id, selectors));
                    }
                }
                Resource::ServiceAccount(_) => {
                    m.service_accounts.insert((o.namespace().unwrap_or("default").to_string(), o.name().to_string()));
                    namespaces_seen.insert(o.namespace().unwrap_or("default").to_string());
                }
                _ => {}
            }
        }
        m.aggregate(&aggregation);
        for (i, o) in objects.iter().enumerate() {
            match &o.resource {
                Resource::RoleBinding(b) => m.add_binding(BindingKind::RoleBinding, o, i, &b.role_ref, b.subjects.as_deref().unwrap_or(&[])),
                Resource::ClusterRoleBinding(b) => {
                    m.add_binding(BindingKind::ClusterRoleBinding, o, i, &b.role_ref, b.subjects.as_deref().unwrap_or(&[]))
                }
                _ => {}
            }
        }
        m.report_missing_service_accounts(&namespaces_seen);
        m.index();
        m
    }

    fn add_role(&mut self, kind: RoleKind, namespace: Option<String>, o: &Object, i: usize, rules: Vec<Rule>) -> RoleId {
        let id = self.roles.len();
        let key = (kind, namespace.clone().unwrap_or_default(), o.name().to_string());
        self.role_by_key.entry(key).or_insert(id);
        self.roles.push(RoleDef {
            kind,
            namespace,
            name: o.name().to_string(),
            labels: o.labels().clone(),
            rules,
            aggregated_from: Vec::new(),
            object: Some(i),
            loc: Some(o.loc.clone()),
        });
        id
    }

    /// Resolve aggregated ClusterRoles: each gets the union of its own rules and the rules of
    /// every other ClusterRole its selectors match, repeated until nothing changes (an
    /// aggregated role may select another aggregated role).
    fn aggregate(&mut self, aggregation: &[(RoleId, Vec<Selector>)]) {
        if aggregation.is_empty() {
            return;
        }
        let own: HashMap<RoleId, Vec<Rule>> = aggregation.iter().map(|(id, _)| (*id, self.roles[*id].rules.clone())).collect();
        let mut sources: HashMap<RoleId, Vec<RoleId>> = HashMap::new();
        for (id, selectors) in aggregation {
            let matched: Vec<RoleId> = (0..self.roles.len())
                .filter(|&j| j != *id && self.roles[j].kind == RoleKind::ClusterRole && selectors.iter().any(|s| s.matches(&self.roles[j].labels)))
                .collect();
            sources.insert(*id, matched);
        }
        for _round in 0..=aggregation.len() {
            let mut changed = false;
            for (id, _) in aggregation {
                let mut seen: FastSet<Rule> = FastSet::default();
                let mut rules = Vec::new();
                for rule in own[id].iter().chain(sources[id].iter().flat_map(|&j| self.roles[j].rules.iter())) {
                    if seen.insert(rule.clone()) {
                        rules.push(rule.clone());
                    }
                }
                if rules != self.roles[*id].rules {
                    self.roles[*id].rules = rules;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for (id, _) in aggregation {
            self.roles[*id].aggregated_from = sources[id].clone();
        }
    }

    fn add_binding(
        &mut self,
        kind: BindingKind,
        o: &Object,
        i: usize,
        role_ref: &kubepci_model::k8s_openapi::api::rbac::v1::RoleRef,
        subjects: &[kubepci_model::k8s_openapi::api::rbac::v1::Subject],
    ) {
        let namespace = match kind {
            BindingKind::RoleBinding => Some(o.namespace().unwrap_or("default").to_string()),
            BindingKind::ClusterRoleBinding => None,
        };
        let display = match &namespace {
            Some(ns) => format!("RoleBinding/{ns}/{}", o.name()),
            None => format!("ClusterRoleBinding/{}", o.name()),
        };
        let issue = |kind, message: String| Issue { kind, object: display.clone(), message, loc: Some(o.loc.clone()), object_index: Some(i) };
        let role_kind = match (role_ref.kind.as_str(), kind) {
            ("ClusterRole", _) => Some(RoleKind::ClusterRole),
            ("Role", BindingKind::RoleBinding) => Some(RoleKind::Role),
            _ => None,
        };
        let Some(role_kind) = role_kind else {
            self.issues.push(issue(IssueKind::Invalid, format!("roleRef kind {:?} is not valid here; the binding grants nothing", role_ref.kind)));
            return;
        };
        let ns_key = if role_kind == RoleKind::Role { namespace.clone().unwrap_or_default() } else { String::new() };
        let mut role = self.role_by_key.get(&(role_kind, ns_key, role_ref.name.clone())).copied();
        if role.is_none() {
            if let (RoleKind::ClusterRole, Some(rules)) = (role_kind, builtin::cluster_role(&role_ref.name)) {
                let id = self.roles.len();
                self.roles.push(RoleDef {
                    kind: RoleKind::ClusterRole,
                    namespace: None,
                    name: role_ref.name.clone(),
                    labels: kubepci_model::Labels::new(),
                    rules,
                    aggregated_from: Vec::new(),
                    object: None,
                    loc: None,
                });
                self.role_by_key.insert((RoleKind::ClusterRole, String::new(), role_ref.name.clone()), id);
                self.issues.push(issue(IssueKind::BuiltinRole, format!("ClusterRole {} is not in the input; using its built-in default definition", role_ref.name)));
                role = Some(id);
            } else {
                let what = match role_kind {
                    RoleKind::Role => format!("Role {}/{}", namespace.as_deref().unwrap_or(""), role_ref.name),
                    RoleKind::ClusterRole => format!("ClusterRole {}", role_ref.name),
                };
                self.issues.push(issue(IssueKind::MissingRole, format!("refers to {what}, which is not in the input; it grants nothing until that role is created")));
            }
        }
        let mut subs = Vec::new();
        for s in subjects {
            let Some(sk) = SubjectKind::parse(&s.kind) else {
                self.issues.push(issue(IssueKind::Invalid, format!("subject kind {:?} is not User, Group or ServiceAccount", s.kind)));
                continue;
            };
            let subject = match sk {
                SubjectKind::ServiceAccount => match s.namespace.as_deref().filter(|n| !n.is_empty()).or(namespace.as_deref()) {
                    Some(ns) => Subject::service_account(ns, &s.name),
                    None => {
                        self.issues.push(issue(IssueKind::Invalid, format!("ServiceAccount subject {} has no namespace; it matches nobody", s.name)));
                        continue;
                    }
                },
                _ => Subject { kind: sk, name: s.name.clone(), namespace: None }.canonical(),
            };
            subs.push(subject);
        }
        self.bindings.push(BindingDef {
            kind,
            namespace,
            name: o.name().to_string(),
            role_kind,
            role_name: role_ref.name.clone(),
            role,
            subjects: subs,
            object: i,
            loc: o.loc.clone(),
        });
    }

    /// Bindings to ServiceAccounts that do not exist, reported for namespaces whose
    /// ServiceAccounts the input lists (manifests without any ServiceAccount say nothing).
    /// `default` always exists.
    fn report_missing_service_accounts(&mut self, namespaces_with_sas: &FastSet<String>) {
        let mut found = Vec::new();
        for b in &self.bindings {
            for s in &b.subjects {
                if s.kind != SubjectKind::ServiceAccount || s.name == "default" {
                    continue;
                }
                let ns = s.namespace.clone().unwrap_or_default();
                if namespaces_with_sas.contains(&ns) && !self.service_accounts.contains(&(ns.clone(), s.name.clone())) {
                    found.push(Issue {
                        kind: IssueKind::MissingServiceAccount,
                        object: b.display(),
                        message: format!("binds ServiceAccount {ns}/{}, which does not exist (stale access: anyone who creates it gets the rights)", s.name),
                        loc: Some(b.loc.clone()),
                        object_index: Some(b.object),
                    });
                }
            }
        }
        self.issues.extend(found);
    }

    fn index(&mut self) {
        self.bindings_by_role = vec![Vec::new(); self.roles.len()];
        for (bi, b) in self.bindings.iter().enumerate() {
            if let Some(r) = b.role {
                self.bindings_by_role[r].push(bi);
            }
            for s in &b.subjects {
                let list = self.bindings_by_subject.entry(s.clone()).or_default();
                if list.last() != Some(&bi) {
                    list.push(bi);
                }
            }
        }
        for (ri, role) in self.roles.iter().enumerate() {
            for (k, rule) in role.rules.iter().enumerate() {
                let entry = (ri, k as u32);
                if rule.is_non_resource() {
                    self.non_resource_rules.push(entry);
                }
                for g in &rule.api_groups {
                    let by_resource = self.rule_index.entry(g.clone()).or_default();
                    for res in &rule.resources {
                        let by_verb = by_resource.entry(res.clone()).or_default();
                        for v in &rule.verbs {
                            by_verb.entry(v.clone()).or_default().push(entry);
                        }
                    }
                }
            }
        }
    }

    pub fn role(&self, id: RoleId) -> &RoleDef {
        &self.roles[id]
    }

    pub fn rule(&self, role: RoleId, rule: u32) -> &Rule {
        &self.roles[role].rules[rule as usize]
    }

    pub fn find_role(&self, kind: RoleKind, namespace: Option<&str>, name: &str) -> Option<RoleId> {
        self.role_by_key.get(&(kind, namespace.unwrap_or("").to_string(), name.to_string())).copied()
    }

    pub fn bindings_of_role(&self, role: RoleId) -> &[BindingId] {
        self.bindings_by_role.get(role).map_or(&[], Vec::as_slice)
    }

    /// Bindings whose subjects include exactly this (canonical) subject.
    pub fn bindings_naming(&self, subject: &Subject) -> &[BindingId] {
        self.bindings_by_subject.get(subject).map_or(&[], Vec::as_slice)
    }

    /// Every subject named by some binding.
    pub fn bound_subjects(&self) -> impl Iterator<Item = &Subject> {
        self.bindings_by_subject.keys()
    }

    /// Rules (role, rule index) that may allow this request, found through the index; each
    /// still needs [`Rule::allows`] (resource names) to be confirmed.
    pub fn candidate_rules(&self, request: &Request) -> Vec<(RoleId, u32)> {
        let mut out = Vec::new();
        match &request.target {
            Target::NonResource { .. } => out.extend(self.non_resource_rules.iter().copied()),
            Target::Resource { api_group, resource, subresource, .. } => {
                let combined = if subresource.is_empty() { resource.clone() } else { format!("{resource}/{subresource}") };
                let star_sub = format!("*/{subresource}");
                let mut resources: Vec<&str> = vec![&combined, ALL];
                if !subresource.is_empty() {
                    resources.push(&star_sub);
                }
                for g in [api_group.as_str(), ALL] {
                    let Some(by_resource) = self.rule_index.get(g) else { continue };
                    for r in &resources {
                        let Some(by_verb) = by_resource.get(*r) else { continue };
                        for v in [request.verb.as_str(), ALL] {
                            if let Some(list) = by_verb.get(v) {
                                out.extend(list.iter().copied());
                            }
                        }
                    }
                    if api_group == ALL {
                        break;
                    }
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}
