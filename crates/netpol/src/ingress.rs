//! Paths into the cluster through an ingress controller: Ingress (`networking.k8s.io/v1`),
//! OpenShift Route (`route.openshift.io/v1`) and the Gateway API routes (HTTPRoute, GRPCRoute,
//! TLSRoute, TCPRoute of `gateway.networking.k8s.io` v1, v1beta1, v1alpha2) attached to their
//! Gateways. Each object is resolved through its Services to the pod classes it sends traffic
//! to and the TCP ports it reaches on each, and to who forwards that traffic: the controller's
//! pods when the input holds them, else an assumed controller outside the input.
//!
//! Semantics follow netpol-analyzer (np-guard), whose expected outputs are the conformance
//! oracle, where it decides; see the crate README for the rules and the few deliberate
//! differences. Objects of a bad shape are left out with a warning at their `file:line:col`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use kubepci_inventory::Inventory;
use kubepci_model::k8s_openapi::api::core::v1::ServicePort;
use kubepci_model::k8s_openapi::api::networking::v1::IngressServiceBackend;
use kubepci_model::k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kubepci_model::k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kubepci_model::hash::FastMap;
use kubepci_model::selector::Selector;
use kubepci_model::{Object, Resource};

use crate::endpoints::{NamespaceEntry, PodClass};
use crate::policy::PolicyWarning;
use crate::ports::{ConnSet, PortSet, Protocol};

/// How `netpol list` names the source of the flows through ingress controllers
/// (netpol-analyzer's notation).
pub const INGRESS_CONTROLLER: &str = "{ingress-controller}";

/// The namespace of the assumed controller (a pod without labels, as netpol-analyzer places
/// it), used when no controller pods for an object are in the input.
pub(crate) const ASSUMED_CONTROLLER_NAMESPACE: &str = "ingress-controller-ns";

const GATEWAY_GROUP: &str = "gateway.networking.k8s.io";
const GATEWAY_VERSIONS: &[&str] = &["v1", "v1beta1", "v1alpha2"];
const ROUTE_KINDS: &[&str] = &["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute"];

/// An object that lets traffic from outside into the cluster.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct IngressObject {
    /// `Ingress`, `Route`, `HTTPRoute`, `GRPCRoute`, `TLSRoute` or `TCPRoute`.
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// `file:line:col` of the object.
    pub location: String,
    /// What it is served through: an Ingress's class (`IngressClass nginx`), a route's Gateways
    /// (`Gateway ns/name`); empty for an OpenShift Route or an Ingress without a class.
    pub through: Vec<String>,
}

impl IngressObject {
    /// `Kind ns/name`.
    pub fn display(&self) -> String {
        format!("{} {}/{}", self.kind, self.namespace, self.name)
    }
}

/// Traffic from outside that reaches a workload through an ingress controller: what the
/// objects route to its pods, where the policies let the controller in.
#[derive(Clone, Debug, Serialize)]
pub struct IngressFlow {
    /// Index into [`crate::Reachability::workloads`].
    pub dst: u32,
    /// The union over `via`.
    #[serde(serialize_with = "display")]
    pub conns: ConnSet,
    /// Each object that gives the flow (with the controller forwarding it), and what it lets
    /// through; in object order.
    pub via: Vec<IngressVia>,
}

/// One object's part of an [`IngressFlow`].
#[derive(Clone, Debug, Serialize)]
pub struct IngressVia {
    pub object: IngressObject,
    #[serde(serialize_with = "display")]
    pub conns: ConnSet,
    /// The controller workloads that forward it (`ns/name[Kind]`); empty: no controller pods
    /// are in the input, so an assumed controller outside it (a pod without labels in namespace
    /// `ingress-controller-ns`, as netpol-analyzer places it).
    pub controllers: Vec<String>,
}

fn display<T: std::fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// Who forwards an object's traffic to its backends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Forwarder {
    /// Controller pods found in the input (their classes, ascending): their egress policies and
    /// the backend's ingress policies decide.
    Pods(Vec<u32>),
    /// No controller pods in the input: a pod without labels in `ingress-controller-ns`.
    Assumed,
}

