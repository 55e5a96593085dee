//! What the RBAC checks share: the RBAC model of the input (built once per check run by
//! `kubepci-rbac`), the namespaces each binding reaches, which subjects are approved, and the
//! evidence every RBAC finding carries (binding, role, subjects, with file:line).
//!
//! The checks ask about *bindings*: a binding is the object that hands rights to subjects, so
//! a finding points at the binding's file and line, names its role, and lists the subjects it
//! gives the rights to.

use std::collections::BTreeSet;

use kubepci_findings::Evidence;
use kubepci_inventory::Scope;
use kubepci_rbac::model::{BindingDef, BindingKind, RoleDef};
use kubepci_rbac::resources::is_cluster_scoped;
use kubepci_rbac::{Model, Request, Subject, SubjectKind};

use crate::{Context, Emitter};

/// Label the API server puts on its bootstrap RBAC policy (default roles and bindings).
const BOOTSTRAP_LABEL: (&str, &str) = ("kubernetes.io/bootstrapping", "rbac-defaults");

/// Upstream default ClusterRoleBindings (same name as their ClusterRole) that grant discovery
/// and self-review to everyone.
const EVERYONE_DEFAULTS: &[&str] = &["system:basic-user", "system:discovery", "system:public-info-viewer", "system:service-account-issuer-discovery"];

/// One permission asked about: a verb on `resource` or `resource/subresource` of a group.
#[derive(Clone, Copy, Debug)]
pub struct Perm {
    pub verb: &'static str,
    pub group: &'static str,
    pub resource: &'static str,
    /// Authorized with the binding's namespace although the resource is cluster-scoped:
    /// `bind` on `clusterroles` is checked in the namespace of the RoleBinding being created,
    /// so a RoleBinding can grant it for its own namespace.
    pub namespaced_check: bool,
}

/// Shorthand for a [`Perm`].
pub const fn perm(verb: &'static str, group: &'static str, resource: &'static str) -> Perm {
    Perm { verb, group, resource, namespaced_check: false }
}

/// A [`Perm`] the API server authorizes in a namespace even on a cluster-scoped resource.
pub const fn perm_in_namespace(verb: &'static str, group: &'static str, resource: &'static str) -> Perm {
    Perm { verb, group, resource, namespaced_check: true }
}

impl Perm {
    fn request(&self) -> Request {
        let (res, sub) = self.resource.split_once('/').unwrap_or((self.resource, ""));
        Request::resource(self.verb, self.group, res, sub, "")
    }

    /// `pods/exec`, `validatingwebhookconfigurations.admissionregistration.k8s.io`.
    pub fn resource_label(&self) -> String {
        if self.group.is_empty() { self.resource.to_string() } else { format!("{}.{}", self.resource, self.group) }
    }

    /// Requests without a namespace, which only ClusterRoleBindings grant. Impersonating
    /// users, groups and UIDs is authorized without a namespace too.
    fn is_cluster_scoped(&self) -> bool {
        let res = self.resource.split_once('/').map_or(self.resource, |(r, _)| r);
        !self.namespaced_check
            && (is_cluster_scoped(self.group, res) || self.verb == "impersonate" && matches!(res, "users" | "groups" | "uids" | "userextras"))
    }
}

/// The RBAC model with the scope facts the checks need.
pub struct RbacView<'a> {
    pub cx: &'a Context<'a>,
    pub model: &'a Model,
    /// Namespaces classified `cde`, and namespaces holding a CDE workload (RBAC is
    /// namespace-grained, so rights there reach that workload's Secrets and pods).
    pub cde_namespaces: BTreeSet<String>,
    /// Namespaces classified `security` (security tooling).
    pub security_namespaces: BTreeSet<String>,
}

