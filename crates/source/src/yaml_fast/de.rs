//! The streaming `serde::Deserializer`: each `deserialize_*` call reads the next node straight
//! from the text, so typed structs are filled without an intermediate tree.
//!
//! It answers every call the way yaml_serde's deserializer answers it for the same YAML (the
//! same visitor method with the same value), and fails wherever yaml_serde would fail. Its
//! failures are never reported: the caller reads the document again with yaml_serde.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, Unexpected, Visitor};

use super::resolve::{self, Resolved};
use super::scan::{self, PlainEnd, Scalar, Unsupported};
use super::{Declined, MAX_DEPTH};

/// Longest mapping key accepted, in bytes. libyaml refuses an implicit key whose `:` is more
/// than 1024 bytes after its start; stay clear of that edge.
const MAX_KEY_BYTES: usize = 1000;

/// Maps with more keys than this check duplicates with a hash set instead of a scan.
const LINEAR_KEY_CHECK: usize = 16;

/// Errors: `Unsupported` comes from the scanner (YAML outside the subset), `Rejected` from a
/// visitor or from a type mismatch (the target type refused the YAML).
#[derive(Debug)]
pub(crate) enum Error {
    Unsupported(&'static str),
    Rejected(String),
}

impl From<Unsupported> for Error {
    fn from(u: Unsupported) -> Self {
        Error::Unsupported(u.0)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Unsupported(why) => write!(f, "outside the fast YAML subset: {why}"),
            Error::Rejected(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::Rejected(msg.to_string())
    }
}

type Result<T, E = Error> = std::result::Result<T, E>;

/// Where the next node starts, set by whoever asks for it.
#[derive(Clone, Copy, Debug)]
enum Ctx {
    /// The document's root node.
    Root,
    /// After `key:` in a block mapping whose keys are at this column.
    MapValue(usize),
    /// After `-` in a block sequence whose dashes are at this column.
    SeqItem(usize),
    /// Inside a flow collection, after `[`, `{`, `,` or `: `.
    Flow,
    /// Nothing may be read until an access sets a context (guards against misuse).
    Used,
}

/// A node whose start has been read.
#[derive(Debug)]
enum Node<'de> {
    Scalar(Scalar<'de>),
    /// A block mapping with keys at this column; the cursor is on its first key.
    BlockMap(usize),
    /// A block sequence with dashes at `indent`; the cursor is on its first dash. An
    /// indentless sequence (`key:` then `- x` at the key's column) ends at a line at that
    /// column that is not an entry.
    BlockSeq { indent: usize, indentless: bool },
    /// A flow collection; the cursor is after its opening bracket. The outermost one of a
    /// line must be followed by nothing but a comment on that line.
    FlowMap { outermost: bool },
    FlowSeq { outermost: bool },
}

/// Deserializer over one document's text. Use through [`super::read`].
pub(crate) struct Deserializer<'de> {
    src: &'de str,
    pos: usize,
    ctx: Ctx,
    /// A node started by `deserialize_option` and handed on through `visit_some`.
    pending: Option<Node<'de>>,
    /// yaml_serde's recursion budget, spent the same way (collections and newtypes).
    remaining_depth: u8,
    /// Keys of the mappings being read, outermost first (each mapping's keys are contiguous).
    keys: Vec<Cow<'de, str>>,
    /// The first failure: once anything failed the result is not used, even if a visitor
    /// swallowed the error.
    failure: Option<Declined>,
}

impl<'de> Deserializer<'de> {
    pub(super) fn new(src: &'de str) -> Self {
        Deserializer { src, pos: 0, ctx: Ctx::Root, pending: None, remaining_depth: MAX_DEPTH, keys: Vec::new(), failure: None }
    }

