//! A fast decoder for the common shape of an audit event line: one JSON object whose fields
//! the analysis reads are plain strings (no escapes), with every other field skipped after
//! checking its syntax. It builds the same [`Event`] serde would, without serde's per-field
//! dispatch, and gives up (returns `None`) on anything it is not sure of — an escape in a field
//! it reads, a duplicate or a wrapper's field, a type serde would reject, any syntax error —
//! so that serde decides those lines and their diagnostics stay exactly what they were.
//!
//! Every byte of the line is still checked (control characters in strings, escapes, number
//! syntax, nesting), so a line this decoder accepts is one serde accepts, with the same result.
//! `tests::agrees_with_serde` and the generated-log test in `tests/fast_decode.rs` hold it to that.

use std::borrow::Cow;

use serde_json::value::RawValue;

use crate::event::{Annotations, Event, ObjectRef, Status, Strs, UserInfo};

/// Nesting deeper than this is left to serde (whose own limit is 128).
const MAX_DEPTH: u32 = 64;

/// Decode one JSON object into an [`Event`], or `None` when serde must decide.
pub fn decode(text: &str) -> Option<Event<'_>> {
    let mut event = Event::default();
    decode_into(text, &mut event).then_some(event)
}

/// [`decode`] into an event the caller holds (it must be empty): the event is large, and
/// moving it out through every layer of the decoder and the reader cost more than filling it
/// in place. `false` when serde must decide (the event is then partly filled: discard it).
pub fn decode_into<'a>(text: &'a str, event: &mut Event<'a>) -> bool {
    let mut r = Reader { text, bytes: text.as_bytes(), pos: 0 };
    if r.event(event).is_none() {
        return false;
    }
    r.ws();
    r.pos == r.bytes.len()
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// The position of the first `"`, `\` or control character in `b` (or `b.len()`), eight bytes
/// at a time.
fn find_special(b: &[u8]) -> usize {
    let mut i = 0;
    // `chunks_exact` lets the compiler drop the length checks of a slice-to-array conversion.
    let mut chunks = b.chunks_exact(8);
    for chunk in &mut chunks {
        let w = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).unwrap_or([0; 8]));
        let quote = w ^ (LO * u64::from(b'"'));
        let backslash = w ^ (LO * u64::from(b'\\'));
        // The lowest flagged byte is exact for each of these (borrows only run upwards).
        let found = (quote.wrapping_sub(LO) & !quote | backslash.wrapping_sub(LO) & !backslash | w.wrapping_sub(LO * 0x20) & !w) & HI;
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            return i;
        }
        i += 1;
    }
    i
}

/// Whether two byte strings are equal, compared eight bytes at a time: keys are short, and a
/// call to `memcmp` for each expected key cost more than the compare itself.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    let word = |s: &[u8], at: usize| s.get(at..at + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()).map(u64::from_ne_bytes);
    let mut at = 0;
    while at + 8 <= n {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    // The tail, as the last eight bytes (overlapping the words already compared).
    at == n || word(a, n - 8) == word(b, n - 8)
}

/// The keys of an object the decoder reads: `order`, the keys the API server writes, in its
/// order, each with its index or `None` for one the decoder skips (`uid`, `apiVersion`,
/// `metadata`, the authorizer's reason: recognised by a byte compare rather than read as a
/// string and looked up, five times per event); and `index`, which numbers any key it reads
/// (below 32; a `match` on the key compiles to a few integer compares where a scan of a list
/// called `memcmp` per candidate).
struct Keys {
    order: &'static [(&'static str, Option<usize>)],
    index: fn(&str) -> Option<usize>,
}

