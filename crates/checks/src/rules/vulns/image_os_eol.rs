use kubepci_findings::reasons::NO_VULNERABILITY_EVIDENCE;
use kubepci_vulns::eol::{AS_OF, Support, os_support};

use super::{label, report_evidence};
use crate::analyses::vulns::workload_index;
use crate::support::each::{Verdict, each_workload};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// In-scope images must not be built on an operating system past its end of life
    ///
    /// ## What it checks
    /// For every container of every workload in the CDE, connected or security-impacting
    /// scope, the operating system its newest matched scan report detected (trivy-operator
    /// `report.os`, Trivy `Metadata.OS`, Grype `distro`, a CycloneDX `operating-system`
    /// component) must still receive security fixes: the scanner's own end-of-service-life
    /// flag (`eosl`) is not set, and the release is not past its end date in kubepci's dated
    /// table (`kubepci_vulns::eol`: Alpine, Debian incl. LTS, Ubuntu LTS standard support,
    /// RHEL, CentOS, Rocky, Alma, Amazon Linux). Paid extensions (Ubuntu Pro ESM, RHEL ELS,
    /// Debian ELTS) are not counted: record one as an exception naming the contract. A workload
    /// whose images have no known OS (distroless, scratch, unknown releases) is not assessed.
    ///
    /// ## Why PCI DSS cares
    /// Once a distribution's security support ends, no fix for a new vulnerability in its
    /// packages will ever be published. Requirement 12.3.4 asks that technologies in use are
    /// still supported by their vendor and that a plan exists for those that are not; this check
    /// shows which running images are not. It is not evidence for 6.3.3, which is about
    /// published patches not installed.
    ///
    /// ## Failing example
    /// ```yaml
    /// # now: 2026-12-07
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: legacy, namespace: payments}
    /// spec:
    ///   containers:
    ///   - {name: legacy, image: "registry.pay.example/payments/legacy:7.1"}
    /// ---
    /// apiVersion: aquasecurity.github.io/v1alpha1
    /// kind: VulnerabilityReport
    /// metadata: {name: pod-legacy-legacy, namespace: payments}
    /// report:
    ///   updateTimestamp: "2026-12-01T03:00:00Z"
    ///   registry: {server: registry.pay.example}
    ///   artifact: {repository: payments/legacy, tag: "7.1"}
    ///   os: {family: debian, name: "10.13"}
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
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   containers:
    ///   - {name: api, image: "registry.pay.example/payments/api:3.4.2"}
    /// ---
    /// apiVersion: aquasecurity.github.io/v1alpha1
    /// kind: VulnerabilityReport
    /// metadata: {name: pod-api-api, namespace: payments}
    /// report:
    ///   updateTimestamp: "2026-12-01T03:00:00Z"
    ///   registry: {server: registry.pay.example}
    ///   artifact: {repository: payments/api, tag: "3.4.2"}
    ///   os: {family: debian, name: "12.8", eosl: false}
    ///   vulnerabilities: []
    /// ```
    ///
    /// ## Fix
    /// Rebuild the image on a supported release of its base (or a minimal base such as a
    /// maintained distroless image), and plan base-image upgrades before each end-of-life date.
    pub IMAGE_OS_EOL {
        id: "VUL-003",
        name: "image-os-end-of-life",
        severity: High,
        applies: InScope,
        reads: [workloads, Namespace, VulnerabilityReport, ClusterVulnerabilityReport],
        requirements: [("12.3.4", "12.3.4", "an image OS past its end of security support is a technology no longer supported by its vendor")],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    let view = cx.vulns();
    if !view.has_evidence() {
        e.not_assessed(None, NO_VULNERABILITY_EVIDENCE);
        return;
    }
    let now = cx.now;
    let workloads = cx.inv.workloads();
    each_workload(e, |_, w, _, _| {
        let Some(wi) = workload_index(workloads, w) else { return Verdict::Skip };
        let (mut messages, mut evidence, mut known) = (Vec::new(), Vec::new(), 0);
        for c in view.containers_of(wi) {
            let Some((report, by)) = view.report_of(c) else { continue };
            let Some(os) = &report.os else { continue };
            let release = format!("{} {}", os.family, os.name);
            match (os_support(&os.family, &os.name, now), os.eosl) {
                (Support::Ended(end), _) => messages.push(format!("{} image {:?} runs {release}, whose security support ended on {end} (table dated {AS_OF})", label(c), c.image)),
                (_, Some(true)) => messages.push(format!("{} image {:?} runs {release}, which {} reports as past its end of service life", label(c), c.image, report.scanner.as_deref().unwrap_or("the scanner"))),
                (Support::Until(_), _) | (Support::Unknown, Some(false)) => {
                    known += 1;
                    continue;
                }
                (Support::Unknown, None) => continue,
            }
            evidence.push(report_evidence(c, report, by));
        }
        if !messages.is_empty() {
            Verdict::Fail(messages.join("; "), evidence)
        } else if known == 0 {
            Verdict::NotAssessed("no scanned image of the workload has an operating system in kubepci's support table or an end-of-life flag from its scanner".into())
        } else {
            Verdict::Pass
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run;

    fn input(os: &str) -> String {
        format!("# now: 2026-12-07\napiVersion: v1\nkind: Namespace\nmetadata: {{name: pay, labels: {{pci.kubepci.io/scope: connected}}}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {{name: a, namespace: pay}}\nspec:\n  containers: [{{name: a, image: \"alpine:3.19\"}}]\n---\napiVersion: aquasecurity.github.io/v1alpha1\nkind: VulnerabilityReport\nmetadata: {{name: r, namespace: pay}}\nreport:\n  updateTimestamp: \"2026-12-01T00:00:00Z\"\n  artifact: {{repository: library/alpine, tag: \"3.19\"}}\n  os: {os}\n  vulnerabilities: []\n")
    }

    #[test]
    fn table_and_scanner_flag_each_fail_and_unknown_releases_are_not_assessed() {
        let out = run(&IMAGE_OS_EOL, &input("{family: alpine, name: 3.19.1}"), "");
        assert!(out.fails[0].message.contains("alpine 3.19.1, whose security support ended on 2025-11-01"), "{:?}", out.fails);
        let out = run(&IMAGE_OS_EOL, &input("{family: wolfi, name: \"20230201\", eosl: true}"), "");
        assert!(out.fails[0].message.contains("past its end of service life"), "{:?}", out.fails);
        let out = run(&IMAGE_OS_EOL, &input("{family: wolfi, name: \"20230201\"}"), "");
        assert_eq!((out.fails.len(), out.passed, out.not_assessed.len()), (0, 0, 1));
        assert_eq!(run(&IMAGE_OS_EOL, &input("{family: alpine, name: 3.22.0}"), "").passed, 1);
    }
}
