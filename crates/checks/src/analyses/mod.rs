//! Analyses several checks share, below the rules: each is computed at most once per
//! assessment, on first use or side by side in [`Context::prepare`], and read through the
//! [`Context`] accessors here (`pss_restricted`, `reachability`, `net_index`, `rbac_model`,
//! `card_numbers` and `sensitive_auth_data` (found in one walk), `cde_network_policies`).
//! Each accessor notes the kinds its analysis reads, so the `reads` test sees them. The
//! boundary section of the report reads them too.

pub mod network;
pub mod vulns;

use std::sync::OnceLock;

use kubepci_inventory::Scope;
use kubepci_pss::{Evaluation, Version};
use rayon::prelude::*;

use crate::Context;
use crate::rules::data::sad_in_objects::{Sad, SadFinder};
use crate::profile::timed;
use network::{CDE_POLICY_READS, NetIndex, REACHABILITY_READS};

/// Kinds the RBAC model is built from (`kubepci_rbac::Model::build`).
const RBAC_MODEL_READS: &[&str] = &["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ServiceAccount"];

/// The shared analyses of one context, each computed at most once. Owned (they borrow nothing
/// from the inventory), so that a caller about to exit can leave them unfreed
/// ([`Context::into_analyses`]).
#[derive(Default)]
pub struct SharedAnalyses {
    /// Per workload: the baseline and the restricted evaluations.
    pss: OnceLock<(Vec<Evaluation>, Vec<Evaluation>)>,
    reachability: OnceLock<kubepci_netpol::Reachability>,
    net_index: OnceLock<NetIndex>,
    rbac_model: OnceLock<kubepci_rbac::Model>,
    /// The card numbers and the sensitive authentication data, found in one walk.
    card_data: OnceLock<CardData>,
    cde_network_policies: OnceLock<Vec<(usize, kubepci_netpol::policy::Policy)>>,
    vulns: OnceLock<vulns::VulnView>,
    /// The vulnerability view kept across changes of the members of these workloads (indices
    /// into `inv.workloads()`), brought up to date when next asked for ([`vulns::refresh`]).
    vulns_kept: std::sync::Mutex<Option<(vulns::VulnView, Vec<usize>)>>,
}

impl SharedAnalyses {
    /// Keep what an input change leaves exact, for the next context on the changed inventory
    /// ([`Context::with_analyses`]): forget every analysis built from a kind in `changed`
    /// (a kind name; see [`crate::CheckMeta::reads_kind`] for the groups), the network ones
    /// (reachability, CDE policies) from a kind in `network_changed`, and all of them when
    /// objects moved (`remap`: old index → new index, `None` when deleted). The card numbers
    /// are per object: those of `changed_objects` (new indices, ascending) are searched again, the others
    /// kept.
    pub fn update(&mut self, changed: &std::collections::BTreeSet<String>, network_changed: &std::collections::BTreeSet<String>, remap: Option<&[Option<u32>]>, changed_objects: &[usize], objects: &[kubepci_model::Object]) {
        let touches = |reads: &[&str]| changed.iter().any(|k| crate::reads_kind(reads, k));
        let moved = remap.is_some();
        let workloads_changed = touches(&[crate::WORKLOADS]);
        if moved || workloads_changed {
            self.pss = OnceLock::new();
        }
        let network_touches = |reads: &[&str]| network_changed.iter().any(|k| crate::reads_kind(reads, k));
        if moved || network_touches(network::REACHABILITY_READS) {
            self.reachability = OnceLock::new();
            self.net_index = OnceLock::new();
        }
        if moved || touches(RBAC_MODEL_READS) {
            self.rbac_model = OnceLock::new();
        }
        if moved || network_touches(CDE_POLICY_READS) {
            self.cde_network_policies = OnceLock::new();
        }
        if moved || workloads_changed || touches(vulns::REPORT_KINDS) {
            self.vulns = OnceLock::new();
            self.vulns_kept = Default::default();
        }
        if let Some(mut data) = self.card_data.take() {
            keep_unchanged(&mut data.numbers, |c| &mut c.object, remap, changed_objects);
            keep_unchanged(&mut data.sad, |c| &mut c.object, remap, changed_objects);
            for &object in changed_objects {
                if let Some(o) = objects.get(object) {
                    data.push(object, card_data_of(o));
                }
            }
            data.numbers.sort_by_key(|c| c.object);
            data.sad.sort_by_key(|c| c.object);
            _ = self.card_data.set(data);
        }
    }
}

