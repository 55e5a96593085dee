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

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use kube::api::DynamicObject;
use kube::core::admission::{AdmissionRequest, AdmissionResponse, AdmissionReview, Operation};
use kubepci_findings::Status;
use kubepci_inventory::config::AdmissionAction;
use kubepci_model::{Object, SourceLoc, decode_value};
use tokio_rustls::rustls;

use super::{Base, Shared};
use crate::input::Input;
use crate::pipeline::{ScanOptions, assess};

/// Decode an AdmissionReview body into its request.
pub fn decode(body: &[u8]) -> Result<AdmissionRequest<DynamicObject>, String> {
    let review: AdmissionReview<DynamicObject> = serde_json::from_slice(body).map_err(|e| format!("not an AdmissionReview: {e}"))?;
    review.try_into().map_err(|e| format!("not an AdmissionReview request: {e}"))
}

/// The decision for one request, and what it was.
pub struct Reviewed {
    pub response: AdmissionResponse,
    /// `allowed`, `warned`, `denied`.
    pub decision: &'static str,
}

/// Review one request against the current inventory.
pub fn review(shared: &Shared, base: &Base, request: &AdmissionRequest<DynamicObject>) -> Reviewed {
    let allow = |response: AdmissionResponse| Reviewed { response, decision: "allowed" };
    let response = AdmissionResponse::from(request);
    if matches!(request.operation, Operation::Delete | Operation::Connect) {
        return allow(response);
    }
    let Some(object) = request.object.as_ref().and_then(|o| incoming(request, o)) else {
        // Kinds no check reads (or not decodable as their kind): nothing to judge.
        return allow(response);
    };
    let key = super::watch::object_key(object.namespace(), object.name());
    let (kind, namespace, name) = (object.kind().to_string(), object.namespace().map(str::to_string), object.name().to_string());

    // The context: the object's namespace and every Namespace, the object in place.
    let mut objects: Vec<Object> = Vec::new();
    {
        let stores = shared.stores.lock().expect("stores");
        for store in stores.values() {
            for (k, o) in store {
                let same_ns = o.namespace().is_some() && o.namespace() == namespace.as_deref();
                let replaced = o.kind() == kind && *k == key;
                if !replaced && (same_ns || o.kind() == "Namespace") {
                    objects.push(o.clone());
                }
            }
        }
    }
    objects.push(object);
    let input = Input {
        kind: base.template.kind,
        sources: vec![base.endpoint.clone()],
        documents: objects.len(),
        objects,
        errors: Vec::new(),
        not_collected: base.template.not_collected,
        files: 0,
        snapshot: None,
        unlisted: base.template.unlisted.clone(),
        config_source: base.config_source.clone(),
        vulns: base.template.vulns.clone(),
    };
    let epoch = kubepci_base::time::now_epoch();
    let opts = ScanOptions {
        // Only the checks that read the object's kind can fail it: the others (and the shared
        // analyses only they need) are not run.
        run: kubepci_checks::RunOptions { today: Some(kubepci_base::time::date(epoch)), only: checks_reading(&kind) },
        include_passed: false,
        generated_at: kubepci_base::time::rfc3339(epoch),
        config_source: base.config_source.clone(),
    };
    let (report, _leftovers) = assess(input, base.config.clone(), &opts);

    let mut denied = Vec::new();
    let mut warnings = Vec::new();
    let mut audited = Vec::new();
    for f in report.findings.iter().filter(|f| f.status == Status::Fail) {
        let Some(o) = &f.object else { continue };
        if o.kind != kind || o.name != name || o.namespace != namespace {
            continue;
        }
        let scope = f.scope.as_deref().unwrap_or("unclassified");
        let critical = f.severity == kubepci_findings::Severity::Critical;
        let line = format!("{} ({}): {}", f.check, f.requirements.join(", "), f.message);
        match base.config.admission.action(&f.check, scope, critical) {
            AdmissionAction::Deny => denied.push(format!("{line}; fix: {}", f.remediation)),
            AdmissionAction::Warn => warnings.push(format!("kubepci {line}")),
            AdmissionAction::Audit => audited.push(f.check.clone()),
        }
    }
    let mut response = response;
    if !audited.is_empty() {
        response.audit_annotations.insert("kubepci.io/failed-checks".into(), audited.join(","));
    }
    if !warnings.is_empty() {
        response.warnings = Some(warnings);
    }
    if denied.is_empty() {
        let decision = if response.warnings.is_some() { "warned" } else { "allowed" };
        return Reviewed { response, decision };
    }
    let message = format!("kubepci: {kind} {} fails PCI DSS checks: {}", name_of(namespace.as_deref(), &name), denied.join(" | "));
    Reviewed { response: response.deny(message), decision: "denied" }
}

