//! An in-process fake kube-apiserver for the live-path tests (`kubepci-live`, the `kubepci`
//! CLI) and the collection benchmark: serves fixture responses over HTTPS (its own CA, embedded
//! in a generated kubeconfig) or plain HTTP, with bearer-token auth, list pagination
//! (`limit`/`continue`, `remainingItemCount`), and configurable misbehaviour: 403 on some
//! paths, 410 on a continued list, slow answers. Fixtures: `fixtures/README.md`.
//! Single objects, namespaced lists, logs and writes (for `kubepci respond`): `store.rs`.

mod store;

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

pub use store::{RecordedRequest, merge_patch};

pub const TOKEN: &str = "fake-t0k3n";

/// One list the fake serves: items pre-serialised so pages are cheap to build.
pub struct ServedList {
    pub kind: String,
    pub api_version: String,
    pub items: Vec<String>,
}

/// Everything the fake answers, by URL path.
#[derive(Default)]
pub struct Served {
    pub docs: HashMap<String, String>,
    pub lists: HashMap<String, ServedList>,
}

impl Served {
    /// Load `dir/<path>.json` files: documents with an `items` array are lists.
    pub fn from_dir(dir: &Path) -> Served {
        let mut served = Served::default();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).expect("fixture dir") {
                let p = entry.expect("entry").path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                let rel = p.strip_prefix(dir).expect("under dir").to_string_lossy().trim_end_matches(".json").to_string();
                let url = format!("/{rel}");
                let text = std::fs::read_to_string(&p).expect("fixture");
                let value: Value = serde_json::from_str(&text).expect("fixture json");
                match value.get("items").and_then(Value::as_array) {
                    Some(items) => {
                        served.lists.insert(url, ServedList {
                            kind: value["kind"].as_str().unwrap_or("List").to_string(),
                            api_version: value["apiVersion"].as_str().unwrap_or("v1").to_string(),
                            items: items.iter().map(|i| serde_json::to_string(i).expect("item")).collect(),
                        });
                    }
                    None => {
                        served.docs.insert(url, text);
                    }
                }
            }
        }
        served
    }

    /// The fixture items of a list path, as the apiserver sends them.
    pub fn items(&self, path: &str) -> Vec<Value> {
        self.lists.get(path).map(|l| l.items.iter().map(|i| serde_json::from_str(i).expect("item")).collect()).unwrap_or_default()
    }
}

/// Misbehaviour to inject.
#[derive(Default, Clone)]
pub struct Behaviour {
    /// Paths answering 403 Forbidden.
    pub forbidden: HashSet<String>,
    /// Paths whose first continued request answers 410 Expired.
    pub expire_once: HashSet<String>,
    /// Paths whose first `n` requests are delayed.
    pub slow: HashMap<String, (Duration, usize)>,
    /// Paths whose every page carries the same continue token (a list that never ends).
    pub repeat_continue: HashSet<String>,
    /// Paths whose list never ends: every page carries a new continue token, and the items
    /// start over after the last one.
    pub endless: HashSet<String>,
}

struct State {
    served: Served,
    behaviour: Behaviour,
    requests: Mutex<HashMap<String, usize>>,
    expired: Mutex<HashSet<String>>,
    store: store::Store,
}

pub struct FakeApiserver {
    pub url: String,
    pub kubeconfig: PathBuf,
    _dir: tempfile::TempDir,
    state: Arc<State>,
}

impl FakeApiserver {
    /// Start on 127.0.0.1 (a random port) on the current tokio runtime.
    pub async fn start(served: Served, behaviour: Behaviour, tls: bool) -> FakeApiserver {
        FakeApiserver::launch(served, behaviour, tls, false).await
    }

