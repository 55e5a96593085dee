//! Incremental evaluation: one input kept between assessments (the inventory, each check's
//! results, the shared analyses), and a batch of object changes applied to it by re-running
//! only what the changes can affect. What `kubepci serve` does on every watch event.
//!
//! After [`Incremental::apply`], [`Incremental::assessment`] equals a whole assessment of
//! the changed objects (in the order [`Incremental::inventory`] holds them):
//! * the inventory is updated in place when no index, owner link or scope decision can change
//!   ([`Inventory::replace_in_place`]; objects added last with [`Inventory::push_object`], the
//!   last object deleted with [`Inventory::remove_last`]), and rebuilt from its own objects
//!   (not from clones) otherwise: added objects go last, deleted ones are removed and the kept
//!   results follow the indices that moved;
//! * the *focus* is the changed and added objects, the objects whose scope or top-owner role
//!   changed, and every object of a namespace whose labels or scope changed; checks of
//!   [`Locality::Object`] that read one of the focus's kinds re-run on the focus only, and
//!   their results about those objects are replaced;
//! * every other check re-runs whole when a kind it reads changed (the kinds of the changed,
//!   added, deleted and re-scoped objects, and `Namespace` when a namespace's labels, scope
//!   or first object changed); the boundary section likewise for the kinds it reads; a kind
//!   changed only through workload members (Pods and intermediate controllers under a top
//!   owner) does not re-run the checks of [`MEMBER_BLIND`], which judge top owners only;
//!   one that creates, empties or moves no pod class keeps the reachability (the workloads'
//!   pods classed again) and does not re-run the checks of [`CLASS_BLIND`] nor the boundary
//!   section; a pod-running object replaced in place with the same service account and token
//!   mount does not re-run the checks of [`IDENTITY_ONLY`];
//! * the shared analyses built from an unchanged kind are kept ([`SharedAnalyses::update`]);
//!   the network analyses (reachability, the CDE policies, the boundary section) also when a
//!   pod-running object changed in place without changing what NetworkPolicies tell pods
//!   apart by (labels, named container ports, host networking);
//! * when the changes declare or remove the only CDE, everything is re-evaluated.
//!
//! Checks judging dates and ages read the context's clock: the caller re-evaluates
//! everything ([`Incremental::reevaluate`]) when the date changes, and at least hourly.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use kubepci_findings::{BoundaryFlow, Finding};
use kubepci_inventory::{Config, Inventory, Scope};
use kubepci_model::Object;

use crate::analyses::network::{INGRESS_PATH_READS, REACHABILITY_READS};
use crate::runner::run_each;
use crate::{Assessment, Check, CheckRun, Context, Focus, InputKind, Locality, RunOptions, SharedAnalyses, UnlistedKind};

/// One change of the input, as a watch reports it.
#[derive(Clone, Debug)]
pub enum Change {
    /// An object added, or modified (the whole new object).
    Apply(Object),
    /// The object of `kind` named `name` in `namespace` (`None`: cluster-scoped) is gone.
    Delete { kind: String, namespace: Option<String>, name: String },
}

impl Change {
    fn key(&self) -> (String, String, String) {
        match self {
            Change::Apply(o) => (o.kind().to_string(), o.namespace().unwrap_or("").to_string(), o.name().to_string()),
            Change::Delete { kind, namespace, name } => (kind.clone(), namespace.clone().unwrap_or_default(), name.clone()),
        }
    }
}

/// What the input is judged with besides its objects (fixed between evaluations).
#[derive(Clone, Debug)]
pub struct Setting {
    pub input: InputKind,
    pub unlisted: Vec<UnlistedKind>,
    pub vulns: Option<Arc<kubepci_vulns::Evidence>>,
    /// The clock of every date and age checks judge, seconds since the epoch.
    pub now: i64,
    pub run: RunOptions,
}

/// What one [`Incremental::apply`] did, for logs, metrics and the cost measurement.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Objects whose results were recomputed by object-local checks.
    pub focus: usize,
    /// Object-local checks re-run on the focus.
    pub focused_checks: usize,
    /// Checks re-run whole.
    pub whole_checks: usize,
    /// The inventory was rebuilt (a name, label, owner or pod template label changed, an
    /// object other than the last deleted, or an added one re-decides others).
    pub rebuilt: bool,
    /// Everything was re-evaluated (the CDE appeared or vanished).
    pub everything: bool,
    /// The boundary section was recomputed.
    pub boundary: bool,
    /// Some kinds changed only through workload members (a Pod of a ReplicaSet added, say):
    /// the checks that do not read members ([`reads_members`]) were not re-run for them.
    pub members_only: bool,
    /// Members were added or deleted (or changed their network identity in place) without
    /// creating, emptying or moving a pod class: the reachability was kept (its pods classed
    /// again), and neither the checks of [`CLASS_BLIND`] nor the boundary section re-ran for
    /// them. (A member changed in place with its network identity unchanged keeps them too,
    /// without a re-classing, and is not counted here.)
    pub classes_kept: bool,
    /// Some checks of [`IDENTITY_ONLY`] were not re-run: the pod-running objects changed kept
    /// their service account.
    pub identity_kept: bool,
}

