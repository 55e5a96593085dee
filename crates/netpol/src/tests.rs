//! Engine semantics on small hand-built inputs.

use kubepci_inventory::{Config, Inventory};
use kubepci_model::{SourceLoc, decode_value};
use serde_json::{Value, json};

use crate::format::{Format, render};
use crate::{Direction, Endpoint, Options, Protocol, Reachability};

pub(crate) fn inventory(docs: Vec<Value>) -> Inventory {
    let objects = docs.into_iter().enumerate().map(|(i, v)| decode_value(v, SourceLoc::new("t.yaml", i as u32 * 10 + 1, 1)).unwrap()).collect();
    Inventory::build(objects, Config::default())
}

pub(crate) fn pod(ns: &str, name: &str, labels: Value) -> Value {
    json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":name,"namespace":ns,"labels":labels},
        "spec":{"containers":[{"name":"c","image":"i","ports":[{"name":"http","containerPort":8080},{"name":"dns","containerPort":53,"protocol":"UDP"}]}]}})
}

pub(crate) fn ns(name: &str, labels: Value) -> Value {
    json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":name,"labels":labels}})
}

pub(crate) fn netpol(ns: &str, name: &str, spec: Value) -> Value {
    json!({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":name,"namespace":ns},"spec":spec})
}

pub(crate) fn lines(docs: Vec<Value>) -> Vec<String> {
    let r = Reachability::compute(&inventory(docs));
    render(&r, Format::Txt).lines().map(str::to_string).collect()
}

pub(crate) fn conn(r: &Reachability, from: &str, to: &str) -> String {
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

pub(crate) fn anp(name: &str, priority: i32, spec: Value) -> Value {
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
pub(crate) fn larger_cluster() -> Inventory {
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
    let ends: Vec<Endpoint> = full.endpoints().collect();
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

/// The cell (src, dst) decided from the compiled policies alone, pair by pair: no classes
/// grouped into profiles, no precomputed rule peer sets, no interning. The engine must agree
/// with it everywhere.
fn reference(r: &Reachability, src: Endpoint, dst: Endpoint) -> crate::ConnSet {
    use crate::policy::{Action, Peer, Peers, PolicyKind};
    use crate::ConnSet;
    // A side: the subject class, and the peer as a class or an external block index.
    let side = |dir: Direction, subject: u32, peer: Result<u32, u32>| -> ConnSet {
        let class = &r.analysis.classes[subject as usize];
        if class.host_network {
            return ConnSet::all();
        }
        let ns = &r.analysis.namespaces[class.namespace as usize];
        let blocks = if dir == Direction::Ingress { r.external_sources() } else { r.external_destinations() };
        let peer_matches = |peers: &Peers| match peers {
            Peers::Any => true,
            Peers::List(list) => list.iter().any(|p| match (p, peer) {
                (Peer::Pods(m), Ok(c)) => {
                    let pc = &r.analysis.classes[c as usize];
                    let pns = &r.analysis.namespaces[pc.namespace as usize];
                    m.matches(&pns.name, &pns.labels, &pc.labels)
                }
                (Peer::Ips(ips), Err(b)) => blocks[b as usize].is_subset_of(ips),
                _ => false,
            }),
        };
        // Named ports resolve on the destination: the subject for ingress, the peer for egress.
        let dst_class = if dir == Direction::Ingress { Some(subject) } else { peer.ok() };
        let named = dst_class.map(|c| r.analysis.classes[c as usize].named_ports.as_slice());
        let selecting: Vec<&crate::Policy> = r.policies().iter().filter(|p| p.rules(dir).is_some() && p.subject.matches(&ns.name, &ns.labels, &class.labels)).collect();
        let rules_of = |p: &crate::Policy| -> Vec<(Action, ConnSet)> {
            p.rules(dir).unwrap_or(&[]).iter().filter(|rule| peer_matches(&rule.peers)).map(|rule| (rule.action, rule.ports.resolve(named))).collect()
        };
        let nps: Vec<&&crate::Policy> = selecting.iter().filter(|p| p.kind == PolicyKind::NetworkPolicy).collect();
        let np = (!nps.is_empty()).then(|| nps.iter().flat_map(|p| rules_of(p)).fold(ConnSet::none(), |acc, (_, c)| acc.union(&c)));
        let mut anps: Vec<&&crate::Policy> = selecting.iter().filter(|p| p.kind == PolicyKind::AdminNetworkPolicy).collect();
        anps.sort_by_key(|p| (p.priority, p.name.clone()));
        let (mut remaining, mut allowed, mut passed) = (ConnSet::all(), ConnSet::none(), ConnSet::none());
        for p in anps {
            for (action, c) in rules_of(p) {
                let eff = c.intersect(&remaining);
                match action {
                    Action::Allow => allowed = allowed.union(&eff),
                    Action::Pass => passed = passed.union(&eff),
                    Action::Deny => {}
                }
                remaining = remaining.subtract(&eff);
            }
        }
        let mut rest = remaining.union(&passed);
        if let Some(np) = np {
            return allowed.union(&np.intersect(&rest));
        }
        for p in selecting.iter().filter(|p| p.kind == PolicyKind::BaselineAdminNetworkPolicy) {
            for (action, c) in rules_of(p) {
                let eff = c.intersect(&rest);
                if action == Action::Allow {
                    allowed = allowed.union(&eff);
                }
                rest = rest.subtract(&eff);
            }
        }
        allowed.union(&rest)
    };
    // A workload is the union over its pods' classes.
    let classes = |w: u32| r.workloads()[w as usize].classes.clone();
    let union = |cells: Vec<ConnSet>| cells.iter().fold(ConnSet::none(), |acc, c| acc.union(c));
    match (src, dst) {
        (Endpoint::Workload(s), Endpoint::Workload(d)) => {
            union(classes(s).into_iter().flat_map(|a| classes(d).into_iter().map(move |b| (a, b))).map(|(a, b)| side(Direction::Egress, a, Ok(b)).intersect(&side(Direction::Ingress, b, Ok(a)))).collect())
        }
        (Endpoint::Workload(s), Endpoint::ExternalDestination(b)) => union(classes(s).into_iter().map(|a| side(Direction::Egress, a, Err(b))).collect()),
        (Endpoint::ExternalSource(b), Endpoint::Workload(d)) => union(classes(d).into_iter().map(|c| side(Direction::Ingress, c, Err(b))).collect()),
        _ => ConnSet::none(),
    }
}

pub(crate) fn pod_with(ns: &str, name: &str, labels: Value, ports: Value, host: bool) -> Value {
    json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":name,"namespace":ns,"labels":labels},
        "spec":{"hostNetwork":host,"containers":[{"name":"c","image":"i","ports":ports}]}})
}

/// Many classes that policies cannot tell apart (each pod has its own `app` label, which only
/// a few policies read), with named ports that differ in a referenced name (`http` on 8080 or
/// 9090) or only in names no rule mentions (`metrics`), host-network pods, ipBlocks, ANPs with
/// Pass/Deny/Allow and named ports, and a BANP.
pub(crate) fn profiled_cluster() -> Vec<Value> {
    let mut docs = vec![ns("a", json!({"team":"t"})), ns("b", json!({"team":"t"})), ns("c", json!({"zone":"x"})), ns("d", json!({}))];
    for n in ["a", "b", "c", "d"] {
        for i in 0..24 {
            let tier = ["web", "api", "db"][i % 3];
            let ports = match i % 4 {
                0 => json!([{"name":"http","containerPort":8080}]),
                1 => json!([{"name":"http","containerPort":9090},{"name":"dns","containerPort":53,"protocol":"UDP"}]),
                2 => json!([{"name":"http","containerPort":8080},{"name":"metrics","containerPort":i + 9000}]),
                _ => json!([]),
            };
            docs.push(pod_with(n, &format!("p{i}"), json!({"app": format!("p{i}"), "tier": tier}), ports, i % 11 == 5));
        }
    }
    for n in ["a", "b"] {
        docs.push(netpol(n, "deny", json!({"podSelector":{},"policyTypes":["Ingress","Egress"]})));
        docs.push(netpol(n, "web", json!({"podSelector":{"matchLabels":{"tier":"web"}},
            "ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"team":"t"}}}],"ports":[{"port":"http"}]},
                       {"from":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["10.1.0.0/16"]}},{"namespaceSelector":{"matchLabels":{"zone":"x"}},"podSelector":{"matchLabels":{"tier":"api"}}}]}],
            "egress":[{"to":[{"podSelector":{"matchLabels":{"tier":"db"}}}],"ports":[{"port":"dns","protocol":"UDP"},{"port":5432}]},
                      {"to":[{"ipBlock":{"cidr":"0.0.0.0/0","except":["192.168.0.0/16"]}}],"ports":[{"port":443}]}]})));
        docs.push(netpol(n, "api", json!({"podSelector":{"matchLabels":{"tier":"api"}},"ingress":[{"from":[{"podSelector":{"matchLabels":{"tier":"web"}}}],"ports":[{"port":"http"},{"port":7000,"endPort":7010}]}],
            "egress":[{"to":[{"namespaceSelector":{}}]}]})));
        // One workload singled out: its class must stay apart from its look-alikes.
        docs.push(netpol(n, "p4", json!({"podSelector":{"matchLabels":{"app":"p4"}},"ingress":[{}]})));
    }
    docs.push(netpol("c", "egress-only", json!({"podSelector":{"matchLabels":{"tier":"db"}},"policyTypes":["Egress"],"egress":[{"to":[{"ipBlock":{"cidr":"10.0.0.0/8"}}]}]})));
    docs.push(anp("a-first", 5, json!({"subject":{"pods":{"namespaceSelector":{"matchLabels":{"team":"t"}},"podSelector":{"matchLabels":{"tier":"db"}}}},
        "ingress":[{"name":"deny-d","action":"Deny","from":[{"namespaces":{"matchLabels":{"kubernetes.io/metadata.name":"d"}}}]},
                   {"name":"pass-http","action":"Pass","from":[{"namespaces":{}}],"ports":[{"namedPort":"http"}]},
                   {"name":"allow-c-api","action":"Allow","from":[{"pods":{"namespaceSelector":{"matchLabels":{"zone":"x"}},"podSelector":{"matchLabels":{"tier":"api"}}}}]}],
        "egress":[{"name":"allow-web","action":"Allow","to":[{"pods":{"namespaceSelector":{},"podSelector":{"matchLabels":{"tier":"web"}}}}],"ports":[{"namedPort":"http"}]},
                  {"name":"deny-net","action":"Deny","to":[{"networks":["10.0.0.0/8"]}]}]})));
    docs.push(anp("c-wide", 10, json!({"subject":{"namespaces":{"matchLabels":{"zone":"x"}}},
        "ingress":[{"name":"pass-all","action":"Pass","from":[{"namespaces":{}}],"ports":[{"portNumber":{"protocol":"TCP","port":22}}]},
                   {"name":"allow-web","action":"Allow","from":[{"pods":{"namespaceSelector":{},"podSelector":{"matchLabels":{"tier":"web"}}}}]}]})));
    docs.push(json!({"apiVersion":"policy.networking.k8s.io/v1alpha1","kind":"BaselineAdminNetworkPolicy","metadata":{"name":"default"},
        "spec":{"subject":{"namespaces":{"matchExpressions":[{"key":"team","operator":"DoesNotExist"}]}},
            "ingress":[{"name":"deny-d","action":"Deny","from":[{"namespaces":{"matchLabels":{"kubernetes.io/metadata.name":"d"}}}]},
                       {"name":"allow-http","action":"Allow","from":[{"namespaces":{}}],"ports":[{"namedPort":"http"}]}],
            "egress":[{"name":"deny-rest","action":"Deny","to":[{"networks":["0.0.0.0/0"]}]}]}}));
    docs
}

