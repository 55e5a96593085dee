use std::sync::Arc;

use kubepci_model::{PodSpecInterner, SourceLoc};
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use crate::yaml_fast;
use crate::split::{MAX_FLOW_DEPTH, excessive_flow_depth, first_content_line, is_blank, split_documents};
use crate::{LoadError, MAX_DOCUMENT_BYTES, Parsed, guarded, list_item_kind, shared};

/// Parse a YAML stream: split into documents, parse each in parallel.
pub(crate) fn parse_stream(file: &Arc<str>, bytes: &[u8], interner: &PodSpecInterner) -> Vec<Parsed> {
    let docs: Vec<_> = split_documents(bytes).into_iter().filter(|d| !is_blank(d.text)).collect();
    docs.par_iter()
        .flat_map_iter(|doc| {
            let loc = SourceLoc::new(file.clone(), doc.first_line + first_content_line(doc.text) - 1, 1);
            parse_document(file, doc.text, doc.first_line, loc).into_iter().map(|p| shared(p, interner))
        })
        .collect()
}

fn parse_document(file: &Arc<str>, text: &[u8], first_line: u32, loc: SourceLoc) -> Vec<Parsed> {
    let err = |line: u32, column: u32, message: String| {
        vec![Err(LoadError { loc: SourceLoc::new(file.clone(), line, column), message })]
    };
    if text.len() > MAX_DOCUMENT_BYTES {
        return err(loc.line, 1, format!("document of {} bytes exceeds the {} byte limit", text.len(), MAX_DOCUMENT_BYTES));
    }
    let text = match std::str::from_utf8(text) {
        Ok(t) => t,
        Err(e) => {
            let (line, column) = line_col(text, e.valid_up_to());
            return err(first_line + line - 1, column, "invalid UTF-8 (YAML input must be UTF-8)".into());
        }
    };
    if let Some(at) = excessive_flow_depth(text.as_bytes()) {
        let (line, column) = line_col(text.as_bytes(), at);
        return err(first_line + line - 1, column, format!("nesting deeper than {MAX_FLOW_DEPTH} levels; refused"));
    }
    if let Ok(Ok(parsed)) = guarded(|| Ok::<_, ()>(fast_path(text, &loc)), || ()) {
        return parsed;
    }
    slow_path(file, text, first_line, loc)
}

/// Documents in the block-style subset that `yaml_fast` reads exactly (nearly all manifests).
/// Declined documents go to [`slow_path`]: outside the subset, or a typed kind whose decoding
/// failed (so that yaml_serde reports the error as before).
pub(crate) fn fast_path(text: &str, loc: &SourceLoc) -> Result<Vec<Parsed>, yaml_fast::Declined> {
    if let Some((api_version, kind)) = sniff_type(text) {
        let mut typed = true;
        let direct = yaml_fast::read(text, |de| match kubepci_model::decode_direct(api_version, kind, de, loc.clone()) {
            Some(result) => result.ok(),
            None => {
                typed = false;
                None
            }
        });
        match direct {
            Ok(object) => return Ok(vec![Ok(object)]),
            Err(declined) if typed => return Err(declined),
            Err(_) => {}
        }
    }
    // Generic kinds, lists, older apiVersions: the same JSON value yaml_serde would give.
    let value = yaml_fast::read(text, |de| Value::deserialize(de).ok())?;
    Ok(expand(value, loc.clone()))
}

/// yaml_serde: any YAML, with its error messages and locations.
pub(crate) fn slow_path(file: &Arc<str>, text: &str, first_line: u32, loc: SourceLoc) -> Vec<Parsed> {
    let err = |line: u32, column: u32, message: String| {
        vec![Err(LoadError { loc: SourceLoc::new(file.clone(), line, column), message })]
    };
    // Typed kind at its canonical apiVersion: straight into its struct. Any failure falls
    // through to the general path, which reports it precisely.
    if let Some((api_version, kind)) = sniff_type(text)
        && let Ok(Some(Ok(object))) = guarded(
            || Ok::<_, ()>(kubepci_model::decode_direct(api_version, kind, yaml_serde::Deserializer::from_str(text), loc.clone())),
            || (),
        )
    {
        return vec![Ok(object)];
    }
    let parsed = guarded(|| yaml_serde::from_str::<Value>(text).map_err(Some), || None);
    match parsed {
        Ok(value) => expand(value, loc),
        Err(Some(e)) => {
            let message = clean_yaml_error(&e.to_string(), first_line);
            match e.location() {
                Some(l) => err(first_line + l.line() as u32 - 1, l.column() as u32 + 1, message),
                None => err(loc.line, 1, message),
            }
        }
        Err(None) => err(loc.line, 1, crate::PARSER_PANIC.into()),
    }
}

