//! kubepci's own workload controllers: Deployment, ReplicaSet, StatefulSet, DaemonSet, Job,
//! CronJob and ReplicationController, with their specs and pod templates. Every field of
//! k8s-openapi's structs is here under the same name, with the same JSON both ways and
//! lossless conversions ([`From`]); the layout is what differs.
//!
//! In k8s-openapi a controller holds its template's whole `PodSpec` inline (1,488 bytes) and
//! every optional part (status, strategy, update strategies …) whether set or not, so a
//! ReplicaSet is 2,360 bytes before its first string, and a cluster keeps several ReplicaSets
//! per Deployment. Here the template's pod spec is the compact [`PodSpec`] behind an [`Arc`]
//! (equal specs share one, see [`crate::templated`]), the large, rarely-set parts are boxed,
//! and decoded lists (the selector's expressions, conditions, volume claim templates) are
//! shrunk to their length.
//!
//! The structs, their serde code and their conversions are written by the macros of
//! [`crate::compact`].

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::batch::v1 as batch;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::Meta;
use crate::compact::shrunk;
use crate::pod::PodSpec;

compact_struct! {
    /// A pod template (k8s-openapi's `PodTemplateSpec`): the pods' metadata and their spec,
    /// held behind an [`Arc`] so that equal specs are held once.
    PodTemplateSpec <=> core::PodTemplateSpec {
        conv metadata: Meta = "metadata",
        shared spec: PodSpec = "spec",
    }
}

impl PodTemplateSpec {
    /// The pod spec, if set.
    pub fn pod_spec(&self) -> Option<&PodSpec> {
        self.spec.as_deref()
    }
}

compact_struct! {
    /// A Deployment's spec (k8s-openapi's `DeploymentSpec`, its strategy boxed).
    DeploymentSpec <=> apps::DeploymentSpec {
        opt min_ready_seconds: i32 = "minReadySeconds",
        opt paused: bool = "paused",
        opt progress_deadline_seconds: i32 = "progressDeadlineSeconds",
        opt replicas: i32 = "replicas",
        opt revision_history_limit: i32 = "revisionHistoryLimit",
        req selector: LabelSelector = "selector",
        boxed strategy: apps::DeploymentStrategy = "strategy",
        req_conv template: PodTemplateSpec = "template",
    }
}

compact_resource! {
    /// A Deployment (k8s-openapi's `Deployment`, compact: see the module comment).
    Deployment <=> apps::Deployment {
        req_conv spec: DeploymentSpec = "spec",
        boxed status: apps::DeploymentStatus = "status",
    }
    tidy = tidy_deployment;
}

compact_struct! {
    /// A ReplicaSet's spec (k8s-openapi's `ReplicaSetSpec`).
    ReplicaSetSpec <=> apps::ReplicaSetSpec {
        opt min_ready_seconds: i32 = "minReadySeconds",
        opt replicas: i32 = "replicas",
        req selector: LabelSelector = "selector",
        conv template: PodTemplateSpec = "template",
    }
}

compact_resource! {
    /// A ReplicaSet (k8s-openapi's `ReplicaSet`, compact: see the module comment).
    ReplicaSet <=> apps::ReplicaSet {
        req_conv spec: ReplicaSetSpec = "spec",
        boxed status: apps::ReplicaSetStatus = "status",
    }
    tidy = tidy_replica_set;
}

compact_struct! {
    /// A StatefulSet's spec (k8s-openapi's `StatefulSetSpec`: ordinals, retention policy and
    /// update strategy boxed).
    StatefulSetSpec <=> apps::StatefulSetSpec {
        opt min_ready_seconds: i32 = "minReadySeconds",
        boxed ordinals: apps::StatefulSetOrdinals = "ordinals",
        boxed persistent_volume_claim_retention_policy: apps::StatefulSetPersistentVolumeClaimRetentionPolicy = "persistentVolumeClaimRetentionPolicy",
        opt pod_management_policy: String = "podManagementPolicy",
        opt replicas: i32 = "replicas",
        opt revision_history_limit: i32 = "revisionHistoryLimit",
        req selector: LabelSelector = "selector",
        opt service_name: String = "serviceName",
        req_conv template: PodTemplateSpec = "template",
        boxed update_strategy: apps::StatefulSetUpdateStrategy = "updateStrategy",
        vec volume_claim_templates: core::PersistentVolumeClaim = "volumeClaimTemplates",
    }
}