    /// After the reader returned: the document must hold nothing after the root node.
    pub(super) fn finish(&mut self) -> Result<(), Declined> {
        if let Some(failure) = self.failure {
            return Err(failure);
        }
        if !matches!(self.ctx, Ctx::Used) {
            // The reader never read the document (for example, not a typed kind).
            return Err(Declined::Rejected);
        }
        if self.pending.is_some() {
            return Err(Declined::Unsupported("node left unread", self.pos));
        }
        match scan::next_content_line(self.src.as_bytes(), self.pos) {
            Ok(None) => Ok(()),
            Ok(Some((line, _))) => Err(Declined::Unsupported("content after the root node", line)),
            Err(Unsupported(why)) => Err(Declined::Unsupported(why, self.pos)),
        }
    }

    fn bytes(&self) -> &'de [u8] {
        self.src.as_bytes()
    }

    /// Remember the first failure that passes through here.
    fn track<T>(&mut self, result: Result<T>) -> Result<T> {
        if let Err(e) = &result
            && self.failure.is_none()
        {
            self.failure = Some(match e {
                Error::Unsupported(why) => Declined::Unsupported(why, self.pos),
                Error::Rejected(_) => Declined::Rejected,
            });
        }
        result
    }

    fn next_node(&mut self) -> Result<Node<'de>> {
        if let Some(node) = self.pending.take() {
            return Ok(node);
        }
        let ctx = std::mem::replace(&mut self.ctx, Ctx::Used);
        match ctx {
            Ctx::Root => self.root_node(),
            Ctx::MapValue(indent) => self.block_node(indent, false),
            Ctx::SeqItem(indent) => self.block_node(indent, true),
            Ctx::Flow => self.flow_node(),
            Ctx::Used => Err(Error::Unsupported("node read twice")),
        }
    }

    /// The root must be a block mapping or sequence (Kubernetes objects and lists are).
    fn root_node(&mut self) -> Result<Node<'de>> {
        let b = self.bytes();
        let Some((line, indent)) = scan::next_content_line(b, self.pos)? else {
            return Err(Error::Unsupported("empty document"));
        };
        self.pos = line + indent;
        if scan::is_entry_dash(b, self.pos) {
            Ok(Node::BlockSeq { indent, indentless: false })
        } else {
            // Checked when its first key is read.
            Ok(Node::BlockMap(indent))
        }
    }

    /// The value after `key:` (`in_seq` false) or `-` (`in_seq` true) of a collection at
    /// column `parent`.
    fn block_node(&mut self, parent: usize, in_seq: bool) -> Result<Node<'de>> {
        let b = self.bytes();
        let p = scan::skip_spaces(b, self.pos)?;
        if !matches!(b.get(p), None | Some(b'\n' | b'#')) {
            // `- - x` and `- key: x` open collections on the entry's line; after `key:` only
            // a scalar or a flow collection may follow.
            return self.node_at(p, parent, in_seq, true);
        }
        // Nothing more on this line: the value is on a deeper line, or empty.
        let Some((line, indent)) = scan::next_content_line(b, scan::next_line(b, p))? else {
            self.pos = b.len();
            return Ok(Node::Scalar(Scalar::empty()));
        };
        let at = line + indent;
        if indent > parent {
            self.node_at(at, parent, true, false)
        } else if indent == parent && !in_seq && scan::is_entry_dash(b, at) {
            self.pos = at;
            Ok(Node::BlockSeq { indent, indentless: true })
        } else {
            self.pos = line;
            Ok(Node::Scalar(Scalar::empty()))
        }
    }

    /// The node whose first character is at `p`, inside a collection at column `parent`.
    /// `collections` allows block collections starting at `p`; `block_scalars` allows `|`/`>`.
    fn node_at(&mut self, p: usize, parent: usize, collections: bool, block_scalars: bool) -> Result<Node<'de>> {
        let b = self.bytes();
        let scalar = |value, plain| Ok(Node::Scalar(Scalar { value, plain }));
        match b.get(p) {
            Some(b'[') => {
                self.pos = p + 1;
                Ok(Node::FlowSeq { outermost: true })
            }
            Some(b'{') => {
                self.pos = p + 1;
                Ok(Node::FlowMap { outermost: true })
            }
            Some(b'|' | b'>') if block_scalars => {
                let (value, next) = scan::block_scalar(self.src, p, parent)?;
                self.pos = next;
                scalar(Cow::Owned(value), false)
            }
            Some(b'"' | b'\'') => {
                let (value, after) = scan::quoted(self.src, p, true)?;
                let q = scan::skip_spaces(b, after)?;
                if b.get(q) == Some(&b':') && matches!(b.get(q + 1), None | Some(b' ' | b'\n')) {
                    return self.block_mapping_at(p, collections);
                }
                self.pos = scan::end_of_line(b, after)?;
                scalar(value, false)
            }
            Some(b'-') if scan::is_entry_dash(b, p) => {
                if !collections {
                    return Err(Error::Unsupported("sequence entry on a mapping value line"));
                }
                self.pos = p;
                Ok(Node::BlockSeq { indent: scan::column(b, p), indentless: false })
            }
            Some(_) if scan::plain_start(b, p, false) => match scan::plain_in_block(b, p)? {
                PlainEnd::Key { .. } => self.block_mapping_at(p, collections),
                PlainEnd::Value { end, next, comment } => {
                    let (value, next) = scan::plain_value(self.src, p, (end, next, comment), parent)?;
                    self.pos = next;
                    scalar(value, true)
                }
            },
            Some(b'|' | b'>') => Err(Error::Unsupported("block scalar on its own line")),
            _ => Err(Error::Unsupported("anchor, alias, tag or other indicator")),
        }
    }

    /// A block mapping whose first key is at `p` (keys at that column).
    fn block_mapping_at(&mut self, p: usize, allowed: bool) -> Result<Node<'de>> {
        if !allowed {
            return Err(Error::Unsupported("mapping on a mapping value line"));
        }
        self.pos = p;
        Ok(Node::BlockMap(scan::column(self.bytes(), p)))
    }

    fn flow_node(&mut self) -> Result<Node<'de>> {
        let b = self.bytes();
        let p = scan::skip_spaces(b, self.pos)?;
        match b.get(p) {
            Some(b'[') => {
                self.pos = p + 1;
                Ok(Node::FlowSeq { outermost: false })
            }
            Some(b'{') => {
                self.pos = p + 1;
                Ok(Node::FlowMap { outermost: false })
            }
            Some(b'"' | b'\'') => {
                let (value, after) = scan::quoted(self.src, p, false)?;
                self.pos = after;
                Ok(Node::Scalar(Scalar { value, plain: false }))
            }
            Some(_) if scan::plain_start(b, p, true) => {
                let (end, stop) = scan::plain_in_flow(b, p)?;
                self.pos = stop;
                Ok(Node::Scalar(Scalar { value: Cow::Borrowed(&self.src[p..end]), plain: true }))
            }
            _ => Err(Error::Unsupported("unusual flow collection entry")),
        }
    }

    /// A mapping key at `at` (block context): plain or quoted, then `:` and a blank.
    fn block_key(&mut self, at: usize) -> Result<Scalar<'de>> {
        let b = self.bytes();
        let (key, colon) = match b.get(at) {
            Some(b'"' | b'\'') => {
                let (value, after) = scan::quoted(self.src, at, false)?;
                let colon = scan::skip_spaces(b, after)?;
                if b.get(colon) != Some(&b':') || !matches!(b.get(colon + 1), None | Some(b' ' | b'\n')) {
                    return Err(Error::Unsupported("quoted scalar where a mapping key belongs"));
                }
                (Scalar { value, plain: false }, colon)
            }
            _ if scan::plain_start(b, at, false) => match scan::plain_in_block(b, at)? {
                PlainEnd::Key { end, colon } => (Scalar { value: Cow::Borrowed(&self.src[at..end]), plain: true }, colon),
                PlainEnd::Value { .. } => return Err(Error::Unsupported("line without a mapping key (multi-line scalar?)")),
            },
            _ => return Err(Error::Unsupported("complex or unusual mapping key")),
        };
        if colon - at > MAX_KEY_BYTES {
            return Err(Error::Unsupported("very long mapping key"));
        }
        self.pos = colon + 1;
        Ok(key)
    }

    /// A mapping key at `at` inside a flow mapping, followed by `: `.
    fn flow_key(&mut self, at: usize) -> Result<Scalar<'de>> {
        let b = self.bytes();
        let (key, colon) = match b.get(at) {
            Some(b'"' | b'\'') => {
                let (value, after) = scan::quoted(self.src, at, false)?;
                (Scalar { value, plain: false }, scan::skip_spaces(b, after)?)
            }
            _ if scan::plain_start(b, at, true) => {
                let (end, stop) = scan::plain_in_flow(b, at)?;
                (Scalar { value: Cow::Borrowed(&self.src[at..end]), plain: true }, stop)
            }
            _ => return Err(Error::Unsupported("unusual flow mapping key")),
        };
        if b.get(colon) != Some(&b':') || b.get(colon + 1) != Some(&b' ') {
            return Err(Error::Unsupported("flow mapping entry without `: `"));
        }
        if colon - at > MAX_KEY_BYTES {
            return Err(Error::Unsupported("very long mapping key"));
        }
        self.pos = colon + 1;
        Ok(key)
    }

    fn scalar(&self, scalar: Scalar<'de>) -> ScalarDeserializer<'de> {
        ScalarDeserializer { scalar, remaining_depth: self.remaining_depth }
    }

    /// Spend one level of yaml_serde's recursion budget around `f`.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let Some(remaining) = self.remaining_depth.checked_sub(1) else {
            return Err(Error::Unsupported("nesting beyond yaml_serde's recursion limit"));
        };
        self.remaining_depth = remaining;
        let result = f(self);
        self.remaining_depth = remaining + 1;
        result
    }

    fn visit_mapping<V: Visitor<'de>>(&mut self, node: Node<'de>, visitor: V) -> Result<V::Value> {
        let (layout, outermost) = match node {
            Node::BlockMap(indent) => (Layout::Block { indent, indentless: false }, false),
            Node::FlowMap { outermost } => (Layout::Flow, outermost),
            _ => return Err(Error::Rejected("expected a mapping".into())),
        };
        let value = self.nested(|de| {
            let mut map = MapReader::new(de, layout);
            let value = visitor.visit_map(&mut map)?;
            map.ensure_done()?;
            Ok(value)
        })?;
        self.after_collection(outermost)?;
        Ok(value)
    }

    fn visit_sequence<V: Visitor<'de>>(&mut self, node: Node<'de>, visitor: V) -> Result<V::Value> {
        let (layout, outermost) = match node {
            Node::BlockSeq { indent, indentless } => (Layout::Block { indent, indentless }, false),
            Node::FlowSeq { outermost } => (Layout::Flow, outermost),
            _ => return Err(Error::Rejected("expected a sequence".into())),
        };
        let value = self.nested(|de| {
            let mut seq = SeqReader { de, layout, first: true, done: false };
            let value = visitor.visit_seq(&mut seq)?;
            if !seq.done {
                // yaml_serde reports "invalid length" when a visitor leaves items unread.
                return Err(Error::Rejected("sequence not read to its end".into()));
            }
            Ok(value)
        })?;
        self.after_collection(outermost)?;
        Ok(value)
    }

    fn visit_collection<V: Visitor<'de>>(&mut self, node: Node<'de>, visitor: V) -> Result<V::Value> {
        match node {
            Node::BlockMap(_) | Node::FlowMap { .. } => self.visit_mapping(node, visitor),
            _ => self.visit_sequence(node, visitor),
        }
    }

    /// A flow collection opened in block context closes its line.
    fn after_collection(&mut self, outermost_flow: bool) -> Result<()> {
        if outermost_flow {
            self.pos = scan::end_of_line(self.bytes(), self.pos)?;
        }
        Ok(())
    }
}

