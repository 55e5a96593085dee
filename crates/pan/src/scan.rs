//! Scanning files, directories, gzip files and stdin for card numbers.
//!
//! Each input is read in chunks of bounded size (default 1 MiB), so memory does not depend
//! on file size. Consecutive windows overlap by [`OVERLAP`] bytes and a match is reported
//! only by the window that *owns* its first digit, so a number across a chunk boundary is
//! found exactly once and the results equal a scan of the whole input at once (a match and
//! every byte that decides it lie within 2 × 23 bytes of its start). Files are scanned in
//! parallel with rayon; results are sorted by file, line and column.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use kubepci_base::walk::{WalkStep, files_under};
use rayon::prelude::*;
use serde::Serialize;

use crate::{Brand, MaskMode, PanMatch, find_pans, redact};

/// Context kept on each side of a window's owned bytes.
pub const OVERLAP: usize = 128;
/// Default number of new bytes read per window.
pub const DEFAULT_CHUNK: usize = 1 << 20;

/// How to scan.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Bytes read per window (at least 1).
    pub chunk_size: usize,
    pub mask: MaskMode,
    /// Worker threads for files in parallel; `None` = rayon's default (one per core).
    pub threads: Option<usize>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            chunk_size: DEFAULT_CHUNK,
            mask: MaskMode::default(),
            threads: None,
        }
    }
}

/// One card number found in a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// The path as given or found while walking (card-number-like digits in it masked);
    /// `-` for stdin.
    pub file: String,
    /// 1-based line.
    pub line: u64,
    /// 1-based column, in bytes.
    pub column: u64,
    pub brand: Brand,
    /// The masked number (never the full digits).
    pub masked: String,
    /// One of the public test card numbers.
    pub test_card: bool,
}

/// An input that could not be read (fully).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileError {
    pub file: String,
    pub message: String,
}

/// Totals of a scan.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Inputs read to the end.
    pub files_scanned: u64,
    /// Bytes scanned (after gzip decompression).
    pub bytes_scanned: u64,
    /// All hits, test cards included.
    pub findings: u64,
    /// Hits on public test card numbers.
    pub test_card_findings: u64,
    /// Hits per brand name (brands without hits are omitted).
    pub by_brand: BTreeMap<&'static str, u64>,
    /// Inputs that could not be read (fully).
    pub errors: u64,
}

impl Summary {
    /// Hits that are not public test numbers.
    pub fn real_findings(&self) -> u64 {
        self.findings - self.test_card_findings
    }
}

/// Everything a scan produced.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ScanReport {
    /// Sorted by file, line, column.
    pub findings: Vec<Hit>,
    /// Sorted by file.
    pub errors: Vec<FileError>,
    pub summary: Summary,
}

/// Streams `reader` through the detector in bounded windows, calling `on_match` with each
/// match (offsets relative to the window passed alongside), its 1-based line and its
/// 1-based byte column, in input order. Returns the number of bytes read.
pub fn scan_stream<R: Read>(
    mut reader: R,
    chunk_size: usize,
    mut on_match: impl FnMut(&PanMatch, u64, u64),
) -> io::Result<u64> {
    let chunk = chunk_size.max(1);
    // Allocated (and zeroed) once; `len` bytes of it hold the current window.
    let mut buf: Vec<u8> = vec![0; chunk + 2 * OVERLAP];
    let mut len = 0;
    let mut buf_abs: u64 = 0; // absolute offset of buf[0]
    let mut owned_from = 0; // index in buf where this window's owned bytes begin
    let mut lines = LineCounter::default();
    loop {
        let target = owned_from + chunk + OVERLAP;
        let eof = fill(&mut reader, &mut buf[..target], &mut len)?;
        let window = &buf[..len];
        let owned_to = if eof { len } else { len - OVERLAP };
        for m in find_pans(window) {
            if m.start < owned_from {
                continue;
            }
            if m.start >= owned_to {
                break;
            }
            lines.advance(window, buf_abs, m.start);
            let col = buf_abs + m.start as u64 - lines.line_start + 1;
            on_match(&m, lines.line, col);
        }
        lines.advance(window, buf_abs, owned_to);
        if eof {
            return Ok(buf_abs + len as u64);
        }
        let keep_from = owned_to.saturating_sub(OVERLAP);
        buf.copy_within(keep_from..len, 0);
        len -= keep_from;
        buf_abs += keep_from as u64;
        owned_from = owned_to - keep_from;
    }
}

