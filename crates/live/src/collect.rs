//! Collection: discover what the cluster serves, list every wanted kind concurrently, and turn
//! items into model objects.

use std::collections::BTreeMap;
use std::sync::Arc;

use kube::Client;
use kubepci_model::{Object, SourceLoc, decode_direct, decode_value};
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::kinds::{GATED_KINDS, TYPED_KINDS, Target};
use crate::list::{Failure, Limits, PageEvent, get_json, list_all};
use crate::progress::Progress;
use crate::snapshot::{CanonicalItem, SpilledKind, items_sha256};
use crate::{COLLECTOR, CollectOptions, Collected, Error, KindProblem, ListFailure, SnapshotMeta, client};

/// Collect every kind the checks need from the cluster `opts` points at.
///
/// Fails only when the cluster cannot be reached or the configuration cannot be read; a kind
/// that cannot be listed is recorded in [`Collected::unlistable`] and the rest is collected.
pub async fn collect(opts: &CollectOptions) -> Result<Collected, Error> {
    let started = kubepci_base::time::rfc3339(kubepci_base::time::now_epoch());
    let config = client::config(opts).await?;
    let endpoint = config.cluster_url.to_string().trim_end_matches('/').to_string();
    let client = client::client(config)?;
    let limits = Limits { page_size: opts.page_size.max(1), timeout: opts.request_timeout, retries: opts.retries, max_objects: opts.max_objects.max(1) };
    let mut errors = Vec::new();
    let mut unlistable: Vec<KindProblem> = Vec::new();

    let cluster_version = match get_json::<Value>(&client, "/version", &limits).await {
        Ok(v) => v.get("gitVersion").and_then(Value::as_str).map(str::to_string),
        Err(Failure::Failed(message)) => return Err(Error::Connect { endpoint, message }),
        Err(other) => {
            errors.push(format!("/version: {other}"));
            None
        }
    };

    let mut targets: Vec<Target> = TYPED_KINDS
        .iter()
        .filter(|k| opts.include_secrets || !k.secret)
        .map(|k| Target::new(k.group, k.version, k.resource, k.kind))
        .collect();
    targets.extend(discover_gated(&client, &limits, &mut unlistable, &mut errors).await);

    let progress = Arc::new(Progress::new(opts.progress, targets.len()));
    let loc = SourceLoc::whole(endpoint.as_str());
    // One spill file per kind, made before listing starts: an unusable directory fails the
    // collection at once instead of after every list has been read.
    let spills = match (&opts.spill_dir, opts.keep_raw) {
        (Some(dir), true) => {
            let made: Result<Vec<_>, _> = targets.iter().map(|_| SpilledKind::create(dir).map(Some)).collect();
            made.map_err(|source| Error::Io { path: dir.display().to_string(), source })?
        }
        _ => targets.iter().map(|_| None).collect(),
    };
    let outcomes = list_targets(&client, &targets, spills, &limits, opts, &loc, &progress).await;
    progress.finish();

    let mut out = Collected::default();
    let mut kinds_listed = Vec::new();
    for (target, outcome) in targets.iter().zip(outcomes) {
        match outcome.failure {
            None => {
                if let Some(source) = outcome.spill_error {
                    let path = opts.spill_dir.as_deref().unwrap_or(std::path::Path::new("")).display().to_string();
                    return Err(Error::Io { path, source });
                }
                kinds_listed.push(target.label());
                out.listed.push(target.clone());
                out.objects.extend(outcome.objects);
                out.raw.extend(outcome.raw);
                if let Some(part) = outcome.spill {
                    out.spilled.push(part);
                }
                errors.extend(outcome.errors);
            }
            Some(failure) => {
                let (cause, reason) = match &failure {
                    Failure::Forbidden(m) => (ListFailure::Forbidden, format!("no permission to list {}: {m}", target.resource_name)),
                    Failure::NotFound => (ListFailure::NotServed, format!("{} is not served by this cluster", target.resource_name)),
                    other => {
                        errors.push(format!("listing {} failed: {other}", target.resource_name));
                        (ListFailure::Failed, format!("listing {} failed: {other}", target.resource_name))
                    }
                };
                unlistable.push(KindProblem { kind: target.kind.clone(), group: Some(target.group.clone()), reason, cause: Some(cause) });
            }
        }
    }
    if !opts.include_secrets {
        let reason = "Secrets not read (collect with --include-secrets)".to_string();
        unlistable.push(KindProblem { kind: "Secret".into(), group: Some(String::new()), reason, cause: Some(ListFailure::NotRequested) });
    }
    let sha256 = match (opts.keep_raw, out.spilled.is_empty()) {
        (false, _) => String::new(),
        (true, true) => items_sha256(&out.raw),
        (true, false) => out.spilled.sha256().map_err(|source| Error::Io { path: opts.spill_dir.as_deref().unwrap_or(std::path::Path::new("")).display().to_string(), source })?,
    };
    out.metadata = SnapshotMeta {
        collector_version: COLLECTOR.to_string(),
        time: started,
        cluster_version,
        endpoint,
        context: opts.context.clone(),
        include_secrets: opts.include_secrets,
        kinds_listed,
        kinds_not_listable: unlistable.clone(),
        item_count: if opts.keep_raw { out.raw.len() + out.spilled.len() } else { out.objects.len() },
        sha256,
    };
    out.unlistable = unlistable.into_iter().map(|p| (p.kind, p.reason)).collect();
    out.errors = errors;
    Ok(out)
}

