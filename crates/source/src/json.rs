use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use kubepci_model::{PodSpecInterner, SourceLoc};
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::json_split;
use crate::yaml::{decode, decode_item, expand};
use crate::{LoadError, PARSER_PANIC, Parsed, guarded, list_item_kind, shared};

pub(crate) fn looks_like_json(bytes: &[u8]) -> bool {
    matches!(bytes.iter().find(|b| !b.is_ascii_whitespace()), Some(b'{' | b'['))
}

/// Line starts of a buffer, to turn byte offsets into line:column without rescanning.
struct Lines(Vec<usize>);

impl Lines {
    fn new(bytes: &[u8]) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1));
        Lines(starts)
    }
    fn locate(&self, offset: usize) -> (u32, u32) {
        let idx = self.0.partition_point(|&s| s <= offset).saturating_sub(1);
        (idx as u32 + 1, (offset - self.0[idx]) as u32 + 1)
    }
}

/// The envelope of a list, read without parsing its items.
#[derive(Deserialize)]
struct ListProbe<'a> {
    kind: Option<String>,
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
    #[serde(borrow)]
    items: Option<Vec<&'a RawValue>>,
}

/// Parse one or more concatenated JSON values. Lists (`kind: List`, `PodList` …) and top-level
/// arrays are split into items that are parsed in parallel, each with its own line number.
pub(crate) fn parse_stream(file: &Arc<str>, bytes: &[u8], interner: &PodSpecInterner) -> Vec<Parsed> {
    if let Some(parsed) = fast_list(file, bytes, interner) {
        return parsed;
    }
    general_stream(file, bytes, interner)
}

/// The common large input, one list or array of objects, split by a structural scan instead of
/// a serial parse, so that only the items' own parsing (in parallel) reads all of it. `None`
/// when the input is anything else or not valid JSON: the general path then reads it and
/// reports where it breaks, so results and errors are exactly the general path's.
fn fast_list(file: &Arc<str>, bytes: &[u8], interner: &PodSpecInterner) -> Option<Vec<Parsed>> {
    let (split, kind, api_version) = match json_split::split_list(bytes) {
        Some(split) => {
            // The envelope is checked by the probe the general path runs on the whole text:
            // with the items array emptied, it sees the same keys and values.
            let head = std::str::from_utf8(&bytes[..split.open]).ok()?;
            let tail = std::str::from_utf8(&bytes[split.close + 1..]).ok()?;
            match serde_json::from_str::<ListProbe>(&format!("{head}[]{tail}")) {
                Ok(ListProbe { kind: Some(kind), api_version, items: Some(_) }) if kind.ends_with("List") => (split, Some(kind), api_version),
                _ => return None,
            }
        }
        None => (json_split::split_top_array(bytes)?, None, None),
    };
    let item_kind = kind.as_deref().and_then(list_item_kind);
    let locs = item_locations(bytes, &split.items);
    let invalid = AtomicBool::new(false);
    let mut out = Vec::with_capacity(split.items.len());
    split
        .items
        .par_iter()
        .zip(locs)
        .map(|(range, (line, column))| {
            let loc = SourceLoc::new(file.clone(), line, column);
            if invalid.load(Ordering::Relaxed) {
                return Err(LoadError { loc, message: String::new() });
            }
            let Ok(text) = std::str::from_utf8(&bytes[range.clone()]) else {
                invalid.store(true, Ordering::Relaxed);
                return Err(LoadError { loc, message: String::new() });
            };
            let parsed = parse_one(text, item_kind, api_version.as_deref(), loc);
            // A parse that succeeds has read the whole item as JSON, at least as strictly as
            // the general path's probe does. One that fails may have failed on an item that
            // is not JSON at all, which makes the whole input invalid: the general path
            // reports that (one error, where the text breaks), not a per-item error.
            if parsed.is_err() && serde_json::from_str::<&RawValue>(text).is_err() {
                invalid.store(true, Ordering::Relaxed);
            }
            shared(parsed, interner)
        })
        .collect_into_vec(&mut out);
    (!invalid.into_inner()).then_some(out)
}

