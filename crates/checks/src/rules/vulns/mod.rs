//! Vulnerabilities: scan coverage and age, patch age of fixable vulnerabilities, and operating
//! systems past their end of life, from scanner reports (`--vulns`, trivy-operator).

mod coverage;
mod image_os_eol;
mod node_eol;
mod patch_age;

use kubepci_findings::Evidence;

use crate::Check;
use crate::analyses::vulns::{MatchBy, RunningContainer};

pub const CHECKS: &[&Check] = &[&coverage::COVERAGE, &patch_age::PATCH_AGE, &image_os_eol::IMAGE_OS_EOL, &node_eol::NODE_EOL];

/// `container "api"` / `init container "migrate"`.
fn label(c: &RunningContainer) -> String {
    let kind = if c.init { "init container" } else { "container" };
    format!("{kind} {:?}", c.container)
}

/// The field a container's evidence points at.
fn image_path(c: &RunningContainer) -> String {
    let list = if c.init { "initContainers" } else { "containers" };
    format!("{list}[name={}].image", c.container)
}

/// Which report a container was judged by, and how it was matched.
fn report_evidence(c: &RunningContainer, report: &kubepci_vulns::ScanReport, by: MatchBy) -> Evidence {
    let scanned = report.scanned_at.map_or_else(|| "no scan date".to_string(), |t| format!("scanned {}", kubepci_base::time::date(t)));
    let scanner = report.scanner.as_deref().unwrap_or("unknown scanner");
    Evidence::field(format!("{}: report", image_path(c)), format!("{} ({scanner}, {scanned}; matched by {})", report.source, by.as_str()))
}
