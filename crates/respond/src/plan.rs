//! The quarantine plan: a pure function of the inventory, the RBAC model and the target.
//!
//! What quarantine does, in the order it is applied (each step an exact API request in
//! [`QuarantinePlan::requests`], so the dry run prints what `--apply` sends):
//!
//! 1. create a NetworkPolicy `kubepci-quarantine-<incident>` selecting only
//!    `pci.kubepci.io/quarantine=<incident>`, with no ingress and no egress rule (deny all).
//!    It carries the [`QuarantineRecord`] as an annotation: what the following steps change
//!    and the values they replace, so that `release` undoes exactly that;
//! 2. patch each affected pod: add the quarantine label and, for pods of a ReplicaSet or a
//!    DaemonSet, remove the labels their controller selects them by (*detach*). The controller
//!    then releases the pod and starts a fresh replacement, and no later rollout or scale-down
//!    deletes the isolated pod: it stays for forensics, out of its Services' endpoints. Pods
//!    of a StatefulSet or a Job stay attached (a StatefulSet pod has a stable name and volumes
//!    a replacement could not take over; a detached Job pod would make the Job run again);
//! 3. a CronJob is suspended so that it starts no new Job;
//! 4. with `--cordon`, the pods' nodes are marked unschedulable (nodes already cordoned are
//!    left alone and not recorded, so release does not uncordon them).
//!
//! The ServiceAccount revocation is a printed plan, never applied: revoking a binding can
//! break other workloads using the same account, which is a decision for a person.

use std::collections::{BTreeMap, BTreeSet};

use kubepci_inventory::Inventory;
use kubepci_model::selector::{Requirement, Selector};
use kubepci_model::{Object, Resource};
use kubepci_rbac::{Model, Subject};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::target::{Target, TargetKind};

/// The label that marks a quarantined pod; its value is the incident id.
pub const QUARANTINE_LABEL: &str = "pci.kubepci.io/quarantine";
/// The annotation on the quarantine NetworkPolicy holding the [`QuarantineRecord`] (JSON).
pub const RECORD_ANNOTATION: &str = "pci.kubepci.io/quarantine-record";
/// The annotation on the quarantine NetworkPolicy holding the responder's reason.
pub const REASON_ANNOTATION: &str = "pci.kubepci.io/quarantine-reason";
/// Set on the quarantine NetworkPolicy (with [`QUARANTINE_LABEL`]) so release can find it.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "kubepci");

const NETWORK_POLICIES: &str = "/apis/networking.k8s.io/v1/namespaces";

/// What the responder chose.
#[derive(Clone, Debug, Default)]
pub struct QuarantineOptions {
    /// Incident id: the label value and the policy name's suffix ([`valid_incident_id`]).
    pub incident: String,
    pub reason: Option<String>,
    /// Also cordon the nodes the pods run on.
    pub cordon: bool,
}

/// Why no plan could be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanError {
    /// The target is not in the input.
    NotFound { target: String, known: Vec<String> },
    InvalidIncident(String),
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanError::NotFound { target, known } if known.is_empty() => write!(f, "{target} is not in the input"),
            PlanError::NotFound { target, known } => write!(f, "{target} is not in the input; of that kind in its namespace there are: {}", known.join(", ")),
            PlanError::InvalidIncident(id) => write!(f, "incident id {id:?} must be 1-40 lower-case letters, digits and '-', starting and ending with a letter or digit (it becomes a label value and part of a NetworkPolicy name)"),
        }
    }
}

impl std::error::Error for PlanError {}

/// An incident id usable as a label value and inside an object name.
pub fn valid_incident_id(id: &str) -> bool {
    (1..=40).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && id.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && id.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
}

/// The default incident id for a run at `epoch`: `ir-YYYYMMDD-HHMMSS` (UTC).
pub fn default_incident_id(epoch: i64) -> String {
    let t = kubepci_base::time::rfc3339(epoch);
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    format!("ir-{}-{}", &digits[..8], &digits[8..14])
}

/// The name of the NetworkPolicy of an incident.
pub fn policy_name(incident: &str) -> String {
    format!("kubepci-quarantine-{incident}")
}

