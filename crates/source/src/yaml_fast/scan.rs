//! Byte-level scanning of the subset: lines, indentation, comments and the four scalar
//! styles. Every function either reads exactly what libyaml would read, or returns
//! [`Unsupported`] so that the document goes to yaml_serde.
//!
//! Positions are byte offsets into the document. Columns are byte counts from the line start;
//! they equal libyaml's character columns because indentation is made of spaces only (tabs and
//! other characters there are declined).

use std::borrow::Cow;

/// Why a document is outside the subset; kept for acceptance statistics and debugging.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Unsupported(pub &'static str);

pub(super) type Scan<T> = Result<T, Unsupported>;

/// A scalar as read. Only plain scalars are resolved (null, bool, numbers); quoted and block
/// scalars are always strings, so the style is reduced to that one bit.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Scalar<'de> {
    pub value: Cow<'de, str>,
    pub plain: bool,
}

impl Scalar<'_> {
    /// The value of `key:` with nothing after it: an empty plain scalar.
    pub fn empty() -> Self {
        Scalar { value: Cow::Borrowed(""), plain: true }
    }
}

/// Offset of the `\n` ending the line that holds `p`, or the end of the text.
pub(super) fn line_end(b: &[u8], p: usize) -> usize {
    memchr::memchr(b'\n', &b[p.min(b.len())..]).map_or(b.len(), |i| p + i)
}

/// Start of the line after the one holding `p`, or the end of the text.
pub(super) fn next_line(b: &[u8], p: usize) -> usize {
    (line_end(b, p) + 1).min(b.len())
}

/// Column of `p` (bytes since the line start).
pub(super) fn column(b: &[u8], p: usize) -> usize {
    p - memchr::memrchr(b'\n', &b[..p]).map_or(0, |i| i + 1)
}

/// Skip spaces. Tabs as separators are declined: libyaml accepts them in some places and
/// rejects them in others, and manifests do not use them.
pub(super) fn skip_spaces(b: &[u8], mut p: usize) -> Scan<usize> {
    while let Some(&c) = b.get(p) {
        match c {
            b' ' => p += 1,
            b'\t' => return Err(Unsupported("tab outside a quoted or block scalar")),
            _ => break,
        }
    }
    Ok(p)
}

/// From the start of a line, skip blank and comment lines (comments may be indented any way).
/// Returns the start and the indentation of the next line with content, or `None` at the end.
pub(super) fn next_content_line(b: &[u8], mut line: usize) -> Scan<Option<(usize, usize)>> {
    loop {
        let p = skip_spaces(b, line)?;
        match b.get(p) {
            None => return Ok(None),
            Some(b'\n') => line = p + 1,
            Some(b'#') => line = next_line(b, p),
            Some(_) => return Ok(Some((line, p - line))),
        }
    }
}

/// After a complete value: the rest of the line must be spaces and an optional comment (a `#`
/// after a space). Returns the start of the next line.
pub(super) fn end_of_line(b: &[u8], p: usize) -> Scan<usize> {
    let q = skip_spaces(b, p)?;
    match b.get(q) {
        None => Ok(q),
        Some(b'\n') => Ok(q + 1),
        Some(b'#') if q > p => Ok(next_line(b, q)),
        Some(_) => Err(Unsupported("unexpected text after a value")),
    }
}

/// A block sequence entry: `-` followed by a space, a line break or the end.
pub(super) fn is_entry_dash(b: &[u8], p: usize) -> bool {
    b.get(p) == Some(&b'-') && matches!(b.get(p + 1), None | Some(b' ' | b'\n'))
}

