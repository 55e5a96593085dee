//! Runtime security on the nodes that run the CDE: intrusion-detection agents, file-integrity
//! monitoring and anti-malware, found by their DaemonSets and judged by where they run; and
//! the nodes' time synchronization as node-problem-detector reports it.

mod anti_malware;
mod fim;
mod node_time_sync;
mod runtime_detection;

use std::collections::BTreeMap;

use kubepci_findings::Evidence;
use kubepci_inventory::Scope;
use kubepci_model::Resource;

use crate::support::placement::admits;
use crate::{Check, Context, Emitter};

pub const CHECKS: &[&Check] = &[&runtime_detection::RUNTIME_DETECTION, &fim::FILE_INTEGRITY, &anti_malware::ANTI_MALWARE, &node_time_sync::NODE_TIME_SYNC];

/// What a node agent provides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capability {
    /// Runtime intrusion detection (suspicious processes, syscalls, network activity).
    Detection,
    /// File-integrity monitoring: alerts on changes to critical files.
    Fim,
    AntiMalware,
}

impl Capability {
    fn parse(s: &str) -> Option<Capability> {
        match s.trim().to_ascii_lowercase().as_str() {
            "detection" | "intrusion-detection" | "ids" => Some(Capability::Detection),
            "fim" | "file-integrity" | "file-integrity-monitoring" => Some(Capability::Fim),
            "anti-malware" | "antimalware" | "malware" => Some(Capability::AntiMalware),
            _ => None,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Capability::Detection => "runtime intrusion-detection agent",
            Capability::Fim => "file-integrity monitoring agent",
            Capability::AntiMalware => "anti-malware agent",
        }
    }
}

use Capability::{AntiMalware, Detection, Fim};

/// Node agents kubepci knows: (product, image fragments, what it provides). A DaemonSet whose
/// container image contains a fragment is that agent. Capabilities are the product's
/// documented features; whether its rules cover the CDE's critical files stays the assessor's.
/// `securityAgents` in kubepci.yaml adds more.
pub const KNOWN_AGENTS: &[(&str, &[&str], &[Capability])] = &[
    ("Falco", &["falcosecurity/falco"], &[Detection]),
    ("Tetragon", &["cilium/tetragon"], &[Detection]),
    ("KubeArmor", &["kubearmor/kubearmor"], &[Detection]),
    ("Sysdig Secure agent", &["sysdig/agent", "sysdig/shield"], &[Detection, Fim]),
    ("Aqua Enforcer", &["aquasec/enforcer"], &[Detection, Fim, AntiMalware]),
    ("Prisma Cloud Defender", &["twistlock/defender", "twistlock/private"], &[Detection, Fim, AntiMalware]),
    ("Microsoft Defender for Containers", &["azuredefender/stable/low-level-collector", "azuredefender/stable/security-publisher"], &[Detection, AntiMalware]),
    ("CrowdStrike Falcon sensor", &["falcon-sensor", "crowdstrike/falcon"], &[Detection, AntiMalware]),
    ("Wazuh agent", &["wazuh/wazuh-agent"], &[Detection, Fim]),
];

/// An agent DaemonSet found in the input.
pub(crate) struct Agent {
    pub(crate) product: String,
    /// Index of the DaemonSet in the inventory.
    pub(crate) index: usize,
    /// Nodes its Pods run on, when the input has its Pods.
    running_on: Option<Vec<String>>,
}