/// YAML errors end with " at line L column C" (reported separately as the error's location)
/// and may mention other positions inside the document; those are made file-absolute.
fn clean_yaml_error(message: &str, first_line: u32) -> String {
    let trimmed = match message.rfind(" at line ") {
        Some(i) if message[i..].split_whitespace().count() == 5 => &message[..i],
        _ => message,
    };
    let mut out = String::with_capacity(trimmed.len());
    let mut rest = trimmed;
    while let Some(i) = rest.find("at line ") {
        out.push_str(&rest[..i + 8]);
        rest = &rest[i + 8..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<u32>() {
            Ok(n) if n > 0 => out.push_str(&(n + first_line - 1).to_string()),
            _ => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

/// The top-level `apiVersion` and `kind` of a block-mapping document, read from its lines
/// without parsing (keys at column 0 are top-level). `None` when either is absent or quoted
/// oddly; the general path then decides.
pub(crate) fn sniff_type(text: &str) -> Option<(&str, &str)> {
    let mut api_version = None;
    let mut kind = None;
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("apiVersion:") {
            api_version = Some(plain_scalar(v)?);
        } else if let Some(v) = line.strip_prefix("kind:") {
            kind = Some(plain_scalar(v)?);
        }
        if let (Some(a), Some(k)) = (api_version, kind) {
            return Some((a, k));
        }
    }
    None
}

/// A simple scalar value after a key: `v1`, `"v1"`, `'v1'`, with an optional comment.
fn plain_scalar(v: &str) -> Option<&str> {
    let v = v.split(" #").next()?.trim();
    let v = v.strip_prefix('"').and_then(|x| x.strip_suffix('"')).or_else(|| v.strip_prefix('\'').and_then(|x| x.strip_suffix('\''))).unwrap_or(v);
    (!v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'/' || b == b'.' || b == b'-')).then_some(v)
}

/// 1-based line and column of a byte offset.
pub(crate) fn line_col(text: &[u8], offset: usize) -> (u32, u32) {
    let before = &text[..offset.min(text.len())];
    let line = memchr::memchr_iter(b'\n', before).count() as u32 + 1;
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    (line, (offset - line_start) as u32 + 1)
}

/// One parsed document becomes one object, or one per item when it is a list.
pub(crate) fn expand(value: Value, loc: SourceLoc) -> Vec<Parsed> {
    match value {
        Value::Object(mut map) if is_list(&map) => {
            let Some(Value::Array(items)) = map.remove("items") else { unreachable!("is_list checked items") };
            let kind = map.get("kind").and_then(Value::as_str).unwrap_or("").to_string();
            let api_version = map.get("apiVersion").and_then(Value::as_str).map(str::to_string);
            items
                .into_iter()
                .map(|item| decode_item(item, list_item_kind(&kind), api_version.as_deref(), loc.clone()))
                .collect()
        }
        Value::Null => vec![],
        other => vec![decode(other, loc)],
    }
}

pub(crate) fn is_list(map: &serde_json::Map<String, Value>) -> bool {
    map.get("kind").and_then(Value::as_str).is_some_and(|k| k.ends_with("List")) && matches!(map.get("items"), Some(Value::Array(_)))
}

/// A list item: typed lists (`PodList`) omit kind and apiVersion on their items.
pub(crate) fn decode_item(mut item: Value, kind: Option<&str>, api_version: Option<&str>, loc: SourceLoc) -> Parsed {
    if let (Value::Object(map), Some(kind)) = (&mut item, kind) {
        map.entry("kind").or_insert_with(|| Value::String(kind.into()));
        if let Some(v) = api_version {
            map.entry("apiVersion").or_insert_with(|| Value::String(v.into()));
        }
    }
    decode(item, loc)
}

pub(crate) fn decode(value: Value, loc: SourceLoc) -> Parsed {
    let err_loc = loc.clone();
    kubepci_model::decode_value(value, loc).map_err(|e| LoadError { loc: err_loc, message: e.to_string() })
}
