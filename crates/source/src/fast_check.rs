//! Differential check of the fast YAML path against yaml_serde, shared by the tests, the
//! `yaml_fast_path` fuzz target and the `yaml_fast_stats` example (acceptance statistics).

use std::collections::BTreeMap;
use std::sync::Arc;

use kubepci_model::SourceLoc;
use serde::Deserialize;
use serde_json::Value;

use crate::split::{excessive_flow_depth, first_content_line, is_blank, split_documents};
use crate::yaml::{fast_path, line_col, slow_path, sniff_type};
use crate::{MAX_DOCUMENT_BYTES, Parsed, guarded, yaml_fast};

/// What [`check_fast_path`] found in one YAML stream.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct FastPathReport {
    /// Documents looked at (blank ones and ones refused by the guards are not counted).
    pub documents: usize,
    /// Documents the fast path read.
    pub fast: usize,
    /// Documents it left to yaml_serde, counted by reason.
    pub declined: BTreeMap<&'static str, usize>,
    /// The first document declined for each reason.
    pub declined_example: BTreeMap<&'static str, String>,
    /// Documents where the fast path's result differs from yaml_serde's: location and where
    /// they differ (no values, which may be secrets). Must stay empty.
    pub mismatches: Vec<String>,
}

impl FastPathReport {
    pub fn add(&mut self, other: FastPathReport) {
        self.documents += other.documents;
        self.fast += other.fast;
        for (reason, n) in other.declined {
            *self.declined.entry(reason).or_default() += n;
        }
        for (reason, at) in other.declined_example {
            self.declined_example.entry(reason).or_insert(at);
        }
        self.mismatches.extend(other.mismatches);
    }
}

/// Differential check of the fast path against yaml_serde, for tests, fuzzing and acceptance
/// statistics: for every document of a YAML stream, whenever the fast path accepts it, its
/// objects (or errors) must equal those of the yaml_serde path, and whenever the fast reader
/// reads the document as a JSON value, that value must equal yaml_serde's.
#[doc(hidden)]
pub fn check_fast_path(name: &str, bytes: &[u8]) -> FastPathReport {
    let file: Arc<str> = name.into();
    let mut report = FastPathReport::default();
    for doc in split_documents(bytes).into_iter().filter(|d| !is_blank(d.text)) {
        let Ok(text) = std::str::from_utf8(doc.text) else { continue };
        if text.len() > MAX_DOCUMENT_BYTES || excessive_flow_depth(doc.text).is_some() {
            continue;
        }
        report.documents += 1;
        let loc = SourceLoc::new(file.clone(), doc.first_line + first_content_line(doc.text) - 1, 1);
        let slow = slow_path(&file, text, doc.first_line, loc.clone());
        let mut decline = |why: &'static str, at: usize| {
            *report.declined.entry(why).or_default() += 1;
            let (line, column) = line_col(doc.text, at);
            report.declined_example.entry(why).or_insert_with(|| format!("{name}:{}:{column}", doc.first_line + line - 1));
        };
        match guarded(|| Ok::<_, ()>(fast_path(text, &loc)), || ()) {
            Err(()) => report.mismatches.push(format!("{loc}: fast path panicked")),
            Ok(Err(yaml_fast::Declined::Unsupported(why, at))) => decline(why, at),
            Ok(Err(yaml_fast::Declined::Rejected)) => {
                decline("rejected by the target type", 0);
                if yaml_serde_reads_typed(text, &loc) {
                    report.mismatches.push(format!("{loc}: fast path rejected a typed object yaml_serde reads"));
                }
            }
            Ok(Ok(fast)) => {
                report.fast += 1;
                if !same_results(&fast, &slow) {
                    report.mismatches.push(format!("{loc}: objects differ ({} fast, {} slow)", describe(&fast), describe(&slow)));
                }
            }
        }
        if let Ok(Ok(fast_value)) = guarded(|| Ok::<_, ()>(yaml_fast::read(text, |de| Value::deserialize(de).ok())), || ()) {
            match yaml_serde::from_str::<Value>(text) {
                Ok(slow_value) if slow_value == fast_value => {}
                Ok(slow_value) => report.mismatches.push(format!("{loc}: values differ at {}", first_difference(&fast_value, &slow_value))),
                Err(_) => report.mismatches.push(format!("{loc}: fast reader read a document yaml_serde refuses")),
            }
        }
    }
    report
}

fn yaml_serde_reads_typed(text: &str, loc: &SourceLoc) -> bool {
    sniff_type(text).is_some_and(|(api_version, kind)| {
        matches!(kubepci_model::decode_direct(api_version, kind, yaml_serde::Deserializer::from_str(text), loc.clone()), Some(Ok(_)))
    })
}

/// Equal, treating NaN as equal to itself (typed `f64` fields may hold `.nan`).
fn same_results(a: &[Parsed], b: &[Parsed]) -> bool {
    a == b || format!("{a:?}") == format!("{b:?}")
}

fn describe(results: &[Parsed]) -> String {
    let parts: Vec<String> = results
        .iter()
        .map(|r| match r {
            Ok(o) => format!("{} {}", o.kind(), o.name()),
            Err(e) => format!("error at {}", e.loc),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// Path of the first place two values differ (keys and indexes only).
fn first_difference(a: &Value, b: &Value) -> String {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) if v == w => {}
                    Some(w) => return format!(".{k}{}", first_difference(v, w)),
                    None => return format!(".{k} (only in the fast value)"),
                }
            }
            match y.keys().find(|k| !x.contains_key(*k)) {
                Some(k) => format!(".{k} (only in yaml_serde's value)"),
                None => String::new(),
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().find(|(_, (v, w))| v != w).map(|(i, (v, w))| format!("[{i}]{}", first_difference(v, w))).unwrap_or_default()
        }
        (Value::Array(x), Value::Array(y)) => format!(" (lengths {} and {})", x.len(), y.len()),
        (x, y) => format!(" ({} vs {})", value_type(x), value_type(y)),
    }
}

fn value_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "mapping",
    }
}