/// Every endpoint pair of `r` (focused or full) against `full` and the pair-by-pair reference,
/// and every per-workload listing against `full`.
pub(crate) fn assert_same_everywhere(r: &Reachability, full: &Reachability) {
    let n = full.workloads().len() as u32;
    let ends: Vec<Endpoint> = full.endpoints().collect();
    for &s in &ends {
        for &d in &ends {
            let want = reference(full, s, d);
            assert_eq!(full.allowed(s, d), &want, "full {} -> {}", full.endpoint_name(s), full.endpoint_name(d));
            assert_eq!(r.allowed(s, d), &want, "{} -> {}", full.endpoint_name(s), full.endpoint_name(d));
            let pods = r.pod_connections(s, d);
            assert_eq!(pods, full.pod_connections(s, d));
            if !pods.is_empty() {
                assert_eq!(pods.iter().fold(crate::ConnSet::none(), |acc, p| acc.union(p.conns)), want);
            }
        }
    }
    let tcp = |c: &crate::ConnSet| c.contains(Protocol::Tcp, 8080);
    for w in 0..n as usize {
        assert_eq!(r.sources_of(w), full.sources_of(w));
        assert_eq!(r.destinations_of(w), full.destinations_of(w));
        assert_eq!(r.sources_where(w, tcp), full.sources_where(w, tcp));
        assert_eq!(r.destinations_where(w, tcp), full.destinations_where(w, tcp));
    }
    let listed = |r: &Reachability| r.connections().map(|c| (c.src, c.dst, c.conns.clone())).collect::<Vec<_>>();
    assert_eq!(listed(r), listed(full));
}

