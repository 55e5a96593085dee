//! Behaviour of the network checks beyond their documented examples.

use crate::testing::run;

const CDE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels: {pci.kubepci.io/scope: cde}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: api, namespace: payments, labels: {app: api}}\nspec:\n  containers: [{name: api, image: i}]\n";

#[test]
fn baseline_admin_policy_counts_as_default_deny() {
    let yaml = format!(
        "{CDE}---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata: {{name: default}}\nspec:\n  subject: {{namespaces: {{}}}}\n  ingress:\n  - {{action: Deny, from: [{{namespaces: {{}}}}]}}\n"
    );
    let out = run(&super::default_deny_ingress::DEFAULT_DENY_INGRESS, &yaml, "");
    assert!(out.fails.is_empty() && out.passed == 1, "{:?}", out.fails);
    let out = run(&super::default_deny_egress::DEFAULT_DENY_EGRESS, &yaml, "");
    assert_eq!(out.fails.len(), 1);
}

#[test]
fn approved_egress_range_passes() {
    let yaml = format!(
        "{CDE}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: out, namespace: payments}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  egress:\n  - to: [{{ipBlock: {{cidr: 0.0.0.0/0}}}}]\n    ports: [{{protocol: TCP, port: 443}}]\n"
    );
    assert_eq!(run(&super::no_broad_egress::NO_BROAD_EGRESS, &yaml, "").fails.len(), 1);
    let config = "approvedFlows:\n- {from: payments/api, to: 0.0.0.0/0, ports: [TCP/443], reason: card network}\n";
    let out = run(&super::no_broad_egress::NO_BROAD_EGRESS, &yaml, config);
    assert!(out.fails.is_empty() && out.passed == 1);
}

#[test]
fn unprotected_cde_pod_has_unapproved_external_ingress() {
    let out = run(&super::cde_boundary_flows::CDE_BOUNDARY_FLOWS, CDE, "");
    assert_eq!(out.fails.len(), 1);
    assert!(out.fails[0].message.contains("0.0.0.0-255.255.255.255[External]"), "{}", out.fails[0].message);
}

#[test]
fn checks_without_cde_are_not_assessed() {
    let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec:\n  containers: [{name: c, image: i}]\n";
    let out = run(&super::cross_scope_ingress::CROSS_SCOPE_INGRESS, yaml, "");
    assert_eq!(out.not_assessed.len(), 1);
    let out = run(&super::cni_enforces_policy::CNI_ENFORCES_POLICY, yaml, "");
    assert_eq!(out.not_assessed.len(), 1);
}

#[test]
fn long_offender_lists_are_capped_with_a_count() {
    let mut yaml = format!("{CDE}---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {{pci.kubepci.io/scope: out}}\n");
    for i in 0..25 {
        yaml += &format!("---\napiVersion: v1\nkind: Pod\nmetadata: {{name: web-{i:02}, namespace: shop}}\nspec:\n  containers: [{{name: c, image: i}}]\n");
    }
    let out = run(&super::cross_scope_ingress::CROSS_SCOPE_INGRESS, &yaml, "");
    assert_eq!(out.fails.len(), 1);
    let f = &out.fails[0];
    assert!(f.message.starts_with("reachable from workloads outside the PCI scope: shop/web-00[Pod] (out), "), "{}", f.message);
    assert!(f.message.ends_with("shop/web-04[Pod] (out) and 20 more"), "{}", f.message);
    assert_eq!(f.evidence.len(), crate::runner::EVIDENCE_ITEMS + 1);
    assert_eq!(f.evidence[19].path, "ingress from shop/web-19[Pod]");
    let more = &f.evidence[20];
    assert_eq!(more.path, "more");
    assert!(more.value.as_deref().is_some_and(|v| v.starts_with("5 more not listed here; ")), "{more:?}");
}

/// The boundary section decides "unlisted input" from the reachability's and the ingress
/// paths' kinds; NET-013, the check over the same flows, must read exactly those, so that both
/// go "not assessed" together.
#[test]
fn boundary_check_reads_what_the_reachability_reads() {
    let expand = |reads: &[&'static str]| {
        let mut kinds: Vec<&str> = reads.iter().flat_map(|r| if *r == crate::WORKLOADS { crate::WORKLOAD_KINDS } else { std::slice::from_ref(r) }).copied().collect();
        kinds.sort_unstable();
        kinds
    };
    let check = &super::cde_boundary_flows::CDE_BOUNDARY_FLOWS;
    let mut reads = expand(crate::analyses::network::REACHABILITY_READS);
    reads.extend(crate::analyses::network::INGRESS_PATH_READS);
    reads.sort_unstable();
    assert_eq!(check.meta.kinds_read(), reads);
}

/// NET-013's documented examples: the failing one publishes the admin port through an
/// Ingress, which the finding names with its location; the approval covers only TCP 8443.
#[test]
fn ingress_paths_into_the_cde_need_an_approved_flow() {
    let check = &super::cde_boundary_flows::CDE_BOUNDARY_FLOWS;
    let (failing, passing, config) = crate::example_blocks(check);
    let (failing, passing, config) = (failing.unwrap(), passing.unwrap(), config.unwrap());
    let out = run(check, &failing, &config);
    assert_eq!(out.fails.len(), 1);
    let f = &out.fails[0];
    assert!(f.message.starts_with("unapproved flows into the CDE from {ingress-controller} via Ingress payments/api-admin (TCP 9090), "), "{}", f.message);
    assert!(f.evidence[0].path.starts_with("ingress from {ingress-controller} via Ingress payments/api-admin (test.yaml:"), "{:?}", f.evidence);
    assert_eq!(f.evidence[0].value.as_deref(), Some("TCP 9090"));
    assert!(run(check, &passing, &config).fails.is_empty());
    // Without the approval from outside, the passing example's Ingress is a finding.
    let without = config.split("- from: \"{ingress-controller}\"").next().unwrap();
    let out = run(check, &passing, without);
    assert_eq!(out.fails.len(), 1);
    assert_eq!(out.fails[0].message, "unapproved flows into the CDE from {ingress-controller} via Ingress payments/api (TCP 8443)");
}

/// Two open CDE pods have the same peers (one peer slot), and NET-013 lists them once for
/// both; an approval naming one of them still tells them apart.
#[test]
fn cde_workloads_with_the_same_peers_are_judged_by_their_own_approvals() {
    let yaml = format!("{CDE}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: vault, namespace: payments, labels: {{app: vault}}}}\nspec:\n  containers: [{{name: vault, image: i}}]\n");
    let check = &super::cde_boundary_flows::CDE_BOUNDARY_FLOWS;
    let out = run(check, &yaml, "");
    assert_eq!(out.fails.len(), 2, "{:?}", out.fails);
    assert_eq!(out.fails[0].message.replace("vault", "api"), out.fails[1].message.replace("vault", "api"));
    let config = "approvedFlows:\n- {from: 0.0.0.0/0, to: payments/api, ports: [], reason: public api}\n";
    let out = run(check, &yaml, config);
    let failing: Vec<&str> = out.fails.iter().filter_map(|f| f.object.as_ref()).map(|o| o.name.as_str()).collect();
    assert_eq!(failing, ["vault"], "{:?}", out.fails);
    assert_eq!(out.passed, 1);
}
