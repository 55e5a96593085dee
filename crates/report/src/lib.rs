//! The report of an assessment and its printers. [`Report::assemble`] builds the report from
//! the checks' results in one place (summaries, check help, findings with card numbers
//! redacted, roll-up, boundary), or in two steps, [`ReportParts::gather`] (what does not need
//! the results, while the checks run) and [`Report::from_parts`]; each printer turns one
//! [`Report`] into one output format and evaluates nothing. The report holds only redacted data (no Secret values, no full card
//! numbers), so no printer can leak what the analyses never put there.

mod assemble;
pub mod compare;
mod json;
mod model;
mod sarif;
mod text;
mod junit;
mod policyreport;
mod prometheus;
mod oscal;
mod unlock;
mod html;

pub use assemble::{AssembleOptions, InputFacts, ReportParts, redact_finding};
pub use unlock::{UNLOCKS, Unlock, unlock};
pub use model::{AccessGrant, CheckInfo, ConfigSource, EffectiveConfig, InputError, InputSummary, NamespaceScope, Provenance, RegistryInfo, Report, RunInfo, ScopeSummary, SnapshotInfo, Summary, WorkloadScope, REPORT_SCHEMA_VERSION};

/// Output formats of `kubepci scan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Junit,
    PolicyReport,
    Oscal,
    Prometheus,
    Html,
}

impl Format {
    pub const NAMES: &'static [&'static str] = &["text", "json", "sarif", "junit", "policyreport", "oscal", "prometheus", "html"];

    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "text" | "txt" => Format::Text,
            "json" => Format::Json,
            "sarif" => Format::Sarif,
            "junit" => Format::Junit,
            "policyreport" => Format::PolicyReport,
            "oscal" => Format::Oscal,
            "prometheus" => Format::Prometheus,
            "html" => Format::Html,
            _ => return None,
        })
    }
}

/// Options that change how a report is printed, not what it says.
#[derive(Clone, Copy, Debug, Default)]
pub struct PrintOptions {
    /// ANSI colours (terminal format only).
    pub color: bool,
    /// List every not-assessed result, not only a count per check (terminal format).
    pub verbose: bool,
}

/// Write a report in a format to `out`. The JSON report is streamed and serialised in
/// parallel; the other formats are rendered first.
pub fn write(report: &Report, format: Format, opts: PrintOptions, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    match format {
        Format::Json => json::write(report, out),
        _ => out.write_all(render(report, format, opts).as_bytes()),
    }
}

/// Render a report in a format.
pub fn render(report: &Report, format: Format, opts: PrintOptions) -> String {
    match format {
        Format::Text => text::render(report, opts),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
        Format::Junit => junit::render(report),
        Format::PolicyReport => policyreport::render(report),
        Format::Oscal => oscal::render(report),
        Format::Prometheus => prometheus::render(report),
        Format::Html => html::render(report),
    }
}

#[cfg(test)]
mod tests;
