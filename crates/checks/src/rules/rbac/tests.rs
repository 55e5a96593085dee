//! Behaviour of the RBAC checks beyond their documented examples.

use crate::testing::run;

const CDE_NS: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels: {pci.kubepci.io/scope: cde}\n";

fn crb(name: &str, role: &str, subject: &str) -> String {
    format!("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: \"{name}\"}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: \"{role}\"}}\nsubjects: [{subject}]\n")
}

fn cluster_role(name: &str, rules: &str) -> String {
    format!("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: \"{name}\"}}\nrules: {rules}\n")
}

const JANE: &str = "{kind: User, name: jane}";

#[test]
fn cde_checks_without_cde_are_not_assessed() {
    let yaml = crb("x", "edit", JANE);
    for check in [&super::cde_secret_readers::CDE_SECRET_READERS, &super::cde_workload_exec::CDE_WORKLOAD_EXEC, &super::default_sa_cde::DEFAULT_SA_CDE_GRANTS, &super::cde_escalation_paths::CDE_ESCALATION_PATHS] {
        let out = run(check, &yaml, "");
        assert_eq!(out.not_assessed.len(), 1, "{}", check.meta.id);
        assert!(out.fails.is_empty());
    }
}

#[test]
fn built_in_edit_role_reads_cde_secrets_through_cluster_binding() {
    let yaml = format!("{CDE_NS}{}", crb("devs-edit", "edit", JANE));
    let out = run(&super::cde_secret_readers::CDE_SECRET_READERS, &yaml, "");
    assert_eq!(out.fails.len(), 1);
    let f = &out.fails[0];
    assert!(f.message.contains("User:jane") && f.message.contains("payments"), "{}", f.message);
    assert!(f.evidence.iter().any(|e| e.path == "role" && e.value.as_deref().is_some_and(|v| v.contains("built-in"))));
    assert_eq!(f.object.as_ref().map(|o| o.name.as_str()), Some("devs-edit"));
    assert!(f.location.is_some());
    // Approved: passes.
    let out = run(&super::cde_secret_readers::CDE_SECRET_READERS, &yaml, "approvedSubjects:\n- {kind: User, name: jane}\n");
    assert!(out.fails.is_empty() && out.passed == 1);
}

#[test]
fn watch_counts_as_reading_secrets_and_other_namespaces_do_not_count() {
    let role = "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: w}\nrules: [{apiGroups: [\"\"], resources: [secrets], verbs: [watch]}]\n";
    let rb = |ns: &str| format!("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: w, namespace: {ns}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: w}}\nsubjects: [{JANE}]\n");
    let out = run(&super::cde_secret_readers::CDE_SECRET_READERS, &format!("{CDE_NS}{role}{}", rb("payments")), "");
    assert_eq!(out.fails.len(), 1);
    assert!(out.fails[0].message.contains("watch secrets"), "{}", out.fails[0].message);
    let out = run(&super::cde_secret_readers::CDE_SECRET_READERS, &format!("{CDE_NS}{role}{}", rb("tools")), "");
    assert!(out.fails.is_empty());
}