    /// Serve `served` on a random loopback port, answering watches too when `watchable`.
    async fn launch(served: Served, behaviour: Behaviour, tls: bool, watchable: bool) -> FakeApiserver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let store = store::Store::seed(&served);
        let state = Arc::new(State { served, behaviour, requests: Mutex::default(), expired: Mutex::default(), store });
        let dir = tempfile::tempdir().expect("tempdir");
        let (acceptor, ca_pem) = if tls {
            let (a, pem) = tls_acceptor();
            (Some(a), Some(pem))
        } else {
            (None, None)
        };
        let url = format!("{}://127.0.0.1:{port}", if tls { "https" } else { "http" });
        let kubeconfig = dir.path().join("kubeconfig");
        std::fs::write(&kubeconfig, kubeconfig_yaml(&url, ca_pem.as_deref())).expect("kubeconfig");
        let watches = watchable.then(|| watches_of(&url));
        let serve_state = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let (state, acceptor, watches) = (serve_state.clone(), acceptor.clone(), watches.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let (state, watches) = (state.clone(), watches.clone());
                        async move {
                            Ok::<_, Infallible>(match &watches {
                                Some(watches) => handle_with_watch(&state, watches, req).await,
                                None => handle(&state, req).await.map(http_body_util::Either::Left),
                            })
                        }
                    });
                    let http = hyper::server::conn::http1::Builder::new();
                    match acceptor {
                        Some(acceptor) => {
                            if let Ok(tls) = acceptor.accept(stream).await {
                                let _ = http.serve_connection(TokioIo::new(tls), service).await;
                            }
                        }
                        None => {
                            let _ = http.serve_connection(TokioIo::new(stream), service).await;
                        }
                    }
                });
            }
        });
        FakeApiserver { url, kubeconfig, _dir: dir, state }
    }

    /// Requests received for `path` (any query).
    pub fn requests(&self, path: &str) -> usize {
        self.state.requests.lock().expect("lock").get(path).copied().unwrap_or(0)
    }

    pub fn served(&self) -> &Served {
        &self.state.served
    }

    /// The requests received that were not GETs, in order.
    pub fn writes(&self) -> Vec<RecordedRequest> {
        self.state.store.writes()
    }

    /// One object as the fake holds it now (after writes), by URL path.
    pub fn object(&self, path: &str) -> Option<Value> {
        self.state.store.object(path)
    }

    /// Add or replace one object (an Event, say), by URL path.
    pub fn insert_object(&self, path: &str, object: Value) {
        self.state.store.insert(path, object);
    }

    /// What `GET …/pods/POD/log?container=CONTAINER` answers.
    pub fn set_log(&self, namespace: &str, pod: &str, container: &str, text: &str) {
        self.state.store.set_log(namespace, pod, container, text);
    }
}

/// A kubeconfig whose current context `fake` points here, plus a context `broken` pointing at
/// a closed port (to test context selection).
fn kubeconfig_yaml(url: &str, ca_pem: Option<&str>) -> String {
    let ca = ca_pem.map(|pem| format!("\n    certificate-authority-data: {}", STANDARD.encode(pem))).unwrap_or_default();
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: {url}{ca}
- name: broken
  cluster:
    server: http://127.0.0.1:9
contexts:
- name: fake
  context: {{cluster: fake, user: fake}}
- name: broken
  context: {{cluster: broken, user: fake}}
current-context: fake
users:
- name: fake
  user:
    token: {TOKEN}
"
    )
}

/// A CA and a server certificate for 127.0.0.1, made fresh per server.
fn tls_acceptor() -> (TlsAcceptor, String) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "fake-apiserver-ca");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("ca key")).expect("ca");
    let leaf_key = KeyPair::generate().expect("leaf key");
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).expect("leaf params").signed_by(&leaf_key, &ca).expect("leaf");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .expect("server config");
    (TlsAcceptor::from(Arc::new(config)), ca.pem())
}

fn status(code: StatusCode, reason: &str, message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message, "reason": reason, "code": code.as_u16()});
    json_response(code, body.to_string())
}

fn json_response(code: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = code;
    r.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/json"));
    r
}

