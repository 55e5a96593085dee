use kubepci_findings::{AppliedException, BoundaryFlow, CheckSummary, Evidence, Finding, Location, Severity, Status, Text, TextList};
use kubepci_inventory::config::{Exception, glob_match};
use rayon::prelude::*;

use crate::{Applies, Check, Context, PartialInput, profile};

/// How to run the registry.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Today's date (`YYYY-MM-DD`), to expire exceptions. `None` treats every exception as live.
    pub today: Option<String>,
    /// Run only these check ids or names (all when empty).
    pub only: Vec<String>,
}

/// The objects a focused run looks at ([`run_focused`]): indices into the inventory's
/// objects, sorted and unique.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Focus(Vec<u32>);

impl Focus {
    pub fn new(indices: impl IntoIterator<Item = usize>) -> Focus {
        let mut v: Vec<u32> = indices.into_iter().map(|i| i as u32).collect();
        v.sort_unstable();
        v.dedup();
        Focus(v)
    }

    pub fn contains(&self, index: usize) -> bool {
        self.0.binary_search(&(index as u32)).is_ok()
    }

    /// The indices, ascending.
    pub fn indices(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().map(|&i| i as usize)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The result of running the checks.
#[derive(Debug, Default)]
pub struct Assessment {
    /// Failures, exceptions and not-assessed results, in a stable order.
    pub findings: Vec<Finding>,
    /// One entry per check that ran, with pass counts.
    pub summaries: Vec<CheckSummary>,
    /// Passing (check, object index) pairs; kept compact because a large cluster has
    /// millions of them. Materialise with [`Assessment::passed_findings`] when asked for.
    pub passes: Passes,
    /// Every allowed flow into or out of the CDE (the report's boundary section), computed by
    /// [`assess`]; [`run_checks`] leaves it empty.
    pub boundary: Vec<BoundaryFlow>,
}

/// The passing objects of each check: the object indices as the check's run gave them,
/// 4 bytes a pass (not a check reference beside each, and not copied into one list).
#[derive(Debug, Default)]
pub struct Passes(Vec<(&'static Check, Vec<u32>)>);

impl Passes {
    /// How many passes in all.
    pub fn len(&self) -> usize {
        self.0.iter().map(|(_, p)| p.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|(_, p)| p.is_empty())
    }

    /// Every (check, object index) pair, check by check in the order the checks were given.
    pub fn iter(&self) -> impl Iterator<Item = (&'static Check, &u32)> + '_ {
        self.0.iter().flat_map(|(check, p)| p.iter().map(move |i| (*check, i)))
    }
}

impl Assessment {
    /// Passing results as findings (for formats that list them, like PolicyReport).
    pub fn passed_findings(&self, cx: &Context) -> Vec<Finding> {
        // One emitter per check, so that its passes share its texts.
        let mut findings = Vec::with_capacity(self.passes.len());
        for (check, passes) in &self.passes.0 {
            let mut e = Emitter { findings, ..Emitter::new(cx, check) };
            for &idx in passes {
                e.push(Some(idx as usize), Status::Pass, "passed".into(), Vec::new());
            }
            findings = e.findings;
        }
        findings
    }
}

/// How many items of a list [`Emitter::fail_listing`] names in a finding's message.
pub const MESSAGE_ITEMS: usize = 5;
/// How many items of a list [`Emitter::fail_listing`] gives as evidence before summing up.
pub const EVIDENCE_ITEMS: usize = 20;

/// Collects one check's results.
pub struct Emitter<'c> {
    cx: &'c Context<'c>,
    check: &'static Check,
    severity: Severity,
    requirements: TextList,
    /// The check's id and title as every finding of it shares them.
    id: Text,
    title: Text,
    findings: Vec<Finding>,
    /// The object of each finding, by index (`None`: the input as a whole).
    finding_objects: Vec<Option<u32>>,
    passes: Vec<u32>,
    cluster_passes: usize,
    /// The check's "Fix" section, read from its doc comment on the first finding.
    remediation: Option<Text>,
    /// The scope classes findings were labelled with, shared between them.
    scopes: Vec<Text>,
    today: Option<String>,
    /// A focused run keeps only the results of these objects (see [`run_focused`]).
    focus: Option<&'c Focus>,
}

impl<'c> Emitter<'c> {
    fn new(cx: &'c Context<'c>, check: &'static Check) -> Self {
        let overrides = &cx.inventory().config.checks.overrides;
        let over = overrides.get(check.meta.id).or_else(|| overrides.get(check.meta.name));
        let severity = over.and_then(|o| o.severity.as_deref()).and_then(|s| s.parse().ok()).unwrap_or(check.meta.severity);
        let requirements = over.and_then(|o| o.requirements.clone()).unwrap_or_else(|| check.meta.requirement_ids()).into();
        Emitter {
            cx,
            check,
            severity,
            requirements,
            id: check.meta.id.into(),
            title: check.meta.title().into(),
            findings: Vec::new(),
            finding_objects: Vec::new(),
            passes: Vec::new(),
            cluster_passes: 0,
            remediation: None,
            scopes: Vec::new(),
            today: None,
            focus: None,
        }
    }

    /// Today's date (`YYYY-MM-DD`) as the run was given it, for checks that judge dates.
    pub fn today(&self) -> Option<&str> {
        self.today.as_deref()
    }

    pub fn context(&self) -> &'c Context<'c> {
        self.cx
    }

    /// The declared scope of the check being run.
    pub fn applies(&self) -> Applies {
        self.check.meta.applies
    }

    /// Whether the object at `index` is within the check's declared scope (`applies`): the
    /// loops of `support::each` look only at those.
    pub fn sees(&self, index: usize) -> bool {
        self.in_focus(Some(index)) && self.cx.applies(self.check.meta.applies, index)
    }

    /// Whether a result about the object at `index` would be kept (by the run's focus and the
    /// context's): a check may skip deciding the objects for which it is not.
    pub fn wants(&self, index: usize) -> bool {
        self.in_focus(Some(index))
    }

    /// Whether a result about the input as a whole would be kept (not in a focused run).
    pub fn wants_whole(&self) -> bool {
        self.in_focus(None)
    }

    /// The objects a focused run looks at (`None`: every object). Loops that do not go
    /// through [`Emitter::sees`] may use it to skip work; results outside it are dropped anyway.
    pub fn focus(&self) -> Option<&'c Focus> {
        self.focus
    }

    /// Whether a result about `index` (`None`: about the input as a whole) is kept.
    /// The run's focus ([`run_focused`]) and the context's ([`Context::with_focus`], an
    /// admission review's one object) both apply.
    fn in_focus(&self, index: Option<usize>) -> bool {
        let run = match (self.focus, index) {
            (None, _) => true,
            (Some(f), Some(i)) => f.contains(i),
            (Some(_), None) => false,
        };
        run && self.cx.in_focus(index)
    }

    /// The object at `index` fails the check.
    pub fn fail(&mut self, index: usize, message: impl Into<String>, evidence: Vec<Evidence>) {
        self.push(Some(index), Status::Fail, message.into(), evidence);
    }

    /// The object at `index` passes the check.
    pub fn pass(&mut self, index: usize) {
        if !self.in_focus(Some(index)) {
            return;
        }
        self.passes.push(index as u32);
    }

    /// The input cannot decide the check for this object (or, with `None`, at all).
    pub fn not_assessed(&mut self, index: Option<usize>, reason: impl Into<String>) {
        self.push(index, Status::NotAssessed, reason.into(), Vec::new());
    }

    /// The object fails for a list of offending `items`: the message is `what` followed by the
    /// first [`MESSAGE_ITEMS`] summaries and how many more; the evidence lists the first
    /// [`EVIDENCE_ITEMS`], then one `more` entry with the count and `where_all`, where the
    /// full list is. Items are formatted only when shown: a CDE workload on a flat network
    /// has thousands of peers, and a report repeating them all per finding is unreadable.
    pub fn fail_listing<T>(&mut self, index: usize, what: &str, items: &[T], summary: impl Fn(&T) -> String, evidence: impl Fn(&T) -> Evidence, where_all: &str) {
        let shown: Vec<String> = items.iter().take(MESSAGE_ITEMS).map(&summary).collect();
        let more = match items.len().saturating_sub(MESSAGE_ITEMS) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        let mut listed: Vec<Evidence> = items.iter().take(EVIDENCE_ITEMS).map(evidence).collect();
        if items.len() > EVIDENCE_ITEMS {
            listed.push(Evidence::field("more", format!("{} more not listed here; {where_all}", items.len() - EVIDENCE_ITEMS)));
        }
        self.fail(index, format!("{what}{}{more}", shown.join(", ")), listed);
    }

    /// A cluster-wide failure (not tied to one object).
    pub fn fail_cluster(&mut self, message: impl Into<String>, evidence: Vec<Evidence>) {
        self.push(None, Status::Fail, message.into(), evidence);
    }

    /// A cluster-wide pass.
    pub fn pass_cluster(&mut self) {
        if !self.in_focus(None) {
            return;
        }
        self.cluster_passes += 1;
    }

    fn push(&mut self, index: Option<usize>, status: Status, message: String, evidence: Vec<Evidence>) {
        if !self.in_focus(index) {
            return;
        }
        // Not through `cx.inv`: labelling a result is not a read by the check.
        let inv = self.cx.inventory();
        let object = index.map(|i| &inv.objects[i]);
        let scope = index.and_then(|i| {
            let s = crate::context::scope_of(inv, i);
            let classifiable = object.is_some_and(|o| o.namespace().is_some() || o.kind() == "Namespace");
            (s != kubepci_inventory::Scope::Unclassified || classifiable).then_some(s.as_str())
        });
        let scope = scope.map(|s| match self.scopes.iter().find(|t| t.as_str() == s) {
            Some(t) => t.clone(),
            None => {
                self.scopes.push(s.into());
                self.scopes[self.scopes.len() - 1].clone()
            }
        });
        self.finding_objects.push(index.map(|i| i as u32));
        self.findings.push(Finding {
            check: self.id.clone(),
            title: self.title.clone(),
            status,
            severity: self.severity,
            requirements: self.requirements.clone(),
            object: object.map(|o| o.object_ref()),
            scope,
            location: object.map(|o| Location::from(&o.loc)),
            message,
            evidence,
            remediation: self.remediation.get_or_insert_with(|| self.check.meta.remediation().into()).clone(),
            exception: None,
        });
    }
}

/// Run a check as declared: one needing a CDE is reported "not assessed" once, not run,
/// when the input declares none.
fn run_declared(cx: &Context, check: &'static Check, e: &mut Emitter) {
    if check.meta.applies.needs_cde() && !cx.has_cde() {
        e.not_assessed(None, kubepci_findings::reasons::NO_CDE_DECLARED);
    } else {
        (check.run)(cx, e);
    }
}

/// Why a check reading any of `cx.unlisted` cannot be assessed, or `None` when it can.
fn unlisted_reason(cx: &Context, check: &Check) -> Option<String> {
    let reasons: Vec<&str> = cx.unlisted.iter().filter(|u| check.meta.reads_unlisted(u)).map(|u| u.reason.as_str()).collect();
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

/// One check's results: its summary, its non-passing findings (each with the index of its
/// object) and its passing objects. What `kubepci serve` keeps between evaluations.
#[derive(Clone, Debug)]
pub struct CheckRun {
    pub check: &'static Check,
    pub summary: CheckSummary,
    /// Failures, exceptions and not-assessed results, each with its object's index (`None`:
    /// about the input as a whole), in the order the check gave them.
    pub findings: Vec<(Option<u32>, Finding)>,
    /// Passing objects.
    pub passes: Vec<u32>,
    /// Passes not tied to an object.
    pub cluster_passes: usize,
}

impl CheckRun {
    /// Recount the summary from the results (after results were replaced).
    pub fn recount(&mut self) {
        let count = |s: Status| self.findings.iter().filter(|(_, f)| f.status == s).count();
        let (failed, excepted, not_assessed) = (count(Status::Fail), count(Status::Excepted), count(Status::NotAssessed));
        let s = &mut self.summary;
        s.passed = self.passes.len() + self.cluster_passes;
        (s.failed, s.excepted, s.not_assessed) = (failed, excepted, not_assessed);
    }

    /// Replace the results about the objects of `focus` with those of a run focused on them
    /// (results about other objects and about the input as a whole stay).
    pub fn splice(&mut self, focus: &Focus, focused: CheckRun) {
        self.findings.retain(|(i, _)| !i.is_some_and(|i| focus.contains(i as usize)));
        self.findings.extend(focused.findings);
        self.passes.retain(|&i| !focus.contains(i as usize));
        self.passes.extend(focused.passes);
        self.recount();
    }
}

/// The whole assessment of one input: every registered check (as `opts` selects them) and,
/// beside them, the CDE boundary section, which reads the same reachability as the network
/// checks. When every check runs, the shared analyses are computed first, side by side
/// ([`Context::prepare`]).
pub fn assess(cx: &Context, opts: &RunOptions) -> Assessment {
    assess_beside(cx, opts, || ()).0
}

/// [`assess`], with `beside` run next to the checks and the boundary section, after the
/// shared analyses: work that reads them but not the results (a report's access review and
/// summaries) fills the core the last long checks leave idle.
pub fn assess_beside<T: Send>(cx: &Context, opts: &RunOptions, beside: impl FnOnce() -> T + Send) -> (Assessment, T) {
    if opts.only.is_empty() {
        cx.prepare();
        profile::mark("shared analyses");
    }
    let (mut assessment, (boundary, other)) =
        rayon::join(|| run_checks(cx, &crate::registry(), opts), || rayon::join(|| profile::timed("boundary section", || crate::cde_boundary(cx)), beside));
    assessment.boundary = boundary;
    profile::mark("checks and boundary");
    (assessment, other)
}

/// Run every enabled check on the context's inventory, in parallel across checks. A check
/// that reads a kind the collector could not list (`cx.unlisted`) is not run: it yields one
/// "not assessed" result with the collector's reasons, never a pass or fail on partial data.
pub fn run_checks(cx: &Context, checks: &[&'static Check], opts: &RunOptions) -> Assessment {
    Assessment::from_runs(run_each(cx, checks, opts, None))
}

/// Run `checks` on the objects of `focus` only: each check's results about those objects,
/// exactly as a whole run gives them, and nothing else (no result about other objects or
/// about the input as a whole). Cheap for checks of [`crate::Locality::Object`], whose loops
/// skip the other objects; any other check computes everything and keeps the focus.
pub fn run_focused(cx: &Context, checks: &[&'static Check], opts: &RunOptions, focus: &Focus) -> Vec<CheckRun> {
    run_each(cx, checks, opts, Some(focus))
}

/// Each check's results, in the order of `checks` (a disabled or unselected one with its
/// summary only), the checks side by side.
pub fn run_each(cx: &Context, checks: &[&'static Check], opts: &RunOptions, focus: Option<&Focus>) -> Vec<CheckRun> {
    checks.par_iter().map(|&check| run_one(cx, check, opts, focus)).collect()
}

/// The non-passing results of `checks` (those `checks.disable` and `opts.only` leave), run one
/// after the other on the calling thread, exceptions applied as [`run_checks`] applies them.
/// With a focused context ([`Context::with_focus`]): the results on the focus object only,
/// which is what an admission review needs, without a report or a thread pool.
pub fn run_sequential(cx: &Context, checks: &[&'static Check], opts: &RunOptions) -> Vec<Finding> {
    let mut findings: Vec<Finding> = checks.iter().flat_map(|&c| run_one(cx, c, opts, None).findings.into_iter().map(|(_, f)| f)).collect();
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings
}

/// One check's results: not run (summary only) when `checks.disable` or `opts.only` leave it
/// out; otherwise run as declared, exceptions applied.
fn run_one(cx: &Context, check: &'static Check, opts: &RunOptions, focus: Option<&Focus>) -> CheckRun {
    let config = &cx.inventory().config;
    let mut e = Emitter::new(cx, check);
    if let Some(why) = why_not_run(check, config, opts) {
        let summary = CheckSummary {
            check: check.meta.id.to_string(),
            title: check.meta.title().to_string(),
            severity: e.severity,
            requirements: e.requirements.to_vec(),
            not_run: Some(why),
            ..CheckSummary::default()
        };
        return CheckRun { check, summary, findings: Vec::new(), passes: Vec::new(), cluster_passes: 0 };
    }
    e.today = opts.today.clone();
    e.focus = focus;
    profile::timed(check.meta.id, || match unlisted_reason(cx, check) {
        None => run_declared(cx, check, &mut e),
        Some(reason) if check.meta.on_partial_input == PartialInput::FailuresStand => {
            run_declared(cx, check, &mut e);
            e.passes.clear();
            e.cluster_passes = 0;
            e.not_assessed(None, format!("{reason} (failures above stand; passes cannot be claimed without it)"));
        }
        Some(reason) => e.not_assessed(None, reason),
    });
    for f in &mut e.findings {
        if f.status == Status::Fail {
            apply_exception(f, check, &config.exceptions, opts.today.as_deref());
        }
    }
    let summary = CheckSummary {
        check: check.meta.id.to_string(),
        title: check.meta.title().to_string(),
        severity: e.severity,
        requirements: e.requirements.to_vec(),
        not_run: None,
        ..CheckSummary::default()
    };
    let findings = e.finding_objects.into_iter().zip(e.findings).collect();
    let mut run = CheckRun { check, summary, findings, passes: e.passes, cluster_passes: e.cluster_passes };
    run.recount();
    run
}

impl Assessment {
    /// The assessment made of each check's results: summaries in check id order, findings in
    /// their stable order.
    pub fn from_runs(runs: impl IntoIterator<Item = CheckRun>) -> Assessment {
        let runs: Vec<CheckRun> = runs.into_iter().collect();
        let mut out = Assessment::default();
        // Sized once: a large cluster has hundreds of thousands of passes, and growing by
        // doubling copies them over and over.
        out.findings.reserve_exact(runs.iter().map(|r| r.findings.len()).sum());
        out.passes.0.reserve_exact(runs.len());
        for run in runs {
            out.summaries.push(run.summary);
            out.findings.extend(run.findings.into_iter().map(|(_, f)| f));
            if !run.passes.is_empty() {
                let mut passes = run.passes;
                passes.shrink_to_fit();
                out.passes.0.push((run.check, passes));
            }
        }
        // Checks that did not run stay in the summaries: the roll-up must not read their
        // absence as a pass of the requirements they map to.
        out.summaries.sort_by(|a, b| a.check.cmp(&b.check));
        // A stable sort, as before, on both cores: tens of thousands of findings.
        out.findings.par_sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        out
    }
}

/// Why a check is left out of this run (`checks.disable` in kubepci.yaml, or not among
/// `--only`), or `None` when it runs.
fn why_not_run(check: &Check, config: &kubepci_inventory::Config, opts: &RunOptions) -> Option<String> {
    let named = |s: &str| s.eq_ignore_ascii_case(check.meta.id) || s.eq_ignore_ascii_case(check.meta.name);
    if config.checks.disable.iter().any(|d| named(d)) {
        Some(kubepci_findings::reasons::DISABLED_IN_CONFIG.into())
    } else if !opts.only.is_empty() && !opts.only.iter().any(|o| named(o)) {
        Some(kubepci_findings::reasons::NOT_SELECTED.into())
    } else {
        None
    }
}

fn apply_exception(f: &mut Finding, check: &Check, exceptions: &[Exception], today: Option<&str>) {
    let Some(obj) = &f.object else { return };
    let name = match &obj.namespace {
        Some(ns) => format!("{}/{}/{}", obj.kind, ns, obj.name),
        None => format!("{}/{}", obj.kind, obj.name),
    };
    let hit = exceptions.iter().find(|ex| {
        (ex.check == check.meta.id || ex.check == check.meta.name || ex.check == "*")
            && glob_match(&ex.object, &name)
            && !crate::exceptions::expired(ex, today)
    });
    if let Some(ex) = hit {
        f.status = Status::Excepted;
        f.exception = Some(Box::new(AppliedException {
            reason: ex.reason.clone(),
            approved_by: ex.approved_by.clone(),
            ticket: ex.ticket.clone(),
            expires: ex.expires.clone(),
            compensating_control: ex.compensating_control.clone(),
            compensates: ex.compensates.clone(),
        }));
    }
}
