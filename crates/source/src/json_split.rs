//! Splitting a large JSON list (`kubectl get -o json`, a top-level array) into its items
//! without parsing them, so that the items can be parsed in parallel.
//!
//! The splitter only finds where things are; it decides nothing about validity. Whatever it
//! returns is checked by serde_json afterwards: the envelope (the list with its items array
//! emptied) by the same probe the general path uses, each item by the parse that reads it. It
//! returns `None` whenever the layout is not the plain one (the caller then takes the general
//! path), so its answers only need to be right for valid JSON and harmless for the rest.

use std::ops::Range;

/// A JSON object whose `"items"` member is an array, cut around that array.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ListSplit {
    /// Position of the `[` that opens the items array.
    pub open: usize,
    /// Position of the `]` that closes it.
    pub close: usize,
    /// Each item's bytes: from its first byte (`{` or `[`) to just after its last.
    pub items: Vec<Range<usize>>,
}

/// JSON white space, exactly the four bytes serde_json skips.
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\t' | b'\r')
}

fn skip_ws(b: &[u8], mut pos: usize) -> usize {
    while pos < b.len() && is_ws(b[pos]) {
        pos += 1;
    }
    pos
}

/// Position just after the string whose opening quote is at `pos - 1`.
fn skip_string(b: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let at = pos + memchr::memchr2(b'"', b'\\', b.get(pos..)?)?;
        if b[at] == b'"' {
            return Some(at + 1);
        }
        pos = at + 2;
    }
}

/// Position just after the value starting at `pos` (white space already skipped). Nested values
/// are skipped by bracket depth, scalars up to the next delimiter; nothing is validated.
fn skip_value(b: &[u8], pos: usize) -> Option<usize> {
    match *b.get(pos)? {
        b'"' => skip_string(b, pos + 1),
        b'{' | b'[' => scan_nested(b, pos + 1, 1, |_, _| {}),
        _ => {
            let end = b[pos..].iter().position(|&c| is_ws(c) || matches!(c, b',' | b'}' | b']' | b':')).map_or(b.len(), |n| pos + n);
            (end > pos).then_some(end)
        }
    }
}

/// Split a single JSON object (surrounded by white space only) that has an `"items"` array.
/// `None` when the input is anything else, or when any top-level key has an escape (serde_json
/// may read it as `items`; the general path decides such input).
pub(crate) fn split_list(b: &[u8]) -> Option<ListSplit> {
    let mut pos = skip_ws(b, 0);
    if b.get(pos) != Some(&b'{') {
        return None;
    }
    pos = skip_ws(b, pos + 1);
    let mut found = None;
    if b.get(pos) != Some(&b'}') {
        loop {
            if b.get(pos) != Some(&b'"') {
                return None;
            }
            let key_end = skip_string(b, pos + 1)?;
            let key = &b[pos + 1..key_end - 1];
            if key.contains(&b'\\') {
                return None;
            }
            pos = skip_ws(b, key_end);
            if b.get(pos) != Some(&b':') {
                return None;
            }
            pos = skip_ws(b, pos + 1);
            if key == b"items" && found.is_none() && b.get(pos) == Some(&b'[') {
                let split = split_array(b, pos)?;
                pos = split.close + 1;
                found = Some(split);
            } else {
                pos = skip_value(b, pos)?;
            }
            pos = skip_ws(b, pos);
            match b.get(pos) {
                Some(b',') => pos = skip_ws(b, pos + 1),
                Some(b'}') => break,
                _ => return None,
            }
        }
    }
    // One value only: a stream of several values is the general path's.
    (skip_ws(b, pos + 1) == b.len()).then_some(found).flatten()
}

/// Split a top-level array (surrounded by white space only) into its items.
pub(crate) fn split_top_array(b: &[u8]) -> Option<ListSplit> {
    let open = skip_ws(b, 0);
    if b.get(open) != Some(&b'[') {
        return None;
    }
    let split = split_array(b, open)?;
    (skip_ws(b, split.close + 1) == b.len()).then_some(split)
}

/// Split the array opening at `open` into its items. Only objects and arrays are taken as items:
/// anything else between them (a scalar item, a missing or doubled comma) gives `None`.
pub(crate) fn split_array(b: &[u8], open: usize) -> Option<ListSplit> {
    let mut items = Vec::new();
    let mut start = 0;
    let end = scan_nested(b, open + 1, 1, |pos, depth| {
        // Called at each bracket outside strings, with the depth after it.
        match depth {
            2 if matches!(b[pos], b'{' | b'[') => start = pos,
            1 => items.push(start..pos + 1),
            _ => {}
        }
    })?;
    let close = end - 1;
    if b[close] != b']' {
        return None;
    }
    // What lies between the items must be white space and exactly one comma between two items.
    let mut prev = open + 1;
    for (i, item) in items.iter().enumerate() {
        let gap = b.get(prev..item.start)?;
        let ok = if i == 0 { gap.iter().all(|&c| is_ws(c)) } else { separator(gap) };
        if !ok {
            return None;
        }
        prev = item.end;
    }
    if !b[prev..close].iter().all(|&c| is_ws(c)) {
        return None;
    }
    Some(ListSplit { open, close, items })
}

