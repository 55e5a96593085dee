//! Decoded lists of the k8s-openapi kinds kubepci keeps as they are, without their spare room.
//!
//! A list is decoded with no length known (serde_json and the YAML reader give none), so a
//! `Vec` grows to room for four items on its first one: a NetworkPolicy's one ingress rule,
//! one peer and one port hold room for four of each, a Role's one rule room for four rules of
//! five lists each, a RoleBinding's one subject room for four. Shrinking changes capacities
//! only: every value reads and compares as before.

use k8s_openapi::api::networking::v1::{NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::api::rbac::v1::{PolicyRule, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::Resource;
use crate::kinds::{NetworkPolicy, Service, ServiceAccount};
use crate::compact::shrunk;

/// Shrink the decoded lists of `resource`, if it is a kind this module knows.
pub(crate) fn resource(resource: &mut Resource) {
    match resource {
        Resource::NetworkPolicy(o) => network_policy(o),
        Resource::Service(o) => service(o),
        Resource::ServiceAccount(o) => service_account(o),
        Resource::Role(o) => rules(&mut o.rules),
        Resource::ClusterRole(o) => {
            rules(&mut o.rules);
            if let Some(aggregation) = &mut o.aggregation_rule {
                aggregation.cluster_role_selectors = shrunk(aggregation.cluster_role_selectors.take());
                aggregation.cluster_role_selectors.iter_mut().flatten().for_each(label_selector);
            }
        }
        Resource::RoleBinding(o) => subjects(&mut o.subjects),
        Resource::ClusterRoleBinding(o) => subjects(&mut o.subjects),
        _ => {}
    }
}

/// A label selector's expressions and their values.
pub(crate) fn label_selector(selector: &mut LabelSelector) {
    selector.match_expressions = shrunk(selector.match_expressions.take());
    for requirement in selector.match_expressions.iter_mut().flatten() {
        requirement.values = shrunk(requirement.values.take());
    }
}

fn network_policy(policy: &mut NetworkPolicy) {
    let Some(spec) = &mut policy.spec else { return };
    spec.policy_types = shrunk(spec.policy_types.take());
    if let Some(selector) = &mut spec.pod_selector {
        label_selector(selector);
    }
    spec.ingress = shrunk(spec.ingress.take());
    for rule in spec.ingress.iter_mut().flatten() {
        peers(&mut rule.from);
        ports(&mut rule.ports);
    }
    spec.egress = shrunk(spec.egress.take());
    for rule in spec.egress.iter_mut().flatten() {
        peers(&mut rule.to);
        ports(&mut rule.ports);
    }
}

fn peers(list: &mut Option<Vec<NetworkPolicyPeer>>) {
    *list = shrunk(list.take());
    for peer in list.iter_mut().flatten() {
        if let Some(block) = &mut peer.ip_block {
            block.except = shrunk(block.except.take());
        }
        peer.namespace_selector.iter_mut().for_each(label_selector);
        peer.pod_selector.iter_mut().for_each(label_selector);
    }
}

fn ports(list: &mut Option<Vec<NetworkPolicyPort>>) {
    *list = shrunk(list.take());
}

fn service(service: &mut Service) {
    let Some(spec) = &mut service.spec else { return };
    for list in [&mut spec.cluster_ips, &mut spec.external_ips, &mut spec.ip_families, &mut spec.load_balancer_source_ranges] {
        *list = shrunk(list.take());
    }
    spec.ports = shrunk(spec.ports.take());
    // The prune keeps no status on a typed Service; a value built in code may have one.
    if let Some(status) = &mut service.status {
        status.conditions = shrunk(status.conditions.take());
    }
}

fn service_account(account: &mut ServiceAccount) {
    account.secrets = shrunk(account.secrets.take());
    account.image_pull_secrets = shrunk(account.image_pull_secrets.take());
}

fn rules(list: &mut Option<Vec<PolicyRule>>) {
    *list = shrunk(list.take());
    for rule in list.iter_mut().flatten() {
        rule.verbs.shrink_to_fit();
        for field in [&mut rule.api_groups, &mut rule.resources, &mut rule.resource_names, &mut rule.non_resource_urls] {
            *field = shrunk(field.take());
        }
    }
}

fn subjects(list: &mut Option<Vec<Subject>>) {
    *list = shrunk(list.take());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SourceLoc, decode_direct, decode_value};
    use serde_json::json;

    fn both_paths(doc: serde_json::Value) -> crate::Object {
        let text = doc.to_string();
        let api_version = doc["apiVersion"].as_str().unwrap().to_string();
        let kind = doc["kind"].as_str().unwrap().to_string();
        let direct = decode_direct(&api_version, &kind, &mut serde_json::Deserializer::from_str(&text), SourceLoc::new("t", 1, 1)).unwrap().unwrap();
        let value = decode_value(doc, SourceLoc::new("t", 1, 1)).unwrap();
        assert_eq!(direct, value);
        value
    }

    fn cap<T>(list: &Option<Vec<T>>) -> Option<usize> {
        list.as_ref().map(Vec::capacity)
    }

    /// Both decode paths leave one-item lists holding one item, all the way down.
    #[test]
    fn network_policy_lists_are_shrunk() {
        let o = both_paths(json!({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"p","namespace":"a"},
            "spec":{"podSelector":{"matchExpressions":[{"key":"k","operator":"In","values":["v"]}]},"policyTypes":["Ingress"],
                "ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["10.1.0.0/16"]},"namespaceSelector":{"matchLabels":{"a":"b"}}}],"ports":[{"port":80}]}],
                "egress":[{"to":[{"podSelector":{"matchExpressions":[{"key":"k","operator":"Exists"}]}}],"ports":[{"port":53}]}]}}));
        let Resource::NetworkPolicy(p) = &o.resource else { panic!("typed") };
        let spec = p.spec.as_ref().unwrap();
        assert_eq!(cap(&spec.policy_types), Some(1));
        let expr = spec.pod_selector.as_ref().unwrap().match_expressions.as_ref().unwrap();
        assert_eq!((expr.capacity(), cap(&expr[0].values)), (1, Some(1)));
        let ingress = spec.ingress.as_ref().unwrap();
        assert_eq!((ingress.capacity(), cap(&ingress[0].from), cap(&ingress[0].ports)), (1, Some(1), Some(1)));
        assert_eq!(cap(&ingress[0].from.as_ref().unwrap()[0].ip_block.as_ref().unwrap().except), Some(1));
        let egress = spec.egress.as_ref().unwrap();
        assert_eq!((egress.capacity(), cap(&egress[0].to), cap(&egress[0].ports)), (1, Some(1), Some(1)));
        let to = egress[0].to.as_ref().unwrap()[0].pod_selector.as_ref().unwrap();
        assert_eq!(cap(&to.match_expressions), Some(1));
    }

    #[test]
    fn service_and_rbac_lists_are_shrunk() {
        let o = both_paths(json!({"apiVersion":"v1","kind":"Service","metadata":{"name":"s","namespace":"a"},
            "spec":{"clusterIPs":["10.0.0.1"],"ipFamilies":["IPv4"],"ports":[{"port":80}],"externalIPs":["1.2.3.4"],"loadBalancerSourceRanges":["0.0.0.0/0"]}}));
        let Resource::Service(s) = &o.resource else { panic!("typed") };
        let spec = s.spec.as_ref().unwrap();
        for list in [&spec.cluster_ips, &spec.ip_families, &spec.external_ips, &spec.load_balancer_source_ranges] {
            assert_eq!(list.as_ref().map(Vec::capacity), Some(1));
        }
        assert_eq!(spec.ports.as_ref().map(Vec::capacity), Some(1));

        let o = both_paths(json!({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"r"},
            "rules":[{"apiGroups":[""],"resources":["pods"],"resourceNames":["x"],"verbs":["get"],"nonResourceURLs":["/m"]}],
            "aggregationRule":{"clusterRoleSelectors":[{"matchExpressions":[{"key":"k","operator":"Exists"}]}]}}));
        let Resource::ClusterRole(r) = &o.resource else { panic!("typed") };
        let rules = r.rules.as_ref().unwrap();
        assert_eq!(rules.capacity(), 1);
        assert_eq!(rules[0].verbs.capacity(), 1);
        for list in [&rules[0].api_groups, &rules[0].resources, &rules[0].resource_names, &rules[0].non_resource_urls] {
            assert_eq!(list.as_ref().map(Vec::capacity), Some(1));
        }
        let selectors = r.aggregation_rule.as_ref().unwrap().cluster_role_selectors.as_ref().unwrap();
        assert_eq!((selectors.capacity(), selectors[0].match_expressions.as_ref().map(Vec::capacity)), (1, Some(1)));

        for kind in ["RoleBinding", "ClusterRoleBinding"] {
            let o = both_paths(json!({"apiVersion":"rbac.authorization.k8s.io/v1","kind":kind,"metadata":{"name":"b","namespace":"a"},
                "subjects":[{"kind":"User","name":"u"}],"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"r"}}));
            let subjects = match &o.resource {
                Resource::RoleBinding(b) => &b.subjects,
                Resource::ClusterRoleBinding(b) => &b.subjects,
                _ => panic!("typed"),
            };
            assert_eq!(subjects.as_ref().map(Vec::capacity), Some(1), "{kind}");
        }

        let o = both_paths(json!({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"sa","namespace":"a"},
            "secrets":[{"name":"t"}],"imagePullSecrets":[{"name":"p"}]}));
        let Resource::ServiceAccount(sa) = &o.resource else { panic!("typed") };
        assert_eq!((sa.secrets.as_ref().map(Vec::capacity), sa.image_pull_secrets.as_ref().map(Vec::capacity)), (Some(1), Some(1)));
    }
}
