//! Every free-text field of an object where card data or credentials can hide: metadata
//! labels and annotations, ConfigMap `data`/`binaryData`, Secret `data`/`stringData` (decoded),
//! container env values, args and commands, and every string of a custom resource's body (and
//! of the kinds typed since they were held generic: EndpointSlice, PodDisruptionBudget,
//! LimitRange, ResourceQuota).

use kubepci_model::pod::Container;
use kubepci_model::{Object, Resource};
use serde_json::Value;

/// Called with a field's bytes and a function that builds its path (only on a hit, so the
/// common case allocates nothing).
pub type Visit<'v> = dyn FnMut(&[u8], &dyn Fn() -> String) + 'v;

pub fn visit_text_fields(o: &Object, visit: &mut Visit) {
    let meta = o.metadata();
    for (k, v) in meta.labels.iter().flatten() {
        visit(v.as_bytes(), &|| format!("metadata.labels[{k}]"));
    }
    for (k, v) in meta.annotations.iter().flatten() {
        visit(v.as_bytes(), &|| format!("metadata.annotations[{k}]"));
    }
    match &o.resource {
        Resource::ConfigMap(cm) => {
            for (k, v) in cm.data.iter().flatten() {
                visit(v.as_bytes(), &|| format!("data[{k}]"));
            }
            for (k, v) in cm.binary_data.iter().flatten() {
                visit(&v.0, &|| format!("binaryData[{k}]"));
            }
        }
        Resource::Secret(s) => {
            for (k, v) in s.data.iter().flatten() {
                visit(&v.0, &|| format!("data[{k}]"));
            }
            for (k, v) in s.string_data.iter().flatten() {
                visit(v.as_bytes(), &|| format!("stringData[{k}]"));
            }
        }
        // Held as generic objects before they were typed: every text field of the body.
        Resource::EndpointSlice(o) => super::text_walk::visit_body(&**o, visit),
        Resource::PodDisruptionBudget(o) => super::text_walk::visit_body(&**o, visit),
        Resource::LimitRange(o) => super::text_walk::visit_body(&**o, visit),
        Resource::ResourceQuota(o) => super::text_walk::visit_body(&**o, visit),
        Resource::Generic(g) => {
            for (k, v) in &g.body {
                visit_json(v, &mut |b, p| visit(b, p), &|| k.clone());
            }
        }
        _ => {}
    }
    if let Some(t) = o.pod_template() {
        let base = t.spec_path;
        if let Some(m) = o.pod_template().map(|t| t.metadata).filter(|m| !std::ptr::eq(*m, meta)) {
            for (k, v) in m.annotations.iter().flatten() {
                visit(v.as_bytes(), &|| format!("{}.metadata.annotations[{k}]", base.trim_end_matches(".spec")));
            }
        }
        let groups = [("initContainers", t.spec.init_containers.as_deref().unwrap_or(&[])), ("containers", &t.spec.containers[..])];
        for (group, list) in groups {
            for (i, c) in list.iter().enumerate() {
                visit_container(c, &|| format!("{base}.{group}[{i}]"), visit);
            }
        }
    }
}

fn visit_container(c: &Container, path: &dyn Fn() -> String, visit: &mut Visit) {
    for (i, e) in c.env.iter().flatten().enumerate() {
        if let Some(v) = &e.value {
            visit(v.as_bytes(), &|| format!("{}.env[{i}].value ({})", path(), e.name));
        }
    }
    for (field, list) in [("command", &c.command), ("args", &c.args)] {
        for (i, a) in list.iter().flatten().enumerate() {
            visit(a.as_bytes(), &|| format!("{}.{field}[{i}]", path()));
        }
    }
}

fn visit_json(v: &Value, visit: &mut Visit, path: &dyn Fn() -> String) {
    match v {
        Value::String(s) => visit(s.as_bytes(), path),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                visit_json(item, visit, &|| format!("{}[{i}]", path()));
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                visit_json(item, visit, &|| format!("{}.{k}", path()));
            }
        }
        _ => {}
    }
}