/// Where an object stands in the inventory: what object-local results about it depend on
/// besides the object itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Role {
    scope: Scope,
    top_owner: bool,
}

fn roles(inv: &Inventory) -> Vec<Role> {
    (0..inv.objects.len()).map(|i| role(inv, i)).collect()
}

fn role(inv: &Inventory, i: usize) -> Role {
    Role { scope: crate::context::scope_of(inv, i), top_owner: inv.workload_of(i).is_some_and(|w| w.object == i) }
}

/// What an update of the inventory without a rebuild did ([`Incremental::without_rebuild`]).
struct Stable {
    /// Indices of the objects added last.
    added: Vec<usize>,
    /// The index the deleted last object had.
    removed: Option<usize>,
    /// A namespace appeared or vanished with them.
    namespaces_changed: bool,
}

/// A namespace as object-local results see it, with the objects it points at.
#[derive(Clone, Debug, PartialEq, Eq)]
struct NamespaceState {
    labels: BTreeMap<String, String>,
    scope: Scope,
    reason: String,
    object: Option<usize>,
    reported_at: usize,
}

fn namespace_states(inv: &Inventory) -> BTreeMap<String, NamespaceState> {
    inv.namespaces()
        .map(|n| (n.name.clone(), NamespaceState { labels: n.labels.clone(), scope: n.scope.scope, reason: n.scope.reason.clone(), object: n.object, reported_at: n.reported_at }))
        .collect()
}

/// An input kept between assessments.
pub struct Incremental {
    inventory: Inventory,
    setting: Setting,
    checks: Vec<&'static Check>,
    /// Each check's results, in `checks` order.
    runs: Vec<CheckRun>,
    boundary: Vec<BoundaryFlow>,
    analyses: SharedAnalyses,
    roles: Vec<Role>,
    has_cde: bool,
    /// What the findings became since [`Incremental::take_delta`] was last called.
    pending: Pending,
}

/// How the findings changed in one [`Incremental::apply`]: the findings no longer given and
/// the findings newly given (a finding given before and after, equal in every field, is in
/// neither). A multiset difference: the kept findings minus `removed` plus `added` are the
/// findings of a whole assessment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FindingsDelta {
    pub removed: Vec<Finding>,
    pub added: Vec<Finding>,
}

impl FindingsDelta {
    pub fn is_empty(&self) -> bool {
        self.removed.is_empty() && self.added.is_empty()
    }

    /// Add one check's change from `old` to `new` results, without the findings both give.
    fn push<'a>(&mut self, old: impl IntoIterator<Item = &'a Finding>, new: impl IntoIterator<Item = &'a Finding>) {
        let mut old: Vec<&Finding> = old.into_iter().collect();
        let mut new: Vec<&Finding> = new.into_iter().collect();
        if old == new {
            return;
        }
        old.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        new.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        let (mut i, mut j) = (0, 0);
        while i < old.len() && j < new.len() {
            match old[i].sort_key().cmp(&new[j].sort_key()) {
                std::cmp::Ordering::Less => {
                    self.removed.push(old[i].clone());
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    self.added.push(new[j].clone());
                    j += 1;
                }
                std::cmp::Ordering::Equal => {
                    // Findings of one sort key on both sides: pair the equal ones.
                    let (i_end, j_end) = (i + old[i..].iter().take_while(|f| f.sort_key() == old[i].sort_key()).count(), j + new[j..].iter().take_while(|f| f.sort_key() == new[j].sort_key()).count());
                    let mut unmatched: Vec<&Finding> = new[j..j_end].to_vec();
                    for &f in &old[i..i_end] {
                        match unmatched.iter().position(|n| *n == f) {
                            Some(at) => {
                                unmatched.remove(at);
                            }
                            None => self.removed.push(f.clone()),
                        }
                    }
                    self.added.extend(unmatched.into_iter().cloned());
                    (i, j) = (i_end, j_end);
                }
            }
        }
        self.removed.extend(old[i..].iter().map(|f| (*f).clone()));
        self.added.extend(new[j..].iter().map(|f| (*f).clone()));
    }
}

/// The findings' change since the caller last took it.
#[derive(Debug)]
enum Pending {
    /// Taken: the next apply's delta is the whole change.
    Taken,
    Delta(FindingsDelta),
    /// Re-evaluated whole, or more than one apply since the delta was last taken.
    Whole,
}

