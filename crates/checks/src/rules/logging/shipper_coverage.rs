use kubepci_findings::Evidence;
use kubepci_model::Resource;

use super::shippers::{shippers, untolerated};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// A log shipper must run on every node, CDE nodes included
    ///
    /// ## What it checks
    /// Every Node of a cluster input (snapshot or live) must be able to run a pod of at least
    /// one log shipper DaemonSet (Fluent Bit, Fluentd, Vector, Promtail, Filebeat, the
    /// OpenTelemetry Collector, Grafana Alloy, Datadog and similar agents, recognised by their
    /// images): the DaemonSet tolerates every NoSchedule and NoExecute taint of the node and
    /// its nodeSelector matches the node's labels. A cluster with no shipper DaemonSet fails;
    /// manifests without Nodes are not assessed. Node affinity is not evaluated.
    ///
    /// ## Why PCI DSS cares
    /// Audit, container and node logs written on a node are lost with it unless they are
    /// copied off promptly: 10.3.3 asks for prompt backup to a central log server. Dedicated
    /// CDE nodes are usually tainted, and a shipper without the toleration silently skips
    /// exactly the nodes whose logs matter most; the control-plane nodes (where the API
    /// server's audit log is written) are tainted too.
    ///
    /// ## Failing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: cde-1, labels: {kubernetes.io/os: linux}}
    /// spec:
    ///   taints: [{key: pci, value: cde, effect: NoSchedule}]
    /// ---
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: fluent-bit, namespace: logging}
    /// spec:
    ///   selector: {matchLabels: {app: fluent-bit}}
    ///   template:
    ///     metadata: {labels: {app: fluent-bit}}
    ///     spec:
    ///       containers: [{name: fluent-bit, image: "cr.fluentbit.io/fluent/fluent-bit:3.1.9"}]
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: cde-1, labels: {kubernetes.io/os: linux}}
    /// spec:
    ///   taints: [{key: pci, value: cde, effect: NoSchedule}]
    /// ---
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: fluent-bit, namespace: logging}
    /// spec:
    ///   selector: {matchLabels: {app: fluent-bit}}
    ///   template:
    ///     metadata: {labels: {app: fluent-bit}}
    ///     spec:
    ///       tolerations: [{operator: Exists}]
    ///       containers: [{name: fluent-bit, image: "cr.fluentbit.io/fluent/fluent-bit:3.1.9"}]
    /// ```
    ///
    /// ## Fix
    /// Give the log shipper DaemonSet tolerations for every node taint (`operator: Exists`
    /// with no key tolerates all of them) and no nodeSelector that leaves nodes out, or run
    /// a second shipper for the tainted node pool.
    pub LOG_SHIPPER_COVERAGE {
        id: "LOG-001",
        name: "log-shipper-on-every-node",
        severity: High,
        applies: All,
        reads: [DaemonSet, Node],
        requirements: [
            ("10.3.3", "10.3.3", "logs are backed up off a node only where a shipper pod can run; a node whose taints it does not tolerate keeps its logs local"),
            ("10.2.1", "10.2.1", "audit logs must be active for all system components, and a node no shipper reaches has no log trail beyond its own disk"),
        ],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    let inv = cx.inv;
    let nodes = inv.indices_of_kind("Node");
    if nodes.is_empty() {
        let reason = if cx.input.is_cluster() { "no Nodes in the input (listing Nodes may have been denied)" } else { kubepci_findings::reasons::NO_NODES_IN_MANIFESTS };
        e.not_assessed(None, reason);
        return;
    }
    let shippers = shippers(cx);
    if shippers.is_empty() {
        for &n in nodes {
            e.fail(n, "no log shipper DaemonSet (Fluent Bit, Fluentd, Vector, Promtail, Filebeat, OpenTelemetry Collector, …) in the cluster: node logs are not shipped", vec![]);
        }
        return;
    }
    for &n in nodes {
        let o = &inv.objects[n];
        let Resource::Node(node) = &o.resource else { continue };
        let taints = node.spec.as_ref().and_then(|s| s.taints.clone()).unwrap_or_default();
        let labels = o.labels();
        let mut blocked = Vec::new();
        let covered = shippers.iter().any(|s| {
            let selector_ok = s.node_selector.iter().all(|(k, v)| labels.get(k) == Some(v));
            let missing = untolerated(&taints, &s.tolerations);
            if !selector_ok {
                blocked.push(format!("{} (nodeSelector does not match)", s.name));
            } else if !missing.is_empty() {
                let t: Vec<String> = missing.iter().map(|t| format!("{}{}:{}", t.key, t.value.as_deref().map(|v| format!("={v}")).unwrap_or_default(), t.effect)).collect();
                blocked.push(format!("{} (does not tolerate {})", s.name, t.join(", ")));
            }
            selector_ok && missing.is_empty()
        });
        if covered {
            e.pass(n);
        } else {
            let evidence = shippers.iter().map(|s| Evidence::field(format!("DaemonSet {}", s.name), s.image.clone())).collect();
            e.fail(n, format!("no log shipper can run on node {}: {}", o.name(), blocked.join("; ")), evidence);
        }
    }
}
