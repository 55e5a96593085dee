//! Workload controllers with their pod template's spec held apart and shared.
//!
//! A Deployment and each of its ReplicaSets carry the same pod spec (a ReplicaSet is the
//! Deployment's template at one revision, labelled with its hash), as do a CronJob and the Jobs
//! it created; in k8s-openapi's structs each copy costs several kilobytes (every optional probe,
//! lifecycle and security context has its room in each `Container`, set or not). So the pod
//! spec of a controller's template is kept behind an [`Arc`], and loading hands equal specs one
//! [`Arc`] through a [`PodSpecInterner`]. Sharing is exact: two specs share only when they are
//! equal, so every read sees the same values as before.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{PodTemplateSpec, ReplicationController};

use crate::hash::{FastHasher, FastMap};
use crate::pod::PodSpec;

/// A controller object whose pod template's spec is held apart (see the module comment).
#[derive(Clone, Debug, PartialEq)]
pub struct Templated<T> {
    /// The object with its template's `spec` taken out (left `None`).
    without_pod_spec: T,
    pod_spec: Option<Arc<PodSpec>>,
}

/// The kinds whose template's pod spec is held apart: where that spec sits in the object.
pub trait HasPodTemplate {
    fn pod_template_spec_mut(&mut self) -> Option<&mut PodTemplateSpec>;
}

impl HasPodTemplate for Deployment {
    fn pod_template_spec_mut(&mut self) -> Option<&mut PodTemplateSpec> {
        Some(&mut self.spec.template)
    }
}

impl HasPodTemplate for ReplicaSet {
    fn pod_template_spec_mut(&mut self) -> Option<&mut PodTemplateSpec> {
        self.spec.template.as_mut()
    }
}

impl HasPodTemplate for StatefulSet {
    fn pod_template_spec_mut(&mut self) -> Option<&mut PodTemplateSpec> {
        Some(&mut self.spec.template)
    }
}

impl HasPodTemplate for DaemonSet {
    fn pod_template_spec_mut(&mut self) -> Option<&mut PodTemplateSpec> {
        Some(&mut self.spec.template)
    }
}

impl HasPodTemplate for Job {
    fn pod_template_spec_mut(&mut self) -> Option<&mut PodTemplateSpec> {
        Some(&mut self.spec.as_mut()?.template)
    }
}

impl HasPodTemplate for CronJob {
    fn pod_template_spec_mut(&mut self) -> Option<&mut PodTemplateSpec> {
        Some(&mut self.spec.job_template.spec.as_mut()?.template)
    }
}

impl HasPodTemplate for ReplicationController {
    fn pod_template_spec_mut(&mut self) -> Option<&mut PodTemplateSpec> {
        self.spec.as_mut()?.template.as_mut()
    }
}

impl<T: HasPodTemplate> Templated<T> {
    /// Take the template's pod spec out of `object` (its own copy; see [`Self::share`]).
    pub fn new(mut object: T) -> Templated<T> {
        let pod_spec = object.pod_template_spec_mut().and_then(|t| t.spec.take()).map(|spec| Arc::new(PodSpec::from(spec)));
        Templated { without_pod_spec: object, pod_spec }
    }

    /// The whole object as k8s-openapi has it, the pod spec put back (a copy).
    pub fn to_object(&self) -> T
    where
        T: Clone,
    {
        let mut object = self.without_pod_spec.clone();
        if let (Some(template), Some(spec)) = (object.pod_template_spec_mut(), &self.pod_spec) {
            template.spec = Some(PodSpec::clone(spec).into());
        }
        object
    }
}

impl<T> Templated<T> {
    /// The object without its template's pod spec: `spec.template.spec` here is always `None`;
    /// read the pod spec through [`Self::pod_spec`] or [`crate::Object::pod_template`].
    pub fn without_pod_spec(&self) -> &T {
        &self.without_pod_spec
    }

    pub(crate) fn without_pod_spec_mut(&mut self) -> &mut T {
        &mut self.without_pod_spec
    }

    /// The template's pod spec.
    pub fn pod_spec(&self) -> Option<&PodSpec> {
        self.pod_spec.as_deref()
    }

    /// Hold the pod spec `interner` already has when it is equal to this one.
    pub fn share(&mut self, interner: &PodSpecInterner) {
        if let Some(spec) = &mut self.pod_spec {
            *spec = interner.intern(Arc::clone(spec));
        }
    }
}

/// Serialised as the whole object, exactly as k8s-openapi writes it.
impl<T: HasPodTemplate + Clone + serde::Serialize> serde::Serialize for Templated<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_object().serialize(s)
    }
}

/// Equal pod specs seen while loading, so that later equal ones share the first one's [`Arc`].
/// Held for one load (dropping it drops only its own references). Safe to share between
/// threads.
#[derive(Default)]
pub struct PodSpecInterner {
    by_key: Mutex<FastMap<u64, Vec<Arc<PodSpec>>>>,
}

