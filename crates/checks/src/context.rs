use std::collections::BTreeSet;
use std::sync::Mutex;

use kubepci_inventory::{Config, Inventory, NamespaceInfo, Scope, Workload};
use kubepci_model::{Object, PodTemplate};
use crate::{Applies, SharedAnalyses, WORKLOADS};

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
    /// `manifests`, `snapshot` or `live`, as reports name it.
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Manifests => "manifests",
            InputKind::Snapshot => "snapshot",
            InputKind::Live => "live",
        }
    }

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

/// Recorded (as a lookup) when a check reads workload members (the Pods and intermediate
/// controllers under a top owner), itself or through a shared analysis: what a check listed
/// in [`crate::MEMBER_BLIND`] never does.
pub const MEMBER_LOOKUP: &str = "workload members";

/// Recorded (as a lookup) when a check reads workload members only as the reachability sees
/// them, by their pod classes: what a check listed in [`crate::MEMBER_BLIND`] never does, and
/// the only read of members a check listed in [`crate::CLASS_BLIND`] makes.
pub const CLASS_LOOKUP: &str = "workload members' pod classes";

/// Records the kinds a check reaches through [`InventoryView`] and [`Context`], so a test can
/// compare them with the check's declared `reads`. Kind names, the group [`WORKLOADS`], or
/// [`WHOLE_INVENTORY`].
#[derive(Debug, Default)]
pub struct KindRecorder {
    kinds: Mutex<BTreeSet<String>>,
    /// Ways of reaching objects other than the one being judged (a lookup by name, another
    /// namespace's objects, a whole-input analysis): an object-local check uses none.
    lookups: Mutex<BTreeSet<&'static str>>,
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

    fn lookup(&self, what: &'static str) {
        if let Ok(mut l) = self.lookups.lock() {
            l.insert(what);
        }
    }

    /// The cross-object lookups made so far (accessor names).
    pub fn lookups(&self) -> BTreeSet<&'static str> {
        self.lookups.lock().map(|l| l.clone()).unwrap_or_default()
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

    /// Note a way of reaching other objects than the one judged (see [`KindRecorder`]).
    pub(crate) fn lookup(self, what: &'static str) {
        if let Some(r) = self.recorder {
            r.lookup(what);
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
        self.lookup("indices_of_kind_in");
        self.record(kind);
        self.inventory.indices_of_kind_in(kind, namespace)
    }

    pub fn get(self, kind: &str, namespace: Option<&str>, name: &str) -> Option<&'a Object> {
        self.lookup("get");
        self.record(kind);
        self.inventory.get(kind, namespace, name)
    }

    pub fn namespaces(self) -> impl Iterator<Item = &'a NamespaceInfo> {
        self.lookup("namespaces");
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
        self.lookup("workloads_in");
        self.record(WORKLOADS);
        self.inventory.workloads_in(namespace)
    }

    pub fn workloads_selected_by(self, namespace: &str, selector: &std::collections::BTreeMap<String, String>) -> Vec<&'a Workload> {
        self.lookup("workloads_selected_by");
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
        self.lookup("whole inventory");
        self.inventory
    }
}

/// The scope class an object is judged in: a Namespace's own, a workload's own, any other
/// object's namespace's.
pub(crate) fn scope_of(inv: &Inventory, index: usize) -> Scope {
    match &inv.objects[index] {
        o if o.kind() == "Namespace" => inv.namespace_scope(o.name()),
        _ => inv.object_scope(index),
    }
}

/// Is the object at `index` within what a check with `applies` looks at? By the object's
/// scope (a workload's own, another object's namespace's); a Namespace by its own.
pub(crate) fn applies_to(inv: &Inventory, applies: Applies, index: usize) -> bool {
    let scope = || scope_of(inv, index);
    if !applies.reads_scope() {
        return true;
    }
    applies.admits(scope(), &inv.config)
}

