use kubepci_findings::Evidence;

use super::{LOG_SHIPPERS, PLATFORM_TOOLING_NOT_IN_MANIFESTS, identity_texts};
use crate::{Context, Emitter, declare_check};

/// Agents that send their alerts to their vendor's console themselves.
const SELF_REPORTING: &[&str] = &["sysdig", "twistlock", "prisma-cloud", "neuvector", "falcon-sensor", "aquasec", "wiz-sensor"];
/// Open-source detectors that write alerts to their own output (stdout, a file).
const LOCAL_DETECTORS: &[&str] = &["falco", "tetragon", "tracee", "kubearmor"];
/// Forwarders of those alerts.
const FORWARDERS: &[&str] = &["falcosidekick", "kubearmor-relay"];

declare_check! {
    /// Runtime threat detection must run on every node and its alerts must reach responders
    ///
    /// ## What it checks
    /// On a live cluster or a snapshot: a DaemonSet runs a runtime threat detector (Falco,
    /// Tetragon, Tracee, KubeArmor, or a vendor agent: Sysdig, Prisma Cloud/Twistlock Defender,
    /// NeuVector, CrowdStrike Falcon sensor, Aqua Enforcer, Wiz sensor), and its alerts leave the
    /// node: a vendor agent reports to its console; an open-source detector needs a forwarder
    /// (Falcosidekick, KubeArmor relay) or a log-shipper DaemonSet (Fluent Bit, Fluentd, Vector,
    /// Promtail, Filebeat, an OpenTelemetry collector …) collecting its output. Recognised by
    /// workload name and image. On manifests the check is not assessed.
    ///
    /// ## Why PCI DSS cares
    /// 12.10.5 requires the incident response plan to cover alerts from security monitoring
    /// systems, intrusion detection first among them. In a cluster, a compromised container is
    /// seen by a runtime detector on its node; alerts that stay in that detector's pod log reach
    /// no one, and the plan has nothing to respond to.
    ///
    /// ## Failing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: falco, namespace: falco}
    /// spec:
    ///   selector: {matchLabels: {app: falco}}
    ///   template:
    ///     metadata: {labels: {app: falco}}
    ///     spec:
    ///       containers: [{name: falco, image: docker.io/falcosecurity/falco:0.39.2}]
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: falco, namespace: falco}
    /// spec:
    ///   selector: {matchLabels: {app: falco}}
    ///   template:
    ///     metadata: {labels: {app: falco}}
    ///     spec:
    ///       containers: [{name: falco, image: docker.io/falcosecurity/falco:0.39.2}]
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: falco-falcosidekick, namespace: falco}
    /// spec:
    ///   selector: {matchLabels: {app: falcosidekick}}
    ///   template:
    ///     metadata: {labels: {app: falcosidekick}}
    ///     spec:
    ///       containers: [{name: falcosidekick, image: docker.io/falcosecurity/falcosidekick:2.29.0}]
    /// ```
    ///
    /// ## Fix
    /// Run a runtime detector as a DaemonSet that tolerates every node's taints (CDE nodes
    /// included), and route its alerts to where responders work: Falcosidekick to your paging
    /// or SIEM tool, or a log shipper with an alert rule on the detector's output. Name the
    /// route in the incident response plan.
    pub RUNTIME_DETECTION_ALERTS {
        id: "IR-001",
        name: "runtime-detection-alerts-routed",
        severity: High,
        applies: Cluster,
        reads: [workloads],
        requirements: [
            ("12.10.5", "12.10.5", "intrusion alerts from the cluster's nodes can be covered by the response plan only when a runtime detector runs there and its alerts leave the node"),
        ],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    if !cx.input.is_cluster() {
        e.not_assessed(None, PLATFORM_TOOLING_NOT_IN_MANIFESTS);
        return;
    }
    let (mut self_reporting, mut local, mut routes) = (Vec::new(), Vec::new(), Vec::new());
    for (_, o, t) in cx.workloads() {
        let texts = identity_texts(o, &t);
        let has = |keys: &[&str]| texts.iter().any(|s| keys.iter().any(|k| s.contains(k)));
        let name = format!("{}/{}/{}", o.kind(), o.namespace().unwrap_or(""), o.name());
        if has(FORWARDERS) {
            routes.push(name);
        } else if o.kind() == "DaemonSet" && has(SELF_REPORTING) {
            self_reporting.push(name);
        } else if o.kind() == "DaemonSet" && texts.iter().any(|s| LOCAL_DETECTORS.iter().any(|k| s.contains(k)) && !s.contains("falcon")) {
            local.push(name);
        } else if o.kind() == "DaemonSet" && has(LOG_SHIPPERS) {
            routes.push(name);
        }
    }
    if !self_reporting.is_empty() || (!local.is_empty() && !routes.is_empty()) {
        e.pass_cluster();
    } else if local.is_empty() {
        e.fail_cluster("no runtime threat detection DaemonSet (Falco, Tetragon, Tracee, KubeArmor or a vendor agent) found", Vec::new());
    } else {
        e.fail_cluster(
            format!("{} runs, but its alerts stay on the node: no forwarder (Falcosidekick, KubeArmor relay) and no log-shipper DaemonSet found", local.join(", ")),
            local.iter().map(|d| Evidence::field("detector", d.clone())).collect(),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::run;

    use super::*;

    fn ds(name: &str, image: &str) -> String {
        format!("apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: {name}, namespace: sec}}\nspec:\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec: {{containers: [{{name: c, image: \"{image}\"}}]}}\n---\n")
    }

    #[test]
    fn a_vendor_agent_or_a_log_shipper_routes_alerts_and_manifests_are_not_assessed() {
        let snapshot = "# input: snapshot\n";
        let vendor = run(&RUNTIME_DETECTION_ALERTS, &format!("{snapshot}{}", ds("falcon-sensor", "registry.crowdstrike.com/falcon-sensor:7")), "");
        assert_eq!((vendor.passed, vendor.fails.len()), (1, 0));
        let shipped = run(&RUNTIME_DETECTION_ALERTS, &format!("{snapshot}{}{}", ds("tetragon", "quay.io/cilium/tetragon:v1.2"), ds("fluent-bit", "fluent/fluent-bit:3.1")), "");
        assert_eq!((shipped.passed, shipped.fails.len()), (1, 0));
        let nothing = run(&RUNTIME_DETECTION_ALERTS, &format!("{snapshot}{}", ds("fluent-bit", "fluent/fluent-bit:3.1")), "");
        assert_eq!(nothing.fails.len(), 1);
        assert!(nothing.fails[0].message.starts_with("no runtime threat detection DaemonSet"), "{:?}", nothing.fails);
        let manifests = run(&RUNTIME_DETECTION_ALERTS, &ds("falco", "falcosecurity/falco:0.39.2"), "");
        assert_eq!(manifests.not_assessed.len(), 1);
        assert_eq!(manifests.not_assessed[0].message, PLATFORM_TOOLING_NOT_IN_MANIFESTS);
    }
}