/// Whether a plain scalar may start at `p`. Indicators cannot start one; `-` can when a
/// character that is neither blank nor (in flow context) a flow indicator follows, as in
/// `-1` or `--flag`. libyaml also allows `?x` and `:x`; those are declined.
pub(super) fn plain_start(b: &[u8], p: usize, flow: bool) -> bool {
    match b.get(p) {
        None => false,
        Some(b'-') => match b.get(p + 1) {
            None | Some(b' ' | b'\t' | b'\n' | b'\r') => false,
            Some(b',' | b'[' | b']' | b'{' | b'}' | b'#' | b':') => !flow,
            Some(_) => true,
        },
        Some(c) => !matches!(
            c,
            b' ' | b'\t'
                | b'\n'
                | b'\r'
                | b'?'
                | b':'
                | b','
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'#'
                | b'&'
                | b'*'
                | b'!'
                | b'|'
                | b'>'
                | b'\''
                | b'"'
                | b'%'
                | b'@'
                | b'`'
        ),
    }
}

/// Where a single-line plain scalar in block context stopped.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum PlainEnd {
    /// The line (or a comment, then `comment` is set) ended it: its text is `start..end`,
    /// the next line starts at `next`.
    Value { end: usize, next: usize, comment: bool },
    /// `: ` (or `:` at the end of the line) ended it: it is a mapping key `start..end`.
    Key { end: usize, colon: usize },
}

/// Scan a plain scalar in block context from `p` (a valid start) to the end of its line.
/// Values may go on over deeper lines: see [`plain_value`].
pub(super) fn plain_in_block(b: &[u8], p: usize) -> Scan<PlainEnd> {
    let mut i = p;
    let mut end = p;
    loop {
        match b.get(i) {
            None => return Ok(PlainEnd::Value { end, next: i, comment: false }),
            Some(b'\n') => return Ok(PlainEnd::Value { end, next: i + 1, comment: false }),
            Some(b' ') => {
                i += 1;
                if b.get(i) == Some(&b'#') {
                    return Ok(PlainEnd::Value { end, next: next_line(b, i), comment: true });
                }
            }
            Some(b':') if matches!(b.get(i + 1), None | Some(b' ' | b'\n')) => return Ok(PlainEnd::Key { end, colon: i }),
            Some(b'\t') => return Err(Unsupported("tab in a plain scalar")),
            Some(_) => {
                i += 1;
                end = i;
            }
        }
    }
}

/// A plain scalar value in block context: its first line starts at `p` and ended as `first`
/// (from [`plain_in_block`]); `parent` is the indentation of the collection holding it.
/// Following lines indented deeper than `parent` continue it, folded as libyaml folds them:
/// one line break becomes a space, blank lines become line breaks. A comment ends it.
/// Returns the value and the start of the first line after it.
pub(super) fn plain_value<'de>(src: &'de str, p: usize, first: (usize, usize, bool), parent: usize) -> Scan<(Cow<'de, str>, usize)> {
    let b = src.as_bytes();
    let (end, mut line, comment) = first;
    if comment {
        return Ok((Cow::Borrowed(&src[p..end]), line));
    }
    let mut folded: Option<String> = None;
    loop {
        let mut breaks = 0usize;
        let mut start = line;
        let content = loop {
            let q = skip_spaces(b, start)?;
            match b.get(q) {
                Some(b'\n') => {
                    breaks += 1;
                    start = q + 1;
                }
                Some(_) if q - start > parent && b[q] != b'#' => break q,
                // The end, a comment, or a line not deeper than the parent: the value ended.
                _ => {
                    let value = folded.map_or(Cow::Borrowed(&src[p..end]), Cow::Owned);
                    return Ok((value, line));
                }
            }
        };
        let PlainEnd::Value { end: more, next, comment } = plain_in_block(b, content)? else {
            return Err(Unsupported("mapping key inside a multi-line plain scalar"));
        };
        let value = folded.get_or_insert_with(|| src[p..end].to_string());
        if breaks == 0 {
            value.push(' ');
        } else {
            push_breaks(value, breaks);
        }
        value.push_str(&src[content..more]);
        line = next;
        if comment {
            return Ok((Cow::Owned(std::mem::take(value)), line));
        }
    }
}