#[test]
fn profiles_group_look_alike_classes_exactly() {
    let inv = inventory(profiled_cluster());
    for options in [Options::default(), Options { host_network_exempt: false }] {
        let full = Reachability::compute_with(&inv, options);
        assert!(full.warnings().is_empty(), "{:?}", full.warnings());
        let classes = full.analysis.classes.len();
        let (sources, destinations) = (full.analysis.profiles[crate::profiles::SRC].len(), full.analysis.profiles[crate::profiles::DST].len());
        // Look-alikes share profiles, but not all of them: named ports, host networking and the
        // singled-out workload keep some apart.
        assert!(sources < classes / 3 && destinations < classes / 2, "{classes} classes, {sources} source and {destinations} destination profiles");
        assert!(sources > 8 && destinations > 8, "{sources} {destinations}");
        let allowed = full.connections().count();
        assert!(allowed > 1000 && allowed < 96 * 96, "{allowed}");
        let n = inv.workloads().len();
        for focus in [vec![], (0..n).filter(|i| i % 5 == 1).collect::<Vec<_>>(), vec![4, 5, 28], (0..n).collect()] {
            let focused = Reachability::compute_focused(&inv, options, &focus);
            assert_same_everywhere(&focused, &full);
        }
    }
}

#[test]
fn full_matrix_matches_the_reference_on_the_larger_cluster() {
    let inv = larger_cluster();
    let full = Reachability::compute(&inv);
    let focused = Reachability::compute_focused(&inv, Options::default(), &[0, 1, 2, 40, 91]);
    assert_same_everywhere(&focused, &full);
}

