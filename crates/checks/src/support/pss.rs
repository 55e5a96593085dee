//! Hardening checks built on the Pod Security Standards evaluator: each check names the PSS
//! controls it reports, and this one function turns the shared evaluation into findings.

use kubepci_findings::Evidence;

use crate::{Applies, Emitter};

/// Report, for every workload the check applies to, the violations of the given PSS controls
/// (upstream ids such as `privileged`, `capabilities_restricted`).
pub fn report_controls(e: &mut Emitter, applies: Applies, controls: &[&str]) {
    let cx = e.context();
    let evaluations = cx.pss_restricted();
    let inv = cx.inv;
    let mut results = Vec::new();
    for (w, eval) in inv.workloads().iter().zip(evaluations) {
        if !cx.applies(applies, w.object) || inv.objects[w.object].pod_template().is_none() {
            continue;
        }
        let hits: Vec<_> = eval.violations.iter().filter(|v| controls.contains(&v.control)).collect();
        if hits.is_empty() {
            results.push((w.object, None));
        } else {
            let message = hits.iter().map(|v| v.reason.as_str()).collect::<Vec<_>>().join("; ");
            let evidence = hits.iter().flat_map(|v| v.fields.iter().map(|f| Evidence::path(f.clone()))).collect();
            results.push((w.object, Some((message, evidence))));
        }
    }
    for (index, result) in results {
        match result {
            None => e.pass(index),
            Some((message, evidence)) => e.fail(index, message, evidence),
        }
    }
}