/// Everything a check may read. The shared analyses are computed at most once, on first use
/// or side by side in [`Context::prepare`] (see `analyses`).
pub struct Context<'a> {
    pub inv: InventoryView<'a>,
    pub input: InputKind,
    /// Kinds the collector could not list: checks reading one are not run (see `run_checks`).
    pub unlisted: Vec<UnlistedKind>,
    /// "Today" for every age or date a check judges (certificate expiry, credential age, scan
    /// report and patch age, end of life), seconds since the epoch: the run's clock
    /// (`SOURCE_DATE_EPOCH` pins it), fixed once per assessment.
    pub now: i64,
    /// Per workload: its pod template, found once (every check over workloads reads them).
    /// Not lazy, so that the context stays covariant in `'a`.
    templates: Vec<Option<PodTemplate<'a>>>,
    pub(crate) analyses: SharedAnalyses,
    /// Scanner reports and VEX statements given beside the objects (`--vulns`).
    pub(crate) vuln_files: Option<std::sync::Arc<kubepci_vulns::Evidence>>,
    /// The one object whose results are wanted (an admission review), or `None` for all.
    focus: Option<usize>,
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
        Context { inv, input, unlisted: Vec::new(), templates, analyses: SharedAnalyses::default(), vuln_files: None, now: kubepci_base::time::now_epoch(), focus: None }
    }

    /// Scanner reports and VEX statements read from files (`--vulns`).
    pub fn with_vulns(mut self, evidence: Option<std::sync::Arc<kubepci_vulns::Evidence>>) -> Self {
        self.vuln_files = evidence;
        self
    }

    /// Only the results on the object at `index` are wanted (an admission review): the
    /// per-object loops of `support::each` decide no other object, and results on other
    /// objects or on the whole input are not recorded. Checks still read everything the
    /// context holds, so a verdict that depends on other objects stays the same.
    pub fn with_focus(mut self, index: usize) -> Self {
        self.focus = Some(index);
        self
    }

    /// The one object whose results are wanted ([`Context::with_focus`]), if any.
    pub(crate) fn focus_object(&self) -> Option<usize> {
        self.focus
    }

    /// Whether results on the object at `index` (`None`: on the whole input) are wanted.
    pub(crate) fn in_focus(&self, index: Option<usize>) -> bool {
        self.focus.is_none_or(|f| index == Some(f))
    }

    /// The same context judged at another instant (tests, examples with `# now:`).
    pub fn at(mut self, epoch: i64) -> Self {
        self.now = epoch;
        self
    }

    /// The kinds the collector could not list (from a live collection or a snapshot's
    /// `kindsNotListable`).
    pub fn with_unlisted(mut self, unlisted: Vec<UnlistedKind>) -> Self {
        self.unlisted = unlisted;
        self
    }

    /// Start from analyses kept from an earlier context (see [`SharedAnalyses::update`]).
    pub fn with_analyses(mut self, analyses: SharedAnalyses) -> Self {
        self.analyses = analyses;
        self
    }

    /// The inventory without recording, for the runner and report assembly (not for checks).
    pub fn inventory(&self) -> &'a Inventory {
        self.inv.inventory
    }

    /// The shared analyses computed so far, owned (the context borrows the inventory; they do
    /// not): a caller about to exit can leave them unfreed.
    pub fn into_analyses(self) -> SharedAnalyses {
        self.analyses
    }

    /// Is the object at `index` within what a check with `applies` looks at? (See
    /// [`applies_to`]; a read of the scope, so of `Namespace`, when the answer depends on it.)
    pub(crate) fn applies(&self, applies: Applies, index: usize) -> bool {
        if applies.reads_scope() {
            self.inv.record("Namespace");
        }
        applies_to(self.inventory(), applies, index)
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

    /// Note that a check reads `kinds` (for an analysis built from them).
    pub(crate) fn record_reads(&self, kinds: &[&str]) {
        // Every shared analysis notes its reads here: each one is about the whole input.
        self.inv.lookup("shared analysis");
        for kind in kinds {
            self.inv.record(kind);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INPUT: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: payments}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: payments}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: [{name: api, image: api:1}]}\n";

    fn inventory() -> Inventory {
        crate::testing::load("t.yaml", INPUT, "")
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
    fn a_namespace_is_in_its_own_scope_and_cde_related_checks_look_at_any() {
        let yaml = format!("{INPUT}---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: shop, labels: {{pci.kubepci.io/scope: out}}}}\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: web, namespace: shop}}\n");
        let inv = crate::testing::load("t.yaml", &yaml, "");
        let index = |kind: &str, name: &str| inv.objects.iter().position(|o| o.kind() == kind && o.name() == name).expect(name);
        let sees = |applies: Applies, kind: &str, name: &str| applies_to(&inv, applies, index(kind, name));
        assert!(sees(Applies::Cde, "Namespace", "payments") && sees(Applies::Cde, "Service", "api") && sees(Applies::Cde, "Deployment", "api"));
        assert!(!sees(Applies::Cde, "Namespace", "shop") && !sees(Applies::InScope, "Service", "web"));
        assert!(sees(Applies::CdeRelated, "Service", "web") && sees(Applies::All, "Namespace", "shop"));
    }

    #[test]
    fn a_focused_run_gives_each_object_the_results_a_whole_run_gives_it() {
        let yaml = format!("{INPUT}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: shell, namespace: payments, labels: {{app: api}}}}\nspec: {{containers: [{{name: shell, image: shell:1, securityContext: {{privileged: true}}, env: [{{name: CARD, value: '4111111111111111'}}]}}]}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c, namespace: payments}}\ndata: {{note: 'pan 5500005555555559'}}\n");
        let inv = crate::testing::load("t.yaml", &yaml, "");
        let (checks, opts) = (crate::registry(), crate::RunOptions::default());
        let whole = crate::run_checks(&Context::new(&inv, InputKind::Manifests), &checks, &opts).findings;
        let json = |f: Vec<&kubepci_findings::Finding>| serde_json::to_value(f).unwrap();
        let mut failing = 0;
        for (focus, object) in inv.objects.iter().enumerate() {
            let focused = crate::run_sequential(&Context::new(&inv, InputKind::Manifests).with_focus(focus), &checks, &opts);
            let expected: Vec<_> = whole.iter().filter(|f| f.object.as_ref() == Some(&object.object_ref())).collect();
            assert_eq!(json(focused.iter().collect()), json(expected), "{}/{}", object.kind(), object.name());
            failing += usize::from(focused.iter().any(|f| f.status == kubepci_findings::Status::Fail));
        }
        assert!(failing >= 3, "the pod, the config map and the unprotected deployment fail");
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