/// A Deployment `ns/name` (template labelled `template`) and, for each entry of `pods`, a
/// ReplicaSet of its own with one Pod carrying those labels and container ports: the pods of a
/// rollout in progress.
pub(crate) fn deployment_with_pods(ns: &str, name: &str, template: Value, pods: &[(Value, Value, bool)]) -> Vec<Value> {
    let owner = |kind: &str, owner: &str| json!([{"apiVersion":"apps/v1","kind":kind,"name":owner,"uid":"u","controller":true}]);
    let spec = json!({"containers":[{"name":"c","image":"i"}]});
    let mut docs = vec![json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":name,"namespace":ns},
        "spec":{"selector":{"matchLabels":{}},"template":{"metadata":{"labels":template},"spec":spec}}})];
    for (i, (labels, ports, host)) in pods.iter().enumerate() {
        let rs = format!("{name}-rs{i}");
        docs.push(json!({"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":rs,"namespace":ns,"ownerReferences":owner("Deployment", name)},
            "spec":{"selector":{"matchLabels":{}},"template":{"metadata":{"labels":labels},"spec":spec}}}));
        let mut pod = pod_with(ns, &format!("{rs}-p"), labels.clone(), ports.clone(), *host);
        pod["metadata"]["ownerReferences"] = owner("ReplicaSet", &rs);
        docs.push(pod);
    }
    docs
}

