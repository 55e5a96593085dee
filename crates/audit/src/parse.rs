//! Turning bytes into events: one JSON document (a line of JSON Lines, or a whole file) may be
//! an event, an `EventList`, a JSON array of events, or a cloud wrapper holding events
//! (AKS diagnostic records, EKS CloudWatch Logs exports, container log shippers' `{"log": ...}`).

use serde_json::value::RawValue;

use crate::event::{Event, s};

/// How deep wrappers may nest (a CloudWatch subscription payload holds log events holding an
/// event: two levels; Azure `records` hold a record holding a log string: two).
const MAX_DEPTH: u8 = 3;

/// Parse one JSON document and hand every audit event in it to `f`. Returns how many events
/// were found, or why the document is not audit events.
pub fn parse_document(doc: &[u8], f: &mut dyn FnMut(&Event<'_>)) -> Result<usize, String> {
    let text = std::str::from_utf8(doc).map_err(|e| format!("not UTF-8 text ({e})"))?;
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        let items: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
        return parse_items(&items, f, 0);
    }
    parse_object(text, f, 0)
}

fn parse_items(items: &[&RawValue], f: &mut dyn FnMut(&Event<'_>), depth: u8) -> Result<usize, String> {
    let mut n = 0;
    let mut first_error = None;
    for item in items {
        match parse_object(item.get(), f, depth + 1) {
            Ok(k) => n += k,
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) if n == 0 => Err(e),
        _ => Ok(n),
    }
}

fn parse_object(text: &str, f: &mut dyn FnMut(&Event<'_>), depth: u8) -> Result<usize, String> {
    if depth > MAX_DEPTH {
        return Err("wrappers nested too deeply".into());
    }
    // Most lines take the fast path, filling the event in place; what it is unsure of, serde
    // decides (same result).
    let mut event = Event::default();
    if !crate::fast::decode_into(text, &mut event) {
        event = serde_json::from_str(text).map_err(|e| {
            if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() {
                format!("not a Kubernetes audit event: {e}")
            } else {
                format!("invalid JSON: {e}")
            }
        })?;
    }
    if event.is_event() {
        f(&event);
        return Ok(1);
    }
    if let Some(items) = &event.items {
        return parse_items(items, f, depth);
    }
    if let Some(records) = &event.records {
        return parse_items(records, f, depth);
    }
    if let Some(list) = event.log_events.as_ref().or(event.events.as_ref()) {
        return parse_items(list, f, depth);
    }
    if let Some(inner) = event.properties.as_ref().map(|p| s(&p.log)).filter(|l| !l.is_empty()) {
        if event.category.as_deref().is_some_and(|c| c != "kube-audit" && c != "kube-audit-admin") {
            return Err(format!("AKS diagnostic record of category {:?}, not kube-audit", s(&event.category)));
        }
        return parse_object(inner, f, depth + 1);
    }
    if let Some(inner) = event.message.as_deref().or(event.log.as_deref()) {
        return parse_object(inner.trim(), f, depth + 1);
    }
    if event.proto_payload.is_some() {
        return Err("a Google Cloud Audit Log entry (GKE): not a Kubernetes audit event; export the cluster's own audit log instead".into());
    }
    Err("not a Kubernetes audit event (no verb, auditID, requestURI or kind: Event)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users(doc: &str) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        parse_document(doc.as_bytes(), &mut |e| out.push(e.username().to_string()))?;
        Ok(out)
    }

    #[test]
    fn plain_events_lists_arrays_and_wrappers() {
        assert_eq!(users(r#"{"kind":"Event","verb":"get","user":{"username":"a"}}"#).unwrap(), ["a"]);
        assert_eq!(users(r#"{"kind":"EventList","items":[{"verb":"get","user":{"username":"a"}},{"verb":"list","user":{"username":"b"}}]}"#).unwrap(), ["a", "b"]);
        assert_eq!(users(r#"[{"verb":"get","user":{"username":"a"}}]"#).unwrap(), ["a"]);
        // AKS diagnostic record, and Azure's records array around it.
        let aks = r#"{"category":"kube-audit","properties":{"log":"{\"verb\":\"get\",\"user\":{\"username\":\"aks\"}}"}}"#;
        assert_eq!(users(aks).unwrap(), ["aks"]);
        assert_eq!(users(&format!(r#"{{"records":[{aks}]}}"#)).unwrap(), ["aks"]);
        // EKS CloudWatch Logs: filter-log-events output and subscription payloads.
        let msg = r#"{"message":"{\"verb\":\"get\",\"user\":{\"username\":\"eks\"}}","timestamp":1}"#;
        assert_eq!(users(msg).unwrap(), ["eks"]);
        assert_eq!(users(&format!(r#"{{"logGroup":"/aws/eks/c/cluster","logEvents":[{msg}]}}"#)).unwrap(), ["eks"]);
        assert_eq!(users(&format!(r#"{{"events":[{msg}]}}"#)).unwrap(), ["eks"]);
        assert_eq!(users(r#"{"log":"{\"verb\":\"get\",\"user\":{\"username\":\"fb\"}}\n","stream":"stdout"}"#).unwrap(), ["fb"]);
    }

    #[test]
    fn what_is_not_an_event_is_told_apart_from_broken_json() {
        assert!(users(r#"{"kind": 0}"#).unwrap_err().starts_with("not a Kubernetes audit event"));
        assert!(users(r#"{"hello": "world"}"#).unwrap_err().starts_with("not a Kubernetes audit event"));
        assert!(users(r#"{"verb": "get""#).unwrap_err().starts_with("invalid JSON"));
        assert!(users(r#"{"protoPayload": {}}"#).unwrap_err().contains("GKE"));
        assert!(users(r#"{"category":"kube-apiserver","properties":{"log":"I1207 started"}}"#).unwrap_err().contains("kube-apiserver"));
    }
}
