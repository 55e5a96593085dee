//! Ingress paths: Ingress, OpenShift Route and Gateway API objects resolved through Services to
//! `{ingress-controller}` flows, with the controller and backend policies deciding.

use serde_json::{Value, json};

use crate::format::{Format, render};
use crate::tests::{deployment_with_pods, inventory, netpol, ns, pod_with};
use crate::{Options, Reachability};

fn deployment(ns: &str, name: &str, labels: Value, ports: Value) -> Value {
    json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":name,"namespace":ns},
        "spec":{"selector":{"matchLabels":labels},"template":{"metadata":{"labels":labels},"spec":{"containers":[{"name":"c","image":"i","ports":ports}]}}}})
}

fn service(ns: &str, name: &str, selector: Value, ports: Value) -> Value {
    json!({"apiVersion":"v1","kind":"Service","metadata":{"name":name,"namespace":ns},"spec":{"selector":selector,"ports":ports}})
}

fn object(api_version: &str, kind: &str, ns: &str, name: &str, spec: Value) -> Value {
    json!({"apiVersion":api_version,"kind":kind,"metadata":{"name":name,"namespace":ns},"spec":spec})
}

fn ingress(ns: &str, name: &str, spec: Value) -> Value {
    object("networking.k8s.io/v1", "Ingress", ns, name, spec)
}

fn route(ns: &str, name: &str, spec: Value) -> Value {
    object("route.openshift.io/v1", "Route", ns, name, spec)
}

/// An Ingress backend on a Service port number or name.
fn backend(service: &str, port: Value) -> Value {
    json!({"service":{"name":service,"port":port}})
}

fn rule(backend: Value) -> Value {
    json!({"http":{"paths":[{"path":"/","pathType":"Prefix","backend":backend}]}})
}

/// The `{ingress-controller}` lines of `netpol list`.
fn flows(r: &Reachability) -> Vec<String> {
    render(r, Format::Txt).lines().filter(|l| l.starts_with("{ingress-controller}")).map(str::to_string).collect()
}

fn flows_of(docs: Vec<Value>) -> Vec<String> {
    flows(&Reachability::compute(&inventory(docs)))
}

/// Workload `shop/web` with container ports `http` 8080 and `admin` 9000 (TCP) and `dns` 53
/// (UDP), its Service, and the policies given.
fn shop(extra: Vec<Value>) -> Vec<Value> {
    let mut docs = vec![
        deployment("shop", "web", json!({"app":"web"}), json!([{"name":"http","containerPort":8080},{"name":"admin","containerPort":9000},{"name":"dns","containerPort":53,"protocol":"UDP"}])),
        service("shop", "web", json!({"app":"web"}), json!([{"name":"http","port":80,"targetPort":"http"},{"name":"admin","port":9001,"targetPort":9000},{"name":"dns","port":53,"protocol":"UDP","targetPort":53}])),
    ];
    docs.extend(extra);
    docs
}

#[test]
fn ingress_backends_resolve_through_service_and_container_ports() {
    let docs = shop(vec![
        // Port 80 by number (target port named `http` → 8080), the default backend by port name.
        ingress("shop", "main", json!({"ingressClassName":"nginx","defaultBackend":backend("web", json!({"name":"admin"})),"rules":[rule(backend("web", json!({"number":80})))]})),
        // UDP Service ports carry no ingress traffic; a missing Service is a warning.
        ingress("shop", "udp", json!({"rules":[rule(backend("web", json!({"name":"dns"}))), rule(backend("nope", json!({"number":80})))]})),
        // A Service without a selector has no pods to resolve.
        service("shop", "external", Value::Null, json!([{"port":80}])),
        ingress("shop", "ext", json!({"rules":[rule(backend("external", json!({"number":80})))]})),
    ]);
    let r = Reachability::compute(&inventory(docs));
    assert_eq!(flows(&r), ["{ingress-controller} => shop/web[Deployment] : TCP 8080,9000"]);
    let flow = &r.ingress_flows()[0];
    assert_eq!(r.workloads()[flow.dst as usize].name, "web");
    assert_eq!(flow.via.len(), 1);
    assert_eq!((flow.via[0].object.display(), flow.via[0].object.through.clone()), ("Ingress shop/main".to_string(), vec!["IngressClass nginx".to_string()]));
    assert!(flow.via[0].controllers.is_empty(), "no controller pods in the input: the assumed one");
    assert_eq!(flow.via[0].object.location, "t.yaml:21:1");
    assert_eq!(r.ingress_objects().len(), 3);
    let warnings: Vec<String> = r.warnings().iter().map(ToString::to_string).collect();
    assert_eq!(warnings, ["t.yaml:31:1: Ingress shop/udp: backend Service shop/nope is not in the input"]);
    // The assumed controller's namespace is not one of the input's.
    assert!(r.namespaces().iter().all(|n| n.name == "shop"));
}

