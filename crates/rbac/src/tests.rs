//! Model, query and escalation tests over small hand-written RBAC objects.

use kubepci_inventory::{Config, Inventory};
use kubepci_model::{Object, SourceLoc, decode_value};
use serde_json::{Value, json};

use crate::escalation::{CapabilityKind, EscalationGraph, Node};
use crate::model::{IssueKind, Model};
use crate::query::NamespaceFilter;
use crate::rule::Request;
use crate::subject::Subject;

fn objs(values: Vec<Value>) -> Vec<Object> {
    values.into_iter().enumerate().map(|(i, v)| decode_value(v, SourceLoc::new("t.yaml", i as u32 + 1, 1)).unwrap()).collect()
}

fn role(ns: &str, name: &str, rules: Value) -> Value {
    json!({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":name,"namespace":ns},"rules":rules})
}
fn cluster_role(name: &str, labels: Value, rules: Value) -> Value {
    json!({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":name,"labels":labels},"rules":rules})
}
fn rb(ns: &str, name: &str, kind: &str, role: &str, subjects: Value) -> Value {
    json!({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":name,"namespace":ns},
        "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":kind,"name":role},"subjects":subjects})
}
fn crb(name: &str, role: &str, subjects: Value) -> Value {
    json!({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":name},
        "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":role},"subjects":subjects})
}
fn names(model: &Model, req: &Request, f: &NamespaceFilter) -> Vec<String> {
    model.who_can(req, f).into_iter().map(|g| g.subject.to_string()).collect()
}

#[test]
fn role_binding_to_cluster_role_is_namespaced() {
    let m = Model::build(&objs(vec![
        cluster_role("reader", json!({}), json!([{"apiGroups":[""],"resources":["secrets"],"verbs":["get"]}])),
        rb("test", "rb", "ClusterRole", "reader", json!([{"kind":"User","name":"alice"},{"kind":"ServiceAccount","name":"sa"}])),
    ]));
    let get = Request::resource("get", "", "secrets", "", "x");
    assert_eq!(names(&m, &get, &NamespaceFilter::Namespace("test".into())), ["User:alice", "ServiceAccount:sa:test"]);
    assert!(names(&m, &get, &NamespaceFilter::Namespace("other".into())).is_empty());
    assert!(names(&m, &get, &NamespaceFilter::Cluster).is_empty());
    assert_eq!(names(&m, &get, &NamespaceFilter::Any).len(), 2);
    assert!(m.is_allowed(&Subject::service_account("test", "sa"), &get, Some("test")));
    assert!(!m.is_allowed(&Subject::service_account("test", "sa"), &get, Some("prod")));
}

#[test]
fn aggregation_reaches_a_fixpoint() {
    let m = Model::build(&objs(vec![
        json!({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"top"},
            "aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"agg":"top"}}]},"rules":[]}),
        json!({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"mid","labels":{"agg":"top"}},
            "aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"agg":"mid"}}]}}),
        cluster_role("leaf", json!({"agg":"mid"}), json!([{"apiGroups":[""],"resources":["pods"],"verbs":["create"]}])),
        crb("b", "top", json!([{"kind":"Group","name":"devs"}])),
    ]));
    let create = Request::resource("create", "", "pods", "", "");
    assert_eq!(names(&m, &create, &NamespaceFilter::Cluster), ["Group:devs"]);
}

#[test]
fn groups_and_service_account_users() {
    let m = Model::build(&objs(vec![
        cluster_role("lister", json!({}), json!([{"apiGroups":[""],"resources":["pods"],"verbs":["list"]}])),
        crb("all-sas", "lister", json!([{"kind":"Group","name":"system:serviceaccounts:ci"}])),
        crb("by-user-name", "lister", json!([{"kind":"User","name":"system:serviceaccount:ops:bot"}])),
    ]));
    let list = Request::resource("list", "", "pods", "", "");
    assert!(m.is_allowed(&Subject::service_account("ci", "any"), &list, None));
    assert!(!m.is_allowed(&Subject::service_account("prod", "any"), &list, None));
    assert!(m.is_allowed(&Subject::service_account("ops", "bot"), &list, Some("x")));
    assert!(m.is_allowed(&Subject::group("system:masters"), &Request::resource("delete", "", "nodes", "", "n"), None));
}

#[test]
fn cluster_scoped_resources_ignore_role_bindings_and_non_resource_urls() {
    let m = Model::build(&objs(vec![
        cluster_role("nodes", json!({}), json!([{"apiGroups":[""],"resources":["nodes"],"verbs":["get"]},{"nonResourceURLs":["/healthz","/logs/*"],"verbs":["get"]}])),
        rb("a", "rb", "ClusterRole", "nodes", json!([{"kind":"User","name":"ns-user"}])),
        crb("crb", "nodes", json!([{"kind":"User","name":"cluster-user"}])),
    ]));
    let get_nodes = Request::resource("get", "", "nodes", "", "n1");
    assert_eq!(names(&m, &get_nodes, &NamespaceFilter::Any), ["User:cluster-user"]);
    assert_eq!(names(&m, &Request::non_resource("get", "/logs/kube"), &NamespaceFilter::Any), ["User:cluster-user"]);
    assert!(names(&m, &Request::non_resource("get", "/metrics"), &NamespaceFilter::Any).is_empty());
}

#[test]
fn missing_roles_builtins_and_stale_service_accounts_are_reported() {
    let m = Model::build(&objs(vec![
        json!({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"real","namespace":"app"}}),
        rb("app", "to-missing", "Role", "nope", json!([{"kind":"ServiceAccount","name":"real"}])),
        rb("app", "to-edit", "ClusterRole", "edit", json!([{"kind":"ServiceAccount","name":"ghost"}])),
    ]));
    let kinds: Vec<IssueKind> = m.issues.iter().map(|i| i.kind).collect();
    assert!(kinds.contains(&IssueKind::MissingRole));
    assert!(kinds.contains(&IssueKind::BuiltinRole));
    assert!(kinds.contains(&IssueKind::MissingServiceAccount));
    // The built-in edit role lets ghost read secrets in app.
    assert!(m.is_allowed(&Subject::service_account("app", "ghost"), &Request::resource("get", "", "secrets", "", "s"), Some("app")));
}

#[test]
fn effective_rules_expand_per_verb() {
    let m = Model::build(&objs(vec![
        role("p", "r", json!([{"apiGroups":[""],"resources":["secrets"],"resourceNames":["one"],"verbs":["get","list"]}])),
        rb("p", "b", "Role", "r", json!([{"kind":"ServiceAccount","name":"u","namespace":"p"}])),
    ]));
    let rows = m.effective_rules(&Subject::service_account("p", "u"));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].rule.resource_name, "one");
}

fn inventory(values: Vec<Value>, cde: &[&str]) -> Inventory {
    let mut config = Config::default();
    config.scope.cde.namespaces = cde.iter().map(|s| s.to_string()).collect();
    Inventory::build(objs(values), config)
}

#[test]
fn escalation_path_through_a_pod_creator_into_the_cde() {
    let values = vec![
        json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"payments"}}),
        json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"tools"}}),
        role("tools", "deployer", json!([{"apiGroups":["apps"],"resources":["deployments"],"verbs":["create"]}])),
        rb("tools", "dev-deploys", "Role", "deployer", json!([{"kind":"User","name":"dev"}])),
        json!({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"builder","namespace":"tools"}}),
        cluster_role("secret-reader", json!({}), json!([{"apiGroups":[""],"resources":["secrets"],"verbs":["get"]}])),
        rb("payments", "builder-reads", "ClusterRole", "secret-reader", json!([{"kind":"ServiceAccount","name":"builder","namespace":"tools"}])),
    ];
    let inv = inventory(values, &["payments"]);
    let model = Model::build(&inv.objects);
    let graph = EscalationGraph::new(&model, &inv);
    let paths = graph.paths_from(&Subject::user("dev"));
    assert_eq!(paths.len(), 1, "{paths:?}");
    let p = &paths[0];
    assert_eq!(p.cde_namespace, "payments");
    assert_eq!(p.steps.len(), 2);
    assert!(p.steps[0].action.contains("create workloads in namespace tools"), "{}", p.render());
    assert!(p.steps[1].action.contains("read Secrets in CDE namespace payments"), "{}", p.render());
    // Nobody else gets there except the builder itself.
    let starts: Vec<String> = graph.all_paths().iter().map(|p| p.start.to_string()).collect();
    assert_eq!(starts, ["User:dev", "ServiceAccount:builder:tools"]);
}