fn separator(gap: &[u8]) -> bool {
    let mut commas = 0;
    for &c in gap {
        match c {
            b',' => commas += 1,
            c if is_ws(c) => {}
            _ => return false,
        }
    }
    commas == 1
}

/// Bit masks of the bytes of a 64-byte block that are `"`, `\`, `{` or `[`, and `}` or `]`.
struct Masks {
    quote: u64,
    backslash: u64,
    open: u64,
    close: u64,
}

/// Portable version of [`masks`]; also the reference its SIMD version is tested against.
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
fn masks_scalar(block: &[u8; 64]) -> Masks {
    let mut m = Masks { quote: 0, backslash: 0, open: 0, close: 0 };
    for (i, &c) in block.iter().enumerate() {
        let bit = 1u64 << i;
        match c {
            b'"' => m.quote |= bit,
            b'\\' => m.backslash |= bit,
            b'{' | b'[' => m.open |= bit,
            b'}' | b']' => m.close |= bit,
            _ => {}
        }
    }
    m
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline]
fn masks(block: &[u8; 64]) -> Masks {
    use std::arch::x86_64::{__m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8};
    // SAFETY: SSE2 is part of this target (the cfg above), so the intrinsics are available;
    // each load reads 16 bytes inside `block` (k * 16 + 16 <= 64), unaligned loads allowed.
    unsafe {
        let quote = _mm_set1_epi8(b'"' as i8);
        let backslash = _mm_set1_epi8(b'\\' as i8);
        // `[` and `]` differ from `{` and `}` only in bit 0x20, and no other byte turns into
        // `{` or `}` by setting it, so one comparison finds both kinds of bracket.
        let lower = _mm_set1_epi8(0x20);
        let open = _mm_set1_epi8(b'{' as i8);
        let close = _mm_set1_epi8(b'}' as i8);
        let mut m = Masks { quote: 0, backslash: 0, open: 0, close: 0 };
        for k in 0..4 {
            let v = _mm_loadu_si128(block[k * 16..].as_ptr().cast::<__m128i>());
            let folded = _mm_or_si128(v, lower);
            let bits = |x| u64::from(_mm_movemask_epi8(x) as u16) << (16 * k);
            m.quote |= bits(_mm_cmpeq_epi8(v, quote));
            m.backslash |= bits(_mm_cmpeq_epi8(v, backslash));
            m.open |= bits(_mm_cmpeq_epi8(folded, open));
            m.close |= bits(_mm_cmpeq_epi8(folded, close));
        }
        m
    }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline]
fn masks(block: &[u8; 64]) -> Masks {
    masks_scalar(block)
}