#[test]
fn ingress_port_number_may_name_a_target_port_as_netpol_analyzer_reads_it() {
    // Service port 80 → 8080; the Ingress asks for 8080, which is no Service port.
    let docs = vec![
        deployment("a", "front", json!({"app":"front"}), json!([{"containerPort":8080}])),
        service("a", "front", json!({"app":"front"}), json!([{"name":"http","port":80,"targetPort":8080}])),
        ingress("a", "i", json!({"rules":[rule(backend("front", json!({"number":8080})))]})),
    ];
    assert_eq!(flows_of(docs), ["{ingress-controller} => a/front[Deployment] : TCP 8080"]);
}

#[test]
fn routes_resolve_target_ports_backends_and_weights() {
    let docs = vec![
        deployment("rw", "multi", json!({"app":"rw"}), json!([{"containerPort":8000},{"containerPort":8050},{"containerPort":8090}])),
        service("rw", "svc", json!({"app":"rw"}), json!([{"name":"first-port","port":8000,"targetPort":8000},{"name":"second-port","port":8050,"targetPort":8050},{"name":"third-port","port":8090,"targetPort":8090}])),
        // By Service port name, and by target port.
        route("rw", "route-1", json!({"to":{"kind":"Service","name":"svc","weight":100},"port":{"targetPort":"first-port"}})),
        route("rw", "route-2", json!({"to":{"kind":"Service","name":"svc"},"port":{"targetPort":8090}})),
        deployment("rw", "other", json!({"app":"other"}), json!([])),
        service("rw", "other", json!({"app":"other"}), json!([{"port":7000,"targetPort":7001}])),
        deployment("rw", "idle", json!({"app":"idle"}), json!([])),
        service("rw", "idle", json!({"app":"idle"}), json!([{"port":6000}])),
        // Without spec.port: every Service port; a weight-0 backend gets nothing.
        route("rw", "route-3", json!({"to":{"name":"other"},"alternateBackends":[{"kind":"Service","name":"idle","weight":0}]})),
        route("rw", "odd", json!({"to":{"kind":"Deployment","name":"multi"}})),
        route("rw", "bad", json!({"to":"svc"})),
    ];
    let r = Reachability::compute(&inventory(docs));
    assert_eq!(flows(&r), ["{ingress-controller} => rw/multi[Deployment] : TCP 8000,8090", "{ingress-controller} => rw/other[Deployment] : TCP 7001"]);
    let via: Vec<(String, String)> = r.ingress_flows()[0].via.iter().map(|v| (v.object.display(), v.conns.to_string())).collect();
    assert_eq!(via, [("Route rw/route-1".to_string(), "TCP 8000".to_string()), ("Route rw/route-2".to_string(), "TCP 8090".to_string())]);
    let warnings: Vec<String> = r.warnings().iter().map(ToString::to_string).collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].starts_with("t.yaml:91:1: Route rw/odd: backend of kind Deployment ignored"), "{warnings:?}");
    assert!(warnings[1].starts_with("t.yaml:101:1: Route rw/bad: ignored: spec: invalid type"), "{warnings:?}");
}

