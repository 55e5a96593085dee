//! The validating admission webhook: `POST /validate` with an AdmissionReview v1 (dry-run
//! requests too), over HTTPS with a certificate reloaded when its files change.
//!
//! The object under review is evaluated with the same checks as a scan, in the context of the
//! live inventory: the watched objects of its namespace and every Namespace (its scope,
//! NetworkPolicies, ServiceAccounts, exceptions and approvals from `kubepci.yaml`), with the
//! incoming object in place of its stored version. Each failure on the object gets the action
//! `admission.rules` in `kubepci.yaml` gives it (default: deny critical failures in CDE
//! namespaces, warn elsewhere). Answers carry the check ids, the requirement numbers and the
//! fix. A body that is not an AdmissionReview is answered 400.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use kube::core::GroupVersionKind;
use kube::core::admission::Operation;
use kubepci_findings::{Finding, Status};
use kubepci_inventory::Inventory;
use kubepci_inventory::config::AdmissionAction;
use kubepci_model::{Object, SourceLoc, decode_value};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use tokio_rustls::rustls;

use super::Base;

/// An AdmissionReview as the webhook reads it. The fields kube-rs' `AdmissionReview` requires
/// are required here too (a body without them is not an AdmissionReview: 400); the object is
/// parsed once, into a JSON value that becomes the model's object.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReviewBody {
    api_version: String,
    kind: String,
    request: Option<ReviewRequest>,
}

/// The request of an AdmissionReview: what the answer needs and the object under review.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewRequest {
    /// The AdmissionReview's `apiVersion` and `kind`, answered in kind.
    #[serde(skip)]
    pub types: (String, String),
    pub uid: String,
    pub kind: GroupVersionKind,
    #[allow(dead_code)] // required, as by the apiserver's schema; not read
    resource: IgnoredAny,
    #[serde(default)]
    pub namespace: Option<String>,
    pub operation: Operation,
    #[allow(dead_code)] // required, as by the apiserver's schema; not read
    user_info: IgnoredAny,
    #[serde(default)]
    pub object: Option<serde_json::Value>,
    #[serde(default)]
    pub dry_run: bool,
}

/// Decode an AdmissionReview body into its request.
pub fn decode(body: &[u8]) -> Result<ReviewRequest, String> {
    let review: ReviewBody = serde_json::from_slice(body).map_err(|e| format!("not an AdmissionReview: {e}"))?;
    let mut request = review.request.ok_or("not an AdmissionReview request: no request")?;
    request.types = (review.api_version, review.kind);
    Ok(request)
}

/// The answer to one review, and what it was.
pub struct Reviewed {
    pub response: ReviewResponse,
    /// `allowed`, `warned`, `denied`.
    pub decision: &'static str,
}

/// An AdmissionReview response, serialised as kube-rs' `AdmissionResponse::into_review` does.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewResponse {
    api_version: String,
    kind: String,
    response: ResponseBody,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ResponseBody {
    uid: String,
    allowed: bool,
    status: ResponseStatus,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    audit_annotations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warnings: Option<Vec<String>>,
}

#[derive(Debug, Default, Serialize)]
struct ResponseStatus {
    #[serde(skip_serializing_if = "String::is_empty")]
    message: String,
}

impl ReviewResponse {
    fn allow(request: &ReviewRequest) -> ReviewResponse {
        let (api_version, kind) = request.types.clone();
        let response = ResponseBody { uid: request.uid.clone(), allowed: true, status: ResponseStatus::default(), audit_annotations: BTreeMap::new(), warnings: None };
        ReviewResponse { api_version, kind, response }
    }

