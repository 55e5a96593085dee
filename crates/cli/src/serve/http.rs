//! The HTTP endpoints of `serve` (plain HTTP/1.1 on `--listen`; read-only, GET only).

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use kubepci_report::compare::diff;
use tokio::net::TcpListener;

use super::Shared;

type Reply = Response<Full<Bytes>>;

pub async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(route(&shared, &req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

fn reply(code: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Reply {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = code;
    r.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static(content_type));
    r
}

fn json(code: StatusCode, value: &impl serde::Serialize) -> Reply {
    let mut body = serde_json::to_vec_pretty(value).unwrap_or_default();
    body.push(b'\n');
    reply(code, "application/json", body)
}

fn error(code: StatusCode, message: &str) -> Reply {
    json(code, &serde_json::json!({"error": message}))
}

fn query_param(req: &Request<Incoming>, key: &str) -> Option<String> {
    req.uri().query()?.split('&').filter_map(|kv| kv.split_once('=')).find(|(k, _)| *k == key).map(|(_, v)| v.to_string())
}

/// Run blocking history work (the PostgreSQL client is synchronous) off the async threads.
async fn with_history<T: Send + 'static>(shared: &Arc<Shared>, work: impl FnOnce(&mut kubepci_history::History) -> Result<T, kubepci_history::Error> + Send + 'static) -> Result<T, String> {
    let shared = shared.clone();
    match tokio::task::spawn_blocking(move || work(&mut shared.history.lock().expect("history"))).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

async fn route(shared: &Arc<Shared>, req: &Request<Incoming>) -> Reply {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return error(StatusCode::METHOD_NOT_ALLOWED, "only GET");
    }
    let path = req.uri().path();
    match path {
        "/healthz" => reply(StatusCode::OK, "text/plain", "ok\n"),
        "/readyz" => {
            if shared.ready.load(Ordering::SeqCst) {
                reply(StatusCode::OK, "text/plain", "ready\n")
            } else {
                reply(StatusCode::SERVICE_UNAVAILABLE, "text/plain", "first evaluation not complete\n")
            }
        }
        "/metrics" => {
            let watches = shared.watches.lock().expect("watches").clone();
            let mut text = shared.metrics.lock().expect("metrics").render(&watches);
            if shared.options.webhook.is_some() {
                shared.webhook.render(&mut text);
            }
            reply(StatusCode::OK, "text/plain; version=0.0.4", text)
        }
        "/api/v1/report" => match tokio::task::spawn_blocking({
            let shared = shared.clone();
            move || super::report_json(&shared)
        })
        .await
        .ok()
        .flatten()
        {
            Some(body) => reply(StatusCode::OK, "application/json", Bytes::from(body.as_ref().clone())),
            None => error(StatusCode::SERVICE_UNAVAILABLE, "first evaluation not complete"),
        },
        "/api/v1/runs" => {
            let cluster = query_param(req, "cluster");
            let limit = query_param(req, "limit").and_then(|l| l.parse().ok()).or(Some(100));
            match with_history(shared, move |h| h.runs(cluster.as_deref(), limit)).await {
                Ok(runs) => json(StatusCode::OK, &serde_json::json!({"runs": runs})),
                Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, &e),
            }
        }
        "/api/v1/diff" => {
            let (Some(from), Some(to)) = (query_param(req, "from").and_then(|v| v.parse::<i64>().ok()), query_param(req, "to").and_then(|v| v.parse::<i64>().ok())) else {
                return error(StatusCode::BAD_REQUEST, "give from=RUN_ID&to=RUN_ID");
            };
            match with_history(shared, move |h| Ok((h.run_content(from)?, h.run_content(to)?))).await {
                Ok((Some(a), Some(b))) => json(StatusCode::OK, &diff(&a, &b)),
                Ok(_) => error(StatusCode::NOT_FOUND, "no such run"),
                Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, &e),
            }
        }
        _ => match path.strip_prefix("/api/v1/runs/").map(str::parse::<i64>) {
            Some(Ok(id)) => match with_history(shared, move |h| Ok((h.run(id)?, h.run_content(id)?))).await {
                Ok((Some(run), Some(content))) => json(StatusCode::OK, &serde_json::json!({"run": run, "content": content})),
                Ok(_) => error(StatusCode::NOT_FOUND, "no such run"),
                Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, &e),
            },
            Some(Err(_)) => error(StatusCode::BAD_REQUEST, "a run id is a number"),
            None => error(StatusCode::NOT_FOUND, "not found"),
        },
    }
}

/// The admission webhook: HTTPS (the certificate looked at for changes when a connection
/// opens, at most once a second), HTTP/1.1 keep-alive, `POST /validate` only.
pub async fn serve_webhook(listener: TcpListener, tls: Arc<super::admission::ReloadingTls>, shared: Arc<Shared>, base: Arc<super::Base>, reviewers: Arc<super::admission::Reviewers>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        // Answers are small and prompt: do not hold them back waiting for more to send.
        let _ = stream.set_nodelay(true);
        let acceptor = tokio_rustls::TlsAcceptor::from(tls.current());
        let (shared, base, reviewers) = (shared.clone(), base.clone(), reviewers.clone());
        tokio::spawn(async move {
            let Ok(stream) = acceptor.accept(stream).await else { return };
            let service = service_fn(move |req| {
                let (shared, base, reviewers) = (shared.clone(), base.clone(), reviewers.clone());
                async move { Ok::<_, Infallible>(validate(shared, base, reviewers, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

/// Bodies larger than this are refused (the apiserver's own request limit is 3 MiB).
const MAX_REVIEW_BYTES: usize = 3 << 20;

async fn validate(shared: Arc<Shared>, base: Arc<super::Base>, reviewers: Arc<super::admission::Reviewers>, req: Request<Incoming>) -> Reply {
    use http_body_util::BodyExt;
    let started = std::time::Instant::now();
    if req.uri().path() != "/validate" {
        return error(StatusCode::NOT_FOUND, "only /validate");
    }
    if req.method() != Method::POST {
        return error(StatusCode::METHOD_NOT_ALLOWED, "POST an AdmissionReview");
    }
    let body = match http_body_util::Limited::new(req.into_body(), MAX_REVIEW_BYTES).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return invalid(&shared, started, &format!("cannot read the body: {e}")),
    };
    let reviewer = shared.clone();
    // Decoded on the review thread too: parsing a large object is work like the rest.
    let reviewed = reviewers
        .run(move || {
            let request = super::admission::decode(&body)?;
            let reviewed = super::admission::review(&base, &reviewer.review_contexts, &reviewer.stores, &request);
            Ok::<_, String>((reviewed.decision, reviewed.response.to_json()))
        })
        .await;
    match reviewed {
        Some(Ok((decision, body))) => {
            shared.webhook.observe(decision, started);
            reply(StatusCode::OK, "application/json", body)
        }
        Some(Err(e)) => invalid(&shared, started, &e),
        None => error(StatusCode::INTERNAL_SERVER_ERROR, "the review failed"),
    }
}

fn invalid(shared: &Shared, started: std::time::Instant, message: &str) -> Reply {
    shared.webhook.observe("invalid", started);
    error(StatusCode::BAD_REQUEST, message)
}