pub(crate) fn find_agents(cx: &Context, capability: Capability) -> Vec<Agent> {
    // The agents' Pods tell where they run.
    cx.inv.lookup(crate::MEMBER_LOOKUP);
    let config = &cx.inv.config.security_agents;
    let mut agents = Vec::new();
    for (w, o, t) in cx.workloads() {
        if o.kind() != "DaemonSet" {
            continue;
        }
        let images: Vec<&str> = crate::support::containers::containers(&t).filter_map(|c| c.container.image.as_deref()).collect();
        let known = KNOWN_AGENTS.iter().find(|(_, fragments, caps)| caps.contains(&capability) && images.iter().any(|i| fragments.iter().any(|f| i.contains(f)))).map(|(p, _, _)| p.to_string());
        let declared = || {
            config.iter().find(|a| a.capabilities.iter().any(|c| Capability::parse(c) == Some(capability)) && images.iter().any(|i| a.images.iter().any(|f| !f.is_empty() && i.contains(f.as_str())))).map(|a| a.name.clone())
        };
        let Some(product) = known.or_else(declared) else { continue };
        let pods: Vec<String> = w
            .members
            .iter()
            .filter_map(|&m| match &cx.inv.objects[m].resource {
                Resource::Pod(p) => p.spec.as_ref().and_then(|s| s.node_name.clone()),
                _ => None,
            })
            .collect();
        let has_pods = w.members.iter().any(|&m| cx.inv.objects[m].kind() == "Pod");
        agents.push(Agent { product, index: w.object, running_on: has_pods.then_some(pods) });
    }
    agents
}

/// Nodes that run CDE pods (by `spec.nodeName`), with the pods.
fn cde_nodes(cx: &Context) -> BTreeMap<String, Vec<String>> {
    cx.inv.lookup(crate::MEMBER_LOOKUP);
    let mut nodes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for w in cx.inv.workloads().iter().filter(|w| w.scope.scope == Scope::Cde) {
        for &m in std::iter::once(&w.object).chain(&w.members) {
            let o = &cx.inv.objects[m];
            if let Resource::Pod(p) = &o.resource
                && let Some(node) = p.spec.as_ref().and_then(|s| s.node_name.clone())
            {
                nodes.entry(node).or_default().push(o.object_ref().to_string());
            }
        }
    }
    nodes
}

/// Judge every node that runs CDE pods: passes when an agent with `capability` runs there (its
/// Pods, when the input has them) or would be scheduled there (its DaemonSet's selector,
/// affinity and tolerations against the node's labels and taints). An agent that does not reach
/// the node fails it; no agent at all fails it when `fail_when_absent`, else (anti-malware)
/// leaves it not assessed with `absent_reason`.
fn judge_coverage(cx: &Context, e: &mut Emitter, capability: Capability, fail_when_absent: bool, absent_reason: &str) {
    let node_indices = cx.inv.indices_of_kind("Node");
    if node_indices.is_empty() {
        let reason = if cx.input.is_cluster() { "no Nodes in the input (listing Nodes may have been denied)" } else { kubepci_findings::reasons::NO_NODES_IN_MANIFESTS };
        e.not_assessed(None, reason);
        return;
    }
    let cde = cde_nodes(cx);
    if cde.is_empty() {
        e.not_assessed(None, "no running CDE pods with a node (spec.nodeName) in the input");
        return;
    }
    let agents = find_agents(cx, capability);
    let mut seen = Vec::new();
    for &index in node_indices {
        let Resource::Node(node) = &cx.inv.objects[index].resource else { continue };
        let name = node.metadata.name.clone().unwrap_or_default();
        let Some(pods) = cde.get(&name) else { continue };
        seen.push(name.clone());
        let mut why_not = Vec::new();
        let mut covered = false;
        for a in &agents {
            let ds = &cx.inv.objects[a.index];
            let verdict = match &a.running_on {
                Some(nodes) if nodes.contains(&name) => Ok(()),
                Some(_) => Err("none of its Pods runs on the node".to_string()),
                None => match ds.pod_template() {
                    Some(t) => admits(t.spec, node),
                    None => Err("it has no pod template".into()),
                },
            };
            match verdict {
                Ok(()) => covered = true,
                Err(reason) => why_not.push(format!("{} ({}): {reason}", a.product, ds.object_ref())),
            }
        }
        let mut evidence = vec![Evidence::field("CDE pods on the node", pods.iter().take(5).cloned().collect::<Vec<_>>().join(", "))];
        if covered {
            e.pass(index);
        } else if agents.is_empty() {
            if fail_when_absent {
                e.fail(index, format!("no {} runs on this node, which runs {} CDE pod(s)", capability.noun(), pods.len()), evidence);
            } else {
                e.not_assessed(Some(index), absent_reason.to_string());
            }
        } else {
            // An agent is deployed but does not reach the node: a gap in the solution in use,
            // whatever a risk evaluation says about hosts without any.
            evidence.extend(why_not.iter().map(|w| Evidence::field("agent", w.clone())));
            e.fail(index, format!("no {} covers this node, which runs {} CDE pod(s): {}", capability.noun(), pods.len(), why_not.join("; ")), evidence);
        }
    }
    let missing: Vec<&String> = cde.keys().filter(|n| !seen.contains(n)).collect();
    if !missing.is_empty() {
        e.not_assessed(None, format!("CDE pods run on {} node(s) not in the input: {}", missing.len(), missing.iter().take(5).map(|s| s.as_str()).collect::<Vec<_>>().join(", ")));
    }
}