    /// The JSON body.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// Per namespace (`None`: cluster-scoped objects), what a review of an object there is judged
/// with: the namespace's watched objects and every Namespace, in store order, indexed into an
/// inventory once ([`Prepared`]) and kept for the reviews that follow until a watch change to
/// the namespace's objects or to any Namespace (or a relist). A review takes a prepared
/// context for itself and gives it back when done, so reviews of one namespace on different
/// threads each have their own (at most one per review thread stays kept).
#[derive(Default)]
pub struct ReviewContexts {
    built: Mutex<ContextSlots>,
}

#[derive(Default)]
struct ContextSlots {
    slots: HashMap<Option<String>, Slot>,
    /// Numbers the slots, so that a context built before a change is not given back after it.
    next_generation: u64,
    /// A clock for choosing the least recently used slot to forget.
    uses: u64,
}

/// The prepared contexts of one namespace not in use, and which build of it they are.
struct Slot {
    generation: u64,
    idle: Vec<Prepared>,
    last_used: u64,
}

/// Namespaces whose prepared contexts are kept at most (each holds a copy of its objects and
/// every Namespace): the least recently reviewed one is forgotten beyond.
const KEPT_CONTEXTS: usize = 32;
/// Prepared contexts kept per namespace at most: one per review thread is enough.
const KEPT_PER_CONTEXT: usize = 4;

/// The generation of a prepared context never given back.
const STALE: u64 = u64::MAX;

/// A namespace's context ready for reviews: its objects indexed once, and the shared
/// analyses reviews computed that hold for any object a later review brings (those built
/// from other kinds than the reviewed ones). A review adds its object to the inventory (or
/// puts it in place of its stored version), judges it, and takes it out again.
pub struct Prepared {
    namespace: Option<String>,
    generation: u64,
    inventory: Inventory,
    analyses: kubepci_checks::SharedAnalyses,
}

impl Prepared {
    /// The context's objects, in store order.
    pub fn objects(&self) -> &[Object] {
        &self.inventory.objects
    }
}

/// The objects of each watched kind (`Kind.apiVersion` → `namespace/name` → object).
pub type Stores = BTreeMap<String, BTreeMap<String, Object>>;

impl ReviewContexts {
    /// A prepared context of `namespace`, for one review: a kept one, or one built from the
    /// stores. `stores` is locked only to build one: the watch changes the stores and calls
    /// [`ReviewContexts::changed`] under the same lock, so a context built from the stores is
    /// never older than the last change it was told of. Give it back with
    /// [`ReviewContexts::give_back`].
    pub fn take(&self, namespace: Option<&str>, stores: &Mutex<Stores>, config: &kubepci_inventory::Config) -> Prepared {
        let key = namespace.map(str::to_string);
        {
            let mut built = self.built.lock().expect("contexts");
            let ContextSlots { slots, uses, .. } = &mut *built;
            if let Some(slot) = slots.get_mut(&key) {
                *uses += 1;
                slot.last_used = *uses;
                if let Some(prepared) = slot.idle.pop() {
                    return prepared;
                }
            }
        }
        let (objects, generation) = {
            let stores = stores.lock().expect("stores");
            let objects: Vec<Object> =
                stores.values().flat_map(BTreeMap::values).filter(|o| o.kind() == "Namespace" || (o.namespace().is_some() && o.namespace() == namespace)).cloned().collect();
            let mut built = self.built.lock().expect("contexts");
            let built = &mut *built;
            built.uses += 1;
            let generation = match built.slots.get_mut(&key) {
                Some(slot) => slot.generation,
                None => {
                    if built.slots.len() >= KEPT_CONTEXTS
                        && let Some(oldest) = built.slots.iter().min_by_key(|(_, s)| s.last_used).map(|(k, _)| k.clone())
                    {
                        built.slots.remove(&oldest);
                    }
                    built.next_generation += 1;
                    built.slots.insert(key.clone(), Slot { generation: built.next_generation, idle: Vec::new(), last_used: built.uses });
                    built.next_generation
                }
            };
            (objects, generation)
        };
        // Indexed outside the locks: the watch and other reviews go on meanwhile.
        Prepared { namespace: key, generation, inventory: Inventory::build(objects, config.clone()), analyses: Default::default() }
    }

    /// A prepared context a review is done with: kept for the next review of its namespace,
    /// unless a change made it stale meanwhile.
    pub fn give_back(&self, prepared: Prepared) {
        let mut built = self.built.lock().expect("contexts");
        if let Some(slot) = built.slots.get_mut(&prepared.namespace)
            && slot.generation == prepared.generation
            && slot.idle.len() < KEPT_PER_CONTEXT
        {
            slot.idle.push(prepared);
        }
    }

    /// An object of `kind` in `namespace` changed (call with the stores locked): the contexts
    /// holding it are built again when next needed.
    pub fn changed(&self, kind: &str, namespace: Option<&str>) {
        let mut built = self.built.lock().expect("contexts");
        match (kind, namespace) {
            ("Namespace", _) => built.slots.clear(),
            (_, Some(ns)) => {
                built.slots.remove(&Some(ns.to_string()));
            }
            // Other cluster-scoped objects are in no context.
            (_, None) => {}
        }
    }