#[test]
fn bind_escalate_impersonate_and_csr_lead_to_everything() {
    let values = vec![
        json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"payments"}}),
        cluster_role("binder", json!({}), json!([
            {"apiGroups":["rbac.authorization.k8s.io"],"resources":["clusterrolebindings"],"verbs":["create"]},
            {"apiGroups":["rbac.authorization.k8s.io"],"resources":["clusterroles"],"verbs":["bind"]}])),
        crb("b1", "binder", json!([{"kind":"User","name":"binder"}])),
        cluster_role("imp", json!({}), json!([{"apiGroups":[""],"resources":["groups"],"verbs":["impersonate"]}])),
        crb("b2", "imp", json!([{"kind":"User","name":"imp"}])),
        cluster_role("csr", json!({}), json!([
            {"apiGroups":["certificates.k8s.io"],"resources":["certificatesigningrequests/approval"],"verbs":["update"]},
            {"apiGroups":["certificates.k8s.io"],"resources":["signers"],"verbs":["approve"]}])),
        crb("b3", "csr", json!([{"kind":"User","name":"csr"}])),
    ];
    let inv = inventory(values, &["payments"]);
    let model = Model::build(&inv.objects);
    let graph = EscalationGraph::new(&model, &inv);
    for u in ["binder", "imp", "csr"] {
        let paths = graph.paths_from(&Subject::user(u));
        assert_eq!(paths.len(), 1, "{u}: {paths:?}");
        assert!(paths[0].access.contains("everything"), "{u}: {}", paths[0].render());
    }
    let caps = graph.capabilities(&Node::Principal(Subject::user("binder")));
    assert!(caps.iter().any(|c| c.kind == CapabilityKind::BindClusterRoles && c.scope.cluster));
}
