//! Vulnerability evidence for kubepci: scanner reports read into one model.
//!
//! Formats: trivy-operator `VulnerabilityReport` / `ClusterVulnerabilityReport`
//! (aquasecurity.github.io/v1alpha1), Trivy JSON (schema 2), Grype JSON, CycloneDX 1.5/1.6 JSON
//! with vulnerabilities, and VEX statements (CycloneDX VEX, OpenVEX) that mark a finding
//! `not_affected` or `false_positive`. The parsers are pure ([`parse_json`], [`parse_value`]);
//! [`read_paths`] is the one function that reads files (directories, `.gz`). A document that
//! cannot be read is an error with its file (and line and column when the JSON parser gives
//! them); the rest is still read.

pub mod date;
pub mod eol;
pub mod model;
mod parse;

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

pub use model::*;
pub use parse::{ParseError, Parsed, parse_json, parse_value, parse_yaml};

/// Every report and VEX statement of an input, with what could not be read.
#[derive(Debug, Default)]
pub struct Evidence {
    pub reports: Vec<ScanReport>,
    pub vex: Vec<VexStatement>,
    pub errors: Vec<FileError>,
    /// Files read (including those with errors).
    pub files: usize,
}

/// A file (or a document in it) that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
            (Some(l), None) => write!(f, "{}:{l}: {}", self.file, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl Evidence {
    /// Add what one document held.
    pub fn add(&mut self, parsed: Parsed) {
        self.reports.extend(parsed.reports);
        self.vex.extend(parsed.vex);
    }

    /// Mark every finding a VEX statement speaks for as suppressed (a report's own CycloneDX
    /// analysis was applied while reading). Statements are few; findings many: they are
    /// grouped by vulnerability id first.
    pub fn apply_vex(&mut self) {
        apply_vex(&self.vex, &mut self.reports);
    }
}

/// [`Evidence::apply_vex`] for reports held elsewhere (a cluster's trivy-operator reports and
/// the statements of files).
pub fn apply_vex(vex: &[VexStatement], reports: &mut [ScanReport]) {
        if vex.is_empty() {
            return;
        }
        let mut by_id: std::collections::HashMap<String, Vec<&VexStatement>> = std::collections::HashMap::new();
        for s in vex {
            by_id.entry(s.vulnerability.to_ascii_uppercase()).or_default().push(s);
        }
        reports.par_iter_mut().for_each(|r| {
            let (image, digests) = (&r.image, &r.other_digests);
            for v in r.vulnerabilities.iter_mut().filter(|v| v.suppressed.is_none()) {
                if let Some(statements) = by_id.get(&v.id.to_ascii_uppercase())
                    && let Some(s) = statements.iter().find(|s| s.applies(image, digests, v))
                {
                    v.suppressed = Some(Box::new(s.suppression.clone()));
                }
            }
        });
}

/// Decompressed inputs larger than this are refused (gzip bombs).
const MAX_DECOMPRESSED_BYTES: u64 = 2 << 30;

fn wanted(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    name.ends_with(".json") || name.ends_with(".yaml") || name.ends_with(".yml")
}

/// Read every file given (directories recursively: `.json`, `.yaml`, `.yml`, each possibly
/// `.gz`), in parallel, in a stable order; VEX statements applied.
pub fn read_paths(paths: &[PathBuf]) -> Evidence {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if p.is_dir() {
            let walk = kubepci_base::walk::files_under(p, wanted);
            files.extend(walk.files);
            errors.extend(walk.problems.into_iter().map(|w| FileError { file: w.path.display().to_string(), line: None, column: None, message: format!("cannot read: {}", w.error) }));
        } else {
            files.push(p.clone());
        }
    }
    let results: Vec<(String, Result<Parsed, ParseError>)> = files
        .par_iter()
        .map(|f| {
            let name = f.display().to_string();
            let result = std::fs::read(f).map_err(|e| ParseError { line: None, column: None, message: format!("cannot read: {e}") }).and_then(|bytes| parse_file(&name, bytes));
            (name, result)
        })
        .collect();
    let mut evidence = Evidence { files: files.len(), errors, ..Evidence::default() };
    for (file, result) in results {
        match result {
            Ok(parsed) => evidence.add(parsed),
            Err(e) => evidence.errors.push(FileError { file, line: e.line, column: e.column, message: e.message }),
        }
    }
    evidence.apply_vex();
    evidence
}

/// One file's bytes (gzip when named `.gz` or starting with gzip's magic), by its name's
/// extension: YAML for `.yaml`/`.yml`, JSON otherwise.
pub fn parse_file(name: &str, bytes: Vec<u8>) -> Result<Parsed, ParseError> {
    let plain = name.strip_suffix(".gz").unwrap_or(name);
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) { gunzip(&bytes)? } else { bytes };
    let lower = plain.to_ascii_lowercase();
    if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        let text = String::from_utf8(bytes).map_err(|_| ParseError { line: None, column: None, message: "not UTF-8 text".into() })?;
        parse_yaml(name, &text)
    } else {
        parse_json(name, &bytes)
    }
}

fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, ParseError> {
    let mut out = Vec::new();
    let mut decoder = flate2::read::GzDecoder::new(bytes).take(MAX_DECOMPRESSED_BYTES + 1);
    decoder.read_to_end(&mut out).map_err(|e| ParseError { line: None, column: None, message: format!("cannot decompress gzip input: {e}") })?;
    if out.len() as u64 > MAX_DECOMPRESSED_BYTES {
        return Err(ParseError { line: None, column: None, message: format!("gzip input expands beyond {MAX_DECOMPRESSED_BYTES} bytes; refused") });
    }
    Ok(out)
}
