use kubepci_findings::Evidence;
use kubepci_model::Resource;
use kubepci_vulns::eol::{AS_OF, Support, os_support, parse_os_image, runtime_support};

use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Nodes must run an operating system and container runtime that still receive security fixes
    ///
    /// ## What it checks
    /// Each Node's `status.nodeInfo.osImage` (Ubuntu, Debian, RHEL, CentOS, Rocky, Alma, Amazon
    /// Linux, Alpine) and `containerRuntimeVersion` (containerd) are looked up in kubepci's dated
    /// support table (`kubepci_vulns::eol`): neither may be past its end of security support,
    /// LTS included and paid extensions not counted. The kernel version is shown as evidence.
    /// Rolling or vendor-managed node images (Bottlerocket, Flatcar, Container-Optimized OS,
    /// RHCOS, Talos) are not assessed; a runtime release the table does not know (newer
    /// containerd minors, CRI-O) is not judged. Kubelet versions are VER-001 and VER-002.
    ///
    /// ## Why PCI DSS cares
    /// The node operating system and the container runtime are software every CDE pod depends
    /// on; once their support ends no security fix will be published for them. Requirement
    /// 12.3.4 asks that technologies in use still receive vendor support.
    ///
    /// ## Failing example
    /// ```yaml
    /// # input: snapshot
    /// # now: 2026-12-07
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: worker-1}
    /// status:
    ///   nodeInfo: {kubeletVersion: v1.34.2, osImage: Ubuntu 20.04.6 LTS, kernelVersion: 5.4.0-200-generic, containerRuntimeVersion: "containerd://1.6.36", machineID: a, systemUUID: a, bootID: a, kubeProxyVersion: "", operatingSystem: linux, architecture: amd64}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// # input: snapshot
    /// # now: 2026-12-07
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: worker-1}
    /// status:
    ///   nodeInfo: {kubeletVersion: v1.34.2, osImage: Ubuntu 24.04.1 LTS, kernelVersion: 6.8.0-49-generic, containerRuntimeVersion: "containerd://2.1.4", machineID: a, systemUUID: a, bootID: a, kubeProxyVersion: "", operatingSystem: linux, architecture: amd64}
    /// ```
    ///
    /// ## Fix
    /// Move the node pool to a supported OS release and container runtime (a new node image,
    /// then drain and replace the old nodes), and plan the next move before each end-of-life
    /// date.
    pub NODE_EOL {
        id: "VUL-004",
        name: "node-os-runtime-end-of-life",
        severity: High,
        applies: Cluster,
        reads: [Node],
        requirements: [("12.3.4", "12.3.4", "a node OS or container runtime past its end of security support is a technology no longer supported by its vendor")],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    let nodes = cx.inv.indices_of_kind("Node");
    if nodes.is_empty() {
        let reason = if cx.input.is_cluster() { "no Nodes in the input (listing Nodes may have been denied)" } else { kubepci_findings::reasons::NO_NODES_IN_MANIFESTS };
        e.not_assessed(None, reason);
        return;
    }
    for &index in nodes {
        let Resource::Node(node) = &cx.inv.objects[index].resource else { continue };
        let Some(info) = node.status.as_ref().and_then(|s| s.node_info.as_ref()) else {
            e.not_assessed(Some(index), "the Node has no status.nodeInfo");
            continue;
        };
        let evidence = vec![
            Evidence::field("status.nodeInfo.osImage", info.os_image.clone()),
            Evidence::field("status.nodeInfo.kernelVersion", info.kernel_version.clone()),
            Evidence::field("status.nodeInfo.containerRuntimeVersion", info.container_runtime_version.clone()),
        ];
        let mut problems = Vec::new();
        let mut os_known = false;
        match parse_os_image(&info.os_image).map(|(family, version)| os_support(family, &version, cx.now)) {
            Some(Support::Ended(end)) => problems.push(format!("the node OS {:?} reached its end of security support on {end}", info.os_image)),
            Some(Support::Until(_)) => os_known = true,
            _ => {}
        }
        if let (Support::Ended(end), Some(name)) = runtime_support(&info.container_runtime_version, cx.now) {
            problems.push(format!("the container runtime {name} reached its end of support on {end}"));
        }
        if !problems.is_empty() {
            e.fail(index, format!("{} (support table dated {AS_OF})", problems.join("; ")), evidence);
        } else if os_known {
            e.pass(index);
        } else {
            e.not_assessed(Some(index), format!("the node OS {:?} is not in kubepci's support table (dated {AS_OF})", info.os_image));
        }
    }
}