/// Per-object records after a change: moved to the objects' new indices (`remap`, dropped when
/// deleted), and dropped for `changed_objects` (new indices, ascending), which are searched again.
fn keep_unchanged<T>(records: &mut Vec<T>, object: impl Fn(&mut T) -> &mut usize, remap: Option<&[Option<u32>]>, changed_objects: &[usize]) {
    records.retain_mut(|r| {
        let at = object(r);
        if let Some(remap) = remap {
            match remap.get(*at).copied().flatten() {
                Some(new) => *at = new as usize,
                None => return false,
            }
        }
        changed_objects.binary_search(at).is_err()
    });
}

impl SharedAnalyses {
    /// Bring the analyses that read workload members (Pods and intermediate controllers under a
    /// top owner) up to date when only the members of the `workloads` changed (indices into
    /// `inv.workloads()`, unmoved) and [`Self::update`] was told of the other kinds: the
    /// vulnerability view (running Pods' images) is kept and redone for those workloads when
    /// next asked for. The network analyses follow the kinds `update` is told changed their
    /// pods' network identity.
    pub(crate) fn members_changed(&mut self, workloads: &[usize]) {
        let kept = self.vulns_kept.get_mut().map(Option::take).unwrap_or_default();
        self.vulns_kept = Default::default();
        let (view, mut changed) = match (self.vulns.take(), kept) {
            (Some(view), _) => (view, Vec::new()),
            (None, Some(kept)) => kept,
            (None, None) => return,
        };
        changed.extend_from_slice(workloads);
        changed.sort_unstable();
        changed.dedup();
        self.vulns_kept = std::sync::Mutex::new(Some((view, changed)));
    }

    /// Keep the reachability (and the index beside it) across a change of the members of the
    /// `workloads` (indices into `inv.workloads()`, unmoved; members added last or the last
    /// object removed) when it creates, empties or moves no pod class: the workloads' pods are
    /// classed again among the existing classes ([`kubepci_netpol::Reachability::refresh_members`]).
    /// `false` when that cannot be told (the reachability was not computed) or a class relation
    /// changed: the caller then tells [`Self::update`] that the network changed.
    pub(crate) fn members_reclassed(&mut self, inv: &kubepci_inventory::Inventory, workloads: &[usize]) -> bool {
        let Some(r) = self.reachability.get_mut() else { return false };
        if !r.refresh_members(inv, workloads) {
            return false;
        }
        if let Some(index) = self.net_index.get_mut() {
            index.fit(inv.objects.len());
        }
        true
    }

    /// Bring the per-workload analyses up to date when the top owners of the `workloads`
    /// (indices into `inv.workloads()`, unmoved) were replaced in place and [`Self::update`]
    /// was told of no workload kind: the vulnerability view is kept and redone for those
    /// workloads when next asked for (each workload's containers come from its own pod
    /// template or its own Pods). The Pod Security evaluations are forgotten (a focused run
    /// evaluates its workloads itself; a whole run builds them again).
    pub(crate) fn templates_changed(&mut self, workloads: &[usize]) {
        if workloads.is_empty() {
            return;
        }
        self.pss = OnceLock::new();
        self.members_changed(workloads);
    }

    /// Forget what a focused context ([`Context::with_focus`]) computes for its focus alone
    /// (the Pod Security evaluations, the card numbers): what is left holds whatever the
    /// focus, for a context on the same objects.
    pub fn forget_focused(&mut self) {
        self.pss = OnceLock::new();
        self.card_data = OnceLock::new();
    }
}

/// The card numbers found in one object's text fields, masked (first six, last four at most).
#[derive(Debug)]
pub struct CardNumbers {
    pub object: usize,
    /// (public test card number?, evidence naming the field), in field order.
    pub found: Vec<(bool, kubepci_findings::Evidence)>,
}

/// The sensitive authentication data (DATA-003) found in one object's text fields.
#[derive(Debug)]
pub(crate) struct SadFound {
    pub object: usize,
    /// (field path, what it holds), in field order.
    pub found: Vec<(String, Sad)>,
}

