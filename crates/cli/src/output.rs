//! The one output vocabulary of every subcommand: `-f/--format` takes a [`Format`] (each
//! command accepts the subset it can write, see [`accepting`]) and `-o/--output FILE` writes
//! the result to a file instead of stdout ([`emit`]).

use std::io::{self, BufWriter, Write};
use std::path::Path;

use anyhow::Context as _;
use clap::ValueEnum;
use clap::builder::{PossibleValuesParser, TypedValueParser};

/// Every format any command writes. (No doc comments on the variants: clap would turn the
/// one-line list of accepted values in `--help` into a long one.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    // For people; `txt` (netpol-analyzer's name) and `table` (kubectl's) mean the same.
    #[value(alias = "txt", alias = "table")]
    Text,
    Json,
    Sarif,
    Junit,
    #[value(name = "policyreport")]
    PolicyReport,
    Oscal,
    Prometheus,
    Html,
    Csv,
    Dot,
    Mermaid,
}

/// Text and JSON: what every command writes.
pub const TEXT_JSON: &[Format] = &[Format::Text, Format::Json];

/// A `--format` parser that takes only the formats a command can write (and text's aliases),
/// so that clap rejects any other as a usage error (exit 2) listing the accepted ones.
pub fn accepting(formats: &'static [Format]) -> impl TypedValueParser<Value = Format> {
    PossibleValuesParser::new(formats.iter().filter_map(ValueEnum::to_possible_value)).try_map(|name| Format::from_str(&name, false))
}

/// Write a command's result to `path`, or to stdout without one, through one large buffer. A
/// file that cannot be written is an error; a closed stdout (`| head`) is not worth a message.
pub fn emit(path: Option<&Path>, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> anyhow::Result<()> {
    match path {
        Some(path) => {
            let file = kubepci_base::fs::create_private(path, true).with_context(|| format!("cannot write {}", path.display()))?;
            let mut out = BufWriter::with_capacity(1 << 20, file);
            write(&mut out).and_then(|()| out.flush()).with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => {
            let mut out = BufWriter::with_capacity(1 << 20, io::stdout().lock());
            let _ = write(&mut out).and_then(|()| out.flush());
        }
    }
    Ok(())
}

/// `value` as indented JSON and a newline (the shape of every command's `-f json`).
pub fn write_json(out: &mut dyn Write, value: &impl serde::Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser, Debug)]
    struct Cli {
        #[arg(short, long, default_value = "text", value_parser = accepting(&[Format::Text, Format::Json, Format::Csv]))]
        format: Format,
    }

    fn parse(args: &[&str]) -> Result<Format, clap::Error> {
        Cli::try_parse_from(std::iter::once("kubepci").chain(args.iter().copied())).map(|c| c.format)
    }

    #[test]
    fn txt_and_table_are_text() {
        for name in ["text", "txt", "table"] {
            assert_eq!(parse(&["-f", name]).expect(name), Format::Text);
        }
        assert_eq!(parse(&[]).expect("default"), Format::Text);
        assert_eq!(parse(&["--format", "csv"]).expect("csv"), Format::Csv);
    }

    #[test]
    fn a_format_the_command_cannot_write_is_a_usage_error_listing_what_it_can() {
        for name in ["sarif", "xml"] {
            let err = parse(&["-f", name]).expect_err(name);
            assert_eq!(err.kind(), clap::error::ErrorKind::InvalidValue);
            assert_eq!(err.exit_code(), 2);
            let message = err.to_string();
            assert!(message.contains("[possible values: text, json, csv]"), "{message}");
        }
    }

    #[test]
    fn emit_writes_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.json");
        emit(Some(&path), |out| write_json(out, &serde_json::json!({"a": 1}))).expect("written");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "{\n  \"a\": 1\n}\n");
        let err = emit(Some(&dir.path().join("missing/out.json")), |_| Ok(())).expect_err("no such directory");
        assert!(err.to_string().starts_with("cannot write "), "{err}");
    }
}