impl Pending {
    /// Note an apply's delta (a second one before the first was taken makes it whole).
    fn note(&mut self, delta: FindingsDelta) {
        *self = match self {
            Pending::Taken => Pending::Delta(delta),
            Pending::Delta(_) | Pending::Whole => Pending::Whole,
        };
    }
}

impl Incremental {
    /// Assess `objects` whole (every registered check, the boundary section) and keep it all.
    pub fn new(objects: Vec<Object>, config: Config, setting: Setting) -> Incremental {
        let inventory = Inventory::build(objects, config);
        let mut inc = Incremental { inventory, setting, checks: crate::registry(), runs: Vec::new(), boundary: Vec::new(), analyses: SharedAnalyses::default(), roles: Vec::new(), has_cde: false, pending: Pending::Whole };
        inc.evaluate_all();
        inc
    }

    /// Re-evaluate everything at another instant (the date changed, or the hourly refresh of
    /// checks judging ages).
    pub fn reevaluate(&mut self, now: i64, run: RunOptions) {
        self.setting.now = now;
        self.setting.run = run;
        self.analyses = SharedAnalyses::default();
        self.evaluate_all();
    }

    pub fn inventory(&self) -> &Inventory {
        &self.inventory
    }

    pub fn setting(&self) -> &Setting {
        &self.setting
    }

    /// The current assessment, as [`crate::assess`] gives it for the current objects.
    pub fn assessment(&self) -> Assessment {
        let mut assessment = Assessment::from_runs(self.runs.iter().cloned());
        assessment.boundary = self.boundary.clone();
        assessment
    }

    /// Run `f` with a context on the current input and the kept analyses (for the report
    /// assembly, which reads the RBAC model).
    pub fn with_context<R>(&mut self, f: impl FnOnce(&Context) -> R) -> R {
        let analyses = std::mem::take(&mut self.analyses);
        let cx = context(&self.inventory, &self.setting, analyses);
        let out = f(&cx);
        self.analyses = cx.into_analyses();
        out
    }

    /// How the findings changed since this was last called: `None` when they were assessed
    /// whole since then (the start, a re-evaluation, everything re-run, or more than one
    /// [`Incremental::apply`]), so the caller rebuilds what it derives from them.
    pub fn take_delta(&mut self) -> Option<FindingsDelta> {
        match std::mem::replace(&mut self.pending, Pending::Taken) {
            Pending::Delta(d) => Some(d),
            Pending::Taken | Pending::Whole => None,
        }
    }

    /// Each check's results, in check id order (as [`Assessment::summaries`] has them).
    pub fn runs(&self) -> &[CheckRun] {
        &self.runs
    }


    fn evaluate_all(&mut self) {
        self.pending = Pending::Whole;
        let analyses = std::mem::take(&mut self.analyses);
        let cx = context(&self.inventory, &self.setting, analyses);
        if self.setting.run.only.is_empty() {
            cx.prepare();
        }
        let (runs, boundary) = rayon::join(|| run_each(&cx, &self.checks, &self.setting.run, None), || crate::cde_boundary(&cx));
        (self.runs, self.boundary) = (runs, boundary);
        self.has_cde = cx.has_cde();
        self.analyses = cx.into_analyses();
        self.roles = roles(&self.inventory);
    }

