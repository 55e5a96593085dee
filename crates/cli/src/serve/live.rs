//! The evaluation `serve` keeps between changes: the input as an [`Incremental`] (inventory,
//! each check's results, shared analyses), re-assessed per batch of watch changes by
//! re-running only what they affect, and whole when the date changes and at least hourly
//! (checks judging ages and dates read the clock of the last whole evaluation).
//!
//! What the history and the metrics read (the [`RunContent`]) is kept too, and a change of
//! the findings is applied to it where it lands, so that recording a run costs what the
//! change costs, not what the whole content does. The report model is assembled only when
//! `/api/v1/report` asks for it ([`Live::report`]).

use std::collections::BTreeMap;

use kubepci_checks::{Applied, Change, FindingsDelta, Incremental, RunOptions, Setting};
use kubepci_findings::{Finding, Status};
use kubepci_history::FindingsChange;
use kubepci_inventory::Config;
use kubepci_model::Object;
use kubepci_report::compare::{FindingRecord, NamespaceClass, RequirementStatus, RunContent, RunSummary, ScopeRecord};
use kubepci_report::{AssembleOptions, ConfigSource, InputError, InputFacts, Report};

use crate::input::Input;

/// How often everything is re-evaluated even without a date change (ages move on).
pub const WHOLE_EVERY_SECONDS: i64 = 3600;

/// A change of more findings than this is applied by rebuilding the kept content (a merge of
/// each change into a sorted list costs more than sorting once).
const MOST_CHANGED: usize = 4096;

/// Up to this many changed findings are moved into place one by one; more in one pass.
const IN_PLACE: usize = 8;

/// What one evaluation tells the metrics, the history and the drift log (the content itself
/// stays in [`Live::content`]).
pub struct Evaluated {
    pub generated_at: String,
    /// What an incremental update re-ran (`None`: a whole evaluation).
    pub applied: Option<Applied>,
    /// How the content's findings changed since the previous evaluation (`None`: rebuilt).
    pub change: Option<FindingsChange>,
    /// Failures open now on an object where their check did not fail before.
    pub new_failures: Vec<Finding>,
    /// Failures per (check, severity), for the metrics.
    pub failures: Vec<(String, String, usize)>,
    /// Findings per (scope class or `none`, status), for the metrics.
    pub per_scope: BTreeMap<(String, Status), usize>,
    pub requirements: Vec<RequirementStatus>,
    pub objects: usize,
}

/// The kept evaluation.
pub struct Live {
    inc: Incremental,
    facts: Facts,
    /// Epoch of the last whole evaluation.
    whole_at: i64,
    /// Every non-passing finding, in the report's order, as the checks gave them (the
    /// report redacts them when it is assembled).
    findings: Vec<Finding>,
    /// The history's content: `content.findings[i]` is the record of `findings[i]`.
    content: RunContent,
    /// Findings per (scope class or `none`, status), kept in step with `content`.
    per_scope: BTreeMap<(String, Status), usize>,
    /// Each check's summary at the last evaluation.
    summaries: Vec<kubepci_findings::CheckSummary>,
    generated_at: String,
}

/// What the report says about the input besides its objects.
struct Facts {
    kind: kubepci_checks::InputKind,
    sources: Vec<String>,
    errors: Vec<InputError>,
    config_source: ConfigSource,
}

fn run_options(epoch: i64) -> RunOptions {
    RunOptions { today: Some(kubepci_base::time::date(epoch)), ..RunOptions::default() }
}

/// A finding's record as the report gives it (message redacted, as the report does).
fn record(f: &Finding) -> FindingRecord {
    let mut r = FindingRecord::of(f);
    kubepci_pan::redact_in_place(&mut r.message);
    r
}

impl Live {
    /// Evaluate `input` whole at `epoch` and keep it.
    pub fn new(input: Input, config: Config, epoch: i64) -> (Live, Evaluated) {
        let facts = Facts {
            kind: input.kind,
            sources: input.sources.clone(),
            errors: input.errors.iter().map(|e| InputError::at(&e.loc, e.message.clone())).collect(),
            config_source: input.config_source.clone(),
        };
        let setting = Setting { input: input.kind, unlisted: input.unlisted, vulns: input.vulns, now: epoch, run: run_options(epoch) };
        let mut inc = Incremental::new(input.objects, config, setting);
        inc.take_delta();
        let mut live = Live { inc, facts, whole_at: epoch, findings: Vec::new(), content: RunContent::default(), per_scope: BTreeMap::new(), summaries: Vec::new(), generated_at: String::new() };
        let mut evaluated = live.refresh(epoch, None, None);
        // Nothing was failing before the first evaluation that drift could compare with.
        evaluated.new_failures.clear();
        (live, evaluated)
    }

