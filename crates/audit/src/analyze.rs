//! The analysis of a stream of events: rules applied to each, one alert per request and rule
//! (stages of the same `auditID` merged), per-identity activity, and the completeness of the
//! log's fields (10.2.2). Pure: events in, a [`Report`] out. States of separate chunks merge,
//! so that files and chunks can be analysed in parallel.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use crate::event::Event;
use crate::predicates::{Subject, exec_command};
use crate::rules::{Context, Facts, Rule, RuleSet, Severity};

/// How many bad-line diagnostics a report keeps (all are counted).
const MAX_DIAGNOSTICS: usize = 200;
/// A block state merged into another keeps its identities (and the uses they were seen
/// making) for its next block, up to this many.
const MAX_KEPT_IDENTITIES: usize = 4096;

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ObjectOut {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subresource: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub api_group: String,
    /// The request path without its query string (which may carry exec commands).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
}

impl ObjectOut {
    /// `resource[/subresource]/namespace/name` (parts that exist), as exceptions match it.
    pub fn key(&self) -> String {
        let mut out = self.resource.clone();
        if !self.subresource.is_empty() {
            out.push('/');
            out.push_str(&self.subresource);
        }
        for part in [&self.namespace, &self.name] {
            if !part.is_empty() {
                out.push('/');
                out.push_str(part);
            }
        }
        if out.is_empty() { self.path.clone() } else { out }
    }
}

/// An accepted alert: the exception that covers it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Excepted {
    pub reason: String,
    pub approved_by: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub rule: String,
    pub title: String,
    pub requirements: Vec<String>,
    pub severity: Severity,
    #[serde(rename = "auditID")]
    pub audit_id: Option<String>,
    pub time: Option<String>,
    /// The identity the request acted as (the impersonated one, when impersonating).
    pub user: String,
    /// The authenticated user who impersonated `user`, if any.
    pub impersonator: Option<String>,
    #[serde(rename = "sourceIPs")]
    pub source_ips: Vec<String>,
    pub verb: String,
    pub object: ObjectOut,
    pub code: Option<i64>,
    pub decision: String,
    pub stage: Option<String>,
    pub falco: Option<String>,
    pub panther: Option<String>,
    pub file: Arc<str>,
    pub line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excepted: Option<Excepted>,
    /// For a threshold rule: the burst this alert stands for (the other fields are those of one
    /// of its requests, normally the first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burst: Option<Box<Burst>>,
    /// `time` as microseconds since the epoch, parsed once with the event (the final sort's key).
    #[serde(skip)]
    micros: Option<i64>,
}

/// The requests a threshold rule counted for one alert.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Burst {
    /// What the requests were grouped by (`user` or `sourceIP`) and its value.
    pub key: &'static str,
    pub value: String,
    /// Matching requests within the window (at least the rule's count); with `distinct`, the
    /// distinct objects they touched.
    pub count: u64,
    /// What `count` counts when not requests (`object`), else absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distinct: Option<&'static str>,
    /// With `distinct`: the matching requests within the window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
    pub first_time: Option<String>,
    pub last_time: Option<String>,
}

/// One threshold rule's hits for one key value.
///
/// Memory follows the bursts, not the requests: only the first and the last hit of every
/// half-window bucket of time hold a sample (the alert they would make). Every window opens at
/// a hit and lasts at least until the end of that hit's bucket, so it holds that bucket's last
/// hit: every window keeps a sample. Later hits only ever replace a bucket's first or last, so
/// a hit that lost its sample never needs it again.
#[derive(Debug, Default)]
struct Hits {
    list: Vec<Hit>,
    /// The rule's window, in microseconds.
    width: i64,
    /// Per bucket: the indexes of its first and last hit.
    ends: HashMap<i64, (usize, usize), BuildHasherDefault<Fx>>,
}

fn hit_order(h: &Hit) -> (i64, &str, u64) {
    (h.micros, &h.file, h.line)
}

impl Hits {
    /// Add a hit; `sample` makes its alert, called only when the hit needs one, with the sample
    /// the hit takes over from (an end it replaces), if any, to refill. Returns the change in
    /// the number of samples held.
    fn push(&mut self, mut hit: Hit, sample: impl FnOnce(Option<Box<Alert>>) -> Option<Box<Alert>>) -> isize {
        let at = self.list.len();
        let bucket = hit.micros.div_euclid((self.width / 2).max(1));
        let mut change = 0;
        let (new_first, new_last, old) = match self.ends.get(&bucket) {
            None => (true, true, None),
            Some(&(first, last)) => (hit_order(&hit) < hit_order(&self.list[first]), hit_order(&hit) > hit_order(&self.list[last]), Some((first, last))),
        };
        if new_first || new_last {
            let (mut first, mut last) = old.unwrap_or((at, at));
            if new_first {
                first = at;
            }
            if new_last {
                last = at;
            }
            // A replaced end that is no longer either end gives its sample up, to the new hit:
            // in a log in time order every matching request replaces its bucket's last one,
            // and building a fresh alert for each (and dropping the old) was ~17 allocations.
            let mut given_up = None;
            if let Some((old_first, old_last)) = old {
                for i in [old_first, old_last] {
                    if i != first && i != last && let Some(old_sample) = self.list[i].sample.take() {
                        change -= 1;
                        given_up = Some(old_sample);
                    }
                }
            }
            if hit.sample.is_none() {
                hit.sample = sample(given_up);
            }
            change += isize::from(hit.sample.is_some());
            self.ends.insert(bucket, (first, last));
        } else {
            // A middle hit (merged from another chunk) needs no sample.
            hit.sample = None;
        }
        self.list.push(hit);
        change
    }
}

/// An event's time as written, held inline when short (RFC 3339 with microseconds is 27 bytes):
/// tens of thousands of small long-lived allocations among the short-lived ones of each chunk
/// kept whole allocator pages alive.
#[derive(Debug)]
enum TimeText {
    Short(u8, [u8; 40]),
    Long(Box<str>),
}

impl TimeText {
    fn new(text: &str) -> TimeText {
        let mut buf = [0u8; 40];
        match buf.get_mut(..text.len()) {
            Some(slot) => {
                slot.copy_from_slice(text.as_bytes());
                TimeText::Short(text.len() as u8, buf)
            }
            None => TimeText::Long(Box::from(text)),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            // Copied whole from a `str`, so always UTF-8.
            TimeText::Short(len, buf) => std::str::from_utf8(&buf[..usize::from(*len)]).unwrap_or(""),
            TimeText::Long(text) => text,
        }
    }
}

/// A request a threshold rule matched, kept until the end of the analysis decides its window.
#[derive(Debug)]
struct Hit {
    /// Microseconds since the epoch; requests without a time share one window of their own.
    micros: i64,
    /// Which request (stages of one request count once).
    request: u64,
    /// Which object (namespace and name), for thresholds on distinct objects; else 0.
    object: u64,
    time: TimeText,
    file: Arc<str>,
    line: u64,
    /// The alert this request would make if it opens a window (none once the state holds
    /// `max_alerts` of them: memory stays bounded).
    sample: Option<Box<Alert>>,
}

/// Places in an identity's record of the uses it made lately.
const RECENT_USES: usize = 16;

/// What one identity did.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    pub user: String,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub requests: u64,
    /// Requests answered 4xx/5xx.
    pub failures: u64,
    /// Requests refused with 401/403.
    pub denied: u64,
    pub verbs: BTreeMap<String, u64>,
    /// `verb apiGroup/resource[/subresource] namespace` actually requested (allowed or not).
    pub uses: BTreeSet<Use>,
    /// Hashes of the uses already recorded, so that a repeated request allocates nothing.
    #[serde(skip)]
    seen: HashSet<u64, BuildHasherDefault<PreHashed>>,
    /// Uses recorded lately, by hash, each at the place its top bits pick (every one is in
    /// `seen`; 0 is empty): controllers and kubelets repeat a handful of requests over and
    /// over, and a compare in this identity's own record is cheaper than a probe of the set,
    /// which for a busy identity is large and out of the cache (the probe was ~2 % of a run).
    #[serde(skip)]
    recent: [u64; RECENT_USES],
    /// Uses recorded but not yet in `uses`, by the ids of their texts in the recording state's
    /// [`Names`]: a block's state recorded each of its identities' uses again (five strings and
    /// an ordered-set insert each, thousands per block); now only uses new to the merged
    /// state become strings, and the ordered set is filled once.
    #[serde(skip)]
    pending: Vec<PendingUse>,
    #[serde(skip)]
    first_micros: Option<i64>,
    #[serde(skip)]
    last_micros: Option<i64>,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "camelCase")]