    /// A whole kind was replaced (a relist): every context is built again.
    pub fn all_changed(&self) {
        self.built.lock().expect("contexts").slots.clear();
    }
}

/// Review one request: the object in its namespace's context (see [`ReviewContexts`]).
pub fn review(base: &Base, contexts: &ReviewContexts, stores: &Mutex<Stores>, request: &ReviewRequest) -> Reviewed {
    let allow = |request| Reviewed { response: ReviewResponse::allow(request), decision: "allowed" };
    if matches!(request.operation, Operation::Delete | Operation::Connect) {
        return allow(request);
    }
    let Some(object) = request.object.clone().and_then(|o| incoming(request, o)) else {
        // Not decodable as its kind: nothing to judge.
        return allow(request);
    };
    let checks = checks_reading(object.kind());
    if checks.is_empty() {
        // A kind no check reads: nothing can fail it.
        return allow(request);
    }
    let mut prepared = contexts.take(object.namespace(), stores, &base.config);
    let findings = judge(base, &mut prepared, object.clone(), &checks, kubepci_base::time::now_epoch());
    contexts.give_back(prepared);
    decide(base, request, &object, &findings)
}

/// Where a review put its object in the prepared inventory, to take it out again.
enum Overlay {
    /// In place of its stored version (at this index), which is kept here.
    Replaced(usize, Object),
    /// Added last.
    Added,
}

/// The findings of `checks` on `object`, judged in the prepared context (with `object` in
/// place of the context's object of the same kind, namespace and name, or added last) exactly
/// as an assessment of the context's objects with it would judge it: the same inventory, the
/// same checks, the same exceptions; only the results on the object are computed and kept (no
/// report, no thread pool). The context is left as it was, with the analyses it can reuse.
pub fn judge(base: &Base, prepared: &mut Prepared, object: Object, checks: &[&'static kubepci_checks::Check], epoch: i64) -> Vec<Finding> {
    let inventory = &mut prepared.inventory;
    let object = inventory.adopt(object);
    let kind = std::collections::BTreeSet::from([object.kind().to_string()]);
    let stored = inventory.position(object.kind(), object.namespace(), object.name());
    // In place or added last without re-indexing the others when the object leaves every
    // other object's indices, owners and scope as they are (the common case).
    let placed = match stored {
        Some(i) => inventory.replace_in_place(i, object).map(|old| (i, Overlay::Replaced(i, old))),
        None => inventory.push_object(object).map(|at| (at, Overlay::Added)),
    };
    let mut findings = match placed {
        Ok((focus, overlay)) => {
            // Analyses built from the object's kind are the stored version's (or were built
            // with an earlier review's object): built again with this one, and forgotten after.
            let mut analyses = std::mem::take(&mut prepared.analyses);
            analyses.update(&kind, &kind, None, &[], &[]);
            let (findings, mut analyses) = run_focused(base, inventory, analyses, focus, checks, epoch);
            analyses.update(&kind, &kind, None, &[], &[]);
            analyses.forget_focused();
            prepared.analyses = analyses;
            let restored = match overlay {
                Overlay::Replaced(i, old) => inventory.replace_in_place(i, old).is_ok(),
                Overlay::Added => inventory.pop_object().is_some(),
            };
            if !restored {
                // Not expected (the object goes out as it came in); if it were, the context
                // is not kept.
                prepared.generation = STALE;
            }
            findings
        }
        Err(object) => {
            // The object moves other objects' indices, owners or scope: an inventory of its own.
            let mut objects = inventory.objects.clone();
            let focus = match stored {
                Some(i) => {
                    objects[i] = object;
                    i
                }
                None => {
                    objects.push(object);
                    objects.len() - 1
                }
            };
            let inventory = Inventory::build(objects, inventory.config.clone());
            run_focused(base, &inventory, Default::default(), focus, checks, epoch).0
        }
    };
    // As the report does (its last line of defence): no card number leaves in an answer.
    findings.iter_mut().for_each(kubepci_report::redact_finding);
    findings
}

/// `checks` run on `inventory` focused on the object at `focus`, starting from `analyses`:
/// the non-passing results, and the analyses as the run left them.
fn run_focused(
    base: &Base,
    inventory: &Inventory,
    analyses: kubepci_checks::SharedAnalyses,
    focus: usize,
    checks: &[&'static kubepci_checks::Check],
    epoch: i64,
) -> (Vec<Finding>, kubepci_checks::SharedAnalyses) {
    let cx = kubepci_checks::Context::new(inventory, base.template.kind)
        .with_unlisted(base.template.unlisted.clone())
        .with_vulns(base.template.vulns.clone())
        .at(epoch)
        .with_analyses(analyses)
        .with_focus(focus);
    let opts = kubepci_checks::RunOptions { today: Some(kubepci_base::time::date(epoch)), only: Vec::new() };
    let findings = kubepci_checks::run_sequential(&cx, checks, &opts);
    (findings, cx.into_analyses())
}

/// The answer for `findings` on `object`: each failure gets the action `admission.rules` gives
/// it (default: deny critical failures in CDE namespaces, warn elsewhere).
fn decide(base: &Base, request: &ReviewRequest, object: &Object, findings: &[Finding]) -> Reviewed {
    let mut denied = Vec::new();
    let mut warnings = Vec::new();
    let mut audited = Vec::new();
    for f in findings.iter().filter(|f| f.status == Status::Fail) {
        let scope = f.scope.as_deref().unwrap_or("unclassified");
        let critical = f.severity == kubepci_findings::Severity::Critical;
        let line = format!("{} ({}): {}", f.check, f.requirements.join(", "), f.message);
        match base.config.admission.action(&f.check, scope, critical) {
            AdmissionAction::Deny => denied.push(format!("{line}; fix: {}", f.remediation)),
            AdmissionAction::Warn => warnings.push(format!("kubepci {line}")),
            AdmissionAction::Audit => audited.push(f.check.clone()),
        }
    }
    let mut response = ReviewResponse::allow(request);
    let answer = &mut response.response;
    if !audited.is_empty() {
        answer.audit_annotations.insert("kubepci.io/failed-checks".into(), audited.join(","));
    }
    if !warnings.is_empty() {
        answer.warnings = Some(warnings);
    }
    if denied.is_empty() {
        let decision = if answer.warnings.is_some() { "warned" } else { "allowed" };
        return Reviewed { response, decision };
    }
    answer.allowed = false;
    answer.status.message = format!("kubepci: {} {} fails PCI DSS checks: {}", object.kind(), name_of(object.namespace(), object.name()), denied.join(" | "));
    Reviewed { response, decision: "denied" }
}

/// The checks whose declared reads include `kind`, looked up once per kind.
fn checks_reading(kind: &str) -> Arc<Vec<&'static kubepci_checks::Check>> {
    static BY_KIND: Mutex<BTreeMap<String, Arc<Vec<&'static kubepci_checks::Check>>>> = Mutex::new(BTreeMap::new());
    let mut by_kind = BY_KIND.lock().expect("checks by kind");
    by_kind.entry(kind.to_string()).or_insert_with(|| Arc::new(kubepci_checks::registry().into_iter().filter(|c| c.meta.reads_kind(kind)).collect())).clone()
}

fn name_of(namespace: Option<&str>, name: &str) -> String {
    namespace.map_or_else(|| name.to_string(), |ns| format!("{ns}/{name}"))
}

/// The incoming object as the model reads it (`kind`/`apiVersion` from the request when the
/// object lacks them; the namespace from the request on a CREATE with a generated name).
fn incoming(request: &ReviewRequest, mut value: serde_json::Value) -> Option<Object> {
    let map = value.as_object_mut()?;
    let gvk = &request.kind;
    let api_version = if gvk.group.is_empty() { gvk.version.clone() } else { format!("{}/{}", gvk.group, gvk.version) };
    map.entry("apiVersion").or_insert(api_version.into());
    map.entry("kind").or_insert(gvk.kind.clone().into());
    let meta = map.entry("metadata").or_insert(serde_json::json!({}));
    if let (Some(ns), Some(meta)) = (&request.namespace, meta.as_object_mut()) {
        meta.entry("namespace").or_insert(ns.clone().into());
        if meta.get("name").and_then(|n| n.as_str()).is_none_or(str::is_empty) {
            let generated = meta.get("generateName").and_then(|n| n.as_str()).unwrap_or("object").to_string();
            meta.insert("name".into(), generated.into());
        }
    }
    decode_value(value, SourceLoc::whole("admission")).ok()
}

/// The threads reviews run on: each its own single-thread rayon pool, so the analyses' parallel
/// loops run on the reviewing thread itself (no hand-off to another thread inside a review),
/// and a review goes to the pool with the fewest reviews in flight.
pub struct Reviewers {
    pools: Vec<(rayon::ThreadPool, AtomicUsize)>,
}

impl Reviewers {
    pub fn new(threads: usize) -> Result<Reviewers, String> {
        let pools = (0..threads.max(1))
            .map(|i| rayon::ThreadPoolBuilder::new().num_threads(1).thread_name(move |_| format!("kubepci-review-{i}")).build().map(|p| (p, AtomicUsize::new(0))))
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        Ok(Reviewers { pools })
    }

    /// Run `work` on the least busy review thread; `None` if it panicked.
    pub async fn run<T: Send + 'static>(self: &Arc<Self>, work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let i = (0..self.pools.len()).min_by_key(|&i| self.pools[i].1.load(Ordering::Relaxed)).unwrap_or(0);
        self.pools[i].1.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = tokio::sync::oneshot::channel();
        let this = self.clone();
        self.pools[i].0.spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            this.pools[i].1.fetch_sub(1, Ordering::Relaxed);
            let _ = tx.send(result.ok());
        });
        rx.await.ok().flatten()
    }
}

