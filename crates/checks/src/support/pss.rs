//! Hardening checks built on the Pod Security Standards evaluator: each check names the PSS
//! controls it reports and the level to read them at, and this one function turns the shared,
//! once-computed evaluation into findings.
//!
//! The level matters: at `restricted`, the admission semantics drop the baseline controls a
//! restricted control replaces (`capabilities_baseline`, `hostPathVolumes`,
//! `seccompProfile_baseline`, `procMount`), so checks of those read the `baseline` evaluation.

use kubepci_findings::Evidence;
use kubepci_pss::Level;

use crate::Emitter;

/// Report, for every workload within the check's declared scope, its violations of
/// `controls` (every control of the level when `None`).
pub fn report_controls(e: &mut Emitter, level: Level, controls: Option<&[&str]>) {
    let cx = e.context();
    if e.focus().is_some() {
        // A few workloads: evaluated here, rather than every workload through the shared analysis.
        for (w, template) in cx.inv.workloads().iter().zip(cx.templates()) {
            if let (true, Some(t)) = (e.sees(w.object), template) {
                let (baseline, restricted) = kubepci_pss::evaluate_levels(t, kubepci_pss::Version::latest());
                report_workload(e, w.object, if level == Level::Baseline { &baseline } else { &restricted }, controls);
            }
        }
        return;
    }
    let evaluations = match level {
        Level::Baseline => cx.pss_baseline(),
        _ => cx.pss_restricted(),
    };
    let inv = cx.inv;
    for ((w, eval), template) in inv.workloads().iter().zip(evaluations).zip(cx.templates()) {
        if !e.sees(w.object) || template.is_none() {
            continue;
        }
        report_workload(e, w.object, eval, controls);
    }
}

/// One workload's violations of `controls`, or a pass.
fn report_workload(e: &mut Emitter, object: usize, eval: &kubepci_pss::Evaluation, controls: Option<&[&str]>) {
    let hits: Vec<_> = eval.violations.iter().filter(|v| controls.is_none_or(|c| c.contains(&v.control))).collect();
    if hits.is_empty() {
        e.pass(object);
    } else {
        let message = hits.iter().map(|v| v.reason.as_str()).collect::<Vec<_>>().join("; ");
        let evidence = hits.iter().flat_map(|v| v.fields.iter().map(|f| Evidence::path(f.clone()))).collect();
        e.fail(object, message, evidence);
    }
}
