use kubepci_findings::Evidence;

use super::versions::{apiservers, nodes};
use crate::support::k8s_versions::{AS_OF, KubeVersion, Support, support};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Kubernetes must be a version that still receives upstream patches
    ///
    /// ## What it checks
    /// The kube-apiserver version (from its static pod's image tag, when visible) and each
    /// Node's `status.nodeInfo.kubeletVersion` are looked up in kubepci's dated table of
    /// upstream Kubernetes releases (`support/k8s_versions.rs`): the minor release must not have
    /// reached its end of life on the table's date. Versions newer than the table are not
    /// assessed. Managed distributions (EKS, GKE, AKS) may support a minor longer than upstream;
    /// record that as an exception with the provider's date.
    ///
    /// ## Why PCI DSS cares
    /// An out-of-support minor gets no security fixes. Requirement 6.3.3 asks that critical
    /// patches are installed within a month, impossible when none are published for the release
    /// in use. The yearly review of technologies for continued vendor support (12.3.4) is a
    /// process the assessor examines; this check shows its outcome on the cluster, not the
    /// review.
    ///
    /// ## Failing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: worker-1}
    /// status:
    ///   nodeInfo: {kubeletVersion: v1.28.15, osImage: Ubuntu 22.04.4 LTS, kernelVersion: 5.15.0-119-generic, containerRuntimeVersion: "containerd://1.7.20", machineID: a, systemUUID: a, bootID: a, kubeProxyVersion: "", operatingSystem: linux, architecture: amd64}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: worker-1}
    /// status:
    ///   nodeInfo: {kubeletVersion: v1.35.2, osImage: Ubuntu 24.04.1 LTS, kernelVersion: 6.8.0-49-generic, containerRuntimeVersion: "containerd://2.0.2", machineID: a, systemUUID: a, bootID: a, kubeProxyVersion: "", operatingSystem: linux, architecture: amd64}
    /// ```
    ///
    /// ## Fix
    /// Upgrade the control plane, then the nodes, one minor release at a time to a supported
    /// release, and plan upgrades before each end-of-life date.
    pub VERSION_SUPPORTED {
        id: "VER-001",
        name: "kubernetes-version-supported",
        severity: High,
        applies: Cluster,
        reads: [Node, Pod],
        requirements: [("6.3.3", "6.3.3.b", "an out-of-support minor receives no security patches, so published fixes for it cannot be installed")],
        run: run,
    }
}

fn judge(e: &mut Emitter, index: usize, what: &str, raw: &str, version: Option<KubeVersion>, mut evidence: Vec<Evidence>) {
    let Some(v) = version else {
        e.not_assessed(Some(index), format!("{what} version `{raw}` is not a Kubernetes version"));
        return;
    };
    match support(v) {
        Support::Supported { .. } => e.pass(index),
        Support::EndOfLife { since } => {
            let when = since.map_or("before 2023".to_string(), str::to_string);
            evidence.retain(|ev| ev.path.ends_with("Version") || ev.path.ends_with("command") || ev.path.contains("osImage"));
            e.fail(index, format!("{what} runs Kubernetes {v}; 1.{} reached end of upstream support on {when} (support table dated {AS_OF})", v.minor), evidence);
        }
        Support::Unknown => e.not_assessed(Some(index), format!("{what} version {v} is newer than kubepci's support table (dated {AS_OF})")),
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    let nodes = nodes(cx);
    let apiservers = apiservers(cx);
    if nodes.is_empty() && apiservers.is_empty() {
        let reason = if cx.input.is_cluster() { "no Nodes in the input (listing Nodes may have been denied)" } else { kubepci_findings::reasons::NO_NODES_OR_APISERVER_IN_MANIFESTS };
        e.not_assessed(None, reason);
        return;
    }
    for (index, raw, version) in apiservers {
        judge(e, index, "kube-apiserver", &raw, version, vec![Evidence::field("spec.containers[0].image", raw.clone())]);
    }
    for n in nodes {
        judge(e, n.index, "the node's kubelet", &n.raw, n.version, n.facts);
    }
}