fn query_param(query: &str, key: &str) -> Option<String> {
    query.split('&').filter_map(|kv| kv.split_once('=')).find(|(k, _)| *k == key).map(|(_, v)| percent_decode(v))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn handle(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let authorised = req.headers().get(hyper::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"));
    if !authorised {
        return status(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized");
    }
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let count = {
        let mut r = state.requests.lock().expect("lock");
        let c = r.entry(path.clone()).or_default();
        *c += 1;
        *c
    };
    if let Some((delay, n)) = state.behaviour.slow.get(&path)
        && count <= *n
    {
        tokio::time::sleep(*delay).await;
    }
    if state.behaviour.forbidden.contains(&path) {
        let resource = path.rsplit('/').next().unwrap_or("");
        return status(StatusCode::FORBIDDEN, "Forbidden", &format!("{resource} is forbidden: User \"system:serviceaccount:kubepci:kubepci\" cannot list resource \"{resource}\" at the cluster scope"));
    }
    if let Ok(response) = state.store.route(req, &path, &query).await {
        return response;
    }
    if let Some(doc) = state.served.docs.get(&path) {
        return json_response(StatusCode::OK, doc.clone());
    }
    let Some(list) = state.served.lists.get(&path) else {
        return status(StatusCode::NOT_FOUND, "NotFound", "the server could not find the requested resource");
    };
    let limit = query_param(&query, "limit").and_then(|l| l.parse::<usize>().ok()).filter(|&l| l > 0).unwrap_or(usize::MAX);
    let start = match query_param(&query, "continue") {
        None => 0,
        Some(token) => {
            if state.behaviour.expire_once.contains(&path) && state.expired.lock().expect("lock").insert(path.clone()) {
                return status(StatusCode::GONE, "Expired", "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results.");
            }
            let decoded = STANDARD.decode(token.as_bytes()).ok().and_then(|b| String::from_utf8(b).ok());
            match decoded.as_deref().and_then(|d| d.split_once('\n')).filter(|(p, _)| *p == path).and_then(|(_, o)| o.parse::<usize>().ok()) {
                Some(offset) => offset,
                None => return status(StatusCode::BAD_REQUEST, "BadRequest", "continue key is not valid"),
            }
        }
    };
    let endless = state.behaviour.endless.contains(&path) && !list.items.is_empty();
    let repeat = state.behaviour.repeat_continue.contains(&path);
    // An endless list serves its items round and round; the token counts on.
    let (offset, start) = if endless { (start, start % list.items.len()) } else { (start, start) };
    let end = start.saturating_add(limit).min(list.items.len());
    let start = start.min(end);
    let mut body = String::with_capacity(list.items[start..end].iter().map(|i| i.len() + 1).sum::<usize>() + 256);
    body.push_str(&format!("{{\"kind\":\"{}\",\"apiVersion\":\"{}\",\"metadata\":{{\"resourceVersion\":\"90210\"", list.kind, list.api_version));
    if endless || repeat {
        let next = if repeat { end.min(limit) } else { offset + (end - start) };
        let token = STANDARD.encode(format!("{path}\n{next}"));
        body.push_str(&format!(",\"continue\":\"{token}\""));
    } else if end < list.items.len() {
        let token = STANDARD.encode(format!("{path}\n{end}"));
        body.push_str(&format!(",\"continue\":\"{token}\",\"remainingItemCount\":{}", list.items.len() - end));
    }
    body.push_str("},\"items\":[");
    for (i, item) in list.items[start..end].iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(item);
    }
    body.push_str("]}");
    json_response(StatusCode::OK, body)
}

/// The fixture directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cluster")
}

// ---------------------------------------------------------------------------------------------
// Watch support: `?watch=1` on a list path streams the events pushed with
// `FakeApiserver::push_event` as newline-delimited JSON (`{"type":"ADDED","object":…}`), the
// apiserver's watch protocol. Pushed events also change what later lists of that path return,
// so a client that relists sees the same state. Misbehaviour for watches: `drop_watches` cuts
// every open watch, `WatchBehaviour` answers a path's first watches with 410 Gone (as an ERROR
// event, the way the apiserver reports an expired resourceVersion) or an HTTP status (429, 500).
// ---------------------------------------------------------------------------------------------

/// Misbehaviour of watch requests, per list path.
#[derive(Default, Clone)]
pub struct WatchBehaviour {
    /// Paths whose next `n` watches get an ERROR event `410 Expired` and end.
    pub gone: HashMap<String, usize>,
    /// Paths whose next `n` watches answer this HTTP status (429 carries `Retry-After: 1`),
    /// after the `gone` ones.
    pub status: HashMap<String, (u16, usize)>,
}

/// The watch side of the fake: open watches, changed lists, injected failures.
#[derive(Default)]
pub struct Watches {
    /// Current items of lists changed by pushed events (path → item JSON texts).
    lists: Mutex<HashMap<String, Vec<String>>>,
    /// Senders of the open watches, per path.
    open: Mutex<HashMap<String, Vec<tokio::sync::mpsc::UnboundedSender<Bytes>>>>,
    behaviour: Mutex<WatchBehaviour>,
    /// Watch requests received per path.
    requests: Mutex<HashMap<String, usize>>,
    /// Monotonic resourceVersion of pushed events.
    version: std::sync::atomic::AtomicU64,
}

/// A response body fed by a channel: each message is one chunk; the body ends when every
/// sender is dropped.
pub struct ChannelBody(tokio::sync::mpsc::UnboundedReceiver<Bytes>);

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|chunk| chunk.map(|b| Ok(hyper::body::Frame::data(b))))
    }
}

/// Either a whole response or a watch stream.
pub type AnyBody = http_body_util::Either<Full<Bytes>, ChannelBody>;

static WATCHES: std::sync::OnceLock<Mutex<HashMap<String, Arc<Watches>>>> = std::sync::OnceLock::new();

impl FakeApiserver {
    /// The watch state of this server (created on first use).
    pub fn watches(&self) -> Arc<Watches> {
        watches_of(&self.url)
    }

    /// Start like [`FakeApiserver::start`], also answering watches.
    pub async fn start_watchable(served: Served, behaviour: Behaviour, tls: bool) -> FakeApiserver {
        FakeApiserver::launch(served, behaviour, tls, true).await
    }