/// [`collect`] on its own multi-threaded runtime, for callers that are not async.
pub fn collect_blocking(opts: &CollectOptions) -> Result<Collected, Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(Error::Runtime)?;
    runtime.block_on(collect(opts))
}

/// What listing one kind produced.
#[derive(Default)]
struct KindOutcome {
    objects: Vec<Object>,
    raw: Vec<CanonicalItem>,
    /// Where the raw items go instead of `raw` when spilling.
    spill: Option<SpilledKind>,
    /// Writing the spill file failed: the collection fails (a snapshot must not lack items
    /// silently).
    spill_error: Option<std::io::Error>,
    errors: Vec<String>,
    failure: Option<Failure>,
}

/// List all targets, at most `opts.concurrency` at a time; outcomes in `targets` order.
async fn list_targets(client: &Client, targets: &[Target], spills: Vec<Option<SpilledKind>>, limits: &Limits, opts: &CollectOptions, loc: &SourceLoc, progress: &Arc<Progress>) -> Vec<KindOutcome> {
    let permits = Arc::new(Semaphore::new(opts.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for ((slot, target), spill) in targets.iter().enumerate().zip(spills) {
        let (client, target, limits, loc, permits, progress) = (client.clone(), target.clone(), *limits, loc.clone(), permits.clone(), progress.clone());
        let (keep_raw, build_objects) = (opts.keep_raw, opts.build_objects);
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let outcome = list_kind(&client, &target, spill, &limits, &loc, keep_raw, build_objects).await;
            let raw = outcome.raw.len() + outcome.spill.as_ref().map_or(0, SpilledKind::len);
            progress.kind_done(outcome.objects.len().max(raw));
            (slot, outcome)
        });
    }
    // A task that never reports back (a bug: it panicked) leaves its kind marked failed,
    // never silently empty.
    let mut outcomes: Vec<KindOutcome> = targets
        .iter()
        .map(|_| KindOutcome { failure: Some(Failure::Failed("internal error: the listing task did not finish".into())), ..KindOutcome::default() })
        .collect();
    while let Some(joined) = tasks.join_next().await {
        if let Ok((slot, outcome)) = joined {
            outcomes[slot] = outcome;
        }
    }
    outcomes
}

