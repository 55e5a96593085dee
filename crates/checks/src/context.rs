use std::collections::BTreeSet;
use std::sync::{Mutex, OnceLock};

use kubepci_inventory::{Config, Inventory, NamespaceInfo, Scope, Workload};
use kubepci_model::{Object, PodTemplate};
use kubepci_pss::{Evaluation, Version};

use crate::{Applies, WORKLOADS};

/// What kind of input the inventory came from. Some facts exist only on a live cluster or in
/// a snapshot of one (nodes, running pods, CNI daemonsets); checks that need them report
/// "not assessed" on manifests instead of passing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    Manifests,
    Snapshot,
    Live,
}

impl InputKind {
    /// True when the input is a whole cluster (so absence of an object means it does not exist).
    pub fn is_cluster(self) -> bool {
        !matches!(self, InputKind::Manifests)
    }
}

/// A kind the collector could not list completely (no permission, failed after retries,
/// Secrets not requested), with the reason. A check that reads it would decide on incomplete
/// data, so it is reported "not assessed" with this reason instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnlistedKind {
    /// Kind name as checks declare it (`ConfigMap`).
    pub kind: String,
    /// API group (`""` for the core group), when known: tells Kyverno's `Policy` from the
    /// audit `Policy` file platform checks read.
    pub group: Option<String>,
    /// Why (`no permission to list configmaps: …`).
    pub reason: String,
}

/// Recorded when a check reached the whole [`Inventory`] (handed to an analysis that takes
/// `&Inventory`), whose reads [`InventoryView`] cannot see.
pub const WHOLE_INVENTORY: &str = "<whole inventory>";

/// Records the kinds a check reaches through [`InventoryView`] and [`Context`], so a test can
/// compare them with the check's declared `reads`. Kind names, the group [`WORKLOADS`], or
/// [`WHOLE_INVENTORY`].
#[derive(Debug, Default)]
pub struct KindRecorder {
    kinds: Mutex<BTreeSet<String>>,
}

impl KindRecorder {
    fn record(&self, kind: &str) {
        if let Ok(mut kinds) = self.kinds.lock()
            && !kinds.contains(kind)
        {
            kinds.insert(kind.to_string());
        }
    }

    /// Everything recorded so far.
    pub fn kinds(&self) -> BTreeSet<String> {
        self.kinds.lock().map(|k| k.clone()).unwrap_or_default()
    }
}

/// The inventory as checks see it (`cx.inv`): the same accessors as [`Inventory`], each noting
/// the kind it serves when a [`KindRecorder`] is attached (only in tests; otherwise a branch on
/// `None`). Objects are reached by kind here (`of_kind`, `indices_of_kind`, `get`), as
/// workloads (`workloads`, `workloads_in`, `workload_of`, `pod_template`: the [`WORKLOADS`]
/// group) or through namespaces and scope (`namespaces`, `namespace`, `namespace_scope`,
/// `object_scope`: `Namespace`). `objects` is indexed with indices those accessors returned; a
/// walk over all of it is what a check declaring `any` does. Dereferencing to the whole
/// [`Inventory`] (to hand it to an analysis) records [`WHOLE_INVENTORY`].
#[derive(Clone, Copy)]
pub struct InventoryView<'a> {
    inventory: &'a Inventory,
    /// Every object of the input.
    pub objects: &'a [Object],
    /// The kubepci.yaml configuration.
    pub config: &'a Config,
    recorder: Option<&'a KindRecorder>,
}

impl<'a> InventoryView<'a> {
    fn new(inventory: &'a Inventory, recorder: Option<&'a KindRecorder>) -> Self {
        InventoryView { inventory, objects: &inventory.objects, config: &inventory.config, recorder }
    }

    fn record(self, kind: &str) {
        if let Some(r) = self.recorder {
            r.record(kind);
        }
    }

