//! Single objects, namespaced lists, container logs and writes, for `kubepci respond`'s tests:
//! the fake keeps every object of its fixture lists in a mutable store, answers
//!
//! * `GET` of one object (`/api/v1/namespaces/NS/pods/NAME`, `/api/v1/nodes/NAME`, …),
//! * `GET` of a namespaced collection (`/apis/networking.k8s.io/v1/namespaces/NS/networkpolicies`)
//!   with `labelSelector` (`k=v`, `k`, comma-separated) and `fieldSelector`
//!   (`involvedObject.name=`, `involvedObject.kind=`, `metadata.name=`),
//! * `GET …/pods/NAME/log?container=C` (text set by the test, or one generic line),
//! * `POST` to a collection (create; 409 when it exists), `PATCH` of an object (JSON merge
//!   patch, RFC 7386; strategic merge patches are applied the same way, which is right for the
//!   label and field changes tested), `DELETE` of an object,
//!
//! and records every request that is not a GET, so a test asserts exactly what it received.
//! Cluster-wide lists stay served from the fixtures as before (they do not see writes).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

use crate::{Served, json_response, query_param, status};

/// A request the fake received that was not a GET.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub content_type: String,
    /// The body, when it was JSON.
    pub body: Option<Value>,
}

#[derive(Default)]
pub(crate) struct Store {
    /// Object URL path → object (with `kind` and `apiVersion`).
    objects: Mutex<BTreeMap<String, Value>>,
    /// `/api/v1/namespaces/NS/pods/NAME/log` + `?container=C` → log text.
    logs: Mutex<HashMap<String, String>>,
    writes: Mutex<Vec<RecordedRequest>>,
    next_uid: Mutex<u64>,
}

impl Store {
    /// Every item of the fixture lists, under its object path.
    pub(crate) fn seed(served: &Served) -> Store {
        let mut objects = BTreeMap::new();
        for (list_path, list) in &served.lists {
            let (prefix, resource) = match list_path.rsplit_once('/') {
                Some(split) => split,
                None => continue,
            };
            let kind = list.kind.trim_end_matches("List");
            for text in &list.items {
                let Ok(mut item) = serde_json::from_str::<Value>(text) else { continue };
                item["kind"] = json!(kind);
                item["apiVersion"] = json!(list.api_version);
                let Some(name) = item.pointer("/metadata/name").and_then(Value::as_str).map(str::to_string) else { continue };
                let path = match item.pointer("/metadata/namespace").and_then(Value::as_str) {
                    Some(ns) => format!("{prefix}/namespaces/{ns}/{resource}/{name}"),
                    None => format!("{prefix}/{resource}/{name}"),
                };
                objects.insert(path, item);
            }
        }
        Store { objects: Mutex::new(objects), ..Store::default() }
    }

    pub(crate) fn object(&self, path: &str) -> Option<Value> {
        self.objects.lock().expect("lock").get(path).cloned()
    }

    pub(crate) fn insert(&self, path: &str, object: Value) {
        self.objects.lock().expect("lock").insert(path.to_string(), object);
    }

    pub(crate) fn set_log(&self, namespace: &str, pod: &str, container: &str, text: &str) {
        self.logs.lock().expect("lock").insert(format!("/api/v1/namespaces/{namespace}/pods/{pod}/log?container={container}"), text.to_string());
    }

    pub(crate) fn writes(&self) -> Vec<RecordedRequest> {
        self.writes.lock().expect("lock").clone()
    }