/// The fields of [`Event`] in the API server's order; the wrappers' fields (after
/// `annotations`) are left to serde.
fn event_key(k: &str) -> Option<usize> {
    Some(match k {
        "kind" => 0,
        "apiVersion" => 1,
        "level" => 2,
        "auditID" => 3,
        "stage" => 4,
        "requestURI" => 5,
        "verb" => 6,
        "user" => 7,
        "impersonatedUser" => 8,
        "sourceIPs" => 9,
        "userAgent" => 10,
        "objectRef" => 11,
        "responseStatus" => 12,
        "requestObject" => 13,
        "requestReceivedTimestamp" => 14,
        "stageTimestamp" => 15,
        "annotations" => 16,
        "timestamp" => 17,
        "items" => 18,
        "properties" => 19,
        "category" => 20,
        "records" => 21,
        "message" => 22,
        "logEvents" => 23,
        "events" => 24,
        "log" => 25,
        "protoPayload" => 26,
        _ => return None,
    })
}

const EVENT_KEYS: Keys = Keys {
    order: &[
        ("kind", Some(0)),
        ("apiVersion", Some(1)),
        ("level", Some(2)),
        ("auditID", Some(3)),
        ("stage", Some(4)),
        ("requestURI", Some(5)),
        ("verb", Some(6)),
        ("user", Some(7)),
        ("impersonatedUser", Some(8)),
        ("sourceIPs", Some(9)),
        ("userAgent", Some(10)),
        ("objectRef", Some(11)),
        ("responseStatus", Some(12)),
        ("requestObject", Some(13)),
        ("responseObject", None),
        ("requestReceivedTimestamp", Some(14)),
        ("stageTimestamp", Some(15)),
        ("annotations", Some(16)),
    ],
    index: event_key,
};

const USER_KEYS: Keys = Keys {
    order: &[("username", Some(0)), ("uid", None), ("groups", Some(1)), ("extra", None)],
    index: |k| match k {
        "username" => Some(0),
        "groups" => Some(1),
        _ => None,
    },
};

const OBJECT_REF_KEYS: Keys = Keys {
    order: &[
        ("resource", Some(0)),
        ("namespace", Some(1)),
        ("name", Some(2)),
        ("uid", None),
        ("apiGroup", Some(3)),
        ("apiVersion", None),
        ("resourceVersion", None),
        ("subresource", Some(4)),
    ],
    index: |k| match k {
        "resource" => Some(0),
        "namespace" => Some(1),
        "name" => Some(2),
        "apiGroup" => Some(3),
        "subresource" => Some(4),
        _ => None,
    },
};

const STATUS_KEYS: Keys = Keys {
    order: &[("metadata", None), ("status", None), ("message", None), ("reason", Some(0)), ("details", None), ("code", Some(1))],
    index: |k| match k {
        "reason" => Some(0),
        "code" => Some(1),
        _ => None,
    },
};

