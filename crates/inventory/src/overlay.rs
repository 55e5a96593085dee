//! One object added last to a built inventory, and taken away again, without a rebuild: what
//! an admission review does to its namespace's inventory (judge the incoming object in
//! context, then put the context back as it was for the next review).
//!
//! [`Inventory::push_object`] gives exactly what [`Inventory::build`] makes of the same
//! objects with the new one last, or declines (and gives the object back) when the new object
//! would change what the build decides about objects already there: when it would become the
//! owner of pod-running objects, or declare a namespace other objects are already in.
//! [`Inventory::pop_object`] undoes the last push.

use kubepci_model::{Labels, Object};

use crate::{Inventory, NamespaceClassifier, NamespaceInfo, ScopeDecision, Workload};

impl Inventory {
    /// Add `object` (as [`Inventory::adopt`] holds it) at the end, indexed as
    /// [`Inventory::build`] would index it there; its index. `Err(object)` when the build
    /// would decide something else about the objects already there (see the module doc):
    /// nothing is changed then.
    pub fn push_object(&mut self, object: Object) -> Result<usize, Object> {
        let object = self.adopt(object);
        let at = self.objects.len();
        let kind = object.kind().to_string();
        let ns = object.namespace().unwrap_or("").to_string();
        let is_namespace = kind == "Namespace";
        // A Namespace object decides the scope of the objects in it: only a namespace nobody
        // is in yet (nor declared twice) can be added without re-deciding them.
        if is_namespace && self.namespaces.contains_key(object.name()) {
            return Err(object);
        }
        let workload = match object.pod_template() {
            None => None,
            Some(_) => match self.workload_for(&object, &ns) {
                Some(placed) => Some(placed),
                None => return Err(object),
            },
        };
        self.objects.push(object);
        let object = &self.objects[at];
        self.by_kind.entry(kind.clone()).or_default().push(at);
        self.by_kind_namespace.entry(kind.clone()).or_default().entry(ns.clone()).or_default().push(at);
        self.by_name.entry(kind).or_default().entry(ns.clone()).or_default().entry(object.name().to_string()).or_insert(at);
        let classifier = NamespaceClassifier::new(&self.config.scope);
        if is_namespace {
            self.namespaces.insert(object.name().to_string(), NamespaceInfo::declared(object, at, &classifier));
        }
        if !ns.is_empty() && !self.namespaces.contains_key(&ns) {
            self.namespaces.insert(ns.clone(), NamespaceInfo::referenced(&ns, at, &classifier));
        }
        let wi = workload.map(|placed| match placed {
            Placed::Member(wi) => {
                self.workloads[wi].members.push(at);
                wi
            }
            Placed::Top => self.add_workload(at, &ns),
        });
        self.workload_by_object.push(wi.map(|wi| wi as u32));
        let scope = self.decide_object_scope(at);
        self.object_scopes.push(scope);
        Ok(at)
    }

    /// Take away the object the last [`Inventory::push_object`] added, leaving the inventory
    /// as it was before. `None` (and nothing changed) when the last object is one that the
    /// push could not have added: a workload with members.
    pub fn pop_object(&mut self) -> Option<Object> {
        let at = self.objects.len().checked_sub(1)?;
        let object = &self.objects[at];
        let (kind, ns, name) = (object.kind().to_string(), object.namespace().unwrap_or("").to_string(), object.name().to_string());
        if let Some(wi) = self.workload_by_object[at].map(|wi| wi as usize) {
            let w = &self.workloads[wi];
            if w.object == at {
                if !w.members.is_empty() || wi + 1 != self.workloads.len() {
                    return None;
                }
                let labels = object.pod_template().and_then(|t| t.metadata.labels.clone()).unwrap_or_default();
                self.workloads.pop();
                pop_from(&mut self.workloads_by_namespace, &ns, wi);
                if let Some(by_label) = self.workloads_by_label.get_mut(&ns) {
                    for (k, v) in &labels {
                        if let Some(values) = by_label.get_mut(k) {
                            pop_from(values, v, wi);
                            if values.is_empty() {
                                by_label.remove(k);
                            }
                        }
                    }
                    if by_label.is_empty() {
                        self.workloads_by_label.remove(&ns);
                    }
                }
            } else if w.members.last() == Some(&at) {
                self.workloads[wi].members.pop();
            } else {
                return None;
            }
        }
        self.workload_by_object.pop();
        self.object_scopes.pop();
        if kind == "Namespace" {
            if self.namespaces.get(&name).is_some_and(|n| n.object == Some(at)) {
                self.namespaces.remove(&name);
            }
        } else if self.namespaces.get(&ns).is_some_and(|n| n.object.is_none() && n.reported_at == at) {
            self.namespaces.remove(&ns);
        }
        if let Some(in_kind) = self.by_name.get_mut(&kind) {
            if let Some(in_ns) = in_kind.get_mut(&ns) {
                if in_ns.get(&name) == Some(&at) {
                    in_ns.remove(&name);
                }
                if in_ns.is_empty() {
                    in_kind.remove(&ns);
                }
            }
            if in_kind.is_empty() {
                self.by_name.remove(&kind);
            }
        }
        if let Some(in_kind) = self.by_kind_namespace.get_mut(&kind) {
            pop_from(in_kind, &ns, at);
            if in_kind.is_empty() {
                self.by_kind_namespace.remove(&kind);
            }
        }
        pop_from(&mut self.by_kind, &kind, at);
        self.objects.pop()
    }

