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
/// with: the namespace's watched objects and every Namespace, in store order. Built on the
/// first review after a change to the namespace's objects or to any Namespace, and shared
/// (not copied) by the reviews until then.
#[derive(Default)]
pub struct ReviewContexts {
    built: Mutex<HashMap<Option<String>, Arc<Vec<Object>>>>,
}

/// The objects of each watched kind (`Kind.apiVersion` → `namespace/name` → object).
pub type Stores = BTreeMap<String, BTreeMap<String, Object>>;

impl ReviewContexts {
    /// The context of `namespace`. `stores` is locked only when it must be built: the watch
    /// changes the stores and calls [`ReviewContexts::changed`] under the same lock, so a
    /// context built from the stores is never older than the last change it was told of.
    pub fn of(&self, namespace: Option<&str>, stores: &Mutex<Stores>) -> Arc<Vec<Object>> {
        let key = namespace.map(str::to_string);
        if let Some(built) = self.built.lock().expect("contexts").get(&key) {
            return built.clone();
        }
        let stores = stores.lock().expect("stores");
        let objects: Vec<Object> =
            stores.values().flat_map(BTreeMap::values).filter(|o| o.kind() == "Namespace" || (o.namespace().is_some() && o.namespace() == namespace)).cloned().collect();
        let objects = Arc::new(objects);
        self.built.lock().expect("contexts").insert(key, objects.clone());
        objects
    }

    /// An object of `kind` in `namespace` changed (call with the stores locked): the contexts
    /// holding it are built again when next needed.
    pub fn changed(&self, kind: &str, namespace: Option<&str>) {
        let mut built = self.built.lock().expect("contexts");
        match (kind, namespace) {
            ("Namespace", _) => built.clear(),
            (_, Some(ns)) => {
                built.remove(&Some(ns.to_string()));
            }
            // Other cluster-scoped objects are in no context.
            (_, None) => {}
        }
    }

    /// A whole kind was replaced (a relist): every context is built again.
    pub fn all_changed(&self) {
        self.built.lock().expect("contexts").clear();
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
    let context = contexts.of(object.namespace(), stores);
    let findings = judge(base, &context, object.clone(), &checks, kubepci_base::time::now_epoch());
    decide(base, request, &object, &findings)
}

/// The findings of `checks` on `object`, judged in `context` (with `object` in place of the
/// context's object of the same kind, namespace and name) exactly as an assessment of that
/// context would judge it: the same inventory, the same checks, the same exceptions; only
/// the results on the object are computed and kept (no report, no thread pool).
pub fn judge(base: &Base, context: &[Object], object: Object, checks: &[&'static kubepci_checks::Check], epoch: i64) -> Vec<Finding> {
    let same = |o: &Object| o.kind() == object.kind() && o.namespace() == object.namespace() && o.name() == object.name();
    let mut objects: Vec<Object> = Vec::with_capacity(context.len() + 1);
    objects.extend(context.iter().filter(|o| !same(o)).cloned());
    objects.push(object);
    let focus = objects.len() - 1;
    let inventory = Inventory::build(objects, base.config.clone());
    let cx = kubepci_checks::Context::new(&inventory, base.template.kind).with_unlisted(base.template.unlisted.clone()).with_vulns(base.template.vulns.clone()).at(epoch).with_focus(focus);
    let opts = kubepci_checks::RunOptions { today: Some(kubepci_base::time::date(epoch)), only: Vec::new() };
    let mut findings = kubepci_checks::run_sequential(&cx, checks, &opts);
    // As the report does (its last line of defence): no card number leaves in an answer.
    for f in &mut findings {
        f.message = kubepci_pan::redact(&f.message);
        for e in &mut f.evidence {
            if let Some(v) = &mut e.value {
                *v = kubepci_pan::redact(v);
            }
        }
    }
    findings
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
    /// context with the object in it (the checks reading its kind, through the whole pipeline
    /// and report), then keep the report's findings on the object.
    fn by_assessment(base: &Base, context: &[Object], object: &Object, epoch: i64) -> Vec<Finding> {
        let same = |o: &Object| o.kind() == object.kind() && o.namespace() == object.namespace() && o.name() == object.name();
        let mut objects: Vec<Object> = context.iter().filter(|o| !same(o)).cloned().collect();
        objects.push(object.clone());
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

    #[test]
    fn the_fast_path_judges_each_demo_object_as_an_assessment_of_its_namespace_does() {
        let (base, stores) = demo();
        let contexts = ReviewContexts::default();
        let epoch = kubepci_base::time::now_epoch();
        // The demo's objects, and changed ones: a privileged pod in the CDE and outside it, a
        // Service exposing the payments pods, a ConfigMap holding a card number.
        let extra = "apiVersion: v1\nkind: Pod\nmetadata: {name: shell, namespace: payments, labels: {app: payments-api}}\nspec: {containers: [{name: shell, image: shell:1, securityContext: {privileged: true}}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: shell, namespace: storefront}\nspec: {containers: [{name: shell, image: shell:1, securityContext: {privileged: true}}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: open, namespace: payments}\nspec: {type: LoadBalancer, selector: {app: payments-api}, ports: [{port: 80}]}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: leak, namespace: payments}\ndata: {note: 'card 4111111111111111'}\n";
        let documents = documents(extra);
        let (mut judged, mut failing, mut excepted) = (0, 0, 0);
        for document in &documents {
            let request = review_of(document);
            let object = incoming(&request, document.clone()).expect("an object");
            let checks = checks_reading(object.kind());
            let context = contexts.of(object.namespace(), &stores);
            let fast = judge(&base, &context, object.clone(), &checks, epoch);
            let reference = by_assessment(&base, &context, &object, epoch);
            let json = |f: &[Finding]| serde_json::to_value(f).unwrap();
            assert_eq!(json(&fast), json(&reference), "{} {:?}/{}", object.kind(), object.namespace(), object.name());
            // The same answer through the request path.
            let reviewed = review(&base, &contexts, &stores, &request);
            assert_eq!(reviewed.response.to_json(), decide(&base, &request, &object, &reference).response.to_json());
            judged += 1;
            failing += usize::from(fast.iter().any(|f| f.status == Status::Fail));
            excepted += usize::from(fast.iter().any(|f| f.status == Status::Excepted));
        }
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
        let (_, stores) = demo();
        let contexts = ReviewContexts::default();
        let payments = contexts.of(Some("payments"), &stores);
        assert!(payments.iter().all(|o| o.kind() == "Namespace" || o.namespace() == Some("payments")));
        assert!(Arc::ptr_eq(&payments, &contexts.of(Some("payments"), &stores)), "shared until a change");
        let checkout = contexts.of(Some("checkout"), &stores);
        contexts.changed("Pod", Some("payments"));
        assert!(!Arc::ptr_eq(&payments, &contexts.of(Some("payments"), &stores)));
        assert!(Arc::ptr_eq(&checkout, &contexts.of(Some("checkout"), &stores)), "other namespaces keep theirs");
        contexts.changed("ClusterRole", None);
        assert!(Arc::ptr_eq(&checkout, &contexts.of(Some("checkout"), &stores)));
        contexts.changed("Namespace", None);
        assert!(!Arc::ptr_eq(&checkout, &contexts.of(Some("checkout"), &stores)), "every context holds the Namespaces");
        let cluster = contexts.of(None, &stores);
        assert!(cluster.iter().all(|o| o.kind() == "Namespace"));
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
