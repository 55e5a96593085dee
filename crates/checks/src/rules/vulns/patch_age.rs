use kubepci_findings::Evidence;
use kubepci_findings::reasons::NO_VULNERABILITY_EVIDENCE;
use kubepci_vulns::eol::days_between;
use kubepci_vulns::{Severity, Vulnerability};

use super::{image_path, label, report_evidence};
use crate::analyses::vulns::workload_index;
use crate::support::each::{Verdict, each_workload};
use crate::{Context, Emitter, declare_check};

/// At most this many vulnerabilities are listed in a message (all are in the evidence, up to
/// [`MAX_EVIDENCE`]).
const MESSAGE_ITEMS: usize = 3;
const MAX_EVIDENCE: usize = 50;

declare_check! {
    /// CDE images must not carry critical vulnerabilities whose fix is older than a month
    ///
    /// ## What it checks
    /// For every container of every CDE workload, the newest matched scan report (see VUL-001)
    /// is searched for vulnerabilities of a severity in `vulnerabilities.patchSeverities`
    /// (default `critical`; add `high` where the risk ranking says so) that have a fixed
    /// version, and whose fix has been available for more than
    /// `vulnerabilities.patchWithinDays` days (default 30). The age counts from the date the
    /// fix became available when the scanner gives it (Grype's fix dates), else from the
    /// advisory's published date (Trivy, trivy-operator, CycloneDX), and the finding says
    /// which. Findings a VEX statement marks `not_affected` or `false_positive` are left out
    /// (and named, with their justification, when the workload otherwise fails). A workload
    /// with a container no report covers, or whose only candidates have no date, is not
    /// assessed rather than passed.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 6.3.3 asks that critical security patches are installed within one month of
    /// release. An image that still carries a critical vulnerability whose fixed package has
    /// been published for longer than that is a patch not installed in time, found by comparing
    /// the image's packages with current vulnerability information (6.3.3.b).
    ///
    /// ## Failing example
    /// ```yaml
    /// # now: 2026-12-07
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers:
    ///       - {name: api, image: "registry.pay.example/payments/api:3.4.1"}
    /// ---
    /// apiVersion: aquasecurity.github.io/v1alpha1
    /// kind: VulnerabilityReport
    /// metadata: {name: replicaset-api-5d8f7c9b6-api, namespace: payments}
    /// report:
    ///   updateTimestamp: "2026-12-01T03:00:00Z"
    ///   registry: {server: registry.pay.example}
    ///   artifact: {repository: payments/api, tag: "3.4.1"}
    ///   vulnerabilities:
    ///   - {vulnerabilityID: CVE-2026-10001, resource: libexpat1, installedVersion: 2.2.10-2+deb11u5, fixedVersion: 2.2.10-2+deb11u7, publishedDate: "2026-09-14T18:15:00Z", severity: CRITICAL}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// # now: 2026-12-07
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers:
    ///       - {name: api, image: "registry.pay.example/payments/api:3.4.2"}
    /// ---
    /// apiVersion: aquasecurity.github.io/v1alpha1
    /// kind: VulnerabilityReport
    /// metadata: {name: replicaset-api-6c7d8e9f0-api, namespace: payments}
    /// report:
    ///   updateTimestamp: "2026-12-01T03:00:00Z"
    ///   registry: {server: registry.pay.example}
    ///   artifact: {repository: payments/api, tag: "3.4.2"}
    ///   vulnerabilities:
    ///   - {vulnerabilityID: CVE-2026-10002, resource: zlib1g, installedVersion: "1:1.2.11.dfsg-2+deb11u2", fixedVersion: "", publishedDate: "2026-10-20T09:00:00Z", severity: CRITICAL}
    ///   - {vulnerabilityID: CVE-2026-10003, resource: openssl, installedVersion: 1.1.1w-0+deb11u1, fixedVersion: 1.1.1w-0+deb11u2, publishedDate: "2026-11-20T09:00:00Z", severity: CRITICAL}
    /// ```
    ///
    /// ## Fix
    /// Rebuild the image on a patched base (or upgrade the package), redeploy, and rescan. Where
    /// the vulnerable code cannot be reached, record that in a VEX statement (`not_affected`
    /// with its justification) and give it with `--vulns`.
    pub PATCH_AGE {
        id: "VUL-002",
        name: "critical-patch-age",
        severity: High,
        applies: Cde,
        reads: [workloads, Namespace, VulnerabilityReport, ClusterVulnerabilityReport],
        requirements: [("6.3.3", "6.3.3.b", "a critical vulnerability whose fix was published more than a month ago, still in a running CDE image, is a critical patch not installed within one month")],
        run: run,
    }
}