pub struct Use {
    pub verb: String,
    pub api_group: String,
    pub resource: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subresource: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    pub allowed: bool,
}

impl Activity {
    pub fn last_seen_micros(&self) -> Option<i64> {
        self.last_micros
    }

    /// Move the pending uses (ids in `names`) into `uses`.
    fn settle(&mut self, names: &Names) {
        for p in self.pending.drain(..) {
            self.uses.insert(names.use_of(&p));
        }
    }
}

/// A use by the ids of its texts (verb, apiGroup, resource, subresource, namespace).
#[derive(Clone, Debug)]
struct PendingUse {
    hash: u64,
    texts: [u32; 5],
    allowed: bool,
}

/// The texts of a state's pending uses, each kept once. A block state keeps them from block to
/// block (a log names few verbs, groups, resources and namespaces), so recording a use
/// allocates nothing once its texts have been seen.
#[derive(Debug, Default)]
struct Names {
    ids: HashMap<Box<str>, u32, BuildHasherDefault<Fx>>,
    texts: Vec<Box<str>>,
}

impl Names {
    /// Above this many texts, an emptied state forgets them (memory stays bounded).
    const MAX: usize = 1 << 16;

    fn id(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        let id = self.texts.len() as u32;
        self.texts.push(Box::from(text));
        self.ids.insert(Box::from(text), id);
        id
    }

    fn text(&self, id: u32) -> String {
        self.texts.get(id as usize).map(|t| t.to_string()).unwrap_or_default()
    }

    fn use_of(&self, p: &PendingUse) -> Use {
        let [verb, api_group, resource, subresource, namespace] = p.texts.map(|id| self.text(id));
        Use { verb, api_group, resource, subresource, namespace, name: String::new(), allowed: p.allowed }
    }
}

/// 10.2.2: how many events lack each field the requirement asks an audit record to carry.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Completeness {
    pub events: u64,
    /// User identification (10.2.2: user identification).
    pub missing_user: u64,
    /// Type of event (verb).
    pub missing_verb: u64,
    /// Date and time.
    pub missing_time: u64,
    /// Success or failure indication, on completed requests.
    pub missing_outcome: u64,
    /// Origination of the event (source IPs).
    pub missing_source: u64,
    /// Identity or name of the affected resource (objectRef or requestURI).
    pub missing_object: u64,
    /// Not required by 10.2.2, but without it stages of one request cannot be joined.
    #[serde(rename = "missingAuditID")]
    pub missing_audit_id: u64,
}

impl Completeness {
    fn count(&mut self, e: &Event<'_>) {
        self.events += 1;
        self.missing_user += u64::from(e.username().is_empty());
        self.missing_verb += u64::from(e.verb().is_empty());
        self.missing_time += u64::from(e.time().is_empty());
        let completed = matches!(e.stage(), "" | "ResponseComplete" | "Panic");
        self.missing_outcome += u64::from(completed && e.code().is_none());
        self.missing_source += u64::from(e.source_ips().is_empty());
        self.missing_object += u64::from(e.object_ref.is_none() && e.uri().is_empty());
        self.missing_audit_id += u64::from(e.audit_id.as_deref().is_none_or(str::is_empty));
    }

    fn merge(&mut self, o: &Completeness) {
        self.events += o.events;
        self.missing_user += o.missing_user;
        self.missing_verb += o.missing_verb;
        self.missing_time += o.missing_time;
        self.missing_outcome += o.missing_outcome;
        self.missing_source += o.missing_source;
        self.missing_object += o.missing_object;
        self.missing_audit_id += o.missing_audit_id;
    }

    /// The 10.2.2 fields some events lack, with counts.
    pub fn gaps(&self) -> Vec<(&'static str, u64)> {
        [
            ("user identification", self.missing_user),
            ("type of event (verb)", self.missing_verb),
            ("date and time", self.missing_time),
            ("success or failure", self.missing_outcome),
            ("origination (source IP)", self.missing_source),
            ("affected resource", self.missing_object),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect()
    }
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: Arc<str>,
    pub line: u64,
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// The earliest and latest event times: (microseconds since the epoch, the time as written).
pub type Window = ((i64, String), (i64, String));

/// Which request an event belongs to: its auditID, or (without one) its own place in the log.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum RequestKey {
    Audit(Box<str>),
    Line(Arc<str>, u64),
}

/// The analysis state of one chunk of events; states merge.
#[derive(Debug, Default)]
pub struct State {
    /// Where each request's alert is in `list`, by rule and request.
    alerts: HashMap<(u16, RequestKey), usize, BuildHasherDefault<Fx>>,
    /// The alerts, in the order they were listed (`None` only for one a merge has taken): the
    /// report's vector is this one, sorted in place, so the end of the run builds no second
    /// copy of tens of thousands of alerts in fresh memory (which the kernel zeroed in the
    /// serial end), and growing the map moves indexes, not alerts.
    list: Vec<Option<Alert>>,
    pub activity: HashMap<String, Activity, BuildHasherDefault<Fx>>,
    pub completeness: Completeness,
    pub diagnostics: Vec<Diagnostic>,
    pub diagnostics_total: u64,
    /// Alerts created since the last [`State::take_fresh`] (for `--follow`).
    fresh: Vec<(u16, RequestKey)>,
    pub track_fresh: bool,
    /// The earliest and latest event times seen (microseconds since the epoch, and as written).
    pub window: Option<Window>,
    /// At most this many alerts are kept (0: no limit); memory stays bounded whatever the
    /// log's size. Further requests that alert are counted per rule in `unlisted`.
    pub max_alerts: usize,
    /// Alerts beyond `max_alerts`, per rule index.
    pub unlisted: BTreeMap<u16, u64>,
    /// Threshold rules' matching requests by rule index and key value.
    hits: HashMap<(u16, Box<str>), Hits, BuildHasherDefault<Fx>>,
    /// How many hits keep an alert sample (at most `max_alerts`).
    hit_samples: usize,
    /// Hashes of the requests counted in `unlisted` (a later stage must not count twice).
    unlisted_keys: HashSet<u64, BuildHasherDefault<PreHashed>>,
    /// Set on a block's state when the state it will be merged into already lists
    /// `max_alerts` alerts: no new alert of this block can be listed, so its alerts go to
    /// `late`, which keeps only what the merge still reads, not the whole alert.
    pub merges_into_full: bool,
    /// The alerts of a block merging into a full state (see `merges_into_full`), by rule and
    /// request: 137k of them per GB in the benchmark's log, each of which had been a whole
    /// (if empty) alert moved, sorted and freed by the merge on the reading thread.
    late: HashMap<(u16, RequestKey), Late, BuildHasherDefault<Fx>>,
    /// The alerts of a state being merged, sorted (kept for its room).
    incoming: Vec<((u16, RequestKey), usize)>,
    /// The texts of the activity's pending uses.
    names: Names,
    /// The minute of the last event time read.
    minute: crate::time::MinuteCache,
}

/// What a merge reads of an alert that can no longer be listed: when its request's alert is
/// already listed (an earlier stage, in an earlier block), the response it lacked, the stage
/// that brought it, and the earlier place in the log; otherwise the request is only counted.
#[derive(Debug)]
struct Late {
    code: Option<i64>,
    decision: crate::event::Decision,
    stage: Option<Cow<'static, str>>,
    file: Arc<str>,
    line: u64,
}

/// A stage as an alert keeps it, without allocating for the four the API server writes.
fn stage_text(stage: Option<&str>) -> Option<Cow<'static, str>> {
    stage.map(|text| match text {
        "RequestReceived" => Cow::Borrowed("RequestReceived"),
        "ResponseStarted" => Cow::Borrowed("ResponseStarted"),
        "ResponseComplete" => Cow::Borrowed("ResponseComplete"),
        "Panic" => Cow::Borrowed("Panic"),
        other => Cow::Owned(other.to_string()),
    })
}

/// The rules and the context, shared by every chunk.
pub struct Engine {
    rules: Vec<Rule>,
    ctx: Context,
    /// The rules an event can match, by its verb and resource: most of a log is list/watch/get
    /// noise on leases, pods and nodes that no rule names, so each event is held only against
    /// the few rules that could match it (the rest of the condition is still checked).
    candidates: Candidates,
    /// Per rule: whether its `verbs` and its `resources` are exact lists, which the candidate
    /// index has already matched (so they are not matched again, pattern by pattern: most of
    /// the glob calls of a run).
    indexed: Vec<(bool, bool)>,
    max_alerts: usize,
}