/// Traffic an object sends to the pods of one class, on these TCP ports.
#[derive(Clone, Debug)]
pub(crate) struct Backend {
    /// Index into [`IngressModel::objects`].
    pub object: u32,
    /// Index into [`IngressModel::forwarders`].
    pub forwarder: u32,
    pub class: u32,
    pub conns: ConnSet,
}

/// Every ingress path of the input.
#[derive(Clone, Debug, Default)]
pub(crate) struct IngressModel {
    pub objects: Vec<IngressObject>,
    pub forwarders: Vec<Forwarder>,
    /// Sorted by (object, forwarder, class), one entry each.
    pub backends: Vec<Backend>,
}

impl IngressModel {
    pub fn needs_assumed_controller(&self) -> bool {
        self.backends.iter().any(|b| self.forwarders[b.forwarder as usize] == Forwarder::Assumed)
    }
}

/// What the resolution reads of the topology.
pub(crate) struct Pods<'a> {
    namespaces: &'a [NamespaceEntry],
    classes: &'a [PodClass],
    classes_by_namespace: &'a [Vec<u32>],
    namespace_index: FastMap<&'a str, usize>,
}

impl<'a> Pods<'a> {
    pub fn new(namespaces: &'a [NamespaceEntry], classes: &'a [PodClass], classes_by_namespace: &'a [Vec<u32>]) -> Self {
        let namespace_index = namespaces.iter().enumerate().map(|(i, n)| (n.name.as_str(), i)).collect();
        Pods { namespaces, classes, classes_by_namespace, namespace_index }
    }

    fn namespace(&self, name: &str) -> Option<usize> {
        self.namespace_index.get(name).copied()
    }

    /// Classes whose labels satisfy `keep`, with their namespace name.
    fn classes_where(&self, keep: impl Fn(&str, &BTreeMap<String, String>) -> bool) -> Vec<u32> {
        let mut out: Vec<u32> = self.classes.iter().enumerate().filter(|(_, c)| keep(&self.namespaces[c.namespace as usize].name, &c.labels)).map(|(i, _)| i as u32).collect();
        out.sort_unstable();
        out
    }
}

/// Controllers recognised by the labels their pods carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Known {
    /// ingress-nginx (`app.kubernetes.io/name=ingress-nginx`, `app.kubernetes.io/component=controller`).
    Nginx,
    /// OpenShift routers (`ingresscontroller.operator.openshift.io/deployment-ingresscontroller`),
    /// which serve Routes and Ingresses.
    Router,
}

fn is_known(known: Known, labels: &BTreeMap<String, String>) -> bool {
    let has = |k: &str, v: &str| labels.get(k).is_some_and(|x| x == v);
    match known {
        Known::Nginx => has("app.kubernetes.io/name", "ingress-nginx") && has("app.kubernetes.io/component", "controller"),
        Known::Router => labels.contains_key("ingresscontroller.operator.openshift.io/deployment-ingresscontroller"),
    }
}

/// The pods of a Gateway: the label GEP-1762 gives generated gateway deployments (in the
/// Gateway's namespace), or Envoy Gateway's owner labels (in its own namespace).
fn is_gateway_pod(gw_ns: &str, gw_name: &str, pod_ns: &str, labels: &BTreeMap<String, String>) -> bool {
    let has = |k: &str, v: &str| labels.get(k).is_some_and(|x| x == v);
    (pod_ns == gw_ns && has("gateway.networking.k8s.io/gateway-name", gw_name))
        || (has("gateway.envoyproxy.io/owning-gateway-name", gw_name) && has("gateway.envoyproxy.io/owning-gateway-namespace", gw_ns))
}

/// The port a backend names on a Service.
#[derive(Clone, Debug)]
enum Wanted {
    /// Every TCP port of the Service (a Route without `spec.port`).
    All,
    /// An Ingress backend's `port.number`, or a Gateway backendRef's `port`: the Service port.
    Number(i32),
    /// An Ingress backend's `port.name`: the Service port's name.
    Name(String),
    /// A Route's `spec.port.targetPort`: a Service port name or target port.
    RouteTarget(IntOrString),
}