/// The whole plan, as printed by the dry run and executed by `--apply`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuarantinePlan {
    pub incident: String,
    pub target: Target,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The pods isolated, by name.
    pub pods: Vec<AffectedPod>,
    /// What happens with the controllers above them.
    pub controller: ControllerHandling,
    /// The NetworkPolicy created (deny all ingress and egress of the quarantine label).
    pub network_policy: Value,
    /// Nodes cordoned (only with `--cordon`).
    pub cordon: Vec<NodeChange>,
    /// Nodes left alone because they were cordoned already.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub already_cordoned: Vec<String>,
    /// How to revoke what the pods' ServiceAccounts may do (a plan for a person; not applied).
    pub service_accounts: Vec<ServiceAccountRevocation>,
    /// What the quarantine cannot do here (hostNetwork pods, policies that still allow traffic).
    pub warnings: Vec<String>,
    /// The exact API requests `--apply` sends, in order.
    pub requests: Vec<ApiRequest>,
    /// What the responder should do next (established connections, node isolation).
    pub follow_up: Vec<String>,
    /// What `release` will undo (also stored on the NetworkPolicy).
    pub record: QuarantineRecord,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AffectedPod {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    pub service_account: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub host_network: bool,
    /// Owners from the pod up (`ReplicaSet/api-7d9c5b6f4`, `Deployment/api`).
    pub owners: Vec<String>,
    /// Labels removed to detach the pod from its controller, with their values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub detach_labels: BTreeMap<String, String>,
    /// The pod's containers (init containers first), whose logs evidence capture reads.
    pub containers: Vec<String>,
}