/// Each bit set to the XOR of itself and all lower bits: turns quote positions into "inside a
/// string" (from an opening quote up to, not including, its closing quote).
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// Walk a nested value from `pos` at bracket depth `depth` (1 just after its opening bracket)
/// until the depth returns to 0, 64 bytes at a time: brackets are found with bit masks, and
/// strings masked out by the parity of the unescaped quotes before them. `at` is called at
/// each bracket outside strings with its position and the depth after it. Returns the position
/// just after the closing bracket.
fn scan_nested(b: &[u8], pos: usize, depth: usize, mut at: impl FnMut(usize, usize)) -> Option<usize> {
    let mut depth = depth;
    // All ones when the block starts inside a string.
    let mut in_string = 0u64;
    // The first byte of the block is escaped by a backslash ending the previous block.
    let mut escape_carry = false;
    let mut base = pos;
    while base < b.len() {
        let block: [u8; 64] = match b.get(base..base + 64) {
            Some(s) => s.try_into().ok()?,
            None => {
                // The tail, padded with spaces (no byte of interest).
                let mut pad = [b' '; 64];
                pad[..b.len() - base].copy_from_slice(&b[base..]);
                pad
            }
        };
        let m = masks(&block);
        let mut escaped = 0u64;
        let mut backslash = m.backslash;
        if escape_carry {
            escaped = 1;
            backslash &= !1;
        }
        escape_carry = false;
        // Backslashes are rare outside a few annotations: handle them one at a time. Each one
        // not itself escaped escapes the next byte.
        while backslash != 0 {
            let i = backslash.trailing_zeros();
            if i == 63 {
                escape_carry = true;
                break;
            }
            escaped |= 1 << (i + 1);
            backslash &= !(3u64 << i);
        }
        let inside = prefix_xor(m.quote & !escaped) ^ in_string;
        in_string = ((inside as i64) >> 63) as u64;
        let mut brackets = (m.open | m.close) & !inside;
        while brackets != 0 {
            let i = brackets.trailing_zeros() as usize;
            brackets &= brackets - 1;
            if m.open >> i & 1 == 1 {
                depth += 1;
            } else {
                depth -= 1;
            }
            at(base + i, depth);
            if depth == 0 {
                return Some(base + i + 1);
            }
        }
        base += 64;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(text: &str) -> Option<Vec<&str>> {
        let split = split_list(text.as_bytes())?;
        Some(split.items.iter().map(|r| &text[r.clone()]).collect())
    }

    #[test]
    fn finds_items_anywhere_in_the_envelope() {
        let text = r#"{"apiVersion": "v1", "items": [{"a": 1}, {"b": [2, {"c": 3}]}], "kind": "List", "metadata": {"x": [1, 2]}}"#;
        assert_eq!(items(text).unwrap(), [r#"{"a": 1}"#, r#"{"b": [2, {"c": 3}]}"#]);
        let split = split_list(text.as_bytes()).unwrap();
        assert_eq!(&text[split.open..=split.close], r#"[{"a": 1}, {"b": [2, {"c": 3}]}]"#);
        let text = r#"{"kind": "List", "metadata": {"items": [1]}, "items": [[1, 2], {}]}"#;
        assert_eq!(items(text).unwrap(), ["[1, 2]", "{}"]);
        assert_eq!(items(r#" {"items": [ ]} "#).unwrap(), Vec::<&str>::new());
        assert_eq!(items("{\"items\":[\n{}\n,\n{}\r\n]\t}\n").unwrap(), ["{}", "{}"]);
    }

    #[test]
    fn strings_hide_brackets_quotes_and_backslashes() {
        let text = r#"{"items": [{"a": "}]{[\"", "b": "\\"}, {"c\"}": "\\\"]"}, {"d": "x\\\\"}]}"#;
        assert_eq!(items(text).unwrap(), [r#"{"a": "}]{[\"", "b": "\\"}"#, r#"{"c\"}": "\\\"]"}"#, r#"{"d": "x\\\\"}"#]);
        // The same across 64-byte block boundaries, at every alignment.
        for pad in 0..130 {
            let text = format!(r#"{{"{}": 1, "items": [{{"a": "}}]{{[\"", "b": "\\"}}, {{"c": "\\\"]"}}]}}"#, "p".repeat(pad));
            let got = items(&text).unwrap();
            assert_eq!(got, [r#"{"a": "}]{[\"", "b": "\\"}"#, r#"{"c": "\\\"]"}"#], "pad {pad}");
        }
    }

    #[test]
    fn backslash_runs_across_block_boundaries() {
        for run in 1..6 {
            for pad in 0..70 {
                let value = format!("{}{}", "x".repeat(pad), "\\\\".repeat(run));
                let text = format!(r#"{{"items": [{{"v": "{value}"}}, {{"w": "]"}}]}}"#);
                let got = items(&text).unwrap();
                assert_eq!(got, [format!(r#"{{"v": "{value}"}}"#), r#"{"w": "]"}"#.to_string()], "run {run} pad {pad}");
            }
        }
    }

    #[test]
    fn declines_what_is_not_a_plain_list() {
        for text in [
            "",
            "[]",
            "{}",
            r#"{"kind": "List"}"#,
            r#"{"items": null}"#,
            r#"{"items": [1, 2]}"#,
            r#"{"items": ["a"]}"#,
            r#"{"items": [{}, 1]}"#,
            r#"{"items": [{}{}]}"#,
            r#"{"items": [{},, {}]}"#,
            r#"{"items": [{}, ]}"#,
            r#"{"items": [, {}]}"#,
            r#"{"items": [{}}"#,
            r#"{"items": [{}]"#,
            r#"{"items": [{"a": "}]"#,
            r#"{"items": [{}]} {}"#,
            r#"{"items": [{}]}]"#,
            r#"{"it\u0065ms": [{}]}"#,
            r#"{"a" 1, "items": [{}]}"#,
            r#"{"a": 1 "items": [{}]}"#,
            r#"{"a": "unterminated, "items": [{}]}"#,
            r#"{"items": [{}]"#,
            r#"{"items": [{}] "#,
        ] {
            assert_eq!(split_list(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn top_level_arrays() {
        let text = " [{\"a\": [1]}, [2]]\n";
        let split = split_top_array(text.as_bytes()).unwrap();
        let got: Vec<_> = split.items.iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(got, ["{\"a\": [1]}", "[2]"]);
        assert_eq!(split_top_array(b"[{}] [{}]"), None);
        assert_eq!(split_top_array(b"{\"items\": []}"), None);
        assert_eq!(split_top_array(b"[{}"), None);
    }

    #[test]
    fn simd_masks_equal_the_scalar_ones() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let alphabet = b"\"\\{}[]a \n\x7b\xfb\xdd\x5b\x7d\x22\x5c\x02";
        for _ in 0..2000 {
            let mut block = [0u8; 64];
            for c in &mut block {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *c = if state & 1 == 0 { alphabet[(state >> 8) as usize % alphabet.len()] } else { (state >> 16) as u8 };
            }
            let (a, b) = (masks(&block), masks_scalar(&block));
            assert_eq!((a.quote, a.backslash, a.open, a.close), (b.quote, b.backslash, b.open, b.close));
        }
    }
}