    /// Take away the last object when [`Inventory::build`] of the others decides about them
    /// exactly what it decided with it (what `kubepci serve` does with a deleted object that
    /// was added last, without a rebuild), and return it. `None`, and nothing changed, when the
    /// removal would re-decide other objects: a Namespace that other objects are in (or
    /// declared earlier too), a pod-running object that other pod-running objects name as
    /// their owner (their workload would change).
    pub fn remove_last(&mut self) -> Option<Object> {
        let object = self.objects.last()?;
        let at = self.objects.len() - 1;
        let ns = object.namespace().unwrap_or("");
        if object.kind() == "Namespace" {
            let name = object.name();
            let first = self.index_of("Namespace", ns, name) == Some(at);
            if !first || self.by_kind_namespace.values().any(|in_kind| in_kind.get(name).is_some_and(|v| !v.is_empty())) {
                return None;
            }
        }
        if object.pod_template().is_some() && self.workloads_in(ns).any(|w| std::iter::once(&w.object).chain(&w.members).any(|&i| i != at && self.names_as_owner(&self.objects[i], object))) {
            return None;
        }
        self.pop_object()
    }

    /// Whether `object`'s owner reference (the controller's, else the first) names `owner`, as
    /// the build resolves owners: by kind and name in the object's namespace.
    fn names_as_owner(&self, object: &Object, owner: &Object) -> bool {
        let Some(refs) = object.metadata().owner_references.as_ref() else { return false };
        let Some(r) = refs.iter().find(|r| r.controller == Some(true)).or_else(|| refs.first()) else { return false };
        r.kind == owner.kind() && r.name == owner.name() && object.namespace() == owner.namespace()
    }

    /// Where the build puts the pod-running `object` added last in namespace `ns`: among
    /// the members of its top owner's workload, or as a workload of its own. `None` when the
    /// build would also decide differently about objects already there: pod-running objects
    /// naming `object` as their owner would run under it, or its owners' chain is longer than
    /// the build follows.
    fn workload_for(&self, object: &Object, ns: &str) -> Option<Placed> {
        let owned = |i: &usize| self.names_as_owner(&self.objects[*i], object);
        if self.workloads_in(ns).any(|w| std::iter::once(&w.object).chain(&w.members).any(owned)) {
            return None;
        }
        // The build's walk up present pod-running owners (bounded against reference cycles).
        // Not yet added, the object cannot be found as its own owner: the walk stops there
        // as the build's does.
        let mut top: Option<usize> = None;
        for _ in 0..8 {
            let from = top.map_or(object, |t| &self.objects[t]);
            match self.owner_index(from) {
                Some(owner) if Some(owner) != top && self.objects[owner].pod_template().is_some() => top = Some(owner),
                _ => {
                    return match top {
                        None => Some(Placed::Top),
                        Some(t) => self.member_of(t),
                    };
                }
            }
        }
        // Eight owners up: the build stops the walk here too, at an object it may not make a
        // workload of its own.
        top.and_then(|t| self.member_of(t))
    }

    /// The workload whose top owner is the object at `top`, for a new member.
    fn member_of(&self, top: usize) -> Option<Placed> {
        let wi = self.workload_by_object[top]? as usize;
        (self.workloads[wi].object == top).then_some(Placed::Member(wi))
    }