/// The Service ports a backend reaches (TCP only: ingress controllers proxy TCP). An Ingress
/// port number names the Service port; like netpol-analyzer, a number that is no Service port
/// but some port's `targetPort` is taken to mean that port. A Route's target port is a Service
/// port name or a target port (netpol-analyzer also accepts the Service port number).
fn service_ports<'s>(ports: &'s [ServicePort], wanted: &Wanted) -> Vec<&'s ServicePort> {
    let tcp: Vec<&ServicePort> = ports.iter().filter(|p| p.protocol.as_deref().is_none_or(|x| x == "TCP")).collect();
    let target_is = |p: &ServicePort, t: &IntOrString| match (&p.target_port, t) {
        (Some(IntOrString::Int(a)), IntOrString::Int(b)) => a == b,
        (None, IntOrString::Int(b)) => p.port == *b,
        (Some(IntOrString::String(a)), IntOrString::String(b)) => a == b,
        _ => false,
    };
    let pick = |first: &dyn Fn(&ServicePort) -> bool, then: &dyn Fn(&ServicePort) -> bool| {
        let found: Vec<&ServicePort> = tcp.iter().copied().filter(|p| first(p)).collect();
        if found.is_empty() { tcp.iter().copied().filter(|p| then(p)).collect() } else { found }
    };
    match wanted {
        Wanted::All => tcp,
        Wanted::Number(n) => pick(&|p| p.port == *n, &|p| target_is(p, &IntOrString::Int(*n))),
        Wanted::Name(name) => tcp.into_iter().filter(|p| p.name.as_deref() == Some(name.as_str())).collect(),
        Wanted::RouteTarget(IntOrString::String(s)) => pick(&|p| p.name.as_deref() == Some(s.as_str()), &|p| target_is(p, &IntOrString::String(s.clone()))),
        Wanted::RouteTarget(IntOrString::Int(n)) => pick(&|p| target_is(p, &IntOrString::Int(*n)), &|p| p.port == *n),
    }
}

/// The TCP port a Service port reaches on pods of `class`: its target port (a number, or a
/// name resolved on the pods' TCP container ports), else its own number.
fn pod_port(p: &ServicePort, class: &PodClass) -> Option<u16> {
    let number = |n: i32| u16::try_from(n).ok().filter(|&n| n >= 1);
    match &p.target_port {
        None | Some(IntOrString::Int(0)) => number(p.port),
        Some(IntOrString::Int(n)) => number(*n),
        Some(IntOrString::String(name)) => class.named_ports.iter().find(|np| &np.name == name && np.protocol == Protocol::Tcp).map(|np| np.port),
    }
}

/// Collects the backends while objects are read.
struct Builder<'a> {
    inv: &'a Inventory,
    pods: &'a Pods<'a>,
    model: IngressModel,
    /// (object, forwarder, class) → index into `model.backends`.
    seen: BTreeMap<(u32, u32, u32), usize>,
    /// Forwarders already found: per set of recognised controllers, per Gateway.
    by_known: BTreeMap<Vec<Known>, u32>,
    by_gateway: BTreeMap<(String, String), u32>,
    warnings: &'a mut Vec<PolicyWarning>,
}

