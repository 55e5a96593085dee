//! The one way text enters the page: every character that could end an element, an attribute
//! or a comment is replaced by its entity, so report text (object names, messages, evidence
//! copied from the cluster) can never become markup or script.

use std::fmt;

/// `s` escaped for HTML text and for double- or single-quoted attribute values.
pub fn escape(s: &str) -> Escaped<'_> {
    Escaped(s)
}

/// Text that writes itself escaped (`write!(out, "<td>{}</td>", escape(name))`).
pub struct Escaped<'a>(&'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(i) = rest.find(['&', '<', '>', '"', '\'', '`']) {
            f.write_str(&rest[..i])?;
            f.write_str(match rest.as_bytes()[i] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                b'\'' => "&#39;",
                _ => "&#96;",
            })?;
            rest = &rest[i + 1..];
        }
        f.write_str(rest)
    }
}

/// Text with Markdown code spans (`` `privileged: true` ``, as the checks' fixes write them):
/// each span becomes `<code>`, everything escaped. Unpaired backticks are left as text.
pub fn with_code_spans(s: &str) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return escape(s).to_string();
    }
    let mut out = String::with_capacity(s.len() + 16);
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 1 {
            out.push_str(&format!("<code>{}</code>", escape(part)));
        } else {
            out.push_str(&escape(part).to_string());
        }
    }
    out
}

/// `s` as an HTML id or anchor fragment: letters, digits, `-` and `_` kept, the rest `-`.
pub fn anchor(prefix: &str, s: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + s.len());
    out.push_str(prefix);
    out.extend(s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_stays_text() {
        let hostile = "</script><img src=x onerror=alert(1)>\"'`&amp;<!--";
        let out = escape(hostile).to_string();
        assert_eq!(out, "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&#96;&amp;amp;&lt;!--");
        for raw in ['<', '>', '"', '\''] {
            assert!(!out.contains(raw), "{raw} left unescaped in {out}");
        }
    }

    #[test]
    fn plain_and_non_ascii_text_is_unchanged() {
        assert_eq!(escape("payments/payment-api · TCP 8443 ✓").to_string(), "payments/payment-api · TCP 8443 ✓");
        assert_eq!(escape("").to_string(), "");
    }

    #[test]
    fn code_spans_become_code_and_stay_escaped() {
        assert_eq!(with_code_spans("Set `readOnlyPort: 0` (and `<x>`)."), "Set <code>readOnlyPort: 0</code> (and <code>&lt;x&gt;</code>).");
        assert_eq!(with_code_spans("a ` b"), "a &#96; b");
        assert_eq!(with_code_spans("`</code><script>`"), "<code>&lt;/code&gt;&lt;script&gt;</code>");
    }

    #[test]
    fn anchors_are_safe_ids() {
        assert_eq!(anchor("r-", "10.2.1.1"), "r-10-2-1-1");
        assert_eq!(anchor("c-", "POD-001\"><x"), "c-POD-001---x");
    }
}