/// `app/api` (TCP 8080) behind an Ingress, and the policies given.
fn app(extra: Vec<Value>) -> Vec<Value> {
    let mut docs = vec![
        ns("app", json!({})),
        deployment("app", "api", json!({"app":"api"}), json!([{"name":"http","containerPort":8080}])),
        service("app", "api", json!({"app":"api"}), json!([{"port":80,"targetPort":"http"}])),
        ingress("app", "api", json!({"ingressClassName":"nginx","rules":[rule(backend("api", json!({"number":80})))]})),
    ];
    docs.extend(extra);
    docs
}

#[test]
fn backend_policies_decide_whether_the_assumed_controller_gets_in() {
    let allow = |from: Value| netpol("app", "api", json!({"podSelector":{"matchLabels":{"app":"api"}},"ingress":[{"from":from,"ports":[{"port":8080}]}]}));
    let open = ["{ingress-controller} => app/api[Deployment] : TCP 8080"];
    assert_eq!(flows_of(app(vec![])), open);
    // From any namespace: the controller's too.
    assert_eq!(flows_of(app(vec![allow(json!([{"namespaceSelector":{}}]))])), open);
    // Only from pods of the namespace, or default deny: the controller is not let in.
    assert!(flows_of(app(vec![allow(json!([{"podSelector":{}}]))])).is_empty());
    assert!(flows_of(app(vec![netpol("app", "deny", json!({"podSelector":{}}))])).is_empty());
    // Other ports than the Ingress's do not open it.
    let other_port = netpol("app", "api", json!({"podSelector":{},"ingress":[{"ports":[{"port":9090}]}]}));
    assert!(flows_of(app(vec![other_port])).is_empty());
    // An AdminNetworkPolicy denying every namespace's pods denies the controller's too.
    let anp = json!({"apiVersion":"policy.networking.k8s.io/v1alpha1","kind":"AdminNetworkPolicy","metadata":{"name":"deny"},
        "spec":{"priority":1,"subject":{"namespaces":{}},"ingress":[{"action":"Deny","from":[{"namespaces":{}}]}]}});
    assert!(flows_of(app(vec![anp])).is_empty());
}

fn nginx_controller(egress: Option<Value>) -> Vec<Value> {
    let labels = json!({"app.kubernetes.io/name":"ingress-nginx","app.kubernetes.io/component":"controller"});
    let mut docs = vec![ns("ingress-nginx", json!({})), deployment("ingress-nginx", "ingress-nginx-controller", labels, json!([{"containerPort":443}]))];
    if let Some(spec) = egress {
        docs.push(netpol("ingress-nginx", "egress", spec));
    }
    docs
}