/// What the controllers do after the quarantine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ControllerAction {
    /// A bare pod: nothing replaces it.
    None,
    /// Pods leave their ReplicaSet/DaemonSet, which starts replacements.
    Detach,
    /// Pods stay owned (StatefulSet, Job): nothing replaces them while they exist.
    KeepAttached,
    /// The CronJob is suspended; its running Jobs' pods stay attached.
    Suspend,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ControllerHandling {
    pub action: ControllerAction,
    pub explanation: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeChange {
    pub name: String,
    /// `spec.unschedulable` before (absent: unset), restored by release.
    #[serde(default)]
    pub unschedulable_before: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccountRevocation {
    /// `namespace/name`.
    pub service_account: String,
    /// Bindings naming the account itself: remove it from them.
    pub bindings: Vec<String>,
    /// Bindings reaching it through a group (`system:serviceaccounts`, `system:authenticated`):
    /// revoking them affects every member of the group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_bindings: Vec<String>,
    /// Other pods (outside the quarantine) running as this account.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared_with: Vec<String>,
    /// Commands, in order, for the responder to review and run.
    pub steps: Vec<String>,
}

/// One API request of the plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiRequest {
    pub method: Method,
    pub path: String,
    /// JSON body: the object for POST, a JSON merge patch (RFC 7386) for PATCH.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    pub purpose: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Post,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// What quarantine changed, stored on its NetworkPolicy: release reads it back and restores
/// exactly these values.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuarantineRecord {
    pub incident: String,
    pub target: String,
    pub pods: Vec<PodRecord>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<NodeChange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron_job: Option<CronJobRecord>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodRecord {
    pub name: String,
    /// Labels removed (to detach it), restored by release.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub removed_labels: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CronJobRecord {
    pub name: String,
    /// `spec.suspend` before (absent: unset).
    #[serde(default)]
    pub suspend_before: Option<bool>,
}

/// The follow-up every quarantine prints: what a NetworkPolicy cannot do.
pub const FOLLOW_UP: &[&str] = &[
    "Established connections may survive the new policy: conntrack-based network plugins (Calico, Antrea and others) keep flows that were open before it, and sidecar proxies keep their own upstream connections. Once evidence is captured, checkpoint the containers if you need their memory (kubelet checkpoint API) and delete the quarantined pods: that ends every connection and invalidates their bound ServiceAccount tokens.",
    "Revoke the ServiceAccount access listed above after review; bound tokens of pods that keep running stay valid until they expire.",
    "If the node may be compromised: cordon it (--cordon), move other workloads off with `kubectl drain NODE --ignore-daemonsets --pod-selector='!pci.kubepci.io/quarantine'`, and isolate it at the cloud or host firewall level (NetworkPolicies do not apply to hostNetwork pods or the node itself).",
    "Record the incident under your incident response plan (PCI DSS 12.10.1) and keep the evidence bundle with its SHA-256 manifest.",
];

/// Compute the quarantine of `target`.
pub fn plan_quarantine(inv: &Inventory, rbac: &Model, target: &Target, opts: &QuarantineOptions) -> Result<QuarantinePlan, PlanError> {
    if !valid_incident_id(&opts.incident) {
        return Err(PlanError::InvalidIncident(opts.incident.clone()));
    }
    let ns = target.namespace.as_str();
    let kind = target.kind.as_str();
    let Some(target_object) = inv.get(kind, Some(ns), &target.name) else {
        let known: Vec<String> = inv.indices_of_kind_in(kind, ns).iter().map(|&i| inv.objects[i].name().to_string()).collect();
        return Err(PlanError::NotFound { target: target.to_string(), known });
    };

    // The affected pods: the target itself, or the pods whose owner chain reaches it.
    let mut pods: Vec<(&Object, Vec<(String, String)>)> = Vec::new();
    for &i in inv.indices_of_kind_in("Pod", ns) {
        let pod = &inv.objects[i];
        let chain = owner_chain(inv, pod);
        let hit = match target.kind {
            TargetKind::Pod => pod.name() == target.name,
            _ => chain.iter().any(|(k, n)| k == kind && *n == target.name),
        };
        if hit {
            pods.push((pod, chain));
        }
    }
    pods.sort_by(|a, b| a.0.name().cmp(b.0.name()));

    let mut warnings = Vec::new();
    // A pod already quarantined stays under its incident: relabelling it would move it out of
    // that incident's policy, and releasing that incident would then strip this one's label.
    pods.retain(|(pod, _)| match pod.labels().get(QUARANTINE_LABEL) {
        Some(other) => {
            warnings.push(format!("pod {} is already quarantined (incident {other}); left as it is", pod.name()));
            false
        }
        None => true,
    });
    if ns == "kube-system" {
        warnings.push("the target is in kube-system: isolating a cluster component (DNS, the network plugin, a controller) can take the cluster or its security controls down with it".to_string());
    }
    let mut affected = Vec::new();
    for (pod, chain) in &pods {
        let detach_labels = detach_labels(inv, pod, chain, &mut warnings);
        let spec = pod_spec(pod);
        affected.push(AffectedPod {
            name: pod.name().to_string(),
            node: spec.and_then(|s| s.node_name.clone()),
            service_account: spec.and_then(|s| s.service_account_name.clone()).filter(|s| !s.is_empty()).unwrap_or_else(|| "default".to_string()),
            host_network: spec.and_then(|s| s.host_network).unwrap_or(false),
            owners: chain.iter().map(|(k, n)| format!("{k}/{n}")).collect(),
            detach_labels,
            containers: spec.map(|s| s.init_containers.iter().flatten().chain(&s.containers).map(|c| c.name.clone()).collect()).unwrap_or_default(),
        });
    }
    if affected.is_empty() {
        warnings.push(format!("no pod of {target} is in the input: the policy is created so that pods given the label later are isolated at once, but nothing is isolated now"));
    }
    for p in affected.iter().filter(|p| p.host_network) {
        warnings.push(format!("pod {} uses hostNetwork: NetworkPolicies do not apply to it; isolate its node ({}) instead", p.name, p.node.as_deref().unwrap_or("unknown")));
    }
    warnings.extend(still_allowed(inv, ns, &affected, &opts.incident));

    let controller = controller_handling(target, &affected);
    let cron_job = match &target_object.resource {
        Resource::CronJob(cj) => Some(CronJobRecord { name: target.name.clone(), suspend_before: cj.spec.suspend }),
        _ => None,
    };

    let (cordon, already_cordoned) = if opts.cordon { nodes_to_cordon(inv, &affected) } else { (Vec::new(), Vec::new()) };

    let record = QuarantineRecord {
        incident: opts.incident.clone(),
        target: target.to_string(),
        pods: affected.iter().map(|p| PodRecord { name: p.name.clone(), removed_labels: p.detach_labels.clone() }).collect(),
        nodes: cordon.clone(),
        cron_job: cron_job.clone(),
    };
    let network_policy = network_policy(ns, opts, &record);
    let requests = quarantine_requests(ns, &network_policy, &record);

    Ok(QuarantinePlan {
        incident: opts.incident.clone(),
        target: target.clone(),
        reason: opts.reason.clone(),
        service_accounts: revocations(inv, rbac, ns, &affected),
        pods: affected,
        controller,
        network_policy,
        cordon,
        already_cordoned,
        warnings,
        requests,
        follow_up: FOLLOW_UP.iter().map(|s| s.to_string()).collect(),
        record,
    })
}

fn pod_spec(o: &Object) -> Option<&kubepci_model::pod::PodSpec> {
    match &o.resource {
        Resource::Pod(p) => p.spec.as_ref(),
        _ => None,
    }
}

/// The owner a controller acts through: the controller reference, else the first owner.
fn controller_ref(o: &Object) -> Option<(String, String)> {
    let refs = o.metadata().owner_references.as_deref()?;
    let r = refs.iter().find(|r| r.controller == Some(true)).or_else(|| refs.first())?;
    Some((r.kind.clone(), r.name.clone()))
}

/// The owners from `o` up, as (kind, name); an owner missing from the input ends the chain
/// after it is named.
fn owner_chain(inv: &Inventory, o: &Object) -> Vec<(String, String)> {
    let ns = o.namespace();
    let mut chain = Vec::new();
    let mut current = controller_ref(o);
    // Bounded: a reference cycle in bad input must not loop.
    while let Some((kind, name)) = current.take() {
        if chain.len() >= 4 || chain.contains(&(kind.clone(), name.clone())) {
            break;
        }
        current = inv.get(&kind, ns, &name).and_then(controller_ref);
        chain.push((kind, name));
    }
    chain
}

/// The labels to remove from `pod` so that its ReplicaSet or DaemonSet no longer selects it:
/// the selector's keys that must be present to match (matchLabels, `In`, `Exists`).
fn detach_labels(inv: &Inventory, pod: &Object, chain: &[(String, String)], warnings: &mut Vec<String>) -> BTreeMap<String, String> {
    let Some((kind, name)) = chain.first() else { return BTreeMap::new() };
    if !matches!(kind.as_str(), "ReplicaSet" | "DaemonSet" | "ReplicationController") {
        return BTreeMap::new();
    }
    let Some(owner) = inv.get(kind, pod.namespace(), name) else {
        warnings.push(format!("pod {}: its {kind} {name} is not in the input, so the labels that would detach it are unknown; it stays attached and a rollout or scale-down may delete it", pod.name()));
        return BTreeMap::new();
    };
    let selector = match &owner.resource {
        Resource::ReplicaSet(rs) => Some(Selector::from_label_selector(&rs.spec.selector)),
        Resource::DaemonSet(ds) => Some(Selector::from_label_selector(&ds.spec.selector)),
        Resource::ReplicationController(rc) => rc.spec.as_ref().and_then(|s| s.selector.as_ref()).map(|m| Ok(Selector::from_map(m))),
        _ => None,
    };
    let keys: BTreeSet<&str> = match &selector {
        Some(Ok(sel)) => sel
            .requirements()
            .iter()
            .filter_map(|r| match r {
                Requirement::In(k, _) | Requirement::Exists(k) => Some(k.as_str()),
                Requirement::NotIn(..) | Requirement::DoesNotExist(_) => None,
            })
            .collect(),
        _ => BTreeSet::new(),
    };
    let removed: BTreeMap<String, String> = pod.labels().iter().filter(|(k, _)| keys.contains(k)).map(|(k, v)| (k.to_string(), v.to_string())).collect();
    if removed.is_empty() {
        warnings.push(format!("pod {}: the selector of {kind} {name} has no label the pod could drop to leave it; it stays attached", pod.name()));
    }
    removed
}

/// The pod's labels once quarantined.
fn quarantined_labels(inv: &Inventory, ns: &str, p: &AffectedPod, incident: &str) -> BTreeMap<String, String> {
    let mut labels = inv.get("Pod", Some(ns), &p.name).map(|o| o.labels().to_btree()).unwrap_or_default();
    labels.retain(|k, _| !p.detach_labels.contains_key(k));
    labels.insert(QUARANTINE_LABEL.to_string(), incident.to_string());
    labels
}

/// Warnings for NetworkPolicies that still select a quarantined pod and allow traffic
/// (NetworkPolicies only add allowances: the deny-all policy cannot take them back), and for
/// Services that still send traffic to one.
fn still_allowed(inv: &Inventory, ns: &str, pods: &[AffectedPod], incident: &str) -> Vec<String> {
    let mut out = Vec::new();
    for p in pods {
        let labels = quarantined_labels(inv, ns, p, incident);
        for np in inv.of_kind("NetworkPolicy").filter(|o| o.namespace() == Some(ns)) {
            let Resource::NetworkPolicy(policy) = &np.resource else { continue };
            let Some(spec) = &policy.spec else { continue };
            // An absent podSelector selects every pod of the namespace, like an empty one.
            let selects = spec.pod_selector.as_ref().map_or(Ok(Selector::everything()), Selector::from_label_selector).is_ok_and(|s| s.matches(&labels));
            let allows = |rules: usize| rules > 0;
            let ingress = allows(spec.ingress.as_ref().map_or(0, Vec::len));
            let egress = allows(spec.egress.as_ref().map_or(0, Vec::len));
            if selects && (ingress || egress) {
                let dirs = match (ingress, egress) {
                    (true, true) => "ingress and egress",
                    (true, false) => "ingress",
                    _ => "egress",
                };
                out.push(format!(
                    "NetworkPolicy {ns}/{} still selects pod {} and allows {dirs}: NetworkPolicies only add allowances, so the quarantine policy cannot cancel it; narrow its podSelector or deny with an AdminNetworkPolicy",
                    np.name(),
                    p.name
                ));
            }
        }
        for svc in inv.of_kind("Service").filter(|o| o.namespace() == Some(ns)) {
            let Resource::Service(s) = &svc.resource else { continue };
            let Some(selector) = s.spec.as_ref().and_then(|s| s.selector.as_ref()).filter(|m| !m.is_empty()) else { continue };
            if Selector::from_map(selector).matches(&labels) {
                out.push(format!("Service {ns}/{} still selects pod {}: its clients' connections to it will fail while it is isolated", svc.name(), p.name));
            }
        }
    }
    out
}

fn controller_handling(target: &Target, pods: &[AffectedPod]) -> ControllerHandling {
    let detached = pods.iter().filter(|p| !p.detach_labels.is_empty()).count();
    let attached_owned = pods.iter().filter(|p| p.detach_labels.is_empty() && !p.owners.is_empty()).count();
    if target.kind == TargetKind::CronJob {
        return ControllerHandling {
            action: ControllerAction::Suspend,
            explanation: format!("CronJob {} is suspended (spec.suspend=true) so that it starts no new Job; the pods of its running Jobs stay owned by their Job, which does not replace a pod that still exists. Release restores spec.suspend.", target.name),
        };
    }
    if detached > 0 {
        let owners: BTreeSet<&str> = pods.iter().filter(|p| !p.detach_labels.is_empty()).filter_map(|p| p.owners.first().map(String::as_str)).collect();
        let owners: Vec<&str> = owners.into_iter().collect();
        return ControllerHandling {
            action: ControllerAction::Detach,
            explanation: format!(
                "{detached} {} detached from {} by removing the labels the controller selects them by: the controller releases them and starts as many fresh replacement pods from the same template (the same image: if the image itself is compromised, scale the workload down or roll it back as a separate decision). The isolated pods are kept for forensics; no rollout or scale-down will delete them, and they leave the endpoints of Services selecting those labels. Release restores the labels: the controller adopts the pods again and then removes surplus replicas, which may include them.",
                if detached == 1 { "pod is" } else { "pods are" },
                owners.join(", "),
            ),
        };
    }
    if attached_owned > 0 {
        return ControllerHandling {
            action: ControllerAction::KeepAttached,
            explanation: "The pods stay owned by their StatefulSet or Job: a StatefulSet pod keeps a stable name and its volumes, so no replacement can start while it exists, and a detached Job pod would make the Job run again. Nothing replaces them, but a rolling update or a `kubectl delete pod` destroys them: hold changes to the workload (for a StatefulSet, updateStrategy OnDelete) until the evidence is secured.".to_string(),
        };
    }
    ControllerHandling { action: ControllerAction::None, explanation: "No controller owns the pods: nothing replaces or deletes them.".to_string() }
}

fn nodes_to_cordon(inv: &Inventory, pods: &[AffectedPod]) -> (Vec<NodeChange>, Vec<String>) {
    let nodes: BTreeSet<&str> = pods.iter().filter_map(|p| p.node.as_deref()).collect();
    let (mut cordon, mut already) = (Vec::new(), Vec::new());
    for name in nodes {
        let before = inv.get("Node", None, name).and_then(|o| match &o.resource {
            Resource::Node(n) => n.spec.as_ref().and_then(|s| s.unschedulable),
            _ => None,
        });
        if before == Some(true) {
            already.push(name.to_string());
        } else {
            cordon.push(NodeChange { name: name.to_string(), unschedulable_before: before });
        }
    }
    (cordon, already)
}

fn network_policy(ns: &str, opts: &QuarantineOptions, record: &QuarantineRecord) -> Value {
    let mut annotations = serde_json::Map::new();
    annotations.insert(RECORD_ANNOTATION.to_string(), Value::String(serde_json::to_string(record).unwrap_or_default()));
    if let Some(reason) = &opts.reason {
        annotations.insert(REASON_ANNOTATION.to_string(), Value::String(reason.clone()));
    }
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": policy_name(&opts.incident),
            "namespace": ns,
            "labels": { MANAGED_BY.0: MANAGED_BY.1, QUARANTINE_LABEL: opts.incident },
            "annotations": annotations,
        },
        "spec": {
            "podSelector": { "matchLabels": { QUARANTINE_LABEL: opts.incident } },
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [],
            "egress": [],
        },
    })
}

