//! Snapshots: a collection frozen as evidence. Gzip JSON (plain JSON when the file name does
//! not end in `.gz`) with a sha256 over the canonical form of its items; see `docs/snapshot.md`.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use kubepci_model::{Object, SourceLoc, decode_direct, decode_value};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::{Error, SnapshotMeta};

pub const SNAPSHOT_API_VERSION: &str = "kubepci.io/v1";
pub const SNAPSHOT_KIND: &str = "Snapshot";

/// Write `value` as canonical JSON: object keys sorted by byte order, no whitespace, strings
/// and numbers as serde_json writes them. Independent of serde_json's `preserve_order`.
fn write_canonical(w: &mut impl Write, value: &Value) -> std::io::Result<()> {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            w.write_all(b"{")?;
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    w.write_all(b",")?;
                }
                serde_json::to_writer(&mut *w, k)?;
                w.write_all(b":")?;
                write_canonical(w, v)?;
            }
            w.write_all(b"}")
        }
        Value::Array(items) => {
            w.write_all(b"[")?;
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    w.write_all(b",")?;
                }
                write_canonical(w, v)?;
            }
            w.write_all(b"]")
        }
        scalar => serde_json::to_writer(&mut *w, scalar).map_err(std::io::Error::from),
    }
}

/// One item in canonical JSON (keys sorted, no whitespace), as snapshots store and hash it.
/// Only constructible from a JSON value, so every stored item is canonical.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CanonicalItem(Box<str>);

impl CanonicalItem {
    pub fn from_value(value: &Value) -> CanonicalItem {
        let mut buf = Vec::with_capacity(1024);
        // Writing into a Vec cannot fail, and serde_json writes valid UTF-8.
        let _ = write_canonical(&mut buf, value);
        CanonicalItem(String::from_utf8(buf).unwrap_or_default().into_boxed_str())
    }

    /// The canonical JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The item as a JSON value.
    pub fn to_value(&self) -> Value {
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }
}

/// Hex sha256 of the canonical JSON of the items array: `[item,item,…]`, each item with keys
/// sorted and no whitespace. Reordering keys or re-indenting a snapshot keeps the hash;
/// changing, adding, removing or reordering items changes it.
pub fn items_sha256(items: &[CanonicalItem]) -> String {
    let mut h = ItemsHasher::new();
    for item in items {
        h.add(item.as_str());
    }
    h.finish()
}

/// Incremental [`items_sha256`].
struct ItemsHasher {
    hash: Sha256,
    count: usize,
}

impl ItemsHasher {
    fn new() -> ItemsHasher {
        let mut hash = Sha256::new();
        hash.update(b"[");
        ItemsHasher { hash, count: 0 }
    }

    fn add(&mut self, canonical: &str) {
        if self.count > 0 {
            self.hash.update(b",");
        }
        self.hash.update(canonical.as_bytes());
        self.count += 1;
    }

    fn finish(mut self) -> String {
        self.hash.update(b"]");
        kubepci_base::text::hex(&self.hash.finalize())
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Header<'a> {
    api_version: &'static str,
    kind: &'static str,
    metadata: &'a SnapshotMeta,
}

/// Items a snapshot is written from: held in memory, or spilled to disk while collecting.
trait ItemSource {
    fn count(&self) -> usize;
    /// Calls `each` with every item's canonical text, in order.
    fn for_each(&self, each: &mut dyn FnMut(&str) -> std::io::Result<()>) -> std::io::Result<()>;
}

impl ItemSource for [CanonicalItem] {
    fn count(&self) -> usize {
        self.len()
    }
    fn for_each(&self, each: &mut dyn FnMut(&str) -> std::io::Result<()>) -> std::io::Result<()> {
        self.iter().try_for_each(|item| each(item.as_str()))
    }
}

/// A collection's canonical items spilled to disk as they were listed, so that `kubepci
/// collect` holds one page per kind in memory whatever the cluster size: one unlinked
/// temporary file per kind (nothing is left behind if the process dies), one item per line
/// (canonical JSON never holds a raw newline), in the order the items were listed.
#[derive(Debug, Default)]
pub struct SpilledItems {
    parts: Vec<SpilledKind>,
}

/// One kind's spilled items.
#[derive(Debug)]
pub(crate) struct SpilledKind {
    file: File,
    count: usize,
}

impl SpilledKind {
    /// An empty spill file in `dir`, private and already unlinked.
    pub(crate) fn create(dir: &Path) -> std::io::Result<SpilledKind> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = dir.join(format!(".kubepci-collect-{}-{n}.partial", std::process::id()));
        let file = kubepci_base::fs::create_private_scratch(&path)?;
        std::fs::remove_file(&path)?;
        Ok(SpilledKind { file, count: 0 })
    }

