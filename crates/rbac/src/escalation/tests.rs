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

/// Roles of every shape the requests can meet: wildcards in each field, subresources (named
/// and `*/x`), resourceNames, cluster-scoped kinds, and rules that allow nothing asked.
fn rule_grid() -> Vec<Object> {
    let verbs = [json!(["*"]), json!(["create"]), json!(["get", "list"]), json!(["bind", "escalate", "update"]), json!(["impersonate", "approve", "patch"])];
    let targets = [
        (json!(["*"]), json!(["*"])),
        (json!([""]), json!(["pods", "pods/exec"])),
        (json!([""]), json!(["*/exec", "*/portforward", "secrets"])),
        (json!(["", "apps"]), json!(["deployments", "serviceaccounts/token", "users", "groups"])),
        (json!(["rbac.authorization.k8s.io"]), json!(["roles", "clusterroles", "rolebindings", "clusterrolebindings"])),
        (json!(["certificates.k8s.io", "admissionregistration.k8s.io"]), json!(["certificatesigningrequests/approval", "signers", "*"])),
        (json!(["*"]), json!(["nodes/proxy", "pods/attach", "configmaps"])),
        (json!(["apps"]), json!(["pods"])),
    ];
    let names = [json!(null), json!(["a", "system:masters"])];
    let mut v = Vec::new();
    let mut i = 0;
    for verb in &verbs {
        for (groups, resources) in &targets {
            for n in &names {
                let mut rule = json!({"apiGroups": groups, "resources": resources, "verbs": verb});
                if !n.is_null() {
                    rule["resourceNames"] = n.clone();
                }
                // Two rules per role, so that names from several rules meet.
                let other = json!({"apiGroups":[""],"resources":["secrets"],"verbs":["get"],"resourceNames":[format!("s{i}")]});
                v.push(json!({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":format!("r{i}")},"rules":[rule, other]}));
                i += 1;
            }
        }
    }
    objs(v)
}

#[test]
fn answers_from_the_rule_index_equal_a_scan_of_each_role() {
    let model = Model::build(&rule_grid());
    let asks = super::asks::Asks::new();
    assert!(asks.requests.len() <= 128, "request sets are 128-bit");
    let indexed = asks.answer_roles(&model);
    assert_eq!(indexed.len(), model.roles.len());
    let mut allowing = 0;
    for (r, role) in model.roles.iter().enumerate() {
        let direct = asks.answers(&role.rules);
        assert_eq!(indexed[r], direct, "answers of {}", role.display());
        allowing += usize::from(direct.some != 0);
        for k in 0..asks.requests.len() {
            let rules: Vec<_> = role.rules.iter().filter(|rule| rule.allows_some(&asks.requests[k])).collect();
            let names: Vec<String> = rules.iter().flat_map(|rule| rule.resource_names.iter().cloned()).collect();
            assert_eq!(direct.names(k), names.as_slice());
            assert_eq!(direct.all & super::asks::bit(k) != 0, rules.iter().any(|rule| rule.resource_names.is_empty()));
        }
    }
    assert!(allowing > 60, "the grid should allow many requests, got {allowing}");
}

#[test]
fn principal_bindings_are_those_the_model_lists() {
    let mut v: Vec<Value> = Vec::new();
    let crb = |name: &str, subjects: Value| {
        json!({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":name},
            "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":subjects})
    };
    v.push(crb("all-sa", json!([{"kind":"Group","name":"system:serviceaccounts"},{"kind":"ServiceAccount","name":"a","namespace":"n1"}])));
    v.push(crb("n1-sa", json!([{"kind":"Group","name":"system:serviceaccounts:n1"},{"kind":"User","name":"bob"}])));
    v.push(crb("authn", json!([{"kind":"Group","name":"system:authenticated"},{"kind":"ServiceAccount","name":"a","namespace":"n1"}])));
    v.push(crb("anon", json!([{"kind":"Group","name":"system:unauthenticated"},{"kind":"User","name":"system:anonymous"}])));
    v.push(crb("sa-as-user", json!([{"kind":"User","name":"system:serviceaccount:n2:b"}])));
    v.push(crb("group", json!([{"kind":"Group","name":"devs"},{"kind":"Group","name":"system:serviceaccounts:n1"}])));
    let inv = Inventory::build(objs(v), Config::default());
    let model = Model::build(&inv.objects);
    let graph = EscalationGraph::new(&model, &inv);
    let principals = [
        Subject::service_account("n1", "a"),
        Subject::service_account("n1", "z"),
        Subject::service_account("n2", "b"),
        Subject::user("bob"),
        Subject::user("system:anonymous"),
        Subject::user("system:serviceaccount:n2:b"),
        Subject::user("system:serviceaccount:n1:a"),
        Subject::group("devs"),
        Subject::group("system:serviceaccounts:n1"),
    ];
    for p in &principals {
        let expected: Vec<usize> = model.bindings_for(p).iter().map(|pb| pb.binding).collect();
        assert_eq!(graph.principal_bindings(p), expected, "bindings of {p}");
    }
    assert_eq!(graph.principal_bindings(&Subject::service_account("n1", "a")).len(), 4);
}

#[test]
fn start_subjects_are_the_bound_subjects_and_pod_accounts_in_order() {
    let inv = fixture();
    let model = Model::build(&inv.objects);
    let graph = EscalationGraph::new(&model, &inv);
    let mut expected: std::collections::BTreeSet<Subject> = model.bound_subjects().cloned().collect();
    for n in 0..4 {
        expected.insert(Subject::service_account(&format!("app{n}"), "b"));
    }
    assert_eq!(graph.start_subjects(), expected.into_iter().collect::<Vec<_>>());
}

#[test]
fn account_names_are_deduplicated_and_sorted() {
    let mut names = super::graph::AccountNames::default();
    for (ns, name) in [("b", "x"), ("b", "x"), ("a", "z"), ("b", "w"), ("a", "z"), ("b", "x"), ("a", "y"), ("c", "default")] {
        names.add(ns, name);
    }
    assert_eq!(names.namespaces().collect::<Vec<_>>(), ["b", "a", "c"]);
    let map = names.into_map();
    let got: Vec<(String, Vec<String>)> = map.into_iter().map(|(ns, set)| (ns, set.into_iter().collect())).collect();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(got, vec![("a".into(), s(&["y", "z"])), ("b".into(), s(&["w", "x"])), ("c".into(), s(&["default"]))]);
}

#[test]
fn memberships_list_each_nodes_groups_in_order() {
    let groups = vec![vec![0, 2], vec![2, 1], vec![], vec![2, 4]];
    let (start, flat) = super::nodes::memberships(&groups, 5);
    let of = |n: usize| flat[start[n] as usize..start[n + 1] as usize].to_vec();
    assert_eq!((0..5).map(of).collect::<Vec<_>>(), vec![vec![0], vec![1], vec![0, 1, 3], vec![], vec![3]]);
    // Ids beyond the node count are ignored rather than indexed.
    let (start, flat) = super::nodes::memberships(&[vec![7]], 2);
    assert_eq!((start, flat), (vec![0, 0, 0], vec![]));
}

#[test]
fn name_restricted_grants_of_several_bindings_keep_every_name_in_binding_order() {
    let cr = |name: &str, names: Value| {
        json!({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":name},
            "rules":[{"apiGroups":[""],"resources":["serviceaccounts/token"],"verbs":["create"],"resourceNames":names}]})
    };
    let rb = |ns: &str, name: &str, role: &str| {
        json!({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":name,"namespace":ns},
            "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":role},"subjects":[{"kind":"User","name":"t"}]})
    };
    let inv = Inventory::build(objs(vec![cr("t1", json!(["b", "a"])), cr("t2", json!(["c"])), rb("x", "one", "t1"), rb("y", "two", "t2")]), Config::default());
    let model = Model::build(&inv.objects);
    let graph = EscalationGraph::new(&model, &inv);
    let caps = graph.capabilities(&Node::Principal(Subject::user("t")));
    let tokens: Vec<_> = caps.iter().filter(|c| c.kind == super::CapabilityKind::CreateTokens).collect();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].names, ["b", "a", "c"]);
    assert_eq!(tokens[0].scope.namespaces.iter().collect::<Vec<_>>(), ["x", "y"]);
    // Nothing else: the roles answer no other request.
    assert_eq!(caps.len(), 1);
}