/// Scan a plain scalar inside a flow collection. It ends before `,` `]` `}` or `: `; returns
/// the end of its text and the offset where scanning stopped. `:` followed by anything else,
/// ` #`, nested collections and line breaks are declined.
pub(super) fn plain_in_flow(b: &[u8], p: usize) -> Scan<(usize, usize)> {
    let mut i = p;
    let mut end = p;
    loop {
        match b.get(i) {
            None | Some(b'\n') => return Err(Unsupported("flow collection spanning lines")),
            Some(b',' | b']' | b'}') => return Ok((end, i)),
            Some(b':') if b.get(i + 1) == Some(&b' ') => return Ok((end, i)),
            Some(b':' | b'[' | b'{' | b'\t') => return Err(Unsupported("unusual plain scalar in a flow collection")),
            Some(b' ') => {
                i += 1;
                if b.get(i) == Some(&b'#') {
                    return Err(Unsupported("comment inside a flow collection"));
                }
            }
            Some(_) => {
                i += 1;
                end = i;
            }
        }
    }
}

/// A quoted scalar starting at `p` (on its opening quote). Returns the value and the offset
/// after the closing quote. With `fold` it may go on over several lines (values only: keys
/// and flow entries must fit on one line). libyaml does not check the indentation of the
/// continuation lines, so neither does this.
pub(super) fn quoted<'de>(src: &'de str, p: usize, fold: bool) -> Scan<(Cow<'de, str>, usize)> {
    let single = src.as_bytes()[p] == b'\'';
    match if single { single_quoted(src, p) } else { double_quoted(src, p) } {
        Err(Unsupported(MULTI_LINE)) if fold => folded_quoted(src, p, single).map(|(value, end)| (Cow::Owned(value), end)),
        result => result,
    }
}

const MULTI_LINE: &str = "multi-line quoted scalar";

fn single_quoted<'de>(src: &'de str, p: usize) -> Scan<(Cow<'de, str>, usize)> {
    let b = src.as_bytes();
    let mut owned: Option<String> = None;
    let mut from = p + 1;
    loop {
        let Some(q) = memchr::memchr2(b'\'', b'\n', &b[from..]).map(|i| from + i) else {
            return Err(Unsupported("unterminated single-quoted scalar"));
        };
        if b[q] == b'\n' {
            return Err(Unsupported(MULTI_LINE));
        }
        if b.get(q + 1) == Some(&b'\'') {
            // `''` is one quote.
            owned.get_or_insert_with(String::new).push_str(&src[from..=q]);
            from = q + 2;
            continue;
        }
        return Ok((finish_quoted(owned, &src[from..q]), q + 1));
    }
}

/// A quoted scalar's value: borrowed from the input when nothing was unescaped, else the
/// unescaped prefix plus the `tail` after the last escape.
fn finish_quoted<'de>(owned: Option<String>, tail: &'de str) -> Cow<'de, str> {
    match owned {
        None => Cow::Borrowed(tail),
        Some(mut s) => {
            s.push_str(tail);
            Cow::Owned(s)
        }
    }
}

fn double_quoted<'de>(src: &'de str, p: usize) -> Scan<(Cow<'de, str>, usize)> {
    let b = src.as_bytes();
    let mut owned: Option<String> = None;
    let mut from = p + 1;
    loop {
        let Some(q) = memchr::memchr3(b'"', b'\\', b'\n', &b[from..]).map(|i| from + i) else {
            return Err(Unsupported("unterminated double-quoted scalar"));
        };
        match b[q] {
            b'\n' => return Err(Unsupported(MULTI_LINE)),
            b'"' => return Ok((finish_quoted(owned, &src[from..q]), q + 1)),
            _ if b.get(q + 1) == Some(&b'\n') => return Err(Unsupported(MULTI_LINE)),
            _ => {
                let s = owned.get_or_insert_with(String::new);
                s.push_str(&src[from..q]);
                from = escape(b, q + 1, s)?;
            }
        }
    }
}