    /// Apply a batch of changes at `epoch`: only what they affect is re-run, unless the date
    /// changed or the last whole evaluation is an hour old.
    pub fn update(&mut self, changes: Vec<Change>, epoch: i64) -> Evaluated {
        let applied = kubepci_checks::profile::timed("serve: apply", || self.inc.apply(changes));
        let today = kubepci_base::time::date(epoch);
        if self.inc.setting().run.today.as_deref() != Some(today.as_str()) || epoch - self.whole_at >= WHOLE_EVERY_SECONDS {
            self.inc.reevaluate(epoch, run_options(epoch));
            self.whole_at = epoch;
        }
        let delta = self.inc.take_delta();
        let applied = delta.is_some().then_some(applied);
        kubepci_checks::profile::timed("serve: content", || self.refresh(epoch, delta, applied))
    }

    /// The objects as the kept inventory holds them.
    pub fn objects(&self) -> &[Object] {
        &self.inc.inventory().objects
    }

    /// What the history records: the content of the last evaluation.
    pub fn content(&self) -> &RunContent {
        &self.content
    }

    /// The report of the last evaluation, assembled now (the JSON report reads it; its
    /// findings are copied, so this is asked for only when someone reads the report).
    pub fn report(&mut self) -> Report {
        let assessment = self.inc.assessment();
        let facts = InputFacts {
            kind: self.facts.kind,
            sources: self.facts.sources.clone(),
            files: 0,
            documents: self.inc.inventory().objects.len(),
            errors: self.facts.errors.clone(),
            snapshot: None,
        };
        let options = AssembleOptions { generated_at: self.generated_at.clone(), include_passed: false, config_source: self.facts.config_source.clone(), run: self.inc.setting().run.clone() };
        self.inc.with_context(|cx| Report::assemble(cx, facts, assessment, &options))
    }

    /// Bring the kept content up to the incremental state: by `delta` where it can be applied
    /// exactly, by rebuilding otherwise.
    fn refresh(&mut self, epoch: i64, delta: Option<FindingsDelta>, applied: Option<Applied>) -> Evaluated {
        self.generated_at = kubepci_base::time::rfc3339(epoch);
        let patched = delta.and_then(|d| self.patch(d));
        let (change, new_failures) = match patched {
            Some((change, new_failures)) => (Some(change), new_failures),
            None => (None, self.rebuild()),
        };
        let summaries: Vec<kubepci_findings::CheckSummary> = self.inc.runs().iter().map(|r| r.summary.clone()).collect();
        // The roll-up reads the summaries and the findings: unchanged, so is it.
        let same = change.as_ref().is_some_and(|c| c.removed.is_empty() && c.added.is_empty()) && summaries == self.summaries;
        if !same {
            let requirements = kubepci_findings::rollup(&summaries, &self.findings);
            self.content.summary = summary(&summaries, &self.findings, &requirements);
            self.content.requirements = requirements.iter().map(|r| RequirementStatus { id: r.id.clone(), status: r.status.as_str().to_string() }).collect();
        }
        self.summaries = summaries;
        self.content.scope = ScopeRecord { namespaces: self.inc.inventory().namespaces().map(|n| NamespaceClass { name: n.name.clone(), scope: n.scope.scope.to_string() }).collect() };
        let summaries = &self.summaries;
        Evaluated {
            generated_at: self.generated_at.clone(),
            applied,
            change,
            new_failures,
            failures: summaries.iter().map(|s| (s.check.clone(), s.severity.as_str().to_string(), s.failed)).collect(),
            per_scope: self.per_scope.clone(),
            requirements: self.content.requirements.clone(),
            objects: self.inc.inventory().objects.len(),
        }
    }