const ANNOTATION_KEYS: Keys = Keys {
    order: &[("authorization.k8s.io/decision", Some(0)), ("authorization.k8s.io/reason", None)],
    index: |k| (k == "authorization.k8s.io/decision").then_some(0),
};

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn ws(&mut self) {
        // JSON's whitespace is all at or below the space: one compare settles the usual case
        // (lines of the API server have no whitespace between tokens).
        while let Some(&c) = self.bytes.get(self.pos)
            && c <= b' '
            && matches!(c, b' ' | b'\n' | b'\t' | b'\r')
        {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.peek()? == c).then(|| self.pos += 1)
    }

    /// A string without escapes, borrowed from the line (the opening quote is next).
    fn plain_string(&mut self) -> Option<&'a str> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.pos + 1;
        let len = find_special(self.bytes.get(start..)?);
        let end = start + len;
        if self.bytes.get(end) != Some(&b'"') {
            return None;
        }
        self.pos = end + 1;
        self.text.get(start..end)
    }

    /// Any valid string, escapes included (the opening quote is next).
    fn skip_string(&mut self) -> Option<()> {
        self.pos += 1;
        loop {
            let len = find_special(self.bytes.get(self.pos..)?);
            self.pos += len;
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    return Some(());
                }
                b'\\' => {
                    self.pos += 1;
                    match self.peek()? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.pos += 1,
                        b'u' => {
                            let hex = self.bytes.get(self.pos + 1..self.pos + 5)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            self.pos += 5;
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    /// A number, by JSON's grammar.
    fn skip_number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek()? {
            b'0' => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return None;
                }
            }
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(())
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        if self.bytes.get(self.pos..self.pos + word.len())? != word {
            return None;
        }
        self.pos += word.len();
        Some(())
    }

    /// Any JSON value, checked and skipped.
    fn skip_value(&mut self, depth: u32) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'"' => self.skip_string(),
            b'{' => {
                if depth > MAX_DEPTH {
                    return None;
                }
                self.pos += 1;
                self.ws();
                if self.peek()? == b'}' {
                    self.pos += 1;
                    return Some(());
                }
                loop {
                    self.ws();
                    if self.peek()? != b'"' {
                        return None;
                    }
                    self.skip_string()?;
                    self.eat(b':')?;
                    self.skip_value(depth + 1)?;
                    if !self.next_member()? {
                        return Some(());
                    }
                }
            }
            b'[' => {
                if depth > MAX_DEPTH {
                    return None;
                }
                self.pos += 1;
                self.ws();
                if self.peek()? == b']' {
                    self.pos += 1;
                    return Some(());
                }
                loop {
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b']' => {
                            self.pos += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.skip_number(),
            _ => None,
        }
    }

    /// After a member: `,` (true: another follows) or `}` (false: the object ended).
    fn next_member(&mut self) -> Option<bool> {
        self.ws();
        match self.peek()? {
            b',' => {
                self.pos += 1;
                Some(true)
            }
            b'}' => {
                self.pos += 1;
                Some(false)
            }
            _ => None,
        }
    }

    fn is_null(&mut self) -> bool {
        self.ws();
        if self.bytes.get(self.pos..self.pos + 4) == Some(b"null") {
            self.pos += 4;
            true
        } else {
            false
        }
    }

    /// An optional plain string: `null` is none.
    fn opt_str(&mut self) -> Option<Option<Cow<'a, str>>> {
        if self.is_null() {
            return Some(None);
        }
        Some(Some(Cow::Borrowed(self.plain_string()?)))
    }

    /// An optional array of plain strings.
    fn opt_strings(&mut self) -> Option<Option<Strs<'a>>> {
        if self.is_null() {
            return Some(None);
        }
        self.eat(b'[')?;
        let mut out = Strs::default();
        self.ws();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(Some(out));
        }
        loop {
            self.ws();
            out.push(Cow::Borrowed(self.plain_string()?));
            self.ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Some(Some(out));
                }
                _ => return None,
            }
        }
    }

    /// An optional integer that fits an `i64` without question.
    fn opt_int(&mut self) -> Option<Option<i64>> {
        if self.is_null() {
            return Some(None);
        }
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let digits = self.digits();
        let text = self.text.get(start..self.pos)?;
        let leading_zero = digits > 1 && text.trim_start_matches('-').starts_with('0');
        if digits == 0 || digits > 18 || leading_zero || matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        text.parse().ok().map(Some)
    }

    /// Whether the next bytes are the key `"name"`, written plainly (then it is consumed).
    fn at_key(&mut self, name: &str) -> bool {
        let n = name.len();
        let found = self.bytes.get(self.pos..self.pos + n + 2).is_some_and(|b| b[0] == b'"' && b[n + 1] == b'"' && same_bytes(&b[1..=n], name.as_bytes()));
        if found {
            self.pos += n + 2;
        }
        found
    }

    /// The members of an object whose fields the caller reads: `f(key, index)` decodes the value
    /// of a wanted key (`keys`), a repeated one gives up as serde would refuse it. `null` is
    /// none.
    fn object<T: Default>(&mut self, keys: &Keys, depth: u32, f: impl FnMut(&mut Self, usize, &mut T) -> Option<()>) -> Option<Option<T>> {
        if self.is_null() {
            return Some(None);
        }
        let mut out = T::default();
        self.members(keys, depth, &mut out, f)?;
        Some(Some(out))
    }

    /// The members of an object (not `null`) decoded into `out` (see [`Reader::object`]). The
    /// key after a wanted one is first taken to be the next wanted one in the API server's
    /// order (a compare of its bytes); only other keys are read as strings and looked up.
    fn members<T>(&mut self, keys: &Keys, depth: u32, out: &mut T, mut f: impl FnMut(&mut Self, usize, &mut T) -> Option<()>) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.eat(b'{')?;
        self.ws();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(());
        }
        let mut seen = 0u32;
        // The place in `keys.order` of the key expected next.
        let mut next = 0;
        loop {
            self.ws();
            let wanted = match keys.order.get(next) {
                Some(&(name, index)) if self.at_key(name) => {
                    next += 1;
                    index
                }
                _ => {
                    let index = (keys.index)(self.plain_string()?);
                    // Out of the expected order: expect what follows this key.
                    if let Some(i) = index {
                        next = keys.order.iter().position(|&(_, at)| at == Some(i)).map_or(next, |p| p + 1);
                    }
                    index
                }
            };
            self.eat(b':')?;
            self.ws();
            match wanted {
                Some(i) => {
                    if seen & (1 << i) != 0 {
                        return None;
                    }
                    seen |= 1 << i;
                    f(self, i, out)?;
                }
                None => self.skip_value(depth + 1)?,
            }
            if !self.next_member()? {
                return Some(());
            }
        }
    }

    fn user_info(&mut self) -> Option<Option<UserInfo<'a>>> {
        self.object(&USER_KEYS, 1, |r, i, u: &mut UserInfo<'a>| {
            match i {
                0 => u.username = r.opt_str()?,
                _ => u.groups = r.opt_strings()?,
            }
            Some(())
        })
    }

    fn event(&mut self, event: &mut Event<'a>) -> Option<()> {
        self.ws();
        if self.peek()? != b'{' {
            return None;
        }
        self.members(&EVENT_KEYS, 0, event, |r, i, e: &mut Event<'a>| {
            match i {
                0 => e.kind = r.opt_str()?,
                1 => e.api_version = r.opt_str()?,
                2 => e.level = r.opt_str()?,
                3 => e.audit_id = r.opt_str()?,
                4 => e.stage = r.opt_str()?,
                5 => e.request_uri = r.opt_str()?,
                6 => e.verb = r.opt_str()?,
                7 => e.user = r.user_info()?,
                8 => e.impersonated_user = r.user_info()?,
                9 => e.source_ips = r.opt_strings()?,
                10 => e.user_agent = r.opt_str()?,
                11 => {
                    e.object_ref = r.object(&OBJECT_REF_KEYS, 1, |r, i, o: &mut ObjectRef<'a>| {
                        let v = r.opt_str()?;
                        match i {
                            0 => o.resource = v,
                            1 => o.namespace = v,
                            2 => o.name = v,
                            3 => o.api_group = v,
                            _ => o.subresource = v,
                        }
                        Some(())
                    })?
                }
                12 => {
                    e.response_status = r.object(&STATUS_KEYS, 1, |r, i, s: &mut Status<'a>| {
                        match i {
                            0 => s.reason = r.opt_str()?,
                            _ => s.code = r.opt_int()?,
                        }
                        Some(())
                    })?
                }
                13 => {
                    if !r.is_null() {
                        let start = r.pos;
                        r.skip_value(1)?;
                        let raw: &'a RawValue = serde_json::from_str(r.text.get(start..r.pos)?).ok()?;
                        e.request_object = Some(raw);
                    }
                }
                14 => e.request_received_timestamp = r.opt_str()?,
                15 => e.stage_timestamp = r.opt_str()?,
                16 => {
                    e.annotations = r.object(&ANNOTATION_KEYS, 1, |r, _, a: &mut Annotations<'a>| {
                        a.decision = r.opt_str()?;
                        Some(())
                    })?
                }
                // A wrapper (or a v1beta1 timestamp): serde reads those.
                _ => return None,
            }
            Some(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast decoder either gives up or gives exactly what serde gives.
    fn agree(line: &str) -> bool {
        let serde: Result<Event<'_>, _> = serde_json::from_str(line);
        match decode(line) {
            None => false,
            Some(fast) => {
                let serde = serde.unwrap_or_else(|e| panic!("fast accepted what serde refuses ({e}): {line}"));
                assert_eq!(format!("{fast:?}"), format!("{serde:?}"), "{line}");
                true
            }
        }
    }

    #[test]
    fn agrees_with_serde() {
        let full = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"a-1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/pods?x=1","verb":"create","user":{"username":"alice","uid":"u","groups":["dev","system:authenticated"],"extra":{"k":["v"]}},"impersonatedUser":{"username":"bob"},"sourceIPs":["10.0.0.1","::1"],"userAgent":"kubectl/v1.31 (linux) \u003c","objectRef":{"resource":"pods","namespace":"shop","name":"api","apiGroup":"","apiVersion":"v1","subresource":"exec"},"responseStatus":{"metadata":{},"status":"Failure","message":"pods is forbidden: \"x\"","code":403,"reason":"Forbidden"},"requestObject":{"spec":{"containers":[{"securityContext":{"privileged":true}}]},"n":[1,-2.5e3,0,true,false,null]},"responseObject":{"a":"\\"},"requestReceivedTimestamp":"2026-12-01T10:00:00.000001Z","stageTimestamp":"2026-12-01T10:00:00.1Z","annotations":{"authorization.k8s.io/decision":"forbid","authorization.k8s.io/reason":"RBAC: \"no\""}}"#;
        // userAgent has an escape: the fast decoder gives up; without it, it agrees.
        assert!(!agree(full));
        assert!(agree(&full.replace(r"(linux) \u003c", "(linux)")));
        for line in [
            "{}",
            " { } ",
            r#"{"verb":null,"user":null,"sourceIPs":null,"objectRef":null,"responseStatus":null,"requestObject":null,"annotations":null}"#,
            r#"{"verb":"get","user":{},"sourceIPs":[],"objectRef":{},"responseStatus":{"code":0},"annotations":{}}"#,
            r#"{"verb":"get","responseStatus":{"code":-12}, "x": [ {"y": [[]]} , "z\"\/\b\f\n\r\t\u00e9" ] }"#,
            r#"{"verb":"get","requestObject":"text","other":{"verb":1}}"#,
            r#"{"hello":"wörld ✓","verb":"watch"}"#,
            " {\t\"verb\" :\r\n\"get\" , \"user\": { \"username\" : \"a\" } }\n",
            r#"{"verb":"get","user":{"username":"a","groups":["g1","g2","g3","g4","g5","g6"]},"sourceIPs":["1","2","3","4"]}"#,
        ] {
            assert!(agree(line), "{line}");
        }
        // Lists longer than the inline room keep every entry, in order.
        let long = decode(r#"{"verb":"get","user":{"username":"a","groups":["g1","g2","g3","g4","g5","g6"]},"sourceIPs":["1","2","3","4","5"]}"#).unwrap();
        assert_eq!(long.groups(), ["g1", "g2", "g3", "g4", "g5", "g6"]);
        assert_eq!(long.source_ips(), ["1", "2", "3", "4", "5"]);
    }

    #[test]
    fn each_key_list_names_its_keys_in_index_order() {
        for keys in [&EVENT_KEYS, &USER_KEYS, &OBJECT_REF_KEYS, &STATUS_KEYS, &ANNOTATION_KEYS] {
            // Each key read has its index, in order; a key skipped is one `index` does not read.
            let read: Vec<usize> = keys.order.iter().filter_map(|&(_, i)| i).collect();
            assert_eq!(read, (0..read.len()).collect::<Vec<_>>());
            for &(name, i) in keys.order {
                assert_eq!((keys.index)(name), i, "{name}");
            }
        }
        // A skipped key given twice is ignored as serde ignores it; a read key twice is serde's.
        assert!(agree(r#"{"verb":"get","user":{"username":"a","uid":"1","uid":"2"},"objectRef":{"apiVersion":"v1","apiVersion":"v2"}}"#));
        assert!(decode(r#"{"verb":"get","user":{"username":"a","uid":"1","username":"b"}}"#).is_none());
        // Keys in another order than the API server's, and unknown keys between, read the same.
        let api_order = r#"{"kind":"Event","verb":"get","user":{"username":"a","uid":"1","groups":["g"]},"objectRef":{"resource":"pods","namespace":"n","name":"p","apiGroup":"","subresource":"log"},"responseStatus":{"metadata":{},"reason":"Forbidden","code":403}}"#;
        let shuffled = r#"{"user":{"groups":["g"],"username":"a"},"responseStatus":{"code":403,"status":"Failure","reason":"Forbidden"},"objectRef":{"subresource":"log","apiGroup":"","name":"p","namespace":"n","resource":"pods"},"verb":"get","kind":"Event"}"#;
        assert!(agree(api_order) && agree(shuffled));
        assert_eq!(format!("{:?}", decode(api_order)), format!("{:?}", decode(shuffled)));
        // A key that only starts like the expected one is not taken for it.
        assert!(agree(r#"{"kind":"Event","apiVersionX":"v","verb":"get"}"#));
        assert_eq!(decode(r#"{"kind":"Event","apiVersionX":"v","verb":"get"}"#).and_then(|e| e.api_version), None);
    }

    #[test]
    fn gives_up_where_serde_must_decide() {
        for line in [
            // Syntax errors: serde's message is the diagnostic.
            r#"{"verb": "get""#,
            r#"{"verb":"get",}"#,
            r#"{"verb":"get"} x"#,
            r#"{"verb":"get","n":01}"#,
            r#"{"verb":"get","n":1.}"#,
            r#"{"verb":"get","n":1e}"#,
            r#"{"verb":"get","n":tru}"#,
            r#"{"verb":"get","s":"a\qb"}"#,
            r#"{"verb":"get","s":"a\u12"}"#,
            "{\"verb\":\"get\",\"s\":\"tab\there\"}",
            r#"{"verb":"get","s":"open}"#,
            // Below the space but not JSON's whitespace.
            "{\"verb\":\"get\",\u{c}\"n\":1}",
            "{\u{b}\"verb\":\"get\"}",
            // Types serde refuses, duplicates, escapes in read fields, wrappers.
            r#"{"verb":1}"#,
            r#"{"verb":"get","verb":"list"}"#,
            r#"{"responseStatus":{"code":403.0}}"#,
            r#"{"responseStatus":{"code":"403"}}"#,
            r#"{"responseStatus":{"code":99999999999999999999}}"#,
            r#"{"sourceIPs":["a",null]}"#,
            r#"{"user":["alice"]}"#,
            r#"{"verb":"g\u0065t"}"#,
            r#"{"ver\u0062":"get"}"#,
            r#"{"message":"{}"}"#,
            r#"{"timestamp":1}"#,
            r#"{"items":[]}"#,
            "[]",
            "",
            "nul",
        ] {
            assert!(decode(line).is_none(), "{line}");
        }
        // Deep nesting is serde's to judge.
        let deep = format!(r#"{{"x":{}{}}}"#, "[".repeat(100), "]".repeat(100));
        assert!(decode(&deep).is_none());
    }

    #[test]
    fn same_bytes_compares_every_byte_at_every_length() {
        for n in 0..40 {
            let a: Vec<u8> = (0..n as u8).map(|i| b'a' + i % 26).collect();
            assert!(same_bytes(&a, &a.clone()));
            for i in 0..n {
                let mut b = a.clone();
                b[i] ^= 1;
                assert!(!same_bytes(&a, &b), "length {n}, byte {i}");
            }
            assert!(!same_bytes(&a, &a[..n.saturating_sub(1)]) || n == 0);
        }
    }

    #[test]
    fn finds_the_first_special_byte_at_every_offset() {
        for n in 0..20 {
            for special in [b'"', b'\\', 0x1f, 0x00] {
                let mut b = vec![b'a'; n];
                b.push(special);
                b.extend_from_slice(b"\"\\x");
                assert_eq!(find_special(&b), n);
            }
            // Bytes above 0x7f (UTF-8) and just above the control range are not special.
            assert_eq!(find_special(&vec![0xc3; n]), n);
            assert_eq!(find_special(&vec![0x20; n]), n);
        }
    }
}