/// Distinct specs compared per key at most, so a crafted input with many unequal specs under
/// one key costs a bounded number of comparisons per object (an overflow only loses sharing).
const CANDIDATES_PER_KEY: usize = 8;

impl PodSpecInterner {
    pub fn new() -> PodSpecInterner {
        PodSpecInterner::default()
    }

    /// The [`Arc`] of an equal spec seen before, or `spec` itself (then remembered).
    pub fn intern(&self, spec: Arc<PodSpec>) -> Arc<PodSpec> {
        let key = key_of(&spec);
        let mut by_key = self.by_key.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let candidates = by_key.entry(key).or_default();
        if let Some(same) = candidates.iter().find(|c| Arc::ptr_eq(c, &spec) || ***c == *spec) {
            return Arc::clone(same);
        }
        if candidates.len() < CANDIDATES_PER_KEY {
            candidates.push(Arc::clone(&spec));
        }
        spec
    }

    /// How many distinct specs it holds (for tests and measurements).
    pub fn len(&self) -> usize {
        self.by_key.lock().map(|m| m.values().map(Vec::len).sum()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A cheap key from the fields that usually tell pod specs apart; equality decides.
fn key_of(spec: &PodSpec) -> u64 {
    let mut h = FastHasher::default();
    for c in spec.init_containers.iter().flatten().chain(&spec.containers) {
        c.name.hash(&mut h);
        c.image.hash(&mut h);
        c.command.hash(&mut h);
        c.args.hash(&mut h);
        for e in c.env.iter().flatten() {
            e.name.hash(&mut h);
            e.value.hash(&mut h);
        }
    }
    spec.service_account_name.hash(&mut h);
    spec.node_name.hash(&mut h);
    spec.volumes.as_ref().map(Vec::len).hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::Container;

    fn spec(image: &str) -> PodSpec {
        PodSpec { containers: vec![Container { name: "c".into(), image: Some(image.into()), ..Default::default() }], ..Default::default() }
    }

    fn deployment(image: &str) -> Deployment {
        let mut d = Deployment::default();
        d.metadata.name = Some("d".into());
        d.spec.template.spec = Some(spec(image).into());
        d
    }

    #[test]
    fn equal_specs_share_one_arc_and_unequal_ones_do_not() {
        let interner = PodSpecInterner::new();
        let (mut a, mut b, mut c) = (Templated::new(deployment("i:1")), Templated::new(deployment("i:1")), Templated::new(deployment("i:2")));
        for t in [&mut a, &mut b, &mut c] {
            t.share(&interner);
        }
        assert!(Arc::ptr_eq(a.pod_spec.as_ref().unwrap(), b.pod_spec.as_ref().unwrap()));
        assert!(!Arc::ptr_eq(a.pod_spec.as_ref().unwrap(), c.pod_spec.as_ref().unwrap()));
        assert_eq!(c.pod_spec().unwrap().containers[0].image.as_deref(), Some("i:2"));
        assert_eq!(interner.len(), 2);
    }

    #[test]
    fn the_object_comes_back_whole() {
        let t = Templated::new(deployment("i:1"));
        assert!(t.without_pod_spec().spec.template.spec.is_none());
        assert_eq!(t.to_object(), deployment("i:1"));
        assert_eq!(serde_json::to_value(&t).unwrap(), serde_json::to_value(deployment("i:1")).unwrap());
    }

    #[test]
    fn kinds_without_a_template_keep_none() {
        let t = Templated::new(Job::default());
        assert!(t.pod_spec().is_none());
        assert_eq!(t.to_object(), Job::default());
        let mut rs = ReplicaSet::default();
        rs.spec.template = Some(PodTemplateSpec::default());
        let t = Templated::new(rs.clone());
        assert!(t.pod_spec().is_none());
        assert_eq!(t.to_object(), rs);
    }

    /// Specs under one key beyond the comparison bound are kept apart, never wrongly shared.
    #[test]
    fn a_full_key_only_loses_sharing() {
        let interner = PodSpecInterner::new();
        let variant = |n: i64| {
            let mut s = spec("i:1");
            s.active_deadline_seconds = Some(n);
            Arc::new(s)
        };
        let kept: Vec<_> = (0..20).map(|n| interner.intern(variant(n))).collect();
        for (n, s) in kept.iter().enumerate() {
            assert_eq!(s.active_deadline_seconds, Some(n as i64));
        }
        assert_eq!(interner.len(), CANDIDATES_PER_KEY);
        assert!(Arc::ptr_eq(&interner.intern(variant(3)), &kept[3]));
        assert!(!Arc::ptr_eq(&interner.intern(variant(15)), &kept[15]));
    }
}
