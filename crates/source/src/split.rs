//! Splitting a YAML stream into documents without parsing it, so that documents can be parsed
//! in parallel and one broken document cannot take the others down.

/// One document of a YAML stream: its bytes and the 1-based line its first byte is on.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RawDoc<'a> {
    pub text: &'a [u8],
    pub first_line: u32,
}

/// A line is a document marker when it is `---` or `...` at column 0, alone or followed by
/// white space (or, for `---`, by content such as `--- !tag` or `--- {a: 1}`).
fn marker(line: &[u8]) -> Option<&'static str> {
    let ends = line.len() == 3 || matches!(line.get(3), Some(b' ' | b'\t' | b'\r'));
    if line.starts_with(b"---") && ends {
        Some("---")
    } else if line.starts_with(b"...") && ends {
        Some("...")
    } else {
        None
    }
}

/// Split at document markers. Text after `---` on the marker line stays part of the new
/// document (the marker itself is blanked out so line numbers are kept).
pub(crate) fn split_documents(bytes: &[u8]) -> Vec<RawDoc<'_>> {
    let mut docs = Vec::new();
    let mut start = 0usize;
    let mut start_line = 1u32;
    let mut line_no = 1u32;
    let mut pos = 0usize;
    while pos < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
        let line = &bytes[pos..end];
        if let Some(m) = marker(line) {
            if pos > start {
                docs.push(RawDoc { text: &bytes[start..pos], first_line: start_line });
            }
            if m == "---" {
                // Keep inline content after the marker, as a document starting on this line.
                start = pos + 3;
                start_line = line_no;
            } else {
                start = (end + 1).min(bytes.len());
                start_line = line_no + 1;
            }
        }
        pos = end + 1;
        line_no += 1;
    }
    if start < bytes.len() {
        docs.push(RawDoc { text: &bytes[start..], first_line: start_line });
    }
    docs
}

/// True when a document holds nothing but blank lines and comments.
pub(crate) fn is_blank(text: &[u8]) -> bool {
    text.split(|&b| b == b'\n').all(|l| {
        let t = l.trim_ascii_start();
        t.is_empty() || t[0] == b'#'
    })
}

/// Line (1-based, relative) of the first line with content.
pub(crate) fn first_content_line(text: &[u8]) -> u32 {
    for (i, l) in text.split(|&b| b == b'\n').enumerate() {
        let t = l.trim_ascii();
        if !t.is_empty() && t[0] != b'#' {
            return i as u32 + 1;
        }
    }
    1
}

/// Deepest flow-collection nesting allowed before parsing. The YAML parser's own recursion
/// limit only triggers after it has scanned the whole document, which is quadratic in the
/// nesting depth (100k nested `[` took a minute); this linear pre-scan refuses such input first.
pub(crate) const MAX_FLOW_DEPTH: usize = 512;

/// Byte offset where flow nesting first exceeds [`MAX_FLOW_DEPTH`], if it does. Quoted
/// scalars and comments are skipped roughly (per line), which is enough for a safety bound.
pub(crate) fn excessive_flow_depth(text: &[u8]) -> Option<usize> {
    // Nesting cannot pass the limit with fewer openers than that, and finding them is a
    // vectorized search, much cheaper than the scan below.
    memchr::memchr2_iter(b'[', b'{', text).nth(MAX_FLOW_DEPTH)?;
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut prev = b'\n';
    for (i, &b) in text.iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'"' | b'\'' if matches!(prev, b' ' | b'\t' | b'[' | b'{' | b',' | b':' | b'\n') => quote = Some(b),
                b'[' | b'{' => {
                    depth += 1;
                    if depth > MAX_FLOW_DEPTH {
                        return Some(i);
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
        prev = b;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_markers_and_keeps_lines() {
        let s = b"a: 1\n---\nb: 2\n--- \n# c\nc: 3\n...\n";
        let docs = split_documents(s);
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[0], RawDoc { text: b"a: 1\n", first_line: 1 });
        assert_eq!(docs[1].first_line, 2);
        assert_eq!(docs[1].text, b"\nb: 2\n");
        assert_eq!(docs[2].first_line, 4);
        assert_eq!(first_content_line(docs[2].text), 3);
    }

    #[test]
    fn dashes_inside_content_are_not_markers() {
        let s = b"a: |\n  ---\n  x\nb: ----\n";
        assert_eq!(split_documents(s).len(), 1);
    }

    #[test]
    fn leading_marker_and_blank_docs() {
        let docs = split_documents(b"---\n---\n# only a comment\n---\nkind: X\n");
        let non_blank: Vec<_> = docs.iter().filter(|d| !is_blank(d.text)).collect();
        assert_eq!(non_blank.len(), 1);
        assert_eq!(non_blank[0].first_line, 4);
    }
}