    /// Push a watch event (`ADDED`, `MODIFIED`, `DELETED`) for `object` on list `path`: sent to
    /// every open watch of the path and applied to what its lists return from now on.
    pub fn push_event(&self, path: &str, kind: &str, object: &Value) {
        let watches = self.watches();
        let version = watches.version.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 100_000;
        let mut object = object.clone();
        object["metadata"]["resourceVersion"] = Value::String(version.to_string());
        let key = |v: &Value| (v["metadata"]["namespace"].as_str().unwrap_or("").to_string(), v["metadata"]["name"].as_str().unwrap_or("").to_string());
        {
            let mut lists = watches.lists.lock().expect("lock");
            let items = lists.entry(path.to_string()).or_insert_with(|| self.state.served.lists.get(path).map(|l| l.items.clone()).unwrap_or_default());
            let wanted = key(&object);
            items.retain(|i| serde_json::from_str::<Value>(i).map(|v| key(&v) != wanted).unwrap_or(true));
            if kind != "DELETED" {
                items.push(serde_json::to_string(&object).expect("item"));
            }
        }
        let line = Bytes::from(format!("{}\n", serde_json::json!({"type": kind, "object": object})));
        if let Some(senders) = watches.open.lock().expect("lock").get_mut(path) {
            senders.retain(|s| s.send(line.clone()).is_ok());
        }
    }

    /// End every open watch (the client sees its stream close and must watch again).
    pub fn drop_watches(&self) {
        self.watches().open.lock().expect("lock").clear();
    }

    /// Set how watches misbehave from now on.
    pub fn set_watch_behaviour(&self, behaviour: WatchBehaviour) {
        *self.watches().behaviour.lock().expect("lock") = behaviour;
    }

    /// Watch requests received for `path`.
    pub fn watch_requests(&self, path: &str) -> usize {
        self.watches().requests.lock().expect("lock").get(path).copied().unwrap_or(0)
    }

    /// Watches open on `path` now.
    pub fn open_watches(&self, path: &str) -> usize {
        self.watches().open.lock().expect("lock").get(path).map_or(0, |s| s.iter().filter(|s| !s.is_closed()).count())
    }
}

fn watches_of(url: &str) -> Arc<Watches> {
    WATCHES.get_or_init(Mutex::default).lock().expect("lock").entry(url.to_string()).or_default().clone()
}

async fn handle_with_watch(state: &State, watches: &Watches, req: Request<Incoming>) -> Response<AnyBody> {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let authorised = req.headers().get(hyper::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"));
    let is_watch = matches!(query_param(&query, "watch").as_deref(), Some("1" | "true"));
    if !authorised || !is_watch || !state.served.lists.contains_key(&path) || state.behaviour.forbidden.contains(&path) {
        // A changed list is answered from its current items; everything else as before.
        let changed = watches.lists.lock().expect("lock").get(&path).cloned();
        if let (true, Some(items), Some(list)) = (authorised && !is_watch, changed, state.served.lists.get(&path)) {
            let body = serde_json::json!({"kind": list.kind, "apiVersion": list.api_version, "metadata": {"resourceVersion": watches.version.load(std::sync::atomic::Ordering::SeqCst).to_string()}, "items": items.iter().map(|i| serde_json::from_str::<Value>(i).unwrap_or(Value::Null)).collect::<Vec<_>>()});
            return json_response(StatusCode::OK, body.to_string()).map(http_body_util::Either::Left);
        }
        return handle(state, req).await.map(http_body_util::Either::Left);
    }
    *watches.requests.lock().expect("lock").entry(path.clone()).or_default() += 1;
    // Take one use of the injected misbehaviour, if any is left.
    let (gone, failure) = {
        let mut b = watches.behaviour.lock().expect("lock");
        let gone = b.gone.get_mut(&path).filter(|n| **n > 0).map(|n| *n -= 1).is_some();
        let failure = if gone { None } else { b.status.get_mut(&path).filter(|(_, n)| *n > 0).map(|(code, n)| { *n -= 1; *code }) };
        (gone, failure)
    };
    if let Some(code) = failure {
        let code = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut r = status(code, if code.as_u16() == 429 { "TooManyRequests" } else { "InternalError" }, "injected failure");
        if code.as_u16() == 429 {
            r.headers_mut().insert(hyper::header::RETRY_AFTER, hyper::header::HeaderValue::from_static("1"));
        }
        return r.map(http_body_util::Either::Left);
    }
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    if gone {
        let gone = serde_json::json!({"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "too old resource version", "reason": "Expired", "code": 410}});
        let _ = tx.send(Bytes::from(format!("{gone}\n")));
        drop(tx);
    } else {
        watches.open.lock().expect("lock").entry(path).or_default().push(tx);
    }
    let mut r = Response::new(http_body_util::Either::Right(ChannelBody(rx)));
    r.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/json"));
    r
}
