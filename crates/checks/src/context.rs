use std::sync::OnceLock;

use kubepci_inventory::{Inventory, Scope, Workload};
use kubepci_model::{Object, PodTemplate};
use kubepci_pss::{Evaluation, Level, Version};

use crate::Applies;

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

/// Everything a check may read. Shared analyses are computed at most once, on first use.
pub struct Context<'a> {
    pub inv: &'a Inventory,
    pub input: InputKind,
    pss_restricted: OnceLock<Vec<Evaluation>>,
    pss_baseline: OnceLock<Vec<Evaluation>>,
    reachability: OnceLock<kubepci_netpol::Reachability>,
    rbac_model: OnceLock<kubepci_rbac::Model>,
}

impl<'a> Context<'a> {
    pub fn new(inv: &'a Inventory, input: InputKind) -> Self {
        Context { inv, input, pss_restricted: OnceLock::new(), pss_baseline: OnceLock::new(), reachability: OnceLock::new(), rbac_model: OnceLock::new() }
    }

    /// Is the object at `index` within what a check with `applies` looks at?
    pub fn applies(&self, applies: Applies, index: usize) -> bool {
        match applies {
            Applies::All | Applies::Cluster => true,
            Applies::Cde => self.inv.object_scope(index) == Scope::Cde,
            Applies::InScope => self.inv.object_scope(index).in_scope(),
        }
    }

    /// True when at least one namespace or workload is declared CDE.
    pub fn has_cde(&self) -> bool {
        self.inv.namespaces().any(|n| n.scope.scope == Scope::Cde) || self.inv.workloads().iter().any(|w| w.scope.scope == Scope::Cde)
    }

    /// Workloads (top owners) with their pod templates.
    pub fn workloads(&self) -> impl Iterator<Item = (&'a Workload, &'a Object, PodTemplate<'a>)> + '_ {
        let inv = self.inv;
        inv.workloads().iter().filter_map(move |w| {
            let o = &inv.objects[w.object];
            o.pod_template().map(|t| (w, o, t))
        })
    }

    /// The Pod Security Standards `restricted` evaluation (latest version) of every workload,
    /// in `inv.workloads()` order. One evaluator serves all hardening checks.
    pub fn pss_restricted(&self) -> &[Evaluation] {
        self.pss_restricted.get_or_init(|| self.evaluate_pss(Level::Restricted))
    }

    /// The `baseline` evaluation: restricted replaces some baseline controls with stricter
    /// ones, so checks of those baseline controls need this one.
    pub fn pss_baseline(&self) -> &[Evaluation] {
        self.pss_baseline.get_or_init(|| self.evaluate_pss(Level::Baseline))
    }

    fn evaluate_pss(&self, level: Level) -> Vec<Evaluation> {
        use rayon::prelude::*;
        self.inv
            .workloads()
            .par_iter()
            .map(|w| match self.inv.objects[w.object].pod_template() {
                Some(t) => kubepci_pss::evaluate(&t, level, Version::latest()),
                None => Evaluation { allowed: true, violations: Vec::new() },
            })
            .collect()
    }

    /// NetworkPolicy reachability of the whole input, computed once for all network checks.
    /// The checks ask about flows into and out of CDE workloads, so only those rows and
    /// columns are computed up front (any other pair is still answered exactly, on demand).
    pub fn reachability(&self) -> &kubepci_netpol::Reachability {
        self.reachability.get_or_init(|| {
            let cde: Vec<usize> = self.inv.workloads().iter().enumerate().filter(|(_, w)| w.scope.scope == Scope::Cde).map(|(i, _)| i).collect();
            kubepci_netpol::Reachability::compute_focused(self.inv, kubepci_netpol::Options::default(), &cde)
        })
    }

    /// The RBAC model of the whole input (roles with aggregation resolved, bindings, indexes),
    /// built once for all RBAC checks.
    pub fn rbac_model(&self) -> &kubepci_rbac::Model {
        self.rbac_model.get_or_init(|| kubepci_rbac::Model::build(&self.inv.objects))
    }
}
