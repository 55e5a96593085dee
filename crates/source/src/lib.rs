//! Sources: turn input bytes (manifest files, directories, stdin, `kubectl get -o json` dumps,
//! snapshots) into [`Object`]s that remember their file and line.
//!
//! Every document is parsed on its own, in parallel. A broken document becomes a
//! [`LoadError`] with file:line:column and the rest of the input is still read; nothing is
//! dropped silently: `Loaded::documents` counts every document and list item seen.

mod fast_check;
mod files;
mod json;
mod json_split;
mod split;
mod yaml;
mod yaml_fast;

use std::fmt;
use std::path::PathBuf;

use kubepci_model::{Object, PodSpecInterner, SourceLoc};
use rayon::prelude::*;

pub use files::{Input, Pending, collect_pending};
#[doc(hidden)]
pub use fast_check::{FastPathReport, check_fast_path};
#[doc(hidden)]
pub use json::check_json_split;

/// Documents larger than this are refused rather than parsed (hostile or accidental input).
pub const MAX_DOCUMENT_BYTES: usize = 64 << 20;

/// Everything read from the inputs.
#[derive(Debug, Default)]
pub struct Loaded {
    pub objects: Vec<Object>,
    pub errors: Vec<LoadError>,
    /// Documents and list items seen, including the ones that failed.
    pub documents: usize,
    /// Input files read (stdin counts as one).
    pub files: usize,
}

/// A document (or a file) that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    pub loc: SourceLoc,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.loc, self.message)
    }
}

/// Outcome of one document or list item.
pub(crate) type Parsed = Result<Object, LoadError>;

/// `parsed`, its pod template spec shared with an equal one seen before in this load. Done as
/// each object is made, so a duplicate is freed at once instead of adding to the peak.
pub(crate) fn shared(mut parsed: Parsed, interner: &PodSpecInterner) -> Parsed {
    if let Ok(object) = &mut parsed {
        object.resource.share_pod_spec(interner);
    }
    parsed
}

/// Load every path (`-` is stdin). Directories are walked recursively for `.yaml`, `.yml` and
/// `.json` files in a stable (sorted) order.
pub fn load_paths(paths: &[PathBuf]) -> Loaded {
    let (pending, mut errors) = collect_pending(paths);
    let mut loaded = load_pending(pending);
    errors.append(&mut loaded.errors);
    loaded.errors = errors;
    loaded
}

/// Load already-read inputs.
pub fn load_inputs(inputs: Vec<Input>) -> Loaded {
    load_pending(inputs.into_iter().map(Pending::Ready).collect())
}

/// Read and parse inputs in parallel; each file's bytes are dropped once it is parsed.
/// Workload controllers with equal pod template specs share one (see [`PodSpecInterner`]).
pub fn load_pending(pending: Vec<Pending>) -> Loaded {
    let interner = PodSpecInterner::new();
    let per_file: Vec<Result<Vec<Parsed>, LoadError>> =
        pending.into_par_iter().map(|p| p.read().map(|input| parse_input(&input.name, &input.bytes, &interner))).collect();
    let mut loaded = Loaded::default();
    for file in per_file {
        let results = match file {
            Ok(results) => results,
            Err(e) => {
                loaded.errors.push(e);
                continue;
            }
        };
        loaded.files += 1;
        loaded.documents += results.len();
        for r in results {
            match r {
                Ok(o) => loaded.objects.push(o),
                Err(e) => loaded.errors.push(e),
            }
        }
    }
    loaded
}

/// Parse one input's bytes (YAML stream, JSON document(s), gzip of either).
pub fn load_bytes(name: &str, bytes: &[u8]) -> Loaded {
    load_inputs(vec![Input { name: name.into(), bytes: bytes.to_vec() }])
}

fn parse_input(name: &str, bytes: &[u8], interner: &PodSpecInterner) -> Vec<Parsed> {
    let file: std::sync::Arc<str> = name.into();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return match files::gunzip(bytes) {
            Ok(plain) => parse_input(name, &plain, interner),
            Err(message) => vec![Err(LoadError { loc: SourceLoc::new(file, 0, 0), message })],
        };
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if json::looks_like_json(bytes) {
        json::parse_stream(&file, bytes, interner)
    } else {
        yaml::parse_stream(&file, bytes, interner)
    }
}

/// Kind and apiVersion of a list's items: `PodList` → `Pod`; `List` → items carry their own.
pub(crate) fn list_item_kind(list_kind: &str) -> Option<&str> {
    if list_kind == "List" { None } else { list_kind.strip_suffix("List").filter(|k| !k.is_empty()) }
}

pub(crate) const PARSER_PANIC: &str = "internal parser error on this document (please report it)";

/// Run a parser with a guard so that a bug in a parser on hostile input becomes an error for
/// that one document instead of aborting the scan.
pub(crate) fn guarded<T, E>(parse: impl FnOnce() -> Result<T, E>, on_panic: impl FnOnce() -> E) -> Result<T, E> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(parse)).unwrap_or_else(|_| Err(on_panic()))
}

#[cfg(test)]
mod tests;
