//! The HTML report in a real browser: headless Chromium loads the demo's report from a file,
//! the test reads the DOM after the page's script ran and checks it against the JSON report of
//! the same scan, checks that the browser logged nothing (no script error, no load blocked by
//! the page's Content-Security-Policy, which forbids every fetch), and keeps a screenshot as a
//! test artefact (target/test-artifacts/report.png), and prints it to PDF (report.pdf beside it).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest a browser run may take before the test kills it and fails.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(60);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `kubepci scan` of the demo (as in the README) into `out` in `format`.
fn scan_demo(format: &str, out: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_kubepci"))
        .args(["scan", "-c", "examples/kubepci.yaml", "--platform-config", "examples/platform", "examples/demo-cluster", "-f", format, "-o"])
        .arg(out)
        .current_dir(repo())
        .env("SOURCE_DATE_EPOCH", "1795000000")
        .env_remove("KUBEPCI_PROFILE")
        .stderr(Stdio::null())
        .status()
        .expect("run kubepci");
    assert_eq!(status.code(), Some(0), "scan -f {format}");
}

/// Run headless Chromium on `page` with `extra` arguments, in a fresh profile, killed after
/// [`BROWSER_TIMEOUT`]. Returns (stdout, stderr).
fn chromium(browser: &Path, work: &Path, page: &Path, extra: &[&str]) -> (String, String) {
    let profile = tempfile::tempdir_in(work).expect("profile dir");
    let (stdout, stderr) = (work.join("stdout"), work.join("stderr"));
    let mut child = Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--enable-logging=stderr", "--v=0"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).expect("stdout file"))
        .stderr(std::fs::File::create(&stderr).expect("stderr file"))
        .spawn()
        .expect("start chromium");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            assert!(status.success(), "chromium exited with {status}: {}", std::fs::read_to_string(&stderr).unwrap_or_default());
            break;
        }
        if started.elapsed() > BROWSER_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within {BROWSER_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    (std::fs::read_to_string(&stdout).expect("stdout"), std::fs::read_to_string(&stderr).expect("stderr"))
}

/// Every value of `attribute` in the markup, in document order.
fn attribute_values<'a>(html: &'a str, attribute: &str) -> Vec<&'a str> {
    let needle = format!(" {attribute}=\"");
    html.match_indices(&needle)
        .map(|(i, _)| {
            let rest = &html[i + needle.len()..];
            &rest[..rest.find('"').expect("closing quote")]
        })
        .collect()
}

/// Lines the page logged to the browser console (script errors, blocked loads, messages).
fn console_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught")).collect()
}

#[test]
fn the_demo_report_opens_in_chromium_with_every_requirement_and_failure() {
    let Some(browser) = kubepci_base::real_part::require("chromium", &["chromium", "/usr/bin/chromium"]) else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let (page, json) = (work.path().join("report.html"), work.path().join("report.json"));
    scan_demo("html", &page);
    scan_demo("json", &json);
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).expect("json")).expect("json report");
    let html = std::fs::read_to_string(&page).expect("html");

    // Nothing to fetch: no external reference in src, href or url() at all.
    for attr in ["src", "href"] {
        for v in attribute_values(&html, attr) {
            assert!(v.starts_with('#') || v.starts_with("data:"), "{attr}={v:?} would be fetched");
        }
    }
    for (i, _) in html.match_indices("url(") {
        assert!(html[i + 4..].starts_with('#'), "url() other than a reference inside the page: {}", &html[i..(i + 40).min(html.len())]);
    }

    let (dom, log) = chromium(&browser, work.path(), &page, &["--dump-dom"]);
    assert!(dom.contains("<html lang=\"en\" data-script=\"ok\">"), "the inline script ran to its end");
    assert!(dom.contains("<div id=\"controls\">"), "the script showed the search controls");
    let console = console_lines(&log);
    assert!(console.is_empty(), "the page logged to the console (a script error or a blocked load):\n{}", console.join("\n"));

    let expected: Vec<&str> = report["requirements"].as_array().expect("requirements").iter().map(|q| q["id"].as_str().expect("id")).collect();
    assert_eq!(attribute_values(&dom, "data-requirement"), expected, "one row per requirement of the JSON report, in its order");
    let failed: Vec<&serde_json::Value> = report["findings"].as_array().expect("findings").iter().filter(|f| f["status"] == "fail").collect();
    assert!(failed.len() > 50, "the demo has many failures");
    for f in failed {
        let object = match f.get("object") {
            Some(o) => match o.get("namespace").and_then(|n| n.as_str()) {
                Some(ns) => format!("{}/{ns}/{}", o["kind"].as_str().unwrap(), o["name"].as_str().unwrap()),
                None => format!("{}/{}", o["kind"].as_str().unwrap(), o["name"].as_str().unwrap()),
            },
            None => "cluster".to_string(),
        };
        let marker = format!("data-status=\"fail\" data-finding=\"{}\" data-object=\"{object}\"", f["check"].as_str().unwrap());
        assert!(dom.contains(&marker), "failed finding missing from the page: {marker}");
    }

    // The screenshot is kept as an artefact of the test run.
    let artefacts = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("target dir").join("test-artifacts");
    std::fs::create_dir_all(&artefacts).expect("artefact dir");
    let shot = artefacts.join("report.png");
    let _ = std::fs::remove_file(&shot);
    let (_, log) = chromium(&browser, work.path(), &page, &["--window-size=1280,2000", &format!("--screenshot={}", shot.display())]);
    assert!(console_lines(&log).is_empty(), "{log}");
    let png = std::fs::read(&shot).expect("screenshot written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let (width, height) = (u32::from_be_bytes(png[16..20].try_into().unwrap()), u32::from_be_bytes(png[20..24].try_into().unwrap()));
    assert_eq!((width, height), (1280, 2000));
    assert!(png.len() > 50_000, "a rendered page, not a blank one ({} bytes)", png.len());

    // Printed to PDF as a reader would (the script opens every drill-down before printing).
    let pdf = artefacts.join("report.pdf");
    let _ = std::fs::remove_file(&pdf);
    let (_, log) = chromium(&browser, work.path(), &page, &["--no-pdf-header-footer", &format!("--print-to-pdf={}", pdf.display())]);
    assert!(console_lines(&log).is_empty(), "{log}");
    let pdf = std::fs::read(&pdf).expect("PDF written");
    assert!(pdf.starts_with(b"%PDF-") && pdf.len() > 200_000, "a PDF of the whole report ({} bytes)", pdf.len());
}