/// How a collection is laid out.
#[derive(Clone, Copy)]
enum Layout {
    Block { indent: usize, indentless: bool },
    Flow,
}

enum Expect {
    Key,
    Value,
    Done,
}

/// `MapAccess` over a block or flow mapping. Keys are checked for duplicates (yaml_serde
/// would let the last one win for maps but fail for structs; declining is simpler).
struct MapReader<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    layout: Layout,
    first: bool,
    expect: Expect,
    keys_from: usize,
    many_keys: Option<HashSet<Cow<'de, str>>>,
}

impl<'a, 'de> MapReader<'a, 'de> {
    fn new(de: &'a mut Deserializer<'de>, layout: Layout) -> Self {
        let keys_from = de.keys.len();
        MapReader { de, layout, first: true, expect: Expect::Key, keys_from, many_keys: None }
    }

    fn end(&mut self) -> Result<Option<()>> {
        self.expect = Expect::Done;
        self.de.keys.truncate(self.keys_from);
        Ok(None)
    }

    fn ensure_done(&self) -> Result<()> {
        match self.expect {
            Expect::Done => Ok(()),
            _ => Err(Error::Rejected("mapping not read to its end".into())),
        }
    }

    /// Find the next key's position, or `None` at the end of the mapping.
    fn next_key_at(&mut self) -> Result<Option<usize>> {
        let b = self.de.bytes();
        let first = std::mem::replace(&mut self.first, false);
        match self.layout {
            Layout::Block { indent, .. } => {
                if first {
                    return Ok(Some(self.de.pos));
                }
                match scan::next_content_line(b, self.de.pos)? {
                    None => {
                        self.de.pos = b.len();
                        Ok(None)
                    }
                    Some((line, at)) if at < indent => {
                        self.de.pos = line;
                        Ok(None)
                    }
                    Some((_, at)) if at > indent => Err(Error::Unsupported("deeper line after a mapping entry (multi-line scalar?)")),
                    Some((line, _)) => Ok(Some(line + indent)),
                }
            }
            Layout::Flow => {
                let mut p = scan::skip_spaces(b, self.de.pos)?;
                if b.get(p) == Some(&b'}') {
                    self.de.pos = p + 1;
                    return Ok(None);
                }
                if !first {
                    if b.get(p) != Some(&b',') {
                        return Err(Error::Unsupported("unusual flow mapping"));
                    }
                    p = scan::skip_spaces(b, p + 1)?;
                    if b.get(p) == Some(&b'}') {
                        return Err(Error::Unsupported("trailing comma in a flow mapping"));
                    }
                }
                Ok(Some(p))
            }
        }
    }

