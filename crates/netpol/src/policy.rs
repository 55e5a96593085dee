//! Policies compiled into one shape: NetworkPolicy (networking.k8s.io/v1), AdminNetworkPolicy
//! and BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1). A policy has a subject
//! (which pods it applies to) and, per direction, an ordered list of rules, each with an
//! action, peers and ports. Compilation validates selectors and CIDRs once so that evaluation
//! never fails.

use std::collections::BTreeMap;
use std::fmt;

use kubepci_model::k8s_openapi::api::networking::v1::{NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec};
use kubepci_model::kinds::NetworkPolicy;
use kubepci_model::k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kubepci_model::k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kubepci_model::selector::Selector;
use kubepci_model::{Object, Resource, SourceLoc};
use serde::{Deserialize, Serialize};

use crate::ipblocks::{CidrError, IpSet};
use crate::ports::{ConnSet, PortSet, Protocol};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum PolicyKind {
    AdminNetworkPolicy,
    NetworkPolicy,
    BaselineAdminNetworkPolicy,
}

impl PolicyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::AdminNetworkPolicy => "AdminNetworkPolicy",
            PolicyKind::NetworkPolicy => "NetworkPolicy",
            PolicyKind::BaselineAdminNetworkPolicy => "BaselineAdminNetworkPolicy",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Ingress,
    Egress,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Action {
    Allow,
    Deny,
    Pass,
}

/// Which namespaces a subject or peer covers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NamespaceMatch {
    /// Exactly this namespace (a NetworkPolicy's own namespace).
    Named(String),
    Selector(Selector),
}

impl NamespaceMatch {
    pub fn matches(&self, name: &str, labels: &BTreeMap<String, String>) -> bool {
        match self {
            NamespaceMatch::Named(n) => n == name,
            NamespaceMatch::Selector(s) => s.matches(labels),
        }
    }
}

/// Pods selected by a namespace match and a pod selector.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PodMatch {
    pub namespaces: NamespaceMatch,
    pub pods: Selector,
}

impl PodMatch {
    pub fn matches(&self, ns: &str, ns_labels: &BTreeMap<String, String>, pod_labels: &BTreeMap<String, String>) -> bool {
        self.namespaces.matches(ns, ns_labels) && self.pods.matches(pod_labels)
    }
}

#[derive(Clone, Debug)]
pub enum Peer {
    Pods(PodMatch),
    /// IPv4 addresses (ipBlock minus except, or ANP networks).
    Ips(IpSet),
    /// ANP `nodes` peers: nodes are not endpoints in this model, so these match nothing.
    Nodes,
}

#[derive(Clone, Debug)]
pub enum Peers {
    /// A NetworkPolicy rule without `from`/`to`: every source/destination, pods and IPs.
    Any,
    List(Vec<Peer>),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PortSpec {
    /// Numbered ports of one protocol (`port`+`endPort`, or all ports when `port` is absent).
    Numbers(Protocol, PortSet),
    /// A container port name, resolved on the destination pod; `None` protocol (ANP) takes
    /// the container port's protocol.
    Named(Option<Protocol>, String),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ports {
    Any,
    List(Vec<PortSpec>),
}

impl Ports {
    pub fn has_named(&self) -> bool {
        matches!(self, Ports::List(l) if l.iter().any(|p| matches!(p, PortSpec::Named(..))))
    }

    /// The connections these ports allow towards a destination with the given named ports
    /// (`None` for an external destination, where names never resolve).
    pub fn resolve(&self, dst_named_ports: Option<&[NamedPort]>) -> ConnSet {
        let list = match self {
            Ports::Any => return ConnSet::all(),
            Ports::List(l) => l,
        };
        let mut out = ConnSet::none();
        for spec in list {
            match spec {
                PortSpec::Numbers(proto, set) => out = out.union(&ConnSet::of(*proto, set.clone())),
                PortSpec::Named(proto, name) => {
                    let found = dst_named_ports.unwrap_or(&[]).iter().find(|p| &p.name == name && proto.is_none_or(|want| want == p.protocol));
                    if let Some(p) = found {
                        out = out.union(&ConnSet::of(p.protocol, PortSet::single(p.port)));
                    }
                }
            }
        }
        out
    }
}

/// A named container port of a pod.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NamedPort {
    pub name: String,
    pub protocol: Protocol,
    pub port: u16,
}

#[derive(Clone, Debug)]
pub struct Rule {
    /// Position in the policy's `ingress`/`egress` list (0-based).
    pub index: usize,
    /// ANP/BANP rule name.
    pub name: Option<String>,
    pub action: Action,
    pub peers: Peers,
    pub ports: Ports,
}

#[derive(Clone, Debug)]
pub struct Policy {
    pub kind: PolicyKind,
    pub namespace: Option<String>,
    pub name: String,
    pub loc: SourceLoc,
    /// ANP priority (lower wins); 0 for other kinds.
    pub priority: i32,
    pub subject: PodMatch,
    /// `Some` when the policy applies to this direction (for NetworkPolicy: isolates it).
    pub ingress: Option<Vec<Rule>>,
    pub egress: Option<Vec<Rule>>,
}

impl Policy {
    /// `ns/name` for namespaced policies, `name` otherwise.
    pub fn display_name(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}/{}", self.name),
            None => self.name.clone(),
        }
    }

    pub fn rules(&self, direction: Direction) -> Option<&[Rule]> {
        match direction {
            Direction::Ingress => self.ingress.as_deref(),
            Direction::Egress => self.egress.as_deref(),
        }
    }
}