impl<'a> RbacView<'a> {
    /// The view over the model of the whole input, which `Context::rbac_model` builds once
    /// for all RBAC checks (linear in the number of RBAC objects; see crates/rbac/BENCH.md).
    pub fn new(cx: &'a Context<'a>) -> RbacView<'a> {
        let inv = cx.inv;
        let model = cx.rbac_model();
        let mut cde_namespaces: BTreeSet<String> = inv.namespaces().filter(|n| n.scope.scope == Scope::Cde).map(|n| n.name.clone()).collect();
        for w in inv.workloads().iter().filter(|w| w.scope.scope == Scope::Cde) {
            if let Some(ns) = inv.objects.get(w.object).and_then(|o| o.namespace()) {
                cde_namespaces.insert(ns.to_string());
            }
        }
        let security_namespaces = inv.namespaces().filter(|n| n.scope.scope == Scope::Security).map(|n| n.name.clone()).collect();
        RbacView { cx, model, cde_namespaces, security_namespaces }
    }

    pub fn role_of(&self, b: &BindingDef) -> Option<&RoleDef> {
        b.role.and_then(|r| self.model.roles.get(r))
    }

    /// Which of `namespaces` the binding's grant reaches (all of them for a ClusterRoleBinding).
    pub fn reached<'s>(&self, b: &BindingDef, namespaces: &'s BTreeSet<String>) -> Vec<&'s str> {
        match (b.kind, &b.namespace) {
            (BindingKind::RoleBinding, Some(ns)) => namespaces.get(ns).map(String::as_str).into_iter().collect(),
            _ => namespaces.iter().map(String::as_str).collect(),
        }
    }

    /// Whether the binding grants `p` on at least one object (rules limited by
    /// `resourceNames` count; their names are returned). A RoleBinding never grants
    /// cluster-scoped resources. `None`: not granted.
    pub fn grants(&self, b: &BindingDef, p: &Perm) -> Option<Vec<String>> {
        if b.kind == BindingKind::RoleBinding && p.is_cluster_scoped() {
            return None;
        }
        let role = self.role_of(b)?;
        let request = p.request();
        let matching: Vec<_> = role.rules.iter().filter(|r| r.allows_some(&request)).collect();
        if matching.is_empty() {
            None
        } else if matching.iter().any(|r| r.resource_names.is_empty()) {
            Some(Vec::new())
        } else {
            Some(matching.iter().flat_map(|r| r.resource_names.iter().cloned()).collect())
        }
    }

    /// The permissions in `perms` that the binding grants, verbs of one resource merged:
    /// `get/list secrets`, `get secrets (only db-creds)`.
    pub fn granted(&self, b: &BindingDef, perms: &[Perm]) -> Vec<String> {
        // (resource label, names) → verbs, in first-seen order.
        let mut merged: Vec<(String, Vec<String>, Vec<&str>)> = Vec::new();
        for p in perms {
            let Some(names) = self.grants(b, p) else { continue };
            let resource = p.resource_label();
            match merged.iter_mut().find(|(r, n, _)| *r == resource && *n == names) {
                Some((_, _, verbs)) => {
                    if !verbs.contains(&p.verb) {
                        verbs.push(p.verb);
                    }
                }
                None => merged.push((resource, names, vec![p.verb])),
            }
        }
        merged
            .into_iter()
            .map(|(resource, names, verbs)| {
                let base = format!("{} {resource}", verbs.join("/"));
                if names.is_empty() { base } else { format!("{base} (only {})", names.join(", ")) }
            })
            .collect()
    }

    /// Bootstrap policy of the API server: platform defaults, not access decisions of the
    /// entity, so the access checks leave them alone. A binding is one when it carries the
    /// label `kubernetes.io/bootstrapping=rbac-defaults`; when it is one of the upstream
    /// defaults that bind everyone to discovery roles; or when a `system:` binding of a
    /// `system:` role names only system identities (control-plane users and groups, or
    /// ServiceAccounts of `kube-system`). A `system:` name alone proves nothing: anyone can
    /// choose it.
    pub fn is_platform_default(&self, b: &BindingDef) -> bool {
        let labelled = self.cx.inv.objects.get(b.object).is_some_and(|o| o.labels().get(BOOTSTRAP_LABEL.0).is_some_and(|v| v == BOOTSTRAP_LABEL.1));
        let everyone_default = b.kind == BindingKind::ClusterRoleBinding && b.name == b.role_name && EVERYONE_DEFAULTS.contains(&b.name.as_str());
        let system_only = b.name.starts_with("system:")
            && b.role_name.starts_with("system:")
            && !b.subjects.is_empty()
            && b.subjects.iter().all(|s| match s.kind {
                SubjectKind::ServiceAccount => s.namespace.as_deref() == Some("kube-system"),
                _ => s.name.starts_with("system:") && !s.is_everyone_group(),
            });
        labelled || everyone_default || system_only
    }

    /// Whether `kubepci.yaml` lists the subject under `approvedSubjects`. `system:masters` is
    /// the API server's own superuser group (break-glass), outside RBAC.
    pub fn approved(&self, s: &Subject) -> bool {
        s.is_superuser_group() || self.cx.inv.config.subject_approved(s.kind.as_str(), &s.name, s.namespace.as_deref())
    }

    /// Subjects of the binding that `kubepci.yaml` does not approve.
    pub fn unapproved<'b>(&self, b: &'b BindingDef) -> Vec<&'b Subject> {
        b.subjects.iter().filter(|s| !self.approved(s)).collect()
    }

    /// `RoleBinding/payments/x (rbac.yaml:12)`.
    pub fn binding_label(&self, b: &BindingDef) -> String {
        format!("{} ({})", b.display(), b.loc)
    }

    /// `ClusterRole/edit (rbac.yaml:3)`, or a note when the role is built in or missing.
    pub fn role_label(&self, b: &BindingDef) -> String {
        match self.role_of(b) {
            Some(r) => match &r.loc {
                Some(loc) => format!("{} ({loc})", r.display()),
                None => format!("{} (built-in default definition)", r.display()),
            },
            None => format!("{:?}/{} (not in the input)", b.role_kind, b.role_name),
        }
    }

    /// The evidence every RBAC finding carries: binding, role, the subjects concerned and
    /// what is granted.
    pub fn evidence(&self, b: &BindingDef, subjects: &[&Subject], granted: &[String]) -> Vec<Evidence> {
        let mut ev = vec![Evidence::field("binding", self.binding_label(b)), Evidence::field("role", self.role_label(b))];
        ev.extend(subjects.iter().map(|s| Evidence::field("subject", subject_label(s))));
        if !granted.is_empty() {
            ev.push(Evidence::field("grants", granted.join(", ")));
        }
        ev
    }
}

