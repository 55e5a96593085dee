//! Versions the platform checks compare: kube-apiserver (from its static pod's image tag)
//! and each Node's kubelet.

use kubepci_findings::Evidence;
use kubepci_model::Resource;

use super::control_plane::{Component, component_pods};
use crate::Context;
use crate::support::k8s_versions::KubeVersion;

/// A Node's kubelet version with the node facts reported alongside it.
pub struct NodeVersion {
    pub index: usize,
    pub raw: String,
    pub version: Option<KubeVersion>,
    /// OS image, kernel and container runtime, as evidence.
    pub facts: Vec<Evidence>,
}

/// Every Node with its `status.nodeInfo`.
pub fn nodes(cx: &Context) -> Vec<NodeVersion> {
    let inv = cx.inv;
    inv.indices_of_kind("Node")
        .iter()
        .filter_map(|&index| {
            let Resource::Node(node) = &inv.objects[index].resource else { return None };
            let info = node.status.as_ref()?.node_info.as_ref()?;
            let facts = vec![
                Evidence::field("status.nodeInfo.kubeletVersion", info.kubelet_version.clone()),
                Evidence::field("status.nodeInfo.osImage", info.os_image.clone()),
                Evidence::field("status.nodeInfo.kernelVersion", info.kernel_version.clone()),
                Evidence::field("status.nodeInfo.containerRuntimeVersion", info.container_runtime_version.clone()),
            ];
            Some(NodeVersion { index, raw: info.kubelet_version.clone(), version: KubeVersion::parse(&info.kubelet_version), facts })
        })
        .collect()
}

/// kube-apiserver static pods with the version of their image tag.
pub fn apiservers(cx: &Context) -> Vec<(usize, String, Option<KubeVersion>)> {
    component_pods(cx, Component::ApiServer)
        .iter()
        .filter_map(|p| p.image_version().map(|tag| (p.index, tag.to_string(), KubeVersion::parse(tag))))
        .collect()
}