impl Builder<'_> {
    fn warn(&mut self, o: &Object, message: String) {
        self.warnings.push(PolicyWarning { loc: o.loc.clone(), message: format!("{} {}/{}: {message}", o.kind(), namespace_of(self.inv, o), o.name()) });
    }

    fn object(&mut self, o: &Object, through: Vec<String>) -> u32 {
        let ns = namespace_of(self.inv, o).to_string();
        self.model.objects.push(IngressObject { kind: o.kind().to_string(), namespace: ns, name: o.name().to_string(), location: o.loc.to_string(), through });
        self.model.objects.len() as u32 - 1
    }

    fn forwarder(&mut self, f: Forwarder) -> u32 {
        match self.model.forwarders.iter().position(|x| *x == f) {
            Some(i) => i as u32,
            None => {
                self.model.forwarders.push(f);
                self.model.forwarders.len() as u32 - 1
            }
        }
    }

    /// Pods of the recognised controllers, or the assumed controller when none is in the input.
    fn known_forwarder(&mut self, known: &[Known]) -> u32 {
        if let Some(&f) = self.by_known.get(known) {
            return f;
        }
        let classes = if known.is_empty() { Vec::new() } else { self.pods.classes_where(|_, labels| known.iter().any(|&k| is_known(k, labels))) };
        let f = self.forwarder(if classes.is_empty() { Forwarder::Assumed } else { Forwarder::Pods(classes) });
        self.by_known.insert(known.to_vec(), f);
        f
    }

    /// The pods of Gateway `ns/name`, or the assumed controller when none is in the input.
    fn gateway_forwarder(&mut self, ns: &str, name: &str) -> u32 {
        let key = (ns.to_string(), name.to_string());
        if let Some(&f) = self.by_gateway.get(&key) {
            return f;
        }
        let classes = self.pods.classes_where(|pod_ns, labels| is_gateway_pod(ns, name, pod_ns, labels));
        let f = self.forwarder(if classes.is_empty() { Forwarder::Assumed } else { Forwarder::Pods(classes) });
        self.by_gateway.insert(key, f);
        f
    }

    /// Traffic from each of `forwarders` through Service `ns/service` (in the object's terms
    /// `wanted`).
    fn service_backend(&mut self, o: &Object, object: u32, forwarders: &[u32], ns: &str, service: &str, wanted: &Wanted) {
        let inv = self.inv;
        let Some(svc) = inv.indices_of_kind_in("Service", ns).iter().map(|&i| &inv.objects[i]).find(|s| s.name() == service) else {
            self.warn(o, format!("backend Service {ns}/{service} is not in the input"));
            return;
        };
        let Resource::Service(svc) = &svc.resource else { return };
        let spec = svc.spec.as_ref();
        // A Service without a selector has no pods of its own (its endpoints are managed
        // elsewhere): nothing to resolve, as for netpol-analyzer.
        let Some(selector) = spec.and_then(|s| s.selector.as_ref()).filter(|s| !s.is_empty()) else { return };
        let ports = service_ports(spec.and_then(|s| s.ports.as_deref()).unwrap_or(&[]), wanted);
        let Some(ni) = self.pods.namespace(ns) else { return };
        for &c in &self.pods.classes_by_namespace[ni] {
            let class = &self.pods.classes[c as usize];
            if !selector.iter().all(|(k, v)| class.labels.get(k) == Some(v)) {
                continue;
            }
            let mut set = PortSet::default();
            for p in ports.iter().filter_map(|p| pod_port(p, class)) {
                set = set.union(&PortSet::single(p));
            }
            if set.is_empty() {
                continue;
            }
            let conns = ConnSet::of(Protocol::Tcp, set);
            for &forwarder in forwarders {
                match self.seen.get(&(object, forwarder, c)) {
                    Some(&i) => self.model.backends[i].conns = self.model.backends[i].conns.union(&conns),
                    None => {
                        self.seen.insert((object, forwarder, c), self.model.backends.len());
                        self.model.backends.push(Backend { object, forwarder, class: c, conns: conns.clone() });
                    }
                }
            }
        }
    }
}

/// The namespace of a namespaced object (generic objects without one are in the default).
fn namespace_of<'o>(inv: &'o Inventory, o: &'o Object) -> &'o str {
    o.namespace().filter(|n| !n.is_empty()).unwrap_or_else(|| inv.config.default_namespace())
}

fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// Parse the generic object's `spec` (an absent spec is the default).
fn spec_of<T: for<'de> Deserialize<'de> + Default>(o: &Object) -> Result<T, String> {
    let Resource::Generic(g) = &o.resource else { return Err("not a generic object".into()) };
    match g.body.get("spec") {
        None | Some(serde_json::Value::Null) => Ok(T::default()),
        Some(v) => T::deserialize(v).map_err(|e| format!("spec: {e}")),
    }
}