    /// A workload of its own for the pod-running object at `at` (the last): its index.
    fn add_workload(&mut self, at: usize, ns: &str) -> usize {
        let o = &self.objects[at];
        let labels = o.pod_template().and_then(|t| t.metadata.labels.clone());
        let scope: ScopeDecision = self.classify_workload(o, labels.as_ref().unwrap_or(Labels::empty()));
        let wi = self.workloads.len();
        self.workloads.push(Workload { object: at, members: Vec::new(), scope });
        self.workloads_by_namespace.entry(ns.to_string()).or_default().push(wi);
        if let Some(labels) = labels {
            let by_label = self.workloads_by_label.entry(ns.to_string()).or_default();
            for (k, v) in &labels {
                by_label.entry(k.to_string()).or_default().entry(v.to_string()).or_default().push(wi);
            }
        }
        wi
    }
}

/// Where a pod-running object goes among the workloads.
enum Placed {
    /// A member of the workload with this index.
    Member(usize),
    /// A workload of its own.
    Top,
}

/// Remove `value`, the last entry of `map[key]`, and the entry when it is left empty.
fn pop_from<S: std::hash::BuildHasher>(map: &mut std::collections::HashMap<String, Vec<usize>, S>, key: &str, value: usize) {
    if let Some(list) = map.get_mut(key) {
        if list.last() == Some(&value) {
            list.pop();
        }
        if list.is_empty() {
            map.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::Config;

    /// Everything an inventory decides, in a comparable form (empty index entries left out:
    /// they answer as absent ones do).
    fn decided(inv: &Inventory) -> String {
        let sorted = |m: &crate::KindIndex| m.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (k.clone(), v.clone())).collect::<BTreeMap<_, _>>();
        let nested = |m: &crate::KindNamespaceIndex| {
            m.iter().flat_map(|(k, by_ns)| by_ns.iter().filter(|(_, v)| !v.is_empty()).map(move |(ns, v)| ((k.clone(), ns.clone()), v.clone()))).collect::<BTreeMap<_, _>>()
        };
        let names = inv.by_name.iter().flat_map(|(k, by_ns)| by_ns.iter().flat_map(move |(ns, by)| by.iter().map(move |(n, i)| ((k.clone(), ns.clone(), n.clone()), *i)))).collect::<BTreeMap<_, _>>();
        let namespaces: Vec<_> = inv.namespaces().map(|n| (n.name.clone(), n.object, n.reported_at, n.labels.clone(), n.scope.scope, n.scope.reason.clone())).collect();
        let workloads: Vec<_> = inv.workloads().iter().map(|w| (w.object, w.members.clone(), w.scope.scope, w.scope.reason.clone())).collect();
        let by_namespace = inv.workloads_by_namespace.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (k.clone(), v.clone())).collect::<BTreeMap<_, _>>();
        let by_label = inv
            .workloads_by_label
            .iter()
            .flat_map(|(ns, keys)| keys.iter().flat_map(move |(k, values)| values.iter().filter(|(_, v)| !v.is_empty()).map(move |(v, wis)| ((ns.clone(), k.clone(), v.clone()), wis.clone()))))
            .collect::<BTreeMap<_, _>>();
        format!(
            "{:?}\n{:?}\n{:?}\n{names:?}\n{namespaces:?}\n{workloads:?}\n{:?}\n{by_namespace:?}\n{:?}\n{by_label:?}",
            inv.objects.iter().map(|o| o.object_ref().to_string()).collect::<Vec<_>>(),
            sorted(&inv.by_kind),
            nested(&inv.by_kind_namespace),
            inv.workload_by_object,
            inv.object_scopes,
        )
    }

    const OBJECTS: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-5d9-x
  namespace: payments
  labels: {app: api}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-5d9, uid: u2, controller: true}]
spec: {containers: [{name: api, image: pay/api:1}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: payments}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api, tier: back}}
    spec: {containers: [{name: api, image: pay/api:1}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: api-5d9
  namespace: payments
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, uid: u1, controller: true}]
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: pay/api:1}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-5d9-y
  namespace: payments
  labels: {app: api}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-5d9, uid: u3, controller: true}]
spec: {containers: [{name: api, image: pay/api:1}]}
---
apiVersion: v1
kind: Pod
metadata: {name: lone, namespace: web, labels: {pci.kubepci.io/scope: connected}}
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Namespace
metadata: {name: web}
---
apiVersion: v1
kind: Namespace
metadata: {name: empty, labels: {compliance: pci-dss}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: no-namespace}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: payments}
spec: {selector: {app: api}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: fresh}
---
apiVersion: batch/v1
kind: Job
metadata: {name: once, namespace: fresh}
spec:
  template:
    spec: {containers: [{name: c, image: j:1}]}