#[test]
fn pods_of_one_workload_are_matched_by_their_own_labels() {
    let v = |version: &str| (json!({"app":"api","version":version}), json!([]), false);
    let mut docs = deployment_with_pods("a", "api", json!({"app":"api","version":"v2"}), &[v("v1"), v("v2")]);
    docs.push(pod("a", "client", json!({"app":"client"})));
    // Deny all ingress to the old pods only.
    docs.push(netpol("a", "deny-v1", json!({"podSelector":{"matchLabels":{"version":"v1"}},"policyTypes":["Ingress"]})));
    let r = Reachability::compute(&inventory(docs.clone()));
    let api = r.workloads().iter().position(|w| w.name == "api").unwrap();
    assert_eq!(r.workloads()[api].classes.len(), 2);
    assert_eq!(r.workloads()[api].pods.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["api-rs0-p", "api-rs1-p"]);
    // One pod is open: the workload is reachable and not isolated.
    assert_eq!(conn(&r, "a/client", "a/api"), "All Connections");
    assert!(!r.ingress_isolated(api));
    assert_eq!(r.selecting_policies(api, Direction::Ingress).len(), 1);
    let (client, dst) = (r.find_endpoint("a/client", true).unwrap(), r.find_endpoint("a/api", false).unwrap());
    let pods = r.pod_connections(client, dst);
    assert_eq!(pods.len(), 2, "{pods:?}");
    assert_eq!((pods[0].dst_pods.as_slice(), pods[0].conns.to_string().as_str()), (&["api-rs0-p"][..], "No Connections"));
    assert_eq!((pods[1].dst_pods.as_slice(), pods[1].conns.to_string().as_str()), (&["api-rs1-p"][..], "All Connections"));
    assert!(pods[0].src_pods.is_empty());
    // The explanation names the pods that differ, and the side shown is the open pod's.
    let e = r.explain(client, dst, Some((Protocol::Tcp, 8080)));
    assert!(e.allowed && e.pods.len() == 2, "{e}");
    assert!(e.ingress.selecting.is_empty(), "{e}");
    let text = e.to_string();
    assert!(text.contains("to pods api-rs0-p: DENIED") && text.contains("to pods api-rs1-p: ALLOWED") && text.contains("NetworkPolicy a/deny-v1"), "{text}");
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(json["pods"][0]["dst_pods"], json!(["api-rs0-p"]));
    // `netpol list`: the union in every format, the pods in JSON.
    let listed = render(&r, Format::Json);
    let listed: Value = serde_json::from_str(&listed).unwrap();
    let line = listed.as_array().unwrap().iter().find(|l| l["src"] == "a/client[Pod]" && l["dst"] == "a/api[Deployment]").unwrap();
    assert_eq!(line["conn"], "All Connections");
    assert_eq!(line["pods"], json!([{"src_pods":[],"dst_pods":["api-rs0-p"],"conn":"No Connections"},{"src_pods":[],"dst_pods":["api-rs1-p"],"conn":"All Connections"}]));
    assert!(!listed.as_array().unwrap().iter().any(|l| l["src"] == "a/client[Pod]" && l["dst"] != "a/api[Deployment]" && l.get("pods").is_some()));
    // Deny both: isolated, and the pods agree (nothing to name).
    docs.push(netpol("a", "deny-v2", json!({"podSelector":{"matchLabels":{"version":"v2"}},"policyTypes":["Ingress"]})));
    let r = Reachability::compute(&inventory(docs));
    assert_eq!(conn(&r, "a/client", "a/api"), "No Connections");
    assert!(r.ingress_isolated(api));
    assert!(r.pod_connections(r.find_endpoint("a/client", true).unwrap(), r.find_endpoint("a/api", false).unwrap()).is_empty());
}

