//! Card number (PAN) discovery for kubepci (PCI DSS 3.2–3.5, 12.10.7, A3.2.5).
//!
//! * [`find_pans`]: a fast, allocation-free detector over bytes (digit runs and the usual
//!   grouped layouts, Luhn, IIN prefix and length per brand, public test numbers flagged);
//! * [`scan_text_field`], [`contains_pan`], [`redact`]: helpers for object fields;
//! * [`scan`]: a streaming, parallel scanner for files, directories, `.gz` and stdin;
//! * [`report`]: text, JSON and SARIF renderings of a scan.
//!
//! A [`PanMatch`] never exposes its full digits: only masked forms ([`MaskMode`]) and the
//! last four digits, and its `Debug` output is masked.
#![forbid(unsafe_code)]

mod brand;
mod detect;
mod luhn;
mod mask;
pub mod report;
pub mod scan;
mod test_cards;

pub use brand::{Brand, brand_of};
pub use detect::{LAYOUTS, PanIter, PanMatch, find_pans};
pub use luhn::{luhn_check_digit, luhn_valid};
pub use mask::MaskMode;
pub use test_cards::is_test_pan;

/// Every card number in one text value (an object field, an env value, a log line).
pub fn scan_text_field(text: &str) -> Vec<PanMatch> {
    find_pans(text.as_bytes()).collect()
}

/// True when `text` holds at least one card number; stops at the first.
pub fn contains_pan(text: &str) -> bool {
    find_pans(text.as_bytes()).next().is_some()
}

/// `text` with every card number replaced by its default masked form
/// (`411111******1111`; separators inside the number are dropped).
///
/// The result is not re-scanned: the kept last four digits may join digits next to them
/// into a new candidate (`444 666666***6666 4400 4445 4544`), which reveals nothing that was
/// not already shown.
pub fn redact(text: &str) -> String {
    redact_with(text, MaskMode::First6Last4)
}

/// [`redact`] in place: a text holding no card number (almost every text) is neither
/// rewritten nor copied.
pub fn redact_in_place(text: &mut String) {
    if contains_pan(text) {
        *text = redact(text);
    }
}

/// Like [`redact`], with a chosen mask.
pub fn redact_with(text: &str, mode: MaskMode) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for m in find_pans(text.as_bytes()) {
        // Matches start and end at ASCII digits, so both are char boundaries.
        out.push_str(text.get(copied..m.start).unwrap_or_default());
        out.push_str(&m.masked(mode));
        copied = m.end;
    }
    out.push_str(text.get(copied..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_helpers() {
        let t = "env CARD=4242 4242 4242 4242 and 5555555555554444, not 1234567890123456";
        assert!(contains_pan(t));
        assert!(!contains_pan("nothing 1234567890123456 here"));
        assert_eq!(scan_text_field(t).len(), 2);
        assert_eq!(
            redact(t),
            "env CARD=424242******4242 and 555555******4444, not 1234567890123456"
        );
        assert_eq!(
            redact_with(t, MaskMode::Last4),
            "env CARD=************4242 and ************4444, not 1234567890123456"
        );
        assert_eq!(redact("é 4111111111111111 ü"), "é 411111******1111 ü");
        // Found by fuzzing: the masked tail joins the following groups; that is fine.
        assert_eq!(
            redact("444 6666666666666 4400 4445 4544"),
            "444 666666***6666 4400 4445 4544"
        );
    }
}