/// A problem with one policy; the policy (or the broken part) is left out of the analysis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyWarning {
    pub loc: SourceLoc,
    pub message: String,
}

impl fmt::Display for PolicyWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.loc, self.message)
    }
}

fn selector(sel: &LabelSelector) -> Result<Selector, String> {
    Selector::from_label_selector(sel).map_err(|e| e.to_string())
}

fn parse_ips(cidr: &str, except: &[String]) -> Result<Option<IpSet>, String> {
    let base = match IpSet::from_cidr(cidr) {
        Ok(s) => s,
        Err(CidrError::Ipv6) => return Ok(None),
        Err(CidrError::Invalid(m)) => return Err(m),
    };
    let mut holes = IpSet::empty();
    for e in except {
        match IpSet::from_cidr(e) {
            Ok(s) => holes = holes.union(&s),
            Err(CidrError::Ipv6) => {}
            Err(CidrError::Invalid(m)) => return Err(m),
        }
    }
    Ok(Some(base.subtract(&holes)))
}

/// A NetworkPolicy rule as written: its peers (`from`/`to`) and ports.
type RawRule<'a> = (Option<&'a [NetworkPolicyPeer]>, Option<&'a [NetworkPolicyPort]>);

/// Compile a NetworkPolicy object.
pub fn compile_network_policy(obj: &Object, np: &NetworkPolicy) -> Result<Policy, String> {
    let namespace = obj.namespace().unwrap_or("default").to_string();
    // Read in place (no copy of the spec): policies are compiled for every scan.
    let no_spec;
    let spec = match &np.spec {
        Some(spec) => spec,
        None => {
            no_spec = NetworkPolicySpec::default();
            &no_spec
        }
    };
    let subject = PodMatch {
        namespaces: NamespaceMatch::Named(namespace.clone()),
        pods: match &spec.pod_selector {
            Some(sel) => selector(sel)?,
            None => selector(&LabelSelector::default())?,
        },
    };
    let (affects_ingress, affects_egress) = match &spec.policy_types {
        Some(types) if !types.is_empty() => {
            for t in types {
                if t != "Ingress" && t != "Egress" {
                    return Err(format!("unknown policyType {t:?}"));
                }
            }
            (types.iter().any(|t| t == "Ingress"), types.iter().any(|t| t == "Egress"))
        }
        _ => (true, spec.egress.as_ref().is_some_and(|e| !e.is_empty())),
    };
    let compile_rules = |rules: &mut dyn Iterator<Item = RawRule<'_>>| -> Result<Vec<Rule>, String> {
        rules
            .enumerate()
            .map(|(index, (peers, ports))| {
                Ok(Rule { index, name: None, action: Action::Allow, peers: np_peers(&namespace, peers)?, ports: np_ports(ports)? })
            })
            .collect()
    };
    let ingress = if affects_ingress {
        Some(compile_rules(&mut spec.ingress.iter().flatten().map(|r| (r.from.as_deref(), r.ports.as_deref())))?)
    } else {
        None
    };
    let egress = if affects_egress {
        Some(compile_rules(&mut spec.egress.iter().flatten().map(|r| (r.to.as_deref(), r.ports.as_deref())))?)
    } else {
        None
    };
    Ok(Policy { kind: PolicyKind::NetworkPolicy, namespace: Some(namespace), name: obj.name().to_string(), loc: obj.loc.clone(), priority: 0, subject, ingress, egress })
}

