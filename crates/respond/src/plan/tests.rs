use kubepci_inventory::{Config, Inventory};
use std::collections::BTreeSet;

use kubepci_rbac::Model;

use super::*;
use crate::release::plan_release;

/// A namespace with a Deployment (ReplicaSet, two pods), a StatefulSet pod, a CronJob's Job
/// pod, a hostNetwork DaemonSet pod, a Service, policies and a binding of the api account.
const CLUSTER: &str = r#"
apiVersion: v1
kind: Node
metadata: {name: n1}
---
apiVersion: v1
kind: Node
metadata: {name: n2}
spec: {unschedulable: true}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: pay}
spec:
  selector: {matchLabels: {app: api}}
  template: {metadata: {labels: {app: api}}, spec: {containers: [{name: api, image: "r/api:1"}]}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: api-abc
  namespace: pay
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, uid: u1, controller: true}]
spec:
  selector: {matchLabels: {app: api, pod-template-hash: abc}}
  template: {metadata: {labels: {app: api, pod-template-hash: abc}}, spec: {containers: [{name: api, image: "r/api:1"}]}}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-abc-2
  namespace: pay
  labels: {app: api, pod-template-hash: abc, tier: web}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-abc, uid: u2, controller: true}]
spec: {nodeName: n2, serviceAccountName: api, containers: [{name: api, image: "r/api:1"}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-abc-1
  namespace: pay
  labels: {app: api, pod-template-hash: abc, tier: web}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-abc, uid: u2, controller: true}]
spec: {nodeName: n1, serviceAccountName: api, initContainers: [{name: init, image: "r/i:1"}], containers: [{name: api, image: "r/api:1"}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: pay}
spec:
  selector: {matchLabels: {app: db}}
  serviceName: db
  template: {metadata: {labels: {app: db}}, spec: {containers: [{name: db, image: "r/db:1"}]}}
---
apiVersion: v1
kind: Pod
metadata:
  name: db-0
  namespace: pay
  labels: {app: db}
  ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: db, uid: u3, controller: true}]
spec: {nodeName: n1, containers: [{name: db, image: "r/db:1"}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: pay}
spec:
  schedule: "0 1 * * *"
  jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: run, image: "r/n:1"}]}}}}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: nightly-1
  namespace: pay
  ownerReferences: [{apiVersion: batch/v1, kind: CronJob, name: nightly, uid: u4, controller: true}]
spec: {template: {spec: {restartPolicy: Never, containers: [{name: run, image: "r/n:1"}]}}}
---
apiVersion: v1
kind: Pod
metadata:
  name: nightly-1-x
  namespace: pay
  labels: {job-name: nightly-1}
  ownerReferences: [{apiVersion: batch/v1, kind: Job, name: nightly-1, uid: u5, controller: true}]