/// A quoted scalar over several lines, folded as libyaml folds it: a line break becomes a
/// space, blank lines become line breaks, white space around breaks is dropped, and in
/// double quotes an escaped line break joins the lines.
fn folded_quoted(src: &str, p: usize, single: bool) -> Scan<(String, usize)> {
    let b = src.as_bytes();
    let quote = b[p];
    let mut out = String::new();
    let mut i = p + 1;
    loop {
        // A run of non-blank characters.
        let mut escaped_break = false;
        loop {
            match b.get(i) {
                None => return Err(Unsupported("unterminated quoted scalar")),
                Some(b' ' | b'\t' | b'\n') => break,
                Some(b'\'') if single && b.get(i + 1) == Some(&b'\'') => {
                    out.push('\'');
                    i += 2;
                }
                Some(&c) if c == quote => return Ok((out, i + 1)),
                Some(b'\\') if !single && b.get(i + 1) == Some(&b'\n') => {
                    escaped_break = true;
                    i += 2;
                    break;
                }
                Some(b'\\') if !single => i = escape(b, i + 1, &mut out)?,
                Some(_) => {
                    let len = utf8_len(b[i]);
                    out.push_str(&src[i..i + len]);
                    i += len;
                }
            }
        }
        // White space and line breaks up to the next non-blank character.
        let mut whitespace = String::new();
        let mut line_break = false;
        let mut breaks = 0usize;
        loop {
            match b.get(i) {
                Some(&c @ (b' ' | b'\t')) => {
                    if !escaped_break && !line_break {
                        whitespace.push(c as char);
                    }
                    i += 1;
                }
                Some(b'\n') => {
                    if escaped_break || line_break {
                        breaks += 1;
                    } else {
                        whitespace.clear();
                        line_break = true;
                    }
                    i += 1;
                }
                _ => break,
            }
        }
        if line_break {
            if breaks == 0 {
                out.push(' ');
            } else {
                push_breaks(&mut out, breaks);
            }
        } else if escaped_break {
            push_breaks(&mut out, breaks);
        } else {
            out.push_str(&whitespace);
        }
    }
}

/// Length of the UTF-8 sequence starting with `lead`.
fn utf8_len(lead: u8) -> usize {
    match lead {
        0x00..0x80 => 1,
        0xc0..0xe0 => 2,
        0xe0..0xf0 => 3,
        _ => 4,
    }
}

/// Decode the escape whose letter is at `p` (after the backslash) into `out`; returns the
/// offset after it. The set is libyaml's (YAML 1.1 plus `\/`); an escaped line break (a
/// continuation) and anything unknown are declined.
fn escape(b: &[u8], p: usize, out: &mut String) -> Scan<usize> {
    let simple = match b.get(p) {
        Some(b'0') => '\0',
        Some(b'a') => '\x07',
        Some(b'b') => '\x08',
        Some(b't' | b'\t') => '\t',
        Some(b'n') => '\n',
        Some(b'v') => '\x0b',
        Some(b'f') => '\x0c',
        Some(b'r') => '\r',
        Some(b'e') => '\x1b',
        Some(b' ') => ' ',
        Some(b'"') => '"',
        Some(b'/') => '/',
        Some(b'\\') => '\\',
        Some(b'N') => '\u{85}',
        Some(b'_') => '\u{a0}',
        Some(b'L') => '\u{2028}',
        Some(b'P') => '\u{2029}',
        Some(b'x') => return hex_escape(b, p + 1, 2, out),
        Some(b'u') => return hex_escape(b, p + 1, 4, out),
        Some(b'U') => return hex_escape(b, p + 1, 8, out),
        _ => return Err(Unsupported("unknown or line-continuation escape")),
    };
    out.push(simple);
    Ok(p + 1)
}