    /// Rebuild the kept findings and records from every check's results; the failures new
    /// since the previous findings.
    fn rebuild(&mut self) -> Vec<Finding> {
        let failing_before: std::collections::BTreeSet<(&str, String)> =
            self.findings.iter().filter(|f| f.status == Status::Fail).filter_map(|f| Some((f.check.as_str(), f.object.as_ref()?.to_string()))).collect();
        let findings = self.inc.assessment().findings;
        let new_failures = findings.iter().filter(|f| f.status == Status::Fail && f.object.as_ref().is_some_and(|o| !failing_before.contains(&(f.check.as_str(), o.to_string())))).cloned().collect();
        self.content.findings = findings.iter().map(record).collect();
        self.findings = findings;
        self.per_scope.clear();
        for r in &self.content.findings {
            count(&mut self.per_scope, r, true);
        }
        new_failures
    }

    /// Apply `delta` to the kept findings and records where each finding lands in the
    /// report's order. `None` (nothing applied, or half of it: the caller rebuilds) where the
    /// order is not decided by the sort key alone (two findings of one key: the whole
    /// assessment orders them by the checks' output) or the change is large.
    fn patch(&mut self, mut delta: FindingsDelta) -> Option<(FindingsChange, Vec<Finding>)> {
        if delta.removed.len() + delta.added.len() > MOST_CHANGED {
            return None;
        }
        // The one position of a finding of this sort key, and whether it is there.
        let place = |findings: &[Finding], f: &Finding| {
            let at = findings.partition_point(|x| x.sort_key() < f.sort_key());
            let end = at + findings[at..].iter().take_while(|x| x.sort_key() == f.sort_key()).count();
            (at, end - at)
        };
        let mut removed_at: Vec<usize> = Vec::with_capacity(delta.removed.len());
        for f in &delta.removed {
            match place(&self.findings, f) {
                (at, 1) if self.findings[at] == *f => removed_at.push(at),
                _ => return None,
            }
        }
        removed_at.sort_unstable();
        if removed_at.windows(2).any(|w| w[0] == w[1]) {
            return None;
        }
        delta.added.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        if delta.added.windows(2).any(|w| w[0].sort_key() == w[1].sort_key()) {
            return None;
        }
        // A kept finding (one not removed) of an added one's sort key is a tie.
        let ties = delta.added.iter().any(|f| {
            let (at, n) = place(&self.findings, f);
            n > removed_at.iter().filter(|&&r| (at..at + n).contains(&r)).count()
        });
        if ties {
            return None;
        }
        // Nothing can fail from here on.
        let (removed, added_at) = if removed_at.len() + delta.added.len() <= IN_PLACE { self.splice_in_place(&removed_at, delta.added) } else { self.splice_merged(&removed_at, delta.added) };
        for (_, r) in &removed {
            count(&mut self.per_scope, r, false);
        }
        for &at in &added_at {
            count(&mut self.per_scope, &self.content.findings[at], true);
        }
        // A failure is new when its check failed on the object neither before nor otherwise
        // now: the kept failures of its check on its object, less the added, plus the removed.
        let key = |f: &Finding| (f.status, std::cmp::Reverse(f.severity), f.check.clone(), f.object.clone());
        let mut new_failures = Vec::new();
        for &at in &added_at {
            let f = &self.findings[at];
            if f.status != Status::Fail || f.object.is_none() {
                continue;
            }
            let k = key(f);
            let lo = self.findings.partition_point(|x| key(x) < k);
            let now = self.findings[lo..].iter().take_while(|x| key(x) == k).count();
            let added = added_at.iter().filter(|&&i| key(&self.findings[i]) == k).count();
            let before = removed.iter().filter(|(_, r)| r.status == Status::Fail && r.check == f.check && r.object == f.object.as_ref().map(ToString::to_string)).count();
            if now - added + before == 0 {
                new_failures.push(f.clone());
            }
        }
        Some((FindingsChange { removed, added: added_at }, new_failures))
    }
}

impl Live {
    /// Remove the findings at `removed_at` (ascending) and insert `added` (ascending, none of
    /// a kept one's sort key), each by moving the rest: for a few changes.
    fn splice_in_place(&mut self, removed_at: &[usize], added: Vec<Finding>) -> (Vec<(usize, FindingRecord)>, Vec<usize>) {
        let mut removed = Vec::with_capacity(removed_at.len());
        for &at in removed_at.iter().rev() {
            self.findings.remove(at);
            removed.push((at, self.content.findings.remove(at)));
        }
        removed.reverse();
        // Inserted in ascending order, each lands after the ones before it: its position is
        // its final one.
        let mut added_at = Vec::with_capacity(added.len());
        for f in added {
            let at = self.findings.partition_point(|x| x.sort_key() < f.sort_key());
            self.content.findings.insert(at, record(&f));
            self.findings.insert(at, f);
            added_at.push(at);
        }
        (removed, added_at)
    }