#[test]
fn controller_pods_in_the_input_forward_with_their_own_policies() {
    let from_nginx = netpol("app", "api", json!({"podSelector":{},"ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"ingress-nginx"}}}],"ports":[{"port":8080}]}]}));
    let mut docs = app(vec![from_nginx]);
    docs.extend(nginx_controller(None));
    let r = Reachability::compute(&inventory(docs.clone()));
    assert_eq!(flows(&r), ["{ingress-controller} => app/api[Deployment] : TCP 8080"]);
    assert_eq!(r.ingress_flows()[0].via[0].controllers, ["ingress-nginx/ingress-nginx-controller[Deployment]"]);
    // The controller's egress policy is honoured too.
    let mut denied = app(vec![]);
    denied.extend(nginx_controller(Some(json!({"podSelector":{},"policyTypes":["Egress"]}))));
    assert!(flows_of(denied).is_empty());
    // Another class's Ingress is not served by nginx: the assumed controller, which the
    // backend's policy does not let in.
    docs.push(ingress("app", "traefik", json!({"ingressClassName":"traefik","rules":[rule(backend("api", json!({"number":80})))]})));
    // An IngressClass object names its controller.
    docs.push(json!({"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"name":"public"},"spec":{"controller":"k8s.io/ingress-nginx"}}));
    docs.push(ingress("app", "public", json!({"ingressClassName":"public","rules":[rule(backend("api", json!({"number":80})))]})));
    let r = Reachability::compute(&inventory(docs));
    let via: Vec<String> = r.ingress_flows()[0].via.iter().map(|v| v.object.display()).collect();
    assert_eq!(via, ["Ingress app/api", "Ingress app/public"]);
    assert_eq!(r.ingress_objects().len(), 3);
}

fn gateway(ns: &str, name: &str, listeners: Value) -> Value {
    object("gateway.networking.k8s.io/v1", "Gateway", ns, name, json!({"gatewayClassName":"x","listeners":listeners}))
}

fn gw_route(version: &str, kind: &str, ns: &str, name: &str, parents: Value, backends: Value) -> Value {
    object(&format!("gateway.networking.k8s.io/{version}"), kind, ns, name, json!({"parentRefs":parents,"rules":[{"backendRefs":backends}]}))
}

/// Gateway `infra/gw` (HTTPS for namespaces labelled `expose=yes`, TCP for all), workloads
/// `pay/api` (8443) and `pay/db` (5432) with Services, and the objects given.
fn gateways(extra: Vec<Value>) -> Vec<Value> {
    let mut docs = vec![
        ns("infra", json!({})),
        ns("pay", json!({"expose":"yes"})),
        ns("other", json!({})),
        gateway("infra", "gw", json!([
            {"name":"web","port":443,"protocol":"HTTPS","allowedRoutes":{"namespaces":{"from":"Selector","selector":{"matchLabels":{"expose":"yes"}}}}},
            {"name":"tcp","port":5432,"protocol":"TCP","allowedRoutes":{"namespaces":{"from":"All"}}}])),
        deployment("pay", "api", json!({"app":"api"}), json!([{"containerPort":8443}])),
        service("pay", "api", json!({"app":"api"}), json!([{"port":443,"targetPort":8443}])),
        deployment("pay", "db", json!({"app":"db"}), json!([{"containerPort":5432}])),
        service("pay", "db", json!({"app":"db"}), json!([{"port":5432}])),
    ];
    docs.extend(extra);
    docs
}

#[test]
fn gateway_routes_attach_through_listeners_to_services() {
    let web = json!([{"name":"gw","namespace":"infra","sectionName":"web"}]);
    let docs = gateways(vec![
        gw_route("v1", "HTTPRoute", "pay", "api", web.clone(), json!([{"name":"api","port":443}])),
        // Not admitted: namespace `other` is not selected by the HTTPS listener.
        gw_route("v1", "HTTPRoute", "other", "sneaky", web.clone(), json!([{"name":"db","namespace":"pay","port":5432}])),
        // A TLSRoute is not among the HTTPS listener's default kinds.
        gw_route("v1alpha2", "TLSRoute", "pay", "tls", web, json!([{"name":"db","port":5432}])),
        // The TCP listener admits every namespace; the backend is in another one.
        gw_route("v1alpha2", "TCPRoute", "other", "db", json!([{"name":"gw","namespace":"infra","port":5432}]), json!([{"name":"db","namespace":"pay","port":5432}])),
        // Parents that are no Gateway (mesh routing) are no way in.
        gw_route("v1", "HTTPRoute", "pay", "mesh", json!([{"kind":"Service","group":"","name":"api"}]), json!([{"name":"db","port":5432}])),
    ]);
    let r = Reachability::compute(&inventory(docs));
    assert!(r.warnings().is_empty(), "{:?}", r.warnings());
    assert_eq!(flows(&r), ["{ingress-controller} => pay/api[Deployment] : TCP 8443", "{ingress-controller} => pay/db[Deployment] : TCP 5432"]);
    let by: Vec<(String, Vec<String>)> = r.ingress_flows().iter().map(|f| (f.via[0].object.display(), f.via[0].object.through.clone())).collect();
    assert_eq!(by, [("HTTPRoute pay/api".to_string(), vec!["Gateway infra/gw".to_string()]), ("TCPRoute other/db".to_string(), vec!["Gateway infra/gw".to_string()])]);
    let objects: Vec<String> = r.ingress_objects().iter().map(|o| o.display()).collect();
    assert_eq!(objects, ["HTTPRoute pay/api", "TCPRoute other/db"]);
}

#[test]
fn gateway_pods_in_the_input_forward_with_their_own_policies() {
    let route = gw_route("v1", "HTTPRoute", "pay", "api", json!([{"name":"gw","namespace":"infra"}]), json!([{"name":"api","port":443},{"name":"db","port":5432,"weight":0},{"name":"db"}]));
    // A GRPCRoute to a Gateway that is not in the input: assumed to exist and to accept it.
    let grpc = gw_route("v1", "GRPCRoute", "pay", "rpc", json!([{"name":"edge"}]), json!([{"name":"db","port":5432}]));
    let gw_pods = deployment("infra", "gw-istio", json!({"gateway.networking.k8s.io/gateway-name":"gw"}), json!([]));
    let docs = gateways(vec![route.clone(), grpc.clone(), gw_pods.clone()]);
    let r = Reachability::compute(&inventory(docs));
    assert_eq!(flows(&r), ["{ingress-controller} => pay/api[Deployment] : TCP 8443", "{ingress-controller} => pay/db[Deployment] : TCP 5432"]);
    assert_eq!(r.ingress_flows()[0].via[0].controllers, ["infra/gw-istio[Deployment]"]);
    assert!(r.ingress_flows()[1].via[0].controllers.is_empty());
    let warnings: Vec<String> = r.warnings().iter().map(ToString::to_string).collect();
    assert_eq!(warnings, ["t.yaml:81:1: HTTPRoute pay/api: backendRef db ignored: a Service backend needs a port"]);
    // The gateway pods may not open connections: only the assumed Gateway's route is left.
    let deny = netpol("infra", "deny", json!({"podSelector":{},"policyTypes":["Egress"]}));
    let r = Reachability::compute(&inventory(gateways(vec![route, grpc, gw_pods, deny])));
    assert_eq!(flows(&r), ["{ingress-controller} => pay/db[Deployment] : TCP 5432"]);
}

#[test]
fn bad_shapes_are_warnings_not_panics() {
    let docs = gateways(vec![
        object("gateway.networking.k8s.io/v1", "HTTPRoute", "pay", "broken", json!({"rules":"none"})),
        object("gateway.networking.k8s.io/v1", "Gateway", "pay", "gw2", json!({"listeners":[{"name":"x","protocol":"HTTP","allowedRoutes":{"namespaces":{"from":"Selector"}}}]})),
        gw_route("v1", "HTTPRoute", "pay", "to-gw2", json!([{"name":"gw2"}]), json!([{"name":"api","port":443}])),
        object("gateway.networking.k8s.io/v1beta1", "TCPRoute", "pay", "empty", Value::Null),
        route("pay", "nothing", json!({})),
        ingress("pay", "empty", json!({"rules":[{"host":"x"}]})),
    ]);
    let r = Reachability::compute(&inventory(docs));
    let warnings: Vec<String> = r.warnings().iter().map(ToString::to_string).collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].starts_with("t.yaml:81:1: HTTPRoute pay/broken: ignored: spec: invalid type"), "{warnings:?}");
    assert!(warnings[1].starts_with("t.yaml:91:1: Gateway pay/gw2: listener allowedRoutes.namespaces.from: Selector without a selector"), "{warnings:?}");
    assert!(flows(&r).is_empty());
}

#[test]
fn a_service_reaches_each_pod_of_a_workload_on_its_own_ports() {
    // A rollout: the old pod names `http` 8080, the new one 9090; the old one is denied.
    let pods = [(json!({"app":"api","version":"v1"}), json!([{"name":"http","containerPort":8080}]), false), (json!({"app":"api","version":"v2"}), json!([{"name":"http","containerPort":9090}]), false)];
    let mut docs = deployment_with_pods("app", "api", json!({"app":"api"}), &pods);
    docs.push(service("app", "api", json!({"app":"api"}), json!([{"port":80,"targetPort":"http"}])));
    docs.push(ingress("app", "api", json!({"rules":[rule(backend("api", json!({"number":80})))]})));
    assert_eq!(flows_of(docs.clone()), ["{ingress-controller} => app/api[Deployment] : TCP 8080,9090"]);
    docs.push(netpol("app", "deny-v1", json!({"podSelector":{"matchLabels":{"version":"v1"}}})));
    assert_eq!(flows_of(docs), ["{ingress-controller} => app/api[Deployment] : TCP 9090"]);
}

#[test]
fn ingress_flows_in_every_format_and_focused_equal_full() {
    let mut docs = app(vec![]);
    docs.extend(nginx_controller(None));
    docs.extend(gateways(vec![gw_route("v1", "HTTPRoute", "pay", "api", json!([{"name":"gw","namespace":"infra"}]), json!([{"name":"api","port":443}]))]));
    docs.push(pod_with("app", "client", json!({"app":"client"}), json!([]), false));
    let inv = inventory(docs);
    let full = Reachability::compute(&inv);
    let n = inv.workloads().len();
    for focus in [vec![], vec![0], (0..n).collect::<Vec<_>>()] {
        let focused = Reachability::compute_focused(&inv, Options::default(), &focus);
        assert_eq!(render(&focused, Format::Json), render(&full, Format::Json), "focus {focus:?}");
    }
    let json: Value = serde_json::from_str(&render(&full, Format::Json)).unwrap();
    let line = json.as_array().unwrap().iter().find(|l| l["src"] == "{ingress-controller}" && l["dst"] == "app/api[Deployment]").unwrap();
    assert_eq!(line["via"], json!(["Ingress app/api"]));
    assert!(render(&full, Format::Csv).contains("\n{ingress-controller},pay/api[Deployment],TCP 8443\n"));
    assert!(render(&full, Format::Dot).contains("[label=\"{ingress-controller}\" shape=box]"));
    assert!(render(&full, Format::Mermaid).contains("[\"{ingress-controller}\"]"));
    let flow = serde_json::to_value(&full.ingress_flows()[0]).unwrap();
    assert_eq!(flow["via"][0]["object"]["kind"], "Ingress");
    assert_eq!(flow["conns"], "TCP 8080");
}

#[test]
fn explain_ingress_names_the_objects_the_controller_and_the_deciding_rules() {
    use crate::ports::Protocol;
    let from_nginx = netpol("app", "api", json!({"podSelector":{},"ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"ingress-nginx"}}}],"ports":[{"port":8080}]}]}));
    let mut docs = app(vec![from_nginx]);
    docs.extend(nginx_controller(None));
    let r = Reachability::compute(&inventory(docs));
    let api = r.workloads().iter().position(|w| w.name == "api").unwrap() as u32;
    let e = r.explain_ingress(api, Some((Protocol::Tcp, 8080)));
    assert!(e.allowed, "{e}");
    assert_eq!(e.paths.len(), 1);
    let p = &e.paths[0];
    assert_eq!((p.object.display(), p.controller.as_str(), p.routed.to_string()), ("Ingress app/api".to_string(), "ingress-nginx/ingress-nginx-controller[Deployment]", "TCP 8080".to_string()));
    assert_eq!(p.ingress.matching_rules[0].policy, "NetworkPolicy app/api");
    let text = e.to_string();
    assert!(text.starts_with("{ingress-controller} => app/api[Deployment] (TCP/8080): ALLOWED\n"), "{text}");
    assert!(text.contains("via Ingress app/api (t.yaml:"), "{text}");
    // A port the Ingress does not route is denied, with the path still shown.
    let e = r.explain_ingress(api, Some((Protocol::Tcp, 9090)));
    assert!(!e.allowed && e.paths.len() == 1 && e.paths[0].routed.is_empty(), "{e}");
    // Default deny at the backend: the assumed controller is not let in, and the text says so.
    let r = Reachability::compute(&inventory(app(vec![netpol("app", "deny", json!({"podSelector":{}}))])));
    let e = r.explain_ingress(0, None);
    assert!(!e.allowed, "{e}");
    assert!(e.paths[0].controller.starts_with("{ingress-controller} (assumed"), "{e}");
    assert!(e.to_string().contains("selected by NetworkPolicy app/deny"), "{e}");
    // A workload no object routes to.
    let r = Reachability::compute(&inventory(vec![deployment("a", "b", json!({"app":"b"}), json!([]))]));
    let e = r.explain_ingress(0, None);
    assert!(!e.allowed && e.paths.is_empty());
    assert!(e.to_string().contains("no Ingress, Route or Gateway API route"), "{e}");
}