compact_resource! {
    /// A StatefulSet (k8s-openapi's `StatefulSet`, compact: see the module comment).
    StatefulSet <=> apps::StatefulSet {
        req_conv spec: StatefulSetSpec = "spec",
        boxed status: apps::StatefulSetStatus = "status",
    }
    tidy = tidy_stateful_set;
}

compact_struct! {
    /// A DaemonSet's spec (k8s-openapi's `DaemonSetSpec`, its update strategy boxed).
    DaemonSetSpec <=> apps::DaemonSetSpec {
        opt min_ready_seconds: i32 = "minReadySeconds",
        opt revision_history_limit: i32 = "revisionHistoryLimit",
        req selector: LabelSelector = "selector",
        req_conv template: PodTemplateSpec = "template",
        boxed update_strategy: apps::DaemonSetUpdateStrategy = "updateStrategy",
    }
}

compact_resource! {
    /// A DaemonSet (k8s-openapi's `DaemonSet`, compact: see the module comment).
    DaemonSet <=> apps::DaemonSet {
        req_conv spec: DaemonSetSpec = "spec",
        boxed status: apps::DaemonSetStatus = "status",
    }
    tidy = tidy_daemon_set;
}

compact_struct! {
    /// A Job's spec (k8s-openapi's `JobSpec`: failure, scheduling and success policies boxed).
    JobSpec <=> batch::JobSpec {
        opt active_deadline_seconds: i64 = "activeDeadlineSeconds",
        opt backoff_limit: i32 = "backoffLimit",
        opt backoff_limit_per_index: i32 = "backoffLimitPerIndex",
        opt completion_mode: String = "completionMode",
        opt completions: i32 = "completions",
        opt managed_by: String = "managedBy",
        opt manual_selector: bool = "manualSelector",
        opt max_failed_indexes: i32 = "maxFailedIndexes",
        opt parallelism: i32 = "parallelism",
        boxed pod_failure_policy: batch::PodFailurePolicy = "podFailurePolicy",
        opt pod_replacement_policy: String = "podReplacementPolicy",
        boxed scheduling: batch::JobSchedulingConfiguration = "scheduling",
        opt selector: LabelSelector = "selector",
        boxed success_policy: batch::SuccessPolicy = "successPolicy",
        opt suspend: bool = "suspend",
        req_conv template: PodTemplateSpec = "template",
        opt ttl_seconds_after_finished: i32 = "ttlSecondsAfterFinished",
    }
}

compact_resource! {
    /// A Job (k8s-openapi's `Job`, compact: see the module comment).
    Job <=> batch::Job {
        conv spec: JobSpec = "spec",
        boxed status: batch::JobStatus = "status",
    }
    tidy = tidy_job;
}

compact_struct! {
    /// A CronJob's job template (k8s-openapi's `JobTemplateSpec`).
    JobTemplateSpec <=> batch::JobTemplateSpec {
        conv metadata: Meta = "metadata",
        conv spec: JobSpec = "spec",
    }
}

compact_struct! {
    /// A CronJob's spec (k8s-openapi's `CronJobSpec`).
    CronJobSpec <=> batch::CronJobSpec {
        opt concurrency_policy: String = "concurrencyPolicy",
        opt failed_jobs_history_limit: i32 = "failedJobsHistoryLimit",
        req_conv job_template: JobTemplateSpec = "jobTemplate",
        req schedule: String = "schedule",
        opt starting_deadline_seconds: i64 = "startingDeadlineSeconds",
        opt successful_jobs_history_limit: i32 = "successfulJobsHistoryLimit",
        opt suspend: bool = "suspend",
        opt time_zone: String = "timeZone",
    }
}

compact_resource! {
    /// A CronJob (k8s-openapi's `CronJob`, compact: see the module comment).
    CronJob <=> batch::CronJob {
        req_conv spec: CronJobSpec = "spec",
        boxed status: batch::CronJobStatus = "status",
    }
    tidy = tidy_cron_job;
}

compact_struct! {
    /// A ReplicationController's spec (k8s-openapi's `ReplicationControllerSpec`).
    ReplicationControllerSpec <=> core::ReplicationControllerSpec {
        opt min_ready_seconds: i32 = "minReadySeconds",
        opt replicas: i32 = "replicas",
        opt selector: BTreeMap<String, String> = "selector",
        conv template: PodTemplateSpec = "template",
    }
}