---
apiVersion: v1
kind: Pod
metadata: {name: self, namespace: web, ownerReferences: [{apiVersion: v1, kind: Pod, name: self, uid: u4}]}
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: fresh}
data: {a: duplicate}
"#;

    #[test]
    fn a_pushed_object_is_indexed_as_a_build_with_it_last_and_a_pop_undoes_it() {
        let objects = kubepci_source::load_bytes("t.yaml", OBJECTS.as_bytes()).objects;
        let config = Config::from_yaml("c", "scope: {cde: {namespaceSelector: {matchLabels: {compliance: pci-dss}}}, connected: {workloads: [{selector: {matchLabels: {tier: back}}}]}}").unwrap();
        let (mut pushed, mut declined) = (BTreeSet::new(), BTreeSet::new());
        // Every object added to the inventory of every subset of the others that keeps their
        // order: the prefixes, and each prefix without one of its objects.
        for k in 0..objects.len() {
            let prefixes: Vec<Vec<Object>> = std::iter::once(objects[..k].to_vec())
                .chain((0..k).map(|skip| objects[..k].iter().enumerate().filter(|(i, _)| *i != skip).map(|(_, o)| o.clone()).collect()))
                .collect();
            for prefix in prefixes {
                let mut inv = Inventory::build(prefix.clone(), config.clone());
                let before = decided(&inv);
                let mut with = prefix.clone();
                with.push(objects[k].clone());
                match inv.push_object(objects[k].clone()) {
                    Ok(at) => {
                        assert_eq!(at, prefix.len());
                        assert_eq!(decided(&inv), decided(&Inventory::build(with, config.clone())), "{k} pushed on {} objects", prefix.len());
                        let popped = inv.pop_object().expect("the pushed object");
                        assert_eq!((popped.kind(), popped.name()), (objects[k].kind(), objects[k].name()));
                        pushed.insert(k);
                    }
                    Err(object) => {
                        assert_eq!(object.object_ref(), objects[k].object_ref());
                        declined.insert(k);
                    }
                }
                assert_eq!(decided(&inv), before, "{k} on {} objects, after pop or decline", prefix.len());
            }
        }
        // Declined: the ReplicaSet after a pod under it, the Namespace after an object in it.
        assert_eq!(declined, BTreeSet::from([3, 6]));
        assert_eq!(pushed.len(), objects.len(), "each object is pushed onto some subset: {pushed:?}");
    }

    #[test]
    fn removing_the_last_object_leaves_what_a_build_of_the_others_decides() {
        let objects = kubepci_source::load_bytes("t.yaml", OBJECTS.as_bytes()).objects;
        let config = Config::from_yaml("c", "scope: {cde: {namespaceSelector: {matchLabels: {compliance: pci-dss}}}, connected: {workloads: [{selector: {matchLabels: {tier: back}}}]}}").unwrap();
        let (mut removed, mut declined) = (BTreeSet::new(), BTreeSet::new());
        // Every object last on every subset of the others that keeps their order (as above).
        for k in 0..objects.len() {
            let prefixes: Vec<Vec<Object>> = std::iter::once(objects[..k].to_vec())
                .chain((0..k).map(|skip| objects[..k].iter().enumerate().filter(|(i, _)| *i != skip).map(|(_, o)| o.clone()).collect()))
                .collect();
            for prefix in prefixes {
                let mut with = prefix.clone();
                with.push(objects[k].clone());
                let mut inv = Inventory::build(with, config.clone());
                let before = decided(&inv);
                match inv.remove_last() {
                    Some(gone) => {
                        assert_eq!((gone.kind(), gone.name()), (objects[k].kind(), objects[k].name()));
                        assert_eq!(decided(&inv), decided(&Inventory::build(prefix.clone(), config.clone())), "{k} removed from after {} objects", prefix.len());
                        removed.insert(k);
                    }
                    None => {
                        assert_eq!(decided(&inv), before, "{k} declined after {} objects", prefix.len());
                        declined.insert(k);
                    }
                }
            }
        }
        // Declined: the ReplicaSet the pod before it runs under (api-5d9-x), the Namespace
        // `web` after the pod in it.
        assert_eq!(declined, BTreeSet::from([3, 6]), "removed: {removed:?}");
        assert_eq!(removed.len(), objects.len(), "each object is removed from some subset: {removed:?}");
        assert!(Inventory::build(Vec::new(), Config::default()).remove_last().is_none());
    }
}