    /// Apply a batch of changes (the last change of each object wins) and re-run what they
    /// can affect.
    pub fn apply(&mut self, changes: impl IntoIterator<Item = Change>) -> Applied {
        let mut applied = Applied::default();
        let last: BTreeMap<(String, String, String), Change> = changes.into_iter().map(|c| (c.key(), c)).collect();
        // Kinds of changed, added and deleted objects; changed and added objects (new indices).
        let mut kinds: BTreeSet<String> = BTreeSet::new();
        // Of those, the kinds whose change can move the network analyses (all but pod-running
        // objects replaced in place with the same pod network identity).
        let mut network_kinds: BTreeSet<String> = BTreeSet::new();
        let mut changed: Vec<usize> = Vec::new();
        let mut rebuild_replace: Vec<(usize, Object)> = Vec::new();
        let mut added: Vec<Object> = Vec::new();
        let mut deleted: Vec<usize> = Vec::new();
        // Which kinds changed only through workload members (see [`reads_members`]).
        let mut through = ChangedThrough::default();
        for ((kind, namespace, name), change) in last {
            let at = self.inventory.position(&kind, Some(namespace.as_str()).filter(|n| !n.is_empty()), &name);
            match (change, at) {
                (Change::Apply(object), Some(i)) => {
                    let object = self.inventory.adopt(object);
                    if self.inventory.objects[i] == object {
                        continue;
                    }
                    let network = pod_network(&object);
                    match self.inventory.replace_in_place(i, object) {
                        Ok(old) => {
                            changed.push(i);
                            through.note(&self.inventory, i, &kind);
                            through.replaced(&self.inventory, i, &kind, &old);
                            if network.is_none() || pod_network(&old) != network {
                                network_kinds.insert(kind.clone());
                            }
                        }
                        Err(object) => {
                            through.owners.insert(kind.clone());
                            through.other.insert(kind.clone());
                            rebuild_replace.push((i, object));
                            network_kinds.insert(kind.clone());
                        }
                    }
                    kinds.insert(kind);
                }
                (Change::Apply(object), None) => {
                    through.other.insert(kind.clone());
                    network_kinds.insert(kind.clone());
                    kinds.insert(kind);
                    added.push(self.inventory.adopt(object));
                }
                (Change::Delete { .. }, Some(i)) => {
                    through.note(&self.inventory, i, &kind);
                    through.other.insert(kind.clone());
                    network_kinds.insert(kind.clone());
                    kinds.insert(kind);
                    deleted.push(i);
                }
                (Change::Delete { .. }, None) => {}
            }
        }
        let mut delta = FindingsDelta::default();
        if kinds.is_empty() {
            self.pending.note(delta);
            return applied;
        }
        // The kinds the changes named; those the inventory update adds (re-scoped objects, a
        // namespace that appeared) changed otherwise than in place.
        let named_kinds = kinds.clone();
        let mut focus: Vec<usize> = changed;
        let mut remap: Option<Vec<Option<u32>>> = None;
        let structural = !(rebuild_replace.is_empty() && added.is_empty() && deleted.is_empty());
        let stable = if structural && rebuild_replace.is_empty() { self.without_rebuild(added, &deleted) } else { Err(added) };
        // The index the deleted last object had: its results go, nothing else moves.
        let mut removed_last: Option<usize> = None;
        match stable {
            Ok(stable) => {
                for &at in &stable.added {
                    let kind = self.inventory.objects[at].kind().to_string();
                    through.note(&self.inventory, at, &kind);
                }
                focus.extend(stable.added);
                removed_last = stable.removed;
                if stable.namespaces_changed {
                    kinds.insert("Namespace".to_string());
                    network_kinds.insert("Namespace".to_string());
                }
            }
            Err(added) if structural => {
                // Objects added in a rebuild count as changed beyond members, and so do the
                // objects whose role or namespace the rebuild finds changed (their kinds).
                through.owners.extend(added.iter().map(|o| o.kind().to_string()));
                let before = kinds.clone();
                self.rebuild(added, rebuild_replace, deleted, &mut focus, &mut remap, &mut kinds, &mut network_kinds, &mut delta, &mut applied);
                through.owners.extend(kinds.difference(&before).cloned());
            }
            Err(_) => {}
        }
        if let Some(gone) = removed_last {
            let gone = gone as u32;
            for run in &mut self.runs {
                run.findings.retain(|(i, f)| {
                    let keep = *i != Some(gone);
                    if !keep {
                        delta.removed.push(f.clone());
                    }
                    keep
                });
                run.passes.retain(|&i| i != gone);
                run.recount();
            }
        }
        let focus = Focus::new(focus);
        applied.focus = focus.len();

        let mut analyses = std::mem::take(&mut self.analyses);
        // The removed last object's card numbers go with it (it is past the end now).
        let changed_objects: Vec<usize> = focus.indices().chain(removed_last).collect();
        // A member deleted before others is a rebuild too: the kept results follow the indices
        // that moved, and every shared analysis is rebuilt (they hold indices).
        let members_only: BTreeSet<String> = through.members.difference(&through.owners).cloned().collect();
        // What the analyses that read top owners only see changed; those reading members
        // (the vulnerability view; the network analyses follow `network_kinds`) are redone.
        let beyond_members: BTreeSet<String> = kinds.difference(&members_only).cloned().collect();
        through.other.extend(kinds.difference(&named_kinds).cloned());
        // Member changes that create, empty or move no pod class keep the reachability (the
        // workloads' pods classed again) and change nothing the network analyses give.
        let member_network: BTreeSet<String> = network_kinds.intersection(&members_only).cloned().collect();
        applied.classes_kept = remap.is_none() && !member_network.is_empty() && analyses.members_reclassed(&self.inventory, &through.member_workloads);
        if applied.classes_kept {
            network_kinds.retain(|k| !member_network.contains(k));
        }
        // What a check reading members only through the pod classes sees changed (see
        // [`CLASS_BLIND`]): not the kinds changed only through members without a network change.
        let beyond_classes: BTreeSet<String> = kinds.iter().filter(|k| !members_only.contains(*k) || network_kinds.contains(*k)).cloned().collect();
        // Every change in place (no object added, deleted or moved): the per-workload analyses
        // are redone for the replaced top owners' workloads instead of rebuilt.
        let in_place = !structural;
        let analysis_kinds: BTreeSet<String> = beyond_members.iter().filter(|k| !(in_place && crate::WORKLOAD_KINDS.contains(&k.as_str()))).cloned().collect();
        analyses.update(&analysis_kinds, &network_kinds, remap.as_deref(), &changed_objects, &self.inventory.objects);
        if in_place {
            analyses.templates_changed(&through.replaced_workloads);
        }
        if !members_only.is_empty() {
            // After a rebuild the workloads moved: `update` has reset the analyses already.
            analyses.members_changed(&through.member_workloads);
        }
        applied.members_only = !members_only.is_empty();
        let identity_kept: BTreeSet<String> = through.identity_kept.difference(&through.other).cloned().collect();
        self.rerun(analyses, &kinds, &beyond_members, &beyond_classes, &identity_kept, &network_kinds, &focus, delta, applied)
    }

