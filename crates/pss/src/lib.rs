//! Pod Security Standards evaluator with the semantics of the Kubernetes Pod Security
//! Admission controller (`k8s.io/pod-security-admission`): the same controls (named by the
//! upstream check ids), the same per-version behaviour, the same "restricted overrides
//! baseline" rules, and the same verdict on every upstream fixture.
//!
//! ```
//! use kubepci_pss::{evaluate, Level, Version};
//! # use kubepci_model::{decode_value, SourceLoc};
//! # let pod = decode_value(serde_json::json!({"apiVersion": "v1", "kind": "Pod",
//! #     "metadata": {"name": "p"}, "spec": {"containers": [{"name": "app", "image": "x",
//! #     "securityContext": {"privileged": true}}]}}), SourceLoc::new("p.yaml", 1, 1)).unwrap();
//! let template = pod.pod_template().unwrap();
//! let eval = evaluate(&template, Level::Baseline, Version::latest());
//! assert!(!eval.allowed);
//! assert_eq!(eval.violations[0].control, "privileged");
//! ```
//!
//! The evaluator is pure: it reads no files. [`evaluate_objects`] evaluates every pod
//! template among loaded objects (what `kubepci pss` prints; the CLI does the loading).

mod catalogue;
mod checks;
mod level;
mod pod;

use kubepci_model::{Object, ObjectRef, PodTemplate, SourceLoc};
use serde::Serialize;

pub use catalogue::{Control, control_by_id, controls};
pub use level::{Level, MAX_POLICY_MINOR, ParseError, Version};

/// One control the pod violates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The upstream check id (see [`controls`]).
    pub control: &'static str,
    /// The level the control belongs to (a restricted evaluation reports baseline controls too).
    pub level: Level,
    /// Admission-style message: `privileged (container "app" must not set securityContext.privileged=true)`.
    pub reason: String,
    /// Field paths inside the object, e.g. `spec.template.spec.containers[0].securityContext.privileged`.
    pub fields: Vec<String>,
}

/// The verdict on one pod template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    pub allowed: bool,
    /// In admission order: baseline controls by id, then restricted controls by id.
    pub violations: Vec<Violation>,
}

/// Evaluate a pod (or a workload's pod template) against a level at a policy version, as the
/// admission controller would. `Privileged` allows everything.
pub fn evaluate(pod: &PodTemplate<'_>, level: Level, version: Version) -> Evaluation {
    let view = pod::Pod::new(pod);
    let violations: Vec<Violation> = checks::active_checks(level, version.effective_minor()).into_iter().filter_map(|(check, revision)| run(check, revision, &view)).collect();
    Evaluation { allowed: violations.is_empty(), violations }
}

/// The baseline and the restricted evaluation of one pod at once, each control run once:
/// equal to `(evaluate(pod, Baseline, version), evaluate(pod, Restricted, version))`, for
/// callers (the scan) that need both levels of every workload.
pub fn evaluate_levels(pod: &PodTemplate<'_>, version: Version) -> (Evaluation, Evaluation) {
    let view = pod::Pod::new(pod);
    let minor = version.effective_minor();
    let restricted_active = checks::active_checks(Level::Restricted, minor);
    let (mut baseline, mut restricted) = (Vec::new(), Vec::new());
    // Every baseline control is active at baseline, and at restricted unless a restricted
    // control overrides it; restricted lists its baseline controls first, in registry order.
    let restricted_only = restricted_active.iter().copied().filter(|(c, _)| c.level == Level::Restricted);
    for (check, revision) in checks::active_checks(Level::Baseline, minor).into_iter().chain(restricted_only) {
        let Some(violation) = run(check, revision, &view) else { continue };
        if check.level == Level::Baseline {
            if restricted_active.iter().any(|(c, _)| c.id == check.id) {
                restricted.push(violation.clone());
            }
            baseline.push(violation);
        } else {
            restricted.push(violation);
        }
    }
    let evaluation = |violations: Vec<Violation>| Evaluation { allowed: violations.is_empty(), violations };
    (evaluation(baseline), evaluation(restricted))
}

/// The verdict on one object that runs pods.
#[derive(Clone, Debug, Serialize)]
pub struct ObjectResult {
    pub object: ObjectRef,
    pub source: SourceLoc,
    pub evaluation: Evaluation,
}

/// Evaluate every object with a pod template (Pod, Deployment, ReplicaSet, StatefulSet,
/// DaemonSet, Job, CronJob, ReplicationController) at `level` / `version`, in input order;
/// objects without one are left out.
pub fn evaluate_objects(objects: &[Object], level: Level, version: Version) -> Vec<ObjectResult> {
    objects
        .iter()
        .filter_map(|obj| {
            let template = obj.pod_template()?;
            Some(ObjectResult { object: obj.object_ref(), source: obj.loc.clone(), evaluation: evaluate(&template, level, version) })
        })
        .collect()
}

/// One control's revision on the pod: its violation, if any.
fn run(check: &checks::Check, revision: &checks::Revision, view: &pod::Pod) -> Option<Violation> {
    let finding = (revision.check)(view)?;
    let reason = if finding.detail.is_empty() { finding.summary } else { format!("{} ({})", finding.summary, finding.detail) };
    Some(Violation { control: check.id, level: check.level, reason, fields: finding.fields })
}

#[cfg(test)]
mod tests;