/// One overdue vulnerability with its age.
struct Overdue<'a> {
    vuln: &'a Vulnerability,
    days: i64,
    basis: &'static str,
}

fn run(cx: &Context, e: &mut Emitter) {
    let view = cx.vulns();
    if !view.has_evidence() {
        e.not_assessed(None, NO_VULNERABILITY_EVIDENCE);
        return;
    }
    let config = &cx.inv.config.vulnerabilities;
    let severities: Vec<Severity> = config.patch_severities.iter().map(|s| Severity::parse(s)).collect();
    let limit = i64::from(config.patch_within_days);
    let now = cx.now;
    let workloads = cx.inv.workloads();
    each_workload(e, |_, w, _, _| {
        let Some(wi) = workload_index(workloads, w) else { return Verdict::Skip };
        let (mut problems, mut evidence, mut unknown) = (Vec::new(), Vec::new(), Vec::new());
        let mut suppressed = Vec::new();
        for c in view.containers_of(wi) {
            let Some((report, by)) = view.report_of(c) else {
                unknown.push(format!("{} image {:?} has no scan report", label(c), c.image));
                continue;
            };
            let mut overdue: Vec<Overdue> = Vec::new();
            let mut undated = 0;
            for v in report.vulnerabilities.iter().filter(|v| severities.contains(&v.severity) && v.has_fix()) {
                if let Some(s) = &v.suppressed {
                    suppressed.push(Evidence::field(format!("{}: {}", image_path(c), v.id), format!("{} by {}{}", s.state, s.source, s.justification.as_ref().map(|j| format!(" ({j})")).unwrap_or_default())));
                    continue;
                }
                match v.fix_available_since() {
                    Some((since, basis)) => {
                        let days = days_between(since, now);
                        if days > limit {
                            overdue.push(Overdue { vuln: v, days, basis: basis.as_str() });
                        }
                    }
                    None => undated += 1,
                }
            }
            if undated > 0 {
                unknown.push(format!("{} image {:?}: {undated} fixable {} without a fix or published date ({})", label(c), c.image, if undated == 1 { "vulnerability" } else { "vulnerabilities" }, report.source));
            }
            if overdue.is_empty() {
                continue;
            }
            overdue.sort_by(|a, b| b.days.cmp(&a.days).then_with(|| a.vuln.id.cmp(&b.vuln.id)));
            let shown: Vec<String> = overdue.iter().take(MESSAGE_ITEMS).map(|o| format!("{} in {} {} → {} ({} days since the {})", o.vuln.id, o.vuln.package, o.vuln.installed, o.vuln.fixed.as_deref().unwrap_or(""), o.days, o.basis)).collect();
            let more = overdue.len().saturating_sub(MESSAGE_ITEMS);
            problems.push(format!(
                "{} image {:?}: {} {} fixed more than {limit} days ago: {}{}",
                label(c),
                c.image,
                overdue.len(),
                if overdue.len() == 1 { "vulnerability" } else { "vulnerabilities" },
                shown.join(", "),
                if more > 0 { format!(" and {more} more") } else { String::new() }
            ));
            evidence.push(report_evidence(c, report, by));
            for o in overdue.iter().take(MAX_EVIDENCE) {
                let v = o.vuln;
                evidence.push(Evidence::field(
                    format!("{}: {}", image_path(c), v.id),
                    format!("{} {} {} → {}, fix available {} days (from the {}), image {}", v.severity, v.package, v.installed, v.fixed.as_deref().unwrap_or(""), o.days, o.basis, c.image_ref.display()),
                ));
            }
        }
        if !problems.is_empty() {
            evidence.extend(suppressed);
            return Verdict::Fail(problems.join("; "), evidence);
        }
        if !unknown.is_empty() {
            return Verdict::NotAssessed(unknown.join("; "));
        }
        Verdict::Pass
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run;

    const INPUT: &str = "# now: 2026-12-07\napiVersion: v1\nkind: Namespace\nmetadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: api, namespace: payments}\nspec:\n  containers: [{name: api, image: \"nginx:1.27\"}]\n---\napiVersion: aquasecurity.github.io/v1alpha1\nkind: VulnerabilityReport\nmetadata: {name: r, namespace: payments}\nreport:\n  updateTimestamp: \"2026-12-01T00:00:00Z\"\n  artifact: {repository: library/nginx, tag: \"1.27\"}\n  vulnerabilities:\n  - {vulnerabilityID: CVE-H, resource: libh, installedVersion: \"1\", fixedVersion: \"2\", publishedDate: \"2026-09-01T00:00:00Z\", severity: HIGH}\n";

    #[test]
    fn high_counts_only_when_configured_and_the_age_says_its_basis() {
        assert_eq!(run(&PATCH_AGE, INPUT, "").passed, 1);
        let out = run(&PATCH_AGE, INPUT, "vulnerabilities: {patchSeverities: [critical, high]}");
        assert_eq!(out.fails.len(), 1);
        let f = &out.fails[0];
        assert!(f.message.contains("CVE-H in libh 1 → 2 (97 days since the published date)"), "{}", f.message);
        assert!(f.evidence.iter().any(|e| e.value.as_deref().unwrap_or("").contains("fix available 97 days (from the published date), image docker.io/library/nginx:1.27")), "{:?}", f.evidence);
    }

    #[test]
    fn a_container_without_a_report_is_not_assessed() {
        let yaml = INPUT.replace("image: \"nginx:1.27\"", "image: \"nginx:1.28\"");
        let out = run(&PATCH_AGE, &yaml, "");
        assert_eq!((out.passed, out.fails.len()), (0, 0));
        assert!(out.not_assessed[0].message.contains("has no scan report"), "{:?}", out.not_assessed);
    }

    #[test]
    fn vex_suppressed_and_undated_findings() {
        // A not_affected statement from a file suppresses the trivy-operator finding.
        let config = "vulnerabilities: {patchSeverities: [critical, high]}";
        let inv = crate::testing::load("t.yaml", INPUT, config);
        let vex = kubepci_vulns::parse_json("vex.json", br#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"vulnerability": {"name": "CVE-H"}, "products": [{"@id": "nginx:1.27"}], "status": "not_affected", "justification": "component_not_present"}]}"#).unwrap();
        let mut files = kubepci_vulns::Evidence::default();
        files.add(vex);
        let cx = crate::testing::context_for(&inv, INPUT).with_vulns(Some(std::sync::Arc::new(files)));
        let out = crate::testing::run_on(&PATCH_AGE, &cx);
        assert_eq!((out.passed, out.fails.len()), (1, 0), "{:?}", out.findings);
        let suppressed = &cx.vulns().report(0).vulnerabilities[0].suppressed;
        assert_eq!(suppressed.as_ref().and_then(|s| s.justification.as_deref()), Some("component_not_present"));
        // An undated fixable critical (Grype without fix dates) cannot be aged.
        let undated = INPUT.replace("publishedDate: \"2026-09-01T00:00:00Z\", severity: HIGH", "severity: CRITICAL");
        let out = run(&PATCH_AGE, &undated, "");
        assert!(out.not_assessed.iter().any(|n| n.message.contains("1 fixable vulnerability without a fix or published date")), "{:?}", out.not_assessed);
    }
}