/// What the one walk over every object's text fields found: the objects with at least one card
/// number, and those with sensitive authentication data, each list ascending.
#[derive(Debug, Default)]
struct CardData {
    numbers: Vec<CardNumbers>,
    sad: Vec<SadFound>,
}

impl CardData {
    fn push(&mut self, object: usize, (numbers, sad): ObjectCardData) {
        if !numbers.is_empty() {
            self.numbers.push(CardNumbers { object, found: numbers });
        }
        if !sad.is_empty() {
            self.sad.push(SadFound { object, found: sad });
        }
    }
}

impl<'a> Context<'a> {
    /// Compute every shared analysis side by side, before the checks start (with
    /// `KUBEPCI_PROFILE=1`, each one's time). Left to the checks, the first one to ask
    /// computes it while every other check asking waits, holding a worker thread idle.
    pub fn prepare(&self) {
        rayon::join(
            || timed("analysis reachability", || _ = self.net_index()),
            || {
                rayon::join(
                    || rayon::join(|| timed("analysis rbac model", || _ = self.rbac_model()), || timed("analysis card numbers", || _ = self.card_numbers())),
                    || rayon::join(|| timed("analysis pss", || _ = self.pss_restricted()), || timed("analysis cde policies", || _ = self.cde_network_policies())),
                );
            },
        );
    }

    /// Vulnerability evidence (`--vulns` files and trivy-operator reports in the input)
    /// matched to every workload's containers.
    pub fn vulns(&self) -> &vulns::VulnView {
        self.record_reads(vulns::REPORT_KINDS);
        self.record_reads(&[crate::WORKLOADS]);
        // Running Pods' images.
        self.inv.lookup(crate::MEMBER_LOOKUP);
        self.analyses.vulns.get_or_init(|| {
            let kept = self.analyses.vulns_kept.lock().ok().and_then(|mut k| k.take());
            match kept {
                Some((view, changed)) => timed("analysis vulnerabilities (members changed)", || vulns::refresh(view, self, &changed)),
                None => timed("analysis vulnerabilities", || vulns::build(self, self.vuln_files.clone())),
            }
        })
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
        self.inv.lookup("shared analysis");
        let templates = self.templates();
        let workloads = self.inventory().workloads();
        self.analyses.pss.get_or_init(|| {
            templates
                .par_iter()
                .zip(workloads)
                // Each workload's verdict reads its own evaluation only: a focused context
                // evaluates the focus alone.
                .map(|(t, w)| match t {
                    Some(t) if self.in_focus(Some(w.object)) => kubepci_pss::evaluate_levels(t, Version::latest()),
                    _ => (Evaluation { allowed: true, violations: Vec::new() }, Evaluation { allowed: true, violations: Vec::new() }),
                })
                .unzip()
        })
    }

    /// NetworkPolicy reachability of the whole input, computed once for all network checks.
    /// The checks ask about flows into and out of CDE workloads, so only those rows and
    /// columns are computed up front (any other pair is still answered exactly, on demand).
    pub fn reachability(&self) -> &kubepci_netpol::Reachability {
        self.record_reads(REACHABILITY_READS);
        // Each Pod joins its workload's endpoint by its own labels: by its pod class.
        self.inv.lookup(crate::CLASS_LOOKUP);
        self.analyses.reachability.get_or_init(|| {
            let inv = self.inventory();
            let cde: Vec<usize> = inv.workloads().iter().enumerate().filter(|(_, w)| w.scope.scope == Scope::Cde).map(|(i, _)| i).collect();
            kubepci_netpol::Reachability::compute_focused(inv, kubepci_netpol::Options::default(), &cde)
        })
    }

    /// The mapping from inventory workloads to reachability endpoints and the counts the
    /// network checks group peers by, built once beside the reachability.
    pub fn net_index(&self) -> &NetIndex {
        let r = self.reachability();
        self.analyses.net_index.get_or_init(|| NetIndex::new(self, r))
    }

    /// The NetworkPolicies that concern the CDE, compiled once for the checks that read them.
    pub fn cde_network_policies(&self) -> &[(usize, kubepci_netpol::policy::Policy)] {
        self.record_reads(CDE_POLICY_READS);
        self.analyses.cde_network_policies.get_or_init(|| network::compile_cde_network_policies(self))
    }

