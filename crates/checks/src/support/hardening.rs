//! Host-namespace flags (`hostNetwork`, `hostPID`, `hostIPC`) as a verdict.

use kubepci_findings::Evidence;
use kubepci_model::PodTemplate;

use crate::support::each::{Problem, Verdict};

/// Fails when any of the named pod-level host flags (`hostPID`, `hostIPC`, `hostNetwork`) is
/// true.
pub fn host_flags_verdict(t: &PodTemplate, flags: &[&str]) -> Verdict {
    let spec = t.spec;
    let set = [("hostNetwork", spec.host_network), ("hostPID", spec.host_pid), ("hostIPC", spec.host_ipc)]
        .into_iter()
        .filter(|(name, value)| flags.contains(name) && *value == Some(true));
    Verdict::from_problems(set.map(|(name, _)| Problem::new(format!("{name}=true"), Evidence::field(format!("{}.{name}", t.spec_path), "true"))))
}