    fn remember(&mut self, key: Cow<'de, str>) -> Result<()> {
        let keys = &mut self.de.keys;
        let duplicate = match &mut self.many_keys {
            Some(set) => !set.insert(key),
            None if keys.len() - self.keys_from < LINEAR_KEY_CHECK => {
                let duplicate = keys[self.keys_from..].contains(&key);
                keys.push(key);
                duplicate
            }
            None => {
                let mut set: HashSet<_> = keys.drain(self.keys_from..).collect();
                let duplicate = !set.insert(key);
                self.many_keys = Some(set);
                duplicate
            }
        };
        if duplicate { Err(Error::Unsupported("duplicate mapping key")) } else { Ok(()) }
    }
}

impl<'de> de::MapAccess<'de> for MapReader<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let result = self.read_key(seed);
        self.de.track(result)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        if !matches!(self.expect, Expect::Value) || self.de.pending.is_some() {
            return self.de.track(Err(Error::Unsupported("mapping read out of order")));
        }
        self.expect = Expect::Key;
        self.de.ctx = match self.layout {
            Layout::Block { indent, .. } => Ctx::MapValue(indent),
            Layout::Flow => Ctx::Flow,
        };
        seed.deserialize(&mut *self.de)
    }
}

impl<'de> MapReader<'_, 'de> {
    fn read_key<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        match self.expect {
            Expect::Done => return Ok(None),
            Expect::Value => return Err(Error::Unsupported("mapping read out of order")),
            Expect::Key if self.de.pending.is_some() => return Err(Error::Unsupported("mapping read out of order")),
            Expect::Key => {}
        }
        let Some(at) = self.next_key_at()? else {
            return self.end().map(|_| None);
        };
        let key = match self.layout {
            Layout::Block { .. } => self.de.block_key(at)?,
            Layout::Flow => self.de.flow_key(at)?,
        };
        self.remember(key.value.clone())?;
        self.expect = Expect::Value;
        seed.deserialize(self.de.scalar(key)).map(Some)
    }
}