/// The ids of the checks whose declared reads include `kind`.
fn checks_reading(kind: &str) -> Vec<String> {
    let workload = kubepci_checks::WORKLOAD_KINDS.contains(&kind);
    let ids: Vec<String> = kubepci_checks::registry()
        .into_iter()
        .filter(|c| c.meta.reads.iter().any(|r| *r == kind || *r == kubepci_checks::ANY_KIND || (workload && *r == kubepci_checks::WORKLOADS)))
        .map(|c| c.meta.id.to_string())
        .collect();
    // `only` empty means every check: a kind no check reads gets a check that cannot fail it.
    if ids.is_empty() { vec!["none".into()] } else { ids }
}

fn name_of(namespace: Option<&str>, name: &str) -> String {
    namespace.map_or_else(|| name.to_string(), |ns| format!("{ns}/{name}"))
}

/// The incoming object as the model reads it (`kind`/`apiVersion` from the request when the
/// object lacks them; the namespace from the request on a CREATE with a generated name).
fn incoming(request: &AdmissionRequest<DynamicObject>, object: &DynamicObject) -> Option<Object> {
    let mut value = serde_json::to_value(object).ok()?;
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

/// Modification times of the certificate and key files when they were last loaded.
type FileStamps = Option<(SystemTime, SystemTime)>;

/// The webhook's TLS configuration, rebuilt when the certificate or key file changes.
pub struct ReloadingTls {
    cert: PathBuf,
    key: PathBuf,
    state: Mutex<(FileStamps, Arc<rustls::ServerConfig>)>,
    /// Reloads done after the first load (for metrics and tests).
    pub reloads: std::sync::atomic::AtomicU64,
}

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
        let stamp = modified(&cert).zip(modified(&key));
        Ok(ReloadingTls { cert, key, state: Mutex::new((stamp, Arc::new(config))), reloads: 0.into() })
    }

    /// The current configuration, reloaded first when a file changed. A file that does not load
    /// (half written during a rotation) keeps the previous configuration until it does.
    pub fn current(&self) -> Arc<rustls::ServerConfig> {
        let stamp = modified(&self.cert).zip(modified(&self.key));
        let mut state = self.state.lock().expect("tls");
        if stamp.is_some() && stamp != state.0 {
            match load_tls(&self.cert, &self.key) {
                Ok(config) => {
                    *state = (stamp, Arc::new(config));
                    self.reloads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    eprintln!("kubepci serve: webhook certificate reloaded");
                }
                Err(e) => eprintln!("kubepci serve: webhook certificate not reloaded (keeping the previous one): {e}"),
            }
        }
        state.1.clone()
    }
}

/// Webhook decisions and latency, for `/metrics`.
#[derive(Default)]
pub struct WebhookMetrics {
    pub decisions: HashMap<&'static str, u64>,
    /// Cumulative counts per upper bound (seconds) of [`LATENCY_BUCKETS`], then the total.
    pub buckets: [u64; LATENCY_BUCKETS.len()],
    pub count: u64,
    pub sum_seconds: f64,
}

/// Upper bounds of the latency histogram, in seconds.
pub const LATENCY_BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 2.5];

impl WebhookMetrics {
    pub fn observe(&mut self, decision: &'static str, started: Instant) {
        let seconds = started.elapsed().as_secs_f64();
        *self.decisions.entry(decision).or_default() += 1;
        for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                self.buckets[i] += 1;
            }
        }
        self.count += 1;
        self.sum_seconds += seconds;
    }

    pub fn render(&self, out: &mut String) {
        use std::fmt::Write as _;
        let _ = writeln!(out, "# HELP kubepci_webhook_decisions_total Admission reviews by decision (allowed, warned, denied, invalid).\n# TYPE kubepci_webhook_decisions_total counter");
        for decision in ["allowed", "warned", "denied", "invalid"] {
            let _ = writeln!(out, "kubepci_webhook_decisions_total{{decision=\"{decision}\"}} {}", self.decisions.get(decision).copied().unwrap_or(0));
        }
        let _ = writeln!(out, "# HELP kubepci_webhook_duration_seconds Time to answer an admission review.\n# TYPE kubepci_webhook_duration_seconds histogram");
        for (bound, n) in LATENCY_BUCKETS.iter().zip(self.buckets) {
            let _ = writeln!(out, "kubepci_webhook_duration_seconds_bucket{{le=\"{bound}\"}} {n}");
        }
        let _ = writeln!(out, "kubepci_webhook_duration_seconds_bucket{{le=\"+Inf\"}} {}", self.count);
        let _ = writeln!(out, "kubepci_webhook_duration_seconds_sum {:.6}", self.sum_seconds);
        let _ = writeln!(out, "kubepci_webhook_duration_seconds_count {}", self.count);
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

    #[test]
    fn latency_histogram_is_cumulative() {
        let mut m = WebhookMetrics::default();
        m.observe("allowed", Instant::now());
        let mut text = String::new();
        m.render(&mut text);
        assert!(text.contains("kubepci_webhook_duration_seconds_bucket{le=\"2.5\"} 1"), "{text}");
        assert!(text.contains("kubepci_webhook_decisions_total{decision=\"allowed\"} 1"));
        assert!(text.contains("kubepci_webhook_duration_seconds_count 1"));
    }
}
