//! The cluster side of `kubepci respond`: a [`Reader`] that only GETs (evidence, the release
//! record) and a [`Writer`] that sends a plan's requests. They are separate types so that
//! nothing reading can write by mistake; the collector (`kubepci-live`) never writes.

use std::time::Duration;

use http::Request;
use serde_json::Value;

use crate::plan::{ApiRequest, Method};

/// A failed request: the HTTP status when the apiserver answered, and its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub code: Option<u16>,
    pub message: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code {
            Some(code) => write!(f, "HTTP {code}: {}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

impl std::error::Error for ApiError {}

/// A connection to the cluster, with the runtime its requests run on (callers are blocking).
pub struct Session {
    runtime: tokio::runtime::Runtime,
    client: kube::Client,
    pub endpoint: String,
    timeout: Duration,
}

impl Session {
    /// Connect as `kubepci collect` would (kubeconfig, context, in-cluster account).
    pub fn connect(kubeconfig: Option<std::path::PathBuf>, context: Option<String>, timeout: Duration) -> Result<Session, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().map_err(|e| format!("cannot start the async runtime: {e}"))?;
        let opts = kubepci_live::CollectOptions { kubeconfig, context, ..Default::default() };
        let (client, endpoint) = runtime.block_on(kubepci_live::connect(&opts)).map_err(|e| e.to_string())?;
        Ok(Session { runtime, client, endpoint, timeout })
    }

    pub fn reader(&self) -> Reader<'_> {
        Reader { session: self }
    }

    /// The only way to write to the cluster in kubepci.
    pub fn writer(&self) -> Writer<'_> {
        Writer { session: self }
    }

    fn send(&self, request: Request<Vec<u8>>) -> Result<String, ApiError> {
        let client = self.client.clone();
        let timeout = self.timeout;
        self.runtime.block_on(async move {
            match tokio::time::timeout(timeout, client.request_text(request)).await {
                Err(_) => Err(ApiError { code: None, message: format!("no answer within {}s", timeout.as_secs()) }),
                Ok(Ok(text)) => Ok(text),
                Ok(Err(kube::Error::Api(status))) => Err(ApiError { code: Some(status.code), message: status.message.clone() }),
                Ok(Err(e)) => Err(ApiError { code: None, message: e.to_string() }),
            }
        })
    }
}

/// GET requests only.
pub struct Reader<'a> {
    session: &'a Session,
}

impl Reader<'_> {
    pub fn get_text(&self, path_and_query: &str) -> Result<String, ApiError> {
        let request = Request::get(path_and_query).body(Vec::new()).map_err(|e| ApiError { code: None, message: e.to_string() })?;
        self.session.send(request)
    }

    pub fn get_json(&self, path_and_query: &str) -> Result<Value, ApiError> {
        let text = self.get_text(path_and_query)?;
        serde_json::from_str(&text).map_err(|e| ApiError { code: None, message: format!("{path_and_query}: not JSON: {e}") })
    }

    /// The items of a list (one page of up to 500; evidence lists are per namespace and small).
    pub fn list(&self, path: &str, query: &str) -> Result<Vec<Value>, ApiError> {
        let sep = if query.is_empty() { "" } else { "&" };
        let v = self.get_json(&format!("{path}?limit=500{sep}{query}"))?;
        Ok(v.get("items").and_then(Value::as_array).cloned().unwrap_or_default())
    }
}

/// Sends the requests of a plan.
pub struct Writer<'a> {
    session: &'a Session,
}

/// What happened to one request of a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// 404: the object is gone (a pod deleted since the quarantine).
    NotFound,
    Failed(ApiError),
}

impl Writer<'_> {
    pub fn send(&self, r: &ApiRequest) -> Outcome {
        let builder = match r.method {
            Method::Post => Request::post(&r.path).header(http::header::CONTENT_TYPE, "application/json"),
            Method::Patch => Request::patch(&r.path).header(http::header::CONTENT_TYPE, "application/merge-patch+json"),
            Method::Delete => Request::delete(&r.path),
        };
        let body = r.body.as_ref().map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let request = match builder.body(body) {
            Ok(r) => r,
            Err(e) => return Outcome::Failed(ApiError { code: None, message: e.to_string() }),
        };
        match self.session.send(request) {
            Ok(_) => Outcome::Done,
            Err(ApiError { code: Some(404), .. }) => Outcome::NotFound,
            Err(e) => Outcome::Failed(e),
        }
    }
}