spec: {nodeName: n1, serviceAccountName: api, restartPolicy: Never, containers: [{name: run, image: "r/n:1"}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: pay}
spec:
  selector: {matchLabels: {app: agent}}
  template: {metadata: {labels: {app: agent}}, spec: {hostNetwork: true, containers: [{name: agent, image: "r/a:1"}]}}
---
apiVersion: v1
kind: Pod
metadata:
  name: agent-q
  namespace: pay
  labels: {app: agent}
  ownerReferences: [{apiVersion: apps/v1, kind: DaemonSet, name: agent, uid: u6, controller: true}]
spec: {nodeName: n1, hostNetwork: true, containers: [{name: agent, image: "r/a:1"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: lonely, namespace: pay, labels: {tier: web}}
spec: {containers: [{name: c, image: "r/c:1"}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: pay}
spec: {selector: {tier: web}, ports: [{port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-all-in, namespace: pay}
spec: {podSelector: {}, ingress: [{}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-in, namespace: pay}
spec: {podSelector: {matchLabels: {app: api}}, ingress: [{}]}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: api, namespace: pay}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: read-config, namespace: pay}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: api-config, namespace: pay}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: read-config}
subjects: [{kind: ServiceAccount, name: api, namespace: pay}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: all-sa-view}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: Group, name: "system:serviceaccounts"}]
"#;

fn setup() -> (Inventory, Model) {
    let loaded = kubepci_source::load_bytes("cluster.yaml", CLUSTER.as_bytes());
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let inv = Inventory::build(loaded.objects, Config::default());
    let model = Model::build(&inv.objects);
    (inv, model)
}

fn plan(target: &str, cordon: bool) -> QuarantinePlan {
    let (inv, model) = setup();
    let opts = QuarantineOptions { incident: "ir-7".into(), reason: Some("miner seen".into()), cordon };
    plan_quarantine(&inv, &model, &target.parse().unwrap(), &opts).expect("plan")
}

#[test]
fn a_deployment_isolates_exactly_its_pods_and_detaches_them_from_the_replicaset() {
    let p = plan("pay/Deployment/api", false);
    let names: Vec<&str> = p.pods.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["api-abc-1", "api-abc-2"]);
    assert_eq!(p.pods[0].owners, ["ReplicaSet/api-abc", "Deployment/api"]);
    assert_eq!(p.pods[0].containers, ["init", "api"]);
    let removed: Vec<(&str, &str)> = p.pods[0].detach_labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(removed, [("app", "api"), ("pod-template-hash", "abc")], "tier is not in the selector and stays");
    assert_eq!(p.controller.action, ControllerAction::Detach);
    // The policy selects only the quarantine label and allows nothing.
    assert_eq!(p.network_policy["spec"], json!({"podSelector": {"matchLabels": {QUARANTINE_LABEL: "ir-7"}}, "policyTypes": ["Ingress", "Egress"], "ingress": [], "egress": []}));
    assert_eq!(p.network_policy["metadata"]["annotations"][REASON_ANNOTATION], "miner seen");
    // Requests: the policy, then one patch per pod; nothing else without --cordon.
    let reqs: Vec<(Method, &str)> = p.requests.iter().map(|r| (r.method, r.path.as_str())).collect();
    assert_eq!(reqs, [(Method::Post, "/apis/networking.k8s.io/v1/namespaces/pay/networkpolicies"), (Method::Patch, "/api/v1/namespaces/pay/pods/api-abc-1"), (Method::Patch, "/api/v1/namespaces/pay/pods/api-abc-2")]);
    assert_eq!(p.requests[1].body, Some(json!({"metadata": {"labels": {QUARANTINE_LABEL: "ir-7", "app": null, "pod-template-hash": null}}})));
    // The allow-all policy still selects the pods; the api one no longer does; the Service
    // still selects them through `tier`.
    assert!(p.warnings.iter().any(|w| w.starts_with("NetworkPolicy pay/allow-all-in still selects pod api-abc-1 and allows ingress")), "{:#?}", p.warnings);
    assert!(!p.warnings.iter().any(|w| w.contains("api-in")), "{:#?}", p.warnings);
    assert!(p.warnings.iter().any(|w| w.starts_with("Service pay/web still selects pod api-abc-2")), "{:#?}", p.warnings);
    // Revocation: the direct binding, the group binding, and the Job pod sharing the account.
    let sa = &p.service_accounts[0];
    assert_eq!(sa.service_account, "pay/api");
    assert_eq!(sa.bindings, ["RoleBinding/pay/api-config → Role/read-config"]);
    assert_eq!(sa.group_bindings, ["ClusterRoleBinding/all-sa-view → ClusterRole/view (as member of system:serviceaccounts)"]);
    assert_eq!(sa.shared_with, ["nightly-1-x"]);
}

#[test]
fn cordon_skips_nodes_already_cordoned_and_records_the_rest() {
    let p = plan("pay/Deployment/api", true);
    assert_eq!(p.cordon, [NodeChange { name: "n1".into(), unschedulable_before: None }]);
    assert_eq!(p.already_cordoned, ["n2"]);
    let last = p.requests.last().unwrap();
    assert_eq!((last.method, last.path.as_str(), last.body.clone()), (Method::Patch, "/api/v1/nodes/n1", Some(json!({"spec": {"unschedulable": true}}))));
    assert_eq!(p.record.nodes, p.cordon);
}