fn np_peers(policy_ns: &str, peers: Option<&[NetworkPolicyPeer]>) -> Result<Peers, String> {
    let peers = match peers {
        None | Some([]) => return Ok(Peers::Any),
        Some(p) => p,
    };
    let mut out = Vec::new();
    for peer in peers {
        if let Some(block) = &peer.ip_block {
            if let Some(ips) = parse_ips(&block.cidr, block.except.as_deref().unwrap_or(&[]))? {
                out.push(Peer::Ips(ips));
            }
            continue;
        }
        let namespaces = match &peer.namespace_selector {
            Some(sel) => NamespaceMatch::Selector(selector(sel)?),
            None => NamespaceMatch::Named(policy_ns.to_string()),
        };
        let pods = match &peer.pod_selector {
            Some(sel) => selector(sel)?,
            None if peer.namespace_selector.is_some() => Selector::everything(),
            None => return Err("a peer must set podSelector, namespaceSelector or ipBlock".into()),
        };
        out.push(Peer::Pods(PodMatch { namespaces, pods }));
    }
    Ok(Peers::List(out))
}

fn np_ports(ports: Option<&[NetworkPolicyPort]>) -> Result<Ports, String> {
    let ports = match ports {
        None | Some([]) => return Ok(Ports::Any),
        Some(p) => p,
    };
    let mut out = Vec::new();
    for p in ports {
        let proto_name = p.protocol.as_deref().unwrap_or("TCP");
        let proto = Protocol::parse(proto_name).ok_or_else(|| format!("unsupported protocol {proto_name:?}"))?;
        let spec = match &p.port {
            None => PortSpec::Numbers(proto, PortSet::all()),
            Some(IntOrString::Int(n)) => number_range(proto, i64::from(*n), p.end_port.map(i64::from))?,
            Some(IntOrString::String(s)) => match s.parse::<i64>() {
                Ok(n) => number_range(proto, n, p.end_port.map(i64::from))?,
                Err(_) => PortSpec::Named(Some(proto), s.clone()),
            },
        };
        out.push(spec);
    }
    Ok(Ports::List(out))
}

fn port_number(n: i64) -> Result<u16, String> {
    u16::try_from(n).ok().filter(|&p| p >= 1).ok_or_else(|| format!("port {n} is outside 1-65535"))
}

fn number_range(proto: Protocol, start: i64, end: Option<i64>) -> Result<PortSpec, String> {
    let start = port_number(start)?;
    let end = match end {
        Some(e) => port_number(e)?,
        None => start,
    };
    if end < start {
        return Err(format!("endPort {end} is below port {start}"));
    }
    Ok(PortSpec::Numbers(proto, PortSet::range(start, end)))
}

