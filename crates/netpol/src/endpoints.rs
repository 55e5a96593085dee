//! Endpoints of the analysis: workloads (pods grouped by their top owner, as the inventory
//! resolves them) and the equivalence classes of pods that policies cannot tell apart (same
//! namespace, same labels, same named ports, same host networking). Each pod is classed by its
//! own labels, so the pods of one workload may fall into several classes (a rollout in
//! progress, hand-made pods under one owner); a controller without pods in the input is
//! classed by its pod template. Reachability is computed per class; a workload reports the
//! union over its classes.

use std::collections::BTreeMap;

use kubepci_inventory::Inventory;
use kubepci_model::{Labels, PodTemplate, Resource};
use kubepci_model::hash::FastMap;

use crate::policy::NamedPort;
use crate::ports::Protocol;

/// The label the apiserver puts on every namespace; selectors may rely on it.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

#[derive(Clone, Debug)]
pub struct NamespaceEntry {
    pub name: String,
    /// Declared labels plus `kubernetes.io/metadata.name`.
    pub labels: BTreeMap<String, String>,
}

/// Pods that every policy treats alike.
#[derive(Clone, Debug)]
pub struct PodClass {
    pub namespace: u32,
    pub labels: BTreeMap<String, String>,
    pub named_ports: Vec<NamedPort>,
    /// Pods in the host's network namespace are not subject to NetworkPolicy.
    pub host_network: bool,
}

/// A workload as reported: `namespace/name[Kind]`.
#[derive(Clone, Debug)]
pub struct WorkloadEndpoint {
    pub namespace: String,
    pub name: String,
    pub kind: String,
    /// Index in `Inventory::objects` of the object that names it (top owner, or first pod).
    pub object: usize,
    /// Indices in `Inventory::workloads()` grouped here.
    pub inventory_workloads: Vec<usize>,
    /// The classes of its pods, ascending and distinct (never empty). One unless its pods
    /// differ in labels, named ports or host networking.
    pub classes: Vec<u32>,
    /// Its Pod objects in the input with their classes, in input order; empty when it is
    /// classed by its pod template (a controller whose pods are not in the input).
    pub pods: Vec<PodMember>,
}

/// One Pod of a workload.
#[derive(Clone, Debug)]
pub struct PodMember {
    pub name: String,
    pub class: u32,
}

impl WorkloadEndpoint {
    /// The names of its pods in class `class` (none when classed by its template).
    pub fn pods_of(&self, class: u32) -> Vec<&str> {
        self.pods.iter().filter(|p| p.class == class).map(|p| p.name.as_str()).collect()
    }

    pub fn display(&self) -> String {
        // Built directly (not with `format!`): checks name thousands of endpoints per scan.
        let mut s = String::with_capacity(self.namespace.len() + self.name.len() + self.kind.len() + 3);
        s.push_str(&self.namespace);
        s.push('/');
        s.push_str(&self.name);
        s.push('[');
        s.push_str(&self.kind);
        s.push(']');
        s
    }
}

pub(crate) struct Topology {
    pub namespaces: Vec<NamespaceEntry>,
    pub classes: Vec<PodClass>,
    pub workloads: Vec<WorkloadEndpoint>,
    pub classes_by_namespace: Vec<Vec<u32>>,
}

/// Name and kind a workload is reported under. A pod whose controller is not in the input is
/// reported as that controller (`ns/rs-name[ReplicaSet]`), as pods of one owner belong together.
fn report_identity(inv: &Inventory, object: usize) -> (&str, &str) {
    let o = &inv.objects[object];
    if let Resource::Pod(p) = &o.resource
        && let Some(owner) = p.metadata.owner_references.iter().flatten().find(|r| r.controller == Some(true) && r.kind != "Node")
    {
        let kind = if owner.kind.is_empty() { "Pod" } else { owner.kind.as_str() };
        return (owner.name.as_str(), kind);
    }
    (o.name(), o.kind())
}

