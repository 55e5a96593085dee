//! `kubepci pss`: evaluate every pod template in the given manifests against the Kubernetes
//! Pod Security Standards, exactly as the Pod Security Admission controller would, and print
//! per object whether it would be admitted and which controls it violates.
//!
//! The input is read like every command's (`kubepci::input`: paths, `--snapshot`, a live
//! cluster). Exit codes: 0 every pod template allowed; 1 at least one denied; 2 usage error or
//! incomplete input: an input document that could not be read (reported on stderr as
//! `file:line:col: message`; the rest of the input is still evaluated and printed), or a kind
//! that runs pods which a snapshot or live collection lacks.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use kubepci::input::{InputArgs, POD_KINDS};
use kubepci::output::{self, Format, TEXT_JSON};
use kubepci_pss::{Level, ObjectResult, Version, evaluate_objects};
use serde::Serialize;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Pod Security Standards level to evaluate against.
    #[arg(long, value_parser = parse_level)]
    pub level: Level,
    /// Policy version: v1.N or latest (as in pod-security.kubernetes.io/enforce-version).
    #[arg(long = "version", value_name = "VERSION", default_value = "latest", value_parser = parse_version)]
    pub policy_version: Version,
    /// Output format.
    #[arg(short, long, default_value = "text", value_parser = output::accepting(TEXT_JSON))]
    pub format: Format,
    #[command(flatten)]
    pub input: InputArgs,
    /// Write the result to a file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Every pod template's verdict, and how many documents could not be read.
struct Verdicts {
    results: Vec<ObjectResult>,
    unreadable: usize,
    /// A snapshot or live collection lacks a kind that runs pods.
    incomplete: bool,
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
    // The configuration is read like every command's; Pod Security verdicts do not depend on
    // scope, so nothing in it changes them.
    let (input, _config) = args.input.load("pss")?;
    input.print_errors();
    let verdicts = Verdicts {
        results: evaluate_objects(&input.objects, args.level, args.policy_version),
        unreadable: input.unreadable(),
        incomplete: input.unreadable() > 0 || input.lacks_any(POD_KINDS),
    };
    output::emit(args.output.as_deref(), |out| match args.format {
        Format::Json => write_json(out, &verdicts),
        _ => write_text(out, &verdicts),
    })?;
    Ok(exit_code(&verdicts))
}

/// 2 when the input is incomplete (the verdict is too), else 1 when anything is denied.
fn exit_code(verdicts: &Verdicts) -> ExitCode {
    if verdicts.incomplete {
        ExitCode::from(2)
    } else if verdicts.results.iter().any(|r| !r.evaluation.allowed) {
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

fn write_text(out: &mut dyn Write, verdicts: &Verdicts) -> io::Result<()> {
    for r in &verdicts.results {
        let verdict = if r.evaluation.allowed { "ALLOWED" } else { "DENIED" };
        writeln!(out, "{verdict} {} ({})", r.object, source(r))?;
        for v in &r.evaluation.violations {
            writeln!(out, "    {} [{}]: {}", v.control, v.level, v.reason)?;
            if !v.fields.is_empty() {
                writeln!(out, "        fields: {}", v.fields.join(", "))?;
            }
        }
    }
    let denied = verdicts.results.iter().filter(|r| !r.evaluation.allowed).count();
    writeln!(
        out,
        "{} pod templates: {} allowed, {denied} denied; {} documents could not be read",
        verdicts.results.len(),
        verdicts.results.len() - denied,
        verdicts.unreadable
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

fn write_json(out: &mut dyn Write, verdicts: &Verdicts) -> io::Result<()> {
    let entries: Vec<JsonEntry<'_>> = verdicts
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
    output::write_json(out, &entries)
}