fn hex_escape(b: &[u8], p: usize, digits: usize, out: &mut String) -> Scan<usize> {
    let hex = b.get(p..p + digits).ok_or(Unsupported("short hexadecimal escape"))?;
    let mut code = 0u32;
    for &h in hex {
        let d = (h as char).to_digit(16).ok_or(Unsupported("bad hexadecimal escape"))?;
        code = code << 4 | d;
    }
    // Surrogates and values past U+10FFFF are errors in libyaml; `from_u32` refuses the same.
    let c = char::from_u32(code).ok_or(Unsupported("invalid escaped code point"))?;
    out.push(c);
    Ok(p + digits)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Chomp {
    Strip,
    Clip,
    Keep,
}

/// A block scalar (`|` or `>`, with optional chomping and indentation indicators) whose
/// indicator is at `p`; `parent_indent` is the indentation of the collection holding it
/// (libyaml's `parser->indent`). Returns the value and the start of the first line after it.
///
/// This follows libyaml's algorithm step by step (content indentation detected from the
/// first non-blank line and the leading blank lines, line folding for `>`, chomping), so that
/// trailing spaces, more-indented lines and blank lines come out the same.
pub(super) fn block_scalar(src: &str, p: usize, parent_indent: usize) -> Scan<(String, usize)> {
    let b = src.as_bytes();
    let literal = b[p] == b'|';
    let mut i = p + 1;
    let mut chomp = Chomp::Clip;
    let mut increment = 0usize;
    for _ in 0..2 {
        match b.get(i) {
            Some(b'-') if chomp == Chomp::Clip => chomp = Chomp::Strip,
            Some(b'+') if chomp == Chomp::Clip => chomp = Chomp::Keep,
            Some(d @ b'1'..=b'9') if increment == 0 => increment = usize::from(d - b'0'),
            _ => break,
        }
        i += 1;
    }
    let header_end = skip_spaces(b, i)?;
    let mut pos = match b.get(header_end) {
        None => header_end,
        Some(b'\n') => header_end + 1,
        Some(b'#') if header_end > i => next_line(b, header_end),
        Some(_) => return Err(Unsupported("unusual block scalar header")),
    };

    let mut indent = if increment > 0 { parent_indent + increment } else { 0 };
    let mut out = String::new();
    let mut leading_break = false;
    let mut trailing_breaks = 0usize;
    let mut leading_blank = false;

    let mut line_start = pos;
    let mut col = block_breaks(b, &mut pos, &mut line_start, &mut indent, parent_indent, &mut trailing_breaks)?;
    while col == indent && pos < b.len() {
        let trailing_blank = matches!(b[pos], b' ' | b'\t');
        if !literal && leading_break && !leading_blank && !trailing_blank {
            // Fold: a single line break between two normal lines becomes a space.
            if trailing_breaks == 0 {
                out.push(' ');
            }
        } else if leading_break {
            out.push('\n');
        }
        leading_break = false;
        push_breaks(&mut out, std::mem::take(&mut trailing_breaks));
        leading_blank = trailing_blank;
        let end = line_end(b, pos);
        out.push_str(&src[pos..end]);
        if end < b.len() {
            leading_break = true;
            pos = end + 1;
        } else {
            pos = end;
        }
        line_start = pos;
        col = block_breaks(b, &mut pos, &mut line_start, &mut indent, parent_indent, &mut trailing_breaks)?;
    }
    if chomp != Chomp::Strip && leading_break {
        out.push('\n');
    }
    if chomp == Chomp::Keep {
        push_breaks(&mut out, trailing_breaks);
    }
    Ok((out, line_start))
}

fn push_breaks(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n('\n', n));
}

/// libyaml's `scan_block_scalar_breaks`: from a line start, eat indentation spaces and blank
/// lines (counting them in `breaks`), stopping on the first line with content. With no
/// indentation known yet (`indent == 0`), set it from the deepest of those lines. Returns the
/// column reached; `line_start` is left on the line where it stopped.
fn block_breaks(b: &[u8], pos: &mut usize, line_start: &mut usize, indent: &mut usize, parent_indent: usize, breaks: &mut usize) -> Scan<usize> {
    let mut max_indent = 0;
    let col = loop {
        *line_start = *pos;
        while (*indent == 0 || *pos - *line_start < *indent) && b.get(*pos) == Some(&b' ') {
            *pos += 1;
        }
        let col = *pos - *line_start;
        max_indent = max_indent.max(col);
        if (*indent == 0 || col < *indent) && b.get(*pos) == Some(&b'\t') {
            return Err(Unsupported("tab in block scalar indentation"));
        }
        if b.get(*pos) != Some(&b'\n') {
            break col;
        }
        *breaks += 1;
        *pos += 1;
    };
    if *indent == 0 {
        *indent = max_indent.max(parent_indent + 1);
    }
    Ok(col)
}

