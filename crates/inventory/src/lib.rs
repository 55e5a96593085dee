//! Inventory: the objects of one assessment, indexed by kind, namespace and name, with
//! workloads resolved to their top owner and every namespace and workload classified into a
//! PCI DSS scope. Built once from the source stage's objects; read by every analysis.

pub mod config;
pub mod scope;
mod overlay;

use std::collections::BTreeMap;

use rayon::prelude::*;

use kubepci_model::hash::FastMap;
use kubepci_model::selector::Selector;
use kubepci_model::{Labels, Object, PodTemplate, Resource};

pub use config::Config;
pub use scope::{NamespaceClassifier, SCOPE_LABEL, Scope, ScopeDecision};

/// Kinds that live outside namespaces (typed ones, plus well-known generic ones).
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace", "Node", "ClusterRole", "ClusterRoleBinding", "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration", "PersistentVolume", "StorageClass", "CustomResourceDefinition",
    "PriorityClass", "IngressClass", "RuntimeClass", "CSIDriver", "APIService",
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "AdminNetworkPolicy",
    "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy", "CertificateSigningRequest",
    "PodSecurityPolicy", "ClusterIssuer", "ClusterPolicy", "ClusterVulnerabilityReport", "ClusterImagePolicy",
];

/// A namespace seen in the input, declared or only referenced.
#[derive(Clone, Debug)]
pub struct NamespaceInfo {
    pub name: String,
    /// The Namespace object, when the input contains it.
    pub object: Option<usize>,
    /// The Namespace object, or else the first object in the namespace: where a finding about
    /// the namespace points, so that it has a file and line.
    pub reported_at: usize,
    pub labels: BTreeMap<String, String>,
    pub scope: ScopeDecision,
}

impl NamespaceInfo {
    /// A namespace the input declares with a Namespace object (at `at`), classified.
    fn declared(object: &Object, at: usize, classifier: &NamespaceClassifier) -> NamespaceInfo {
        NamespaceInfo::classified(object.name(), Some(at), at, object.labels().to_btree(), classifier)
    }

    /// A namespace only objects name, reported at its first object `first`, classified.
    fn referenced(name: &str, first: usize, classifier: &NamespaceClassifier) -> NamespaceInfo {
        NamespaceInfo::classified(name, None, first, BTreeMap::new(), classifier)
    }

    fn classified(name: &str, object: Option<usize>, reported_at: usize, labels: BTreeMap<String, String>, classifier: &NamespaceClassifier) -> NamespaceInfo {
        let scope = classifier.classify(name, &labels);
        NamespaceInfo { name: name.to_string(), object, reported_at, labels, scope }
    }
}

/// Something that runs pods, reported once at its top owner: a Deployment, not its ReplicaSets
/// and Pods; a bare Pod when nothing owns it (or its owner is not in the input).
#[derive(Clone, Debug)]
pub struct Workload {
    /// Index of the top owner in [`Inventory::objects`].
    pub object: usize,
    /// Pods (and intermediate controllers) in the input that run under this workload.
    pub members: Vec<usize>,
    pub scope: ScopeDecision,
}

pub struct Inventory {
    pub objects: Vec<Object>,
    pub config: Config,
    by_kind: KindIndex,
    /// kind → namespace ("" when cluster-scoped) → name → index: looked up without allocating.
    by_name: NameIndex,
    /// kind → namespace → indices, ascending (duplicates kept).
    by_kind_namespace: KindNamespaceIndex,
    namespaces: BTreeMap<String, NamespaceInfo>,
    workloads: Vec<Workload>,
    /// For each object, the index of the workload it runs as.
    workload_by_object: Vec<Option<u32>>,
    /// Workload indices per namespace, so selector lookups stay within one namespace.
    workloads_by_namespace: FastMap<String, Vec<usize>>,
    /// Every object's scope ([`Self::object_scope`]); checks ask for it per object.
    object_scopes: Vec<Scope>,
    /// namespace → pod-template label key → value → workload indices (ascending): Service
    /// selectors are equality maps, so a lookup starts from the rarest of its pairs instead
    /// of matching every workload of the namespace.
    workloads_by_label: FastMap<String, FastMap<String, FastMap<String, Vec<usize>>>>,
}