    /// Objects added last, or the last object deleted, without a rebuild: when nothing is
    /// replaced, each added object can be pushed ([`Inventory::push_object`]) or the one
    /// deleted object is the last and can be removed ([`Inventory::remove_last`]), so that
    /// no other object's index, owner link or scope moves. `Err(added)`, nothing changed,
    /// when the inventory must be rebuilt.
    fn without_rebuild(&mut self, added: Vec<Object>, deleted: &[usize]) -> Result<Stable, Vec<Object>> {
        let len = self.inventory.objects.len();
        let namespaces = self.inventory.namespaces().count();
        if deleted.is_empty() {
            for (n, object) in added.iter().enumerate() {
                if self.inventory.push_object(object.clone()).is_err() {
                    self.undo_pushes(len);
                    return Err(added);
                }
                self.roles.push(role(&self.inventory, len + n));
            }
            return Ok(Stable { added: (len..self.inventory.objects.len()).collect(), removed: None, namespaces_changed: self.inventory.namespaces().count() != namespaces });
        }
        if !added.is_empty() || deleted != [len - 1] || self.inventory.remove_last().is_none() {
            return Err(added);
        }
        self.roles.pop();
        Ok(Stable { added: Vec::new(), removed: Some(len - 1), namespaces_changed: self.inventory.namespaces().count() != namespaces })
    }

    /// Take the objects pushed after the first `len` away again.
    fn undo_pushes(&mut self, len: usize) {
        while self.inventory.objects.len() > len {
            if self.inventory.pop_object().is_none() {
                // Not expected (each pop undoes the last push); rebuilt to stay exact.
                let (mut objects, config) = std::mem::replace(&mut self.inventory, Inventory::build(Vec::new(), Config::default())).into_parts();
                objects.truncate(len);
                self.inventory = Inventory::build(objects, config);
            }
        }
        self.roles.truncate(len);
    }

