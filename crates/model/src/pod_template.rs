use crate::Meta;

use crate::controller::PodTemplateSpec;
use crate::pod::PodSpec;
use crate::{Object, Resource};

fn template<'a>(t: &'a PodTemplateSpec, spec_path: &'static str) -> (Option<&'a Meta>, Option<&'a PodSpec>, &'static str) {
    (t.metadata.as_ref(), t.pod_spec(), spec_path)
}

/// The pod an object runs: a Pod itself, or the template of a workload controller.
/// `metadata` is the pod's (or template's) metadata: its labels and annotations are what the
/// running pods carry. Its namespace is the owning object's.
#[derive(Clone, Copy, Debug)]
pub struct PodTemplate<'a> {
    pub metadata: &'a Meta,
    pub spec: &'a PodSpec,
    /// JSON path of the pod spec inside the object, for evidence (`spec.template.spec`).
    pub spec_path: &'static str,
}

static EMPTY_META: Meta = Meta::EMPTY;

impl Object {
    /// The pod template this object runs, if it is a Pod or a workload controller with a spec.
    pub fn pod_template(&self) -> Option<PodTemplate<'_>> {
        let (meta, spec, spec_path) = match &self.resource {
            Resource::Pod(p) => (Some(&p.metadata), p.spec.as_ref(), "spec"),
            Resource::Deployment(d) => template(&d.spec.template, "spec.template.spec"),
            Resource::ReplicaSet(r) => template(r.spec.template.as_ref()?, "spec.template.spec"),
            Resource::StatefulSet(s) => template(&s.spec.template, "spec.template.spec"),
            Resource::DaemonSet(d) => template(&d.spec.template, "spec.template.spec"),
            Resource::Job(j) => template(&j.spec.as_ref()?.template, "spec.template.spec"),
            Resource::CronJob(c) => template(&c.spec.job_template.spec.as_ref()?.template, "spec.jobTemplate.spec.template.spec"),
            Resource::ReplicationController(r) => template(r.spec.as_ref()?.template.as_ref()?, "spec.template.spec"),
            _ => return None,
        };
        Some(PodTemplate { metadata: meta.unwrap_or(&EMPTY_META), spec: spec?, spec_path })
    }
}