    pub fn of_kind(self, kind: &str) -> impl Iterator<Item = &'a Object> {
        self.record(kind);
        self.inventory.of_kind(kind)
    }

    pub fn indices_of_kind(self, kind: &str) -> &'a [usize] {
        self.record(kind);
        self.inventory.indices_of_kind(kind)
    }

    pub fn indices_of_kind_in(self, kind: &str, namespace: &str) -> &'a [usize] {
        self.record(kind);
        self.inventory.indices_of_kind_in(kind, namespace)
    }

    pub fn get(self, kind: &str, namespace: Option<&str>, name: &str) -> Option<&'a Object> {
        self.record(kind);
        self.inventory.get(kind, namespace, name)
    }

    pub fn namespaces(self) -> impl Iterator<Item = &'a NamespaceInfo> {
        self.record("Namespace");
        self.inventory.namespaces()
    }

    pub fn namespace(self, name: &str) -> Option<&'a NamespaceInfo> {
        self.record("Namespace");
        self.inventory.namespace(name)
    }

    /// A namespace's scope: decided by the Namespace object's labels (or kubepci.yaml).
    pub fn namespace_scope(self, name: &str) -> Scope {
        self.record("Namespace");
        self.inventory.namespace_scope(name)
    }

    /// An object's scope: its workload's or its namespace's.
    pub fn object_scope(self, index: usize) -> Scope {
        self.record("Namespace");
        self.inventory.object_scope(index)
    }

    pub fn workloads(self) -> &'a [Workload] {
        self.record(WORKLOADS);
        self.inventory.workloads()
    }

    pub fn workloads_in(self, namespace: &str) -> impl Iterator<Item = &'a Workload> {
        self.record(WORKLOADS);
        self.inventory.workloads_in(namespace)
    }

    pub fn workloads_selected_by(self, namespace: &str, selector: &std::collections::BTreeMap<String, String>) -> Vec<&'a Workload> {
        self.record(WORKLOADS);
        self.inventory.workloads_selected_by(namespace, selector)
    }

    pub fn workload_of(self, index: usize) -> Option<&'a Workload> {
        self.record(WORKLOADS);
        self.inventory.workload_of(index)
    }

    pub fn pod_template(self, w: &Workload) -> Option<PodTemplate<'a>> {
        self.record(WORKLOADS);
        self.inventory.pod_template(w)
    }
}

/// `&cx.inv` is an `&Inventory` for analyses that take the whole input.
impl std::ops::Deref for InventoryView<'_> {
    type Target = Inventory;

    fn deref(&self) -> &Inventory {
        self.record(WHOLE_INVENTORY);
        self.inventory
    }
}

/// Kinds the network reachability is computed from (`kubepci_netpol::endpoints`, `engine`).
const REACHABILITY_READS: &[&str] = &["NetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "Namespace", WORKLOADS];
/// Kinds the CDE NetworkPolicies are chosen by (`Context::cde_network_policies`).
const CDE_POLICY_READS: &[&str] = &["NetworkPolicy", "Namespace", WORKLOADS];
/// Kinds the RBAC model is built from (`kubepci_rbac::Model::build`).
const RBAC_MODEL_READS: &[&str] = &["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ServiceAccount"];

/// Everything a check may read. Shared analyses are computed at most once, on first use.
pub struct Context<'a> {
    pub inv: InventoryView<'a>,
    pub input: InputKind,
    /// Kinds the collector could not list: checks reading one are not run (see `run_checks`).
    pub unlisted: Vec<UnlistedKind>,
    /// Per workload: its pod template, found once (every check over workloads reads them).
    /// Not lazy, so that the context stays covariant in `'a`.
    templates: Vec<Option<PodTemplate<'a>>>,
    /// Per workload: the baseline and the restricted evaluations.
    pss: OnceLock<(Vec<Evaluation>, Vec<Evaluation>)>,
    reachability: OnceLock<kubepci_netpol::Reachability>,
    rbac_model: OnceLock<kubepci_rbac::Model>,
    card_numbers: OnceLock<Vec<CardNumbers>>,
    net_index: OnceLock<crate::rules::network::view::NetIndex>,
    cde_network_policies: OnceLock<Vec<(usize, kubepci_netpol::policy::Policy)>>,
}

/// The card numbers found in one object's text fields, masked (first six, last four at most).
#[derive(Debug)]
pub struct CardNumbers {
    pub object: usize,
    /// (public test card number?, evidence naming the field), in field order.
    pub found: Vec<(bool, kubepci_findings::Evidence)>,
}

impl<'a> Context<'a> {
    pub fn new(inv: &'a Inventory, input: InputKind) -> Self {
        Context::with_view(InventoryView::new(inv, None), input)
    }

