use super::{Capability, judge_coverage};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Every node that runs CDE pods must run file-integrity monitoring
    ///
    /// ## What it checks
    /// As DET-001, for agents that monitor file integrity: the Sysdig, Aqua, Prisma Cloud and
    /// Wazuh agents (recognised by image), or one declared under `securityAgents` with
    /// capability `fim`. Each node that runs CDE pods must run one (its Pods) or be admitted by
    /// its DaemonSet (node selector, required affinity, tolerations against labels and taints).
    /// Which files the agent watches is configuration the assessor examines.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 11.5.2 asks for a change-detection mechanism that alerts on unauthorised
    /// changes to critical files; on a container platform the node's binaries, configuration
    /// and the container runtime's files are such files, and only an agent on the node sees
    /// them change.
    ///
    /// ## Failing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: cde-1, labels: {pool: cde}}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: api-0, namespace: payments}
    /// spec:
    ///   nodeName: cde-1
    ///   containers: [{name: api, image: "registry.pay.example/payments/api:3.4.2"}]
    /// ---
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: wazuh-agent, namespace: security}
    /// spec:
    ///   selector: {matchLabels: {app: wazuh}}
    ///   template:
    ///     metadata: {labels: {app: wazuh}}
    ///     spec:
    ///       nodeSelector: {pool: general}
    ///       containers: [{name: agent, image: "docker.io/wazuh/wazuh-agent:4.9.2"}]
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: cde-1, labels: {pool: cde}}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: api-0, namespace: payments}
    /// spec:
    ///   nodeName: cde-1
    ///   containers: [{name: api, image: "registry.pay.example/payments/api:3.4.2"}]
    /// ---
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: wazuh-agent, namespace: security}
    /// spec:
    ///   selector: {matchLabels: {app: wazuh}}
    ///   template:
    ///     metadata: {labels: {app: wazuh}}
    ///     spec:
    ///       containers: [{name: agent, image: "docker.io/wazuh/wazuh-agent:4.9.2"}]
    /// ```
    ///
    /// ## Fix
    /// Run a file-integrity monitoring agent on every CDE node (a DaemonSet that tolerates the
    /// CDE pool's taints), watching the node's and the runtime's critical files; declare agents
    /// kubepci does not know under `securityAgents` with capability `fim`.
    pub FILE_INTEGRITY {
        id: "DET-002",
        name: "cde-nodes-file-integrity-monitoring",
        severity: Medium,
        applies: Cluster,
        reads: [workloads, Node, Namespace],
        requirements: [("11.5.2", "11.5.2.a", "an integrity agent on every node that runs CDE containers is the change-detection mechanism for the node's critical files")],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    judge_coverage(cx, e, Capability::Fim, true, "");
}
