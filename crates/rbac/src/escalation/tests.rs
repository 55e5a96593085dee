//! The compact searches (group edges, text written only for reported paths) must find the
//! same paths as a plain breadth-first search over the expanded, labelled edge list.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use kubepci_inventory::{Config, Inventory};
use kubepci_model::{Object, SourceLoc, decode_value};
use serde_json::{Value, json};

use super::{EscalationGraph, Node, Path, Step};
use crate::model::Model;
use crate::subject::Subject;

fn objs(values: Vec<Value>) -> Vec<Object> {
    values.into_iter().enumerate().map(|(i, v)| decode_value(v, SourceLoc::new("t.yaml", i as u32 + 1, 1)).unwrap()).collect()
}

fn rules(v: Value) -> Value {
    v
}

/// Namespaces `app0..app3` (app0 and app2 CDE) with three ServiceAccounts and a Deployment
/// each, and subjects holding every kind of escalating right, several of them equally short.
fn fixture() -> Inventory {
    let mut v = Vec::new();
    for n in 0..4 {
        let ns = format!("app{n}");
        v.push(json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":ns}}));
        for a in ["a", "b", "c"] {
            v.push(json!({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":a,"namespace":ns}}));
        }
        v.push(json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":ns},
            "spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"serviceAccountName":"b","containers":[{"name":"c","image":"i"}]}}}}));
    }
    let role = |ns: &str, name: &str, r: Value| json!({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":name,"namespace":ns},"rules":r});
    let cluster_role = |name: &str, r: Value| json!({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":name},"rules":r});
    let rb = |ns: &str, name: &str, kind: &str, role: &str, subjects: Value| {
        json!({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":name,"namespace":ns},
            "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":kind,"name":role},"subjects":subjects})
    };
    let crb = |name: &str, role: &str, subjects: Value| {
        json!({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":name},
            "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":role},"subjects":subjects})
    };
    v.push(cluster_role("deployer", rules(json!([{"apiGroups":["apps"],"resources":["deployments"],"verbs":["create"]}]))));
    v.push(cluster_role("secret-reader", rules(json!([{"apiGroups":[""],"resources":["secrets"],"verbs":["get","list"]}]))));
    v.push(cluster_role("exec", rules(json!([{"apiGroups":[""],"resources":["pods/exec"],"verbs":["create"]}]))));
    v.push(cluster_role("tokens", rules(json!([{"apiGroups":[""],"resources":["serviceaccounts/token"],"verbs":["create"],"resourceNames":["c"]}]))));
    v.push(cluster_role("impersonator", rules(json!([{"apiGroups":[""],"resources":["users","serviceaccounts"],"verbs":["impersonate"]}]))));
    v.push(cluster_role("binder", rules(json!([
        {"apiGroups":["rbac.authorization.k8s.io"],"resources":["rolebindings"],"verbs":["create"]},
        {"apiGroups":["rbac.authorization.k8s.io"],"resources":["roles"],"verbs":["bind"]}]))));
    v.push(cluster_role("escalator", rules(json!([{"apiGroups":["rbac.authorization.k8s.io"],"resources":["roles"],"verbs":["escalate","update"]}]))));
    v.push(role("app1", "pods-in-app1", rules(json!([{"apiGroups":[""],"resources":["pods"],"verbs":["create","patch"]}]))));
    v.push(role("app3", "noop", rules(json!([{"apiGroups":[""],"resources":["configmaps"],"verbs":["get"]}]))));
    // Chains: dev → app1 accounts (create pods) → app1/b reads secrets in app3 → app3/* → exec in app0.
    v.push(rb("app1", "dev-pods", "Role", "pods-in-app1", json!([{"kind":"User","name":"dev"},{"kind":"Group","name":"devs"}])));
    v.push(rb("app3", "b-reads", "ClusterRole", "secret-reader", json!([{"kind":"ServiceAccount","name":"b","namespace":"app1"}])));
    v.push(rb("app0", "app3-exec", "ClusterRole", "exec", json!([{"kind":"ServiceAccount","name":"a","namespace":"app3"},{"kind":"ServiceAccount","name":"c","namespace":"app3"}])));
    v.push(rb("app3", "app1-deploys", "ClusterRole", "deployer", json!([{"kind":"ServiceAccount","name":"c","namespace":"app1"}])));
    v.push(rb("app3", "ops-deploys", "ClusterRole", "deployer", json!([{"kind":"User","name":"ops"}])));
    v.push(rb("app1", "ops-tokens", "ClusterRole", "tokens", json!([{"kind":"User","name":"ops"}])));
    v.push(crb("imp", "impersonator", json!([{"kind":"User","name":"imp"}])));
    v.push(rb("app3", "binder", "ClusterRole", "binder", json!([{"kind":"User","name":"binder"}])));
    v.push(rb("app3", "escalator", "ClusterRole", "escalator", json!([{"kind":"User","name":"esc"}])));
    v.push(rb("app0", "cde-reader", "ClusterRole", "secret-reader", json!([{"kind":"User","name":"reader"}])));
    let mut config = Config::default();
    config.scope.cde.namespaces = vec!["app0".into(), "app2".into()];
    Inventory::build(objs(v), config)
}

/// The search as first written: breadth-first over the labelled edge list.
fn reference_paths_from(graph: &EscalationGraph, start: &Subject) -> Vec<Path> {
    let start_node = Node::Principal(start.clone());
    let mut found: BTreeMap<String, Path> = BTreeMap::new();
    let mut prev: HashMap<Node, (Node, String)> = HashMap::new();
    let mut queue = VecDeque::from([start_node.clone()]);
    let mut seen = HashSet::from([start_node]);
    while let Some(node) = queue.pop_front() {
        if found.len() == graph.cde_namespaces().len() {
            break;
        }
        for (ns, access) in graph.cde_access(&node) {
            if found.contains_key(&ns) {
                continue;
            }
            let mut steps = vec![Step { from: graph.label(&node), action: format!("{access} in CDE namespace {ns}"), to: format!("CDE namespace {ns}") }];
            let mut cur = node.clone();
            while let Some((p, action)) = prev.get(&cur) {
                steps.push(Step { from: graph.label(p), action: action.clone(), to: graph.label(&cur) });
                cur = p.clone();
            }
            steps.reverse();
            found.insert(ns.clone(), Path { start: start.clone(), cde_namespace: ns, access, steps });
        }
        for (action, next) in graph.edges(&node).iter() {
            if seen.insert(next.clone()) {
                prev.insert(next.clone(), (node.clone(), action.clone()));
                queue.push_back(next.clone());
            }
        }
    }
    found.into_values().collect()
}

/// The many-start search as first written: discover forwards over the labelled edges,
/// then distances backwards from the nodes with access. Per start: (distance, step texts).
fn reference_routes(graph: &EscalationGraph, starts: &[Subject]) -> Vec<Option<(usize, Vec<String>)>> {
    let mut index: HashMap<Node, usize> = HashMap::new();
    let mut nodes: Vec<Node> = Vec::new();
    let mut preds: Vec<Vec<(usize, String)>> = Vec::new();
    let mut queue = VecDeque::new();
    for s in starts {
        let n = Node::Principal(s.clone());
        if !index.contains_key(&n) {
            index.insert(n.clone(), nodes.len());
            queue.push_back(nodes.len());
            nodes.push(n);
            preds.push(Vec::new());
        }
    }
    let mut access: Vec<Option<(String, String)>> = Vec::new();
    while let Some(i) = queue.pop_front() {
        access.resize(nodes.len(), None);
        access[i] = graph.cde_access(&nodes[i]).into_iter().next();
        if access[i].is_some() {
            continue;
        }
        for (action, to) in graph.edges(&nodes[i]).iter() {
            let j = *index.entry(to.clone()).or_insert_with(|| {
                nodes.push(to.clone());
                preds.push(Vec::new());
                queue.push_back(nodes.len() - 1);
                nodes.len() - 1
            });
            preds[j].push((i, action.clone()));
        }
    }
    access.resize(nodes.len(), None);
    let mut dist = vec![None; nodes.len()];
    let mut next: Vec<Option<(usize, String)>> = vec![None; nodes.len()];
    let mut back: VecDeque<usize> = (0..nodes.len()).filter(|&i| access[i].is_some()).collect();
    back.iter().for_each(|&i| dist[i] = Some(0));
    while let Some(j) = back.pop_front() {
        for (i, action) in preds[j].clone() {
            if dist[i].is_none() {
                dist[i] = Some(dist[j].unwrap_or(0) + 1);
                next[i] = Some((j, action));
                back.push_back(i);
            }
        }
    }
    (0..starts.len())
        .map(|i| {
            let d = dist[i]?;
            let mut steps = Vec::new();
            let mut cur = i;
            while let Some((nxt, action)) = &next[cur] {
                steps.push(format!("{} can {action}", graph.label(&nodes[cur])));
                cur = *nxt;
            }
            let (ns, what) = access[cur].clone().unwrap_or_default();
            steps.push(format!("{} can {what} in CDE namespace {ns}", graph.label(&nodes[cur])));
            Some((d, steps))
        })
        .collect()
}

#[test]
fn compact_paths_equal_the_labelled_search() {
    let inv = fixture();
    let model = Model::build(&inv.objects);
    let graph = EscalationGraph::new(&model, &inv);
    let starts = graph.start_subjects();
    let mut escalating = 0;
    for s in &starts {
        let (fast, slow) = (graph.paths_from(s), reference_paths_from(&graph, s));
        assert_eq!(fast, slow, "paths from {s}");
        escalating += fast.iter().filter(|p| p.steps.len() > 1).count();
    }
    assert!(escalating >= 5, "the fixture should escalate in several ways, got {escalating}");
}

#[test]
fn compact_routes_equal_the_labelled_search() {
    let inv = fixture();
    let model = Model::build(&inv.objects);
    let graph = EscalationGraph::new(&model, &inv);
    let starts = graph.start_subjects();
    let routes = graph.cde_routes(&starts);
    let expected = reference_routes(&graph, &starts);
    for (i, s) in starts.iter().enumerate() {
        let got = routes.route(&graph, i).map(|r| (r.distance, r.steps.iter().map(|st| format!("{} can {}", st.from, st.action)).collect::<Vec<_>>()));
        assert_eq!(got, expected[i], "route of {s}");
    }
    let long = (0..starts.len()).filter_map(|i| routes.distance(i)).filter(|&d| d >= 2).count();
    assert!(long >= 2, "the fixture should have multi-step routes");
}