/// Enabled rules indexed by the verbs and resources their conditions name exactly. A rule
/// without a verb (or resource) condition, or with a `*` in it, is a candidate for every verb
/// (or resource). Within a list the order is the one the engine always used: rules for any
/// verb first, then the rules naming the verb, each in rule order.
#[derive(Default)]
struct Candidates {
    verbs: HashMap<String, usize, BuildHasherDefault<Fx>>,
    resources: HashMap<String, usize, BuildHasherDefault<Fx>>,
    /// `lists[verb * (resources + 1) + resource]`; the last index of each is "any other".
    lists: Vec<Vec<u16>>,
}

/// Exact names a condition list restricts to, or `None` when it matches any value.
fn exact_names(patterns: &[String]) -> Option<&[String]> {
    (!patterns.is_empty() && !patterns.iter().any(|p| p.contains('*'))).then_some(patterns)
}

impl Candidates {
    fn new(rules: &[Rule]) -> Candidates {
        let mut c = Candidates::default();
        for r in rules.iter().filter(|r| r.enabled) {
            for v in exact_names(&r.when.verbs).unwrap_or_default() {
                let n = c.verbs.len();
                c.verbs.entry(v.clone()).or_insert(n);
            }
            for res in exact_names(&r.when.resources).unwrap_or_default() {
                let n = c.resources.len();
                c.resources.entry(res.clone()).or_insert(n);
            }
        }
        let mut verb_names: Vec<Option<&str>> = vec![None; c.verbs.len() + 1];
        for (v, &i) in &c.verbs {
            verb_names[i] = Some(v);
        }
        let mut resource_names: Vec<Option<&str>> = vec![None; c.resources.len() + 1];
        for (res, &i) in &c.resources {
            resource_names[i] = Some(res);
        }
        // A value no rule names (`None`) only meets the rules that accept any value.
        let can = |names: Option<&[String]>, value: Option<&str>| names.is_none_or(|list| value.is_some_and(|v| list.iter().any(|n| n == v)));
        let mut lists = Vec::with_capacity(verb_names.len() * resource_names.len());
        for verb in &verb_names {
            for resource in &resource_names {
                let fits = |r: &Rule| r.enabled && can(exact_names(&r.when.resources), *resource);
                let any_verb = rules.iter().enumerate().filter(|(_, r)| exact_names(&r.when.verbs).is_none() && fits(r));
                let this_verb = rules.iter().enumerate().filter(|(_, r)| exact_names(&r.when.verbs).is_some() && can(exact_names(&r.when.verbs), *verb) && fits(r));
                lists.push(any_verb.chain(this_verb).map(|(i, _)| i as u16).collect());
            }
        }
        c.lists = lists;
        c
    }

    fn of(&self, verb: &str, resource: &str) -> &[u16] {
        let v = self.verbs.get(verb).copied().unwrap_or(self.verbs.len());
        let r = self.resources.get(resource).copied().unwrap_or(self.resources.len());
        self.lists.get(v * (self.resources.len() + 1) + r).map(Vec::as_slice).unwrap_or(&[])
    }
}

impl Engine {
    pub fn new(rules: RuleSet, ctx: Context) -> Engine {
        let rules = rules.rules;
        let candidates = Candidates::new(&rules);
        let indexed = rules.iter().map(|r| (exact_names(&r.when.verbs).is_some(), exact_names(&r.when.resources).is_some())).collect();
        Engine { rules, ctx, candidates, indexed, max_alerts: 0 }
    }

    /// Keep at most `n` alerts (0: no limit); the rest are counted per rule.
    pub fn with_max_alerts(mut self, n: usize) -> Engine {
        self.max_alerts = n;
        self
    }