impl Inventory {
    pub fn build(mut objects: Vec<Object>, config: Config) -> Inventory {
        let default_ns = config.default_namespace().to_string();
        // In parallel, as every pass over all objects here: each reads a large object
        // scattered in memory, and a million of them take a core for a good part of a second.
        objects.par_iter_mut().for_each(|o| {
            if o.namespace().is_none_or(str::is_empty) && is_namespaced(&o.resource) {
                set_namespace(&mut o.resource, &default_ns);
            }
        });
        let by_kind = index_by_kind(&objects);
        let (by_kind_namespace, by_name) = index_by_namespace_and_name(&objects, &by_kind);
        let mut inv = Inventory { objects, config, by_kind, by_name, by_kind_namespace, namespaces: BTreeMap::new(), workloads: Vec::new(), workload_by_object: Vec::new(), workloads_by_namespace: FastMap::default(), object_scopes: Vec::new(), workloads_by_label: FastMap::default() };
        inv.namespaces = inv.collect_namespaces();
        inv.workloads = inv.collect_workloads();
        inv.workload_by_object = vec![None; inv.objects.len()];
        for (wi, w) in inv.workloads.iter().enumerate() {
            for &i in std::iter::once(&w.object).chain(&w.members) {
                inv.workload_by_object[i] = Some(wi as u32);
            }
            let ns = inv.objects[w.object].namespace().unwrap_or("").to_string();
            inv.workloads_by_namespace.entry(ns).or_default().push(wi);
        }
        inv.object_scopes = (0..inv.objects.len()).into_par_iter().map(|i| inv.decide_object_scope(i)).collect();
        for (wi, w) in inv.workloads.iter().enumerate() {
            let o = &inv.objects[w.object];
            let Some(labels) = o.pod_template().and_then(|t| t.metadata.labels.as_ref()) else { continue };
            let by_label = inv.workloads_by_label.entry(o.namespace().unwrap_or("").to_string()).or_default();
            for (k, v) in labels {
                by_label.entry(k.to_string()).or_default().entry(v.to_string()).or_default().push(wi);
            }
        }
        inv
    }

    /// Give the objects and the configuration back (to rebuild after objects were added or
    /// removed).
    pub fn into_parts(self) -> (Vec<Object>, Config) {
        (self.objects, self.config)
    }

    /// An object as [`Inventory::build`] would hold it: a namespaced object without a
    /// namespace is in the configuration's default namespace.
    pub fn adopt(&self, mut object: Object) -> Object {
        if object.namespace().is_none_or(str::is_empty) && is_namespaced(&object.resource) {
            set_namespace(&mut object.resource, self.config.default_namespace());
        }
        object
    }

    /// The index of the object of `kind` named `name` in `namespace` (`None` or `""` when
    /// cluster-scoped): the first one, when the input holds duplicates.
    pub fn position(&self, kind: &str, namespace: Option<&str>, name: &str) -> Option<usize> {
        self.index_of(kind, namespace.unwrap_or(""), name)
    }

    /// Replace the object at `index` by `object` without rebuilding, when every index, owner
    /// link and scope decision stays what [`Inventory::build`] would make of it: same kind,
    /// namespace and name, same labels, owner references and pod template labels (and a pod
    /// template either way). Returns the object replaced, or `object` back when a rebuild is
    /// needed.
    pub fn replace_in_place(&mut self, index: usize, object: Object) -> Result<Object, Object> {
        let Some(old) = self.objects.get(index) else { return Err(object) };
        let template_labels = |o: &Object| o.pod_template().map(|t| t.metadata.labels.clone());
        let same = old.kind() == object.kind()
            && old.namespace() == object.namespace()
            && old.name() == object.name()
            && old.labels() == object.labels()
            && old.metadata().owner_references == object.metadata().owner_references
            && template_labels(old) == template_labels(&object);
        if !same {
            return Err(object);
        }
        Ok(std::mem::replace(&mut self.objects[index], object))
    }