    /// Appends items (one write for a whole page).
    pub(crate) fn append<'a>(&mut self, items: impl IntoIterator<Item = &'a CanonicalItem>) -> std::io::Result<()> {
        let mut page = Vec::new();
        for item in items {
            page.extend_from_slice(item.as_str().as_bytes());
            page.push(b'\n');
            self.count += 1;
        }
        (&self.file).write_all(&page)
    }

    /// Forgets what was written (the list started over).
    pub(crate) fn clear(&mut self) -> std::io::Result<()> {
        use std::io::Seek;
        self.count = 0;
        self.file.set_len(0)?;
        (&self.file).seek(std::io::SeekFrom::Start(0)).map(drop)
    }

    pub(crate) fn len(&self) -> usize {
        self.count
    }
}

impl SpilledItems {
    pub(crate) fn push(&mut self, part: SpilledKind) {
        self.parts.push(part);
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.parts.iter().map(|p| p.count).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// [`items_sha256`] of the spilled items (read back from disk).
    pub fn sha256(&self) -> std::io::Result<String> {
        let mut h = ItemsHasher::new();
        self.for_each(&mut |item| {
            h.add(item);
            Ok(())
        })?;
        Ok(h.finish())
    }
}

impl ItemSource for SpilledItems {
    fn count(&self) -> usize {
        self.len()
    }
    fn for_each(&self, each: &mut dyn FnMut(&str) -> std::io::Result<()>) -> std::io::Result<()> {
        use std::io::{BufRead, Seek};
        let mut line = String::new();
        for part in &self.parts {
            (&part.file).seek(std::io::SeekFrom::Start(0))?;
            let mut reader = BufReader::with_capacity(1 << 20, &part.file);
            for _ in 0..part.count {
                line.clear();
                if reader.read_line(&mut line)? == 0 {
                    return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "spilled items file is shorter than recorded"));
                }
                each(line.strip_suffix('\n').unwrap_or(&line))?;
            }
        }
        Ok(())
    }
}

/// Write a snapshot of `items` to `path` (gzip when it ends in `.gz`). The recorded
/// `sha256` and `itemCount` are computed here from `items`, whatever `meta` says.
///
/// A new file is created 0600 beside `path` and renamed into place, so a failed write leaves
/// no partial file. An existing path (a file, `/dev/null`, a pipe) is written as it is: never
/// renamed over, and its permissions are left alone.
pub fn write_snapshot(path: &Path, meta: &SnapshotMeta, items: &[CanonicalItem]) -> Result<SnapshotMeta, Error> {
    let mut meta = meta.clone();
    meta.sha256 = items_sha256(items);
    write_snapshot_of(path, meta, items)
}

/// [`write_snapshot`] of items spilled while collecting; they are read from disk twice (for
/// the hash the header records, then for the body), never held in memory together.
pub fn write_spilled_snapshot(path: &Path, meta: &SnapshotMeta, items: &SpilledItems) -> Result<SnapshotMeta, Error> {
    let mut meta = meta.clone();
    meta.sha256 = items.sha256().map_err(|source| Error::Io { path: path.display().to_string(), source })?;
    write_snapshot_of(path, meta, items)
}

fn write_snapshot_of(path: &Path, mut meta: SnapshotMeta, items: &(impl ItemSource + ?Sized)) -> Result<SnapshotMeta, Error> {
    meta.item_count = items.count();
    let io_err = |source| Error::Io { path: path.display().to_string(), source };
    let in_place = path.exists();
    let tmp = if in_place { path.to_path_buf() } else { path.with_file_name(format!(".{}.partial", path.file_name().and_then(|n| n.to_str()).unwrap_or("snapshot"))) };
    let file = kubepci_base::fs::create_private(&tmp, true).map_err(io_err)?;
    let result = if path.to_string_lossy().ends_with(".gz") {
        // Buffer in front of the compressor: it is slow on many small writes.
        let mut w = BufWriter::with_capacity(1 << 20, GzEncoder::new(file, Compression::fast()));
        write_body(&mut w, &meta, items).and_then(|()| w.into_inner().map_err(|e| e.into_error())?.finish()?.flush())
    } else {
        let mut w = BufWriter::new(file);
        write_body(&mut w, &meta, items).and_then(|()| w.flush())
    };
    if in_place {
        result.map_err(io_err)?;
    } else if let Err(e) = result.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(io_err(e));
    }
    Ok(meta)
}