    pub fn max_alerts(&self) -> usize {
        self.max_alerts
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// Apply the rules to one event read at `file:line`.
    pub fn event(&self, state: &mut State, e: &Event<'_>, file: &Arc<str>, line: u64) {
        state.completeness.count(e);
        let micros = crate::time::parse_micros_cached(e.time(), &mut state.minute);
        if let Some(t) = micros {
            widen(&mut state.window, t, e.time());
        }
        record_activity(state, e, micros);
        let candidates = self.candidates.of(e.verb(), e.resource());
        if candidates.is_empty() {
            return;
        }
        let facts = Facts::new(e, &self.ctx);
        let mut object: Option<Option<Value>> = None;
        let mut command: Option<Vec<String>> = None;
        for &i in candidates {
            let rule = &self.rules[usize::from(i)];
            let (verb_known, resource_known) = self.indexed.get(usize::from(i)).copied().unwrap_or_default();
            if rule.when.fails_quickly(e) || !rule.when.matches_fields_indexed(&facts, &self.ctx, verb_known, resource_known) {
                continue;
            }
            let mut object_holds = |cond: &crate::rules::Cond| {
                if !cond.has_object_predicates() {
                    return true;
                }
                let obj = object.get_or_insert_with(|| e.request_object.and_then(|raw| serde_json::from_str(raw.get()).ok()));
                let cmd = command.get_or_insert_with(|| if e.subresource() == "exec" { exec_command(obj.as_ref(), e.uri()) } else { Vec::new() });
                cond.matches_object(&Subject { object: obj.as_ref(), command: cmd })
            };
            if !object_holds(&rule.when) {
                continue;
            }
            if rule.unless.iter().any(|c| c.matches_fields(&facts, &self.ctx) && object_holds(c)) {
                continue;
            }
            match &rule.threshold {
                Some(t) => self.hit(state, i, rule, t, e, file, line, micros),
                None => self.alert(state, i, rule, e, file, line, micros),
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn alert(&self, state: &mut State, index: u16, rule: &Rule, e: &Event<'_>, file: &Arc<str>, line: u64, micros: Option<i64>) {
        let audit_id = e.audit_id.as_deref().filter(|a| !a.is_empty());
        // One request, one alert: stages of an auditID join; an event without one is its own request.
        let key = match audit_id {
            Some(id) => (index, RequestKey::Audit(Box::from(id))),
            None => (index, RequestKey::Line(file.clone(), line)),
        };
        if state.merges_into_full {
            match state.late.get_mut(&key) {
                // A later stage completes what an earlier one lacked, as for a listed alert.
                Some(late) => {
                    if late.code.is_none() && e.code().is_some() {
                        late.code = e.code();
                        late.decision = e.decision();
                        late.stage = stage_text(e.stage.as_deref());
                    }
                }
                None => {
                    let late = Late { code: e.code(), decision: e.decision(), stage: stage_text(e.stage.as_deref()), file: file.clone(), line };
                    state.late.insert(key, late);
                }
            }
            return;
        }
        if let Some(&at) = state.alerts.get(&key) {
            // A later stage completes what an earlier one lacked (the response code, mostly).
            if let Some(existing) = state.list.get_mut(at).and_then(Option::as_mut)
                && existing.code.is_none()
                && e.code().is_some()
            {
                existing.code = e.code();
                existing.decision = e.decision().as_str().into();
                existing.stage = e.stage.as_deref().map(str::to_string);
            }
            return;
        }
        if !state.admit(&key) {
            return;
        }
        let alert = make_alert(rule, e, file, line, micros);
        if state.track_fresh {
            state.fresh.push(key.clone());
        }
        state.alerts.insert(key, state.list.len());
        state.list.push(Some(alert));
    }

    /// A request a threshold rule matched: counted now, judged at the end.
    #[allow(clippy::too_many_arguments)]
    fn hit(&self, state: &mut State, index: u16, rule: &Rule, t: &crate::rules::Threshold, e: &Event<'_>, file: &Arc<str>, line: u64, micros: Option<i64>) {
        let request = {
            use std::hash::Hash;
            let mut h = Fx::default();
            match e.audit_id.as_deref().filter(|a| !a.is_empty()) {
                Some(id) => id.hash(&mut h),
                None => (file.as_ref(), line).hash(&mut h),
            }
            h.finish()
        };
        let object = match t.distinct {
            Some(crate::rules::Distinct::Object) => {
                use std::hash::Hash;
                let mut h = Fx::default();
                (e.namespace(), e.name()).hash(&mut h);
                h.finish()
            }
            None => 0,
        };
        let keep = state.max_alerts == 0 || state.hit_samples < state.max_alerts;
        let hit = Hit { micros: micros.unwrap_or(i64::MIN), request, object, time: TimeText::new(e.time()), file: file.clone(), line, sample: None };
        let value = t.key.of(e);
        let hits = match state.hits.get_mut(&(index, Box::from(value))) {
            Some(hits) => hits,
            None => state.hits.entry((index, Box::from(value))).or_insert_with(|| Hits { width: t.window_micros().unwrap_or(0), ..Hits::default() }),
        };
        let change = hits.push(hit, |given_up| {
            keep.then(|| match given_up {
                Some(mut alert) => {
                    fill_alert(&mut alert, rule, e, file, line, micros);
                    alert
                }
                None => Box::new(make_alert(rule, e, file, line, micros)),
            })
        });
        state.hit_samples = state.hit_samples.saturating_add_signed(change);
    }

    /// Record a line that could not be read.
    pub fn diagnostic(&self, state: &mut State, file: &Arc<str>, line: u64, message: String) {
        state.diagnostics_total += 1;
        if state.diagnostics.len() < MAX_DIAGNOSTICS {
            state.diagnostics.push(Diagnostic { file: file.clone(), line, message });
        }
    }
}

/// The alert a rule raises on one event.
/// `micros` is the event's time as parsed (`parse_micros(e.time())`), kept for the final sort.
fn make_alert(rule: &Rule, e: &Event<'_>, file: &Arc<str>, line: u64, micros: Option<i64>) -> Alert {
    let mut alert = blank_alert(rule, file);
    fill_alert(&mut alert, rule, e, file, line, micros);
    alert
}

/// Make `alert` the one [`make_alert`] would, reusing the room of its strings (an alert
/// sample of a threshold rule is refilled for nearly every request the rule matches).
fn fill_alert(alert: &mut Alert, rule: &Rule, e: &Event<'_>, file: &Arc<str>, line: u64, micros: Option<i64>) {
    let audit_id = e.audit_id.as_deref().filter(|a| !a.is_empty());
    let impersonated = e.impersonated_user.as_ref().is_some_and(|u| u.username.is_some());
    let Alert {
        rule: id,
        title,
        requirements,
        severity,
        audit_id: alert_audit_id,
        time,
        user,
        impersonator,
        source_ips,
        verb,
        object,
        code,
        decision,
        stage,
        falco,
        panther,
        file: alert_file,
        line: alert_line,
        excepted,
        burst,
        micros: alert_micros,
    } = alert;
    id.clone_from(&rule.id);
    title.clone_from(&rule.title);
    requirements.clone_from(&rule.requirements);
    *severity = rule.severity;
    set_opt_text(alert_audit_id, audit_id);
    set_opt_text(time, Some(e.time()).filter(|t| !t.is_empty()));
    set_safe(user, e.effective_username());
    match impersonator {
        Some(text) if impersonated => set_safe(text, e.username()),
        _ => *impersonator = impersonated.then(|| safe(e.username())),
    }
    let ips = e.source_ips();
    source_ips.truncate(ips.len());
    for (i, ip) in ips.iter().enumerate() {
        match source_ips.get_mut(i) {
            Some(text) => set_safe(text, ip),
            None => source_ips.push(safe(ip)),
        }
    }
    set_safe(verb, e.verb());
    set_safe(&mut object.resource, e.resource());
    set_safe(&mut object.subresource, e.subresource());
    set_safe(&mut object.namespace, e.namespace());
    set_safe(&mut object.name, e.name());
    set_safe(&mut object.api_group, e.api_group());
    set_safe(&mut object.path, e.uri().split('?').next().unwrap_or(""));
    *code = e.code();
    set_text(decision, e.decision().as_str());
    set_opt_text(stage, e.stage.as_deref());
    falco.clone_from(&rule.falco);
    panther.clone_from(&rule.panther);
    if !Arc::ptr_eq(alert_file, file) {
        *alert_file = file.clone();
    }
    *alert_line = line;
    *excepted = None;
    *burst = None;
    *alert_micros = micros;
}

/// An alert with nothing in it yet (no string allocated), for [`fill_alert`].
fn blank_alert(rule: &Rule, file: &Arc<str>) -> Alert {
    Alert {
        rule: String::new(),
        title: String::new(),
        requirements: Vec::new(),
        severity: rule.severity,
        audit_id: None,
        time: None,
        user: String::new(),
        impersonator: None,
        source_ips: Vec::new(),
        verb: String::new(),
        object: ObjectOut { resource: String::new(), subresource: String::new(), namespace: String::new(), name: String::new(), api_group: String::new(), path: String::new() },
        code: None,
        decision: String::new(),
        stage: None,
        falco: None,
        panther: None,
        file: file.clone(),
        line: 0,
        excepted: None,
        burst: None,
        micros: None,
    }
}

/// Text from a log shown to people: card numbers masked (a name or path may hold one).
fn safe(text: &str) -> String {
    if may_hold_card_number(text) { kubepci_pan::redact(text) } else { text.to_string() }
}

fn may_hold_card_number(text: &str) -> bool {
    text.bytes().filter(u8::is_ascii_digit).count() >= 12
}

/// [`safe`] into a string, reusing its room.
fn set_safe(slot: &mut String, text: &str) {
    if may_hold_card_number(text) {
        *slot = kubepci_pan::redact(text);
    } else {
        set_text(slot, text);
    }
}

/// An optional text, reusing the room of the string already there.
fn set_opt_text(slot: &mut Option<String>, text: Option<&str>) {
    match (slot.as_mut(), text) {
        (Some(held), Some(text)) => set_text(held, text),
        (_, text) => *slot = text.map(str::to_string),
    }
}

fn widen(window: &mut Option<Window>, t: i64, text: &str) {
    match window {
        None => *window = Some(((t, text.to_string()), (t, text.to_string()))),
        Some((first, last)) => {
            // Overwritten in place: in a log in time order the last time changes at every event.
            if t < first.0 {
                first.0 = t;
                set_text(&mut first.1, text);
            }
            if t > last.0 {
                last.0 = t;
                set_text(&mut last.1, text);
            }
        }
    }
}

/// Replace a string's text, reusing its buffer.
fn set_text(slot: &mut String, text: &str) {
    slot.clear();
    slot.push_str(text);
}

fn record_activity(state: &mut State, e: &Event<'_>, micros: Option<i64>) {
    let user = e.effective_username();
    if user.is_empty() {
        return;
    }
    let a = match state.activity.get_mut(user) {
        Some(a) => a,
        None => state.activity.entry(user.to_string()).or_insert_with(|| Activity { user: safe(user), ..Activity::default() }),
    };
    if let Some(t) = micros {
        if a.first_micros.is_none_or(|f| t < f) {
            a.first_micros = Some(t);
            set_text(a.first_seen.get_or_insert_default(), e.time());
        }
        if a.last_micros.is_none_or(|l| t > l) {
            a.last_micros = Some(t);
            set_text(a.last_seen.get_or_insert_default(), e.time());
        }
    }
    // Count each request once: at its completion (or when the log has no stage).
    if !matches!(e.stage(), "" | "ResponseComplete" | "Panic") {
        return;
    }
    a.requests += 1;
    let code = e.code();
    a.failures += u64::from(code.is_some_and(|c| c >= 400));
    a.denied += u64::from(matches!(code, Some(401 | 403)));
    match a.verbs.get_mut(e.verb()) {
        Some(n) => *n += 1,
        None => {
            a.verbs.insert(e.verb().to_string(), 1);
        }
    }
    if e.object_ref.is_some() {
        let allowed = e.decision() != crate::event::Decision::Forbid && !code.is_some_and(|c| c == 401 || c == 403);
        let hash = use_hash(e.verb(), e.api_group(), e.resource(), e.subresource(), e.namespace(), allowed);
        // The high bits of the hash (its last step is a multiply) pick the place.
        let slot = (hash >> (64 - RECENT_USES.trailing_zeros())) as usize;
        if hash != 0 && a.recent.get(slot) == Some(&hash) {
            return;
        }
        let new = a.seen.insert(hash);
        if let Some(recent) = a.recent.get_mut(slot) {
            *recent = hash;
        }
        if !new {
            return;
        }
        let names = &mut state.names;
        let texts = [e.verb(), e.api_group(), e.resource(), e.subresource(), e.namespace()].map(|t| names.id(t));
        a.pending.push(PendingUse { hash, texts, allowed });
    }
}

/// A hasher for keys that are already hashes (SipHash over a SipHash was a few % of the run).
#[derive(Default)]
struct PreHashed(u64);

impl Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A fast, deterministic hasher (the multiply-rotate scheme of rustc's FxHash) for the
/// per-event lookups: keys come from the log, but a collision costs only speed, and a use's
/// hash must be the same in every chunk's state.
#[derive(Default)]
pub struct Fx(u64);

impl Fx {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().unwrap_or([0; 8])));
        }
        let mut tail = [0u8; 8];
        let rest = chunks.remainder();
        tail[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(tail) ^ ((rest.len() as u64) << 56));
    }
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}

/// The identity of a [`Use`] (its name aside), the same in every chunk's state.
fn use_hash(verb: &str, api_group: &str, resource: &str, subresource: &str, namespace: &str, allowed: bool) -> u64 {
    use std::hash::Hash;
    let mut h = Fx::default();
    (verb, api_group, resource, subresource, namespace, allowed).hash(&mut h);
    h.finish()
}

impl State {
    /// Reserve room for the alerts the limit lets this state list (up to 65,536, and a few
    /// thousand threshold alerts beside them), so that the list of a merged state never grows
    /// by copying; room not written costs no memory.
    pub fn reserve_listed(&mut self) {
        if self.max_alerts != 0 {
            self.list.reserve(self.max_alerts.min(1 << 16) + 4096);
        }
    }

