//! Fuzzes the PAN detector: no panic on any input, every match is a Luhn-valid number of a
//! known brand lying on ASCII digits, matches are ordered and disjoint, masking never shows
//! the full number, the chunked stream scanner agrees with the one-shot detector, and
//! `redact` replaces exactly the matches.
#![no_main]

use kubepci_pan::scan::scan_stream;
use kubepci_pan::{MaskMode, brand_of, find_pans, luhn_valid, redact};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut prev_end = 0;
    let mut starts = Vec::new();
    for m in find_pans(data) {
        assert!(m.start >= prev_end && m.start < m.end && m.end <= data.len());
        prev_end = m.end;
        starts.push(m.start);
        let digits: Vec<u8> = data[m.start..m.end]
            .iter()
            .copied()
            .filter(u8::is_ascii_digit)
            .collect();
        assert!(
            data[m.start..m.end]
                .iter()
                .all(|&b| b.is_ascii_digit() || b == b' ' || b == b'-')
        );
        assert_eq!(digits.len(), m.digit_count());
        assert!(luhn_valid(&digits));
        assert_eq!(brand_of(&digits), Some(m.brand));
        let full = std::str::from_utf8(&digits).unwrap();
        for mode in [MaskMode::First6Last4, MaskMode::Last4] {
            let masked = m.masked(mode);
            assert!(!masked.contains(full));
            assert!(masked.bytes().filter(u8::is_ascii_digit).count() <= 10);
        }
        assert!(!format!("{m:?}").contains(full));
    }

    // Chunked streaming (small chunk derived from the input) finds the same starts.
    let chunk = 1 + usize::from(data.first().copied().unwrap_or(0)) % 97;
    let mut streamed = 0;
    scan_stream(data, chunk, |_, _, _| streamed += 1).unwrap();
    assert_eq!(streamed, starts.len());

    // `redact` replaces exactly the matches by masked forms and keeps everything else.
    // (Its output may hold a new candidate: the kept last four digits can join digits
    // next to them. That reveals nothing that was not already shown.)
    if let Ok(text) = std::str::from_utf8(data) {
        let mut expected = String::new();
        let mut at = 0;
        for m in find_pans(data) {
            expected.push_str(&text[at..m.start]);
            let masked = m.masked(MaskMode::First6Last4);
            assert!(masked.contains('*'));
            expected.push_str(&masked);
            at = m.end;
        }
        expected.push_str(&text[at..]);
        assert_eq!(redact(text), expected);
    }
});