#[test]
fn a_controller_with_pods_is_classed_by_its_pods_not_its_template() {
    // The template says v2 (not denied), the only pods in the input are v1 (denied).
    let mut docs = deployment_with_pods("a", "api", json!({"app":"api","version":"v2"}), &[(json!({"app":"api","version":"v1"}), json!([]), false)]);
    docs.extend(deployment_with_pods("a", "idle", json!({"app":"idle","version":"v1"}), &[]));
    docs.push(pod("a", "client", json!({"app":"client"})));
    docs.push(netpol("a", "deny-v1", json!({"podSelector":{"matchLabels":{"version":"v1"}},"policyTypes":["Ingress"]})));
    let r = Reachability::compute(&inventory(docs));
    assert_eq!(conn(&r, "a/client", "a/api"), "No Connections");
    // Without pods, the template decides.
    assert_eq!(conn(&r, "a/client", "a/idle"), "No Connections");
    let idle = r.workloads().iter().position(|w| w.name == "idle").unwrap();
    assert!(r.workloads()[idle].pods.is_empty() && r.class_of(idle).labels["version"] == "v1");
}

/// Workloads split over several profiles on both ends (labels, named ports and host
/// networking differing between pods) on top of the profiled cluster.
pub(crate) fn split_cluster() -> Vec<Value> {
    let mut docs = profiled_cluster();
    let pod = |app: &str, tier: &str, ports: Value, host: bool| (json!({"app": app, "tier": tier}), ports, host);
    let http = |port: u16| json!([{"name":"http","containerPort":port}]);
    for n in ["a", "c"] {
        docs.extend(deployment_with_pods(n, "mixed", json!({"app":"mixed"}), &[pod("mixed", "web", http(8080), false), pod("mixed", "db", http(9090), false), pod("mixed", "db", json!([]), false)]));
        docs.extend(deployment_with_pods(n, "host", json!({"app":"host"}), &[pod("host", "api", json!([]), true), pod("host", "api", json!([]), false)]));
        // Two workloads with the same mix share a combined slot.
        for name in ["twin1", "twin2"] {
            docs.extend(deployment_with_pods(n, name, json!({}), &[pod("p1", "web", http(8080), false), pod("p2", "api", http(8080), false)]));
        }
    }
    docs
}

#[test]
fn split_workloads_equal_the_reference_full_and_focused() {
    let inv = inventory(split_cluster());
    for options in [Options::default(), Options { host_network_exempt: false }] {
        let full = Reachability::compute_with(&inv, options);
        assert!(full.warnings().is_empty(), "{:?}", full.warnings());
        let split = |space: usize| full.analysis.profiles[space].combined.len();
        assert!(split(crate::profiles::SRC) >= 2 && split(crate::profiles::DST) >= 2, "{} {}", split(0), split(1));
        let n = inv.workloads().len();
        let mixed: Vec<usize> = (0..n).filter(|&i| inv.objects[inv.workloads()[i].object].name() == "mixed").collect();
        for focus in [vec![], mixed.clone(), (0..n).filter(|i| i % 3 == 0).collect::<Vec<_>>(), (0..n).collect()] {
            let focused = Reachability::compute_focused(&inv, options, &focus);
            assert_same_everywhere(&focused, &full);
        }
    }
}
