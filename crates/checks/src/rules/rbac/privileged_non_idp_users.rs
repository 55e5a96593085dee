use kubepci_rbac::model::BindingDef;
use kubepci_rbac::{Subject, SubjectKind};

use super::view::{RbacView, subjects_text};
use crate::rules::platform::control_plane::{Component, absent_reason, component_pods};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Privileged access must go to identity-provider users, never to certificate users
    ///
    /// ## What it checks
    /// Every binding of `cluster-admin`, of a role granting `*` on `*`, or of the `admin`
    /// ClusterRole: its User subjects (and Group subjects, when the API server sets
    /// `--oidc-groups-prefix`) must come from the identity provider. The kube-apiserver's OIDC
    /// flags tell them apart: with `--oidc-username-prefix` (or, by default, the issuer URL
    /// followed by `#` when the username claim is not `email`) every OIDC user name carries the
    /// prefix, so a name without it is a client-certificate or static-token user. Without any
    /// OIDC, webhook or structured authentication configured, every User and Group is one.
    /// `system:` names, `approvedSubjects` (break-glass accounts) and the API server's
    /// bootstrap bindings pass. Not assessed when the prefixes are not visible: no kube-apiserver
    /// in the input, `--authentication-config` (the prefixes are in that file), a token
    /// webhook, or OIDC user names without a prefix (`email` claim, `--oidc-username-prefix=-`).
    ///
    /// ## Why PCI DSS cares
    /// The API server has no certificate revocation: a client certificate with admin rights
    /// keeps working until it expires (often a year; kubeadm's `kubernetes-admin` is shared by
    /// everyone who has the file). Access of a person who leaves cannot be revoked at once
    /// (8.2.5), and a certificate identity shared by administrators is a generic account
    /// (8.2.2).
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: kube-apiserver-cp-1, namespace: kube-system, labels: {component: kube-apiserver}}
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     image: registry.k8s.io/kube-apiserver:v1.35.1
    ///     command: [kube-apiserver, "--oidc-issuer-url=https://idp.example.com", "--oidc-username-prefix=oidc:"]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: ops-admin}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
    /// subjects:
    /// - {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: kube-apiserver-cp-1, namespace: kube-system, labels: {component: kube-apiserver}}
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     image: registry.k8s.io/kube-apiserver:v1.35.1
    ///     command: [kube-apiserver, "--oidc-issuer-url=https://idp.example.com", "--oidc-username-prefix=oidc:"]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: ops-admin}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
    /// subjects:
    /// - {kind: User, name: "oidc:alice@example.com", apiGroup: rbac.authorization.k8s.io}
    /// ```
    ///
    /// ## Fix
    /// Bind privileged roles to identity-provider users or, better, groups (with a prefix set
    /// by `--oidc-username-prefix`/`--oidc-groups-prefix`), list break-glass certificate
    /// identities under `approvedSubjects`, and stop handing out admin kubeconfigs with client
    /// certificates (rotate the cluster CA to invalidate those already issued).
    pub PRIVILEGED_NON_IDP_USERS {
        id: "IAM-004",
        name: "privileged-users-outside-identity-provider",
        severity: High,
        applies: All,
        reads: [workloads, ClusterRole, ClusterRoleBinding, Namespace, Role, RoleBinding, ServiceAccount, EncryptionConfiguration, KubeletConfiguration, Pod, Policy],
        requirements: [
            ("8.2.5", "8.2.5.a", "a privileged certificate user cannot be revoked when its holder leaves"),
            ("8.2.2", "8.2.2.a", "a certificate identity with admin rights is typically shared by whoever holds the kubeconfig file"),
        ],
        run: run,
    }
}

/// How the API server's identity-provider users are named.
#[derive(Debug, PartialEq)]
pub enum Naming {
    /// No identity provider: every User and Group comes from certificates or static tokens.
    NoIdp,
    /// OIDC with these prefixes (`None` for groups: not distinguishable).
    Prefixed { users: String, groups: Option<String> },
    /// The input cannot tell (the reason).
    Unknown(String),
}

