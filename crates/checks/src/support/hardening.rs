//! Pod Security Standards checks at `baseline` level, and the host-namespace flags.
//!
//! [`crate::support::pss::report_controls`] reads the shared `restricted` evaluation. At
//! restricted level the admission semantics drop the baseline controls that a restricted
//! control overrides (`capabilities_baseline`, `hostPathVolumes`, `seccompProfile_baseline`,
//! `procMount`), so checks of those report from a `baseline` evaluation instead.

use kubepci_findings::Evidence;
use kubepci_model::PodTemplate;
use kubepci_pss::{Evaluation, Level, Version, evaluate};

use crate::support::each::{Problem, Verdict, each_workload};
use crate::{Applies, Emitter};

/// Report, for every workload the check applies to, its `baseline` violations of `controls`
/// (every baseline control when `None`).
pub fn report_baseline_controls(e: &mut Emitter, applies: Applies, controls: Option<&[&str]>) {
    each_workload(e, applies, |_, _, _, t| violations_verdict(&evaluate(t, Level::Baseline, Version::latest()), controls));
}

/// The violations of `controls` (all when `None`) as a verdict, with the evaluator's reasons
/// and field paths.
pub fn violations_verdict(eval: &Evaluation, controls: Option<&[&str]>) -> Verdict {
    let hits = eval.violations.iter().filter(|v| controls.is_none_or(|c| c.contains(&v.control)));
    Verdict::from_problems(hits.map(|v| Problem { message: v.reason.clone(), evidence: v.fields.iter().map(|f| Evidence::path(f.clone())).collect() }))
}

/// Fails when any of the named pod-level host flags (`hostPID`, `hostIPC`, `hostNetwork`) is
/// true.
pub fn host_flags_verdict(t: &PodTemplate, flags: &[&str]) -> Verdict {
    let spec = t.spec;
    let set = [("hostNetwork", spec.host_network), ("hostPID", spec.host_pid), ("hostIPC", spec.host_ipc)]
        .into_iter()
        .filter(|(name, value)| flags.contains(name) && *value == Some(true));
    Verdict::from_problems(set.map(|(name, _)| Problem::new(format!("{name}=true"), Evidence::field(format!("{}.{name}", t.spec_path), "true"))))
}

/// Report restricted-level `controls` on CDE workloads from the shared evaluation, or "not
/// assessed" when no CDE is declared.
pub fn report_cde_controls(e: &mut Emitter, controls: &[&str]) {
    if crate::support::each::cde_declared(e) {
        crate::support::pss::report_controls(e, Applies::Cde, controls);
    }
}