fn quarantine_requests(ns: &str, policy: &Value, record: &QuarantineRecord) -> Vec<ApiRequest> {
    let mut out = vec![ApiRequest {
        method: Method::Post,
        path: format!("{NETWORK_POLICIES}/{ns}/networkpolicies"),
        body: Some(policy.clone()),
        purpose: "deny all ingress and egress of pods labelled with the incident (and record what follows)".to_string(),
    }];
    for p in &record.pods {
        let mut labels = serde_json::Map::new();
        labels.insert(QUARANTINE_LABEL.to_string(), Value::String(record.incident.clone()));
        for k in p.removed_labels.keys() {
            labels.insert(k.clone(), Value::Null);
        }
        let purpose = if p.removed_labels.is_empty() { "label the pod so that the policy isolates it".to_string() } else { "label the pod so that the policy isolates it, and detach it from its controller".to_string() };
        out.push(ApiRequest { method: Method::Patch, path: format!("/api/v1/namespaces/{ns}/pods/{}", p.name), body: Some(json!({"metadata": {"labels": labels}})), purpose });
    }
    if let Some(cj) = &record.cron_job {
        out.push(ApiRequest { method: Method::Patch, path: format!("{}/{}", TargetKind::CronJob.collection_path(ns), cj.name), body: Some(json!({"spec": {"suspend": true}})), purpose: "start no new Job".to_string() });
    }
    for n in &record.nodes {
        out.push(ApiRequest { method: Method::Patch, path: format!("/api/v1/nodes/{}", n.name), body: Some(json!({"spec": {"unschedulable": true}})), purpose: "cordon the node".to_string() });
    }
    out
}

