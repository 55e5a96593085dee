//! `kubepci pss`: evaluate every pod template in the given manifests against the Kubernetes
//! Pod Security Standards, exactly as the Pod Security Admission controller would, and print
//! per object whether it would be admitted and which controls it violates.
//!
//! Exit codes: 0 every pod template allowed; 1 at least one denied; 2 usage error or an input
//! document that could not be read (reported on stderr as `file:line:col: message`; the rest
//! of the input is still evaluated and printed).

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use kubepci_pss::batch::{BatchReport, ObjectResult, evaluate_paths};
use kubepci_pss::{Level, Version};
use serde::Serialize;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Pod Security Standards level to evaluate against.
    #[arg(long, value_parser = parse_level)]
    pub level: Level,
    /// Policy version: v1.N or latest (as in pod-security.kubernetes.io/enforce-version).
    #[arg(long = "version", value_name = "VERSION", default_value = "latest", value_parser = parse_version)]
    pub policy_version: Version,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Manifest files or directories (recursively .yaml/.yml/.json); `-` reads stdin.
    #[arg(required = true, value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
}

fn parse_level(s: &str) -> Result<Level, String> {
    match s.parse::<Level>() {
        Ok(Level::Privileged) => Err("privileged allows everything; use baseline or restricted".into()),
        Ok(level) => Ok(level),
        Err(e) => Err(e.to_string()),
    }
}

fn parse_version(s: &str) -> Result<Version, String> {
    s.parse::<Version>().map_err(|e| e.to_string())
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let report = evaluate_paths(&args.paths, args.level, args.policy_version);
    for e in &report.errors {
        eprintln!("{e}");
    }
    let mut out = BufWriter::new(io::stdout().lock());
    match args.format {
        Format::Text => write_text(&mut out, &report)?,
        Format::Json => write_json(&mut out, &report)?,
    }
    out.flush()?;
    Ok(exit_code(&report))
}

/// 2 when input could not be read (the verdict is incomplete), else 1 when anything is denied.
fn exit_code(report: &BatchReport) -> ExitCode {
    if !report.errors.is_empty() {
        ExitCode::from(2)
    } else if report.results.iter().any(|r| !r.evaluation.allowed) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `file:line` (just `file` when the line is unknown).
fn source(r: &ObjectResult) -> String {
    match r.source.line {
        0 => r.source.file.to_string(),
        line => format!("{}:{line}", r.source.file),
    }
}

fn write_text(out: &mut impl Write, report: &BatchReport) -> io::Result<()> {
    for r in &report.results {
        let verdict = if r.evaluation.allowed { "ALLOWED" } else { "DENIED" };
        writeln!(out, "{verdict} {} ({})", r.object, source(r))?;
        for v in &r.evaluation.violations {
            writeln!(out, "    {} [{}]: {}", v.control, v.level, v.reason)?;
            if !v.fields.is_empty() {
                writeln!(out, "        fields: {}", v.fields.join(", "))?;
            }
        }
    }
    let denied = report.results.iter().filter(|r| !r.evaluation.allowed).count();
    writeln!(
        out,
        "{} pod templates: {} allowed, {denied} denied; {} documents could not be read",
        report.results.len(),
        report.results.len() - denied,
        report.errors.len()
    )
}

#[derive(Serialize)]
struct JsonViolation<'a> {
    control: &'a str,
    level: Level,
    reason: &'a str,
    fields: &'a [String],
}

#[derive(Serialize)]
struct JsonEntry<'a> {
    object: &'a kubepci_model::ObjectRef,
    source: String,
    allowed: bool,
    violations: Vec<JsonViolation<'a>>,
}

fn write_json(out: &mut impl Write, report: &BatchReport) -> anyhow::Result<()> {
    let entries: Vec<JsonEntry<'_>> = report
        .results
        .iter()
        .map(|r| JsonEntry {
            object: &r.object,
            source: source(r),
            allowed: r.evaluation.allowed,
            violations: r
                .evaluation
                .violations
                .iter()
                .map(|v| JsonViolation { control: v.control, level: v.level, reason: &v.reason, fields: &v.fields })
                .collect(),
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &entries)?;
    writeln!(out)?;
    Ok(())
}