    /// [`Live::splice_in_place`] in one pass over the kept findings: for many changes.
    fn splice_merged(&mut self, removed_at: &[usize], added: Vec<Finding>) -> (Vec<(usize, FindingRecord)>, Vec<usize>) {
        let len = self.findings.len() + added.len() - removed_at.len();
        let (old_findings, old_records) = (std::mem::take(&mut self.findings), std::mem::take(&mut self.content.findings));
        let (mut findings, mut records) = (Vec::with_capacity(len), Vec::with_capacity(len));
        let mut removed = Vec::with_capacity(removed_at.len());
        let mut added_at = Vec::with_capacity(added.len());
        let mut gone = removed_at.iter().copied().peekable();
        let mut adds = added.into_iter().peekable();
        for (i, (f, r)) in old_findings.into_iter().zip(old_records).enumerate() {
            if gone.next_if_eq(&i).is_some() {
                removed.push((i, r));
                continue;
            }
            while let Some(a) = adds.next_if(|a| a.sort_key() < f.sort_key()) {
                added_at.push(findings.len());
                records.push(record(&a));
                findings.push(a);
            }
            findings.push(f);
            records.push(r);
        }
        for a in adds {
            added_at.push(findings.len());
            records.push(record(&a));
            findings.push(a);
        }
        (self.findings, self.content.findings) = (findings, records);
        (removed, added_at)
    }
}

/// Count a record in (or out of) the findings per (scope class, status).
fn count(per_scope: &mut BTreeMap<(String, Status), usize>, r: &FindingRecord, add: bool) {
    let key = (r.scope.clone().unwrap_or_else(|| "none".into()), r.status);
    let n = per_scope.entry(key.clone()).or_default();
    if add {
        *n += 1;
    } else {
        *n = n.saturating_sub(1);
        if *n == 0 {
            per_scope.remove(&key);
        }
    }
}