/// The requests that undo a quarantine, from its record: pods first (so they are never
/// unlabelled while still detached), then the CronJob and nodes, the policy last (it holds the
/// record, so an interrupted release can be run again).
pub fn release_requests(ns: &str, record: &QuarantineRecord) -> Vec<ApiRequest> {
    let mut out = Vec::new();
    for p in &record.pods {
        let mut labels = serde_json::Map::new();
        labels.insert(QUARANTINE_LABEL.to_string(), Value::Null);
        for (k, v) in &p.removed_labels {
            labels.insert(k.clone(), Value::String(v.clone()));
        }
        let purpose = if p.removed_labels.is_empty() { "remove the quarantine label".to_string() } else { "remove the quarantine label and restore the labels that detached it".to_string() };
        out.push(ApiRequest { method: Method::Patch, path: format!("/api/v1/namespaces/{ns}/pods/{}", p.name), body: Some(json!({"metadata": {"labels": labels}})), purpose });
    }
    if let Some(cj) = &record.cron_job {
        out.push(ApiRequest {
            method: Method::Patch,
            path: format!("{}/{}", TargetKind::CronJob.collection_path(ns), cj.name),
            body: Some(json!({"spec": {"suspend": cj.suspend_before}})),
            purpose: "restore spec.suspend".to_string(),
        });
    }
    for n in &record.nodes {
        out.push(ApiRequest { method: Method::Patch, path: format!("/api/v1/nodes/{}", n.name), body: Some(json!({"spec": {"unschedulable": n.unschedulable_before}})), purpose: "restore spec.unschedulable (uncordon)".to_string() });
    }
    out.push(ApiRequest { method: Method::Delete, path: format!("{NETWORK_POLICIES}/{ns}/networkpolicies/{}", policy_name(&record.incident)), body: None, purpose: "remove the quarantine policy".to_string() });
    out
}

