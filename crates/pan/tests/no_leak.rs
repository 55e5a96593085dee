//! The full card number must never appear in any output: text, JSON or SARIF, with either
//! mask, including file names and error messages that themselves contain a number.

use kubepci_pan::report::{ToolInfo, render_json, render_sarif, render_text};
use kubepci_pan::scan::{ScanOptions, scan_paths};
use kubepci_pan::{MaskMode, find_pans, redact};

/// (PAN, how it is written in the file). Test and non-test numbers, every layout.
const CARDS: &[(&str, &str)] = &[
    ("4111111111111111", "card=4111111111111111"),
    ("4539578763621486", "\"pan\": \"4539 5787 6362 1486\""),
    ("5425233430109903", "mc 5425-2334-3010-9903 exp 12/27"),
    ("2223000048400011", "2223000048400011,John Doe"),
    ("371449635398431", "amex 3714 496353 98431"),
    ("36227206271667", "diners 3622-720627-1667"),
    ("6011000990139424", "discover:6011000990139424;"),
    ("3566002020360505", "jcb(3566002020360505)"),
    ("6200000000000005", "unionpay 6200000000000005"),
    ("6799990100000000019", "maestro 6799 9901 0000 0000 019"),
    ("4222222222222", "visa13 4222 2222 2222 2"),
    ("4929000000006", "short 4929000000006 end"),
];

fn assert_absent(output: &str, what: &str) {
    for (pan, _) in CARDS {
        // Not the number, and not any 11-digit piece of it (masking shows at most 6 + 4).
        for w in pan.as_bytes().windows(11) {
            let piece = std::str::from_utf8(w).unwrap();
            assert!(
                !output.contains(piece),
                "{what} leaks {} digits of a {}-digit PAN",
                piece.len(),
                pan.len()
            );
        }
    }
}

#[test]
fn every_card_is_found_and_no_output_contains_one() {
    let dir = tempfile::tempdir().unwrap();
    let body: String = CARDS.iter().map(|(_, line)| format!("{line}\n")).collect();
    // The numbers are in the contents, and one also in a file name.
    let named = dir.path().join("export-4111111111111111.csv");
    std::fs::write(&named, &body).unwrap();
    std::fs::write(dir.path().join("plain.log"), &body).unwrap();
    let missing = dir.path().join("gone-5425233430109903.log");

    for mask in [MaskMode::First6Last4, MaskMode::Last4] {
        let opts = ScanOptions {
            mask,
            ..ScanOptions::default()
        };
        let report = scan_paths(&[dir.path().to_path_buf(), missing.clone()], &opts);
        assert_eq!(
            report.findings.len(),
            2 * CARDS.len(),
            "every card found in both files"
        );
        assert_eq!(report.errors.len(), 1);
        let tool = ToolInfo {
            name: "kubepci",
            version: "0",
        };
        assert_absent(&render_text(&report), "text");
        assert_absent(&render_json(&report, tool).to_string(), "json");
        assert_absent(&render_sarif(&report, tool).to_string(), "sarif");
        assert_absent(&format!("{report:?}"), "Debug of the report");
    }

    let matches: Vec<_> = find_pans(body.as_bytes()).collect();
    assert_eq!(matches.len(), CARDS.len());
    assert_absent(&format!("{matches:?}"), "Debug of PanMatch");
    assert_absent(&redact(&body), "redact");
    for m in &matches {
        assert_absent(&m.masked(MaskMode::First6Last4), "masked");
    }
}
