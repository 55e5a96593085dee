use kubepci_findings::Evidence;
use kubepci_netpol::Direction;
use kubepci_netpol::policy::{NamespaceMatch, Peer, Peers, Policy};

use crate::{Context, Emitter, declare_check};

declare_check! {
    /// CDE NetworkPolicies must not contain allow-all rules
    ///
    /// ## What it checks
    /// Every NetworkPolicy in a CDE namespace or selecting a CDE workload. A rule fails when
    /// it allows every peer: no `from`/`to` (or an empty list), a peer with
    /// `namespaceSelector: {}` and no (or an empty) `podSelector` (every pod in the cluster),
    /// or an `ipBlock` covering the whole address space (`0.0.0.0/0`, `::/0`).
    ///
    /// ## Why PCI DSS cares
    /// Requirements 1.3.1 and 1.3.2 ask that traffic into and out of the CDE is limited to
    /// what is necessary, and 1.2.5 that every allowed service is identified and approved. An
    /// allow-all rule looks like segmentation in a policy list while it restricts nothing.
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
    /// metadata: {name: allow-everything, namespace: payments}
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Ingress]
    ///   ingress:
    ///   - {}
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
    ///   policyTypes: [Ingress]
    ///   ingress:
    ///   - from: [{podSelector: {matchLabels: {app: web}}}]
    ///     ports: [{protocol: TCP, port: 8443}]
    /// ```
    ///
    /// ## Fix
    /// Replace each allow-all rule with rules that name the peers (pod and namespace
    /// selectors, or the narrowest CIDRs) and ports the flow needs.
    pub NO_ALLOW_ALL_RULES {
        id: "NET-004",
        name: "no-allow-all-rules",
        severity: High,
        applies: CdeRelated,
        reads: [workloads, Namespace, NetworkPolicy],
        requirements: [
            ("1.3.1", "1.3.1.b", "an allow-all ingress rule admits every source into the CDE"),
            ("1.3.2", "1.3.2.b", "an allow-all egress rule lets CDE pods reach every destination"),
            ("1.2.5", "1.2.5.b", "an allow-all rule permits every service, protocol and port, not only approved ones"),
        ],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    for &(index, ref policy) in cx.cde_network_policies() {
        let problems = allow_all_rules(policy);
        if problems.is_empty() {
            e.pass(index);
        } else {
            let evidence = problems.iter().map(|(path, why)| Evidence::field(path.clone(), why.clone())).collect();
            let message = problems.into_iter().map(|(path, why)| format!("{path}: {why}")).collect::<Vec<_>>().join("; ");
            e.fail(index, message, evidence);
        }
    }
}

/// (field path, reason) for every allow-all rule of the policy.
fn allow_all_rules(policy: &Policy) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for direction in [Direction::Ingress, Direction::Egress] {
        let peers_field = if direction == Direction::Ingress { "from" } else { "to" };
        for rule in policy.rules(direction).unwrap_or(&[]) {
            let path = format!("spec.{direction}[{}]", rule.index);
            match &rule.peers {
                Peers::Any => out.push((path, format!("no `{peers_field}`: every peer is allowed"))),
                Peers::List(peers) => {
                    for peer in peers {
                        match peer {
                            Peer::Pods(m) if m.pods.is_everything() && matches!(&m.namespaces, NamespaceMatch::Selector(s) if s.is_everything()) => {
                                out.push((path.clone(), "`namespaceSelector: {}` allows every pod in the cluster".into()));
                            }
                            Peer::Ips(ips) if ips.is_all() => out.push((path.clone(), "ipBlock covers every address (0.0.0.0/0)".into())),
                            _ => {}
                        }
                    }
                }
            }
        }
    }
    out
}