/// `User:jane`, `Group:dev`, `ServiceAccount:payments/api`.
pub fn subject_label(s: &Subject) -> String {
    match (&s.kind, &s.namespace) {
        (SubjectKind::ServiceAccount, Some(ns)) => format!("ServiceAccount:{ns}/{}", s.name),
        _ => format!("{}:{}", s.kind.as_str(), s.name),
    }
}

/// `User:jane, Group:dev`.
pub fn subjects_text(subjects: &[&Subject]) -> String {
    subjects.iter().map(|s| subject_label(s)).collect::<Vec<_>>().join(", ")
}

/// The pattern most RBAC checks follow: every binding `select`ed is examined; one that grants
/// some of `perms` (as `granted` decides) to subjects `kubepci.yaml` does not approve fails,
/// with `message(subjects, granted)`; platform defaults and bindings that grant none of it pass.
pub fn report_grants(
    view: &RbacView,
    e: &mut Emitter,
    select: impl Fn(&BindingDef) -> bool,
    granted: impl Fn(&BindingDef) -> Vec<String>,
    message: impl Fn(&BindingDef, &str, &[String]) -> String,
) {
    for b in &view.model.bindings {
        // A focused run (an admission review of another object) keeps no result here.
        if !e.wants(b.object) || !select(b) {
            continue;
        }
        let what = if view.is_platform_default(b) { Vec::new() } else { granted(b) };
        let subjects = view.unapproved(b);
        if what.is_empty() || subjects.is_empty() {
            e.pass(b.object);
            continue;
        }
        e.fail(b.object, message(b, &subjects_text(&subjects), &what), view.evidence(b, &subjects, &what));
    }
}

/// [`report_grants`] for bindings that reach a CDE namespace: `does` says what `perms` let the
/// subjects do there ("read Secrets"). Not assessed without a declared CDE.
pub fn report_cde_grants(cx: &Context, e: &mut Emitter, perms: &[Perm], does: &str) {
    let view = RbacView::new(cx);
    report_grants(
        &view,
        e,
        |b| !view.reached(b, &view.cde_namespaces).is_empty(),
        |b| view.granted(b, perms),
        |b, subjects, what| {
            let ns = view.reached(b, &view.cde_namespaces);
            let namespaces = kubepci_findings::noun(ns.len(), "namespace", "namespaces");
            format!("{} lets {subjects} {does} in CDE {namespaces} {} ({}), not in approvedSubjects", b.display(), ns.join(", "), what.join(", "))
        },
    );
}
