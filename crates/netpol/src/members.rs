//! Keeping a reachability across changes of workload members (`kubepci serve`): a Pod added
//! to or taken from a workload, or relabelled under it, changes no cell when every pod still
//! falls into a class the analysis has and each changed workload keeps its set of classes.
//! Classes, profiles, policies' selections and cells are then what a new computation would
//! give; only the workloads' pod lists change.

use kubepci_inventory::Inventory;

use crate::endpoints::reclass;
use crate::engine::Reachability;

impl Reachability {
    /// Bring the pods of the workloads holding the inventory workloads `changed` (indices into
    /// `inv.workloads()`, which must be where they were when this was computed: no other
    /// object moved) up to date with `inv`, when no class relation changes: every pod of
    /// theirs falls into an existing class and each keeps its set of classes. Then `self`
    /// answers every question as [`Reachability::compute_focused`] on `inv` would, and `true`
    /// is returned. `false`, and nothing changed, when some class would be created, emptied
    /// or moved between workloads (the caller computes it anew).
    pub fn refresh_members(&mut self, inv: &Inventory, changed: &[usize]) -> bool {
        let a = &self.analysis;
        // Without the exemption, classes that differed only in host networking were made
        // alike after classing: a pod's class could not be told as a new computation tells it.
        if !a.options.host_network_exempt {
            return false;
        }
        // The assumed ingress controller's class (the last one when present) is no pod's.
        let pod_classes = &a.classes[..a.classes.len() - usize::from(a.assumed_controller.is_some())];
        let mut updates = Vec::new();
        for (ei, ep) in a.workloads.iter().enumerate() {
            if !ep.inventory_workloads.iter().any(|wi| changed.contains(wi)) {
                continue;
            }
            let Some(ns) = a.namespaces[..a.declared_namespaces].iter().position(|n| n.name == ep.namespace) else { return false };
            match reclass(inv, ep, ns as u32, pod_classes) {
                Some((pods, classes)) if classes == ep.classes => updates.push((ei, pods)),
                _ => return false,
            }
        }
        for (ei, pods) in updates {
            self.analysis.workloads[ei].pods = pods;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use kubepci_inventory::Inventory;
    use kubepci_model::{SourceLoc, decode_value};
    use serde_json::{Value, json};

    use crate::tests::{assert_same_everywhere, deployment_with_pods, inventory, netpol, ns, pod, pod_with};
    use crate::{Options, Reachability};

    /// A rollout in progress in `a` (pods `v1` and `v2` under one Deployment, only `v1` denied
    /// ingress), a client, and a host-networked pod under a ReplicaSet in `b`.
    fn cluster() -> Inventory {
        let v = |version: &str| (json!({"app":"api","version":version}), json!([{"name":"http","containerPort":8080}]), false);
        let mut docs = vec![ns("a", json!({})), ns("b", json!({}))];
        docs.extend(deployment_with_pods("a", "api", json!({"app":"api","version":"v2"}), &[v("v1"), v("v2")]));
        docs.push(pod("a", "client", json!({"app":"client"})));
        docs.push(netpol("a", "deny-v1", json!({"podSelector":{"matchLabels":{"version":"v1"}},"policyTypes":["Ingress"]})));
        docs.push(netpol("a", "web-from-b", json!({"podSelector":{"matchLabels":{"app":"api"}},"ingress":[{"from":[{"namespaceSelector":{}}],"ports":[{"port":"http"}]}]})));
        docs.extend(deployment_with_pods("b", "agent", json!({"app":"agent"}), &[(json!({"app":"agent"}), json!([]), true)]));
        inventory(docs)
    }

    /// A Pod `name` under ReplicaSet `rs` of namespace `ns`.
    fn member(inv: &Inventory, ns: &str, rs: &str, name: &str, labels: Value, ports: Value, host: bool) -> kubepci_model::Object {
        let mut p = pod_with(ns, name, labels, ports, host);
        p["metadata"]["ownerReferences"] = json!([{"apiVersion":"apps/v1","kind":"ReplicaSet","name":rs,"uid":"u","controller":true}]);
        inv.adopt(decode_value(p, SourceLoc::new("t.yaml", 999, 1)).unwrap())
    }

    /// `kept` answers as a computation anew on `inv` does, and lists the same pods.
    fn assert_as_computed(kept: &Reachability, inv: &Inventory, options: Options) {
        let all: Vec<usize> = (0..inv.workloads().len()).collect();
        let anew = Reachability::compute_focused(inv, options, &all);
        let pods = |r: &Reachability| r.workloads().iter().map(|w| (w.display(), w.classes.clone(), w.pods.iter().map(|p| (p.name.clone(), p.class)).collect::<Vec<_>>())).collect::<Vec<_>>();
        assert_eq!(pods(kept), pods(&anew));
        assert_eq!(format!("{:?}", kept.ingress_flows()), format!("{:?}", anew.ingress_flows()));
        assert_same_everywhere(kept, &Reachability::compute_with(inv, options));
    }

    #[test]
    fn a_member_of_an_existing_class_keeps_the_reachability_exact() {
        let options = Options::default();
        let mut inv = cluster();
        let focus: Vec<usize> = (0..inv.workloads().len()).collect();
        let mut r = Reachability::compute_focused(&inv, options, &focus);
        let api = inv.workloads().iter().position(|w| inv.objects[w.object].name() == "api").unwrap();
        let agent = inv.workloads().iter().position(|w| inv.objects[w.object].name() == "agent").unwrap();
        let http = json!([{"name":"http","containerPort":8080}]);
        // Class kept: another v1 pod, then a host-networked agent pod.
        let added = member(&inv, "a", "api-rs0", "api-rs0-q", json!({"app":"api","version":"v1"}), http.clone(), false);
        inv.push_object(added).unwrap();
        assert!(r.refresh_members(&inv, &[api]));
        assert_as_computed(&r, &inv, options);
        let added = member(&inv, "b", "agent-rs0", "agent-rs0-q", json!({"app":"agent"}), json!([]), true);
        inv.push_object(added).unwrap();
        assert!(r.refresh_members(&inv, &[agent]));
        assert_as_computed(&r, &inv, options);
        // The last one deleted: its workload keeps its class.
        inv.remove_last().unwrap();
        assert!(r.refresh_members(&inv, &[agent]));
        assert_as_computed(&r, &inv, options);
        // Class created: a canary label, a named port on another number, host networking.
        // Nothing is changed, the caller computes anew.
        let before = format!("{:?}", r.workloads());
        for (labels, ports, host) in [(json!({"app":"api","version":"v1","track":"canary"}), http.clone(), false), (json!({"app":"api","version":"v1"}), json!([{"name":"http","containerPort":9090}]), false), (json!({"app":"api","version":"v1"}), http.clone(), true)] {
            let added = member(&inv, "a", "api-rs0", "api-rs0-c", labels, ports, host);
            inv.push_object(added).unwrap();
            assert!(!r.refresh_members(&inv, &[api]));
            assert_eq!(format!("{:?}", r.workloads()), before);
            inv.remove_last().unwrap();
            assert!(r.refresh_members(&inv, &[api]));
            assert_as_computed(&r, &inv, options);
        }
        // Without the host network exemption nothing is kept (classes were merged after
        // classing).
        let mut r = Reachability::compute_with(&inv, Options { host_network_exempt: false });
        assert!(!r.refresh_members(&inv, &[api]));
    }

    #[test]
    fn a_class_moved_between_workloads_or_emptied_is_computed_anew() {
        // A v2 pod joins the v1 ReplicaSet's pods: api keeps {v1, v2}, exact.
        let mut inv = cluster();
        let mut r = Reachability::compute(&inv);
        let api = inv.workloads().iter().position(|w| inv.objects[w.object].name() == "api").unwrap();
        let http = json!([{"name":"http","containerPort":8080}]);
        let added = member(&inv, "a", "api-rs0", "api-rs0-v2", json!({"app":"api","version":"v2"}), http, false);
        inv.push_object(added).unwrap();
        assert!(r.refresh_members(&inv, &[api]));
        assert_as_computed(&r, &inv, Options::default());
        // The client's class given to an api pod: api's classes grow, not exact in place.
        let added = member(&inv, "a", "api-rs1", "api-rs1-c", json!({"app":"client"}), json!([{"name":"http","containerPort":8080},{"name":"dns","containerPort":53,"protocol":"UDP"}]), false);
        inv.push_object(added).unwrap();
        assert!(!r.refresh_members(&inv, &[api]));
        // The agent's only pod gone: classed by its template (an existing class: kept).
        let mut inv = cluster();
        let mut r = Reachability::compute(&inv);
        let agent = inv.workloads().iter().position(|w| inv.objects[w.object].name() == "agent").unwrap();
        let last = inv.objects.iter().rposition(|o| o.kind() == "Pod" && o.name() == "agent-rs0-p").unwrap();
        assert_eq!(last, inv.objects.len() - 1);
        inv.remove_last().unwrap();
        // Its template is not host-networked: a class no pod had, so computed anew.
        assert!(!r.refresh_members(&inv, &[agent]));
    }
}
