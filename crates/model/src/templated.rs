//! Workload controllers' pod template specs, shared.
//!
//! A Deployment and each of its ReplicaSets carry the same pod spec (a ReplicaSet is the
//! Deployment's template at one revision, labelled with its hash), as do a CronJob and the Jobs
//! it created. A controller holds its template's spec behind an [`Arc`]
//! ([`crate::controller::PodTemplateSpec`]), and loading hands equal specs one [`Arc`] through
//! a [`PodSpecInterner`] ([`crate::controller::HasPodTemplate::share_pod_spec`]). Sharing is
//! exact: two specs share only when they are equal, so every read sees the same values as
//! before.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use crate::hash::{FastHasher, FastMap};
use crate::pod::PodSpec;

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
    use crate::controller::{Deployment, HasPodTemplate, Job, PodTemplateSpec, ReplicaSet};
    use crate::pod::Container;

    fn spec(image: &str) -> PodSpec {
        PodSpec { containers: vec![Container { name: "c".into(), image: Some(image.into()), ..Default::default() }], ..Default::default() }
    }

    fn deployment(image: &str) -> Deployment {
        let mut d = Deployment::default();
        d.metadata.name = Some("d".into());
        d.spec.template.spec = Some(Arc::new(spec(image)));
        d
    }

    fn arc_of(d: &Deployment) -> &Arc<PodSpec> {
        d.spec.template.spec.as_ref().unwrap()
    }

    #[test]
    fn equal_specs_share_one_arc_and_unequal_ones_do_not() {
        let interner = PodSpecInterner::new();
        let (mut a, mut b, mut c) = (deployment("i:1"), deployment("i:1"), deployment("i:2"));
        assert!(!Arc::ptr_eq(arc_of(&a), arc_of(&b)));
        for d in [&mut a, &mut b, &mut c] {
            d.share_pod_spec(&interner);
        }
        assert!(Arc::ptr_eq(arc_of(&a), arc_of(&b)));
        assert!(!Arc::ptr_eq(arc_of(&a), arc_of(&c)));
        assert_eq!(c.pod_spec().unwrap().containers[0].image.as_deref(), Some("i:2"));
        assert_eq!(a, deployment("i:1"));
        assert_eq!(interner.len(), 2);
    }

    #[test]
    fn kinds_without_a_template_spec_share_nothing() {
        let interner = PodSpecInterner::new();
        let mut job = Job::default();
        job.share_pod_spec(&interner);
        assert!(job.pod_spec().is_none());
        let mut rs = ReplicaSet::default();
        rs.share_pod_spec(&interner);
        rs.spec.template = Some(PodTemplateSpec::default());
        rs.share_pod_spec(&interner);
        assert!(rs.pod_spec().is_none());
        assert!(interner.is_empty());
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