    /// Rebuild the inventory with `replace`d objects, without the `deleted` ones and with the
    /// `added` ones last; the kept results follow the indices that moved (`remap`), and the
    /// objects whose role or namespace changed join the focus.
    #[allow(clippy::too_many_arguments)]
    fn rebuild(
        &mut self,
        added: Vec<Object>,
        rebuild_replace: Vec<(usize, Object)>,
        mut deleted: Vec<usize>,
        focus: &mut Vec<usize>,
        remap: &mut Option<Vec<Option<u32>>>,
        kinds: &mut BTreeSet<String>,
        network_kinds: &mut BTreeSet<String>,
        delta: &mut FindingsDelta,
        applied: &mut Applied,
    ) {
        applied.rebuilt = true;
        let old_namespaces = namespace_states(&self.inventory);
        let (mut objects, config) = std::mem::replace(&mut self.inventory, Inventory::build(Vec::new(), Config::default())).into_parts();
        for (i, object) in rebuild_replace {
            objects[i] = object;
            focus.push(i);
        }
        // Old index → new index (`None`: deleted), and the objects without the deleted.
        deleted.sort_unstable();
        let old_len = objects.len();
        if !deleted.is_empty() {
            let mut map = Vec::with_capacity(old_len);
            let mut next = 0u32;
            for i in 0..old_len {
                if deleted.binary_search(&i).is_ok() {
                    map.push(None);
                } else {
                    map.push(Some(next));
                    next += 1;
                }
            }
            let mut i = 0;
            objects.retain(|_| {
                let keep = map[i].is_some();
                i += 1;
                keep
            });
            *focus = focus.iter().filter_map(|&f| map[f].map(|n| n as usize)).collect();
            *remap = Some(map);
        }
        let kept_len = objects.len();
        objects.extend(added);
        focus.extend(kept_len..objects.len());
        self.inventory = Inventory::build(objects, config);
        // Objects whose scope or top-owner role changed, and the namespaces that changed.
        let new_roles = roles(&self.inventory);
        let mut new_to_old: Vec<Option<usize>> = vec![None; new_roles.len()];
        match &remap {
            None => (0..old_len.min(new_roles.len())).for_each(|i| new_to_old[i] = Some(i)),
            Some(map) => map.iter().enumerate().for_each(|(old, new)| {
                if let Some(new) = new {
                    new_to_old[*new as usize] = Some(old);
                }
            }),
        }
        for (new, role) in new_roles.iter().enumerate() {
            if new_to_old[new].is_some_and(|old| self.roles[old] != *role) {
                focus.push(new);
                kinds.insert(self.inventory.objects[new].kind().to_string());
                network_kinds.insert(self.inventory.objects[new].kind().to_string());
            }
        }
        let moved = |i: usize| remap.as_ref().map_or(Some(i), |m| m.get(i).copied().flatten().map(|n| n as usize));
        let new_namespaces = namespace_states(&self.inventory);
        let mut namespaces_changed: BTreeSet<&str> = BTreeSet::new();
        for name in old_namespaces.keys().chain(new_namespaces.keys()) {
            let before = old_namespaces.get(name).map(|s| NamespaceState { object: s.object.and_then(moved), reported_at: moved(s.reported_at).unwrap_or(usize::MAX), ..s.clone() });
            if before.as_ref() != new_namespaces.get(name) {
                namespaces_changed.insert(name);
            }
        }
        if !namespaces_changed.is_empty() {
            kinds.insert("Namespace".to_string());
            network_kinds.insert("Namespace".to_string());
            for (i, o) in self.inventory.objects.iter().enumerate() {
                let own = if o.kind() == "Namespace" { Some(o.name()) } else { o.namespace() };
                if own.is_some_and(|ns| namespaces_changed.contains(ns)) {
                    focus.push(i);
                }
            }
        }
        self.roles = new_roles;
        if let Some(map) = remap {
            for run in &mut self.runs {
                run.findings.retain_mut(|(i, f)| match i {
                    Some(old) => match map[*old as usize] {
                        Some(new) => {
                            *old = new;
                            true
                        }
                        None => {
                            delta.removed.push(f.clone());
                            false
                        }
                    },
                    None => true,
                });
                run.passes.retain_mut(|i| match map[*i as usize] {
                    Some(new) => {
                        *i = new;
                        true
                    }
                    None => false,
                });
                run.recount();
            }
        }
    }

    /// Re-run what the changes can affect, on the updated inventory and the kept `analyses`.
    /// `beyond_members`: `kinds` without those changed only through workload members, what a
    /// check that does not [`reads_members`] sees changed; `beyond_classes`: `kinds` without
    /// those changed only through members and no pod class, what a check of [`CLASS_BLIND`]
    /// sees changed. `identity_kept`: the kinds changed only by pod-running objects replaced
    /// in place with the same service account, which the checks of [`IDENTITY_ONLY`] do not
    /// see changed.
    #[allow(clippy::too_many_arguments)]
    fn rerun(
        &mut self,
        analyses: SharedAnalyses,
        kinds: &BTreeSet<String>,
        beyond_members: &BTreeSet<String>,
        beyond_classes: &BTreeSet<String>,
        identity_kept: &BTreeSet<String>,
        network_kinds: &BTreeSet<String>,
        focus: &Focus,
        mut delta: FindingsDelta,
        applied: Applied,
    ) -> Applied {
        let mut applied = applied;
        let cx = context(&self.inventory, &self.setting, analyses);
        if cx.has_cde() != self.has_cde {
            self.analyses = cx.into_analyses();
            self.evaluate_all();
            return Applied { everything: true, ..applied };
        }
        let focus_kinds: BTreeSet<&str> = focus.indices().map(|i| self.inventory.objects[i].kind()).collect();
        let mut local: Vec<usize> = Vec::new();
        let mut whole: Vec<usize> = Vec::new();
        for (at, check) in self.checks.iter().enumerate() {
            if check.meta.locality == Locality::Object {
                if focus_kinds.iter().any(|k| check.meta.reads_kind(k)) {
                    local.push(at);
                }
            } else {
                let seen = seen_changed(check, kinds, beyond_classes, beyond_members);
                let identity_only = reads_identity_only(check);
                if seen.iter().any(|k| check.meta.reads_kind(k) && !(identity_only && identity_kept.contains(k))) {
                    whole.push(at);
                } else if identity_only && seen.iter().any(|k| check.meta.reads_kind(k)) {
                    applied.identity_kept = true;
                }
            }
        }
        let boundary = network_kinds.iter().any(|k| crate::reads_kind(REACHABILITY_READS, k) || crate::reads_kind(INGRESS_PATH_READS, k));
        let pick = |at: &[usize]| at.iter().map(|&i| self.checks[i]).collect::<Vec<_>>();
        let (local_checks, whole_checks) = (pick(&local), pick(&whole));
        let opts = &self.setting.run;
        let ((focused, rerun), new_boundary) = rayon::join(
            || rayon::join(|| run_each(&cx, &local_checks, opts, Some(focus)), || run_each(&cx, &whole_checks, opts, None)),
            || boundary.then(|| crate::cde_boundary(&cx)),
        );
        for (at, run) in local.iter().zip(focused) {
            let old = self.runs[*at].findings.iter().filter(|(i, _)| i.is_some_and(|i| focus.contains(i as usize))).map(|(_, f)| f);
            delta.push(old, run.findings.iter().map(|(_, f)| f));
            self.runs[*at].splice(focus, run);
        }
        for (at, run) in whole.iter().zip(rerun) {
            delta.push(self.runs[*at].findings.iter().map(|(_, f)| f), run.findings.iter().map(|(_, f)| f));
            self.runs[*at] = run;
        }
        self.pending.note(delta);
        if let Some(b) = new_boundary {
            self.boundary = b;
        }
        self.analyses = cx.into_analyses();
        Applied { focused_checks: local.len(), whole_checks: whole.len(), boundary, ..applied }
    }
}