/// A snapshot of `items` as gzip bytes, as [`write_snapshot`] writes a `.gz` file, with the
/// metadata it records.
pub fn encode_snapshot(meta: &SnapshotMeta, items: &[CanonicalItem]) -> std::io::Result<(SnapshotMeta, Vec<u8>)> {
    let mut meta = meta.clone();
    meta.sha256 = items_sha256(items);
    meta.item_count = items.len();
    let mut w = BufWriter::with_capacity(1 << 20, GzEncoder::new(Vec::new(), Compression::fast()));
    write_body(&mut w, &meta, items)?;
    let bytes = w.into_inner().map_err(|e| e.into_error())?.finish()?;
    Ok((meta, bytes))
}

/// `{"apiVersion":…,"kind":"Snapshot","metadata":{…},"items":[` one canonical item per line `]}`.
fn write_body(w: &mut impl Write, meta: &SnapshotMeta, items: &(impl ItemSource + ?Sized)) -> std::io::Result<()> {
    let header = serde_json::to_string(&Header { api_version: SNAPSHOT_API_VERSION, kind: SNAPSHOT_KIND, metadata: meta })?;
    // Drop the closing brace to append the items array.
    w.write_all(&header.as_bytes()[..header.len() - 1])?;
    w.write_all(b",\"items\":[")?;
    let mut first = true;
    items.for_each(&mut |item| {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        first = false;
        w.write_all(item.as_bytes())
    })?;
    w.write_all(b"\n]}\n")
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SnapshotFile<'a> {
    api_version: String,
    kind: String,
    metadata: SnapshotMeta,
    /// Borrowed from the file's bytes: items are hashed and decoded from their text, so the
    /// snapshot is never held as a JSON tree.
    #[serde(default, borrow)]
    items: Vec<&'a RawValue>,
}

/// A snapshot read back: its metadata, the objects, and items that did not decode.
#[derive(Debug)]
pub struct Snapshot {
    pub meta: SnapshotMeta,
    pub objects: Vec<Object>,
    /// `Kind namespace/name: problem` for items that are not valid objects.
    pub errors: Vec<String>,
}

/// Read a snapshot, verify its sha256, and decode its items with the snapshot file as their
/// location. Items that do not decode are listed in [`Snapshot::errors`] (as a live collection
/// lists them in `Collected::errors`).
///
/// The hash is defined over the items' canonical JSON. `kubepci collect` writes every item in
/// canonical form, so the items' bytes as stored are hashed first (no parsing), on one thread
/// while the others decode the items; only when that does not match (the file was re-indented,
/// or changed) is each item parsed and canonicalised to decide.
pub fn load_snapshot(path: &Path) -> Result<Snapshot, Error> {
    let shown = path.display().to_string();
    let mut bytes = Vec::new();
    File::open(path).and_then(|f| BufReader::new(f).read_to_end(&mut bytes)).map_err(|source| Error::Io { path: shown.clone(), source })?;
    load_snapshot_bytes(bytes, &shown)
}