/// `SeqAccess` over a block or flow sequence.
struct SeqReader<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    layout: Layout,
    first: bool,
    done: bool,
}

impl<'de> SeqReader<'_, 'de> {
    /// Move to the next entry's content; `false` at the end of the sequence.
    fn next_entry(&mut self) -> Result<bool> {
        if self.done {
            return Ok(false);
        }
        if self.de.pending.is_some() {
            return Err(Error::Unsupported("sequence read out of order"));
        }
        let b = self.de.bytes();
        let first = std::mem::replace(&mut self.first, false);
        match self.layout {
            Layout::Block { indent, indentless } => {
                let dash = if first {
                    self.de.pos
                } else {
                    match scan::next_content_line(b, self.de.pos)? {
                        None => {
                            self.de.pos = b.len();
                            self.done = true;
                            return Ok(false);
                        }
                        Some((line, at)) if at < indent => {
                            self.de.pos = line;
                            self.done = true;
                            return Ok(false);
                        }
                        Some((_, at)) if at > indent => return Err(Error::Unsupported("deeper line after a sequence entry (multi-line scalar?)")),
                        Some((line, _)) if !scan::is_entry_dash(b, line + indent) => {
                            if !indentless {
                                return Err(Error::Unsupported("mapping key beside sequence entries"));
                            }
                            // The mapping holding this indentless sequence goes on.
                            self.de.pos = line;
                            self.done = true;
                            return Ok(false);
                        }
                        Some((line, _)) => line + indent,
                    }
                };
                self.de.pos = dash + 1;
                self.de.ctx = Ctx::SeqItem(indent);
            }
            Layout::Flow => {
                let mut p = scan::skip_spaces(b, self.de.pos)?;
                if b.get(p) == Some(&b']') {
                    self.de.pos = p + 1;
                    self.done = true;
                    return Ok(false);
                }
                if !first {
                    if b.get(p) != Some(&b',') {
                        return Err(Error::Unsupported("unusual flow sequence"));
                    }
                    p = scan::skip_spaces(b, p + 1)?;
                    if b.get(p) == Some(&b']') {
                        return Err(Error::Unsupported("trailing comma in a flow sequence"));
                    }
                }
                self.de.pos = p;
                self.de.ctx = Ctx::Flow;
            }
        }
        Ok(true)
    }
}