    pub fn of_kind(&self, kind: &str) -> impl Iterator<Item = &Object> + '_ {
        self.by_kind.get(kind).into_iter().flatten().map(|&i| &self.objects[i])
    }

    pub fn indices_of_kind(&self, kind: &str) -> &[usize] {
        self.by_kind.get(kind).map_or(&[], Vec::as_slice)
    }

    /// Indices of the objects of `kind` in `namespace`, ascending.
    pub fn indices_of_kind_in(&self, kind: &str, namespace: &str) -> &[usize] {
        self.by_kind_namespace.get(kind).and_then(|m| m.get(namespace)).map_or(&[], Vec::as_slice)
    }

    pub fn get(&self, kind: &str, namespace: Option<&str>, name: &str) -> Option<&Object> {
        self.index_of(kind, namespace.unwrap_or(""), name).map(|i| &self.objects[i])
    }

    fn index_of(&self, kind: &str, namespace: &str, name: &str) -> Option<usize> {
        self.by_name.get(kind)?.get(namespace)?.get(name).copied()
    }

    pub fn namespaces(&self) -> impl Iterator<Item = &NamespaceInfo> {
        self.namespaces.values()
    }

    pub fn namespace(&self, name: &str) -> Option<&NamespaceInfo> {
        self.namespaces.get(name)
    }

    pub fn namespace_scope(&self, name: &str) -> Scope {
        self.namespaces.get(name).map_or(Scope::Unclassified, |n| n.scope.scope)
    }

    pub fn workloads(&self) -> &[Workload] {
        &self.workloads
    }

    /// Workloads in one namespace.
    pub fn workloads_in(&self, namespace: &str) -> impl Iterator<Item = &Workload> + '_ {
        self.workloads_by_namespace.get(namespace).into_iter().flatten().map(|&i| &self.workloads[i])
    }

    /// Workloads in `namespace` whose pod template labels include every `key=value` of
    /// `selector` (a Service selector; an empty one selects nothing, as for Services).
    pub fn workloads_selected_by(&self, namespace: &str, selector: &BTreeMap<String, String>) -> Vec<&Workload> {
        let Some(by_label) = self.workloads_by_label.get(namespace) else { return Vec::new() };
        let postings: Option<Vec<&Vec<usize>>> = selector.iter().map(|(k, v)| by_label.get(k)?.get(v)).collect();
        let Some(mut postings) = postings.filter(|p| !p.is_empty()) else { return Vec::new() };
        postings.sort_by_key(|p| p.len());
        let (rarest, rest) = postings.split_first().expect("not empty");
        rarest.iter().filter(|wi| rest.iter().all(|p| p.binary_search(wi).is_ok())).map(|&wi| &self.workloads[wi]).collect()
    }

    /// The workload an object runs as (itself when it is a top owner).
    pub fn workload_of(&self, index: usize) -> Option<&Workload> {
        self.workload_by_object.get(index).copied().flatten().map(|wi| &self.workloads[wi as usize])
    }

    /// Scope of any object: its workload's for pod-running objects, else its namespace's;
    /// cluster-scoped objects are always assessed and report `Unclassified` here.
    pub fn object_scope(&self, index: usize) -> Scope {
        self.object_scopes.get(index).copied().unwrap_or(Scope::Unclassified)
    }

    fn decide_object_scope(&self, index: usize) -> Scope {
        let o = &self.objects[index];
        if o.pod_template().is_some()
            && let Some(w) = self.workload_of(index)
        {
            return w.scope.scope;
        }
        o.namespace().map_or(Scope::Unclassified, |ns| self.namespace_scope(ns))
    }

    pub fn pod_template(&self, w: &Workload) -> Option<PodTemplate<'_>> {
        self.objects[w.object].pod_template()
    }

    fn collect_namespaces(&self) -> BTreeMap<String, NamespaceInfo> {
        let classifier = NamespaceClassifier::new(&self.config.scope);
        let mut out: BTreeMap<String, NamespaceInfo> = BTreeMap::new();
        for &i in self.indices_of_kind("Namespace") {
            let o = &self.objects[i];
            out.insert(o.name().to_string(), NamespaceInfo::declared(o, i, &classifier));
        }
        // Namespaces only referenced by objects, each with its first object: read from the
        // per-kind namespace index (each list ascends) rather than from every object again.
        let mut first_in: FastMap<&str, usize> = FastMap::default();
        for (ns, indices) in self.by_kind_namespace.values().flatten() {
            if let (false, Some(&first)) = (ns.is_empty(), indices.first()) {
                first_in.entry(ns).and_modify(|f| *f = first.min(*f)).or_insert(first);
            }
        }
        for (ns, first) in first_in {
            out.entry(ns.to_string()).or_insert_with(|| NamespaceInfo::referenced(ns, first, &classifier));
        }
        out
    }

    fn classify_workload(&self, o: &Object, template_labels: &Labels) -> ScopeDecision {
        let own = o.labels().get(SCOPE_LABEL).or_else(|| template_labels.get(SCOPE_LABEL));
        if let Some(v) = own
            && let Some(scope) = Scope::parse(v)
        {
            return ScopeDecision { scope, reason: format!("workload label {SCOPE_LABEL}={v}") };
        }
        let ns = o.namespace().unwrap_or("");
        for (scope, rule) in self.config.scope.rules() {
            for ws in &rule.workloads {
                if ws.namespace.as_deref().is_some_and(|n| n != ns) {
                    continue;
                }
                if Selector::from_label_selector(&ws.selector).is_ok_and(|s| s.matches(template_labels)) {
                    return ScopeDecision { scope, reason: format!("kubepci.yaml scope.{scope}.workloads selector") };
                }
            }
        }
        match self.namespaces.get(ns) {
            Some(n) if n.scope.scope != Scope::Unclassified => ScopeDecision { scope: n.scope.scope, reason: format!("namespace {ns}: {}", n.scope.reason) },
            _ => ScopeDecision::unclassified(),
        }
    }

    fn owner_index(&self, o: &Object) -> Option<usize> {
        let refs = o.metadata().owner_references.as_ref()?;
        let owner = refs.iter().find(|r| r.controller == Some(true)).or_else(|| refs.first())?;
        self.index_of(&owner.kind, o.namespace().unwrap_or(""), &owner.name)
    }

    fn collect_workloads(&self) -> Vec<Workload> {
        // Each pod-running object's top owner, found in parallel.
        let mut tops: Vec<(usize, usize)> = self
            .objects
            .par_iter()
            .enumerate()
            .filter(|(_, o)| o.pod_template().is_some())
            .map(|(i, _)| {
                // Walk up present owners that run pods (bounded against reference cycles).
                let mut top = i;
                for _ in 0..8 {
                    match self.owner_index(&self.objects[top]) {
                        Some(owner) if owner != top && self.objects[owner].pod_template().is_some() => top = owner,
                        _ => break,
                    }
                }
                (top, i)
            })
            .collect();
        // Grouped by top owner (ascending), each group's members ascending: a sort rather
        // than a map, which a million objects make a long serial insert.
        tops.par_sort_unstable();
        let mut top_of: Vec<(usize, Vec<usize>)> = Vec::new();
        for (top, i) in tops {
            if top_of.last().is_none_or(|(last, _)| *last != top) {
                top_of.push((top, Vec::new()));
            }
            if top != i {
                top_of.last_mut().expect("pushed above").1.push(i);
            }
        }
        top_of
            .into_par_iter()
            .map(|(object, members)| {
                let o = &self.objects[object];
                let labels = o.pod_template().and_then(|t| t.metadata.labels.as_ref()).unwrap_or(Labels::empty());
                Workload { object, members, scope: self.classify_workload(o, labels) }
            })
            .collect()
    }
}