    /// Whether the state lists as many alerts as it may: alerts of requests it has not seen
    /// are only counted from now on.
    pub fn is_full(&self) -> bool {
        self.max_alerts != 0 && self.alerts.len() >= self.max_alerts
    }

    /// Whether a new alert for `key` may be kept; when the state is full, count it instead.
    fn admit(&mut self, key: &(u16, RequestKey)) -> bool {
        if self.max_alerts == 0 || self.alerts.len() < self.max_alerts {
            return true;
        }
        self.count_unlisted(key);
        false
    }

    /// Count the request of `key` among the alerts not listed (once, whatever its stages).
    fn count_unlisted(&mut self, key: &(u16, RequestKey)) {
        let hash = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            key.hash(&mut h);
            h.finish()
        };
        if self.unlisted_keys.insert(hash) {
            *self.unlisted.entry(key.0).or_default() += 1;
        }
    }

    /// Fold another chunk's state into this one (chunks may come in any order).
    pub fn merge(&mut self, mut other: State) {
        self.merge_from(&mut other);
    }

    /// [`State::merge`], leaving `other` empty with its maps' room kept, so that the state of
    /// the next block reuses it: fresh maps for every 4 MB block had the kernel zeroing new
    /// pages for a good part of the run.
    pub fn merge_from(&mut self, other: &mut State) {
        for (rule, n) in std::mem::take(&mut other.unlisted) {
            *self.unlisted.entry(rule).or_default() += n;
        }
        other.unlisted_keys.clear();
        other.fresh.clear();
        other.hit_samples = 0;
        // Reused from merge to merge: a fresh vector per block was fresh pages to fault in.
        let mut incoming = std::mem::take(&mut self.incoming);
        incoming.extend(other.alerts.drain());
        if self.max_alerts != 0 && self.alerts.len() + incoming.len() > self.max_alerts {
            // Which alerts stay listed must not depend on a hash map's order: the earliest.
            let place = |at: usize| other.list.get(at).and_then(Option::as_ref).map(|a| (a.file.as_ref(), a.line));
            incoming.sort_by(|(ka, a), (kb, b)| (place(*a), ka.0).cmp(&(place(*b), kb.0)));
        }
        for (key, at) in incoming.drain(..) {
            let Some(alert) = other.list.get_mut(at).and_then(Option::take) else { continue };
            if let Some(&mine) = self.alerts.get(&key) {
                if let Some(existing) = self.list.get_mut(mine).and_then(Option::as_mut) {
                    if existing.code.is_none() && alert.code.is_some() {
                        existing.code = alert.code;
                        existing.decision = alert.decision;
                        existing.stage = alert.stage;
                    }
                    if (alert.file.as_ref(), alert.line) < (existing.file.as_ref(), existing.line) {
                        existing.file = alert.file;
                        existing.line = alert.line;
                    }
                }
                continue;
            }
            if self.admit(&key) {
                self.alerts.insert(key, self.list.len());
                self.list.push(Some(alert));
            }
        }
        other.list.clear();
        self.incoming = incoming;
        // A block that merged into a full state: nothing of it is listed. Its requests whose
        // alert is listed already complete it (as a later stage does); the rest are counted.
        for (key, late) in other.late.drain() {
            let listed = self.alerts.get(&key).copied().and_then(|at| self.list.get_mut(at)).and_then(Option::as_mut);
            match listed {
                Some(existing) => {
                    if existing.code.is_none() && late.code.is_some() {
                        existing.code = late.code;
                        existing.decision = late.decision.as_str().into();
                        existing.stage = late.stage.map(Cow::into_owned);
                    }
                    if (late.file.as_ref(), late.line) < (existing.file.as_ref(), existing.line) {
                        existing.file = late.file;
                        existing.line = late.line;
                    }
                }
                None => self.count_unlisted(&key),
            }
        }
        for (key, theirs) in other.hits.drain() {
            let mine = self.hits.entry(key).or_insert_with(|| Hits { width: theirs.width, ..Hits::default() });
            for mut hit in theirs.list {
                if self.max_alerts != 0 && self.hit_samples >= self.max_alerts {
                    hit.sample = None;
                }
                let change = mine.push(hit, |_| None);
                self.hit_samples = self.hit_samples.saturating_add_signed(change);
            }
        }
        // The other state keeps its identities, emptied of what was merged but with the uses
        // they were seen making: a block state used again for a later block records only the
        // uses it has not recorded before (most of an identity's uses repeat from block to
        // block), instead of all of them again.
        for (user, a) in other.activity.iter_mut() {
            let mine = match self.activity.get_mut(user) {
                Some(mine) => mine,
                None => self.activity.entry(user.clone()).or_insert_with(|| Activity { user: a.user.clone(), ..Activity::default() }),
            };
            let (first_micros, first_seen) = (a.first_micros.take(), a.first_seen.take());
            if first_micros.is_some() && (mine.first_micros.is_none() || first_micros < mine.first_micros) {
                mine.first_micros = first_micros;
                mine.first_seen = first_seen;
            }
            let (last_micros, last_seen) = (a.last_micros.take(), a.last_seen.take());
            if last_micros > mine.last_micros {
                mine.last_micros = last_micros;
                mine.last_seen = last_seen;
            }
            mine.requests += std::mem::take(&mut a.requests);
            mine.failures += std::mem::take(&mut a.failures);
            mine.denied += std::mem::take(&mut a.denied);
            for (v, n) in std::mem::take(&mut a.verbs) {
                *mine.verbs.entry(v).or_default() += n;
            }
            // Only the uses this identity has not been seen making: inserting the rest into
            // the ordered set compared strings for nothing.
            for used in std::mem::take(&mut a.uses) {
                if mine.seen.insert(use_hash(&used.verb, &used.api_group, &used.resource, &used.subresource, &used.namespace, used.allowed)) {
                    mine.uses.insert(used);
                }
            }
            for p in a.pending.drain(..) {
                if mine.seen.insert(p.hash) {
                    mine.uses.insert(other.names.use_of(&p));
                }
            }
        }
        // Memory stays bounded: a state with many identities, or many texts, starts afresh.
        if other.activity.len() > MAX_KEPT_IDENTITIES || other.names.texts.len() > Names::MAX {
            other.activity.clear();
            other.names = Names::default();
        }
        if let Some(((t0, s0), (t1, s1))) = other.window.take() {
            widen(&mut self.window, t0, &s0);
            widen(&mut self.window, t1, &s1);
        }
        self.completeness.merge(&std::mem::take(&mut other.completeness));
        self.diagnostics_total += std::mem::take(&mut other.diagnostics_total);
        for d in other.diagnostics.drain(..) {
            if self.diagnostics.len() < MAX_DIAGNOSTICS {
                self.diagnostics.push(d);
            }
        }
    }

    /// Alerts first seen since the last call, in the order they were seen.
    pub fn take_fresh(&mut self) -> Vec<Alert> {
        let keys = std::mem::take(&mut self.fresh);
        keys.iter().filter_map(|k| self.alerts.get(k).and_then(|&at| self.list.get(at)).and_then(Clone::clone)).collect()
    }

    pub fn alert_count(&self) -> usize {
        self.alerts.len()
    }