/// The kinds a batch changed, split by how: only through workload members (Pods and
/// intermediate controllers under a top owner), or through any other object; and the
/// workloads (indices into `inv.workloads()`) whose members changed.
#[derive(Default)]
struct ChangedThrough {
    members: BTreeSet<String>,
    owners: BTreeSet<String>,
    member_workloads: Vec<usize>,
    /// Kinds of pod-running objects replaced in place with the same [`pod_identity`].
    identity_kept: BTreeSet<String>,
    /// Kinds changed in any other way (added, deleted, re-indexed, re-scoped, or replaced
    /// with another identity or without a pod template).
    other: BTreeSet<String>,
    /// The workloads (indices into `inv.workloads()`) whose top owner was replaced in place.
    replaced_workloads: Vec<usize>,
}

impl ChangedThrough {
    /// The object at `index`, of `kind`, changed.
    fn note(&mut self, inv: &Inventory, index: usize, kind: &str) {
        if is_member(inv, index) { &mut self.members } else { &mut self.owners }.insert(kind.to_string());
        self.member_workloads.extend(member_workload(inv, index));
    }

    /// The object at `index`, of `kind`, was replaced in place; `old` is what it was.
    fn replaced(&mut self, inv: &Inventory, index: usize, kind: &str, old: &Object) {
        let identity = pod_identity(&inv.objects[index]);
        if identity.is_some() && identity == pod_identity(old) { &mut self.identity_kept } else { &mut self.other }.insert(kind.to_string());
        if let Some(w) = inv.workload_of(index).filter(|w| w.object == index) {
            self.replaced_workloads.extend(crate::analyses::vulns::workload_index(inv.workloads(), w));
        }
    }
}

/// Whether the object at `index` is a workload *member*: a pod-running object (a Pod, an
/// intermediate controller such as a ReplicaSet) that runs under another object, its
/// workload's top owner.
fn is_member(inv: &Inventory, index: usize) -> bool {
    inv.workload_of(index).is_some_and(|w| w.object != index)
}

/// The index (into `inv.workloads()`) of the workload the object at `index` is a member of.
fn member_workload(inv: &Inventory, index: usize) -> Option<usize> {
    let w = inv.workload_of(index).filter(|w| w.object != index)?;
    crate::analyses::vulns::workload_index(inv.workloads(), w)
}

/// Checks that are not object-local and read workloads, whose results depend on each
/// workload's top owner (its pod template, its scope) and never on its members: no Pod or
/// intermediate controller under another object is looked at, directly or through a shared
/// analysis that looks at them (reachability, which classes each Pod by its own labels; the
/// vulnerability view, which reads running Pods' images; the anti-malware and detection agents'
/// nodes; the control plane's static Pods; a walk over every object). A change confined to
/// members does not re-run them. Held to that by `tests/incremental.rs`, which gives the demo
/// the members a live cluster has (ReplicaSets, Jobs and Pods, some on another image or with
/// another label) and compares every listed check's results with and without each of them.
/// A check missing here is re-run on every member change (slower, never wrong).
pub const MEMBER_BLIND: &[&str] = &[
    "CHG-003", "EXP-001", "EXP-004", "EXP-005", "EXP-006", "EXP-007", "EXP-008", "EXP-009", "IMG-005", "IR-001", "NET-004", "NET-008", "NET-009", "NET-010", "POD-023", "RBAC-001", "RBAC-003",
    "RBAC-004", "RBAC-005", "RBAC-006", "RBAC-007", "RBAC-008", "RBAC-009", "RBAC-010", "RBAC-011", "RBAC-013", "RBAC-014", "SA-001", "SA-004", "SCOPE-002", "STO-001", "TLS-003", "TLS-004",
];