/// What makes two pods indistinguishable to policies, borrowed from the inventory (copied
/// only when it starts a new class): namespace, labels, named ports (name, protocol, port,
/// sorted), host networking.
type ClassKey<'a> = (u32, &'a Labels, Vec<(&'a str, Protocol, u16)>, bool);

pub(crate) fn build_topology(inv: &Inventory) -> Topology {
    let mut namespaces = Vec::new();
    let mut ns_index: FastMap<&str, u32> = FastMap::default();
    for ns in inv.namespaces() {
        let mut labels = ns.labels.clone();
        labels.entry(NAMESPACE_NAME_LABEL.to_string()).or_insert_with(|| ns.name.clone());
        ns_index.insert(ns.name.as_str(), namespaces.len() as u32);
        namespaces.push(NamespaceEntry { name: ns.name.clone(), labels });
    }
    let mut classes = Classes { classes: Vec::new(), index: FastMap::with_capacity_and_hasher(inv.workloads().len(), Default::default()) };
    let mut workloads: Vec<WorkloadEndpoint> = Vec::with_capacity(inv.workloads().len());
    let mut by_identity: FastMap<(&str, &str, &str), usize> = FastMap::with_capacity_and_hasher(inv.workloads().len(), Default::default());
    for (wi, w) in inv.workloads().iter().enumerate() {
        let Some(template) = inv.pod_template(w) else { continue };
        let o = &inv.objects[w.object];
        let ns_name = o.namespace().unwrap_or("default");
        let ns = match ns_index.get(ns_name) {
            Some(&i) => i,
            None => {
                let i = namespaces.len() as u32;
                let labels = BTreeMap::from([(NAMESPACE_NAME_LABEL.to_string(), ns_name.to_string())]);
                namespaces.push(NamespaceEntry { name: ns_name.to_string(), labels });
                ns_index.insert(ns_name, i);
                i
            }
        };
        // Each Pod in the input by its own labels; a controller without Pods by its template.
        let mut pods: Vec<PodMember> = Vec::new();
        for &m in std::iter::once(&w.object).chain(&w.members) {
            let pod = &inv.objects[m];
            if let Resource::Pod(_) = &pod.resource
                && let Some(t) = pod.pod_template()
            {
                pods.push(PodMember { name: pod.name().to_string(), class: classes.of(ns, &t) });
            }
        }
        let mut own: Vec<u32> = if pods.is_empty() { vec![classes.of(ns, &template)] } else { pods.iter().map(|p| p.class).collect() };
        let (name, kind) = report_identity(inv, w.object);
        if let Some(&existing) = by_identity.get(&(ns_name, name, kind)) {
            // Another pod of the same (absent) owner: one workload with the pods of both.
            let existing: &mut WorkloadEndpoint = &mut workloads[existing];
            existing.inventory_workloads.push(wi);
            existing.classes.append(&mut own);
            existing.classes.sort_unstable();
            existing.classes.dedup();
            existing.pods.append(&mut pods);
            continue;
        }
        own.sort_unstable();
        own.dedup();
        by_identity.insert((ns_name, name, kind), workloads.len());
        let endpoint = WorkloadEndpoint { namespace: ns_name.to_string(), name: name.to_string(), kind: kind.to_string(), object: w.object, inventory_workloads: vec![wi], classes: own, pods };
        workloads.push(endpoint);
    }
    workloads.sort_by_cached_key(WorkloadEndpoint::display);
    let classes = classes.classes;
    let mut classes_by_namespace = vec![Vec::new(); namespaces.len()];
    for (i, c) in classes.iter().enumerate() {
        classes_by_namespace[c.namespace as usize].push(i as u32);
    }
    Topology { namespaces, classes, workloads, classes_by_namespace }
}

/// The classes met so far, found by what tells pods apart.
struct Classes<'a> {
    classes: Vec<PodClass>,
    index: FastMap<ClassKey<'a>, u32>,
}

impl<'a> Classes<'a> {
    /// The class of a pod (or pod template) in namespace `ns`.
    fn of(&mut self, ns: u32, pod: &PodTemplate<'a>) -> u32 {
        let next = self.classes.len() as u32;
        let classes = &mut self.classes;
        *self.index.entry(class_key(ns, pod)).or_insert_with_key(|(_, labels, ports, host_network)| {
            let named_ports = ports.iter().map(|&(name, protocol, port)| NamedPort { name: name.to_string(), protocol, port }).collect();
            classes.push(PodClass { namespace: ns, labels: labels.to_btree(), named_ports, host_network: *host_network });
            next
        })
    }
}

/// What tells a pod (or pod template) in namespace `ns` apart from others (see [`ClassKey`]).
fn class_key<'a>(ns: u32, pod: &PodTemplate<'a>) -> ClassKey<'a> {
    let labels = pod.metadata.labels.as_ref().unwrap_or(Labels::empty());
    let mut named_ports: Vec<(&str, Protocol, u16)> = pod
        .spec
        .containers
        .iter()
        .flat_map(|c| c.ports.iter().flatten())
        .filter_map(|p| {
            let name = p.name.as_deref().filter(|n| !n.is_empty())?;
            let protocol = Protocol::parse(p.protocol.as_deref().unwrap_or("TCP"))?;
            let port = u16::try_from(p.container_port).ok().filter(|&n| n >= 1)?;
            Some((name, protocol, port))
        })
        .collect();
    named_ports.sort_unstable();
    (ns, labels, named_ports, pod.spec.host_network == Some(true))
}

impl PodClass {
    /// Whether a pod (or pod template) with `key` falls into this class.
    fn holds(&self, key: &ClassKey<'_>) -> bool {
        let (ns, labels, ports, host_network) = key;
        self.namespace == *ns
            && self.host_network == *host_network
            && **labels == self.labels
            && self.named_ports.len() == ports.len()
            && self.named_ports.iter().zip(ports).all(|(a, &(name, protocol, port))| a.name == name && a.protocol == protocol && a.port == port)
    }
}

/// The pods of workload endpoint `ep` and its classes, found again in `inv` among the existing
/// pod `classes` (as classed, before the host network exemption is waived; without the
/// assumed ingress controller's, which is no pod's), as
/// [`build_topology`] classes them; `None` when a pod or a template falls into none of them,
/// or a workload is gone. `namespace` is the endpoint's namespace number.
pub(crate) fn reclass(inv: &Inventory, ep: &WorkloadEndpoint, namespace: u32, classes: &[PodClass]) -> Option<(Vec<PodMember>, Vec<u32>)> {
    let find = |key: &ClassKey<'_>| classes.iter().position(|c| c.holds(key)).map(|c| c as u32);
    let mut pods: Vec<PodMember> = Vec::new();
    let mut own: Vec<u32> = Vec::new();
    for &wi in &ep.inventory_workloads {
        let w = inv.workloads().get(wi)?;
        let template = inv.pod_template(w)?;
        let first = pods.len();
        for &m in std::iter::once(&w.object).chain(&w.members) {
            let pod = inv.objects.get(m)?;
            if let Resource::Pod(_) = &pod.resource
                && let Some(t) = pod.pod_template()
            {
                pods.push(PodMember { name: pod.name().to_string(), class: find(&class_key(namespace, &t))? });
            }
        }
        if pods.len() == first {
            own.push(find(&class_key(namespace, &template))?);
        } else {
            own.extend(pods[first..].iter().map(|p| p.class));
        }
    }
    own.sort_unstable();
    own.dedup();
    Some((pods, own))
}