    /// Alerts in time order (then file and line), activity by user.
    pub fn into_parts(mut self, rules: &[Rule]) -> Parts {
        let mut list = std::mem::take(&mut self.list);
        for ((index, value), hits) in std::mem::take(&mut self.hits) {
            let Some(rule) = rules.get(usize::from(index)) else { continue };
            let Some(t) = &rule.threshold else { continue };
            let (alerted, missed) = bursts(hits.list, t, &value);
            list.extend(alerted.into_iter().map(|a| Some(*a)));
            if missed > 0 {
                *self.unlisted.entry(index).or_default() += missed;
            }
        }
        // Sorted through an order of indexes, then moved into place (each alert at most once):
        // sorting the alerts themselves moved each of them many times. Each alert's time was
        // parsed with its event (parsing tens of thousands again here was in the serial end).
        // The time sits beside each index, so most comparisons do not reach into the list.
        let key = |at: usize| list.get(at).and_then(Option::as_ref).map(|a| (a.micros, &a.file, a.line, &a.rule));
        let mut timed: Vec<(Option<i64>, usize)> = list.iter().enumerate().map(|(at, a)| (a.as_ref().and_then(|a| a.micros), at)).collect();
        timed.sort_by(|(ta, a), (tb, b)| ta.cmp(tb).then_with(|| key(*a).cmp(&key(*b))));
        let mut order: Vec<usize> = timed.into_iter().map(|(_, at)| at).collect();
        permute(&mut list, &mut order);
        // Collected in place (an `Option<Alert>` is an `Alert`'s size): no second vector.
        // `flatten` would be the same list but collects into a new vector.
        #[allow(clippy::filter_map_identity)]
        let alerts: Vec<Alert> = list.into_iter().filter_map(|a| a).collect();
        let names = &self.names;
        let mut activity: Vec<Activity> = self.activity.into_values().map(|mut a| {
            a.settle(names);
            a
        }).collect();
        activity.sort_by(|a, b| a.user.cmp(&b.user));
        let mut diagnostics = self.diagnostics;
        diagnostics.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        let unlisted = self.unlisted.iter().filter_map(|(i, n)| rules.get(usize::from(*i)).map(|r| (r.id.clone(), (r.severity, *n)))).collect();
        Parts { alerts, activity, completeness: self.completeness, diagnostics, diagnostics_total: self.diagnostics_total, window: self.window, unlisted }
    }
}