type KindIndex = FastMap<String, Vec<usize>>;
type NameIndex = FastMap<String, FastMap<String, FastMap<String, usize>>>;
type KindNamespaceIndex = FastMap<String, FastMap<String, Vec<usize>>>;

/// Object indices per kind, ascending: contiguous runs of objects indexed side by side, then
/// each run's lists appended after those of the runs before it.
fn index_by_kind(objects: &[Object]) -> KindIndex {
    objects
        .par_iter()
        .enumerate()
        .fold(KindIndex::default, |mut by_kind, (i, o)| {
            match by_kind.get_mut(o.kind()) {
                Some(v) => v.push(i),
                None => {
                    by_kind.insert(o.kind().to_string(), vec![i]);
                }
            }
            by_kind
        })
        .reduce(KindIndex::default, |mut left, right| {
            for (kind, indices) in right {
                match left.get_mut(&kind) {
                    Some(v) => v.extend(indices),
                    None => {
                        left.insert(kind, indices);
                    }
                }
            }
            left
        })
}

/// kind → namespace ("" when cluster-scoped) → object indices, ascending; and kind →
/// namespace → name → first object of that name. One pass per kind, kinds in parallel; keys
/// are allocated only when first seen.
fn index_by_namespace_and_name(objects: &[Object], by_kind: &KindIndex) -> (KindNamespaceIndex, NameIndex) {
    by_kind
        .par_iter()
        .map(|(kind, indices)| {
            let mut by_namespace: FastMap<String, Vec<usize>> = FastMap::default();
            let mut by_name: FastMap<String, FastMap<String, usize>> = FastMap::default();
            for &i in indices {
                let o = &objects[i];
                let ns = o.namespace().unwrap_or("");
                match by_namespace.get_mut(ns) {
                    Some(v) => v.push(i),
                    None => {
                        by_namespace.insert(ns.to_string(), vec![i]);
                    }
                }
                let in_ns = match by_name.get_mut(ns) {
                    Some(m) => m,
                    None => by_name.entry(ns.to_string()).or_default(),
                };
                in_ns.entry(o.name().to_string()).or_insert(i);
            }
            ((kind.clone(), by_namespace), (kind.clone(), by_name))
        })
        .unzip()
}

fn is_namespaced(r: &Resource) -> bool {
    match r {
        Resource::Generic(_) => false, // unknown scope: keep what the input says
        other => !CLUSTER_SCOPED.contains(&other.kind()),
    }
}

/// Whether a kind is cluster-scoped (for kinds kubepci knows).
pub fn is_cluster_scoped_kind(kind: &str) -> bool {
    CLUSTER_SCOPED.contains(&kind)
}

fn set_namespace(r: &mut Resource, ns: &str) {
    macro_rules! namespaced {
        ($($v:ident),*) => {
            matches!(r, $( Resource::$v(_) )|*)
        };
    }
    if namespaced!(Pod, ReplicationController, Service, ConfigMap, Secret, ServiceAccount, PersistentVolumeClaim, Deployment,
        ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, Ingress, NetworkPolicy, Role, RoleBinding)
    {
        r.metadata_mut().namespace = Some(ns.to_string());
    }
}

#[cfg(test)]
mod tests;
