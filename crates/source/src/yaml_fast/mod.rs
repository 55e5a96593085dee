//! A fast, exact reader for the block-style YAML that Kubernetes tools write.
//!
//! Why: yaml_serde (libyaml transpiled to Rust, plus an event buffer) costs about 350
//! instructions per byte, which made YAML parsing most of a large scan's time. Almost all
//! manifests (`kubectl get -o yaml`, `helm template`, hand-written files) use a small part of
//! YAML, which can be read line by line at a fraction of that cost.
//!
//! What: [`Deserializer`] is a `serde::Deserializer` that reads that subset straight from the
//! document text, so `kubepci_model::decode_direct` fills typed structs without building a
//! tree, and `serde_json::Value` can be read the same way for generic kinds. It gives exactly
//! what yaml_serde gives: the same visitor calls with the same values, the same scalar
//! resolution ([`resolve`]), the same recursion limit. Whatever it is not sure about it
//! declines ([`Declined`]), and the caller reads the document with yaml_serde as before, so
//! results, error messages and error locations stay yaml_serde's.
//!
//! The subset:
//! - block mappings and sequences, including `- key: v` entries and sequences at the same
//!   indentation as their parent key; the root is a block mapping or sequence;
//! - plain scalars, keys on one line, values also folded over deeper lines as `kubectl`
//!   wraps long strings; single- and double-quoted scalars on one line (all of libyaml's
//!   escapes); block scalars `|` and `>` with chomping (`-`, `+`) and indentation indicators;
//! - flow collections on one line whose plain scalars hold no `:` `#` `[` `{` (`{}`, `[]`,
//!   `[a, "b"]`, `{name: x, ports: [80]}`);
//! - comments, blank lines, LF or CRLF line ends (libyaml reads CRLF as LF).
//!
//! Declined: anchors, aliases, tags, directives, `?` keys, multi-line quoted scalars and
//! flow collections, tabs outside quoted and block scalars, a lone `\r` and the other
//! characters libyaml treats specially, duplicate keys, keys longer than 1000 bytes, nesting
//! beyond yaml_serde's limit, and any error (a type the target refuses included).
//!
//! Tests: `tests.rs` holds the differential tests against yaml_serde (hand-written cases,
//! every target type for many scalars, the shared corpora, generated and mutated documents);
//! `fuzz/fuzz_targets/yaml_fast_path.rs` runs the same check on fuzzed input.

mod de;
mod resolve;
mod scan;

pub(crate) use de::Deserializer;

/// yaml_serde's recursion limit: collections (and newtype structs) nested deeper fail there.
const MAX_DEPTH: u8 = 128;

/// Why the fast reader gave a document back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Declined {
    /// The text uses YAML outside the subset (or is not valid YAML); the offset is about
    /// where the reader was (for statistics and debugging).
    Unsupported(&'static str, usize),
    /// The YAML is in the subset, but the reader or the target type refused it.
    Rejected,
}

/// Read one document (text already split from its stream, checked for size and UTF-8):
/// `read` deserializes the root node from the deserializer it is given and returns `None`
/// when it does not want the result. The value is returned only when the whole document
/// was read without any failure.
pub(crate) fn read<T>(text: &str, read: impl for<'de> FnOnce(&mut Deserializer<'de>) -> Option<T>) -> Result<T, Declined> {
    if memchr::memchr(b'\r', text.as_bytes()).is_some() {
        // libyaml reads CRLF as one line break everywhere (and folds it to `\n` in scalars),
        // so reading the text with LF breaks gives the same result. A lone CR is still
        // declined below.
        return read_unix(&text.replace("\r\n", "\n"), read);
    }
    read_unix(text, read)
}

fn read_unix<'de, T>(text: &'de str, read: impl FnOnce(&mut Deserializer<'de>) -> Option<T>) -> Result<T, Declined> {
    let mut de = Deserializer::new(text);
    let value = read(&mut de);
    de.finish()?;
    let value = value.ok_or(Declined::Rejected)?;
    // Checked last: most documents are clean, and for generic kinds `read` returns early.
    if scan::has_special_chars(text.as_bytes()) {
        return Err(Declined::Unsupported("character libyaml treats specially", 0));
    }
    Ok(value)
}

#[cfg(test)]
mod tests;