/// Put `items` in the order `order` gives (`order[k]`: the index of the item that goes to
/// position `k`), following each cycle of the permutation with swaps: every item moves once.
/// `order` is used up (each entry is set to its own position as it is placed).
fn permute<T>(items: &mut [T], order: &mut [usize]) {
    for start in 0..order.len().min(items.len()) {
        let mut at = start;
        loop {
            let from = order[at];
            order[at] = at;
            if from == start || from == at || from >= items.len() {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

/// A threshold rule's hits for one key value, judged: one alert per window (opened by the first
/// request after the previous window, `window` long) holding at least `count` requests; and how
/// many such windows had no alert sample left to show (counted, not listed).
#[allow(clippy::vec_box)] // the samples were boxed while held; they join the boxed alerts
fn bursts(mut hits: Vec<Hit>, t: &crate::rules::Threshold, value: &str) -> (Vec<Box<Alert>>, u64) {
    hits.sort_by(|a, b| (a.micros, &a.file, a.line).cmp(&(b.micros, &b.file, b.line)));
    // Stages of one request count once (the earliest kept).
    let mut seen: HashSet<u64, BuildHasherDefault<PreHashed>> = HashSet::default();
    hits.retain(|h| seen.insert(h.request));
    let width = t.window_micros().unwrap_or(0);
    let (mut alerts, mut missed) = (Vec::new(), 0);
    let mut start = 0;
    while start < hits.len() {
        let end_time = hits[start].micros.saturating_add(width);
        let len = hits[start..].iter().take_while(|h| h.micros < end_time).count().max(1);
        let window = &mut hits[start..start + len];
        let count = match t.distinct {
            Some(_) => window.iter().map(|h| h.object).collect::<HashSet<u64, BuildHasherDefault<PreHashed>>>().len() as u64,
            None => len as u64,
        };
        if count >= u64::from(t.count) {
            let text = |h: &Hit| Some(h.time.as_str().to_string()).filter(|t| !t.is_empty());
            let burst = Burst {
                key: t.key.as_str(),
                value: safe(value),
                count,
                distinct: t.distinct.map(crate::rules::Distinct::as_str),
                requests: t.distinct.map(|_| len as u64),
                first_time: text(&window[0]),
                last_time: text(&window[len - 1]),
            };
            match window.iter_mut().find_map(|h| h.sample.take()) {
                Some(mut alert) => {
                    alert.burst = Some(Box::new(burst));
                    alerts.push(alert);
                }
                None => missed += 1,
            }
        }
        start += len;
    }
    (alerts, missed)
}

/// A finished analysis's contents.
pub struct Parts {
    pub alerts: Vec<Alert>,
    pub activity: Vec<Activity>,
    pub completeness: Completeness,
    pub diagnostics: Vec<Diagnostic>,
    pub diagnostics_total: u64,
    pub window: Option<Window>,
    /// Alerts not kept (beyond the limit), by rule id: severity and count.
    pub unlisted: BTreeMap<String, (Severity, u64)>,
}

/// An accepted risk from kubepci.yaml `exceptions`, as it applies to audit alerts: `check` is
/// the rule id (`*` wildcards), `object` matches the alert's object key
/// (`resource[/subresource]/namespace/name`) or `user:NAME`.
#[derive(Clone, Debug, Default)]
pub struct AlertException {
    pub rule: String,
    pub object: String,
    pub reason: String,
    pub approved_by: String,
    /// `YYYY-MM-DD`; the exception no longer applies after it.
    pub expires: Option<String>,
}

/// Mark the alerts that an exception in force on `today` (`YYYY-MM-DD`) covers.
pub fn apply_exceptions(alerts: &mut [Alert], exceptions: &[AlertException], today: &str) {
    for alert in alerts {
        let key = alert.object.key();
        let user = format!("user:{}", alert.user);
        let hit = exceptions.iter().find(|x| {
            x.expires.as_deref().is_none_or(|d| d >= today)
                && crate::rules::glob(&x.rule, &alert.rule)
                && (crate::rules::glob(&x.object, &key) || crate::rules::glob(&x.object, &user))
        });
        if let Some(x) = hit {
            alert.excepted = Some(Excepted { reason: x.reason.clone(), approved_by: x.approved_by.clone() });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refilled_alert_is_the_alert_made_afresh() {
        let rules = RuleSet::builtin().rules;
        let lines = [
            r#"{"auditID":"a1","stage":"ResponseComplete","verb":"get","user":{"username":"alice","groups":["dev"]},"impersonatedUser":{"username":"bob"},"sourceIPs":["203.0.113.9","10.0.0.1","::1"],"objectRef":{"resource":"secrets","namespace":"shop","name":"db","apiGroup":""},"requestURI":"/api/v1/namespaces/shop/secrets/db?x=1","responseStatus":{"code":403},"requestReceivedTimestamp":"2026-12-01T10:00:00Z","annotations":{"authorization.k8s.io/decision":"forbid"}}"#,
            r#"{"verb":"list","user":{"username":"4111111111111111"},"objectRef":{"resource":"pods","subresource":"log"},"requestURI":"/api/v1/pods"}"#,
            r#"{"auditID":"a3","stage":"ResponseStarted","verb":"create","user":{"username":"carol"},"sourceIPs":["198.51.100.1"],"objectRef":{"resource":"pods","subresource":"exec","namespace":"payments","name":"api"},"responseStatus":{"code":101},"stageTimestamp":"2026-12-01T10:00:01.5Z"}"#,
        ];
        let events: Vec<Event<'_>> = lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
        let file: Arc<str> = Arc::from("a.log");
        let other: Arc<str> = Arc::from("b.log");
        for (i, e) in events.iter().enumerate() {
            for (j, before) in events.iter().enumerate() {
                let rule = &rules[i % rules.len()];
                let mut refilled = make_alert(&rules[(j + 7) % rules.len()], before, &other, 99, None);
                fill_alert(&mut refilled, rule, e, &file, i as u64, Some(5));
                assert_eq!(format!("{refilled:?}"), format!("{:?}", make_alert(rule, e, &file, i as u64, Some(5))));
            }
        }
    }

    #[test]
    fn permute_puts_every_item_where_the_order_says() {
        // Orders of several shapes: identity, reversed, rotations, and pseudo-random ones.
        let mut seed = 7u64;
        for n in [0usize, 1, 2, 3, 10, 100, 1000] {
            let mut orders: Vec<Vec<usize>> = vec![(0..n).collect(), (0..n).rev().collect(), (0..n).map(|i| (i + 1) % n.max(1)).collect()];
            for _ in 0..5 {
                let mut o: Vec<usize> = (0..n).collect();
                for i in (1..n).rev() {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    o.swap(i, (seed >> 33) as usize % (i + 1));
                }
                orders.push(o);
            }
            for order in orders {
                let items: Vec<String> = (0..n).map(|i| format!("item{i}")).collect();
                let expected: Vec<String> = order.iter().map(|&i| items[i].clone()).collect();
                let mut permuted = items.clone();
                permute(&mut permuted, &mut order.clone());
                assert_eq!(permuted, expected, "n = {n}");
            }
        }
        // The final list is collected in place only if an absent alert costs no room.
        assert_eq!(std::mem::size_of::<Option<Alert>>(), std::mem::size_of::<Alert>());
    }
    use crate::rules::RuleSet;

    const BURST_RULE: &str = r#"
rules:
  - id: T-403-BURST
    title: 403s from one address
    requirements: ["10.2.1.4"]
    severity: medium
    description: d
    match: {codes: [403]}
    threshold: {count: 3, window: 10m, key: sourceIP}
"#;

    fn engine() -> Engine {
        Engine::new(RuleSet::load(&[("burst.yaml".into(), BURST_RULE.into())]).unwrap(), Context::default())
    }

    #[test]
    fn activity_is_the_same_whether_merged_from_chunks_or_recorded_in_one_state() {
        let line = |user: &str, verb: &str, resource: &str, ns: &str, code: u32, minute: u32| {
            format!(r#"{{"verb":"{verb}","user":{{"username":"{user}"}},"objectRef":{{"resource":"{resource}","namespace":"{ns}"}},"responseStatus":{{"code":{code}}},"requestReceivedTimestamp":"2026-12-01T10:{minute:02}:00Z"}}"#)
        };
        let lines = [
            line("alice", "get", "secrets", "shop", 200, 1),
            line("bob", "list", "pods", "", 200, 2),
            line("alice", "get", "secrets", "shop", 200, 3),
            line("alice", "delete", "pods", "shop", 403, 4),
            line("bob", "list", "pods", "", 200, 5),
            line("alice", "get", "secrets", "billing", 200, 6),
            line("bob", "get", "secrets", "shop", 200, 7),
        ];
        let engine = engine();
        let file: Arc<str> = Arc::from("a.log");
        let feed = |state: &mut State, range: std::ops::Range<usize>| {
            for i in range {
                crate::parse::parse_document(lines[i].as_bytes(), &mut |e| engine.event(state, e, &file, i as u64 + 1)).unwrap();
            }
        };
        let mut whole = State::default();
        feed(&mut whole, 0..lines.len());
        // Chunks of one, two and four lines, merged through one reused chunk state, as the reader does.
        let mut merged = State::default();
        let mut chunk = State::default();
        for range in [0..1, 1..3, 3..7] {
            feed(&mut chunk, range);
            merged.merge_from(&mut chunk);
        }
        let json = |s: State| serde_json::to_string(&s.into_parts(engine.rules()).activity).unwrap();
        let (whole, merged) = (json(whole), json(merged));
        assert_eq!(whole, merged);
        assert!(whole.contains(r#""namespace":"billing""#) && whole.contains(r#""allowed":false"#), "{whole}");
    }

    #[test]
    fn uses_are_recorded_once_however_they_interleave() {
        // More distinct uses than an identity's record of recent ones holds, repeated in
        // rounds and in another order: each use listed once, every request counted.
        let namespaces: Vec<String> = (0..3 * RECENT_USES).map(|i| format!("ns-{i}")).collect();
        let engine = engine();
        let file: Arc<str> = Arc::from("a.log");
        let mut state = State::default();
        let mut line = 0;
        for round in 0..4 {
            for k in 0..namespaces.len() {
                let ns = &namespaces[if round % 2 == 0 { k } else { namespaces.len() - 1 - k }];
                let text = format!(r#"{{"verb":"get","user":{{"username":"ctrl"}},"objectRef":{{"resource":"pods","namespace":"{ns}"}},"responseStatus":{{"code":200}}}}"#);
                line += 1;
                crate::parse::parse_document(text.as_bytes(), &mut |e| engine.event(&mut state, e, &file, line)).unwrap();
            }
        }
        let activity = state.into_parts(engine.rules()).activity;
        assert_eq!(activity.len(), 1);
        assert_eq!(activity[0].requests, 4 * namespaces.len() as u64);
        let listed: Vec<&str> = activity[0].uses.iter().map(|u| u.namespace.as_str()).collect();
        let mut expected: Vec<&str> = namespaces.iter().map(String::as_str).collect();
        expected.sort();
        assert_eq!(listed, expected);
    }

    /// A 403 for `ip` at minute `minute` (of 2026-12-01T10:00Z), request `id`, stage `stage`.
    fn denied(ip: &str, minute: u32, id: &str, stage: &str) -> String {
        format!(
            r#"{{"auditID":"{id}","stage":"{stage}","verb":"list","user":{{"username":"mallory"}},"sourceIPs":["{ip}"],"objectRef":{{"resource":"secrets"}},"responseStatus":{{"code":403}},"requestReceivedTimestamp":"2026-12-01T10:{minute:02}:00Z"}}"#
        )
    }

    fn bursts_of(lines: &[String]) -> Vec<Alert> {
        let engine = engine();
        let file: Arc<str> = Arc::from("audit.log");
        // Every line its own chunk: windows must add up across merged states.
        let mut state = State::default();
        for (i, line) in lines.iter().enumerate() {
            let mut chunk = State::default();
            crate::parse::parse_document(line.as_bytes(), &mut |e| engine.event(&mut chunk, e, &file, i as u64 + 1)).unwrap();
            state.merge(chunk);
        }
        state.into_parts(engine.rules()).alerts.into_iter().filter(|a| a.rule == "T-403-BURST").collect()
    }

    #[test]
    fn a_threshold_alerts_once_at_the_count_within_the_window() {
        let two: Vec<String> = (0..2).map(|i| denied("203.0.113.9", i, &format!("r{i}"), "ResponseComplete")).collect();
        assert!(bursts_of(&two).is_empty(), "N-1 requests: no alert");

        let mut three = two.clone();
        three.push(denied("203.0.113.9", 9, "r2", "ResponseComplete"));
        let alerts = bursts_of(&three);
        assert_eq!(alerts.len(), 1, "N requests: one alert");
        let burst = alerts[0].burst.as_ref().unwrap();
        let json = serde_json::to_value(burst).unwrap();
        assert!(json.get("distinct").is_none() && json.get("requests").is_none(), "{json}");
        assert_eq!((burst.key, burst.value.as_str(), burst.count), ("sourceIP", "203.0.113.9", 3));
        assert_eq!(burst.first_time.as_deref(), Some("2026-12-01T10:00:00Z"));
        assert_eq!(burst.last_time.as_deref(), Some("2026-12-01T10:09:00Z"));
        assert_eq!((alerts[0].audit_id.as_deref(), alerts[0].line), (Some("r0"), 1));

        // More requests in the same window: still one alert, with the count.
        let mut five = three.clone();
        five.extend((3..5).map(|i| denied("203.0.113.9", 5, &format!("r{i}"), "ResponseComplete")));
        let alerts = bursts_of(&five);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].burst.as_ref().unwrap().count, 5);
    }

    #[test]
    fn requests_outside_the_window_other_keys_and_stages_do_not_add_up() {
        // Two at 10:00, the third at 10:10: the window (10 minutes from the first) has closed.
        let late = vec![denied("203.0.113.9", 0, "a", "ResponseComplete"), denied("203.0.113.9", 0, "b", "ResponseComplete"), denied("203.0.113.9", 10, "c", "ResponseComplete")];
        assert!(bursts_of(&late).is_empty());
        // Three requests from three addresses.
        let spread: Vec<String> = (0..3).map(|i| denied(&format!("203.0.113.{i}"), 1, &format!("s{i}"), "ResponseComplete")).collect();
        assert!(bursts_of(&spread).is_empty());
        // Two stages of each of two requests are two requests, not four.
        let stages: Vec<String> = ["x", "y"].iter().flat_map(|id| ["ResponseStarted", "ResponseComplete"].map(|st| denied("203.0.113.9", 2, id, st))).collect();
        assert!(bursts_of(&stages).is_empty());
        // Two full windows: two alerts.
        let twice: Vec<String> = (0..6).map(|i| denied("203.0.113.9", if i < 3 { 0 } else { 30 }, &format!("w{i}"), "ResponseComplete")).collect();
        let alerts = bursts_of(&twice);
        assert_eq!(alerts.len(), 2);
        assert!(alerts.iter().all(|a| a.burst.as_ref().unwrap().count == 3));
    }

    #[test]
    fn samples_follow_the_bursts_not_the_requests() {
        // 600 requests six seconds apart from one address (10:00 to 10:59:54): six windows of
        // ten minutes, a hundred requests each; merged one chunk per request.
        let engine = engine();
        let file: Arc<str> = Arc::from("audit.log");
        let mut state = State::default();
        for i in 0..600u32 {
            let at = format!("2026-12-01T10:{:02}:{:02}Z", i / 10, i % 10 * 6);
            let line = denied("203.0.113.9", 0, &format!("q{i}"), "ResponseComplete").replace("2026-12-01T10:00:00Z", &at);
            let mut chunk = State::default();
            crate::parse::parse_document(line.as_bytes(), &mut |e| engine.event(&mut chunk, e, &file, u64::from(i) + 1)).unwrap();
            state.merge(chunk);
        }
        // Two threshold rules match: this test's (twelve five-minute buckets) and the shipped
        // AUD-403-BURST-PUBLIC-IP (four fifteen-minute buckets); each keeps two samples per bucket.
        assert_eq!(state.hit_samples, 2 * 12 + 2 * 4, "samples held for 600 requests");
        let alerts: Vec<Alert> = state.into_parts(engine.rules()).alerts.into_iter().filter(|a| a.rule == "T-403-BURST").collect();
        assert_eq!(alerts.len(), 6);
        assert!(alerts.iter().all(|a| a.burst.as_ref().unwrap().count == 100));
    }

    /// The shipped AUD-SECRET-BULK-READ alerts for `reads` successful `get secrets` by one
    /// person, a second apart, of the Secrets `name(i)` in namespace `shop`.
    fn bulk_reads(reads: u32, name: impl Fn(u32) -> String) -> Vec<Alert> {
        let engine = Engine::new(RuleSet::builtin(), Context::default());
        let file: Arc<str> = Arc::from("audit.log");
        let mut state = State::default();
        for i in 0..reads {
            let line = format!(
                r#"{{"auditID":"b{i}","stage":"ResponseComplete","verb":"get","user":{{"username":"mallory@example.com"}},"sourceIPs":["10.0.0.9"],"objectRef":{{"resource":"secrets","namespace":"shop","name":"{}"}},"responseStatus":{{"code":200}},"requestReceivedTimestamp":"2026-12-01T10:{:02}:{:02}Z"}}"#,
                name(i),
                i / 60,
                i % 60
            );
            crate::parse::parse_document(line.as_bytes(), &mut |e| engine.event(&mut state, e, &file, u64::from(i) + 1)).unwrap();
        }
        state.into_parts(engine.rules()).alerts.into_iter().filter(|a| a.rule == "AUD-SECRET-BULK-READ").collect()
    }

    #[test]
    fn bulk_secret_access_counts_distinct_secrets_not_reads() {
        assert!(bulk_reads(100, |_| "db-password".into()).is_empty(), "the same Secret read 100 times is not bulk access");
        assert!(bulk_reads(100, |i| format!("s{}", i % 14)).is_empty(), "14 distinct Secrets stay under the threshold of 15");
        let alerts = bulk_reads(50, |i| format!("s{i}"));
        assert_eq!(alerts.len(), 1, "50 different Secrets in 50 seconds: one burst");
        let burst = alerts[0].burst.as_ref().unwrap();
        assert_eq!((burst.key, burst.value.as_str(), burst.count, burst.distinct, burst.requests), ("user", "mallory@example.com", 50, Some("object"), Some(50)));
        // Its JSON says what was counted; request-counting thresholds keep their shape.
        let json = serde_json::to_value(burst).unwrap();
        assert_eq!((json["distinct"].as_str(), json["requests"].as_u64()), (Some("object"), Some(50)));
    }

    #[test]
    fn candidates_keep_the_rules_that_can_match_in_engine_order() {
        let rules = r#"
disable: []
rules:
  - {id: A-ANY, title: t, requirements: ["10.2.1"], severity: low, description: d, match: {}}
  - {id: B-GET-SECRETS, title: t, requirements: ["10.2.1"], severity: low, description: d, match: {verbs: [get], resources: [secrets]}}
  - {id: C-GLOB-VERB, title: t, requirements: ["10.2.1"], severity: low, description: d, match: {verbs: ["g*"], resources: [pods]}}
  - {id: D-ANY-RESOURCE, title: t, requirements: ["10.2.1"], severity: low, description: d, match: {verbs: [get, delete]}}
"#;
        let engine = Engine::new(RuleSet::load(&[("c.yaml".into(), rules.into())]).unwrap(), Context::default());
        let ids = |verb: &str, resource: &str| -> Vec<&str> { engine.candidates.of(verb, resource).iter().map(|&i| engine.rules[usize::from(i)].id.as_str()).filter(|id| !id.starts_with("AUD-")).collect() };
        // Rules for any verb first (in rule order), then those naming the verb.
        assert_eq!(ids("get", "secrets"), ["A-ANY", "B-GET-SECRETS", "D-ANY-RESOURCE"]);
        assert_eq!(ids("get", "pods"), ["A-ANY", "C-GLOB-VERB", "D-ANY-RESOURCE"]);
        // A verb or resource no rule names meets only the rules open to any value.
        assert_eq!(ids("watch", "leases"), ["A-ANY"]);
        assert_eq!(ids("delete", "leases"), ["A-ANY", "D-ANY-RESOURCE"]);
        assert_eq!(ids("gather", "pods"), ["A-ANY", "C-GLOB-VERB"]);
    }

    #[test]
    fn a_block_merging_into_a_full_state_gives_what_whole_alerts_give() {
        let rules = "rules:\n  - {id: X-SECRETS, title: t, requirements: [\"10.2.1\"], severity: low, description: d, match: {resources: [secrets]}}\n";
        let engine = Engine::new(RuleSet::load(&[("x.yaml".into(), rules.into())]).unwrap(), Context::default()).with_max_alerts(1);
        let line = |id: &str, stage: &str, code: &str| format!(r#"{{"auditID":"{id}","stage":"{stage}","verb":"get","user":{{"username":"eve"}},"objectRef":{{"resource":"secrets","name":"s"}}{code},"requestReceivedTimestamp":"2026-12-01T10:00:00Z"}}"#);
        let file: Arc<str> = Arc::from("audit.log");
        let run = |place_holders: bool| {
            let mut state = State { max_alerts: 1, ..State::default() };
            let mut first = State::default();
            crate::parse::parse_document(line("r1", "ResponseStarted", "").as_bytes(), &mut |e| engine.event(&mut first, e, &file, 1)).unwrap();
            state.merge(first);
            assert!(state.is_full());
            // The second block: the rest of r1 (its response) and a new request r2.
            let mut second = State { merges_into_full: place_holders, ..State::default() };
            crate::parse::parse_document(line("r1", "ResponseComplete", r#","responseStatus":{"code":200}"#).as_bytes(), &mut |e| engine.event(&mut second, e, &file, 2)).unwrap();
            crate::parse::parse_document(line("r2", "ResponseComplete", r#","responseStatus":{"code":200}"#).as_bytes(), &mut |e| engine.event(&mut second, e, &file, 3)).unwrap();
            state.merge(second);
            let parts = state.into_parts(engine.rules());
            (serde_json::to_string(&parts.alerts).unwrap(), parts.unlisted)
        };
        let (alerts, unlisted) = run(true);
        assert_eq!((alerts.clone(), unlisted.clone()), run(false));
        assert!(alerts.contains(r#""code":200"#) && alerts.contains(r#""user":"eve""#), "{alerts}");
        assert_eq!(unlisted.get("X-SECRETS").map(|(_, n)| *n), Some(1));
    }

    #[test]
    fn threshold_rules_are_checked_when_loaded() {
        let bad = |t: &str| RuleSet::load(&[("t.yaml".into(), BURST_RULE.replace("{count: 3, window: 10m, key: sourceIP}", t))]).unwrap_err().0;
        assert!(bad("{count: 0, window: 10m, key: user}").contains("at least 1"));
        assert!(bad("{count: 3, window: soon, key: user}").contains("not a duration"));
        assert!(bad("{count: 3, window: 10m, key: namespace}").starts_with("t.yaml:"));
        assert!(bad("{count: 3, window: 10m, key: user, distinct: request}").starts_with("t.yaml:"));
    }
}