/// [`load_snapshot`] of a snapshot's bytes (gzip or plain), named `shown` in locations and
/// errors.
pub fn load_snapshot_bytes(mut bytes: Vec<u8>, shown: &str) -> Result<Snapshot, Error> {
    let shown = shown.to_string();
    let format_err = |message: String| Error::Format { path: shown.clone(), message };
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut plain = Vec::with_capacity(bytes.len().saturating_mul(8));
        GzDecoder::new(bytes.as_slice()).read_to_end(&mut plain).map_err(|e| format_err(format!("gzip: {e}")))?;
        bytes = plain;
    }
    let file: SnapshotFile = serde_json::from_slice(&bytes).map_err(|e| format_err(e.to_string()))?;
    if file.api_version != SNAPSHOT_API_VERSION || file.kind != SNAPSHOT_KIND {
        return Err(format_err(format!("expected apiVersion {SNAPSHOT_API_VERSION} kind {SNAPSHOT_KIND}, found {} {}", file.api_version, file.kind)));
    }
    let loc = SourceLoc::whole(shown.as_str());
    let (stored_hash, decoded) = rayon::join(|| stored_items_sha256(&file.items), || file.items.par_iter().map(|raw| decode_item(raw, &loc)).collect::<Vec<_>>());
    let recorded = &file.metadata.sha256;
    if file.items.len() != file.metadata.item_count {
        return Err(Error::Tampered { path: shown, recorded: recorded.clone(), computed: stored_hash });
    }
    if !stored_hash.eq_ignore_ascii_case(recorded) {
        let computed = canonical_items_sha256(&file.items);
        if !computed.eq_ignore_ascii_case(recorded) {
            return Err(Error::Tampered { path: shown, recorded: recorded.clone(), computed });
        }
    }
    let mut objects = Vec::with_capacity(decoded.len());
    let mut errors = Vec::new();
    for item in decoded {
        match item {
            Ok(o) => objects.push(o),
            Err(e) => errors.push(e),
        }
    }
    Ok(Snapshot { meta: file.metadata, objects, errors })
}

/// A snapshot file's metadata and items, verified as [`load_snapshot`] verifies them, with every
/// item redacted for storage again (`kubepci_checks::redaction`): a snapshot written before
/// redaction existed, or by hand, holds no Secret value or full card number once written back
/// with [`write_snapshot`] (which records the new items hash). Redacting a redacted item
/// changes nothing, so a current snapshot comes back with the same hash.
pub fn read_redacted_items(path: &Path) -> Result<(SnapshotMeta, Vec<CanonicalItem>), Error> {
    let meta = load_snapshot(path)?.meta;
    let shown = path.display().to_string();
    let mut bytes = Vec::new();
    File::open(path).and_then(|f| BufReader::new(f).read_to_end(&mut bytes)).map_err(|source| Error::Io { path: shown.clone(), source })?;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut plain = Vec::new();
        GzDecoder::new(bytes.as_slice()).read_to_end(&mut plain).map_err(|e| Error::Format { path: shown.clone(), message: format!("gzip: {e}") })?;
        bytes = plain;
    }
    let file: SnapshotFile = serde_json::from_slice(&bytes).map_err(|e| Error::Format { path: shown.clone(), message: e.to_string() })?;
    let items = file
        .items
        .par_iter()
        .map(|raw| {
            let mut value: Value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
            kubepci_checks::redaction::redact_item(&mut value);
            CanonicalItem::from_value(&value)
        })
        .collect();
    Ok((meta, items))
}

/// [`items_sha256`] of items stored in canonical form, from their bytes as stored.
fn stored_items_sha256(items: &[&RawValue]) -> String {
    let mut h = ItemsHasher::new();
    for item in items {
        h.add(item.get());
    }
    h.finish()
}

/// [`items_sha256`] of items in any layout: each is parsed and written canonically.
fn canonical_items_sha256(items: &[&RawValue]) -> String {
    let mut h = ItemsHasher::new();
    for item in items {
        // The file parsed as a whole, so every item is valid JSON.
        let value: Value = serde_json::from_str(item.get()).unwrap_or(Value::Null);
        h.add(CanonicalItem::from_value(&value).as_str());
    }
    h.finish()
}

/// The `apiVersion` and `kind` of an item, read without building the rest.
#[derive(Deserialize)]
struct TypeMeta<'a> {
    #[serde(rename = "apiVersion", borrow, default)]
    api_version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    kind: Option<Cow<'a, str>>,
}

/// Decode one stored item. Typed kinds go straight from the item's text into their structs
/// (`decode_direct`, equal to `decode_value`); other kinds, and items the fast path rejects,
/// go through a JSON value, which also gives the error message.
fn decode_item(raw: &RawValue, loc: &SourceLoc) -> Result<Object, String> {
    if let Ok(TypeMeta { api_version: Some(api_version), kind: Some(kind) }) = serde_json::from_str::<TypeMeta>(raw.get())
        && let Some(Ok(object)) = decode_direct(&api_version, &kind, &mut serde_json::Deserializer::from_str(raw.get()), loc.clone())
    {
        return Ok(object);
    }
    let item: Value = serde_json::from_str(raw.get()).map_err(|e| format!("item: {e}"))?;
    let label = format!("{} {}", item["kind"].as_str().unwrap_or("(no kind)"), item["metadata"]["name"].as_str().unwrap_or("(unnamed)"));
    decode_value(item, loc.clone()).map_err(|e| format!("{label}: {e}"))
}