/// Line and column of each item's first byte, counting newlines between consecutive items.
fn item_locations(bytes: &[u8], items: &[Range<usize>]) -> Vec<(u32, u32)> {
    let (mut line, mut line_start, mut at) = (1usize, 0usize, 0usize);
    items
        .iter()
        .map(|item| {
            let gap = &bytes[at..item.start];
            if let Some(last) = memchr::memrchr(b'\n', gap) {
                line += memchr::memchr_iter(b'\n', gap).count();
                line_start = at + last + 1;
            }
            at = item.start;
            (line as u32, (item.start - line_start) as u32 + 1)
        })
        .collect()
}

/// Any JSON input: values one after another, each parsed with serde_json.
fn general_stream(file: &Arc<str>, bytes: &[u8], interner: &PodSpecInterner) -> Vec<Parsed> {
    let lines = Lines::new(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let (line, column) = lines.locate(e.valid_up_to());
            return vec![Err(LoadError { loc: SourceLoc::new(file.clone(), line, column), message: "invalid UTF-8 (JSON input must be UTF-8)".into() })];
        }
    };
    let loc_at = |offset: usize| {
        let (line, column) = lines.locate(offset);
        SourceLoc::new(file.clone(), line, column)
    };
    // A list the fast split left alone (say, with an escaped key or scalar items) is still
    // split into its items in a single pass (the general stream below would read it twice).
    if let Ok(ListProbe { kind: Some(kind), api_version, items: Some(items) }) = serde_json::from_str::<ListProbe>(text)
        && kind.ends_with("List")
    {
        return list_items(&kind, api_version.as_deref(), &items, text, &loc_at, interner);
    }
    let mut out = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<&RawValue>();
    loop {
        let before = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Ok(raw)) => {
                let offset = raw.get().as_ptr() as usize - text.as_ptr() as usize;
                out.extend(parse_value(raw, offset, text, &loc_at, interner));
            }
            Some(Err(e)) => {
                // A syntax error leaves no safe point to resume a JSON stream: report it and
                // stop this file.
                let loc = if e.line() == 0 { loc_at(before) } else { SourceLoc::new(file.clone(), e.line() as u32, e.column() as u32) };
                out.push(Err(LoadError { loc, message: clean_json_error(&e) }));
                break;
            }
        }
    }
    out
}

fn parse_value(raw: &RawValue, offset: usize, text: &str, loc_at: &(dyn Fn(usize) -> SourceLoc + Sync), interner: &PodSpecInterner) -> Vec<Parsed> {
    let s = raw.get();
    let item_offset = |item: &RawValue| item.get().as_ptr() as usize - text.as_ptr() as usize;
    if s.starts_with('[') {
        return match serde_json::from_str::<Vec<&RawValue>>(s) {
            Ok(items) => items.par_iter().map(|item| shared(parse_one(item.get(), None, None, loc_at(item_offset(item))), interner)).collect(),
            Err(e) => vec![Err(json_error(&e, offset, loc_at))],
        };
    }
    if let Ok(ListProbe { kind: Some(kind), api_version, items: Some(items) }) = serde_json::from_str::<ListProbe>(s)
        && kind.ends_with("List")
    {
        return list_items(&kind, api_version.as_deref(), &items, text, loc_at, interner);
    }
    match guarded(|| serde_json::from_str::<Value>(s).map_err(Some), || None) {
        Ok(value) => expand(value, loc_at(offset)).into_iter().map(|p| shared(p, interner)).collect(),
        Err(Some(e)) => vec![Err(json_error(&e, offset, loc_at))],
        Err(None) => vec![Err(LoadError { loc: loc_at(offset), message: PARSER_PANIC.into() })],
    }
}

/// Parse a list's items in parallel; typed lists (`PodList`) give their items' kind.
fn list_items(kind: &str, api_version: Option<&str>, items: &[&RawValue], text: &str, loc_at: &(dyn Fn(usize) -> SourceLoc + Sync), interner: &PodSpecInterner) -> Vec<Parsed> {
    let item_kind = list_item_kind(kind);
    items
        .par_iter()
        .map(|item| shared(parse_one(item.get(), item_kind, api_version, loc_at(item.get().as_ptr() as usize - text.as_ptr() as usize)), interner))
        .collect()
}

/// `kind` and `apiVersion` of one JSON object, read without building it.
#[derive(Deserialize)]
struct TypeProbe<'a> {
    #[serde(borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "apiVersion")]
    api_version: Option<Cow<'a, str>>,
}

