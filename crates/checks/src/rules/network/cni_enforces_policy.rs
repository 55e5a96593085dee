use kubepci_findings::Evidence;

use crate::{Context, Emitter, declare_check};

/// Name or image fragments of data planes that enforce NetworkPolicy.
const ENFORCING: &[&str] = &[
    "calico", "cilium", "antrea", "kube-router", "weave-net", "network-policy-agent", "azure-npm", "anetd", "ovnkube", "kube-ovn",
    "canal",
];

declare_check! {
    /// A NetworkPolicy-enforcing network plugin must be running
    ///
    /// ## What it checks
    /// On a live cluster or a snapshot: some DaemonSet or Deployment runs a data plane known to
    /// enforce NetworkPolicy (Calico, Cilium, Antrea, kube-router, Weave Net, the AWS VPC CNI
    /// network policy agent, Azure NPM, GKE Dataplane V2, OVN-Kubernetes, Kube-OVN, Canal),
    /// recognised by name or image. Flannel alone, or no recognised plugin, fails. On manifests
    /// the plugin is not part of the input, so the check is not assessed.
    ///
    /// ## Why PCI DSS cares
    /// Every segmentation result (1.3.1, 1.3.2) assumes the policies are enforced. With a
    /// plugin that ignores NetworkPolicy, such as flannel, the policies are documentation only
    /// and the whole cluster is one flat network (1.2.1: the rule sets must actually be in force).
    ///
    /// ## Failing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: kube-flannel-ds, namespace: kube-flannel}
    /// spec:
    ///   selector: {matchLabels: {app: flannel}}
    ///   template:
    ///     metadata: {labels: {app: flannel}}
    ///     spec:
    ///       hostNetwork: true
    ///       containers: [{name: kube-flannel, image: docker.io/flannel/flannel:v0.25.1}]
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: calico-node, namespace: kube-system}
    /// spec:
    ///   selector: {matchLabels: {k8s-app: calico-node}}
    ///   template:
    ///     metadata: {labels: {k8s-app: calico-node}}
    ///     spec:
    ///       hostNetwork: true
    ///       containers: [{name: calico-node, image: docker.io/calico/node:v3.28.0}]
    /// ```
    ///
    /// ## Fix
    /// Run a network plugin that enforces NetworkPolicy (or add a policy engine such as Calico
    /// in policy-only mode next to flannel), and keep it on every node that runs CDE pods.
    pub CNI_ENFORCES_POLICY {
        id: "NET-009",
        name: "cni-enforces-policy",
        severity: Critical,
        applies: Cluster,
        reads: [workloads],
        requirements: [
            ("1.2.1", "1.2.1.b", "network policy rule sets are only implemented when the data plane enforces them"),
            ("1.3.1", "1.3.1.b", "inbound CDE limits written as NetworkPolicies hold only with an enforcing network plugin"),
            ("1.3.2", "1.3.2.b", "outbound CDE limits written as NetworkPolicies hold only with an enforcing network plugin"),
        ],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    if !cx.input.is_cluster() {
        e.not_assessed(None, kubepci_findings::reasons::NETWORK_PLUGIN_NOT_IN_MANIFESTS);
        return;
    }
    let mut found = Vec::new();
    let mut flannel = false;
    for (_, o, t) in cx.workloads() {
        if !matches!(o.kind(), "DaemonSet" | "Deployment") {
            continue;
        }
        let texts: Vec<String> = std::iter::once(o.name().to_ascii_lowercase()).chain(t.spec.containers.iter().map(|c| c.image.clone().unwrap_or_default().to_ascii_lowercase())).collect();
        if texts.iter().any(|s| ENFORCING.iter().any(|k| s.contains(k))) {
            found.push(format!("{}/{}/{}", o.kind(), o.namespace().unwrap_or(""), o.name()));
        } else if texts.iter().any(|s| s.contains("flannel")) {
            flannel = true;
        }
    }
    if !found.is_empty() {
        e.pass_cluster();
    } else if flannel {
        e.fail_cluster("flannel is the network plugin and it does not enforce NetworkPolicy", vec![Evidence::field("cni", "flannel")]);
    } else {
        e.fail_cluster("no NetworkPolicy-enforcing network plugin found among DaemonSets and Deployments", Vec::new());
    }
}