/// List one kind and decode its items as they arrive.
async fn list_kind(client: &Client, target: &Target, spill: Option<SpilledKind>, limits: &Limits, loc: &SourceLoc, keep_raw: bool, build_objects: bool) -> KindOutcome {
    let mut out = KindOutcome { spill, ..KindOutcome::default() };
    let mut on_page = |event: PageEvent| match event {
        PageEvent::Restart => {
            out.objects.clear();
            out.raw.clear();
            out.errors.clear();
            if let Some(Err(e)) = out.spill.as_mut().map(SpilledKind::clear) {
                out.spill_error.get_or_insert(e);
            }
        }
        PageEvent::Items(items) => {
            // A page's items decode in parallel (rayon) while this task waits: the pages of one
            // kind come one after another, and the largest kind would otherwise use one core.
            let done: Vec<ItemOutcome> = items.par_iter().map(|raw| process_item(target, raw, loc, keep_raw, build_objects)).collect();
            if build_objects {
                out.objects.reserve(done.len());
            }
            if let Some(spill) = &mut out.spill {
                // The page goes to disk and is dropped: one page per kind in memory.
                if let Err(e) = spill.append(done.iter().filter_map(|item| item.raw.as_ref())) {
                    out.spill_error.get_or_insert(e);
                }
            }
            let spilling = out.spill.is_some();
            for item in done {
                if !spilling {
                    out.raw.extend(item.raw);
                }
                match item.object {
                    Some(Ok(object)) => out.objects.push(object),
                    Some(Err(e)) => out.errors.push(e),
                    None => {}
                }
            }
        }
    };
    if let Err(failure) = list_all(client, &target.path, limits, &mut on_page).await {
        out = KindOutcome { failure: Some(failure), spill_error: out.spill_error, ..KindOutcome::default() };
    }
    out
}

/// What one list item gives: its canonical text (kept for a snapshot), its object (when
/// objects are built), or why it could not be read.
struct ItemOutcome {
    raw: Option<CanonicalItem>,
    object: Option<Result<Object, String>>,
}

fn process_item(target: &Target, raw: &RawValue, loc: &SourceLoc, keep_raw: bool, build_objects: bool) -> ItemOutcome {
    if !keep_raw {
        return ItemOutcome { raw: None, object: build_objects.then(|| decode_item(target, raw, loc)) };
    }
    match item_value(target, raw) {
        Ok(mut value) => {
            // What is kept is stored: no Secret value, no full card number (docs/snapshot.md).
            kubepci_checks::redaction::redact_item(&mut value);
            let canonical = CanonicalItem::from_value(&value);
            let object = build_objects.then(|| {
                let name = item_name(&value);
                decode_value(value, loc.clone()).map_err(|e| format!("{} {name}: {e}", target.kind))
            });
            ItemOutcome { raw: Some(canonical), object }
        }
        Err(e) => ItemOutcome { raw: None, object: Some(Err(e)) },
    }
}

/// An item as a JSON value with the `kind`/`apiVersion` list items lack (the list's type
/// says what they are).
fn item_value(target: &Target, raw: &RawValue) -> Result<Value, String> {
    let mut value: Value = serde_json::from_str(raw.get()).map_err(|e| format!("{}: item is not valid JSON: {e}", target.kind))?;
    if let Value::Object(map) = &mut value {
        map.insert("apiVersion".into(), Value::String(target.api_version.clone()));
        map.insert("kind".into(), Value::String(target.kind.clone()));
    }
    Ok(value)
}

/// Decode one list item into an object. Typed kinds at their canonical apiVersion go straight
/// from JSON text into the typed struct (`kubepci_model::decode_direct`, the model's fast path,
/// equal to what `decode_value` gives); everything else goes through `decode_value`.
fn decode_item(target: &Target, raw: &RawValue, loc: &SourceLoc) -> Result<Object, String> {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    match decode_direct(&target.api_version, &target.kind, &mut de, loc.clone()) {
        Some(Ok(object)) => Ok(object),
        // The fast path's errors carry no field path: decode again to name the field.
        Some(Err(_)) | None => {
            let value = item_value(target, raw)?;
            let name = item_name(&value);
            decode_value(value, loc.clone()).map_err(|e| format!("{} {name}: {e}", target.kind))
        }
    }
}

/// `namespace/name` of a raw item, for error messages.
fn item_name(item: &Value) -> String {
    let meta = &item["metadata"];
    match (meta["namespace"].as_str(), meta["name"].as_str()) {
        (Some(ns), Some(n)) => format!("{ns}/{n}"),
        (None, Some(n)) => n.to_string(),
        _ => "(unnamed)".into(),
    }
}

