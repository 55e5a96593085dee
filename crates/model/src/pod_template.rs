use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::pod::PodSpec;
use crate::{Object, Resource};

/// The pod an object runs: a Pod itself, or the template of a workload controller.
/// `metadata` is the pod's (or template's) metadata: its labels and annotations are what the
/// running pods carry. Its namespace is the owning object's.
#[derive(Clone, Copy, Debug)]
pub struct PodTemplate<'a> {
    pub metadata: &'a ObjectMeta,
    pub spec: &'a PodSpec,
    /// JSON path of the pod spec inside the object, for evidence (`spec.template.spec`).
    pub spec_path: &'static str,
}

static EMPTY_META: ObjectMeta = ObjectMeta {
    annotations: None,
    creation_timestamp: None,
    deletion_grace_period_seconds: None,
    deletion_timestamp: None,
    finalizers: None,
    generate_name: None,
    generation: None,
    labels: None,
    managed_fields: None,
    name: None,
    namespace: None,
    owner_references: None,
    resource_version: None,
    self_link: None,
    uid: None,
};

impl Object {
    /// The pod template this object runs, if it is a Pod or a workload controller with a spec.
    pub fn pod_template(&self) -> Option<PodTemplate<'_>> {
        let (meta, spec, spec_path) = match &self.resource {
            Resource::Pod(p) => (Some(&p.metadata), p.spec.as_ref(), "spec"),
            Resource::Deployment(d) => (d.without_pod_spec().spec.template.metadata.as_ref(), d.pod_spec(), "spec.template.spec"),
            Resource::ReplicaSet(r) => (r.without_pod_spec().spec.template.as_ref()?.metadata.as_ref(), r.pod_spec(), "spec.template.spec"),
            Resource::StatefulSet(s) => (s.without_pod_spec().spec.template.metadata.as_ref(), s.pod_spec(), "spec.template.spec"),
            Resource::DaemonSet(d) => (d.without_pod_spec().spec.template.metadata.as_ref(), d.pod_spec(), "spec.template.spec"),
            Resource::Job(j) => (j.without_pod_spec().spec.as_ref()?.template.metadata.as_ref(), j.pod_spec(), "spec.template.spec"),
            Resource::CronJob(c) => {
                let t = &c.without_pod_spec().spec.job_template.spec.as_ref()?.template;
                (t.metadata.as_ref(), c.pod_spec(), "spec.jobTemplate.spec.template.spec")
            }
            Resource::ReplicationController(r) => {
                let t = r.without_pod_spec().spec.as_ref()?.template.as_ref()?;
                (t.metadata.as_ref(), r.pod_spec(), "spec.template.spec")
            }
            _ => return None,
        };
        Some(PodTemplate { metadata: meta.unwrap_or(&EMPTY_META), spec: spec?, spec_path })
    }
}
