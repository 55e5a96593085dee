use kubepci_findings::Evidence;
use kubepci_netpol::Endpoint;
use kubepci_netpol::ipblocks::IpSet;
use kubepci_netpol::ports::Protocol;

use crate::analyses::network::{FlowEnd, NetView, unapproved};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// CDE pods must not reach the cloud metadata endpoint
    ///
    /// ## What it checks
    /// For every CDE workload, the computed reachability (NetworkPolicies, AdminNetworkPolicies,
    /// as for NET-005) must not allow a connection to `169.254.169.254` on TCP port 80 (the
    /// instance metadata service of AWS, GCP, Azure and most other clouds) unless an
    /// `approvedFlows` entry allows it. The cloud's own protections (IMDSv2 with a hop limit of
    /// 1, GKE metadata concealment or Workload Identity, Azure Workload Identity) are not in the
    /// input and are not counted.
    ///
    /// ## Why PCI DSS cares
    /// The metadata endpoint hands out the node's cloud credentials, which usually can read
    /// disks, snapshots, registries or secrets stores, and its user data often contains
    /// bootstrap tokens. An application compromised through a server-side request forgery can
    /// fetch them. Requirement 1.3.2 asks that outbound traffic from the CDE is restricted to
    /// what is necessary; CDE applications do not need the node's credentials.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: api, namespace: payments, labels: {app: api}}
    /// spec:
    ///   containers:
    ///   - {name: api, image: registry.example.com/pay/api:1.0}
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: egress-anywhere, namespace: payments}
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Egress]
    ///   egress:
    ///   - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: api, namespace: payments, labels: {app: api}}
    /// spec:
    ///   containers:
    ///   - {name: api, image: registry.example.com/pay/api:1.0}
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: egress-https, namespace: payments}
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Egress]
    ///   egress:
    ///   - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}}]
    ///     ports: [{protocol: TCP, port: 443}]
    /// ```
    ///
    /// ## Fix
    /// Add `except: [169.254.169.254/32]` to every `ipBlock` that CDE egress rules allow (or
    /// a cluster-wide AdminNetworkPolicy denying it), and give applications cloud access
    /// through workload identity (IRSA, GKE or Azure Workload Identity) rather than node
    /// credentials; on AWS also require IMDSv2 with a hop limit of 1.
    pub METADATA_ENDPOINT {
        id: "NET-014",
        name: "cde-reaches-cloud-metadata",
        severity: High,
        applies: Cde,
        reads: [workloads, AdminNetworkPolicy, BaselineAdminNetworkPolicy, Namespace, NetworkPolicy],
        requirements: [("1.3.2", "1.3.2.b", "the node's cloud credentials behind the metadata endpoint are outbound access no CDE application needs")],
        run: run,
    }
}

/// The instance metadata address of the major clouds.
pub const METADATA_IP: u32 = u32::from_be_bytes([169, 254, 169, 254]);

fn run(cx: &Context, e: &mut Emitter) {
    let view = NetView::new(cx);
    let r = &view.r;
    let flows = &cx.inv.config.approved_flows;
    let metadata = IpSet::range(METADATA_IP, METADATA_IP);
    for (object, ep) in view.cde_workloads(cx) {
        let w = &r.workloads()[ep];
        let src = FlowEnd::Workload { namespace: &w.namespace, name: &w.name };
        let open = r.destinations_of(ep).into_iter().find_map(|(dst, conns)| {
            let Endpoint::ExternalDestination(b) = dst else { return None };
            let block = &r.external_destinations()[b as usize];
            if !block.overlaps(&metadata) {
                return None;
            }
            let left = unapproved(flows, &src, &FlowEnd::Range(&metadata), conns);
            left.contains(Protocol::Tcp, 80).then(|| block.to_string())
        });
        match open {
            Some(block) => e.fail(object, "may connect to the cloud metadata endpoint 169.254.169.254:80 (node credentials)", vec![Evidence::field("egress", format!("{block} allowed on TCP/80"))]),
            None => e.pass(object),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POD: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: api, namespace: payments, labels: {app: api}}\nspec: {containers: [{name: api, image: r.example/api:1}]}\n";

    #[test]
    fn no_egress_policy_reaches_it() {
        let out = crate::testing::run(&METADATA_ENDPOINT, POD, "");
        assert_eq!(out.fails.len(), 1, "{out:?}");
    }

    #[test]
    fn default_deny_and_other_ports_do_not() {
        let deny = format!("{POD}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: deny, namespace: payments}}\nspec: {{podSelector: {{}}, policyTypes: [Egress]}}\n");
        assert_eq!(crate::testing::run(&METADATA_ENDPOINT, &deny, "").passed, 1);
        let dns_only = format!("{POD}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: dns, namespace: payments}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  egress: [{{to: [{{ipBlock: {{cidr: 0.0.0.0/0}}}}], ports: [{{protocol: UDP, port: 53}}]}}]\n");
        assert_eq!(crate::testing::run(&METADATA_ENDPOINT, &dns_only, "").passed, 1);
    }

    #[test]
    fn an_approved_flow_passes() {
        let config = "approvedFlows: [{from: payments/api, to: 169.254.169.254/32, ports: [TCP/80], reason: legacy SDK reads instance credentials (RISK-9)}]";
        assert_eq!(crate::testing::run(&METADATA_ENDPOINT, POD, config).passed, 1);
    }
}