/// [`load_snapshot`], strict: any item that does not decode is an error.
pub fn read_snapshot(path: &Path) -> Result<(SnapshotMeta, Vec<Object>), Error> {
    let snap = load_snapshot(path)?;
    if let Some(first) = snap.errors.first() {
        return Err(Error::Format { path: path.display().to_string(), message: match snap.errors.len() {
            1 => format!("1 item is not a valid object: {first}"),
            n => format!("{n} items are not valid objects, first: {first}"),
        } });
    }
    Ok((snap.meta, snap.objects))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hash_ignores_key_order_but_not_content() {
        let item = |v: Value| vec![CanonicalItem::from_value(&v)];
        let a = item(json!({"b": 1, "a": {"y": [1, 2], "x": "s"}}));
        let b = item(json!({"a": {"x": "s", "y": [1, 2]}, "b": 1}));
        let c = item(json!({"a": {"x": "s", "y": [2, 1]}, "b": 1}));
        assert_eq!(a[0].as_str(), r#"{"a":{"x":"s","y":[1,2]},"b":1}"#);
        assert_eq!(items_sha256(&a), items_sha256(&b));
        assert_ne!(items_sha256(&a), items_sha256(&c));
        assert_eq!(items_sha256(&[]), "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945");
    }

    #[test]
    fn round_trip_plain_and_gzip() {
        let dir = tempfile::tempdir().unwrap();
        let items = vec![CanonicalItem::from_value(&json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "payments"}}))];
        for name in ["s.json", "s.json.gz"] {
            let path = dir.path().join(name);
            let meta = write_snapshot(&path, &SnapshotMeta::default(), &items).unwrap();
            let (read_meta, objects) = read_snapshot(&path).unwrap();
            assert_eq!(read_meta, meta);
            assert_eq!(objects.len(), 1);
            assert_eq!(objects[0].name(), "payments");
            assert_eq!(&*objects[0].loc.file, path.display().to_string());
        }
    }

    #[test]
    fn items_decode_as_the_file_loader_decodes_them() {
        let items = [
            // Typed at its canonical apiVersion: the direct path.
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "payments", "managedFields": [{"manager": "kubectl"}]},
                   "spec": {"selector": {"matchLabels": {"app": "api"}}, "template": {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [{"name": "api", "image": "api:1", "securityContext": {"privileged": true}}]}}}}),
            // A kind kubepci does not type, and an older apiVersion of a typed kind: through a value.
            json!({"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy", "metadata": {"name": "deny"}, "spec": {"priority": 10}}),
            json!({"apiVersion": "networking.k8s.io/v1beta1", "kind": "Ingress", "metadata": {"name": "web", "namespace": "shop"}}),
            // Not a valid Deployment: an error naming the item, the rest still read.
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "broken", "namespace": "payments"}, "spec": {"replicas": "three"}}),
        ];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json.gz");
        write_snapshot(&path, &SnapshotMeta::default(), &items.iter().map(CanonicalItem::from_value).collect::<Vec<_>>()).unwrap();
        let snap = load_snapshot(&path).unwrap();
        let loc = SourceLoc::whole(path.display().to_string().as_str());
        let expected: Vec<Object> = items[..3].iter().map(|v| decode_value(v.clone(), loc.clone()).unwrap()).collect();
        assert_eq!(snap.objects.len(), 3);
        for (got, want) in snap.objects.iter().zip(&expected) {
            assert_eq!((&got.api_version, &got.resource, &got.loc), (&want.api_version, &want.resource, &want.loc));
        }
        assert_eq!(snap.errors.len(), 1);
        assert!(snap.errors[0].starts_with("Deployment broken: "), "{}", snap.errors[0]);
        assert!(read_snapshot(&path).is_err(), "strict reading refuses an invalid item");
    }

    #[test]
    fn re_indented_items_verify_through_their_canonical_form() {
        let items = vec![CanonicalItem::from_value(&json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "payments", "labels": {"b": "1", "a": "2"}}}))];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let meta = write_snapshot(&path, &SnapshotMeta::default(), &items).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        // Keys reordered and spaced out inside the item: same content, same hash.
        let shuffled = text.replace(r#"{"a":"2","b":"1"}"#, r#"{ "b": "1", "a": "2" }"#);
        assert_ne!(shuffled, text);
        std::fs::write(&path, &shuffled).unwrap();
        assert_eq!(load_snapshot(&path).unwrap().meta.sha256, meta.sha256);
        std::fs::write(&path, shuffled.replace(r#""a": "2""#, r#""a": "3""#)).unwrap();
        match load_snapshot(&path) {
            Err(Error::Tampered { recorded, computed, .. }) => assert!(recorded == meta.sha256 && computed != recorded),
            other => panic!("expected a hash mismatch, got {other:?}"),
        }
    }

    /// A new snapshot is private; an existing file keeps its inode and permissions, and a
    /// non-regular path such as /dev/null is written to, never replaced.
    #[cfg(unix)]
    #[test]
    fn new_files_are_private_and_existing_paths_are_written_in_place() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let items = vec![CanonicalItem::from_value(&json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "payments"}}))];
        let fresh = dir.path().join("new.json.gz");
        write_snapshot(&fresh, &SnapshotMeta::default(), &items).unwrap();
        assert_eq!(std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777, 0o600);
        let existing = dir.path().join("kept.json");
        std::fs::write(&existing, "old").unwrap();
        std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o640)).unwrap();
        let inode = std::fs::metadata(&existing).unwrap().ino();
        write_snapshot(&existing, &SnapshotMeta::default(), &items).unwrap();
        let after = std::fs::metadata(&existing).unwrap();
        assert_eq!((after.ino(), after.permissions().mode() & 0o777), (inode, 0o640));
        assert_eq!(read_snapshot(&existing).unwrap().1.len(), 1);
        let null = Path::new("/dev/null");
        if null.exists() {
            let before = std::fs::metadata(null).unwrap();
            write_snapshot(null, &SnapshotMeta::default(), &items).unwrap();
            let after = std::fs::metadata(null).unwrap();
            assert_eq!((after.ino(), after.mode(), after.rdev()), (before.ino(), before.mode(), before.rdev()));
        }
        assert!(std::fs::read_dir(dir.path()).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().ends_with(".partial")));
    }

    #[test]
    fn an_old_snapshot_with_secret_values_is_redacted_when_read_back_for_storage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.json");
        let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop"}, "data": {"password": "aHVudGVyMi1zZWNyZXQ="}});
        write_snapshot(&path, &SnapshotMeta::default(), &[CanonicalItem::from_value(&secret)]).unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().contains("aHVudGVyMi1zZWNyZXQ="), "written as given");
        let (_, items) = read_redacted_items(&path).unwrap();
        assert!(!items[0].as_str().contains("aHVudGVyMi1zZWNyZXQ="), "{}", items[0].as_str());
        let again = dir.path().join("again.json");
        let first = write_snapshot(&again, &SnapshotMeta::default(), &items).unwrap();
        assert_eq!(read_redacted_items(&again).unwrap().1, items, "redaction is idempotent");
        assert_eq!(load_snapshot_bytes(std::fs::read(&again).unwrap(), "in-memory").unwrap().meta.sha256, first.sha256);
        let (meta, bytes) = encode_snapshot(&SnapshotMeta::default(), &items).unwrap();
        assert_eq!(meta.sha256, first.sha256);
        assert_eq!(load_snapshot_bytes(bytes, "in-memory").unwrap().objects.len(), 1);
    }

    #[test]
    fn rejects_other_documents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        std::fs::write(&path, r#"{"apiVersion":"v1","kind":"List","metadata":{"collectorVersion":"","time":"","endpoint":"","kindsListed":[],"kindsNotListable":[],"itemCount":0,"sha256":""},"items":[]}"#).unwrap();
        assert!(matches!(read_snapshot(&path), Err(Error::Format { .. })));
        std::fs::write(&path, "not json").unwrap();
        assert!(matches!(read_snapshot(&path), Err(Error::Format { .. })));
    }
}
