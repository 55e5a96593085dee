//! `kubepci serve`: keep a live cluster's assessment current.
//!
//! 1. Collect once, exactly as `kubepci collect`/`scan --kubeconfig` do (same kinds, same
//!    "not listable" handling), and evaluate: `/readyz` answers 200 from then on.
//! 2. Watch every kind that was listed (kube-runtime watchers: relist on 410, backoff on
//!    errors), one in-memory store per kind, seeded from the collection; a watcher restart
//!    (`Init` … `InitDone`) replaces its kind's store as a whole.
//! 3. A change notes the object (kind, namespace, name) as pending; after a quiet `debounce`
//!    the pending changes are applied to the kept evaluation ([`live::Live`]): only what they
//!    can affect is re-run (docs/serve.md, "cost of a change"), the whole input when the date
//!    changes and at least hourly. The run is recorded in the history from the changed
//!    findings (a heartbeat when nothing changed) and the metrics updated; the report is
//!    assembled and rendered when `/api/v1/report` asks. A requirement going from pass to fail is logged
//!    (drift).
//!
//! Nothing is written to the cluster, except, opt-in (`--drift-events`), one Event per object
//! whose new failures made a requirement fail (`events.rs`).

pub mod admission;
pub mod events;
mod http;
pub mod live;
mod metrics;
mod watch;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kubepci_checks::Change;
use kubepci_history::History;
use kubepci_inventory::Config;
use kubepci_model::Object;
use kubepci_report::ConfigSource;
use kubepci_report::compare::RequirementStatus;

use crate::input::{ClusterArgs, Input};

pub use metrics::Metrics;
pub use watch::KindHealth;

/// What `serve` was asked to do.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub cluster: ClusterArgs,
    pub config: Option<PathBuf>,
    pub listen: SocketAddr,
    pub database: String,
    pub cluster_name: String,
    /// Quiet time after a change before re-evaluating (a burst of changes costs one evaluation).
    pub debounce: Duration,
    /// The admission webhook: HTTPS address, certificate and key files.
    pub webhook: Option<(SocketAddr, PathBuf, PathBuf)>,
    /// Create Kubernetes Events on drift (opt-in; needs `create` on events).
    pub drift_events: bool,
}

/// The state the HTTP endpoints read and the evaluation loop writes.
pub struct Shared {
    pub options: ServeOptions,
    pub ready: AtomicBool,
    /// The number of the current evaluation (counted from 1), set under the `live` lock.
    pub evaluation: AtomicU64,
    /// The current report as `scan -f json` writes it, assembled and rendered on first
    /// request (with the number of the evaluation it renders).
    pub report_json: Mutex<Option<(u64, Arc<Vec<u8>>)>>,
    pub metrics: Mutex<Metrics>,
    pub history: Mutex<History>,
    pub watches: Mutex<Vec<KindHealth>>,
    /// The objects of each watched kind (`Kind.apiVersion` → `namespace/name` → object).
    pub stores: Mutex<admission::Stores>,
    /// What admission reviews judge objects with, per namespace; told of every change to
    /// `stores` under its lock.
    pub review_contexts: admission::ReviewContexts,
    /// Objects changed since the last evaluation: (`Kind.apiVersion`, store key).
    pub pending: Mutex<BTreeSet<(String, String)>>,
    /// The kept evaluation (after the first one).
    pub live: Mutex<Option<live::Live>>,
    /// Signals a change to the evaluation loop.
    pub changed: tokio::sync::Notify,
    pub webhook: admission::WebhookMetrics,
    /// Drift Events for the sender task (with `--drift-events`), deduplicated and limited.
    pub drift_events: Option<(tokio::sync::mpsc::UnboundedSender<Vec<events::DriftEvent>>, Mutex<events::Limiter>)>,
}

/// What every evaluation shares: the configuration, and what the collection could not list.
pub struct Base {
    config: Config,
    config_source: ConfigSource,
    endpoint: String,
    template: Input,
}

/// Run until SIGINT/SIGTERM.
pub fn run(options: ServeOptions) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(serve(options))
}