#[derive(Deserialize)]
struct GroupList {
    #[serde(default)]
    groups: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    name: String,
    #[serde(default)]
    versions: Vec<GroupVersion>,
    #[serde(rename = "preferredVersion")]
    preferred: Option<GroupVersion>,
}

#[derive(Deserialize, Clone)]
struct GroupVersion {
    version: String,
}

#[derive(Deserialize)]
struct ResourceList {
    #[serde(default)]
    resources: Vec<ApiResource>,
}

#[derive(Deserialize)]
struct ApiResource {
    name: String,
    kind: String,
    #[serde(default)]
    verbs: Vec<String>,
}

impl ApiResource {
    fn listable(&self) -> bool {
        !self.name.contains('/') && self.verbs.iter().any(|v| v == "list")
    }
}

/// Resolve the discovery-gated kinds the cluster serves to list targets (preferred version
/// first). Groups the cluster does not serve are skipped silently: their checks see no objects.
async fn discover_gated(client: &Client, limits: &Limits, unlistable: &mut Vec<KindProblem>, errors: &mut Vec<String>) -> Vec<Target> {
    let groups = match get_json::<GroupList>(client, "/apis", limits).await {
        Ok(g) => g.groups,
        Err(e) => {
            errors.push(format!("discovery /apis: {e}"));
            for g in GATED_KINDS {
                let reason = format!("API discovery failed: {e}");
                unlistable.push(KindProblem { kind: g.label(), group: Some(g.group.to_string()), reason, cause: Some(ListFailure::DiscoveryFailed) });
            }
            return Vec::new();
        }
    };
    let mut wanted: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for g in GATED_KINDS {
        wanted.entry(g.group).or_default().push(g.resource);
    }
    let mut targets = Vec::new();
    for group in groups.iter().filter(|g| wanted.contains_key(g.name.as_str())) {
        let resources = &wanted[group.name.as_str()];
        let mut versions: Vec<String> = group.preferred.iter().chain(&group.versions).map(|v| v.version.clone()).collect();
        versions.dedup();
        let wildcard = resources.contains(&"*");
        // Resource names already targeted: a kind is listed once, at its most preferred version.
        let mut done: Vec<String> = Vec::new();
        for version in versions {
            let path = format!("/apis/{}/{version}", group.name);
            let list = match get_json::<ResourceList>(client, &path, limits).await {
                Ok(l) => l,
                Err(e) => {
                    errors.push(format!("discovery {path}: {e}"));
                    continue;
                }
            };
            for r in list.resources.iter().filter(|r| r.listable()) {
                if !done.contains(&r.name) && (wildcard || resources.contains(&r.name.as_str())) {
                    targets.push(Target::new(&group.name, &version, &r.name, &r.kind));
                    done.push(r.name.clone());
                }
            }
        }
    }
    targets
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A typed item the fast decoder rejects is decoded again so the error names the field.
    #[test]
    fn typed_decode_error_names_the_item_and_field() {
        let target = Target { group: String::new(), api_version: "v1".into(), kind: "Pod".into(), path: "/api/v1/pods".into(), resource_name: "pods".into() };
        let raw: Box<RawValue> = serde_json::from_str(r#"{"metadata":{"name":"web","namespace":"shop"},"spec":{"containers":"nope"}}"#).unwrap();
        let err = decode_item(&target, &raw, &SourceLoc::new(std::sync::Arc::<str>::from("live"), 0, 0)).unwrap_err();
        assert!(err.starts_with("Pod shop/web: "), "{err}");
        assert!(err.contains("spec.containers"), "{err}");
        let ok: Box<RawValue> = serde_json::from_str(r#"{"metadata":{"name":"web","namespace":"shop"},"spec":{"containers":[{"name":"c","image":"i"}]}}"#).unwrap();
        assert_eq!(decode_item(&target, &ok, &SourceLoc::new(std::sync::Arc::<str>::from("live"), 0, 0)).unwrap().name(), "web");
    }
}
