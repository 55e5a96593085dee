//! JUnit XML, as CI systems display test results: one test suite per check, one test case per
//! failing, excepted or not-assessed object, and one case standing for the objects that passed.

use std::fmt::Write;

use kubepci_findings::Status;

use crate::Report;

pub(crate) fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

pub fn render(r: &Report) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let s = &r.summary;
    let total = s.failed + s.excepted + s.not_assessed + r.checks.iter().filter(|c| c.summary.passed > 0).count();
    let _ = writeln!(out, "<testsuites name=\"kubepci PCI DSS {}\" tests=\"{total}\" failures=\"{}\" skipped=\"{}\">", r.standard.version, s.failed, s.not_assessed + s.excepted);
    for c in &r.checks {
        let cs = &c.summary;
        let findings: Vec<_> = r.findings.iter().filter(|f| f.check == cs.check).collect();
        let tests = findings.len() + usize::from(cs.passed > 0);
        let _ = writeln!(
            out,
            "  <testsuite name=\"{} {}\" tests=\"{tests}\" failures=\"{}\" skipped=\"{}\">",
            xml_escape(&cs.check),
            xml_escape(&cs.title),
            cs.failed,
            cs.not_assessed + cs.excepted
        );
        for f in findings {
            let name = f.object.as_ref().map_or_else(|| "cluster".to_string(), |o| o.to_string());
            let file = f.location.as_ref().map(|l| format!(" file=\"{}\" line=\"{}\"", xml_escape(&l.file), l.line)).unwrap_or_default();
            let _ = write!(out, "    <testcase classname=\"{}\" name=\"{}\"{file}>", xml_escape(&cs.check), xml_escape(&name));
            match f.status {
                Status::Fail => {
                    let _ = write!(
                        out,
                        "<failure type=\"{}\" message=\"{}\">requirements: {}\nfix: {}</failure>",
                        f.severity,
                        xml_escape(&f.message),
                        xml_escape(&f.requirements.join(", ")),
                        xml_escape(&f.remediation)
                    );
                }
                Status::Excepted => {
                    let why = f.exception.as_ref().map(|e| e.reason.as_str()).unwrap_or("");
                    let _ = write!(out, "<skipped message=\"excepted: {}\"/>", xml_escape(why));
                }
                Status::NotAssessed => {
                    let _ = write!(out, "<skipped message=\"not assessed: {}\"/>", xml_escape(&f.message));
                }
                Status::Pass => {}
            }
            out.push_str("</testcase>\n");
        }
        if cs.passed > 0 {
            let _ = writeln!(out, "    <testcase classname=\"{}\" name=\"{} passing object(s)\"/>", xml_escape(&cs.check), cs.passed);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