/// Every ingress path of the input.
pub(crate) fn build(inv: &Inventory, pods: &Pods<'_>, warnings: &mut Vec<PolicyWarning>) -> IngressModel {
    let mut b = Builder { inv, pods, model: IngressModel::default(), seen: BTreeMap::new(), by_known: BTreeMap::new(), by_gateway: BTreeMap::new(), warnings };
    ingresses(&mut b);
    routes(&mut b);
    gateway_routes(&mut b);
    b.model.backends.sort_by_key(|x| (x.object, x.forwarder, x.class));
    b.model
}

// ---------------------------------------------------------------------------------------------
// Ingress

#[derive(Debug, Default, Deserialize)]
struct IngressClassSpec {
    #[serde(default)]
    controller: String,
}

/// The controllers serving an Ingress of class `class` (`None`: no class given).
fn ingress_controllers(inv: &Inventory, class: Option<&str>) -> Vec<Known> {
    let classes: Vec<&Object> = inv.of_kind("IngressClass").filter(|o| group_of(&o.api_version) == "networking.k8s.io").collect();
    let is_default = |o: &&&Object| o.metadata().annotations.as_ref().and_then(|a| a.get("ingressclass.kubernetes.io/is-default-class")).is_some_and(|v| v == "true");
    let named = match class {
        Some(name) => classes.iter().find(|o| o.name() == name),
        None => classes.iter().find(is_default),
    };
    let by_controller = |o: &Object| match spec_of::<IngressClassSpec>(o).map(|s| s.controller).as_deref() {
        Ok("k8s.io/ingress-nginx") => vec![Known::Nginx],
        Ok("openshift.io/ingress-to-route") => vec![Known::Router],
        _ => Vec::new(),
    };
    match (named, class) {
        (Some(o), _) => by_controller(o),
        // The class object is not in the input: the usual class names.
        (None, Some("nginx")) => vec![Known::Nginx],
        (None, Some("openshift-default")) => vec![Known::Router],
        (None, Some(_)) => Vec::new(),
        // No class and no default class: whichever recognised controller is there.
        (None, None) => vec![Known::Nginx, Known::Router],
    }
}

fn ingress_wanted(backend: &IngressServiceBackend) -> Wanted {
    match &backend.port {
        Some(p) if p.name.as_deref().is_some_and(|n| !n.is_empty()) => Wanted::Name(p.name.clone().unwrap_or_default()),
        Some(p) if p.number.is_some() => Wanted::Number(p.number.unwrap_or_default()),
        _ => Wanted::All,
    }
}