/// Characters libyaml refuses or treats as line breaks, which the scanner above does not
/// handle: C0 controls other than tab and line feed (including `\r`), DEL, C1 controls
/// (including NEL), U+2028/U+2029, U+FEFF and U+FFFE/U+FFFF. The text is valid UTF-8.
pub(super) fn has_special_chars(b: &[u8]) -> bool {
    // Nearly all text is printable ASCII, tabs and line feeds: find blocks holding anything
    // else with a vectorized pass, and look closer only at those.
    const BLOCK: usize = 64;
    b.chunks(BLOCK).enumerate().any(|(n, block)| {
        let other = block.iter().fold(0u8, |acc, &c| acc | u8::from(c.wrapping_sub(0x20) >= 0x5f && c != b'\n' && c != b'\t'));
        other != 0 && special_in(b, n * BLOCK, n * BLOCK + block.len())
    })
}

/// [`has_special_chars`] for the characters starting in `from..to` (a sequence may end after).
fn special_in(b: &[u8], from: usize, to: usize) -> bool {
    (from..to).any(|i| match b[i] {
        b'\t' | b'\n' | 0x20..0x7f => false,
        0xc2 => b.get(i + 1).is_some_and(|&n| n < 0xa0),
        0xe2 => b.get(i + 1) == Some(&0x80) && matches!(b.get(i + 2), Some(0xa8 | 0xa9)),
        0xef => matches!((b.get(i + 1), b.get(i + 2)), (Some(0xbb), Some(0xbf)) | (Some(0xbf), Some(0xbe | 0xbf))),
        c => c < 0x20 || c == 0x7f,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_lines_skip_blanks_and_comments() {
        let b = b"\n  # c\n\n    key: v\n";
        assert_eq!(next_content_line(b, 0), Ok(Some((8, 4))));
        assert_eq!(next_content_line(b"  \n# x", 0), Ok(None));
        assert!(next_content_line(b"\t a: 1", 0).is_err());
    }

    #[test]
    fn plain_scalars_stop_at_keys_and_comments() {
        assert_eq!(plain_in_block(b"a b: c", 0), Ok(PlainEnd::Key { end: 3, colon: 3 }));
        assert_eq!(plain_in_block(b"a:b  # c\nx", 0), Ok(PlainEnd::Value { end: 3, next: 9, comment: true }));
        assert_eq!(plain_in_block(b"http://x:80/a#b", 0), Ok(PlainEnd::Value { end: 15, next: 15, comment: false }));
        assert_eq!(plain_in_block(b"k :\n", 0), Ok(PlainEnd::Key { end: 1, colon: 2 }));
        assert!(plain_in_block(b"a\tb", 0).is_err());
        assert_eq!(plain_in_flow(b"ab c, d", 0), Ok((4, 4)));
        assert_eq!(plain_in_flow(b"k: v}", 0), Ok((1, 1)));
        assert!(plain_in_flow(b"a:b]", 0).is_err());
        assert!(plain_in_flow(b"a\n]", 0).is_err());
    }

    #[test]
    fn plain_starts() {
        for ok in ["a", "-1", "--flag", ".5", "~", "<x>", "é"] {
            assert!(plain_start(ok.as_bytes(), 0, false), "{ok}");
        }
        for no in ["- x", "-", "&a", "*a", "!t", "?x", ":x", "|", ">", "%", "@", "`", "'", "\"", "#", "[", "{", ","] {
            assert!(!plain_start(no.as_bytes(), 0, false), "{no}");
        }
        assert!(!plain_start(b"-]", 0, true));
    }

    #[test]
    fn quoted_scalars_and_escapes() {
        assert_eq!(quoted("'it''s' x", 0, false), Ok((Cow::Owned("it's".into()), 7)));
        assert_eq!(quoted("'plain'", 0, false), Ok((Cow::Borrowed("plain"), 7)));
        assert_eq!(quoted(r#""a\tb\x41\u00e9\U0001F600\/\\\"""#, 0, false).unwrap().0, "a\tbAé😀/\\\"");
        assert_eq!(quoted(r#""\N\_\L\P\0\e""#, 0, false).unwrap().0, "\u{85}\u{a0}\u{2028}\u{2029}\0\x1b");
        assert!(quoted("\"a\nb\"", 0, false).is_err());
        assert!(quoted(r#""\ud800""#, 0, false).is_err());
        assert!(quoted(r#""\q""#, 0, false).is_err());
        assert!(quoted(r#""\x4""#, 0, false).is_err());
        assert!(quoted("'open", 0, false).is_err());
    }

    #[test]
    fn multi_line_quoted_scalars_fold() {
        let folded = |src: &str| quoted(src, 0, true).unwrap().0.into_owned();
        assert_eq!(folded("\"a  \n   b\""), "a b");
        assert_eq!(folded("\"a\n\n  b\n\n\n  c\""), "a\nb\n\nc");
        assert_eq!(folded("\"a\\\n   b\""), "ab");
        assert_eq!(folded("\"a\\\n\n   b\""), "a\nb");
        assert_eq!(folded("\"a \\\n b\""), "a b");
        assert_eq!(folded("'it''s\n  here'"), "it's here");
        assert_eq!(folded("\"\\t\n \\u00e9\""), "\t é");
        assert_eq!(folded("\"a\nb\""), "a b");
        assert!(quoted("\"a\n  b", 0, true).is_err());
    }

    fn block(src: &str, parent: usize) -> (String, usize) {
        block_scalar(src, 0, parent).unwrap()
    }

    #[test]
    fn block_scalars_follow_libyaml() {
        assert_eq!(block("|\n  a\n   b\n\n  c\n\nnext", 0), ("a\n b\n\nc\n".into(), 17));
        assert_eq!(block("|-\n  a\n\n", 0).0, "a");
        assert_eq!(block("|+\n  a\n\n\n", 0).0, "a\n\n\n");
        assert_eq!(block(">\n  a\n  b\n\n  c\n   d\n  e\n", 0).0, "a b\nc\n d\ne\n");
        assert_eq!(block(">-\n  a\n  b", 0).0, "a b");
        assert_eq!(block("|2\n    a\n  b\n", 0).0, "  a\nb\n");
        assert_eq!(block("|\nnext: 1\n", 0), (String::new(), 2));
        assert_eq!(block("| # c\n  x\n", 0).0, "x\n");
        assert_eq!(block("|\n  a\n  ", 0).0, "a\n");
        assert!(block_scalar("|x\n", 0, 0).is_err());
        assert!(block_scalar("|\n\ta\n", 0, 0).is_err());
    }

    #[test]
    fn special_characters() {
        assert!(!has_special_chars("a: b\tc\n é — ☃ \u{e000}".as_bytes()));
        // Sequences straddling a 64-byte block boundary.
        let mut long = "x".repeat(63);
        long.push('\u{2028}');
        assert!(has_special_chars(long.as_bytes()));
        long.pop();
        long.push('é');
        assert!(!has_special_chars(long.as_bytes()));
        for s in ["\r", "\x7f", "\u{85}", "\u{9f}", "\u{2028}", "\u{2029}", "\u{feff}", "\u{fffe}", "\u{ffff}", "\0", "\x1b"] {
            assert!(has_special_chars(s.as_bytes()), "{s:?}");
        }
    }
}