#[test]
fn statefulset_and_job_pods_stay_attached_and_a_cronjob_is_suspended() {
    let sts = plan("pay/StatefulSet/db", false);
    assert_eq!(sts.pods.len(), 1);
    assert!(sts.pods[0].detach_labels.is_empty());
    assert_eq!(sts.controller.action, ControllerAction::KeepAttached);

    let cj = plan("pay/CronJob/nightly", false);
    assert_eq!(cj.pods.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["nightly-1-x"]);
    assert_eq!(cj.pods[0].owners, ["Job/nightly-1", "CronJob/nightly"]);
    assert_eq!(cj.controller.action, ControllerAction::Suspend);
    assert_eq!(cj.record.cron_job, Some(CronJobRecord { name: "nightly".into(), suspend_before: None }));
    assert!(cj.requests.iter().any(|r| r.path == "/apis/batch/v1/namespaces/pay/cronjobs/nightly" && r.body == Some(json!({"spec": {"suspend": true}}))));
}

#[test]
fn a_single_pod_of_a_replicaset_is_the_only_one_isolated_and_hostnetwork_is_warned() {
    let one = plan("pay/Pod/api-abc-2", false);
    assert_eq!(one.pods.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["api-abc-2"]);
    assert_eq!(one.controller.action, ControllerAction::Detach);

    let ds = plan("pay/DaemonSet/agent", false);
    assert_eq!(ds.pods[0].detach_labels.keys().collect::<Vec<_>>(), ["app"]);
    assert!(ds.warnings.iter().any(|w| w.contains("agent-q uses hostNetwork")), "{:#?}", ds.warnings);

    let bare = plan("pay/Pod/lonely", false);
    assert_eq!(bare.controller.action, ControllerAction::None);
    assert_eq!(bare.service_accounts[0].service_account, "pay/default");
}

#[test]
fn unknown_targets_and_bad_incident_ids_are_errors() {
    let (inv, model) = setup();
    let opts = QuarantineOptions { incident: "ir-7".into(), ..Default::default() };
    let err = plan_quarantine(&inv, &model, &"pay/Deployment/nope".parse().unwrap(), &opts).unwrap_err();
    assert_eq!(err.to_string(), "pay/Deployment/nope is not in the input; of that kind in its namespace there are: api");
    let bad = QuarantineOptions { incident: "IR_7".into(), ..Default::default() };
    assert!(matches!(plan_quarantine(&inv, &model, &"pay/Pod/lonely".parse().unwrap(), &bad), Err(PlanError::InvalidIncident(_))));
    assert_eq!(default_incident_id(1_795_000_000), "ir-20261118-110640");
    assert!(valid_incident_id(&default_incident_id(0)));
}

#[test]
fn release_undoes_exactly_what_the_record_on_the_policy_says() {
    let p = plan("pay/CronJob/nightly", false);
    let cordoned = plan("pay/Deployment/api", true);
    let policies = vec![p.network_policy.clone(), cordoned.network_policy.clone(), json!({"metadata": {"name": "other"}})];
    let r = plan_release(&"pay/Deployment/api".parse().unwrap(), &policies, None).expect("release");
    assert_eq!(r.record, cordoned.record);
    let reqs: Vec<(Method, &str, Option<Value>)> = r.requests.iter().map(|r| (r.method, r.path.as_str(), r.body.clone())).collect();
    assert_eq!(
        reqs,
        [
            (Method::Patch, "/api/v1/namespaces/pay/pods/api-abc-1", Some(json!({"metadata": {"labels": {QUARANTINE_LABEL: null, "app": "api", "pod-template-hash": "abc"}}}))),
            (Method::Patch, "/api/v1/namespaces/pay/pods/api-abc-2", Some(json!({"metadata": {"labels": {QUARANTINE_LABEL: null, "app": "api", "pod-template-hash": "abc"}}}))),
            (Method::Patch, "/api/v1/nodes/n1", Some(json!({"spec": {"unschedulable": null}}))),
            (Method::Delete, "/apis/networking.k8s.io/v1/namespaces/pay/networkpolicies/kubepci-quarantine-ir-7", None),
        ]
    );
    let cj = plan_release(&"pay/CronJob/nightly".parse().unwrap(), &policies, Some("ir-7")).expect("release");
    assert!(cj.requests.iter().any(|r| r.body == Some(json!({"spec": {"suspend": null}}))));
    let none = plan_release(&"pay/StatefulSet/db".parse().unwrap(), &policies, None).unwrap_err();
    assert!(none.starts_with("no quarantine of pay/StatefulSet/db"), "{none}");
    assert!(none.contains("NetworkPolicy other has no"), "{none}");
}