fn ingresses(b: &mut Builder<'_>) {
    let inv = b.inv;
    for o in inv.of_kind("Ingress") {
        let Resource::Ingress(ing) = &o.resource else { continue };
        let Some(spec) = ing.spec.as_ref() else { continue };
        let annotation = o.metadata().annotations.as_ref().and_then(|a| a.get("kubernetes.io/ingress.class"));
        let class = spec.ingress_class_name.as_deref().or(annotation);
        let known = ingress_controllers(inv, class);
        let forwarder = b.known_forwarder(&known);
        let object = b.object(o, class.map(|c| vec![format!("IngressClass {c}")]).unwrap_or_default());
        let ns = namespace_of(inv, o);
        let paths = spec.rules.iter().flatten().flat_map(|r| r.http.iter().flat_map(|h| h.paths.iter().map(|p| &p.backend)));
        for backend in spec.default_backend.iter().chain(paths) {
            // A resource backend (a bucket, say) reaches no pods.
            if let Some(svc) = &backend.service {
                b.service_backend(o, object, &[forwarder], ns, &svc.name, &ingress_wanted(svc));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// OpenShift Route

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RouteSpec {
    to: Option<RouteTarget>,
    #[serde(default)]
    alternate_backends: Vec<RouteTarget>,
    port: Option<RoutePort>,
}

#[derive(Debug, Deserialize)]
struct RouteTarget {
    #[serde(default)]
    kind: String,
    name: String,
    weight: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoutePort {
    target_port: Option<IntOrString>,
}

fn routes(b: &mut Builder<'_>) {
    let inv = b.inv;
    for o in inv.of_kind("Route").filter(|o| o.api_version == "route.openshift.io/v1") {
        let spec: RouteSpec = match spec_of(o) {
            Ok(s) => s,
            Err(e) => {
                b.warn(o, format!("ignored: {e}"));
                continue;
            }
        };
        let forwarder = b.known_forwarder(&[Known::Router]);
        let object = b.object(o, Vec::new());
        let ns = namespace_of(inv, o);
        let wanted = spec.port.and_then(|p| p.target_port).map_or(Wanted::All, Wanted::RouteTarget);
        for target in spec.to.iter().chain(&spec.alternate_backends) {
            if !target.kind.is_empty() && target.kind != "Service" {
                b.warn(o, format!("backend of kind {} ignored: only Services are resolved", target.kind));
            } else if target.weight != Some(0) {
                // Weight 0: the router sends this backend nothing.
                b.service_backend(o, object, &[forwarder], ns, &target.name, &wanted);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Gateway API

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GatewaySpec {
    #[serde(default)]
    listeners: Vec<Listener>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Listener {
    #[serde(default)]
    name: String,
    port: Option<i32>,
    #[serde(default)]
    protocol: String,
    allowed_routes: Option<AllowedRoutes>,
}

#[derive(Debug, Deserialize)]
struct AllowedRoutes {
    namespaces: Option<RouteNamespaces>,
    kinds: Option<Vec<RouteGroupKind>>,
}

#[derive(Debug, Deserialize)]
struct RouteNamespaces {
    from: Option<String>,
    selector: Option<LabelSelector>,
}

#[derive(Debug, Deserialize)]
struct RouteGroupKind {
    group: Option<String>,
    kind: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GatewayRouteSpec {
    #[serde(default)]
    parent_refs: Vec<ParentRef>,
    #[serde(default)]
    rules: Vec<GatewayRouteRule>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ParentRef {
    group: Option<String>,
    kind: Option<String>,
    namespace: Option<String>,
    name: String,
    section_name: Option<String>,
    port: Option<i32>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GatewayRouteRule {
    #[serde(default)]
    backend_refs: Vec<BackendRef>,
}

#[derive(Debug, Deserialize)]
struct BackendRef {
    group: Option<String>,
    kind: Option<String>,
    name: String,
    namespace: Option<String>,
    port: Option<i32>,
    weight: Option<i64>,
}

fn is_gateway_api(o: &Object) -> bool {
    o.api_version.split_once('/').is_some_and(|(g, v)| g == GATEWAY_GROUP && GATEWAY_VERSIONS.contains(&v))
}

/// Whether a listener admits a route of `kind` from namespace `route_ns` (labels
/// `route_ns_labels`): its `allowedRoutes` (namespaces `Same` by default; kinds by default
/// those of its protocol).
fn admits(l: &Listener, gw_ns: &str, kind: &str, route_ns: &str, route_ns_labels: &BTreeMap<String, String>) -> Result<bool, String> {
    let allowed = l.allowed_routes.as_ref();
    let namespaces_ok = match allowed.and_then(|a| a.namespaces.as_ref()) {
        None => route_ns == gw_ns,
        Some(n) => match n.from.as_deref().unwrap_or("Same") {
            "Same" => route_ns == gw_ns,
            "All" => true,
            "Selector" => {
                let sel = n.selector.as_ref().ok_or("listener allowedRoutes.namespaces.from: Selector without a selector")?;
                Selector::from_label_selector(sel).map_err(|e| e.to_string())?.matches(route_ns_labels)
            }
            other => return Err(format!("listener allowedRoutes.namespaces.from: unknown value {other:?}")),
        },
    };
    let kinds_ok = match allowed.and_then(|a| a.kinds.as_ref()) {
        Some(kinds) if !kinds.is_empty() => kinds.iter().any(|k| k.kind == kind && k.group.as_deref().unwrap_or(GATEWAY_GROUP) == GATEWAY_GROUP),
        _ => match l.protocol.as_str() {
            "HTTP" | "HTTPS" => matches!(kind, "HTTPRoute" | "GRPCRoute"),
            "TLS" => kind == "TLSRoute",
            "TCP" => kind == "TCPRoute",
            // Implementation-specific protocols: whatever the implementation says; assume yes.
            _ => true,
        },
    };
    Ok(namespaces_ok && kinds_ok)
}

fn gateway_routes(b: &mut Builder<'_>) {
    let inv = b.inv;
    for kind in ROUTE_KINDS {
        for o in inv.of_kind(kind).filter(|o| is_gateway_api(o)) {
            let spec: GatewayRouteSpec = match spec_of(o) {
                Ok(s) => s,
                Err(e) => {
                    b.warn(o, format!("ignored: {e}"));
                    continue;
                }
            };
            let route_ns = namespace_of(inv, o);
            let route_ns_labels = b.pods.namespace(route_ns).map(|i| b.pods.namespaces[i].labels.clone()).unwrap_or_default();
            // The Gateways the route is attached to, each with who forwards for it.
            let mut parents: Vec<(String, u32)> = Vec::new();
            for parent in &spec.parent_refs {
                // Other parents (a Service, for east-west mesh routing) are no way in.
                if parent.kind.as_deref().unwrap_or("Gateway") != "Gateway" || parent.group.as_deref().unwrap_or(GATEWAY_GROUP) != GATEWAY_GROUP {
                    continue;
                }
                let gw_ns = parent.namespace.as_deref().unwrap_or(route_ns);
                let gateway = inv.indices_of_kind_in("Gateway", gw_ns).iter().map(|&i| &inv.objects[i]).find(|g| g.name() == parent.name && is_gateway_api(g));
                if let Some(g) = gateway {
                    let gspec: GatewaySpec = match spec_of(g) {
                        Ok(s) => s,
                        Err(e) => {
                            b.warn(g, format!("ignored: {e}"));
                            continue;
                        }
                    };
                    let listeners = gspec.listeners.iter().filter(|l| parent.section_name.as_ref().is_none_or(|s| *s == l.name) && parent.port.is_none_or(|p| l.port == Some(p)));
                    let mut accepted = false;
                    for l in listeners {
                        match admits(l, gw_ns, kind, route_ns, &route_ns_labels) {
                            Ok(yes) => accepted |= yes,
                            Err(e) => b.warn(g, e),
                        }
                    }
                    if !accepted {
                        continue;
                    }
                }
                // A Gateway not in the input is assumed to exist and accept the route.
                let forwarder = b.gateway_forwarder(gw_ns, &parent.name);
                let name = format!("Gateway {gw_ns}/{}", parent.name);
                if !parents.iter().any(|(n, f)| *n == name && *f == forwarder) {
                    parents.push((name, forwarder));
                }
            }
            if parents.is_empty() {
                continue;
            }
            let mut through: Vec<String> = parents.iter().map(|(n, _)| n.clone()).collect();
            through.dedup();
            let mut forwarders: Vec<u32> = parents.iter().map(|&(_, f)| f).collect();
            forwarders.sort_unstable();
            forwarders.dedup();
            let object = b.object(o, through);
            for rule in &spec.rules {
                for backend in &rule.backend_refs {
                    if backend.group.as_deref().is_some_and(|g| !g.is_empty()) || backend.kind.as_deref().unwrap_or("Service") != "Service" {
                        b.warn(o, format!("backendRef {} of kind {} ignored: only Services are resolved", backend.name, backend.kind.as_deref().unwrap_or("Service")));
                        continue;
                    }
                    if backend.weight == Some(0) {
                        continue;
                    }
                    let Some(port) = backend.port else {
                        b.warn(o, format!("backendRef {} ignored: a Service backend needs a port", backend.name));
                        continue;
                    };
                    // Another namespace's Service needs a ReferenceGrant there; those are not
                    // collected, so the reference is taken as granted (the wider answer).
                    let ns = backend.namespace.as_deref().unwrap_or(route_ns);
                    b.service_backend(o, object, &forwarders, ns, &backend.name, &Wanted::Number(port));
                }
            }
        }
    }
}