/// Reads into `buf[*len..]` until it is full or the input ends; returns true at the end.
fn fill<R: Read>(reader: &mut R, buf: &mut [u8], len: &mut usize) -> io::Result<bool> {
    while *len < buf.len() {
        match reader.read(&mut buf[*len..]) {
            Ok(0) => return Ok(true),
            Ok(n) => *len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

/// Tracks the line number and line start up to a position, across windows.
struct LineCounter {
    /// Absolute offset up to which newlines have been counted.
    counted_to: u64,
    line: u64,
    /// Absolute offset of the current line's first byte.
    line_start: u64,
}

impl Default for LineCounter {
    fn default() -> Self {
        LineCounter {
            counted_to: 0,
            line: 1,
            line_start: 0,
        }
    }
}

impl LineCounter {
    /// Counts newlines up to `buf[to]` (exclusive); `buf_abs` is `buf[0]`'s offset.
    fn advance(&mut self, buf: &[u8], buf_abs: u64, to: usize) {
        let from = usize::try_from(self.counted_to.saturating_sub(buf_abs)).unwrap_or(usize::MAX);
        if let Some(slice) = buf.get(from..to) {
            for nl in memchr::memchr_iter(b'\n', slice) {
                self.line += 1;
                self.line_start = buf_abs + (from + nl) as u64 + 1;
            }
            self.counted_to = buf_abs + to as u64;
        }
    }
}

/// Opens an input for scanning: `-` is stdin; gzip data (magic bytes `1f 8b`) is
/// decompressed, whatever the file name.
fn open_input(path: &Path) -> io::Result<Box<dyn Read + Send>> {
    let raw: Box<dyn Read + Send> = if path.as_os_str() == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(path)?)
    };
    let mut reader = BufReader::with_capacity(64 * 1024, raw);
    let is_gzip = reader.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    Ok(if is_gzip {
        Box::new(MultiGzDecoder::new(reader))
    } else {
        Box::new(reader)
    })
}

/// The result of scanning one input.
struct FileResult {
    hits: Vec<Hit>,
    bytes: u64,
    error: Option<FileError>,
}

fn scan_one(path: &Path, opts: &ScanOptions) -> FileResult {
    let file = display_path(path);
    let mut hits = Vec::new();
    let mut bytes = 0;
    let outcome = open_input(path).and_then(|reader| {
        let mut counting = CountingReader {
            inner: reader,
            count: 0,
        };
        let r = scan_stream(&mut counting, opts.chunk_size, |m, line, column| {
            hits.push(Hit {
                file: file.clone(),
                line,
                column,
                brand: m.brand,
                masked: m.masked(opts.mask),
                test_card: m.is_test,
            });
        });
        bytes = counting.count;
        r
    });
    let error = outcome.err().map(|e| FileError {
        file: file.clone(),
        message: redact(&e.to_string()),
    });
    FileResult { hits, bytes, error }
}

/// Counts the bytes read, so a partial read still reports its size.
struct CountingReader<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

/// A path as shown in results: as given, with card-number-like digits masked.
fn display_path(path: &Path) -> String {
    redact(&path.to_string_lossy())
}

/// Expands the given paths into the inputs to scan: files as given (symlinks followed),
/// directories recursively (entries sorted; symlinked directories are not followed, to
/// avoid cycles, but symlinked files are scanned, as under `/var/log/containers`), `-` once.
fn collect_inputs(paths: &[PathBuf], errors: &mut Vec<FileError>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stdin_seen = false;
    for p in paths {
        if p.as_os_str() == "-" {
            if !stdin_seen {
                out.push(p.clone());
                stdin_seen = true;
            }
            continue;
        }
        match std::fs::metadata(p) {
            Ok(md) if md.is_dir() => walk_dir(p, &mut out, errors),
            Ok(_) => out.push(p.clone()),
            Err(e) => errors.push(FileError {
                file: display_path(p),
                message: redact(&e.to_string()),
            }),
        }
    }
    out
}

fn walk_dir(dir: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<FileError>) {
    let walk = files_under(dir, |_| true);
    out.extend(walk.files);
    errors.extend(walk.problems.into_iter().map(|p| FileError {
        file: display_path(&p.path),
        message: match p.step {
            WalkStep::FileType => "cannot read file type".into(),
            WalkStep::ReadDir | WalkStep::Entry | WalkStep::LinkTarget => redact(&p.error.to_string()),
        },
    }));
}

/// Scans files, directories (recursively) and `-` (stdin), in parallel across files.
///
/// Unreadable inputs become [`FileError`]s; the scan goes on with the rest.
pub fn scan_paths(paths: &[PathBuf], opts: &ScanOptions) -> ScanReport {
    let run = || scan_paths_here(paths, opts);
    match opts.threads {
        Some(n) => match rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
        {
            Ok(pool) => pool.install(run),
            Err(_) => run(),
        },
        None => run(),
    }
}

fn scan_paths_here(paths: &[PathBuf], opts: &ScanOptions) -> ScanReport {
    let mut errors = Vec::new();
    let inputs = collect_inputs(paths, &mut errors);
    let results: Vec<FileResult> = inputs.par_iter().map(|p| scan_one(p, opts)).collect();

    let mut summary = Summary::default();
    let mut findings = Vec::new();
    for r in results {
        summary.bytes_scanned += r.bytes;
        match r.error {
            Some(e) => errors.push(e),
            None => summary.files_scanned += 1,
        }
        findings.extend(r.hits);
    }
    findings.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    errors.sort_by(|a, b| (&a.file, &a.message).cmp(&(&b.file, &b.message)));
    for h in &findings {
        summary.findings += 1;
        summary.test_card_findings += u64::from(h.test_card);
        *summary.by_brand.entry(h.brand.name()).or_default() += 1;
    }
    summary.errors = errors.len() as u64;
    ScanReport {
        findings,
        errors,
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// (start offset, line, column) of every match, streaming with `chunk`.
    fn stream(data: &[u8], chunk: usize) -> Vec<(u64, u64, u64)> {
        let mut out = Vec::new();
        let mut consumed = 0u64;
        // Offsets in callbacks are window-relative; recover absolute ones from line/col.
        let line_starts: Vec<u64> = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', data).map(|i| i as u64 + 1))
            .collect();
        scan_stream(data, chunk, |_, line, col| {
            out.push((line_starts[(line - 1) as usize] + col - 1, line, col));
        })
        .map(|n| consumed = n)
        .unwrap();
        assert_eq!(consumed, data.len() as u64);
        out
    }

    fn whole(data: &[u8]) -> Vec<(u64, u64, u64)> {
        find_pans(data)
            .map(|m| {
                let line = 1 + memchr::memchr_iter(b'\n', &data[..m.start]).count() as u64;
                let ls = memchr::memrchr(b'\n', &data[..m.start]).map_or(0, |i| i + 1);
                (m.start as u64, line, (m.start - ls + 1) as u64)
            })
            .collect()
    }

    #[test]
    fn lines_and_columns() {
        let data = b"no card\n  4111111111111111 x\nab\n\n5555 5555 5555 4444";
        assert_eq!(stream(data, DEFAULT_CHUNK), vec![(10, 2, 3), (33, 5, 1)]);
        assert_eq!(stream(data, 1), stream(data, DEFAULT_CHUNK));
    }

    /// Text made of pieces that stress region parsing: PANs, groups, separators, glue.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("4111111111111111".to_string()),
            Just("4111 1111 1111 1111".to_string()),
            Just("3782-822463-10005".to_string()),
            Just("5555555555554444".to_string()),
            Just(" ".to_string()),
            Just("-".to_string()),
            Just("\n".to_string()),
            Just(".".to_string()),
            Just("x".to_string()),
            "[0-9]{1,6}",
            "[0-9 -]{1,30}",
        ]
    }

    proptest! {
        #[test]
        fn chunked_equals_whole(pieces in prop::collection::vec(piece(), 0..60), chunk in 1usize..300) {
            let data = pieces.concat().into_bytes();
            prop_assert_eq!(stream(&data, chunk), whole(&data));
        }
    }

    #[test]
    fn long_space_runs_across_chunks() {
        // A long run of short groups with cards at both ends; small chunks cut it often.
        let mut s = String::from("4111 1111 1111 1111");
        for i in 0..200 {
            s.push_str(&format!(" {:03}", i * 37 % 1000));
        }
        s.push_str(" 5555 5555 5555 4444\n");
        let expect = whole(s.as_bytes());
        assert_eq!(expect.len(), 2);
        for chunk in [1, 7, 64, 129, 500] {
            assert_eq!(stream(s.as_bytes(), chunk), expect, "chunk {chunk}");
        }
    }

    #[test]
    fn files_dirs_gzip_and_errors() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.log"), "x\ncard=4242424242424242\n").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"line1\nline2 pan 4000 0566 5566 5556 end\n")
            .unwrap();
        std::fs::write(dir.path().join("sub/b.log.1"), gz.finish().unwrap()).unwrap();
        std::fs::write(
            dir.path().join("sub/c.txt"),
            "nothing here 1234567890123456",
        )
        .unwrap();
        let missing = dir.path().join("missing.log");

        let report = scan_paths(
            &[dir.path().to_path_buf(), missing],
            &ScanOptions::default(),
        );
        let got: Vec<(u64, u64, &str, bool)> = report
            .findings
            .iter()
            .map(|h| (h.line, h.column, h.masked.as_str(), h.test_card))
            .collect();
        assert_eq!(
            got,
            vec![
                (2, 6, "424242******4242", true),
                (2, 11, "400005******5556", true)
            ]
        );
        assert!(report.findings[1].file.ends_with("b.log.1"));
        assert_eq!(report.summary.files_scanned, 3);
        assert_eq!(report.summary.findings, 2);
        assert_eq!(report.summary.test_card_findings, 2);
        assert_eq!(report.summary.by_brand.get("Visa"), Some(&2));
        assert_eq!(report.errors.len(), 1);
        assert!(report.errors[0].file.ends_with("missing.log"));
        assert_eq!(report.summary.errors, 1);
    }

    #[test]
    fn corrupt_gzip_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.gz");
        std::fs::write(&p, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3]).unwrap();
        let report = scan_paths(
            &[p],
            &ScanOptions {
                threads: Some(1),
                ..ScanOptions::default()
            },
        );
        assert_eq!(report.errors.len(), 1);
        assert_eq!(report.summary.files_scanned, 0);
    }

    #[test]
    fn card_number_in_a_path_is_masked() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("dump-4111111111111111.txt");
        std::fs::write(&p, "5555555555554444").unwrap();
        let report = scan_paths(&[p], &ScanOptions::default());
        assert_eq!(report.findings.len(), 1);
        assert!(!report.findings[0].file.contains("4111111111111111"));
        assert!(report.findings[0].file.contains("411111******1111"));
    }
}