/// Modification times of the certificate and key files when they were last loaded.
type FileStamps = Option<(SystemTime, SystemTime)>;

/// The webhook's TLS configuration, rebuilt when the certificate or key file changes.
pub struct ReloadingTls {
    cert: PathBuf,
    key: PathBuf,
    state: Mutex<TlsState>,
    /// Reloads done after the first load (for metrics and tests).
    pub reloads: std::sync::atomic::AtomicU64,
}

struct TlsState {
    stamps: FileStamps,
    config: Arc<rustls::ServerConfig>,
    /// When the files' modification times were last read.
    checked: Instant,
}

/// How often the certificate files are looked at (not on every connection: a burst of new
/// connections would stat them each time).
const TLS_CHECK_EVERY: Duration = Duration::from_secs(1);

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn load_tls(cert: &Path, key: &Path) -> Result<rustls::ServerConfig, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("{}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no certificate", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("certificate and key: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

impl ReloadingTls {
    pub fn new(cert: PathBuf, key: PathBuf) -> Result<ReloadingTls, String> {
        let config = load_tls(&cert, &key)?;
        let stamps = modified(&cert).zip(modified(&key));
        Ok(ReloadingTls { cert, key, state: Mutex::new(TlsState { stamps, config: Arc::new(config), checked: Instant::now() }), reloads: 0.into() })
    }

    /// The current configuration, reloaded first when a file changed (looked at once a second
    /// at most). A file that does not load (half written during a rotation) keeps the previous
    /// configuration until it does.
    pub fn current(&self) -> Arc<rustls::ServerConfig> {
        let mut state = self.state.lock().expect("tls");
        if state.checked.elapsed() < TLS_CHECK_EVERY {
            return state.config.clone();
        }
        state.checked = Instant::now();
        let stamps = modified(&self.cert).zip(modified(&self.key));
        if stamps.is_some() && stamps != state.stamps {
            match load_tls(&self.cert, &self.key) {
                Ok(config) => {
                    (state.stamps, state.config) = (stamps, Arc::new(config));
                    self.reloads.fetch_add(1, Ordering::SeqCst);
                    eprintln!("kubepci serve: webhook certificate reloaded");
                }
                Err(e) => eprintln!("kubepci serve: webhook certificate not reloaded (keeping the previous one): {e}"),
            }
        }
        state.config.clone()
    }
}

/// The decisions `/metrics` counts, in the order it lists them.
const DECISIONS: [&str; 4] = ["allowed", "warned", "denied", "invalid"];

/// Webhook decisions and latency, for `/metrics`: atomic counters, so that concurrent reviews
/// never wait for each other to count.
#[derive(Default)]
pub struct WebhookMetrics {
    /// Per entry of [`DECISIONS`].
    decisions: [AtomicU64; DECISIONS.len()],
    /// Cumulative counts per upper bound (seconds) of [`LATENCY_BUCKETS`].
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

/// Upper bounds of the latency histogram, in seconds.
pub const LATENCY_BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 2.5];

impl WebhookMetrics {
    pub fn observe(&self, decision: &'static str, started: Instant) {
        let elapsed = started.elapsed();
        let seconds = elapsed.as_secs_f64();
        if let Some(i) = DECISIONS.iter().position(|d| *d == decision) {
            self.decisions[i].fetch_add(1, Ordering::Relaxed);
        }
        for (bound, n) in LATENCY_BUCKETS.iter().zip(&self.buckets) {
            if seconds <= *bound {
                n.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    pub fn render(&self, out: &mut String) {
        use std::fmt::Write as _;
        let _ = writeln!(out, "# HELP kubepci_webhook_decisions_total Admission reviews by decision (allowed, warned, denied, invalid).\n# TYPE kubepci_webhook_decisions_total counter");
        for (decision, n) in DECISIONS.iter().zip(&self.decisions) {
            let _ = writeln!(out, "kubepci_webhook_decisions_total{{decision=\"{decision}\"}} {}", n.load(Ordering::Relaxed));
        }
        let _ = writeln!(out, "# HELP kubepci_webhook_duration_seconds Time to answer an admission review.\n# TYPE kubepci_webhook_duration_seconds histogram");
        for (bound, n) in LATENCY_BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(out, "kubepci_webhook_duration_seconds_bucket{{le=\"{bound}\"}} {}", n.load(Ordering::Relaxed));
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "kubepci_webhook_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "kubepci_webhook_duration_seconds_sum {:.6}", self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9);
        let _ = writeln!(out, "kubepci_webhook_duration_seconds_count {count}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_bodies_are_errors_not_panics() {
        for body in [&b""[..], b"{", b"[]", b"{\"kind\":\"AdmissionReview\"}", b"{\"request\":{}}", b"\xff\xfe"] {
            assert!(decode(body).is_err(), "{body:?}");
        }
        let ok = br#"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"u1","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"name":"p","namespace":"n","operation":"CREATE","userInfo":{"username":"a"},"object":{"metadata":{"name":"p"},"spec":{"containers":[]}},"oldObject":null,"dryRun":true}}"#;
        let request = decode(ok).expect("a review");
        assert_eq!(request.uid, "u1");
        assert!(request.dry_run);
    }

    /// The demo cluster as `serve` holds it (one store per kind) and the `Base` it judges with.
    fn demo() -> (Base, Mutex<Stores>) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let (config, config_source) = crate::input::load_config(Some(&root.join("examples/kubepci.yaml"))).expect("config");
        let mut template = crate::input::Input::from_paths(&[root.join("examples/demo-cluster")]);
        template.kind = kubepci_checks::InputKind::Live;
        let mut stores = Stores::new();
        for o in std::mem::take(&mut template.objects) {
            stores.entry(format!("{}.{}", o.kind(), o.api_version)).or_default().insert(super::super::watch::object_key(o.namespace(), o.name()), o);
        }
        (Base { config, config_source, endpoint: "https://demo".into(), template }, Mutex::new(stores))
    }

    /// What the webhook did before the fast path, kept as the reference: assess the object's
    /// context with the object in it (in place of its stored version, or last), the checks
    /// reading its kind, through the whole pipeline and report, then keep the report's
    /// findings on the object.
    fn by_assessment(base: &Base, context: &[Object], object: &Object, epoch: i64) -> Vec<Finding> {
        let same = |o: &Object| o.kind() == object.kind() && o.namespace() == object.namespace() && o.name() == object.name();
        let mut objects: Vec<Object> = context.to_vec();
        match objects.iter().position(same) {
            Some(i) => objects[i] = object.clone(),
            None => objects.push(object.clone()),
        }
        let input = crate::input::Input {
            kind: base.template.kind,
            sources: vec![base.endpoint.clone()],
            documents: objects.len(),
            objects,
            errors: Vec::new(),
            not_collected: 0,
            files: 0,
            snapshot: None,
            unlisted: base.template.unlisted.clone(),
            config_source: base.config_source.clone(),
            vulns: base.template.vulns.clone(),
        };
        let only = checks_reading(object.kind()).iter().map(|c| c.meta.id.to_string()).collect::<Vec<_>>();
        let opts = crate::pipeline::ScanOptions {
            run: kubepci_checks::RunOptions { today: Some(kubepci_base::time::date(epoch)), only: if only.is_empty() { vec!["none".into()] } else { only } },
            include_passed: false,
            generated_at: kubepci_base::time::rfc3339(epoch),
            config_source: base.config_source.clone(),
        };
        let (report, _) = crate::pipeline::assess(input, base.config.clone(), &opts);
        report.findings.into_iter().filter(|f| f.object.as_ref().is_some_and(|o| o.kind == object.kind() && o.name == object.name() && o.namespace.as_deref() == object.namespace())).collect()
    }

    /// The demo's documents and the changed objects below, as JSON (what a review carries).
    fn documents(extra: &str) -> Vec<serde_json::Value> {
        use serde::Deserialize;
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-cluster");
        let mut files: Vec<PathBuf> = std::fs::read_dir(root).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        let mut texts: Vec<String> = files.iter().map(|f| std::fs::read_to_string(f).unwrap()).collect();
        texts.push(extra.to_string());
        texts.iter().flat_map(|t| yaml_serde::Deserializer::from_str(t).map_while(|d| serde_json::Value::deserialize(d).ok()).collect::<Vec<_>>()).filter(|v| v.is_object()).collect()
    }

    fn review_of(document: &serde_json::Value) -> ReviewRequest {
        let body = serde_json::json!({
            "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": "u", "kind": {"group": "", "version": "v1", "kind": document["kind"]}, "resource": {"group": "", "version": "v1", "resource": "x"},
                        "namespace": document["metadata"]["namespace"], "operation": "UPDATE", "userInfo": {}, "object": document}
        });
        decode(body.to_string().as_bytes()).expect("a review")
    }

    /// Review each of `documents` in turn (in the contexts `contexts` keeps between reviews,
    /// as serve does) and compare its findings, and the answer, with the reference assessment:
    /// how many were judged, failing, and with an exception applied.
    fn judged_as_assessed(base: &Base, stores: &Mutex<Stores>, contexts: &ReviewContexts, documents: &[serde_json::Value]) -> (usize, usize, usize) {
        let epoch = kubepci_base::time::now_epoch();
        let (mut judged, mut failing, mut excepted) = (0, 0, 0);
        for document in documents {
            let request = review_of(document);
            let object = incoming(&request, document.clone()).expect("an object");
            let checks = checks_reading(object.kind());
            let mut prepared = contexts.take(object.namespace(), stores, &base.config);
            let reference = by_assessment(base, prepared.objects(), &object, epoch);
            let fast = judge(base, &mut prepared, object.clone(), &checks, epoch);
            contexts.give_back(prepared);
            let json = |f: &[Finding]| serde_json::to_value(f).unwrap();
            assert_eq!(json(&fast), json(&reference), "{} {:?}/{}", object.kind(), object.namespace(), object.name());
            // The same answer through the request path.
            let reviewed = review(base, contexts, stores, &request);
            assert_eq!(reviewed.response.to_json(), decide(base, &request, &object, &reference).response.to_json());
            judged += 1;
            failing += usize::from(fast.iter().any(|f| f.status == Status::Fail));
            excepted += usize::from(fast.iter().any(|f| f.status == Status::Excepted));
        }
        (judged, failing, excepted)
    }

    #[test]
    fn the_fast_path_judges_each_object_of_a_generated_namespace_as_an_assessment_of_it_does() {
        use serde_json::json;
        // A generated cluster of 20 namespaces of about 275 objects each (as kubepci-gen's L
        // has 363), with an orphaned ReplicaSet whose Deployment a review brings.
        let mut generated = Vec::new();
        kubepci_bench::generate(5_500, 7, |_, v| generated.push(v));
        let ns = "team-0000";
        let orphan_rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": "orphan-6f7", "namespace": ns, "labels": {"app": "orphan"}, "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "orphan", "uid": "u", "controller": true}]},
            "spec": {"selector": {"matchLabels": {"app": "orphan"}}, "template": {"metadata": {"labels": {"app": "orphan"}}, "spec": {"containers": [{"name": "c", "image": "orphan:1", "securityContext": {"privileged": true}}]}}}});
        generated.push(orphan_rs);
        let (mut template, (config, config_source)) = (crate::input::Input::from_paths(&[]), (kubepci_inventory::Config::default(), Default::default()));
        template.kind = kubepci_checks::InputKind::Live;
        let mut stores = Stores::new();
        for v in &generated {
            let o = decode_value(v.clone(), SourceLoc::whole("generated")).expect("an object");
            stores.entry(format!("{}.{}", o.kind(), o.api_version)).or_default().insert(super::super::watch::object_key(o.namespace(), o.name()), o);
        }
        let base = Base { config, config_source, endpoint: "https://generated".into(), template };
        let stores = Mutex::new(stores);
        let mut documents: Vec<serde_json::Value> = generated.iter().filter(|v| v["metadata"]["namespace"] == ns || v["metadata"]["name"] == ns).cloned().collect();
        assert!(documents.len() > 250, "{}", documents.len());
        let deployment = documents.iter().find(|v| v["kind"] == "Deployment").cloned().unwrap();
        let app = deployment["metadata"]["name"].as_str().unwrap().to_string();
        let replica_set = format!("{app}-7d9f8c6b5");
        // Changed objects: in place (a new image, privileged), moving the workload's labels
        // (indexed again), a pod added under an existing ReplicaSet, new objects of the kinds
        // the cross-object checks read, the orphan's Deployment, the namespace relabelled out
        // of the CDE and a new namespace.
        let mut privileged = deployment.clone();
        privileged["spec"]["template"]["spec"]["containers"][0]["image"] = json!("evil:latest");
        privileged["spec"]["template"]["spec"]["containers"][0]["securityContext"] = json!({"privileged": true});
        let mut relabelled = deployment.clone();
        relabelled["spec"]["template"]["metadata"]["labels"] = json!({"app": app, "tier": "edge"});
        let mut namespace = documents.iter().find(|v| v["kind"] == "Namespace").cloned().unwrap();
        namespace["metadata"]["labels"] = json!({"kubernetes.io/metadata.name": ns});
        documents.extend([
            privileged,
            relabelled,
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("{replica_set}-new"), "namespace": ns, "labels": {"app": app},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": replica_set, "uid": "u", "controller": true}]},
                "spec": {"containers": [{"name": "c", "image": "x:1", "securityContext": {"privileged": true}}]}}),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "shell", "namespace": ns, "labels": {"app": "shell", "tier": "web"}},
                "spec": {"hostNetwork": true, "containers": [{"name": "shell", "image": "shell:1", "securityContext": {"privileged": true}}]}}),
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "allow-all", "namespace": ns},
                "spec": {"podSelector": {}, "ingress": [{}], "egress": [{}], "policyTypes": ["Ingress", "Egress"]}}),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "admin", "namespace": ns},
                "subjects": [{"kind": "ServiceAccount", "name": app, "namespace": ns}], "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"}}),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": format!("{app}-reader"), "namespace": ns},
                "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["*"]}]}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "open", "namespace": ns}, "spec": {"type": "LoadBalancer", "selector": {"app": app}, "ports": [{"port": 80}]}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "leak", "namespace": ns}, "data": {"note": "card 4111111111111111"}}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "orphan", "namespace": ns},
                "spec": {"selector": {"matchLabels": {"app": "orphan"}}, "template": {"metadata": {"labels": {"app": "orphan"}}, "spec": {"containers": [{"name": "c", "image": "orphan:1"}]}}}}),
            namespace,
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-new", "labels": {"pci.kubepci.io/scope": "cde"}}}),
        ]);
        let contexts = ReviewContexts::default();
        let (judged, failing, _) = judged_as_assessed(&base, &stores, &contexts, &documents);
        assert!(judged == documents.len() && failing > 20, "{judged} judged, {failing} failing");
    }

    #[test]
    fn the_fast_path_judges_each_demo_object_as_an_assessment_of_its_namespace_does() {
        let (base, stores) = demo();
        let contexts = ReviewContexts::default();
        // The demo's objects, and changed ones: a privileged pod in the CDE and outside it, a
        // Service exposing the payments pods, a ConfigMap holding a card number.
        let extra = "apiVersion: v1\nkind: Pod\nmetadata: {name: shell, namespace: payments, labels: {app: payments-api}}\nspec: {containers: [{name: shell, image: shell:1, securityContext: {privileged: true}}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: shell, namespace: storefront}\nspec: {containers: [{name: shell, image: shell:1, securityContext: {privileged: true}}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: open, namespace: payments}\nspec: {type: LoadBalancer, selector: {app: payments-api}, ports: [{port: 80}]}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: leak, namespace: payments}\ndata: {note: 'card 4111111111111111'}\n";
        let documents = documents(extra);
        let (judged, failing, excepted) = judged_as_assessed(&base, &stores, &contexts, &documents);
        assert!(judged > 40 && failing > 10 && excepted > 0, "{judged} judged, {failing} failing, {excepted} excepted");
        // The privileged pod in the CDE is denied, outside it warned about; no card number in
        // any answer.
        let find = |kind: &str, ns: &str, name: &str| documents.iter().find(|d| d["kind"] == kind && d["metadata"]["namespace"] == ns && d["metadata"]["name"] == name).unwrap();
        let reviewed = review(&base, &contexts, &stores, &review_of(find("Pod", "payments", "shell")));
        assert_eq!(reviewed.decision, "denied");
        assert!(String::from_utf8(reviewed.response.to_json()).unwrap().contains("POD-001 (2.2.6"));
        assert_eq!(review(&base, &contexts, &stores, &review_of(find("Pod", "storefront", "shell"))).decision, "warned");
        let answer = String::from_utf8(review(&base, &contexts, &stores, &review_of(find("ConfigMap", "payments", "leak"))).response.to_json()).unwrap();
        assert!(!answer.contains("4111111111111111") && answer.contains("DATA-"), "{answer}");
    }

    #[test]
    fn a_context_is_built_again_after_a_change_it_holds() {
        let (base, stores) = demo();
        let contexts = ReviewContexts::default();
        let take = |ns: &str| contexts.take(Some(ns), &stores, &base.config);
        // Which build of its namespace a prepared context is.
        let kept = |ns: &str| {
            let prepared = take(ns);
            let generation = prepared.generation;
            contexts.give_back(prepared);
            generation
        };
        let payments = take("payments");
        assert!(payments.objects().iter().all(|o| o.kind() == "Namespace" || o.namespace() == Some("payments")));
        let payments_at = payments.objects().as_ptr();
        // Taken twice at once (two review threads): a second one is built.
        let second = take("payments");
        assert_ne!(second.objects().as_ptr(), payments_at);
        contexts.give_back(payments);
        contexts.give_back(second);
        let (first, second) = (take("payments"), take("payments"));
        assert!([first.objects().as_ptr(), second.objects().as_ptr()].contains(&payments_at), "kept until a change");
        contexts.give_back(first);
        contexts.give_back(second);
        let checkout = kept("checkout");
        assert_eq!(kept("checkout"), checkout);
        let stale = take("payments");
        let stale_generation = stale.generation;
        contexts.changed("Pod", Some("payments"));
        contexts.give_back(stale);
        assert_ne!(kept("payments"), stale_generation, "built again after a change");
        assert_eq!(kept("checkout"), checkout, "other namespaces keep theirs");
        contexts.changed("ClusterRole", None);
        assert_eq!(kept("checkout"), checkout);
        contexts.changed("Namespace", None);
        assert_ne!(kept("checkout"), checkout, "every context holds the Namespaces");
        let cluster = contexts.take(None, &stores, &base.config);
        assert!(cluster.objects().iter().all(|o| o.kind() == "Namespace"));
    }

    #[test]
    fn latency_histogram_is_cumulative() {
        let m = WebhookMetrics::default();
        m.observe("allowed", Instant::now());
        let mut text = String::new();
        m.render(&mut text);
        assert!(text.contains("kubepci_webhook_duration_seconds_bucket{le=\"2.5\"} 1"), "{text}");
        assert!(text.contains("kubepci_webhook_decisions_total{decision=\"allowed\"} 1"));
        assert!(text.contains("kubepci_webhook_duration_seconds_count 1"));
    }
}