impl<'de> de::SeqAccess<'de> for SeqReader<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        let more = self.next_entry();
        match self.de.track(more)? {
            true => seed.deserialize(&mut *self.de).map(Some),
            false => Ok(None),
        }
    }
}

/// Methods that only a scalar can answer: a collection there is a type mismatch.
macro_rules! scalar_only {
    ($($method:ident $(($($arg:ident: $ty:ty),*))?;)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($($arg: $ty,)*)? visitor: V) -> Result<V::Value> {
            let result = match self.next_node() {
                Ok(Node::Scalar(s)) => self.scalar(s).$method($($($arg,)*)? visitor),
                Ok(_) => Err(Error::Rejected("expected a scalar".into())),
                Err(e) => Err(e),
            };
            self.track(result)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = Error;

    scalar_only! {
        deserialize_bool; deserialize_i8; deserialize_i16; deserialize_i32; deserialize_i64;
        deserialize_i128; deserialize_u8; deserialize_u16; deserialize_u32; deserialize_u64;
        deserialize_u128; deserialize_f32; deserialize_f64; deserialize_char; deserialize_str;
        deserialize_string; deserialize_bytes; deserialize_byte_buf; deserialize_unit;
        deserialize_unit_struct(name: &'static str);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier;
    }

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let result = match self.next_node() {
            Ok(Node::Scalar(s)) => self.scalar(s).deserialize_any(visitor),
            Ok(node) => self.visit_collection(node, visitor),
            Err(e) => Err(e),
        };
        self.track(result)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let result = match self.next_node() {
            Ok(Node::Scalar(s)) if s.is_null() => visitor.visit_none(),
            Ok(node) => {
                self.pending = Some(node);
                visitor.visit_some(&mut *self)
            }
            Err(e) => Err(e),
        };
        self.track(result)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value> {
        let result = self.nested(|de| visitor.visit_newtype_struct(de));
        self.track(result)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let result = match self.next_node() {
            Ok(Node::Scalar(s)) => self.scalar(s).deserialize_seq(visitor),
            Ok(node) => self.visit_sequence(node, visitor),
            Err(e) => Err(e),
        };
        self.track(result)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _name: &'static str, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let result = match self.next_node() {
            Ok(Node::Scalar(s)) => self.scalar(s).deserialize_map(visitor),
            Ok(node) => self.visit_mapping(node, visitor),
            Err(e) => Err(e),
        };
        self.track(result)
    }

    fn deserialize_struct<V: Visitor<'de>>(self, _name: &'static str, _fields: &'static [&'static str], visitor: V) -> Result<V::Value> {
        self.deserialize_map(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let result = match self.next_node() {
            Ok(Node::Scalar(_)) => visitor.visit_unit(),
            Ok(node) => self.visit_collection(node, IgnoredAny).and_then(|_| visitor.visit_unit()),
            Err(e) => Err(e),
        };
        self.track(result)
    }
}