/// `apiVersion` and `kind` when they are the object's leading keys, as kubectl and the API
/// server write them: read from the first bytes instead of a pass over the whole object.
/// `None` when anything else comes first or a string has escapes (the full probe decides).
fn leading_type(text: &str) -> Option<(Option<&str>, Option<&str>)> {
    fn string(s: &str) -> Option<(&str, &str)> {
        let s = s.trim_start().strip_prefix('"')?;
        let end = s.find(['"', '\\'])?;
        (s.as_bytes()[end] == b'"').then(|| (&s[..end], &s[end + 1..]))
    }
    let mut rest = text.trim_start().strip_prefix('{')?;
    let (mut api_version, mut kind) = (None, None);
    while api_version.is_none() || kind.is_none() {
        let (key, after) = string(rest)?;
        let (value, after) = string(after.trim_start().strip_prefix(':')?)?;
        match key {
            "apiVersion" => api_version = Some(value),
            "kind" => kind = Some(value),
            _ => return None,
        }
        rest = match after.trim_start() {
            r if r.starts_with(',') => &r[1..],
            _ => break,
        };
    }
    Some((api_version, kind))
}

/// Parse one list item or array element (`raw` is exactly its JSON text).
fn parse_one(raw: &str, kind: Option<&str>, api_version: Option<&str>, loc: SourceLoc) -> Parsed {
    // Fast path: typed kinds at their canonical apiVersion go straight into their struct.
    let probe = match leading_type(raw) {
        Some((a, k)) => Some((a.map(Cow::Borrowed), k.map(Cow::Borrowed))),
        None => serde_json::from_str::<TypeProbe>(raw).ok().map(|p| (p.api_version, p.kind)),
    };
    if let Some((probe_api_version, probe_kind)) = probe {
        let k = probe_kind.as_deref().or(kind);
        let a = probe_api_version.as_deref().or(api_version);
        if let (Some(k), Some(a)) = (k, a)
            && let Some(Ok(object)) = kubepci_model::decode_direct(a, k, &mut serde_json::Deserializer::from_str(raw), loc.clone())
        {
            return Ok(object);
        }
    }
    match serde_json::from_str::<Value>(raw) {
        Ok(value) if kind.is_some() => decode_item(value, kind, api_version, loc),
        Ok(value) => decode(value, loc),
        Err(e) => Err(LoadError { loc, message: clean_json_error(&e) }),
    }
}

/// Errors inside a value parsed on its own are relative to its first byte.
fn json_error(e: &serde_json::Error, offset: usize, loc_at: &dyn Fn(usize) -> SourceLoc) -> LoadError {
    let start = loc_at(offset);
    let loc = match (e.line(), e.column()) {
        (0, _) => start,
        (1, c) => SourceLoc::new(start.file.clone(), start.line, start.column + c as u32 - 1),
        (l, c) => SourceLoc::new(start.file.clone(), start.line + l as u32 - 1, c as u32),
    };
    LoadError { loc, message: clean_json_error(e) }
}

fn clean_json_error(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Differential check of the fast list split against the general path, for the tests and the
/// `json_list_split` fuzz target: whenever the fast path answers, its objects, errors and
/// locations must be the general path's. `Ok(true)` when the fast path answered.
#[doc(hidden)]
pub fn check_json_split(name: &str, bytes: &[u8]) -> Result<bool, String> {
    let file: Arc<str> = name.into();
    let Some(fast) = fast_list(&file, bytes, &PodSpecInterner::new()) else { return Ok(false) };
    let general = general_stream(&file, bytes, &PodSpecInterner::new());
    if fast.len() != general.len() {
        return Err(format!("{} results from the fast path, {} from the general path", fast.len(), general.len()));
    }
    for (i, (f, g)) in fast.iter().zip(&general).enumerate() {
        // Debug text as well: equal values may hold NaN in generic objects read elsewhere.
        if f != g && format!("{f:?}") != format!("{g:?}") {
            let describe = |r: &Parsed| match r {
                Ok(o) => format!("{} {} at {}", o.kind(), o.name(), o.loc),
                Err(e) => format!("error {e}"),
            };
            return Err(format!("item {i}: fast path {}, general path {}", describe(f), describe(g)));
        }
    }
    Ok(true)
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