    /// Answer the request if it is one the store serves; else hand it back.
    pub(crate) async fn route(&self, req: Request<Incoming>, path: &str, query: &str) -> Result<Response<Full<Bytes>>, Request<Incoming>> {
        let method = req.method().clone();
        if method == Method::GET {
            return self.get(path, query).ok_or(req);
        }
        let content_type = req.headers().get(hyper::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let bytes = match req.into_body().collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => return Ok(status(StatusCode::BAD_REQUEST, "BadRequest", "unreadable body")),
        };
        let body: Option<Value> = serde_json::from_slice(&bytes).ok();
        self.writes.lock().expect("lock").push(RecordedRequest { method: method.to_string(), path: path.to_string(), query: query.to_string(), content_type: content_type.clone(), body: body.clone() });
        Ok(match method {
            Method::POST => self.create(path, body),
            Method::PATCH => self.patch(path, &content_type, body),
            Method::DELETE => self.delete(path),
            _ => status(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "method not allowed"),
        })
    }

    fn get(&self, path: &str, query: &str) -> Option<Response<Full<Bytes>>> {
        if let Some(pod) = path.strip_suffix("/log") {
            let objects = self.objects.lock().expect("lock");
            let object = objects.get(pod)?;
            let container = query_param(query, "container").unwrap_or_default();
            let known = object.pointer("/spec/containers").and_then(Value::as_array).into_iter().chain(object.pointer("/spec/initContainers").and_then(Value::as_array)).flatten().any(|c| c["name"] == container.as_str());
            if !known {
                return Some(status(StatusCode::BAD_REQUEST, "BadRequest", &format!("container {container} is not valid for pod")));
            }
            let text = self.logs.lock().expect("lock").get(&format!("{path}?container={container}")).cloned().unwrap_or_else(|| format!("2026-12-07T10:00:00.000000000Z {container} started\n"));
            let mut r = Response::new(Full::new(Bytes::from(text)));
            r.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("text/plain"));
            return Some(r);
        }
        if let Some(object) = self.object(path) {
            return Some(json_response(StatusCode::OK, object.to_string()));
        }
        let (list_kind, api_version) = namespaced_collection(path)?;
        let prefix = format!("{path}/");
        let objects = self.objects.lock().expect("lock");
        let labels = query_param(query, "labelSelector").unwrap_or_default();
        let fields = query_param(query, "fieldSelector").unwrap_or_default();
        let items: Vec<&Value> = objects.iter().filter(|(p, _)| p.starts_with(&prefix) && !p[prefix.len()..].contains('/')).map(|(_, o)| o).filter(|o| label_selector_matches(&labels, o) && field_selector_matches(&fields, o)).collect();
        let kind = items.first().and_then(|o| o["kind"].as_str()).map(|k| format!("{k}List")).unwrap_or(list_kind);
        Some(json_response(StatusCode::OK, json!({"kind": kind, "apiVersion": api_version, "metadata": {"resourceVersion": "90210"}, "items": items}).to_string()))
    }

    fn create(&self, collection: &str, body: Option<Value>) -> Response<Full<Bytes>> {
        let Some(mut object) = body.filter(Value::is_object) else {
            return status(StatusCode::BAD_REQUEST, "BadRequest", "the body is not a JSON object");
        };
        let Some(name) = object.pointer("/metadata/name").and_then(Value::as_str).map(str::to_string) else {
            return status(StatusCode::UNPROCESSABLE_ENTITY, "Invalid", "metadata.name: Required value");
        };
        let path = format!("{collection}/{name}");
        let mut objects = self.objects.lock().expect("lock");
        if objects.contains_key(&path) {
            let resource = collection.rsplit('/').next().unwrap_or("");
            return status(StatusCode::CONFLICT, "AlreadyExists", &format!("{resource} \"{name}\" already exists"));
        }
        let uid = {
            let mut n = self.next_uid.lock().expect("lock");
            *n += 1;
            format!("00000000-0000-4000-8000-{:012}", *n)
        };
        object["metadata"]["uid"] = json!(uid);
        object["metadata"]["resourceVersion"] = json!("90211");
        objects.insert(path, object.clone());
        json_response(StatusCode::CREATED, object.to_string())
    }

    fn patch(&self, path: &str, content_type: &str, body: Option<Value>) -> Response<Full<Bytes>> {
        if !matches!(content_type, "application/merge-patch+json" | "application/strategic-merge-patch+json") {
            return status(StatusCode::UNSUPPORTED_MEDIA_TYPE, "UnsupportedMediaType", &format!("the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json (got {content_type:?})"));
        }
        let Some(patch) = body else {
            return status(StatusCode::BAD_REQUEST, "BadRequest", "the patch is not JSON");
        };
        let mut objects = self.objects.lock().expect("lock");
        let Some(object) = objects.get_mut(path) else {
            return not_found(path);
        };
        merge_patch(object, &patch);
        json_response(StatusCode::OK, object.to_string())
    }

    fn delete(&self, path: &str) -> Response<Full<Bytes>> {
        match self.objects.lock().expect("lock").remove(path) {
            Some(_) => json_response(StatusCode::OK, json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}).to_string()),
            None => not_found(path),
        }
    }
}