#[test]
fn aggregated_role_with_full_wildcard_counts_as_cluster_admin() {
    let yaml = format!(
        "{}{}{}",
        cluster_role("agg", "[]").replace("rules: []", "aggregationRule:\n  clusterRoleSelectors: [{matchLabels: {x: y}}]\nrules: []"),
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: part, labels: {x: y}}\nrules: [{apiGroups: [\"*\"], resources: [\"*\"], verbs: [\"*\"]}]\n",
        crb("b", "agg", JANE)
    );
    let out = run(&super::cluster_admin::CLUSTER_ADMIN_BINDING, &yaml, "");
    assert_eq!(out.fails.len(), 1, "{:?}", out.fails);
}

#[test]
fn bootstrap_bindings_and_system_masters_pass() {
    let yaml = format!(
        "{}{}",
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: cluster-admin, labels: {kubernetes.io/bootstrapping: rbac-defaults}}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: Group, name: \"system:masters\"}]\n",
        crb("system:discovery", "system:discovery", "{kind: Group, name: \"system:authenticated\"}")
    );
    assert!(run(&super::cluster_admin::CLUSTER_ADMIN_BINDING, &yaml, "").fails.is_empty());
    assert!(run(&super::everyone_bindings::EVERYONE_BINDINGS, &yaml, "").fails.is_empty());
}

#[test]
fn rolebinding_cannot_grant_cluster_scoped_rights_but_can_grant_bind_on_clusterroles() {
    let role = cluster_role("r", "[{apiGroups: [\"\"], resources: [nodes/proxy], verbs: [get]}, {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind]}]");
    let rb = format!("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: rb, namespace: tools}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}}\nsubjects: [{JANE}]\n");
    let yaml = format!("{role}{rb}");
    assert!(run(&super::node_csr_token::NODE_CSR_TOKEN, &yaml, "").fails.is_empty());
    let out = run(&super::escalation_verbs::ESCALATION_VERBS, &yaml, "");
    assert_eq!(out.fails.len(), 1);
    assert!(out.fails[0].message.contains("bind clusterroles"), "{}", out.fails[0].message);
    // Through a ClusterRoleBinding, nodes/proxy counts.
    let yaml = format!("{role}{}", crb("crb", "r", JANE));
    assert_eq!(run(&super::node_csr_token::NODE_CSR_TOKEN, &yaml, "").fails.len(), 1);
}

#[test]
fn csr_approval_needs_both_rights() {
    let half = cluster_role("r", "[{apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}]");
    assert!(run(&super::node_csr_token::NODE_CSR_TOKEN, &format!("{half}{}", crb("b", "r", JANE)), "").fails.is_empty());
    let both = cluster_role("r", "[{apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}, {apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve]}]");
    assert_eq!(run(&super::node_csr_token::NODE_CSR_TOKEN, &format!("{both}{}", crb("b", "r", JANE)), "").fails.len(), 1);
}

#[test]
fn security_namespace_writes_are_tampering() {
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: falco\n  labels: {pci.kubepci.io/scope: security}\n";
    let rb = format!("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: e, namespace: falco}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}}\nsubjects: [{JANE}]\n");
    let out = run(&super::control_tampering::CONTROL_TAMPERING, &format!("{ns}{rb}"), "");
    assert_eq!(out.fails.len(), 1);
    assert!(out.fails[0].message.contains("security namespace falco"), "{}", out.fails[0].message);
}

#[test]
fn missing_role_is_not_assessed_in_manifests() {
    let yaml = crb("b", "gone", JANE);
    let out = run(&super::stale_bindings::STALE_BINDINGS, &yaml, "");
    assert!(out.fails.is_empty());
    assert_eq!(out.not_assessed.len(), 1);
}

#[test]
fn escalation_path_lists_its_steps_on_the_starting_binding() {
    let yaml = format!(
        "{CDE_NS}---\napiVersion: v1\nkind: Secret\nmetadata: {{name: t, namespace: tools}}\n{}{}{}",
        cluster_role("reader", "[{apiGroups: [\"\"], resources: [secrets], verbs: [get, list]}]"),
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: jane-secrets, namespace: tools}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}\nsubjects: [{kind: User, name: jane}]\n",
        crb("ci-admin", "cluster-admin", "{kind: ServiceAccount, name: ci, namespace: tools}")
    );
    let out = run(&super::cde_escalation_paths::CDE_ESCALATION_PATHS, &yaml, "");
    assert_eq!(out.fails.len(), 1, "{:?}", out.fails);
    let f = &out.fails[0];
    assert_eq!(f.object.as_ref().map(|o| o.name.as_str()), Some("jane-secrets"));
    assert!(f.evidence.iter().any(|e| e.path == "steps[0]" && e.value.as_deref().is_some_and(|v| v.contains("token of ServiceAccount ci"))), "{:?}", f.evidence);
    assert!(f.message.contains("1 escalation step"), "{}", f.message);
    // Approving jane removes the finding.
    let out = run(&super::cde_escalation_paths::CDE_ESCALATION_PATHS, &yaml, "approvedSubjects:\n- {kind: User, name: jane}\n");
    assert!(out.fails.is_empty());
}
