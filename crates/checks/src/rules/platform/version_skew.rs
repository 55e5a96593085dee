use super::versions::{apiservers, nodes};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Kubelets must stay within the supported version skew of the API server
    ///
    /// ## What it checks
    /// Each Node's kubelet minor version is not newer than the kube-apiserver's and at most three
    /// minors older (two before Kubernetes 1.28), as the upstream version skew policy allows.
    /// The API server version comes from its static pod's image tag; when it is not visible, the
    /// newest kubelet stands in for it (the API server is never older than its kubelets).
    ///
    /// ## Why PCI DSS cares
    /// Nodes left behind during upgrades run kubelets that no longer receive fixes and
    /// combinations the project does not test. Requirement 6.3.3 asks that security patches
    /// reach every component.
    ///
    /// ## Failing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: cp-1}
    /// status:
    ///   nodeInfo: {kubeletVersion: v1.35.2, osImage: Ubuntu 24.04.1 LTS, kernelVersion: 6.8.0-49-generic, containerRuntimeVersion: "containerd://2.0.2", machineID: a, systemUUID: a, bootID: a, kubeProxyVersion: "", operatingSystem: linux, architecture: amd64}
    /// ---
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: old-worker}
    /// status:
    ///   nodeInfo: {kubeletVersion: v1.30.4, osImage: Ubuntu 22.04.4 LTS, kernelVersion: 5.15.0-119-generic, containerRuntimeVersion: "containerd://1.7.20", machineID: b, systemUUID: b, bootID: b, kubeProxyVersion: "", operatingSystem: linux, architecture: amd64}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: cp-1}
    /// status:
    ///   nodeInfo: {kubeletVersion: v1.35.2, osImage: Ubuntu 24.04.1 LTS, kernelVersion: 6.8.0-49-generic, containerRuntimeVersion: "containerd://2.0.2", machineID: a, systemUUID: a, bootID: a, kubeProxyVersion: "", operatingSystem: linux, architecture: amd64}
    /// ---
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: worker-1}
    /// status:
    ///   nodeInfo: {kubeletVersion: v1.34.3, osImage: Ubuntu 24.04.1 LTS, kernelVersion: 6.8.0-49-generic, containerRuntimeVersion: "containerd://2.0.2", machineID: b, systemUUID: b, bootID: b, kubeProxyVersion: "", operatingSystem: linux, architecture: amd64}
    /// ```
    ///
    /// ## Fix
    /// Upgrade (or replace) the lagging nodes to the control plane's minor version; upgrade the
    /// control plane first, and never run kubelets newer than the API server.
    pub VERSION_SKEW {
        id: "VER-002",
        name: "kubelet-version-skew",
        severity: Medium,
        applies: Cluster,
        reads: [Node],
        requirements: [("6.3.3", "6.3.3.b", "a kubelet more than three minors behind its API server runs a release upstream no longer patches")],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    let nodes = nodes(cx);
    if nodes.is_empty() {
        let reason = if cx.input.is_cluster() { "no Nodes in the input (listing Nodes may have been denied)" } else { kubepci_findings::reasons::NO_NODES_IN_MANIFESTS };
        e.not_assessed(None, reason);
        return;
    }
    let from_apiserver = apiservers(cx).into_iter().filter_map(|(_, _, v)| v).max();
    let reference = from_apiserver.or_else(|| nodes.iter().filter_map(|n| n.version).max());
    let Some(reference) = reference else {
        e.not_assessed(None, "no parsable kubelet or kube-apiserver version");
        return;
    };
    let source = if from_apiserver.is_some() { "kube-apiserver" } else { "the newest kubelet" };
    let allowed = if reference.minor >= 28 { 3 } else { 2 };
    for n in nodes {
        let Some(v) = n.version else {
            e.not_assessed(Some(n.index), format!("kubelet version `{}` is not a Kubernetes version", n.raw));
            continue;
        };
        if v.major != reference.major || v.minor > reference.minor {
            e.fail(n.index, format!("kubelet {v} is newer than {source} {reference}"), n.facts);
        } else if reference.minor - v.minor > allowed {
            e.fail(n.index, format!("kubelet {v} is {} minor versions behind {source} {reference} (at most {allowed} allowed)", reference.minor - v.minor), n.facts);
        } else {
            e.pass(n.index);
        }
    }
}
