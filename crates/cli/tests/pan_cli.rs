//! End to end: `kubepci pan scan` on files and stdin, every format, exit codes, and no
//! full card number in stdout or stderr.

use std::process::Output;

mod common;

const PANS: &[&str] = &["4539578763621486", "4111111111111111", "371449635398431"];
const BODY: &str = "2025-11-28T10:00:00Z pay card=4539 5787 6362 1486 ok\n\
                    test 4111111111111111\n\
                    ts=1732789530123 id=550e8400-e29b-41d4-a716-446655440000\n\
                    amex 3714-496353-98431\n";

fn kubepci(args: &[&str], stdin: Option<&str>) -> Output {
    common::kubepci_stdin(args, stdin.unwrap_or(""), &[])
}

fn assert_no_pan(out: &Output) {
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for pan in PANS {
        assert!(
            !all.contains(pan),
            "output leaks a full {}-digit PAN",
            pan.len()
        );
    }
}

#[test]
fn text_json_sarif_and_exit_codes() {
    // No tempfile dev-dependency in this crate: a unique directory under the temp dir.
    let dir = std::env::temp_dir().join(format!("kubepci-pan-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("app.log");
    std::fs::write(&file, BODY).unwrap();
    let f = file.to_str().unwrap();

    let out = kubepci(&["pan", "scan", f], None);
    assert_eq!(out.status.code(), Some(0));
    assert_no_pan(&out);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(lines[0], format!("{f}:1:31: Visa 453957******1486"));
    assert_eq!(
        lines[1],
        format!("{f}:2:6: Visa 411111******1111 [test card]")
    );
    assert_eq!(
        lines[2],
        format!("{f}:4:6: American Express 371449*****8431 [test card]")
    );
    assert!(lines[3].starts_with("summary: 1 files"), "{}", lines[3]);

    let out = kubepci(
        &[
            "pan",
            "scan",
            "--format",
            "json",
            "--mask",
            "last4",
            "--fail-on-found",
            f,
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "a real PAN with --fail-on-found"
    );
    assert_no_pan(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 3);
    assert_eq!(v["findings"][0]["masked"], "************1486");
    assert_eq!(v["findings"][0]["test_card"], false);
    assert_eq!(v["summary"]["findings"], 3);
    assert_eq!(v["summary"]["test_card_findings"], 2);

    let out = kubepci(&["pan", "scan", "--format", "sarif", f], None);
    assert_eq!(out.status.code(), Some(0));
    assert_no_pan(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 3);
    assert_eq!(
        v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn stdin_only_test_cards_and_unreadable_input() {
    let out = kubepci(
        &["pan", "scan", "--fail-on-found", "-"],
        Some("x 4111111111111111\n"),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "test cards alone do not fail the gate"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .starts_with("-:1:3: Visa 411111******1111 [test card]")
    );

    let out = kubepci(
        &[
            "pan",
            "scan",
            "--format",
            "json",
            "/nonexistent/4539578763621486.log",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "unreadable input");
    assert_no_pan(&out);

    let out = kubepci(&["pan", "scan"], None);
    assert_eq!(out.status.code(), Some(2), "missing PATH is a usage error");
}
