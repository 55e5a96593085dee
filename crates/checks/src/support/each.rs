//! The loop every per-object check shares: pick the objects within the check's declared scope
//! (its `applies`, which the emitter knows), decide each one, and report pass, fail or not
//! assessed. A check file then holds only its rule. A check needing a CDE is not run at all
//! when none is declared (the runner reports it).

use kubepci_findings::Evidence;
use kubepci_inventory::{NamespaceInfo, Workload};
use kubepci_model::{Object, PodTemplate};

use crate::support::containers::{ContainerRef, containers};
use crate::{Context, Emitter};

/// What a rule decided about one object.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    Pass,
    Fail(String, Vec<Evidence>),
    NotAssessed(String),
    /// The rule does not concern this object (no result at all).
    Skip,
}

/// One thing wrong with an object: what (for the message) and where (evidence).
#[derive(Debug, PartialEq)]
pub struct Problem {
    pub message: String,
    pub evidence: Vec<Evidence>,
}

impl Problem {
    pub fn new(message: impl Into<String>, evidence: Evidence) -> Self {
        Problem { message: message.into(), evidence: vec![evidence] }
    }
}

impl Verdict {
    /// Fail with every problem (messages joined with `; `), or pass when there are none.
    pub fn from_problems(problems: impl IntoIterator<Item = Problem>) -> Verdict {
        let (mut messages, mut evidence) = (Vec::new(), Vec::new());
        for p in problems {
            messages.push(p.message);
            evidence.extend(p.evidence);
        }
        if messages.is_empty() { Verdict::Pass } else { Verdict::Fail(messages.join("; "), evidence) }
    }
}

fn emit(e: &mut Emitter, index: usize, verdict: Verdict) {
    match verdict {
        Verdict::Pass => e.pass(index),
        Verdict::Fail(message, evidence) => e.fail(index, message, evidence),
        Verdict::NotAssessed(reason) => e.not_assessed(Some(index), reason),
        Verdict::Skip => {}
    }
}

/// The indices a walk over every object of the input visits: all of them, or in a focused
/// run ([`crate::run_focused`]) or context ([`Context::with_focus`]) the focus only.
pub fn object_indices<'c>(e: &Emitter<'c>) -> Box<dyn Iterator<Item = usize> + 'c> {
    let cx = e.context();
    let count = cx.inventory().objects.len();
    match (e.focus(), cx.focus_object()) {
        (Some(focus), _) => Box::new(focus.indices().filter(move |&i| i < count && cx.in_focus(Some(i)))),
        (None, Some(object)) => Box::new(std::iter::once(object).filter(move |&i| i < count)),
        (None, None) => Box::new(0..count),
    }
}

/// Decide every workload (top owner with a pod template) within the check's declared scope.
pub fn each_workload(e: &mut Emitter, rule: impl Fn(&Context, &Workload, &Object, &PodTemplate) -> Verdict) {
    let cx = e.context();
    for (w, o, t) in cx.workloads() {
        if cx.in_focus(Some(w.object)) && e.sees(w.object) {
            emit(e, w.object, rule(cx, w, o, &t));
        }
    }
}

/// Decide every container (init and regular) of every workload within the check's declared
/// scope: a workload passes when no container has a problem. The rule returns the
/// container's problems (an `Option` or a `Vec`).
pub fn each_container<P: IntoIterator<Item = Problem>>(e: &mut Emitter, rule: impl Fn(&Context, &ContainerRef) -> P) {
    each_workload(e, |cx, _, _, t| Verdict::from_problems(containers(t).flat_map(|c| rule(cx, &c))));
}

/// Decide every object of `kind` within the check's declared scope.
pub fn each_of_kind(e: &mut Emitter, kind: &str, rule: impl Fn(&Context, usize, &Object) -> Verdict) {
    let cx = e.context();
    for &i in cx.inv.indices_of_kind(kind) {
        if cx.in_focus(Some(i)) && e.sees(i) {
            emit(e, i, rule(cx, i, &cx.inv.objects[i]));
        }
    }
}

/// Decide every namespace within the check's declared scope (by the namespace's own scope).
/// A namespace only referenced by objects is reported on the first object in it, so the
/// finding has a file and line; the rule gets the Namespace object when the input has one.
pub fn each_namespace(e: &mut Emitter, rule: impl Fn(&Context, &NamespaceInfo, Option<&Object>) -> Verdict) {
    let cx = e.context();
    for ns in cx.inv.namespaces() {
        if cx.in_focus(Some(ns.reported_at)) && e.applies().admits(ns.scope.scope, cx.inv.config) {
            emit(e, ns.reported_at, rule(cx, ns, ns.object.map(|i| &cx.inv.objects[i])));
        }
    }
}

/// `container "api"` (or `init container "migrate"`), for messages.
pub fn container_label(c: &ContainerRef) -> String {
    let kind = if c.init { "init container" } else { "container" };
    format!("{kind} {:?}", c.container.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_join_into_one_failure() {
        assert_eq!(Verdict::from_problems(Vec::new()), Verdict::Pass);
        let v = Verdict::from_problems([Problem::new("a", Evidence::path("x")), Problem::new("b", Evidence::path("y"))]);
        assert_eq!(v, Verdict::Fail("a; b".into(), vec![Evidence::path("x"), Evidence::path("y")]));
    }
}
