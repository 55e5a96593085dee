//! Small text encodings and the singular/plural choice of messages.

use std::fmt::Write as _;

/// `singular` for one, `plural` otherwise: the word a message puts after a count or before a
/// list (`1 step`, `3 steps`; `namespace a`, `namespaces a, b`).
pub fn noun(count: usize, singular: &'static str, plural: &'static str) -> &'static str {
    if count == 1 { singular } else { plural }
}

/// Lower-case hex of the bytes (digests, name-based UUIDs).
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// `text` with every byte outside the URI unreserved set (`A-Z a-z 0-9 - . _ ~`) and
/// `also_keep` written as `%XX` (upper-case hex, RFC 3986).
pub fn percent_encode(text: &str, also_keep: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || also_keep.contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Whether `text` matches `pattern`, where `*` matches any run of characters (and `**` the
/// same) and everything else matches itself: the one glob of exceptions, detection rules and
/// image-policy patterns. Leftmost matching of each middle part is exact for `*`-only globs, so
/// this never backtracks; it allocates nothing (it runs for every rule condition of every audit
/// event).
pub fn glob(pattern: &str, text: &str) -> bool {
    let Some(star) = pattern.bytes().position(|b| b == b'*') else {
        return pattern == text;
    };
    // The shapes rules use, answered directly: `head*tail` (one star) and `*middle*`.
    let (head, tail) = (&pattern[..star], &pattern[star + 1..]);
    match tail.bytes().position(|b| b == b'*') {
        None => return text.len() >= head.len() + tail.len() && text.starts_with(head) && text.ends_with(tail),
        Some(end) if head.is_empty() && end + 1 == tail.len() => return find_part(text, &tail[..end]).is_some(),
        Some(_) => {}
    }
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else { return false };
    let mut parts = parts.peekable();
    if parts.peek().is_none() {
        return rest.is_empty();
    }
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            return rest.ends_with(part);
        }
        match find_part(rest, part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// Where `needle` first occurs in `hay` (what `str::find` answers): a scan for its first byte
/// and a compare, which for the short names and patterns of a glob costs less than the
/// two-way searcher `str::find` builds on every call. A match of a whole UTF-8 needle starts
/// on a character boundary.
fn find_part(hay: &str, needle: &str) -> Option<usize> {
    let (hay, needle) = (hay.as_bytes(), needle.as_bytes());
    let Some(&first) = needle.first() else { return Some(0) };
    let mut from = 0;
    while let Some(i) = hay.get(from..)?.iter().position(|&b| b == first) {
        let at = from + i;
        if hay[at..].starts_with(needle) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The general loop alone (what `glob` answered before its direct shapes).
    fn glob_by_parts(pattern: &str, text: &str) -> bool {
        if !pattern.contains('*') {
            return pattern == text;
        }
        let mut parts = pattern.split('*');
        let Some(mut rest) = text.strip_prefix(parts.next().unwrap_or_default()) else { return false };
        let mut parts = parts.peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                return rest.ends_with(part);
            }
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
        rest.is_empty()
    }

    #[test]
    fn direct_shapes_answer_what_the_general_loop_answers() {
        let patterns = ["", "*", "**", "***", "a*", "*a", "*a*", "a*a", "ab*ba", "*ab*", "a**", "**a", "*a**", "a*b*c", "é*", "*é*", "kube-apiserver*", "system:*", "*audit*"];
        let texts = ["", "a", "aa", "aba", "ab", "ba", "abba", "aba-ba", "abc", "xaudit", "audit", "é", "xéy", "kube-apiserver-1", "system:node:x", "au"];
        for p in patterns {
            for t in texts {
                assert_eq!(glob(p, t), glob_by_parts(p, t), "{p:?} {t:?}");
            }
        }
    }

    #[test]
    fn find_part_answers_what_str_find_answers() {
        for hay in ["", "a", "audit", "my-audit-log", "aaudit", "auditaudit", "xaudi", "été-audit", "ü"] {
            for needle in ["", "a", "audit", "it", "té", "ü", "zz"] {
                assert_eq!(find_part(hay, needle), hay.find(needle), "{hay:?} {needle:?}");
            }
        }
        assert!(glob("*audit*", "kube-audit-policy") && !glob("*audit*", "kube-aud-it"));
        assert!(glob("a*b*c", "a-b-b-c") && !glob("a*b*c", "a-c-b"));
    }

    #[test]
    fn noun_follows_the_count() {
        assert_eq!(noun(1, "step", "steps"), "step");
        assert_eq!(noun(0, "step", "steps"), "steps");
        assert_eq!(noun(2, "uses", "use"), "use");
    }

    #[test]
    fn hex_is_two_lower_case_digits_a_byte() {
        assert_eq!(hex(&[]), "");
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
    }

    #[test]
    fn percent_encoding_keeps_unreserved_and_the_named_bytes() {
        assert_eq!(percent_encode("eyJ2Ijoi+/=", b""), "eyJ2Ijoi%2B%2F%3D");
        assert_eq!(percent_encode("plain-token_1.2~", b""), "plain-token_1.2~");
        assert_eq!(percent_encode("a b/c:d", b"/"), "a%20b/c%3Ad");
        assert_eq!(percent_encode("a b/c:d", b"/:"), "a%20b/c:d");
        assert_eq!(percent_encode("é", b""), "%C3%A9");
    }

    #[test]
    fn glob_matches_star_runs_only() {
        assert!(glob("Deployment/payments/*", "Deployment/payments/api"));
        assert!(glob("*/api", "Deployment/payments/api"));
        assert!(glob("a*b*c", "axxbyyc") && !glob("a*b*c", "axxbyy"));
        assert!(glob("exact", "exact") && !glob("exact", "exact2") && !glob("exact2", "exact"));
        assert!(glob("*", "") && glob("**", "anything") && glob("", ""));
        assert!(!glob("a*a", "a") && glob("a*a", "aa") && glob("a*a", "aba"));
        assert!(glob("system:*", "system:kube-scheduler") && !glob("system:*", "alice"));
        assert!(glob("*ab*ab", "xabyab") && !glob("*ab*ab", "xab"));
        assert!(glob("é*ü", "éaü"), "multi-byte text");
    }
}