/// The naming from the kube-apiserver's flags.
pub fn naming(flag: impl Fn(&str) -> Option<String>) -> Naming {
    if flag("authentication-config").is_some() {
        return Naming::Unknown("user name prefixes are set in the AuthenticationConfiguration file (--authentication-config), which is not in the input".into());
    }
    let Some(issuer) = flag("oidc-issuer-url") else {
        return if flag("authentication-token-webhook-config-file").is_some() {
            Naming::Unknown("a token webhook authenticates users; its user names cannot be told from certificate users".into())
        } else {
            Naming::NoIdp
        };
    };
    let users = match flag("oidc-username-prefix") {
        Some(p) if p == "-" => return Naming::Unknown("--oidc-username-prefix=- leaves OIDC user names unprefixed".into()),
        Some(p) => p,
        None if flag("oidc-username-claim").is_some_and(|c| c == "email") => return Naming::Unknown("OIDC user names are e-mail addresses without a prefix".into()),
        None => format!("{issuer}#"),
    };
    Naming::Prefixed { users, groups: flag("oidc-groups-prefix").filter(|p| !p.is_empty() && p != "-") }
}

fn privileged(view: &RbacView, b: &BindingDef) -> bool {
    view.role_of(b).is_some_and(|r| (r.name == "cluster-admin" || r.name == "admin") && r.namespace.is_none() || r.rules.iter().any(|rule| rule.is_full_wildcard()))
}

fn outside_idp(naming: &Naming, s: &Subject) -> bool {
    if s.name.starts_with("system:") {
        return false;
    }
    match (naming, s.kind) {
        (_, SubjectKind::ServiceAccount) => false,
        (Naming::NoIdp, _) => true,
        (Naming::Prefixed { users, .. }, SubjectKind::User) => !s.name.starts_with(users.as_str()),
        (Naming::Prefixed { groups: Some(g), .. }, SubjectKind::Group) => !s.name.starts_with(g.as_str()),
        _ => false,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    let pods = component_pods(cx, Component::ApiServer);
    let Some(pod) = pods.first() else {
        e.not_assessed(None, absent_reason(cx, "kube-apiserver static pod or manifest"));
        return;
    };
    let naming = naming(|f| pod.flag(f).map(str::to_string));
    if let Naming::Unknown(why) = &naming {
        e.not_assessed(None, why.clone());
        return;
    }
    let view = RbacView::new(cx);
    for b in &view.model.bindings {
        if view.is_platform_default(b) || !privileged(&view, b) {
            e.pass(b.object);
            continue;
        }
        let outside: Vec<&Subject> = b.subjects.iter().filter(|s| outside_idp(&naming, s) && !view.approved(s)).collect();
        if outside.is_empty() {
            e.pass(b.object);
            continue;
        }
        let how = match &naming {
            Naming::NoIdp => "the API server has no identity provider, so they are certificate or static-token identities".to_string(),
            Naming::Prefixed { users, .. } => format!("their names lack the identity provider's prefix {users:?}, so they are certificate or static-token identities"),
            Naming::Unknown(_) => String::new(),
        };
        e.fail(b.object, format!("{} gives {} ({}) to {}: {how} that cannot be revoked", b.display(), b.role_name, b.scope().label(), subjects_text(&outside)), view.evidence(b, &outside, &[]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |f| pairs.iter().find(|(k, _)| *k == f).map(|(_, v)| v.to_string())
    }

    #[test]
    fn prefixes_from_flags() {
        assert_eq!(naming(flags(&[])), Naming::NoIdp);
        assert_eq!(naming(flags(&[("oidc-issuer-url", "https://idp")])), Naming::Prefixed { users: "https://idp#".into(), groups: None });
        assert_eq!(naming(flags(&[("oidc-issuer-url", "https://idp"), ("oidc-username-prefix", "oidc:"), ("oidc-groups-prefix", "oidc:")])), Naming::Prefixed { users: "oidc:".into(), groups: Some("oidc:".into()) });
        assert!(matches!(naming(flags(&[("oidc-issuer-url", "https://idp"), ("oidc-username-claim", "email")])), Naming::Unknown(_)));
        assert!(matches!(naming(flags(&[("authentication-config", "/etc/a.yaml")])), Naming::Unknown(_)));
    }

    #[test]
    fn approved_break_glass_and_system_names_pass() {
        let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: kube-apiserver-cp-1, namespace: kube-system, labels: {component: kube-apiserver}}\nspec: {containers: [{name: kube-apiserver, image: registry.k8s.io/kube-apiserver:v1.35.1, command: [kube-apiserver]}]}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: ops}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: User, name: breakglass}, {kind: Group, name: \"system:nodes\"}]\n";
        assert_eq!(crate::testing::run(&PRIVILEGED_NON_IDP_USERS, yaml, "").fails.len(), 1);
        let out = crate::testing::run(&PRIVILEGED_NON_IDP_USERS, yaml, "approvedSubjects: [{kind: User, name: breakglass}]");
        assert_eq!(out.fails.len(), 0);
    }
}
