//! Reading from the apiserver: one GET with bounded time and retries, and a paginated list
//! that restarts when its continue token expires.

use std::time::Duration;

use kube::Client;
use serde::Deserialize;
use serde_json::value::RawValue;

/// Bounds for every request.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub page_size: u32,
    pub timeout: Duration,
    pub retries: u32,
    /// The most items one kind's list may return before it is stopped as runaway.
    pub max_objects: usize,
}

/// Why a GET did not give a body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// 403: the credentials may not read this.
    Forbidden(String),
    /// 404: not served by this cluster.
    NotFound,
    /// 410: the continue token expired.
    Expired,
    /// Anything else, after retries where retrying made sense.
    Failed(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Forbidden(m) => write!(f, "forbidden: {m}"),
            Failure::NotFound => write!(f, "not served by this cluster"),
            Failure::Expired => write!(f, "continue token expired"),
            Failure::Failed(m) => write!(f, "{m}"),
        }
    }
}

/// The outcome of one attempt: a final answer, or a transient failure worth retrying
/// (with the server's Retry-After hint, if any).
enum Attempt {
    Done(Result<String, Failure>),
    Transient(String, Option<Duration>),
}

async fn attempt(client: &Client, path_and_query: &str, timeout: Duration) -> Attempt {
    let request = match http::Request::get(path_and_query).body(Vec::new()) {
        Ok(r) => r,
        Err(e) => return Attempt::Done(Err(Failure::Failed(format!("bad request {path_and_query}: {e}")))),
    };
    match tokio::time::timeout(timeout, client.request_text(request)).await {
        Err(_) => Attempt::Transient(format!("timed out after {}s", timeout.as_secs_f32()), None),
        Ok(Ok(text)) => Attempt::Done(Ok(text)),
        Ok(Err(kube::Error::Api(status))) => {
            let message = if status.message.is_empty() { status.reason.clone() } else { status.message.clone() };
            match status.code {
                403 => Attempt::Done(Err(Failure::Forbidden(message))),
                404 => Attempt::Done(Err(Failure::NotFound)),
                410 => Attempt::Done(Err(Failure::Expired)),
                429 | 500 | 502 | 503 | 504 => {
                    let hint = status.details.as_ref().map(|d| d.retry_after_seconds).filter(|&s| s > 0);
                    Attempt::Transient(format!("HTTP {}: {message}", status.code), hint.map(|s| Duration::from_secs(u64::from(s.min(10)))))
                }
                code => Attempt::Done(Err(Failure::Failed(format!("HTTP {code}: {message}")))),
            }
        }
        Ok(Err(e @ (kube::Error::HyperError(_) | kube::Error::Service(_)))) => Attempt::Transient(e.to_string(), None),
        Ok(Err(e)) => Attempt::Done(Err(Failure::Failed(e.to_string()))),
    }
}

/// GET `path_and_query`, retrying transient failures up to `limits.retries` times with
/// exponential backoff (100 ms, 200 ms, …) or the server's Retry-After.
pub async fn get_text(client: &Client, path_and_query: &str, limits: &Limits) -> Result<String, Failure> {
    let mut tries = 0;
    loop {
        match attempt(client, path_and_query, limits.timeout).await {
            Attempt::Done(result) => return result,
            Attempt::Transient(message, hint) => {
                if tries >= limits.retries {
                    return Err(Failure::Failed(format!("{message} (after {} attempts)", tries + 1)));
                }
                let backoff = hint.unwrap_or(Duration::from_millis(100 << tries.min(6)));
                tokio::time::sleep(backoff).await;
                tries += 1;
            }
        }
    }
}

/// GET and parse JSON.
pub async fn get_json<T: serde::de::DeserializeOwned>(client: &Client, path: &str, limits: &Limits) -> Result<T, Failure> {
    let text = get_text(client, path, limits).await?;
    serde_json::from_str(&text).map_err(|e| Failure::Failed(format!("{path}: unexpected response: {e}")))
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    metadata: PageMeta,
    /// Items as raw JSON text: the consumer decides how to decode them (straight into typed
    /// structs for a scan, through a JSON value when the raw item is kept for a snapshot).
    #[serde(default)]
    items: Option<Vec<Box<RawValue>>>,
}

#[derive(Deserialize, Default)]
struct PageMeta {
    #[serde(rename = "continue", default)]
    next: Option<String>,
}

/// What a paginated list hands to its consumer.
pub enum PageEvent {
    /// The next page's items, as raw JSON.
    Items(Vec<Box<RawValue>>),
    /// The list starts over (its continue token expired): drop what was received so far.
    Restart,
}

/// List every item at `path` page by page (`limit`/`continue`). A 410 on a continue token
/// restarts the list from the beginning, at most `limits.retries` times. A list that does not
/// end is stopped: a continue token the apiserver already sent (it would page forever) and more
/// than `limits.max_objects` items are failures naming the list.
pub async fn list_all(client: &Client, path: &str, limits: &Limits, on_page: &mut (dyn FnMut(PageEvent) + Send)) -> Result<(), Failure> {
    let mut restarts = 0;
    let mut next: Option<String> = None;
    let mut seen_tokens: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut items = 0usize;
    loop {
        let url = page_url(path, limits.page_size, next.as_deref());
        match get_text(client, &url, limits).await {
            Ok(text) => {
                let page: Page = serde_json::from_str(&text).map_err(|e| Failure::Failed(format!("{path}: unexpected list response: {e}")))?;
                drop(text);
                let page_items = page.items.unwrap_or_default();
                items += page_items.len();
                if items > limits.max_objects {
                    return Err(Failure::Failed(format!(
                        "{path}: the list returned more than {} items (--max-objects); stopped as a runaway list",
                        limits.max_objects
                    )));
                }
                on_page(PageEvent::Items(page_items));
                match page.metadata.next.filter(|t| !t.is_empty()) {
                    Some(token) => {
                        if !seen_tokens.insert(token.clone()) {
                            return Err(Failure::Failed(format!(
                                "{path}: the apiserver sent the same continue token again after {items} items; the list would never end"
                            )));
                        }
                        next = Some(token);
                    }
                    None => return Ok(()),
                }
            }
            Err(Failure::Expired) if next.is_some() && restarts < limits.retries => {
                restarts += 1;
                next = None;
                seen_tokens.clear();
                items = 0;
                on_page(PageEvent::Restart);
            }
            Err(e) => return Err(e),
        }
    }
}

/// The URL of one list page. Continue tokens are base64: `+`, `/` and `=` must be escaped.
fn page_url(path: &str, page_size: u32, continue_token: Option<&str>) -> String {
    let mut url = format!("{path}?limit={page_size}");
    if let Some(token) = continue_token {
        url.push_str("&continue=");
        url.push_str(&kubepci_base::text::percent_encode(token, b""));
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_are_escaped() {
        assert_eq!(page_url("/api/v1/pods", 500, None), "/api/v1/pods?limit=500");
        assert_eq!(page_url("/api/v1/pods", 2, Some("eyJ2Ijoi+/=")), "/api/v1/pods?limit=2&continue=eyJ2Ijoi%2B%2F%3D");
        assert_eq!(page_url("/api/v1/pods", 2, Some("plain-token_1.2~")), "/api/v1/pods?limit=2&continue=plain-token_1.2~");
    }
}