    /// The RBAC model of the whole input (roles with aggregation resolved, bindings, indexes),
    /// built once for all RBAC checks.
    pub fn rbac_model(&self) -> &kubepci_rbac::Model {
        self.record_reads(RBAC_MODEL_READS);
        self.analyses.rbac_model.get_or_init(|| kubepci_rbac::Model::build(&self.inventory().objects))
    }

    /// Every object's text fields searched for card numbers once, in parallel, for both card
    /// checks: the objects with at least one, ascending. A walk over every object, as a check
    /// declaring `any` makes.
    pub fn card_numbers(&self) -> &[CardNumbers] {
        &self.card_data().numbers
    }

    /// The sensitive authentication data in every object's text fields (DATA-003): the objects
    /// holding some, ascending. Found by the same walk as [`Context::card_numbers`].
    pub(crate) fn sensitive_auth_data(&self) -> &[SadFound] {
        &self.card_data().sad
    }

    fn card_data(&self) -> &CardData {
        self.inv.lookup("shared analysis");
        // A walk over every object, members too.
        self.inv.lookup(crate::MEMBER_LOOKUP);
        self.analyses.card_data.get_or_init(|| {
            let found: Vec<(usize, ObjectCardData)> = self
                .inventory()
                .objects
                .par_iter()
                .enumerate()
                // Each object's verdict reads its own fields only: a focused context searches
                // the focus alone.
                .filter(|(object, _)| self.in_focus(Some(*object)))
                .map(|(object, o)| (object, card_data_of(o)))
                .filter(|(_, (numbers, sad))| !numbers.is_empty() || !sad.is_empty())
                .collect();
            let mut data = CardData::default();
            for (object, found) in found {
                data.push(object, found);
            }
            data
        })
    }
}

/// One object's card numbers (as [`card_numbers_of`] lists them) and sensitive authentication
/// data (as DATA-003 reports it).
type ObjectCardData = (Vec<(bool, kubepci_findings::Evidence)>, Vec<(String, Sad)>);

/// One object's card numbers and sensitive authentication data, from one walk over its text
/// fields: each field is searched for card numbers once, for both.
fn card_data_of(o: &kubepci_model::Object) -> ObjectCardData {
    let mut numbers = recorded_card_numbers(o);
    let mut sad = SadFinder::default();
    let mut pans = Vec::new();
    crate::support::text_fields::visit_text_fields(o, &mut |bytes, path| {
        pans.clear();
        pans.extend(kubepci_pan::find_pans(bytes));
        numbers.extend(pans.iter().map(|m| (m.is_test, card_evidence(m, path()))));
        sad.field(bytes, path, &pans);
    });
    (numbers, sad.finish())
}

/// One object's card numbers as [`Context::card_numbers`] lists them: a stored (redacted)
/// object's masked card numbers are in its redaction record (the fields themselves no longer
/// hold them), then those still in its text fields.
pub(crate) fn card_numbers_of(o: &kubepci_model::Object) -> Vec<(bool, kubepci_findings::Evidence)> {
    let mut found = recorded_card_numbers(o);
    found.extend(object_card_numbers(o));
    found
}

/// The masked card numbers a stored (redacted) object's redaction record lists.
fn recorded_card_numbers(o: &kubepci_model::Object) -> Vec<(bool, kubepci_findings::Evidence)> {
    crate::redaction::recorded(o).map(|r| r.card_numbers.into_iter().map(|c| (c.test, kubepci_findings::Evidence::field(c.path, c.value))).collect()).unwrap_or_default()
}

/// A card number as evidence: the field's path and the number masked (first six, last four).
fn card_evidence(m: &kubepci_pan::PanMatch, path: String) -> kubepci_findings::Evidence {
    kubepci_findings::Evidence::field(path, format!("{} {}", m.brand.name(), m.masked(kubepci_pan::MaskMode::First6Last4)))
}

/// The card numbers in one object's text fields (`support::text_fields`), masked (first six,
/// last four at most), with their public-test-card flag, in field order.
pub(crate) fn object_card_numbers(o: &kubepci_model::Object) -> Vec<(bool, kubepci_findings::Evidence)> {
    let mut found = Vec::new();
    crate::support::text_fields::visit_text_fields(o, &mut |bytes, path| {
        found.extend(kubepci_pan::find_pans(bytes).map(|m| (m.is_test, card_evidence(&m, path()))));
    });
    found
}
