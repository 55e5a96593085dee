//! Prometheus text exposition format, for a scheduled scan that a node exporter's textfile
//! collector or a push gateway picks up.

use std::fmt::Write;

use crate::Report;

fn label(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# HELP kubepci_requirement_status PCI DSS requirement roll-up status (1 for the current status).");
    let _ = writeln!(out, "# TYPE kubepci_requirement_status gauge");
    for q in &r.requirements {
        let _ = writeln!(out, "kubepci_requirement_status{{requirement=\"{}\",status=\"{}\"}} 1", label(&q.id), q.status);
    }
    let _ = writeln!(out, "# HELP kubepci_check_results Results of each check by outcome.");
    let _ = writeln!(out, "# TYPE kubepci_check_results gauge");
    for c in &r.checks {
        let s = &c.summary;
        for (result, n) in [("pass", s.passed), ("fail", s.failed), ("excepted", s.excepted), ("not_assessed", s.not_assessed)] {
            let _ = writeln!(out, "kubepci_check_results{{check=\"{}\",severity=\"{}\",result=\"{result}\"}} {n}", label(&s.check), s.severity);
        }
    }
    let _ = writeln!(out, "# HELP kubepci_failed_findings Failed findings by severity.");
    let _ = writeln!(out, "# TYPE kubepci_failed_findings gauge");
    for sev in kubepci_findings::Severity::ALL {
        let n = r.summary.failed_by_severity.get(sev.as_str()).copied().unwrap_or(0);
        let _ = writeln!(out, "kubepci_failed_findings{{severity=\"{sev}\"}} {n}");
    }
    let _ = writeln!(out, "# HELP kubepci_input_objects Objects assessed.");
    let _ = writeln!(out, "# TYPE kubepci_input_objects gauge");
    let _ = writeln!(out, "kubepci_input_objects {}", r.input.objects);
    let _ = writeln!(out, "# HELP kubepci_input_errors Documents that could not be read.");
    let _ = writeln!(out, "# TYPE kubepci_input_errors gauge");
    let _ = writeln!(out, "kubepci_input_errors {}", r.input.errors.len());
    out
}