// ---- AdminNetworkPolicy / BaselineAdminNetworkPolicy (v1alpha1) ----

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AdminSpec {
    priority: Option<i32>,
    subject: Option<AdminSubject>,
    #[serde(default)]
    ingress: Vec<AdminRule>,
    #[serde(default)]
    egress: Vec<AdminRule>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AdminSubject {
    namespaces: Option<LabelSelector>,
    pods: Option<AdminPods>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AdminPods {
    #[serde(default)]
    namespace_selector: LabelSelector,
    #[serde(default)]
    pod_selector: LabelSelector,
}

/// One rule; ingress rules use `from`, egress rules `to`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AdminRule {
    name: Option<String>,
    action: String,
    #[serde(default)]
    from: Vec<AdminPeer>,
    #[serde(default)]
    to: Vec<AdminPeer>,
    ports: Option<Vec<AdminPort>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AdminPeer {
    namespaces: Option<LabelSelector>,
    pods: Option<AdminPods>,
    nodes: Option<LabelSelector>,
    networks: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AdminPort {
    port_number: Option<AdminPortNumber>,
    named_port: Option<String>,
    port_range: Option<AdminPortRange>,
}

#[derive(Deserialize)]
struct AdminPortNumber {
    protocol: Option<String>,
    port: i64,
}

#[derive(Deserialize)]
struct AdminPortRange {
    protocol: Option<String>,
    start: i64,
    end: i64,
}

fn admin_pod_match(namespaces: Option<&LabelSelector>, pods: Option<&AdminPods>) -> Result<Option<PodMatch>, String> {
    if let Some(ns) = namespaces {
        return Ok(Some(PodMatch { namespaces: NamespaceMatch::Selector(selector(ns)?), pods: Selector::everything() }));
    }
    if let Some(p) = pods {
        return Ok(Some(PodMatch { namespaces: NamespaceMatch::Selector(selector(&p.namespace_selector)?), pods: selector(&p.pod_selector)? }));
    }
    Ok(None)
}

fn admin_protocol(p: Option<&str>) -> Result<Protocol, String> {
    let name = p.unwrap_or("TCP");
    Protocol::parse(name).ok_or_else(|| format!("unsupported protocol {name:?}"))
}

fn admin_rule(index: usize, rule: AdminRule, direction: Direction, baseline: bool) -> Result<Rule, String> {
    let action = match (rule.action.as_str(), baseline) {
        ("Allow", _) => Action::Allow,
        ("Deny", _) => Action::Deny,
        ("Pass", false) => Action::Pass,
        (other, _) => return Err(format!("rule {index}: unsupported action {other:?}")),
    };
    let raw_peers = match direction {
        Direction::Ingress => rule.from,
        Direction::Egress => rule.to,
    };
    let mut peers = Vec::new();
    for peer in raw_peers {
        if let Some(m) = admin_pod_match(peer.namespaces.as_ref(), peer.pods.as_ref())? {
            peers.push(Peer::Pods(m));
        } else if let Some(networks) = peer.networks.filter(|_| direction == Direction::Egress) {
            let mut ips = IpSet::empty();
            for n in &networks {
                if let Some(s) = parse_ips(n, &[])? {
                    ips = ips.union(&s);
                }
            }
            peers.push(Peer::Ips(ips));
        } else if peer.nodes.is_some() && direction == Direction::Egress {
            peers.push(Peer::Nodes);
        } else {
            return Err(format!("rule {index}: a peer must set namespaces, pods, nodes or networks"));
        }
    }
    let ports = match rule.ports {
        None => Ports::Any,
        Some(list) => {
            let mut out = Vec::new();
            for p in list {
                if let Some(n) = p.port_number {
                    out.push(number_range(admin_protocol(n.protocol.as_deref())?, n.port, None)?);
                } else if let Some(name) = p.named_port {
                    out.push(PortSpec::Named(None, name));
                } else if let Some(r) = p.port_range {
                    out.push(number_range(admin_protocol(r.protocol.as_deref())?, r.start, Some(r.end))?);
                }
            }
            Ports::List(out)
        }
    };
    Ok(Rule { index, name: rule.name, action, peers: Peers::List(peers), ports })
}

/// Compile an AdminNetworkPolicy or BaselineAdminNetworkPolicy (generic objects).
pub fn compile_admin_policy(obj: &Object) -> Result<Policy, String> {
    let Resource::Generic(g) = &obj.resource else { return Err("not an admin network policy".into()) };
    let baseline = match g.kind.as_str() {
        "AdminNetworkPolicy" => false,
        "BaselineAdminNetworkPolicy" => true,
        other => return Err(format!("unexpected kind {other}")),
    };
    let spec_value = g.body.get("spec").cloned().unwrap_or(serde_json::Value::Null);
    let spec: AdminSpec = if spec_value.is_null() {
        AdminSpec::default()
    } else {
        serde_path_to_error_free(spec_value)?
    };
    let subject = spec
        .subject
        .as_ref()
        .map(|s| admin_pod_match(s.namespaces.as_ref(), s.pods.as_ref()))
        .transpose()?
        .flatten()
        .ok_or("spec.subject must set namespaces or pods")?;
    let ingress = spec.ingress.into_iter().enumerate().map(|(i, r)| admin_rule(i, r, Direction::Ingress, baseline)).collect::<Result<Vec<_>, _>>()?;
    let egress = spec.egress.into_iter().enumerate().map(|(i, r)| admin_rule(i, r, Direction::Egress, baseline)).collect::<Result<Vec<_>, _>>()?;
    Ok(Policy {
        kind: if baseline { PolicyKind::BaselineAdminNetworkPolicy } else { PolicyKind::AdminNetworkPolicy },
        namespace: None,
        name: obj.name().to_string(),
        loc: obj.loc.clone(),
        priority: if baseline { 0 } else { spec.priority.unwrap_or(0) },
        subject,
        ingress: Some(ingress),
        egress: Some(egress),
    })
}

fn serde_path_to_error_free(v: serde_json::Value) -> Result<AdminSpec, String> {
    serde_json::from_value(v).map_err(|e| format!("spec: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubepci_model::decode_value;
    use serde_json::json;

    fn obj(v: serde_json::Value) -> Object {
        decode_value(v, SourceLoc::new("p.yaml", 1, 1)).unwrap()
    }

    fn np(spec: serde_json::Value) -> Policy {
        let o = obj(json!({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"p","namespace":"a"},"spec":spec}));
        let Resource::NetworkPolicy(n) = &o.resource else { panic!() };
        compile_network_policy(&o, n).unwrap()
    }

    #[test]
    fn policy_types_inferred() {
        let p = np(json!({"podSelector":{}}));
        assert!(p.ingress.as_ref().is_some_and(Vec::is_empty));
        assert!(p.egress.is_none());
        let p = np(json!({"podSelector":{},"egress":[{}]}));
        assert!(p.ingress.is_some() && p.egress.is_some());
        let p = np(json!({"podSelector":{},"policyTypes":["Egress"],"ingress":[{}]}));
        assert!(p.ingress.is_none() && p.egress.as_ref().is_some_and(Vec::is_empty));
    }

    #[test]
    fn empty_from_and_ports_mean_any() {
        let p = np(json!({"podSelector":{},"ingress":[{"from":[],"ports":[]}]}));
        let r = &p.ingress.unwrap()[0];
        assert!(matches!(r.peers, Peers::Any));
        assert_eq!(r.ports, Ports::Any);
    }

    #[test]
    fn ports_resolve() {
        let p = np(json!({"podSelector":{},"ingress":[{"ports":[{"port":80},{"port":"http"},{"protocol":"UDP","port":1000,"endPort":1010},{"protocol":"SCTP"}]}]}));
        let r = &p.ingress.unwrap()[0];
        let named = [NamedPort { name: "http".into(), protocol: Protocol::Tcp, port: 8080 }];
        assert_eq!(r.ports.resolve(Some(&named)).to_string(), "SCTP 1-65535,TCP 80,8080,UDP 1000-1010");
        assert_eq!(r.ports.resolve(None).to_string(), "SCTP 1-65535,TCP 80,UDP 1000-1010");
    }

    #[test]
    fn ip_block_with_except() {
        let p = np(json!({"podSelector":{},"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["10.1.0.0/16"]}}]}]}));
        let Peers::List(peers) = &p.ingress.unwrap()[0].peers else { panic!() };
        let Peer::Ips(ips) = &peers[0] else { panic!() };
        assert_eq!(ips.to_string(), "10.0.0.0-10.0.255.255,10.2.0.0-10.255.255.255");
    }

    #[test]
    fn admin_policy() {
        let o = obj(json!({"apiVersion":"policy.networking.k8s.io/v1alpha1","kind":"AdminNetworkPolicy","metadata":{"name":"a"},
            "spec":{"priority":5,"subject":{"namespaces":{}},
                "ingress":[{"name":"r","action":"Pass","from":[{"pods":{"namespaceSelector":{},"podSelector":{"matchLabels":{"x":"y"}}}}],"ports":[{"namedPort":"http"},{"portRange":{"protocol":"UDP","start":1,"end":9}}]}],
                "egress":[{"action":"Deny","to":[{"networks":["0.0.0.0/0","::/0"]}]}]}}));
        let p = compile_admin_policy(&o).unwrap();
        assert_eq!(p.priority, 5);
        assert_eq!(p.ingress.as_ref().unwrap()[0].action, Action::Pass);
        let Peers::List(peers) = &p.egress.as_ref().unwrap()[0].peers else { panic!() };
        assert!(matches!(&peers[0], Peer::Ips(s) if s.is_all()));
        let bad = obj(json!({"apiVersion":"policy.networking.k8s.io/v1alpha1","kind":"BaselineAdminNetworkPolicy","metadata":{"name":"default"},
            "spec":{"subject":{"namespaces":{}},"ingress":[{"action":"Pass","from":[{"namespaces":{}}]}]}}));
        assert!(compile_admin_policy(&bad).is_err());
    }
}