impl Scalar<'_> {
    /// What `deserialize_option` and `deserialize_unit` take as null: an empty or null-spelled
    /// plain scalar (quoted `"null"` is a string).
    fn is_null(&self) -> bool {
        self.plain && (self.value.is_empty() || resolve::is_null(&self.value))
    }
}

/// A scalar node (or a mapping key) as a deserializer, answering as yaml_serde does for an
/// untagged scalar of that style.
pub(super) struct ScalarDeserializer<'de> {
    scalar: Scalar<'de>,
    remaining_depth: u8,
}

impl<'de> ScalarDeserializer<'de> {
    fn visit_text<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.scalar.value {
            Cow::Borrowed(s) => visitor.visit_borrowed_str(s),
            Cow::Owned(s) => visitor.visit_string(s),
        }
    }

    /// The text when the scalar is plain (only plain scalars can be numbers or booleans).
    fn plain_text(&self) -> Option<&str> {
        self.scalar.plain.then_some(&*self.scalar.value)
    }

    fn mismatch<V: Visitor<'de>>(&self, visitor: &V) -> Error {
        de::Error::invalid_type(Unexpected::Str(&self.scalar.value), visitor)
    }

    fn empty_plain(&self) -> bool {
        self.scalar.plain && self.scalar.value.is_empty()
    }
}