compact_resource! {
    /// A ReplicationController (k8s-openapi's `ReplicationController`, compact: see the module
    /// comment).
    ReplicationController <=> core::ReplicationController {
        conv spec: ReplicationControllerSpec = "spec",
        boxed status: core::ReplicationControllerStatus = "status",
    }
    tidy = tidy_replication_controller;
}

/// A status's conditions without spare room: scans drop `status` while decoding, snapshots
/// and tests may keep it.
macro_rules! shrink_conditions {
    ($status:expr) => {
        if let Some(status) = &mut $status {
            status.conditions = shrunk(status.conditions.take());
        }
    };
}

fn tidy_deployment(d: &mut Deployment) {
    crate::tidy::label_selector(&mut d.spec.selector);
    shrink_conditions!(d.status);
}

fn tidy_replica_set(r: &mut ReplicaSet) {
    crate::tidy::label_selector(&mut r.spec.selector);
    shrink_conditions!(r.status);
}

fn tidy_stateful_set(s: &mut StatefulSet) {
    crate::tidy::label_selector(&mut s.spec.selector);
    shrink_conditions!(s.status);
}

fn tidy_daemon_set(d: &mut DaemonSet) {
    crate::tidy::label_selector(&mut d.spec.selector);
    shrink_conditions!(d.status);
}

fn tidy_job_spec(spec: &mut JobSpec) {
    if let Some(selector) = &mut spec.selector {
        crate::tidy::label_selector(selector);
    }
}

fn tidy_job(j: &mut Job) {
    if let Some(spec) = &mut j.spec {
        tidy_job_spec(spec);
    }
    shrink_conditions!(j.status);
}

fn tidy_cron_job(c: &mut CronJob) {
    if let Some(spec) = &mut c.spec.job_template.spec {
        tidy_job_spec(spec);
    }
    if let Some(status) = &mut c.status {
        status.active = shrunk(status.active.take());
    }
}

fn tidy_replication_controller(r: &mut ReplicationController) {
    shrink_conditions!(r.status);
}

/// Where a controller's pod template sits in it, for the kinds that have one.
pub trait HasPodTemplate {
    fn pod_template(&self) -> Option<&PodTemplateSpec>;
    fn pod_template_mut(&mut self) -> Option<&mut PodTemplateSpec>;

    /// The template's pod spec, if set.
    fn pod_spec(&self) -> Option<&PodSpec> {
        self.pod_template()?.pod_spec()
    }

    /// Hold the pod spec `interner` already has when it is equal to this one.
    fn share_pod_spec(&mut self, interner: &crate::templated::PodSpecInterner) {
        if let Some(spec) = self.pod_template_mut().and_then(|t| t.spec.as_mut()) {
            *spec = interner.intern(Arc::clone(spec));
        }
    }
}

/// `$at` names the template from `o`, once for shared and once for mutable access.
macro_rules! pod_template_at {
    ($( $kind:ident: |$o:ident| $at:expr, $at_mut:expr; )*) => {
        $(
            impl HasPodTemplate for $kind {
                fn pod_template(&self) -> Option<&PodTemplateSpec> {
                    let $o = self;
                    $at
                }
                fn pod_template_mut(&mut self) -> Option<&mut PodTemplateSpec> {
                    let $o = self;
                    $at_mut
                }
            }
        )*
    };
}

pod_template_at! {
    Deployment: |o| Some(&o.spec.template), Some(&mut o.spec.template);
    ReplicaSet: |o| o.spec.template.as_ref(), o.spec.template.as_mut();
    StatefulSet: |o| Some(&o.spec.template), Some(&mut o.spec.template);
    DaemonSet: |o| Some(&o.spec.template), Some(&mut o.spec.template);
    Job: |o| Some(&o.spec.as_ref()?.template), Some(&mut o.spec.as_mut()?.template);
    CronJob: |o| Some(&o.spec.job_template.spec.as_ref()?.template), Some(&mut o.spec.job_template.spec.as_mut()?.template);
    ReplicationController: |o| o.spec.as_ref()?.template.as_ref(), o.spec.as_mut()?.template.as_mut();
}

#[cfg(test)]
mod tests;
