//! One kube-runtime watcher per listed kind, feeding that kind's store.
//!
//! The watcher relists when the apiserver says the resourceVersion is too old (410) or the
//! watch ends, and `default_backoff` spaces retries after errors (429, 500, a refused
//! connection), so the stream never ends: each outcome is counted in [`KindHealth`].

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::StreamExt;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;
use kube::{Api, Client};
use kubepci_live::Target;
use kubepci_model::{Object, SourceLoc, decode_value};
use serde::Serialize;

use super::Shared;

/// How one kind's watch is doing (for `/metrics`).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KindHealth {
    /// `Kind.apiVersion`.
    pub kind: String,
    /// The last event was not an error.
    pub up: bool,
    /// Watch events applied (changes, deletions, relisted objects).
    pub events: u64,
    /// Full relists (`Init` … `InitDone`): after a 410, a dropped watch, or at start.
    pub relists: u64,
    /// Errors the watcher reported (each is followed by a backoff and a retry).
    pub errors: u64,
    pub last_error: Option<String>,
}

impl KindHealth {
    pub fn new(target: &Target) -> KindHealth {
        KindHealth { kind: target.label(), up: true, events: 0, relists: 0, errors: 0, last_error: None }
    }
}

/// `namespace/name`, or `name` for cluster-scoped objects: a store key.
pub fn object_key(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    }
}

fn api_resource(target: &Target) -> ApiResource {
    let (group, version) = target.api_version.rsplit_once('/').map_or(("", target.api_version.as_str()), |(g, v)| (g, v));
    let plural = target.path.rsplit('/').next().unwrap_or_default();
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, &target.kind), plural)
}

/// A watched object as the model reads it (list and watch items may lack `kind`/`apiVersion`).
fn decode(target: &Target, object: &DynamicObject, endpoint: &str) -> Option<Object> {
    let mut value = serde_json::to_value(object).ok()?;
    if let Some(map) = value.as_object_mut() {
        map.insert("apiVersion".into(), target.api_version.clone().into());
        map.insert("kind".into(), target.kind.clone().into());
    }
    decode_value(value, SourceLoc::whole(endpoint)).ok()
}

/// Watch one kind for as long as the server runs.
pub async fn watch_kind(client: Client, target: Target, slot: usize, endpoint: String, shared: Arc<Shared>) {
    let api: Api<DynamicObject> = Api::all_with(client, &api_resource(&target));
    let label = target.label();
    let mut stream = watcher::watcher(api, watcher::Config::default()).default_backoff().boxed();
    // Objects of a relist in progress, swapped in whole at InitDone.
    let mut relisting: Option<BTreeMap<String, Object>> = None;
    while let Some(event) = stream.next().await {
        let mut changed = false;
        {
            let mut health = shared.watches.lock().expect("watches");
            let Some(h) = health.get_mut(slot) else { return };
            match &event {
                Ok(_) => h.up = true,
                Err(e) => {
                    h.up = false;
                    h.errors += 1;
                    h.last_error = Some(e.to_string());
                }
            }
        }
        let Ok(event) = event else { continue };
        match event {
            Event::Init => relisting = Some(BTreeMap::new()),
            Event::InitApply(o) => {
                if let (Some(buffer), Some(object)) = (relisting.as_mut(), decode(&target, &o, &endpoint)) {
                    buffer.insert(object_key(object.namespace(), object.name()), object);
                }
            }
            Event::InitDone => {
                let fresh = relisting.take().unwrap_or_default();
                let mut stores = shared.stores.lock().expect("stores");
                let store = stores.entry(label.clone()).or_default();
                // A relist that finds what the store holds changes nothing; otherwise each
                // object it added, changed or removed is pending.
                if *store != fresh {
                    let mut pending = shared.pending.lock().expect("pending");
                    for key in store.keys().chain(fresh.keys()) {
                        if store.get(key) != fresh.get(key) {
                            pending.insert((label.clone(), key.clone()));
                        }
                    }
                    *store = fresh;
                    changed = true;
                    shared.review_contexts.all_changed();
                }
                let mut health = shared.watches.lock().expect("watches");
                if let Some(h) = health.get_mut(slot) {
                    h.relists += 1;
                }
            }
            Event::Apply(o) => {
                if let Some(object) = decode(&target, &o, &endpoint) {
                    let key = object_key(object.namespace(), object.name());
                    let mut stores = shared.stores.lock().expect("stores");
                    let store = stores.entry(label.clone()).or_default();
                    if store.get(&key) != Some(&object) {
                        shared.review_contexts.changed(object.kind(), object.namespace());
                        shared.pending.lock().expect("pending").insert((label.clone(), key.clone()));
                        store.insert(key, object);
                        changed = true;
                    }
                }
            }
            Event::Delete(o) => {
                let key = object_key(o.metadata.namespace.as_deref(), o.metadata.name.as_deref().unwrap_or(""));
                let mut stores = shared.stores.lock().expect("stores");
                changed = stores.entry(label.clone()).or_default().remove(&key).is_some();
                if changed {
                    shared.review_contexts.changed(&target.kind, o.metadata.namespace.as_deref());
                    shared.pending.lock().expect("pending").insert((label.clone(), key));
                }
            }
        }
        if changed {
            if let Some(h) = shared.watches.lock().expect("watches").get_mut(slot) {
                h.events += 1;
            }
            shared.changed.notify_one();
        }
    }
}
