use super::{Capability, judge_coverage};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Every node that runs CDE pods must run a runtime intrusion-detection agent
    ///
    /// ## What it checks
    /// The nodes that run CDE pods (their `spec.nodeName`) must each be covered by a runtime
    /// detection agent's DaemonSet: Falco, Tetragon, KubeArmor, the Sysdig, Aqua, Prisma Cloud,
    /// Microsoft Defender, CrowdStrike or Wazuh agents (recognised by image), or one declared
    /// under `securityAgents` in kubepci.yaml with capability `detection`. A node is covered
    /// when one of the agent's Pods runs on it, or, when the input has no Pods of the agent,
    /// when its DaemonSet would be scheduled there: its `nodeSelector` and required node
    /// affinity select the node's labels and its tolerations cover the node's `NoSchedule` and
    /// `NoExecute` taints. Without Nodes, or without running CDE pods, the check is not
    /// assessed.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 11.5.1 asks for intrusion-detection techniques at the critical points of the
    /// CDE; the nodes that run CDE containers are such points, and an agent whose DaemonSet
    /// does not tolerate a dedicated CDE pool's taint leaves exactly those nodes unwatched. The
    /// agent's alerts are an automated review of security events (10.4.1.1).
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
    /// spec:
    ///   taints: [{key: pci, value: cde, effect: NoSchedule}]
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
    /// metadata: {name: falco, namespace: falco}
    /// spec:
    ///   selector: {matchLabels: {app: falco}}
    ///   template:
    ///     metadata: {labels: {app: falco}}
    ///     spec:
    ///       containers: [{name: falco, image: "docker.io/falcosecurity/falco:0.39.2"}]
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
    /// spec:
    ///   taints: [{key: pci, value: cde, effect: NoSchedule}]
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
    /// metadata: {name: falco, namespace: falco}
    /// spec:
    ///   selector: {matchLabels: {app: falco}}
    ///   template:
    ///     metadata: {labels: {app: falco}}
    ///     spec:
    ///       tolerations: [{operator: Exists}]
    ///       containers: [{name: falco, image: "docker.io/falcosecurity/falco:0.39.2"}]
    /// ```
    ///
    /// ## Fix
    /// Deploy a runtime detection agent as a DaemonSet that tolerates the CDE node pool's taints
    /// and whose node selector and affinity include those nodes; declare agents kubepci does not
    /// know under `securityAgents` in kubepci.yaml.
    pub RUNTIME_DETECTION {
        id: "DET-001",
        name: "cde-nodes-runtime-detection",
        severity: High,
        applies: Cluster,
        reads: [workloads, Node, Namespace],
        requirements: [
            ("11.5.1", "11.5.1.a", "a detection agent on every node that runs CDE containers is an intrusion-detection technique at the CDE's critical points"),
            ("10.4.1.1", "10.4.1.1", "the agent's rules review security events automatically as they happen"),
        ],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    judge_coverage(cx, e, Capability::Detection, true, "");
}
