use crate::support::each::each_workload;
use crate::support::hardening::host_flags_verdict;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Pods must not use the node's network namespace
    ///
    /// ## What it checks
    /// Every workload's pod spec for `hostNetwork: true` (part of the Pod Security Standards
    /// control `hostNamespaces`).
    ///
    /// ## Why PCI DSS cares
    /// A host-network pod binds the node's interfaces directly: NetworkPolicies do not select
    /// it, it can reach every service the node can (including the kubelet and cloud metadata)
    /// and it can listen on node ports. Its connections come from the node's address, which
    /// most network plugins let through to pods on that node, so it sidesteps the segmentation
    /// that 1.3.1 relies on, and it merges functions of different security levels on the node
    /// (2.2.3).
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: agent, namespace: tools}
    /// spec:
    ///   selector: {matchLabels: {app: agent}}
    ///   template:
    ///     metadata: {labels: {app: agent}}
    ///     spec:
    ///       hostNetwork: true
    ///       containers:
    ///       - {name: agent, image: registry.example.com/tools/agent:2.1}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: agent, namespace: tools}
    /// spec:
    ///   selector: {matchLabels: {app: agent}}
    ///   template:
    ///     metadata: {labels: {app: agent}}
    ///     spec:
    ///       containers:
    ///       - {name: agent, image: registry.example.com/tools/agent:2.1}
    /// ```
    ///
    /// ## Fix
    /// Remove `hostNetwork: true` and expose the workload through a Service. CNI and node
    /// agents that need the host network belong in a security namespace with an exception.
    pub HOST_NETWORK {
        id: "POD-003",
        name: "host-network",
        severity: High,
        applies: All,
        reads: [workloads],
        locality: Object,
        requirements: [
            ("1.3.1", "1.3.1.b", "traffic from a host-network pod comes from the node's address, which network plugins commonly let through the policies that limit inbound CDE traffic"),
            ("2.2.3", "2.2.3.c", "sharing the node's network stack removes the network isolation between workloads on that node"),
        ],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_workload(e, |_, _, _, t| host_flags_verdict(t, &["hostNetwork"]));
}
