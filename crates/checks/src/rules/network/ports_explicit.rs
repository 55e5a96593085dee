use kubepci_findings::Evidence;
use kubepci_netpol::Direction;
use kubepci_netpol::policy::Ports;

use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Every allow rule in CDE NetworkPolicies must list its ports
    ///
    /// ## What it checks
    /// Every ingress and egress rule of every NetworkPolicy in a CDE namespace or selecting a
    /// CDE workload has a non-empty `ports` list. A rule without `ports` allows every protocol
    /// and port to the peers it names.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 1.2.5 asks that every allowed service, protocol and port is identified,
    /// approved and has a business need; 1.3.1 and 1.3.2 limit traffic into and out of the CDE
    /// to what is necessary. A rule without ports also opens debug, admin and database ports of
    /// the same pods.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: from-web, namespace: payments}
    /// spec:
    ///   podSelector: {matchLabels: {app: api}}
    ///   ingress:
    ///   - from: [{podSelector: {matchLabels: {app: web}}}]
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
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: from-web, namespace: payments}
    /// spec:
    ///   podSelector: {matchLabels: {app: api}}
    ///   ingress:
    ///   - from: [{podSelector: {matchLabels: {app: web}}}]
    ///     ports: [{protocol: TCP, port: 8443}]
    /// ```
    ///
    /// ## Fix
    /// Add `ports` (protocol and port, or a named container port) to every rule, listing only
    /// what the flow needs.
    pub PORTS_EXPLICIT {
        id: "NET-008",
        name: "ports-explicit",
        severity: Medium,
        applies: CdeRelated,
        reads: [workloads, Namespace, NetworkPolicy],
        requirements: [
            ("1.2.5", "1.2.5.b", "a rule without ports allows every service, protocol and port to the peers it names"),
            ("1.3.1", "1.3.1.b", "ingress rules without ports admit every port of the CDE pods"),
            ("1.3.2", "1.3.2.b", "egress rules without ports let CDE pods reach every port of the peers they name"),
        ],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    for &(index, ref policy) in cx.cde_network_policies() {
        let mut paths = Vec::new();
        for direction in [Direction::Ingress, Direction::Egress] {
            for rule in policy.rules(direction).unwrap_or(&[]) {
                if rule.ports == Ports::Any {
                    paths.push(format!("spec.{direction}[{}].ports", rule.index));
                }
            }
        }
        if paths.is_empty() {
            e.pass(index);
        } else {
            let message = format!("rules without ports allow every protocol and port: {}", paths.join(", "));
            e.fail(index, message, paths.into_iter().map(Evidence::path).collect());
        }
    }
}