async fn serve(options: ServeOptions) -> anyhow::Result<()> {
    let (config, config_source) = crate::input::load_config(options.config.as_deref())?;
    let database = options.database.clone();
    let history = tokio::task::spawn_blocking(move || kubepci_history::open(&database)).await??;
    let listener = tokio::net::TcpListener::bind(options.listen).await.map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", options.listen))?;
    eprintln!("kubepci serve: listening on http://{} (cluster {:?}, history {})", listener.local_addr()?, options.cluster_name, history.backend_name());

    let (event_sender, event_receiver) = tokio::sync::mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        options: options.clone(),
        ready: AtomicBool::new(false),
        evaluation: AtomicU64::new(0),
        report_json: Mutex::new(None),
        pending: Mutex::new(BTreeSet::new()),
        live: Mutex::new(None),
        metrics: Mutex::new(Metrics::default()),
        history: Mutex::new(history),
        watches: Mutex::new(Vec::new()),
        stores: Mutex::new(BTreeMap::new()),
        review_contexts: admission::ReviewContexts::default(),
        changed: tokio::sync::Notify::new(),
        webhook: admission::WebhookMetrics::default(),
        drift_events: options.drift_events.then(|| (event_sender, Mutex::new(events::Limiter::default()))),
    });
    // The webhook's certificate is read now, so a wrong file fails at start.
    let webhook = match &options.webhook {
        Some((addr, cert, key)) => {
            let tls = admission::ReloadingTls::new(cert.clone(), key.clone()).map_err(|e| anyhow::anyhow!("--tls-cert/--tls-key: {e}"))?;
            let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
            eprintln!("kubepci serve: admission webhook on https://{}/validate", listener.local_addr()?);
            Some((listener, Arc::new(tls)))
        }
        None => None,
    };
    let server = tokio::spawn(http::serve(listener, shared.clone()));

    let mut collect_options = options.cluster.options();
    collect_options.progress = false;
    let collected = kubepci_live::collect(&collect_options).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let targets = collected.listed.clone();
    let endpoint = collected.metadata.endpoint.clone();
    let mut template = Input::from_collected(collected);
    let objects = std::mem::take(&mut template.objects);
    {
        let mut stores = shared.stores.lock().expect("stores");
        let mut health = shared.watches.lock().expect("watches");
        for target in &targets {
            stores.insert(target.label(), BTreeMap::new());
            health.push(KindHealth::new(target));
        }
        for object in objects {
            let label = format!("{}.{}", object.kind(), object.api_version);
            if let Some(store) = stores.get_mut(&label) {
                store.insert(watch::object_key(object.namespace(), object.name()), object);
            }
        }
    }
    let base = Arc::new(Base { config, config_source, endpoint, template });
    evaluate_now(&shared, &base).await;
    if let Some((listener, tls)) = webhook {
        let threads = std::thread::available_parallelism().map_or(2, usize::from);
        let reviewers = Arc::new(admission::Reviewers::new(threads).map_err(|e| anyhow::anyhow!("review threads: {e}"))?);
        tokio::spawn(http::serve_webhook(listener, tls, shared.clone(), base.clone(), reviewers));
    }

    let client = kubepci_live::client(&collect_options).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    if options.drift_events {
        tokio::spawn(send_drift_events(client.clone(), event_receiver, options.cluster_name.clone()));
    }
    for (slot, target) in targets.into_iter().enumerate() {
        tokio::spawn(watch::watch_kind(client.clone(), target, slot, base.endpoint.clone(), shared.clone()));
    }
    let evaluator = tokio::spawn(evaluation_loop(shared.clone(), base));

    shutdown_signal().await;
    eprintln!("kubepci serve: stopping");
    evaluator.abort();
    server.abort();
    Ok(())
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

/// Create the drift Events the evaluations queue (`--drift-events`). The reporting instance
/// is the pod's name (`HOSTNAME`) where there is one, else the cluster name.
async fn send_drift_events(client: kube::Client, mut queue: tokio::sync::mpsc::UnboundedReceiver<Vec<events::DriftEvent>>, cluster_name: String) {
    let instance = std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or(cluster_name);
    while let Some(batch) = queue.recv().await {
        events::post(&client, batch, &instance).await;
    }
}

async fn evaluation_loop(shared: Arc<Shared>, base: Arc<Base>) {
    loop {
        shared.changed.notified().await;
        // Let a burst of changes settle: one evaluation for all of them.
        tokio::time::sleep(shared.options.debounce).await;
        evaluate_now(&shared, &base).await;
    }
}

/// Evaluate the current stores on a blocking thread and publish the result.
async fn evaluate_now(shared: &Arc<Shared>, base: &Arc<Base>) {
    let (shared, base) = (shared.clone(), base.clone());
    let _ = tokio::task::spawn_blocking(move || evaluate(&shared, &base)).await;
}

fn evaluate(shared: &Shared, base: &Base) {
    let started = Instant::now();
    let epoch = kubepci_base::time::now_epoch();
    let mut live = shared.live.lock().expect("live");
    let evaluated = match live.as_mut() {
        Some(kept) => kept.update(pending_changes(shared), epoch),
        None => {
            shared.pending.lock().expect("pending").clear();
            let objects: Vec<Object> = shared.stores.lock().expect("stores").values().flat_map(|s| s.values().cloned()).collect();
            let (kept, evaluated) = live::Live::new(base.input(objects), base.config.clone(), epoch);
            *live = Some(kept);
            evaluated
        }
    };
    // Recorded from the kept content (not copied out of it), as its changes when known.
    let content = live.as_ref().map(live::Live::content).expect("evaluated");
    let recorded = kubepci_checks::profile::timed("serve: history", || shared.history.lock().expect("history").record_change(&shared.options.cluster_name, &evaluated.generated_at, content, evaluated.change.as_ref()));
    shared.evaluation.fetch_add(1, Ordering::SeqCst);
    drop(live);
    let duration = started.elapsed();
    publish(shared, evaluated, recorded, epoch, duration);
}