#[test]
fn the_responder_role_grants_exactly_what_the_plans_send() {
    use crate::permissions::{PERMISSIONS, needed};
    let mut used = BTreeSet::new();
    let plans = [plan("pay/Deployment/api", true), plan("pay/CronJob/nightly", true), plan("pay/StatefulSet/db", true)];
    for p in &plans {
        let release = plan_release(&p.target, std::slice::from_ref(&p.network_policy), None).unwrap();
        for r in p.requests.iter().chain(&release.requests) {
            used.insert(needed(r.method, &r.path).unwrap_or_else(|| panic!("{}", r.path)));
        }
    }
    // The evidence reads beyond the reader role.
    used.insert(("".into(), "pods/log".into(), "get"));
    used.insert(("".into(), "events".into(), "list"));
    let listed: BTreeSet<(String, String, &str)> = PERMISSIONS.iter().map(|p| (p.group.to_string(), p.resource.to_string(), p.verb)).collect();
    assert_eq!(used, listed, "permissions.rs lists exactly what the plans use");

    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/respond-clusterrole.yaml")).expect("deploy/respond-clusterrole.yaml");
    let role: Value = yaml_serde::from_str(text.split("\n---\n").next().unwrap()).expect("role YAML");
    assert_eq!(role["metadata"]["name"], "kubepci-responder");
    let mut granted = BTreeSet::new();
    for rule in role["rules"].as_array().unwrap() {
        for g in rule["apiGroups"].as_array().unwrap() {
            for r in rule["resources"].as_array().unwrap() {
                for v in rule["verbs"].as_array().unwrap() {
                    granted.insert((g.as_str().unwrap().to_string(), r.as_str().unwrap().to_string(), v.as_str().unwrap().to_string()));
                }
            }
        }
    }
    let listed: BTreeSet<(String, String, String)> = PERMISSIONS.iter().map(|p| (p.group.to_string(), p.resource.to_string(), p.verb.to_string())).collect();
    assert_eq!(granted, listed, "deploy/respond-clusterrole.yaml grants exactly permissions.rs");
}

#[test]
fn pods_already_quarantined_are_left_under_their_incident() {
    let quarantined = CLUSTER.replace("labels: {app: api, pod-template-hash: abc, tier: web}\n  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-abc, uid: u2, controller: true}]\nspec: {nodeName: n2", "labels: {pci.kubepci.io/quarantine: ir-1, tier: web}\n  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-abc, uid: u2, controller: true}]\nspec: {nodeName: n2");
    assert_ne!(quarantined, CLUSTER);
    let loaded = kubepci_source::load_bytes("cluster.yaml", quarantined.as_bytes());
    let inv = Inventory::build(loaded.objects, Config::default());
    let model = Model::build(&inv.objects);
    let opts = QuarantineOptions { incident: "ir-7".into(), ..Default::default() };
    let p = plan_quarantine(&inv, &model, &"pay/Deployment/api".parse().unwrap(), &opts).unwrap();
    assert_eq!(p.pods.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["api-abc-1"]);
    assert!(p.warnings.contains(&"pod api-abc-2 is already quarantined (incident ir-1); left as it is".to_string()), "{:#?}", p.warnings);
}
