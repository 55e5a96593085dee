use kubepci_findings::Evidence;
use kubepci_findings::reasons::NO_VULNERABILITY_EVIDENCE;

use super::{image_path, label, report_evidence};
use crate::analyses::vulns::workload_index;
use crate::support::each::{Verdict, each_workload};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Every in-scope container image must have a recent vulnerability scan
    ///
    /// ## What it checks
    /// Every container (init containers included) of every workload in the CDE, connected or
    /// security-impacting scope, as it runs (its Pods, when the input has them, else its pod
    /// template), has a vulnerability scan report, and the newest one is at most
    /// `vulnerabilities.maxReportAgeDays` days old (default 30). Reports come from `--vulns`
    /// files (Trivy JSON, Grype JSON, CycloneDX) and trivy-operator `VulnerabilityReport`s in the
    /// input; they are matched by image digest (the Pod's `imageID`, or `@sha256:` in the
    /// image), else repository and tag, else trivy-operator's workload labels, and the finding
    /// says which. Without any report in the input the check is not assessed.
    ///
    /// ## Why PCI DSS cares
    /// New vulnerabilities are identified through scans (6.3.1): an image nobody scanned, or
    /// scanned months ago, has unknown vulnerabilities. Dated image scan reports are the
    /// internal scan results 11.3.1.a examines for the containers, and their age shows whether
    /// the cadence holds.
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
    ///       - {name: proxy, image: "registry.pay.example/edge/proxy:1.9"}
    /// ---
    /// apiVersion: aquasecurity.github.io/v1alpha1
    /// kind: VulnerabilityReport
    /// metadata:
    ///   name: replicaset-api-5d8f7c9b6-api
    ///   namespace: payments
    ///   labels: {trivy-operator.resource.kind: ReplicaSet, trivy-operator.resource.name: api-5d8f7c9b6, trivy-operator.resource.namespace: payments, trivy-operator.container.name: api}
    /// report:
    ///   updateTimestamp: "2026-09-01T03:00:00Z"
    ///   scanner: {name: Trivy, vendor: Aqua Security, version: 0.58.2}
    ///   registry: {server: registry.pay.example}
    ///   artifact: {repository: payments/api, tag: "3.4.1"}
    ///   vulnerabilities: []
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
    ///       - {name: api, image: "registry.pay.example/payments/api:3.4.1"}
    /// ---
    /// apiVersion: aquasecurity.github.io/v1alpha1
    /// kind: VulnerabilityReport
    /// metadata:
    ///   name: replicaset-api-5d8f7c9b6-api
    ///   namespace: payments
    ///   labels: {trivy-operator.resource.kind: ReplicaSet, trivy-operator.resource.name: api-5d8f7c9b6, trivy-operator.resource.namespace: payments, trivy-operator.container.name: api}
    /// report:
    ///   updateTimestamp: "2026-12-01T03:00:00Z"
    ///   scanner: {name: Trivy, vendor: Aqua Security, version: 0.58.2}
    ///   registry: {server: registry.pay.example}
    ///   artifact: {repository: payments/api, tag: "3.4.1"}
    ///   vulnerabilities: []
    /// ```
    ///
    /// ## Fix
    /// Scan every image the in-scope workloads run, and rescan at least every
    /// `maxReportAgeDays` days: run trivy-operator in the cluster, or scan in the pipeline and
    /// on a schedule (`trivy image -f json`, `grype -o json`) and give the reports to kubepci
    /// with `--vulns DIR`.
    pub COVERAGE {
        id: "VUL-001",
        name: "image-scan-coverage",
        severity: High,
        applies: InScope,
        reads: [workloads, Namespace, VulnerabilityReport, ClusterVulnerabilityReport],
        requirements: [
            ("6.3.1", "6.3.1.b", "a dated scan of every running in-scope image is how new vulnerabilities in them are identified"),
            ("11.3.1", "11.3.1.a", "dated image scan reports are internal scan results for the containers, and their age shows the scan cadence"),
        ],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    let view = cx.vulns();
    // A trivy-operator report that cannot be read is named, so its image is not silently
    // counted as unscanned.
    for (index, why) in &view.unreadable {
        if e.sees(*index) {
            e.not_assessed(Some(*index), format!("this vulnerability report cannot be read: {why}"));
        }
    }
    if !view.has_evidence() {
        e.not_assessed(None, NO_VULNERABILITY_EVIDENCE);
        return;
    }
    let max_days = i64::from(cx.inv.config.vulnerabilities.max_report_age_days);
    let now = cx.now;
    let workloads = cx.inv.workloads();
    each_workload(e, |_, w, _, _| {
        let Some(wi) = workload_index(workloads, w) else { return Verdict::Skip };
        let (mut messages, mut evidence) = (Vec::new(), Vec::new());
        for c in view.containers_of(wi) {
            match view.report_of(c) {
                None => {
                    messages.push(format!("{} image {:?} has no vulnerability scan report", label(c), c.image));
                    evidence.push(Evidence::field(image_path(c), c.image_ref.display()));
                }
                Some((report, by)) => match report.scanned_at {
                    None => {
                        messages.push(format!("{} image {:?}: its scan report has no date", label(c), c.image));
                        evidence.push(report_evidence(c, report, by));
                    }
                    Some(at) if kubepci_vulns::eol::days_between(at, now) > max_days => {
                        let age = kubepci_vulns::eol::days_between(at, now);
                        messages.push(format!("{} image {:?} was last scanned {age} days ago ({}; at most {max_days})", label(c), c.image, kubepci_base::time::date(at)));
                        evidence.push(report_evidence(c, report, by));
                    }
                    Some(_) => {}
                },
            }
        }
        if messages.is_empty() { Verdict::Pass } else { Verdict::Fail(messages.join("; "), evidence) }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run;

    const CDE: &str = "# now: 2026-12-07\napiVersion: v1\nkind: Namespace\nmetadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}\n";

    fn pod(image: &str, image_id: &str) -> String {
        format!("---\napiVersion: v1\nkind: Pod\nmetadata: {{name: api-1, namespace: payments}}\nspec:\n  containers: [{{name: api, image: \"{image}\"}}]\nstatus:\n  containerStatuses: [{{name: api, image: \"{image}\", imageID: \"{image_id}\", ready: true, restartCount: 0}}]\n")
    }

    fn report(repo: &str, tag: &str, digest: &str, when: &str) -> String {
        format!("---\napiVersion: aquasecurity.github.io/v1alpha1\nkind: VulnerabilityReport\nmetadata: {{name: r-{tag}, namespace: payments}}\nreport:\n  updateTimestamp: \"{when}\"\n  artifact: {{repository: {repo}, tag: \"{tag}\", digest: \"{digest}\"}}\n  vulnerabilities: []\n")
    }

    #[test]
    fn without_any_report_it_is_not_assessed_never_passed() {
        let out = run(&COVERAGE, &format!("{CDE}{}", pod("nginx:1.27", "")), "");
        assert_eq!((out.fails.len(), out.passed), (0, 0));
        assert_eq!(out.not_assessed[0].message, NO_VULNERABILITY_EVIDENCE);
        // A report object without a `report` is named on its own.
        let broken = format!("{CDE}{}---\napiVersion: aquasecurity.github.io/v1alpha1\nkind: VulnerabilityReport\nmetadata: {{name: r, namespace: payments}}\nstatus: {{}}\n", pod("nginx:1.27", ""));
        let out = run(&COVERAGE, &broken, "");
        assert!(out.not_assessed.iter().any(|n| n.message.starts_with("this vulnerability report cannot be read: VulnerabilityReport without a `report`")), "{:?}", out.not_assessed);
    }

    #[test]
    fn the_running_digest_wins_over_a_newer_report_of_the_same_tag() {
        // The Pod runs digest aaa; a fresh report exists only for a rebuilt tag (bbb), an old
        // one for aaa: the running image's scan is the old one.
        let yaml = format!("{CDE}{}{}{}", pod("nginx:1.27", "docker-pullable://nginx@sha256:aaa"), report("library/nginx", "1.27", "sha256:aaa", "2026-08-01T00:00:00Z"), report("library/nginx", "1.27", "sha256:bbb", "2026-12-06T00:00:00Z"));
        let out = run(&COVERAGE, &yaml, "");
        assert_eq!(out.fails.len(), 1);
        let f = &out.fails[0];
        assert!(f.message.contains("last scanned 128 days ago (2026-08-01; at most 30)"), "{}", f.message);
        assert!(f.evidence[0].value.as_deref().unwrap().contains("matched by digest"), "{:?}", f.evidence);
    }

    #[test]
    fn repository_and_tag_match_when_no_digest_is_known_and_the_age_limit_is_configurable() {
        let yaml = format!("{CDE}{}{}", pod("nginx:1.27", ""), report("library/nginx", "1.27", "sha256:bbb", "2026-11-01T00:00:00Z"));
        let out = run(&COVERAGE, &yaml, "");
        assert_eq!(out.fails.len(), 1, "36 days old is too old at the default 30 …");
        assert!(out.fails[0].evidence[0].value.as_deref().unwrap().contains("matched by repository and tag"), "{:?}", out.fails[0].evidence);
        let out = run(&COVERAGE, &yaml, "vulnerabilities: {maxReportAgeDays: 60}");
        assert_eq!((out.fails.len(), out.passed), (0, 1), "… and fine at 60");
    }
}