/// Checks that are not object-local and read workloads only for their identity to RBAC: the
/// namespace, the scope and the service account a pod-running object runs as (its
/// `serviceAccountName`, `serviceAccount` and `automountServiceAccountToken`, see
/// [`pod_identity`]), never its containers or anything else of its pod template. A pod-running
/// object replaced in place with the same identity (an image edit) does not re-run them.
/// Held to that by `tests/incremental.rs`, which compares every listed check's results on the
/// demo (with the members a live cluster has) with its results when every pod template is cut
/// down to its identity and one placeholder container. A check missing here is re-run on
/// every workload edit (slower, never wrong).
/// Listed after reading each one: the RBAC checks read workloads through `RbacView` (the
/// namespaces of CDE workloads) and the escalation graph (each workload's service account and
/// token mount); SA-001 and SA-004 read the service account and its token mount.
pub const IDENTITY_ONLY: &[&str] =
    &["RBAC-001", "RBAC-003", "RBAC-004", "RBAC-005", "RBAC-006", "RBAC-007", "RBAC-008", "RBAC-009", "RBAC-010", "RBAC-011", "RBAC-013", "RBAC-014", "SA-001", "SA-004"];

/// Whether `check` reads workloads only for their identity (see [`IDENTITY_ONLY`]).
pub fn reads_identity_only(check: &Check) -> bool {
    IDENTITY_ONLY.contains(&check.meta.id)
}

/// What a pod-running object is to RBAC besides its namespace and scope: the service account
/// its pods run as, as written (`serviceAccountName`, the deprecated `serviceAccount`), and
/// whether its token is mounted (`automountServiceAccountToken`). `None` for an object
/// without a pod template.
pub fn pod_identity(o: &Object) -> Option<(Option<&str>, Option<&str>, Option<bool>)> {
    let t = o.pod_template()?;
    Some((t.spec.service_account_name.as_deref(), t.spec.service_account.as_deref(), t.spec.automount_service_account_token))
}

/// Whether `check`'s results can depend on workload members (see [`MEMBER_BLIND`]).
pub fn reads_members(check: &Check) -> bool {
    !MEMBER_BLIND.contains(&check.meta.id)
}

/// Checks that read workload members only through the reachability, which sees a member only
/// as its pod class (its namespace, labels, named ports, host networking) and names no pod in
/// what they read (workloads' classes and cells, never `pod_connections`). A member change
/// that creates, empties or moves no class between workloads keeps the reachability exactly
/// ([`kubepci_netpol::Reachability::refresh_members`]) and does not re-run them, nor the
/// boundary section. Held to that by `tests/incremental.rs` (their results with the demo's
/// members of existing classes equal those without; with a recorder, no other read of members).
pub const CLASS_BLIND: &[&str] = &["NET-001", "NET-002", "NET-005", "NET-006", "NET-007", "NET-013", "NET-014"];

/// The kinds `check` sees changed: all of them (`kinds`) when it reads members otherwise than
/// through pod classes, `beyond_classes` when it reads them only through those
/// ([`CLASS_BLIND`]), `beyond_members` when it reads none ([`MEMBER_BLIND`]).
fn seen_changed<'k>(check: &Check, kinds: &'k BTreeSet<String>, beyond_classes: &'k BTreeSet<String>, beyond_members: &'k BTreeSet<String>) -> &'k BTreeSet<String> {
    if !reads_members(check) {
        beyond_members
    } else if CLASS_BLIND.contains(&check.meta.id) {
        beyond_classes
    } else {
        kinds
    }
}

/// A named container port: name, protocol, number.
type NamedPort = (String, Option<String>, i32);

/// What tells pods apart to NetworkPolicies besides their labels and namespace (see
/// `kubepci_netpol`'s pod classes): named container ports and host networking. `None` for
/// an object without a pod template.
fn pod_network(o: &Object) -> Option<(Vec<NamedPort>, bool)> {
    let t = o.pod_template()?;
    let mut ports: Vec<NamedPort> =
        t.spec.containers.iter().flat_map(|c| c.ports.iter().flatten()).filter_map(|p| Some((p.name.clone().filter(|n| !n.is_empty())?, p.protocol.clone(), p.container_port))).collect();
    ports.sort_unstable();
    Some((ports, t.spec.host_network == Some(true)))
}

fn context<'a>(inventory: &'a Inventory, setting: &Setting, analyses: SharedAnalyses) -> Context<'a> {
    Context::new(inventory, setting.input).with_unlisted(setting.unlisted.clone()).with_vulns(setting.vulns.clone()).at(setting.now).with_analyses(analyses)
}