/// The pending changes, read from the stores as they are now.
fn pending_changes(shared: &Shared) -> Vec<Change> {
    let pending = std::mem::take(&mut *shared.pending.lock().expect("pending"));
    let stores = shared.stores.lock().expect("stores");
    pending
        .into_iter()
        .map(|(label, key)| match stores.get(&label).and_then(|s| s.get(&key)) {
            Some(object) => Change::Apply(object.clone()),
            None => {
                let kind = label.split_once('.').map_or(label.as_str(), |(k, _)| k).to_string();
                let (namespace, name) = match key.split_once('/') {
                    Some((ns, name)) => (Some(ns.to_string()), name.to_string()),
                    None => (None, key.clone()),
                };
                Change::Delete { kind, namespace, name }
            }
        })
        .collect()
}

/// Update the metrics with the recorded run, log drift.
fn publish(shared: &Shared, evaluated: live::Evaluated, recorded: Result<kubepci_history::Recorded, kubepci_history::Error>, epoch: i64, duration: Duration) {
    let (drifted, candidates) = {
        let mut m = shared.metrics.lock().expect("metrics");
        let previous = m.replace_evaluation(&evaluated, epoch, duration);
        match &recorded {
            Ok(r) => m.history_ok(*r),
            Err(e) => {
                eprintln!("kubepci serve: history: {e}");
                m.history_failed();
            }
        }
        match (previous, m.requirements.as_ref()) {
            (Some(previous), Some(now)) => {
                let drifted = drift(&previous, now);
                // Which objects' new failures caused it.
                let candidates = if shared.drift_events.is_some() && !drifted.is_empty() { events::drift_events_of(&evaluated.new_failures, &drifted) } else { Vec::new() };
                (drifted, candidates)
            }
            _ => (Vec::new(), Vec::new()),
        }
    };
    for (id, was, now) in &drifted {
        eprintln!("kubepci serve: drift: requirement {id} went from {was} to {now}");
    }
    if let (Some((queue, limiter)), false) = (&shared.drift_events, candidates.is_empty()) {
        let (admitted, held) = limiter.lock().expect("limiter").admit(candidates, Instant::now());
        if held > 0 {
            eprintln!("kubepci serve: drift: {held} more Events not created (at most {} per evaluation)", events::MAX_PER_EVALUATION);
        }
        if !admitted.is_empty() {
            let _ = queue.send(admitted);
        }
    }
    shared.ready.store(true, Ordering::SeqCst);
}

/// The current report as `scan -f json` writes it: assembled and rendered once per
/// evaluation, when first asked for.
pub fn report_json(shared: &Shared) -> Option<Arc<Vec<u8>>> {
    let (number, report) = {
        let mut live = shared.live.lock().expect("live");
        let kept = live.as_mut()?;
        let number = shared.evaluation.load(Ordering::SeqCst);
        if let Some((rendered, json)) = shared.report_json.lock().expect("report json").as_ref()
            && *rendered == number
        {
            return Some(json.clone());
        }
        (number, kept.report())
    };
    let mut json = Vec::new();
    let _ = kubepci_report::write(&report, kubepci_report::Format::Json, kubepci_report::PrintOptions::default(), &mut json);
    let json = Arc::new(json);
    *shared.report_json.lock().expect("report json") = Some((number, json.clone()));
    Some(json)
}

impl Base {
    /// The input of a whole evaluation: `objects`, with what the collection could not list.
    fn input(&self, objects: Vec<Object>) -> Input {
        Input {
            kind: self.template.kind,
            sources: vec![self.endpoint.clone()],
            documents: objects.len(),
            objects,
            errors: self.template.errors.clone(),
            not_collected: self.template.not_collected,
            files: 0,
            snapshot: None,
            unlisted: self.template.unlisted.clone(),
            config_source: self.config_source.clone(),
            vulns: self.template.vulns.clone(),
        }
    }
}

/// Requirements that went from `pass`/`partial` to `fail` between two runs (their
/// requirement statuses).
pub fn drift(previous: &[RequirementStatus], now: &[RequirementStatus]) -> Vec<(String, String, String)> {
    let before: BTreeMap<&str, &str> = previous.iter().map(|r| (r.id.as_str(), r.status.as_str())).collect();
    now.iter()
        .filter(|r| r.status == "fail")
        .filter_map(|r| before.get(r.id.as_str()).filter(|s| matches!(**s, "pass" | "partial")).map(|s| (r.id.clone(), s.to_string(), r.status.clone())))
        .collect()
}