fn revocations(inv: &Inventory, rbac: &Model, ns: &str, pods: &[AffectedPod]) -> Vec<ServiceAccountRevocation> {
    let accounts: BTreeSet<&str> = pods.iter().map(|p| p.service_account.as_str()).collect();
    let quarantined: BTreeSet<&str> = pods.iter().map(|p| p.name.as_str()).collect();
    accounts
        .into_iter()
        .map(|sa| {
            let subject = Subject::service_account(ns, sa);
            let (mut direct, mut group) = (Vec::new(), Vec::new());
            for pb in rbac.bindings_for(&subject) {
                let Some(b) = rbac.bindings.get(pb.binding) else { continue };
                let role = format!("{}/{}", if b.role_kind == kubepci_rbac::RoleKind::ClusterRole { "ClusterRole" } else { "Role" }, b.role_name);
                if pb.via == subject {
                    direct.push(format!("{} → {role}", b.display()));
                } else {
                    group.push(format!("{} → {role} (as member of {})", b.display(), pb.via.name));
                }
            }
            direct.sort();
            direct.dedup();
            group.sort();
            group.dedup();
            let shared_with: Vec<String> = inv
                .indices_of_kind_in("Pod", ns)
                .iter()
                .map(|&i| &inv.objects[i])
                .filter(|o| !quarantined.contains(o.name()))
                .filter(|o| pod_spec(o).and_then(|s| s.service_account_name.as_deref()).filter(|s| !s.is_empty()).unwrap_or("default") == sa)
                .map(|o| o.name().to_string())
                .collect();
            let mut steps = vec![format!(
                "delete the long-lived token Secrets of the account (type kubernetes.io/service-account-token, annotation kubernetes.io/service-account.name={sa}): kubectl -n {ns} get secrets --field-selector type=kubernetes.io/service-account-token -o name   # names only; never print their data"
            )];
            for b in &direct {
                let binding = b.split(" → ").next().unwrap_or(b);
                steps.push(format!("remove ServiceAccount {ns}/{sa} from the subjects of {binding} (kubectl edit), or delete the binding if it names only this account"));
            }
            if shared_with.is_empty() {
                steps.push(format!("once evidence is secured: kubectl -n {ns} delete serviceaccount {sa}   # invalidates every token issued to it, bound ones included; recreate it (with a new UID) for the replacement pods"));
            } else {
                steps.push(format!("the account is shared with {} other {}: give the quarantined workload's replacements their own account before revoking, or those pods lose their access too", shared_with.len(), if shared_with.len() == 1 { "pod" } else { "pods" }));
            }
            ServiceAccountRevocation { service_account: format!("{ns}/{sa}"), bindings: direct, group_bindings: group, shared_with, steps }
        })
        .collect()
}

#[cfg(test)]
mod tests;