fn not_found(path: &str) -> Response<Full<Bytes>> {
    let mut parts = path.rsplit('/');
    let (name, resource) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    status(StatusCode::NOT_FOUND, "NotFound", &format!("{resource} \"{name}\" not found"))
}

/// `(/api/v1 | /apis/G/V)/namespaces/NS/RESOURCE`: the list kind to answer with when it is
/// empty, and the group version.
fn namespaced_collection(path: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (api_version, rest) = match parts.as_slice() {
        ["api", v, rest @ ..] => (v.to_string(), rest),
        ["apis", g, v, rest @ ..] => (format!("{g}/{v}"), rest),
        _ => return None,
    };
    match rest {
        ["namespaces", ns, _resource] if !ns.is_empty() => Some(("List".to_string(), api_version)),
        _ => None,
    }
}

/// RFC 7386: objects merge recursively, `null` removes a member, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    let Value::Object(map) = target else { return };
    for (k, v) in patch {
        if v.is_null() {
            map.remove(k);
        } else {
            merge_patch(map.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

fn label_selector_matches(selector: &str, object: &Value) -> bool {
    let labels = object.pointer("/metadata/labels");
    selector.split(',').filter(|s| !s.is_empty()).all(|req| match req.split_once('=') {
        Some((k, v)) => labels.and_then(|l| l.get(k)).and_then(Value::as_str) == Some(v),
        None => labels.and_then(|l| l.get(req)).is_some(),
    })
}

fn field_selector_matches(selector: &str, object: &Value) -> bool {
    selector.split(',').filter(|s| !s.is_empty()).all(|req| {
        let Some((field, value)) = req.split_once('=') else { return false };
        let pointer = format!("/{}", field.replace('.', "/"));
        object.pointer(&pointer).and_then(Value::as_str) == Some(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut v = json!({"metadata": {"labels": {"app": "api", "x": "1"}}, "spec": {"a": 1}});
        merge_patch(&mut v, &json!({"metadata": {"labels": {"app": null, "q": "ir"}}, "spec": {"b": [1]}}));
        assert_eq!(v, json!({"metadata": {"labels": {"x": "1", "q": "ir"}}, "spec": {"a": 1, "b": [1]}}));
    }

    #[test]
    fn selectors_match_labels_and_fields() {
        let o = json!({"metadata": {"labels": {"a": "1", "b": ""}}, "involvedObject": {"name": "p"}});
        assert!(label_selector_matches("a=1,b", &o));
        assert!(!label_selector_matches("a=2", &o));
        assert!(!label_selector_matches("c", &o));
        assert!(field_selector_matches("involvedObject.name=p", &o));
        assert!(!field_selector_matches("involvedObject.name=q", &o));
        assert_eq!(namespaced_collection("/apis/networking.k8s.io/v1/namespaces/p/networkpolicies"), Some(("List".into(), "networking.k8s.io/v1".into())));
        assert_eq!(namespaced_collection("/api/v1/pods"), None);
    }
}