/// The report's summary, as the history records it, from the kept parts.
fn summary(summaries: &[kubepci_findings::CheckSummary], findings: &[Finding], requirements: &[kubepci_findings::RequirementResult]) -> RunSummary {
    RunSummary::of(&kubepci_report::Summary::tally(summaries.iter().map(|c| c.passed).sum(), findings, requirements))
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use kubepci_history::Recorded;

    use super::*;

    const NOW: i64 = 1_796_601_600; // 2026-12-07

    fn repo() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    fn demo_input() -> (Input, Config) {
        let mut input = Input::from_paths(&[repo().join("examples/demo-cluster"), repo().join("examples/platform")]);
        input.kind = kubepci_checks::InputKind::Snapshot;
        let text = std::fs::read_to_string(repo().join("examples/kubepci.yaml")).expect("examples/kubepci.yaml");
        (input, Config::from_yaml("examples/kubepci.yaml", &text).expect("demo config"))
    }

    fn object(yaml: &str) -> Object {
        kubepci_source::load_bytes("change.yaml", yaml.as_bytes()).objects.into_iter().next().expect("one object")
    }

    /// The demo file's object `kind`/`name` with `from` replaced by `to`.
    fn edited(file: &str, kind: &str, name: &str, from: &str, to: &str) -> Object {
        let text = std::fs::read_to_string(repo().join("examples/demo-cluster").join(file)).expect(file);
        assert!(text.contains(from), "{file} has no {from:?}");
        kubepci_source::load_bytes(file, text.replace(from, to).as_bytes()).objects.into_iter().find(|o| o.kind() == kind && o.name() == name).expect(name)
    }

    fn delete(kind: &str, namespace: &str, name: &str) -> Change {
        Change::Delete { kind: kind.into(), namespace: Some(namespace.into()), name: name.into() }
    }

    /// After each change, the kept content (patched by the findings' changes where it could
    /// be) equals the content of the report a whole scan assembles from the same objects,
    /// and the history, given only the changes, records and reads back exactly that content.
    #[test]
    fn the_kept_content_and_its_history_equal_a_whole_report_after_each_change() {
        let card = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: orders-export, namespace: checkout}\ndata: {last: \"card 4539148803436467\"}\n";
        let privileged = "apiVersion: v1\nkind: Pod\nmetadata: {name: debug, namespace: payments, labels: {app: debug}}\nspec:\n  containers:\n  - {name: sh, image: busybox, securityContext: {privileged: true}}\n";
        // A workload member: a ReplicaSet of the Deployment payment-api, and a Pod of it.
        let replica_set = "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: payment-api-5d4f8, namespace: payments, labels: {app: payment-api}, ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: payment-api, uid: u1, controller: true}]}\nspec:\n  selector: {matchLabels: {app: payment-api}}\n  template:\n    metadata: {labels: {app: payment-api, tier: backend}}\n    spec: {containers: [{name: api, image: registry.pay.example/payments/api:2.14.1}]}\n";
        let member = "apiVersion: v1\nkind: Pod\nmetadata: {name: payment-api-5d4f8-x, namespace: payments, labels: {app: payment-api, tier: backend}, ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: payment-api-5d4f8, uid: u2, controller: true}]}\nspec:\n  nodeName: node-a\n  containers:\n  - {name: api, image: registry.pay.example/payments/api:2.15.0, securityContext: {privileged: true}}\n";
        let steps: Vec<(&str, Vec<Change>)> = vec![
            ("nothing", vec![]),
            ("container image edit", vec![Change::Apply(edited("10-payments.yaml", "Deployment", "payment-api", "payments/api:2.14.1@sha256", "payments/api:2.15.0@sha256"))]),
            ("the deployment's service account changed", vec![Change::Apply(edited("10-payments.yaml", "Deployment", "payment-api", "serviceAccountName: payment-api", "serviceAccountName: default"))]),
            ("privileged pod added", vec![Change::Apply(object(privileged))]),
            ("configmap with a card number added", vec![Change::Apply(object(card))]),
            ("configmap with a card number changed", vec![Change::Apply(object(&card.replace("4539148803436467", "4111111111111111")))]),
            ("rolebinding changed", vec![Change::Apply(edited("50-rbac.yaml", "RoleBinding", "oncall-debug", "{kind: ServiceAccount, name: default, namespace: payments}", "{kind: Group, name: system:authenticated, apiGroup: rbac.authorization.k8s.io}"))]),
            ("networkpolicy added", vec![Change::Apply(object("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow-all, namespace: payments}\nspec:\n  podSelector: {}\n  ingress: [{}]\n  policyTypes: [Ingress]\n"))]),
            ("namespace relabelled into the CDE", vec![Change::Apply(edited("00-namespaces.yaml", "Namespace", "checkout", "pci.kubepci.io/scope: connected", "pci.kubepci.io/scope: cde"))]),
            ("pod deleted", vec![delete("Pod", "payments", "debug")]),
            ("configmap deleted", vec![delete("ConfigMap", "checkout", "orders-export")]),
            ("the same pod added again", vec![Change::Apply(object(privileged))]),
            ("a replicaset added under a deployment", vec![Change::Apply(object(replica_set))]),
            ("a privileged member pod added under it", vec![Change::Apply(object(member))]),
            ("the member pod's image changed", vec![Change::Apply(object(&member.replace("api:2.15.0", "api:2.15.1")))]),
            ("the member pod deleted", vec![delete("Pod", "payments", "payment-api-5d4f8-x")]),
        ];
        let (input, config) = demo_input();
        let dir = tempfile::tempdir().expect("temp dir");
        let mut history = kubepci_history::open(&format!("sqlite:{}", dir.path().join("h.db").display())).expect("history");
        let (mut live, first) = Live::new(input, config.clone(), NOW);
        assert!(first.change.is_none() && first.new_failures.is_empty());
        let mut recorded = vec![(history.record_change("demo", &first.generated_at, live.content(), None).expect("record"), live.content().clone())];
        let (mut patched, mut merged) = (0, 0);
        for (at, (what, changes)) in steps.into_iter().enumerate() {
            let evaluated = live.update(changes, NOW + 1 + at as i64);
            if what == "container image edit" {
                // The same service account: the identity-only checks (RBAC) are not re-run.
                assert!(evaluated.applied.as_ref().is_some_and(|a| a.identity_kept), "after {what}: {:?}", evaluated.applied);
            }
            if what.contains("member pod") {
                assert!(evaluated.applied.as_ref().is_some_and(|a| a.members_only), "after {what}: {:?}", evaluated.applied);
            }
            patched += usize::from(evaluated.change.as_ref().is_some_and(|c| !c.removed.is_empty() || !c.added.is_empty()));
            merged += usize::from(evaluated.change.as_ref().is_some_and(|c| c.removed.len() + c.added.len() > IN_PLACE));
            let whole = RunContent::of(&live.report());
            assert_eq!(live.content(), &whole, "after {what}: kept content differs from the whole report's");
            // A fresh whole evaluation of the same objects agrees too.
            let (mut again, _) = Live::new(Input { objects: live.objects().to_vec(), ..demo_input().0 }, config.clone(), NOW);
            assert_eq!(again.content(), live.content(), "after {what}: a fresh evaluation differs");
            assert_eq!(RunContent::of(&again.report()), whole, "after {what}: a fresh report differs");
            let r = history.record_change("demo", &evaluated.generated_at, live.content(), evaluated.change.as_ref()).expect("record");
            if what == "nothing" {
                assert_eq!(r, Recorded::Heartbeat(recorded[0].0.id()), "no change records a heartbeat");
            }
            recorded.push((r, live.content().clone()));
        }
        assert!(patched >= 6, "most changes patch the kept content ({patched})");
        assert!(merged >= 1, "some change is merged in one pass");
        for (r, content) in &recorded {
            assert_eq!(history.run_content(r.id()).expect("read").as_ref(), Some(content), "run {} reads back as recorded", r.id());
        }
        // Recorded whole, the same content is the same run (one digest, either way).
        let mut whole_history = kubepci_history::open(&format!("sqlite:{}", dir.path().join("h.db").display())).expect("history");
        let (last, content) = recorded.last().expect("runs");
        assert_eq!(whole_history.record("demo", "2026-12-07T02:00:00Z", content).expect("record"), Recorded::Heartbeat(last.id()));
    }

    /// Moving changed findings into place one by one and merging them in one pass give the
    /// same findings, records and positions.
    #[test]
    fn in_place_and_merged_splices_agree() {
        let (input, config) = demo_input();
        let (mut one, _) = Live::new(input, config.clone(), NOW);
        let (mut other, _) = Live::new(demo_input().0, config, NOW);
        let len = one.findings.len();
        assert!(len > 20, "{len}");
        let removed_at: Vec<usize> = (0..len).step_by(3).collect();
        // New findings of sort keys no kept finding has: at the front, inside and at the end.
        let mut added: Vec<Finding> = [0, len / 2, len - 1].iter().map(|&i| Finding { message: format!("{} (changed)", one.findings[i].message), ..one.findings[i].clone() }).collect();
        added.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        let a = one.splice_in_place(&removed_at, added.clone());
        let b = other.splice_merged(&removed_at, added);
        assert_eq!(a, b);
        assert_eq!(one.findings, other.findings);
        assert_eq!(one.content.findings, other.content.findings);
        assert_eq!(one.findings.len(), len - removed_at.len() + 3);
        assert!(one.findings.windows(2).all(|w| w[0].sort_key() <= w[1].sort_key()), "still in the report's order");
        assert_eq!(one.content.findings, one.findings.iter().map(record).collect::<Vec<_>>());
    }

    /// A new failure on an object (where its check did not fail before) is told apart from
    /// a failure that was open already, for drift Events.
    #[test]
    fn new_failures_are_those_not_open_before() {
        let (input, config) = demo_input();
        let (mut live, _) = Live::new(input, config, NOW);
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: debug, namespace: payments, labels: {app: debug}}\nspec:\n  containers:\n  - {name: sh, image: busybox, securityContext: {privileged: true}}\n";
        let added = live.update(vec![Change::Apply(object(pod))], NOW + 1);
        assert!(added.change.is_some());
        let on_debug = |e: &Evaluated| e.new_failures.iter().filter(|f| f.object.as_ref().is_some_and(|o| o.name == "debug")).map(|f| f.check.clone()).collect::<Vec<_>>();
        let first = on_debug(&added);
        assert!(first.contains(&"POD-001".into()), "{first:?}");
        // The same pod, changed again but still privileged: nothing new fails on it.
        let again = live.update(vec![Change::Apply(object(&pod.replace("image: busybox", "image: busybox:1.36")))], NOW + 2);
        assert!(!on_debug(&again).contains(&"POD-001".into()), "{:?}", on_debug(&again));
    }
}