#[cfg(test)]
mod tests {
    use super::anti_malware::ANTI_MALWARE;
    use super::runtime_detection::RUNTIME_DETECTION;
    use crate::testing::run;

    const CLUSTER: &str = "# input: snapshot\napiVersion: v1\nkind: Namespace\nmetadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}\n---\napiVersion: v1\nkind: Node\nmetadata: {name: cde-1}\n---\napiVersion: v1\nkind: Node\nmetadata: {name: cde-2}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: api-0, namespace: payments}\nspec: {nodeName: cde-1, containers: [{name: api, image: api:1}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: api-1, namespace: payments}\nspec: {nodeName: cde-2, containers: [{name: api, image: api:1}]}\n";

    const SENSOR: &str = "---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: sensor, namespace: sec, uid: ds1}\nspec:\n  selector: {matchLabels: {app: sensor}}\n  template:\n    metadata: {labels: {app: sensor}}\n    spec: {containers: [{name: s, image: \"registry.example.com/secops/sensor:2\"}]}\n";

    #[test]
    fn running_agent_pods_decide_over_the_template_and_config_declares_agents() {
        let config = "securityAgents:\n- {name: SecOps sensor, images: [secops/sensor], capabilities: [detection]}\n";
        // Declared, no Pods in the input: the template admits both nodes.
        assert_eq!(run(&RUNTIME_DETECTION, &format!("{CLUSTER}{SENSOR}"), config).passed, 2);
        // Not declared: nothing covers the nodes.
        let out = run(&RUNTIME_DETECTION, &format!("{CLUSTER}{SENSOR}"), "");
        assert_eq!(out.fails.len(), 2);
        assert!(out.fails[0].message.starts_with("no runtime intrusion-detection agent runs on this node"), "{:?}", out.fails);
        // With the agent's Pods in the input, only the node one runs on is covered.
        let pod = "---\napiVersion: v1\nkind: Pod\nmetadata: {name: sensor-x, namespace: sec, ownerReferences: [{apiVersion: apps/v1, kind: DaemonSet, name: sensor, uid: ds1, controller: true}]}\nspec: {nodeName: cde-1, containers: [{name: s, image: \"registry.example.com/secops/sensor:2\"}]}\n";
        let out = run(&RUNTIME_DETECTION, &format!("{CLUSTER}{SENSOR}{pod}"), config);
        assert_eq!((out.passed, out.fails.len()), (1, 1), "{:?}", out.findings);
        assert!(out.fails[0].message.contains("none of its Pods runs on the node"), "{}", out.fails[0].message);
    }

    #[test]
    fn without_nodes_or_without_any_anti_malware_agent_it_is_not_assessed() {
        let manifests = CLUSTER.replace("# input: snapshot\n", "");
        let out = run(&RUNTIME_DETECTION, &manifests.replace("kind: Node", "kind: ConfigMap"), "");
        assert_eq!((out.passed, out.fails.len()), (0, 0));
        let out = run(&ANTI_MALWARE, CLUSTER, "");
        assert_eq!((out.passed, out.fails.len(), out.not_assessed.len()), (0, 0, 2));
        assert!(out.not_assessed[0].message.contains("5.2.3"));
    }
}
