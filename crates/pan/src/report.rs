//! Renderings of a [`ScanReport`]: text, JSON and SARIF 2.1.0.
//!
//! Hits carry only masked numbers, so none of these can print a full PAN; paths and error
//! messages were masked when the report was built.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::scan::ScanReport;

/// The SARIF rule every hit is reported under.
pub const SARIF_RULE_ID: &str = "pan-in-file";

/// Name and version of the tool, for JSON and SARIF headers.
#[derive(Clone, Copy, Debug)]
pub struct ToolInfo<'a> {
    pub name: &'a str,
    pub version: &'a str,
}

/// One line per hit, `file:line:col: brand masked [test card]`, then error lines
/// (`file: error: message`) and a summary line.
pub fn render_text(report: &ScanReport) -> String {
    let mut out = String::new();
    for h in &report.findings {
        let test = if h.test_card { " [test card]" } else { "" };
        let _ = writeln!(
            out,
            "{}:{}:{}: {} {}{}",
            h.file, h.line, h.column, h.brand, h.masked, test
        );
    }
    for e in &report.errors {
        let _ = writeln!(out, "{}: error: {}", e.file, e.message);
    }
    let s = &report.summary;
    let by_brand: Vec<String> = s.by_brand.iter().map(|(b, n)| format!("{b}={n}")).collect();
    let _ = writeln!(
        out,
        "summary: {} files, {} bytes scanned, {} card numbers ({} test cards){}, {} errors",
        s.files_scanned,
        s.bytes_scanned,
        s.findings,
        s.test_card_findings,
        if by_brand.is_empty() {
            String::new()
        } else {
            format!(" [{}]", by_brand.join(", "))
        },
        s.errors,
    );
    out
}

/// `{"tool": {...}, "findings": [...], "errors": [...], "summary": {...}}`; see the README.
pub fn render_json(report: &ScanReport, tool: ToolInfo<'_>) -> Value {
    json!({
        "tool": { "name": tool.name, "version": tool.version },
        "findings": report.findings,
        "errors": report.errors,
        "summary": report.summary,
    })
}

/// A minimal SARIF 2.1.0 log: one run, one rule (`pan-in-file`), one result per hit.
///
/// Real PANs are `error`, public test numbers `note`. Columns are byte columns (equal to
/// character columns for ASCII text). Unreadable inputs become tool execution
/// notifications.
pub fn render_sarif(report: &ScanReport, tool: ToolInfo<'_>) -> Value {
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|h| {
            let kind = if h.test_card {
                "public test card number"
            } else {
                "card number"
            };
            json!({
                "ruleId": SARIF_RULE_ID,
                "ruleIndex": 0,
                "level": if h.test_card { "note" } else { "error" },
                "message": { "text": format!("{} {} {} found in file", h.brand, kind, h.masked) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": file_uri(&h.file) },
                        "region": { "startLine": h.line, "startColumn": h.column }
                    }
                }],
                "properties": { "brand": h.brand, "testCard": h.test_card }
            })
        })
        .collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| json!({ "level": "error", "message": { "text": format!("{}: {}", e.file, e.message) } }))
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": tool.name,
                "version": tool.version,
                "rules": [{
                    "id": SARIF_RULE_ID,
                    "name": "PanInFile",
                    "shortDescription": { "text": "Primary account number (card number) stored in a file" },
                    "fullDescription": { "text": "A Luhn-valid number with a card brand's issuer prefix and length was found in clear text. PCI DSS 3.3-3.5 require stored PANs to be unreadable and their locations known." },
                    "defaultConfiguration": { "level": "error" },
                    "help": { "text": "Remove the card number, or make it unreadable (truncation, tokenisation, strong cryptography), and stop the flow that wrote it." }
                }]
            }},
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications
            }],
            "results": results
        }]
    })
}

/// A URI for a path: a relative reference for relative paths, `file://` for absolute
/// ones; bytes outside the URI unreserved set (and `/`) percent-encoded.
fn file_uri(path: &str) -> String {
    let path = if cfg!(windows) { path.replace('\\', "/") } else { path.to_string() };
    let encoded = kubepci_base::text::percent_encode(&path, b"/");
    if path.starts_with('/') { format!("file://{encoded}") } else { encoded }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Brand;
    use crate::scan::{FileError, Hit, Summary};

    fn sample() -> ScanReport {
        let findings = vec![
            Hit {
                file: "logs/a b.log".into(),
                line: 3,
                column: 7,
                brand: Brand::Visa,
                masked: "411111******1111".into(),
                test_card: true,
            },
            Hit {
                file: "logs/c.log".into(),
                line: 1,
                column: 1,
                brand: Brand::Mastercard,
                masked: "545454******5454".into(),
                test_card: false,
            },
        ];
        let mut summary = Summary {
            files_scanned: 2,
            bytes_scanned: 100,
            findings: 2,
            test_card_findings: 1,
            errors: 1,
            ..Summary::default()
        };
        summary.by_brand.insert("Visa", 1);
        summary.by_brand.insert("Mastercard", 1);
        ScanReport {
            findings,
            errors: vec![FileError {
                file: "x.log".into(),
                message: "Permission denied".into(),
            }],
            summary,
        }
    }

    const TOOL: ToolInfo<'static> = ToolInfo {
        name: "kubepci",
        version: "0.1.0",
    };

    #[test]
    fn text() {
        let t = render_text(&sample());
        assert_eq!(
            t,
            "logs/a b.log:3:7: Visa 411111******1111 [test card]\n\
             logs/c.log:1:1: Mastercard 545454******5454\n\
             x.log: error: Permission denied\n\
             summary: 2 files, 100 bytes scanned, 2 card numbers (1 test cards) [Mastercard=1, Visa=1], 1 errors\n"
        );
    }

    #[test]
    fn json_shape() {
        let v = render_json(&sample(), TOOL);
        assert_eq!(v["tool"]["name"], "kubepci");
        assert_eq!(
            v["findings"][0],
            json!({"file":"logs/a b.log","line":3,"column":7,"brand":"Visa","masked":"411111******1111","test_card":true})
        );
        assert_eq!(v["summary"]["by_brand"]["Mastercard"], 1);
        assert_eq!(v["summary"]["test_card_findings"], 1);
        assert_eq!(v["errors"][0]["file"], "x.log");
    }

    #[test]
    fn sarif_shape() {
        let v = render_sarif(&sample(), TOOL);
        assert_eq!(v["version"], "2.1.0");
        let run = &v["runs"][0];
        assert_eq!(run["tool"]["driver"]["rules"][0]["id"], SARIF_RULE_ID);
        let r0 = &run["results"][0];
        assert_eq!(r0["level"], "note");
        assert_eq!(
            r0["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "logs/a%20b.log"
        );
        assert_eq!(
            r0["locations"][0]["physicalLocation"]["region"],
            json!({"startLine":3,"startColumn":7})
        );
        assert!(
            r0["message"]["text"]
                .as_str()
                .unwrap()
                .contains("411111******1111")
        );
        assert_eq!(run["results"][1]["level"], "error");
        assert_eq!(file_uri("/var/log/x y.log"), "file:///var/log/x%20y.log");
        assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    }
}