    /// A context whose every read by kind is noted in `recorder` (for tests of `reads`).
    pub fn recording(inv: &'a Inventory, input: InputKind, recorder: &'a KindRecorder) -> Self {
        Context::with_view(InventoryView::new(inv, Some(recorder)), input)
    }

    fn with_view(inv: InventoryView<'a>, input: InputKind) -> Self {
        use rayon::prelude::*;
        // Read without recording: a check reads workloads only when it asks for them.
        let templates = inv.inventory.workloads().par_iter().map(|w| inv.inventory.objects[w.object].pod_template()).collect();
        Context {
            inv,
            input,
            unlisted: Vec::new(),
            templates,
            pss: OnceLock::new(),
            reachability: OnceLock::new(),
            rbac_model: OnceLock::new(),
            card_numbers: OnceLock::new(),
            net_index: OnceLock::new(),
            cde_network_policies: OnceLock::new(),
        }
    }

    /// The kinds the collector could not list (from a live collection or a snapshot's
    /// `kindsNotListable`).
    pub fn with_unlisted(mut self, unlisted: Vec<UnlistedKind>) -> Self {
        self.unlisted = unlisted;
        self
    }

    /// The inventory without recording, for the runner and report assembly (not for checks).
    pub fn inventory(&self) -> &'a Inventory {
        self.inv.inventory
    }

    /// Is the object at `index` within what a check with `applies` looks at?
    pub fn applies(&self, applies: Applies, index: usize) -> bool {
        match applies {
            Applies::All | Applies::Cluster => true,
            Applies::Cde => self.inv.object_scope(index) == Scope::Cde,
            Applies::InScope => self.inv.object_scope(index).in_scope(),
        }
    }

    /// True when at least one namespace or workload is declared CDE. Not recorded as a read:
    /// objects missing from the input can only make this false, and every check then reports
    /// "no CDE declared" rather than a pass.
    pub fn has_cde(&self) -> bool {
        let inv = self.inventory();
        inv.namespaces().any(|n| n.scope.scope == Scope::Cde) || inv.workloads().iter().any(|w| w.scope.scope == Scope::Cde)
    }

    /// Workloads (top owners) with their pod templates.
    pub fn workloads(&self) -> impl Iterator<Item = (&'a Workload, &'a Object, PodTemplate<'a>)> + '_ {
        let inv = self.inv;
        inv.workloads().iter().zip(self.templates()).filter_map(move |(w, t)| t.map(|t| (w, &inv.objects[w.object], t)))
    }

    /// Each workload's pod template, in `inv.workloads()` order. Looked up once: finding a
    /// template reads a large object scattered in memory, and dozens of checks ask.
    pub fn templates(&self) -> &[Option<PodTemplate<'a>>] {
        self.inv.record(WORKLOADS);
        &self.templates
    }

    /// The Pod Security Standards `restricted` evaluation (latest version) of every workload,
    /// in `inv.workloads()` order. One evaluator serves all hardening checks.
    pub fn pss_restricted(&self) -> &[Evaluation] {
        &self.pss_evaluations().1
    }

    /// The `baseline` evaluation: restricted replaces some baseline controls with stricter
    /// ones, so checks of those baseline controls need this one.
    pub fn pss_baseline(&self) -> &[Evaluation] {
        &self.pss_evaluations().0
    }

    /// Both levels are evaluated together, each control once per workload.
    fn pss_evaluations(&self) -> &(Vec<Evaluation>, Vec<Evaluation>) {
        use rayon::prelude::*;
        let templates = self.templates();
        self.pss.get_or_init(|| {
            templates
                .par_iter()
                .map(|t| match t {
                    Some(t) => kubepci_pss::evaluate_levels(t, Version::latest()),
                    None => (Evaluation { allowed: true, violations: Vec::new() }, Evaluation { allowed: true, violations: Vec::new() }),
                })
                .unzip()
        })
    }

    /// NetworkPolicy reachability of the whole input, computed once for all network checks.
    /// The checks ask about flows into and out of CDE workloads, so only those rows and
    /// columns are computed up front (any other pair is still answered exactly, on demand).
    pub fn reachability(&self) -> &kubepci_netpol::Reachability {
        for kind in REACHABILITY_READS {
            self.inv.record(kind);
        }
        self.reachability.get_or_init(|| {
            let inv = self.inventory();
            let cde: Vec<usize> = inv.workloads().iter().enumerate().filter(|(_, w)| w.scope.scope == Scope::Cde).map(|(i, _)| i).collect();
            kubepci_netpol::Reachability::compute_focused(inv, kubepci_netpol::Options::default(), &cde)
        })
    }

    /// The mapping from inventory workloads to reachability endpoints and the counts the
    /// network checks group peers by, built once beside the reachability.
    pub fn net_index(&self) -> &crate::rules::network::view::NetIndex {
        let r = self.reachability();
        self.net_index.get_or_init(|| crate::rules::network::view::NetIndex::new(self, r))
    }

    /// The NetworkPolicies that concern the CDE, compiled once for the checks that read them.
    pub fn cde_network_policies(&self) -> &[(usize, kubepci_netpol::policy::Policy)] {
        for kind in CDE_POLICY_READS {
            self.inv.record(kind);
        }
        self.cde_network_policies.get_or_init(|| crate::rules::network::view::compile_cde_network_policies(self))
    }

    /// The RBAC model of the whole input (roles with aggregation resolved, bindings, indexes),
    /// built once for all RBAC checks.
    pub fn rbac_model(&self) -> &kubepci_rbac::Model {
        for kind in RBAC_MODEL_READS {
            self.inv.record(kind);
        }
        self.rbac_model.get_or_init(|| kubepci_rbac::Model::build(&self.inventory().objects))
    }

    /// Every object's text fields searched for card numbers once, in parallel, for both card
    /// checks: the objects with at least one, ascending. A walk over every object, as a check
    /// declaring `any` makes.
    pub fn card_numbers(&self) -> &[CardNumbers] {
        use rayon::prelude::*;
        self.card_numbers.get_or_init(|| {
            self.inventory()
                .objects
                .par_iter()
                .enumerate()
                .filter_map(|(object, o)| {
                    let mut found = Vec::new();
                    crate::support::text_fields::visit_text_fields(o, &mut |bytes, path| {
                        for m in kubepci_pan::find_pans(bytes) {
                            let masked = format!("{} {}", m.brand.name(), m.masked(kubepci_pan::MaskMode::First6Last4));
                            found.push((m.is_test, kubepci_findings::Evidence::field(path(), masked)));
                        }
                    });
                    (!found.is_empty()).then_some(CardNumbers { object, found })
                })
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use kubepci_inventory::Config;

    use super::*;

    const INPUT: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: payments}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: payments}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: [{name: api, image: api:1}]}\n";

    fn inventory() -> Inventory {
        let loaded = kubepci_source::load_bytes("t.yaml", INPUT.as_bytes());
        Inventory::build(loaded.objects, Config::default())
    }

    #[test]
    fn recorder_notes_each_way_to_reach_objects() {
        let inv = inventory();
        let recorder = KindRecorder::default();
        let cx = Context::recording(&inv, InputKind::Manifests, &recorder);
        assert_eq!(cx.inv.indices_of_kind("Service").len(), 1);
        assert!(cx.inv.get("ConfigMap", Some("payments"), "x").is_none());
        assert!(cx.has_cde(), "has_cde is not a read");
        assert_eq!(recorder.kinds(), BTreeSet::from(["ConfigMap".to_string(), "Service".to_string()]));
        assert_eq!(cx.workloads().count(), 1);
        assert!(cx.applies(Applies::Cde, cx.inv.indices_of_kind("Service")[0]));
        let whole: &Inventory = &cx.inv;
        assert_eq!(whole.objects.len(), 3);
        let expected: BTreeSet<String> = ["ConfigMap", "Namespace", "Service", WORKLOADS, WHOLE_INVENTORY].iter().map(|s| s.to_string()).collect();
        assert_eq!(recorder.kinds(), expected);
        let _ = cx.rbac_model();
        assert!(recorder.kinds().contains("RoleBinding"));
    }

    #[test]
    fn plain_context_records_nothing_and_serves_the_same_objects() {
        let inv = inventory();
        let recorder = KindRecorder::default();
        let recording = Context::recording(&inv, InputKind::Manifests, &recorder);
        let plain = Context::new(&inv, InputKind::Manifests);
        assert_eq!(plain.inv.indices_of_kind("Deployment"), recording.inv.indices_of_kind("Deployment"));
        assert_eq!(plain.inv.workloads().len(), 1);
        assert!(std::ptr::eq(plain.inventory(), &inv));
    }
}
