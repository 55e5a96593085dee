//! Engine semantics on small hand-built inputs.

use kubepci_inventory::{Config, Inventory};
use kubepci_model::{SourceLoc, decode_value};
use serde_json::{Value, json};

use crate::format::{Format, render};
use crate::{Direction, Endpoint, Options, Protocol, Reachability};

fn inventory(docs: Vec<Value>) -> Inventory {
    let objects = docs.into_iter().enumerate().map(|(i, v)| decode_value(v, SourceLoc::new("t.yaml", i as u32 * 10 + 1, 1)).unwrap()).collect();
    Inventory::build(objects, Config::default())
}

fn pod(ns: &str, name: &str, labels: Value) -> Value {
    json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":name,"namespace":ns,"labels":labels},
        "spec":{"containers":[{"name":"c","image":"i","ports":[{"name":"http","containerPort":8080},{"name":"dns","containerPort":53,"protocol":"UDP"}]}]}})
}

fn ns(name: &str, labels: Value) -> Value {
    json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":name,"labels":labels}})
}

fn netpol(ns: &str, name: &str, spec: Value) -> Value {
    json!({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":name,"namespace":ns},"spec":spec})
}

fn lines(docs: Vec<Value>) -> Vec<String> {
    let r = Reachability::compute(&inventory(docs));
    render(&r, Format::Txt).lines().map(str::to_string).collect()
}

fn conn(r: &Reachability, from: &str, to: &str) -> String {
    let s = r.find_endpoint(from, true).unwrap();
    let d = r.find_endpoint(to, false).unwrap();
    r.allowed(s, d).to_string()
}

#[test]
fn no_policies_everything_open() {
    let out = lines(vec![pod("a", "x", json!({"app":"x"})), pod("a", "y", json!({"app":"y"}))]);
    assert_eq!(
        out,
        [
            "0.0.0.0-255.255.255.255[External] => a/x[Pod] : All Connections",
            "0.0.0.0-255.255.255.255[External] => a/y[Pod] : All Connections",
            "a/x[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections",
            "a/x[Pod] => a/y[Pod] : All Connections",
            "a/y[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections",
            "a/y[Pod] => a/x[Pod] : All Connections",
        ]
    );
}

#[test]
fn default_deny_and_named_port_allow() {
    let inv = inventory(vec![
        ns("a", json!({})),
        ns("b", json!({"team":"b"})),
        pod("a", "web", json!({"app":"web"})),
        pod("a", "db", json!({"app":"db"})),
        pod("b", "client", json!({"app":"client"})),
        netpol("a", "deny", json!({"podSelector":{}})),
        netpol("a", "to-db", json!({"podSelector":{"matchLabels":{"app":"db"}},"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"web"}}}],"ports":[{"port":"http"}]}]})),
        netpol("a", "from-b", json!({"podSelector":{"matchLabels":{"app":"web"}},"ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"team":"b"}}}],"ports":[{"port":80,"endPort":90},{"protocol":"UDP","port":"dns"}]}]})),
    ]);
    let r = Reachability::compute(&inv);
    assert_eq!(conn(&r, "a/web", "a/db"), "TCP 8080");
    assert_eq!(conn(&r, "a/db", "a/web"), "No Connections");
    assert_eq!(conn(&r, "b/client", "a/web"), "TCP 80-90,UDP 53");
    assert_eq!(conn(&r, "b/client", "a/db"), "No Connections");
    assert_eq!(conn(&r, "a/db", "b/client"), "All Connections");
    let web = r.workloads().iter().position(|w| w.name == "web").unwrap();
    assert!(r.ingress_isolated(web) && !r.egress_isolated(web));
    assert_eq!(r.selecting_policies(web, Direction::Ingress).len(), 2);
}

#[test]
fn namespace_selector_uses_metadata_name_label_and_combined_peer() {
    let inv = inventory(vec![
        pod("a", "x", json!({"app":"x"})),
        pod("b", "y", json!({"app":"y"})),
        pod("b", "z", json!({"app":"z"})),
        netpol("a", "p", json!({"podSelector":{},"ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"b"}},"podSelector":{"matchLabels":{"app":"y"}}}]}]})),
    ]);
    let r = Reachability::compute(&inv);
    assert_eq!(conn(&r, "b/y", "a/x"), "All Connections");
    assert_eq!(conn(&r, "b/z", "a/x"), "No Connections");
}

#[test]
fn egress_ip_blocks_split_the_space() {
    let out = lines(vec![
        pod("a", "x", json!({})),
        netpol("a", "p", json!({"podSelector":{},"policyTypes":["Egress"],"egress":[{"to":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["10.1.0.0/16"]}}],"ports":[{"protocol":"TCP","port":443}]}]})),
    ]);
    assert!(out.contains(&"a/x[Pod] => 10.0.0.0-10.0.255.255[External] : TCP 443".to_string()), "{out:?}");
    assert!(out.contains(&"a/x[Pod] => 10.2.0.0-10.255.255.255[External] : TCP 443".to_string()));
    assert!(!out.iter().any(|l| l.contains("=> 10.1.0.0")));
    assert!(out.contains(&"0.0.0.0-255.255.255.255[External] => a/x[Pod] : All Connections".to_string()));
}

#[test]
fn host_network_pods_are_exempt_unless_asked() {
    let mut host = pod("a", "h", json!({}));
    host["spec"]["hostNetwork"] = json!(true);
    let docs = vec![host, pod("a", "x", json!({})), netpol("a", "deny", json!({"podSelector":{},"policyTypes":["Ingress","Egress"]}))];
    let inv = inventory(docs);
    let r = Reachability::compute(&inv);
    assert_eq!(conn(&r, "a/h", "a/x"), "No Connections");
    assert_eq!(conn(&r, "a/x", "a/h"), "No Connections");
    assert_eq!(conn(&r, "a/h", "1.2.3.4"), "All Connections");
    let strict = Reachability::compute_with(&inv, Options { host_network_exempt: false });
    assert_eq!(conn(&strict, "a/h", "1.2.3.4"), "No Connections");
}

#[test]
fn pods_of_an_absent_owner_are_one_workload() {
    let mut p1 = pod("a", "rs-1", json!({"app":"x"}));
    p1["metadata"]["ownerReferences"] = json!([{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs","uid":"u","controller":true}]);
    let mut p2 = p1.clone();
    p2["metadata"]["name"] = json!("rs-2");
    let out = lines(vec![p1, p2, pod("a", "y", json!({}))]);
    assert!(out.contains(&"a/rs[ReplicaSet] => a/y[Pod] : All Connections".to_string()), "{out:?}");
    assert!(!out.iter().any(|l| l.starts_with("a/rs[ReplicaSet] => a/rs[ReplicaSet]")));
}

fn anp(name: &str, priority: i32, spec: Value) -> Value {
    let mut s = spec;
    s["priority"] = json!(priority);
    json!({"apiVersion":"policy.networking.k8s.io/v1alpha1","kind":"AdminNetworkPolicy","metadata":{"name":name},"spec":s})
}

#[test]
fn admin_tiers() {
    let all_ns = json!({"namespaces":{}});
    let inv = inventory(vec![
        pod("a", "x", json!({"app":"x"})),
        pod("b", "y", json!({"app":"y"})),
        pod("c", "z", json!({"app":"z"})),
        // Priority 1: deny TCP 22 from anywhere; pass everything from b.
        anp("deny-ssh", 1, json!({"subject":{"namespaces":{"matchLabels":{"kubernetes.io/metadata.name":"a"}}},
            "ingress":[{"name":"ssh","action":"Deny","from":[all_ns.clone()],"ports":[{"portNumber":{"protocol":"TCP","port":22}}]},
                       {"name":"b","action":"Pass","from":[{"namespaces":{"matchLabels":{"kubernetes.io/metadata.name":"b"}}}]}]})),
        // Priority 2 would allow all from b, but b was passed already.
        anp("allow-b", 2, json!({"subject":{"namespaces":{}},"ingress":[{"action":"Allow","from":[all_ns.clone()]}]})),
        json!({"apiVersion":"policy.networking.k8s.io/v1alpha1","kind":"BaselineAdminNetworkPolicy","metadata":{"name":"default"},
            "spec":{"subject":{"namespaces":{}},"ingress":[{"action":"Deny","from":[all_ns]}]}}),
    ]);
    let r = Reachability::compute(&inv);
    // From b: passed to NetworkPolicy (none) then baseline denies.
    assert_eq!(conn(&r, "b/y", "a/x"), "No Connections");
    // From c: allowed by priority 2, except TCP 22 denied by priority 1.
    assert_eq!(conn(&r, "c/z", "a/x"), "SCTP 1-65535,TCP 1-21,23-65535,UDP 1-65535");
    // Into b: allowed by priority 2.
    assert_eq!(conn(&r, "a/x", "b/y"), "All Connections");
    let e = r.explain(r.find_endpoint("c/z", true).unwrap(), r.find_endpoint("a/x", false).unwrap(), Some((Protocol::Tcp, 22)));
    assert!(!e.allowed);
    assert!(e.ingress.matching_rules.iter().any(|d| d.rule.contains("ssh")), "{e}");
}

#[test]
fn explain_names_rules_and_locations() {
    let inv = inventory(vec![
        pod("a", "web", json!({"app":"web"})),
        pod("a", "db", json!({"app":"db"})),
        netpol("a", "to-db", json!({"podSelector":{"matchLabels":{"app":"db"}},"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"web"}}}],"ports":[{"port":5432}]}]})),
    ]);
    let r = Reachability::compute(&inv);
    let (web, db) = (r.find_endpoint("a/web", true).unwrap(), r.find_endpoint("a/db[Pod]", false).unwrap());
    assert!(matches!(web, Endpoint::Workload(_)));
    let e = r.explain(web, db, Some((Protocol::Tcp, 5432)));
    assert!(e.allowed);
    let text = e.to_string();
    assert!(text.contains("NetworkPolicy a/to-db"), "{text}");
    assert!(text.contains("t.yaml:21:1"), "{text}");
    let denied = r.explain(web, db, Some((Protocol::Tcp, 22)));
    assert!(!denied.allowed);
}

#[test]
fn invalid_policies_are_reported_and_skipped() {
    let inv = inventory(vec![
        pod("a", "x", json!({})),
        netpol("a", "bad", json!({"podSelector":{"matchExpressions":[{"key":"k","operator":"In"}]}})),
    ]);
    let r = Reachability::compute(&inv);
    assert_eq!(r.warnings().len(), 1);
    assert!(r.warnings()[0].to_string().starts_with("t.yaml:11:1: NetworkPolicy a/bad ignored"));
}

/// A cluster large enough for broad rules (more peers than the peer index lists per class):
/// 3 namespaces × 30 pods, default-deny, named-port and whole-namespace rules, ipBlocks, a
/// host-network pod and an AdminNetworkPolicy.
fn larger_cluster() -> Inventory {
    let mut docs = vec![ns("a", json!({"team":"t"})), ns("b", json!({"team":"t"})), ns("c", json!({}))];
    for n in ["a", "b", "c"] {
        for i in 0..30 {
            docs.push(pod(n, &format!("p{i}"), json!({"app": format!("p{i}"), "tier": if i % 3 == 0 { "web" } else { "db" }})));
        }
        docs.push(netpol(n, "deny", json!({"podSelector":{},"policyTypes":["Ingress","Egress"]})));
        docs.push(netpol(n, "web", json!({"podSelector":{"matchLabels":{"tier":"web"}},
            "ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"team":"t"}}}],"ports":[{"port":"http"}]},{"from":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["10.1.0.0/16"]}}]}],
            "egress":[{"to":[{"podSelector":{"matchLabels":{"tier":"db"}}}],"ports":[{"port":"dns","protocol":"UDP"},{"port":5432}]},{"to":[{"ipBlock":{"cidr":"0.0.0.0/0"}}],"ports":[{"port":443}]}]})));
        docs.push(netpol(n, "p1", json!({"podSelector":{"matchLabels":{"app":"p1"}},"ingress":[{}],"egress":[{"to":[{"namespaceSelector":{}}]}]})));
    }
    docs.push(json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"host","namespace":"c","labels":{"app":"host"}},"spec":{"hostNetwork":true,"containers":[{"name":"c","image":"i"}]}}));
    docs.push(json!({"apiVersion":"policy.networking.k8s.io/v1alpha1","kind":"AdminNetworkPolicy","metadata":{"name":"anp"},
        "spec":{"priority":5,"subject":{"pods":{"namespaceSelector":{"matchLabels":{"team":"t"}},"podSelector":{"matchLabels":{"app":"p2"}}}},
            "ingress":[{"name":"deny-c","action":"Deny","from":[{"namespaces":{"matchLabels":{"kubernetes.io/metadata.name":"c"}}}]},
                       {"name":"pass","action":"Pass","from":[{"namespaces":{}}],"ports":[{"portNumber":{"protocol":"TCP","port":8080}}]}],
            "egress":[{"name":"allow","action":"Allow","to":[{"pods":{"namespaceSelector":{},"podSelector":{"matchLabels":{"tier":"web"}}}}]}]}}));
    inventory(docs)
}

#[test]
fn focused_rows_and_columns_equal_the_full_matrix() {
    let inv = larger_cluster();
    let full = Reachability::compute(&inv);
    let focus: Vec<usize> = (0..inv.workloads().len()).filter(|i| i % 7 == 0).collect();
    let focused = Reachability::compute_focused(&inv, Options::default(), &focus);
    let n = full.workloads().len() as u32;
    assert!(n > 90);
    assert!(full.warnings().is_empty(), "{:?}", full.warnings());
    assert!(full.policies().iter().any(|p| p.kind == crate::PolicyKind::AdminNetworkPolicy));
    let ends: Vec<Endpoint> = (0..n)
        .map(Endpoint::Workload)
        .chain((0..full.external_sources().len() as u32).map(Endpoint::ExternalSource))
        .chain((0..full.external_destinations().len() as u32).map(Endpoint::ExternalDestination))
        .collect();
    let mut allowed = 0;
    for &s in &ends {
        for &d in &ends {
            assert_eq!(focused.allowed(s, d), full.allowed(s, d), "{} -> {}", full.endpoint_name(s), full.endpoint_name(d));
            allowed += usize::from(!full.allowed(s, d).is_empty());
        }
    }
    assert!(allowed > 100, "the cluster should allow a fair number of flows ({allowed})");
    for w in 0..n as usize {
        assert_eq!(focused.sources_of(w), full.sources_of(w));
        assert_eq!(focused.destinations_of(w), full.destinations_of(w));
        let tcp = |c: &crate::ConnSet| c.contains(Protocol::Tcp, 443);
        assert_eq!(focused.destinations_where(w, tcp), full.destinations_where(w, tcp));
    }
}