macro_rules! scalar_number {
    ($($method:ident => $parse:ident::<$t:ty>, $visit:ident;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            match self.plain_text().and_then(resolve::$parse::<$t>) {
                Some(n) => visitor.$visit(n),
                None => Err(self.mismatch(&visitor)),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for ScalarDeserializer<'de> {
    type Error = Error;

    scalar_number! {
        deserialize_i8 => parse_signed::<i64>, visit_i64;
        deserialize_i16 => parse_signed::<i64>, visit_i64;
        deserialize_i32 => parse_signed::<i64>, visit_i64;
        deserialize_i64 => parse_signed::<i64>, visit_i64;
        deserialize_i128 => parse_signed::<i128>, visit_i128;
        deserialize_u8 => parse_unsigned::<u64>, visit_u64;
        deserialize_u16 => parse_unsigned::<u64>, visit_u64;
        deserialize_u32 => parse_unsigned::<u64>, visit_u64;
        deserialize_u64 => parse_unsigned::<u64>, visit_u64;
        deserialize_u128 => parse_unsigned::<u128>, visit_u128;
    }

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let Some(text) = self.plain_text() else {
            return self.visit_text(visitor);
        };
        match resolve::resolve_plain(text) {
            Resolved::Null => visitor.visit_unit(),
            Resolved::Bool(b) => visitor.visit_bool(b),
            Resolved::U64(n) => visitor.visit_u64(n),
            Resolved::I64(n) => visitor.visit_i64(n),
            Resolved::U128(n) => visitor.visit_u128(n),
            Resolved::I128(n) => visitor.visit_i128(n),
            Resolved::F64(f) => visitor.visit_f64(f),
            Resolved::Str => self.visit_text(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.plain_text().and_then(resolve::parse_bool) {
            Some(b) => visitor.visit_bool(b),
            None => Err(self.mismatch(&visitor)),
        }
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.plain_text().and_then(resolve::parse_float) {
            Some(f) => visitor.visit_f64(f),
            None => Err(self.mismatch(&visitor)),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.visit_text(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.visit_text(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.visit_text(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.visit_text(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value> {
        Err(Error::Rejected("bytes are not supported".into()))
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value> {
        Err(Error::Rejected("bytes are not supported".into()))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.scalar.is_null() { visitor.visit_none() } else { visitor.visit_some(self) }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.scalar.is_null() { visitor.visit_unit() } else { Err(self.mismatch(&visitor)) }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value> {
        let Some(remaining_depth) = self.remaining_depth.checked_sub(1) else {
            return Err(Error::Unsupported("nesting beyond yaml_serde's recursion limit"));
        };
        visitor.visit_newtype_struct(ScalarDeserializer { scalar: self.scalar, remaining_depth })
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        // yaml_serde reads an empty plain scalar (`key:`) as an empty sequence.
        if self.empty_plain() { visitor.visit_seq(Empty) } else { Err(self.mismatch(&visitor)) }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _name: &'static str, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        // Likewise an empty mapping.
        if self.empty_plain() { visitor.visit_map(Empty) } else { Err(self.mismatch(&visitor)) }
    }

    fn deserialize_struct<V: Visitor<'de>>(self, _name: &'static str, _fields: &'static [&'static str], visitor: V) -> Result<V::Value> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(self, _name: &'static str, _variants: &'static [&'static str], visitor: V) -> Result<V::Value> {
        visitor.visit_enum(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_unit()
    }
}

/// A scalar as an enum is a unit variant named by the scalar.
impl<'de> de::EnumAccess<'de> for ScalarDeserializer<'de> {
    type Error = Error;
    type Variant = UnitVariant;

    fn variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<(T::Value, UnitVariant)> {
        Ok((seed.deserialize(self)?, UnitVariant))
    }
}

pub(super) struct UnitVariant;

impl<'de> de::VariantAccess<'de> for UnitVariant {
    type Error = Error;

    fn unit_variant(self) -> Result<()> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value> {
        Err(Error::Rejected("expected a unit variant".into()))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value> {
        Err(Error::Rejected("expected a unit variant".into()))
    }

    fn struct_variant<V: Visitor<'de>>(self, _fields: &'static [&'static str], _visitor: V) -> Result<V::Value> {
        Err(Error::Rejected("expected a unit variant".into()))
    }
}

/// The empty sequence or mapping an empty plain scalar stands for.
struct Empty;

impl<'de> de::SeqAccess<'de> for Empty {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, _seed: T) -> Result<Option<T::Value>> {
        Ok(None)
    }
}

impl<'de> de::MapAccess<'de> for Empty {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, _seed: K) -> Result<Option<K::Value>> {
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, _seed: V) -> Result<V::Value> {
        Err(Error::Rejected("mapping read out of order".into()))
    }
}
