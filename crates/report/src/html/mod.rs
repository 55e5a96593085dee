//! The HTML report: one self-contained page for the people who read an assessment (assessor,
//! CISO). Inline style and a little inline script, no external resource of any kind, so it
//! opens offline and from an e-mail attachment and prints to PDF. Every text goes through
//! [`escape`]; each section is a small module that reads only the [`Report`].

mod access;
mod assets;
mod boundary;
mod escape;
mod exceptions;
mod findings;
mod provenance;
mod requirements;
mod scope;
mod summary;

use kubepci_findings::{Finding, RequirementStatus, Status};

use crate::Report;
pub use escape::escape;

/// Append formatted text to the page (writing to a `String` cannot fail).
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{
        let _ = std::fmt::Write::write_fmt($out, format_args!($($arg)*));
    }};
}
pub(crate) use w;

pub fn render(r: &Report) -> String {
    let mut out = String::with_capacity(64 * 1024 + r.findings.len() * 1024);
    let o = &mut out;
    w!(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // No resource may be fetched: not even a favicon request.
    w!(o, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n");
    w!(o, "<title>{} {} assessment · {}</title>\n", escape(&r.standard.name), escape(&r.standard.version), escape(&r.generated_at));
    w!(o, "<link rel=\"icon\" href=\"data:,\">\n<style>{}</style>\n</head>\n<body>\n", assets::CSS);
    w!(o, "<header><h1>{} {} assessment</h1>\n", escape(&r.standard.name), escape(&r.standard.version));
    w!(
        o,
        "<p class=\"muted\">Generated {} by {} {} from {} input ({}). Schema <code>{}</code>.</p>\n",
        escape(&r.generated_at),
        escape(&r.tool.name),
        escape(&r.tool.version),
        escape(&r.input.kind),
        escape(&r.input.sources.join(", ")),
        escape(&r.schema)
    );
    w!(o, "<nav class=\"toc\">");
    for (id, title) in SECTIONS {
        w!(o, "<a href=\"#{id}\">{title}</a>");
    }
    w!(o, "</nav></header>\n");
    w!(o, "<div id=\"controls\" hidden><input id=\"q\" type=\"search\" placeholder=\"Search requirements and findings (check, object, namespace, text)\" aria-label=\"Search\">");
    w!(o, "<select id=\"status\" aria-label=\"Status\"><option value=\"\">any status</option>");
    for s in ["fail", "excepted", "not-assessed", "partial", "pass", "manual"] {
        w!(o, "<option value=\"{s}\">{s}</option>");
    }
    w!(o, "</select><button id=\"expand\" type=\"button\">Expand all</button><button id=\"collapse\" type=\"button\">Collapse all</button><span id=\"shown\" class=\"muted small\"></span></div>\n<main>\n");
    summary::write(o, r);
    requirements::write(o, r);
    scope::write(o, r);
    boundary::write(o, r);
    access::write(o, r);
    findings::write_card_data(o, r);
    exceptions::write(o, r);
    findings::write(o, r);
    provenance::write(o, r);
    w!(o, "</main>\n<script>{}</script>\n</body>\n</html>\n", assets::JS);
    out
}

/// The page's sections, in order: (anchor, heading).
const SECTIONS: &[(&str, &str)] = &[
    ("summary", "Summary"),
    ("requirements", "Requirements"),
    ("scope", "CDE scope"),
    ("boundary", "CDE boundary"),
    ("access", "Access review"),
    ("card-data", "Card data"),
    ("exceptions", "Exceptions"),
    ("findings", "Findings"),
    ("provenance", "Provenance"),
];

/// The `<h2>` opening a section, with the heading from [`SECTIONS`].
fn section(o: &mut String, id: &str) {
    let title = SECTIONS.iter().find(|(a, _)| *a == id).map_or(id, |(_, t)| t);
    w!(o, "<section id=\"{id}\">\n<h2>{title}</h2>\n");
}

fn status_label(s: RequirementStatus) -> &'static str {
    match s {
        RequirementStatus::Fail => "FAIL",
        RequirementStatus::Excepted => "EXCEPTED",
        RequirementStatus::NotAssessed => "NOT ASSESSED",
        RequirementStatus::Partial => "PARTIAL",
        RequirementStatus::Pass => "PASS",
        RequirementStatus::Manual => "MANUAL",
    }
}

fn finding_status_label(s: Status) -> &'static str {
    match s {
        Status::Fail => "FAIL",
        Status::Excepted => "EXCEPTED",
        Status::NotAssessed => "NOT ASSESSED",
        Status::Pass => "PASS",
    }
}

/// The object a finding is about, or `cluster` for a result on the input as a whole.
fn object_label(f: &Finding) -> String {
    f.object.as_ref().map_or_else(|| "cluster".to_string(), ToString::to_string)
}

/// Where to look: `file:line:column` in manifests, the API server (and the object) when live.
fn location_label(f: &Finding) -> String {
    f.location.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// The anchor of the finding at `index` in `report.findings`.
fn finding_anchor(index: usize) -> String {
    format!("f-{index}")
}

/// A one-line reference to a finding that links to its full entry (evidence, fix) in the
/// Findings section: used by the summary, requirement drill-downs and the review sections.
fn finding_line(o: &mut String, index: usize, f: &Finding) {
    w!(
        o,
        "<li data-finding=\"{}\" data-object=\"{}\"><span class=\"sev sev-{}\">{}</span> <a href=\"#{}\"><code>{}</code></a> {} · <span class=\"mono\">{}</span><br><span class=\"small\">{}</span>",
        escape(&f.check),
        escape(&object_label(f)),
        f.severity.as_str(),
        f.severity.as_str(),
        finding_anchor(index),
        escape(&f.check),
        escape(&object_label(f)),
        escape(&location_label(f)),
        escape(&f.message)
    );
    if f.status != Status::Fail {
        w!(o, " <span class=\"badge s-{}\">{}</span>", f.status.as_str(), finding_status_label(f.status));
    }
    w!(o, "</li>\n");
}

#[cfg(test)]
mod tests;
