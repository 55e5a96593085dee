//! Reading audit logs: files (plain or gzip, recognised by their magic bytes), stdin, rotated
//! sets put in time order, and `--follow` on a growing file. Files are read in blocks of whole
//! lines and the blocks of a batch are analysed in parallel, so memory stays bounded by the
//! batch (a few blocks per core) whatever the log's size.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use flate2::read::MultiGzDecoder;
use serde::Serialize;

use crate::analyze::{Activity, Alert, Completeness, Diagnostic, Engine, State};
use crate::parse::parse_document;

/// Bytes per block of lines.
const BLOCK: usize = 4 << 20;
/// Room kept in a block buffer for the partial line carried over from the previous block.
const CARRY_ROOM: usize = 64 << 10;
/// A whole-document JSON file (an `EventList`, a JSON array) larger than this is refused.
const MAX_DOCUMENT: u64 = 1 << 30;

/// One log to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Path(PathBuf),
    Stdin,
}

impl Input {
    pub fn name(&self) -> String {
        match self {
            Input::Path(p) => p.display().to_string(),
            Input::Stdin => "<stdin>".into(),
        }
    }
}

#[derive(Debug)]
pub enum AnalyzeError {
    /// A file that cannot be opened or read.
    Io(String),
    /// A file with lines, none of which is an audit event.
    NotAudit(String),
}

impl std::fmt::Display for AnalyzeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnalyzeError::Io(m) | AnalyzeError::NotAudit(m) => f.write_str(m),
        }
    }
}
impl std::error::Error for AnalyzeError {}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileSummary {
    pub name: String,
    /// Bytes read (after decompression).
    pub bytes: u64,
    pub lines: u64,
    pub events: u64,
    pub bad_lines: u64,
}

/// Everything one analysis found.
#[derive(Debug)]
pub struct Report {
    pub alerts: Vec<Alert>,
    pub activity: Vec<Activity>,
    pub completeness: Completeness,
    pub diagnostics: Vec<Diagnostic>,
    pub diagnostics_total: u64,
    pub files: Vec<FileSummary>,
    /// First and last event time (microseconds, text).
    pub window: Option<crate::analyze::Window>,
    /// Alerts beyond the engine's limit, not listed: rule id → (severity, count).
    pub unlisted: std::collections::BTreeMap<String, (crate::rules::Severity, u64)>,
}

/// Analyse the inputs in order (rotated sets should be put in order with [`order_by_time`]).
pub fn analyze_inputs(inputs: &[Input], engine: &Engine) -> Result<Report, AnalyzeError> {
    let mut state = State::default();
    state.max_alerts = engine.max_alerts();
    state.reserve_listed();
    let mut files = Vec::new();
    for input in inputs {
        let summary = analyze_input(input, engine, &mut state)?;
        files.push(summary);
    }
    let parts = state.into_parts(engine.rules());
    Ok(Report {
        alerts: parts.alerts,
        activity: parts.activity,
        completeness: parts.completeness,
        diagnostics: parts.diagnostics,
        diagnostics_total: parts.diagnostics_total,
        files,
        window: parts.window,
        unlisted: parts.unlisted,
    })
}

fn open(input: &Input) -> Result<Box<dyn BufRead + Send>, AnalyzeError> {
    let raw: Box<dyn Read + Send> = match input {
        Input::Stdin => Box::new(std::io::stdin()),
        Input::Path(p) => Box::new(std::fs::File::open(p).map_err(|e| AnalyzeError::Io(format!("{}: cannot read: {e}", p.display())))?),
    };
    let mut reader = BufReader::with_capacity(1 << 16, raw);
    let is_gzip = reader.fill_buf().map_err(|e| AnalyzeError::Io(format!("{}: cannot read: {e}", input.name())))?.starts_with(&[0x1f, 0x8b]);
    Ok(if is_gzip { Box::new(BufReader::with_capacity(1 << 16, MultiGzDecoder::new(reader))) } else { Box::new(reader) })
}

fn io_error(name: &str, e: std::io::Error) -> AnalyzeError {
    AnalyzeError::Io(format!("{name}: cannot read: {e}"))
}

/// Analyse one input into `state`.
pub fn analyze_input(input: &Input, engine: &Engine, state: &mut State) -> Result<FileSummary, AnalyzeError> {
    let name: Arc<str> = Arc::from(input.name());
    let mut reader = open(input)?;
    let before_events = state.completeness.events;
    let before_bad = state.diagnostics_total;
    let first_bad = state.diagnostics.len();
    let mut summary = FileSummary { name: name.to_string(), bytes: 0, lines: 0, events: 0, bad_lines: 0 };
    if is_document(&mut reader).map_err(|e| io_error(&name, e))? {
        let mut doc = Vec::new();
        reader.by_ref().take(MAX_DOCUMENT + 1).read_to_end(&mut doc).map_err(|e| io_error(&name, e))?;
        if doc.len() as u64 > MAX_DOCUMENT {
            return Err(AnalyzeError::Io(format!("{name}: a single JSON document larger than 1 GiB; write it as JSON Lines")));
        }
        summary.bytes = doc.len() as u64;
        summary.lines = memchr::memchr_iter(b'\n', &doc).count() as u64 + 1;
        if let Err(message) = parse_document(&doc, &mut |e| engine.event(state, e, &name, 1)) {
            engine.diagnostic(state, &name, 1, message);
        }
    } else {
        read_blocks(&mut reader, &name, engine, state, &mut summary)?;
    }
    summary.events = state.completeness.events - before_events;
    summary.bad_lines = state.diagnostics_total - before_bad;
    if summary.events == 0 && summary.bad_lines > 0 {
        let why = state.diagnostics.get(first_bad).map(|d| format!("line {}: {}", d.line, d.message)).unwrap_or_default();
        return Err(AnalyzeError::NotAudit(format!("{name}: not Kubernetes audit events ({why})")));
    }
    Ok(summary)
}

/// Whether the input is one JSON document (an array, or a pretty-printed object) rather than
/// JSON Lines: judged on its first line.
fn is_document(reader: &mut Box<dyn BufRead + Send>) -> std::io::Result<bool> {
    let buf = reader.fill_buf()?;
    let start = buf.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(buf.len());
    let rest = &buf[start..];
    if rest.first() == Some(&b'[') {
        return Ok(true);
    }
    let first_line = rest.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let first_line = first_line.trim_ascii_end();
    Ok(rest.first() == Some(&b'{') && !first_line.ends_with(b"}") && memchr::memchr(b'\n', rest).is_some())
}

/// Blocks of whole lines read from a stream into buffers the caller hands in: the partial last
/// line is carried to the next block.
struct BlockReader<'r> {
    reader: &'r mut Box<dyn BufRead + Send>,
    carry: Vec<u8>,
    next_line: u64,
    eof: bool,
    bytes: u64,
    lines: u64,
}

impl BlockReader<'_> {
    /// Fill `block` with the next whole lines and return the number of the first; `None` at
    /// the end (`block` is then empty).
    fn next_block(&mut self, block: &mut Vec<u8>) -> std::io::Result<Option<u64>> {
        while !self.eof {
            block.clear();
            block.extend_from_slice(&self.carry);
            self.carry.clear();
            // Room for the block and read_to_end's end-of-file probe: a full buffer would be
            // doubled (a fresh allocation, copied) just to learn that the block was complete.
            block.reserve(BLOCK + 64);
            let got = self.reader.by_ref().take(BLOCK as u64).read_to_end(block)?;
            self.eof = got == 0;
            self.bytes += got as u64;
            // Keep a partial last line for the next block.
            if !self.eof {
                match memchr::memrchr(b'\n', block) {
                    Some(end) => self.carry.extend_from_slice(&block[end + 1..]),
                    None => {
                        // No line end yet: all of it waits for the next read.
                        std::mem::swap(&mut self.carry, block);
                        continue;
                    }
                }
                let end = block.len() - self.carry.len();
                block.truncate(end);
            }
            if block.is_empty() {
                continue;
            }
            let first = self.next_line;
            let lines = memchr::memchr_iter(b'\n', block).count() as u64 + u64::from(!block.ends_with(b"\n"));
            self.next_line += lines;
            self.lines += lines;
            return Ok(Some(first));
        }
        block.clear();
        Ok(None)
    }
}

/// A block handed to a worker: its place in the file, its first line's number, its bytes, and
/// the (empty) state to analyse it into.
struct Work {
    seq: u64,
    first_line: u64,
    block: Vec<u8>,
    state: State,
}

/// A worker's answer: the block analysed into its state (or the panic that stopped it).
type Done = (u64, Vec<u8>, std::thread::Result<State>);

/// Read, analyse and merge as a pipeline without barriers: this thread reads blocks and merges
/// the analysed ones in file order, while one worker per core analyses blocks as they come.
/// Batches with a join at their end (the earlier design) left a core idle whenever a batch's
/// blocks or its merge finished unevenly; here the workers only wait when no block is read yet.
fn read_blocks(reader: &mut Box<dyn BufRead + Send>, name: &Arc<str>, engine: &Engine, state: &mut State, summary: &mut FileSummary) -> Result<(), AnalyzeError> {
    let workers = rayon::current_num_threads().max(1);
    // Blocks read and not yet merged: enough that a worker finds the next one read while the
    // merge of an earlier one waits for a slower neighbour; memory is bounded by it (each a
    // 4 MB buffer and a block state).
    let depth = 2 * workers + 2;
    let mut blocks = BlockReader { reader, carry: Vec::new(), next_line: 1, eof: false, bytes: 0, lines: 0 };
    let (work_tx, work_rx) = std::sync::mpsc::channel::<Work>();
    let work_rx = std::sync::Mutex::new(work_rx);
    let (done_tx, done_rx) = std::sync::mpsc::channel::<Done>();
    let result = std::thread::scope(|scope| {
        // Owned here, so that leaving this closure (an error, a worker's panic) closes the
        // queue and the workers return.
        let work_tx = work_tx;
        for _ in 0..workers {
            let done_tx = done_tx.clone();
            let work_rx = &work_rx;
            scope.spawn(move || {
                loop {
                    // The lock is held only while waiting for the next block.
                    let next = match work_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(Work { seq, first_line, block, mut state }) = next else { return };
                    let analysed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        process_lines(engine, name, &block, first_line, &mut state);
                        state
                    }));
                    if done_tx.send((seq, block, analysed)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        let mut spare_blocks: Vec<Vec<u8>> = Vec::new();
        // Block states, emptied by the merge and used again (their maps keep their room).
        let mut spare_states: Vec<State> = Vec::new();
        // Analysed blocks waiting for an earlier one, so that merges follow the file's order.
        let mut waiting: BTreeMap<u64, State> = BTreeMap::new();
        let (mut sent, mut merged) = (0u64, 0u64);
        loop {
            while !blocks.eof && sent - merged < depth as u64 {
                // Room for a block and a carried partial line of up to 64 KiB, so that a reused
                // buffer does not grow (a realloc copied and page-faulted 4 MB) for a longer carry.
                let mut block = spare_blocks.pop().unwrap_or_else(|| Vec::with_capacity(BLOCK + CARRY_ROOM));
                let Some(first_line) = blocks.next_block(&mut block).map_err(|e| io_error(name, e))? else {
                    spare_blocks.push(block);
                    break;
                };
                let mut s = spare_states.pop().unwrap_or_default();
                // The merged state only ever grows: once full, it is full when this block merges.
                s.merges_into_full = state.is_full();
                if work_tx.send(Work { seq: sent, first_line, block, state: s }).is_err() {
                    break;
                }
                sent += 1;
            }
            if merged == sent {
                return Ok(());
            }
            let Ok((seq, block, analysed)) = done_rx.recv() else { return Ok(()) };
            spare_blocks.push(block);
            match analysed {
                Ok(s) => {
                    waiting.insert(seq, s);
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
            while let Some(mut s) = waiting.remove(&merged) {
                state.merge_from(&mut s);
                spare_states.push(s);
                merged += 1;
            }
        }
    });
    summary.bytes += blocks.bytes;
    summary.lines += blocks.lines;
    result
}

/// Apply the engine to every line of a block of whole lines.
pub fn process_block(engine: &Engine, name: &Arc<str>, block: &[u8], first_line: u64) -> State {
    let mut state = State::default();
    process_lines(engine, name, block, first_line, &mut state);
    state
}

fn process_lines(engine: &Engine, name: &Arc<str>, block: &[u8], first_line: u64, state: &mut State) {
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', block).chain((!block.ends_with(b"\n")).then_some(block.len()));
    for (line_no, end) in (first_line..).zip(ends) {
        let line = &block[start..end];
        start = end + 1;
        let trimmed = line.trim_ascii();
        if !trimmed.is_empty()
            && let Err(message) = parse_document(trimmed, &mut |e| engine.event(state, e, name, line_no))
        {
            engine.diagnostic(state, name, line_no, message);
        }
    }
}

/// Hand every event of an input to `f` in order, on one thread (for passes that follow one
/// identity, such as `audit rbac`). Lines that are not events are returned as diagnostics; a
/// file with lines but no event is an error.
pub fn for_each_event(input: &Input, f: &mut dyn FnMut(&crate::event::Event<'_>)) -> Result<Vec<Diagnostic>, AnalyzeError> {
    let name: Arc<str> = Arc::from(input.name());
    let reader = open(input)?;
    let mut diagnostics = Vec::new();
    let mut events = 0u64;
    for (i, line) in reader.split(b'\n').enumerate() {
        let line = line.map_err(|e| io_error(&name, e))?;
        let trimmed = line.trim_ascii();
        if trimmed.is_empty() {
            continue;
        }
        match parse_document(trimmed, &mut |e| f(e)) {
            Ok(n) => events += n as u64,
            Err(message) => diagnostics.push(Diagnostic { file: name.clone(), line: i as u64 + 1, message }),
        }
    }
    if events == 0 && let Some(d) = diagnostics.first() {
        return Err(AnalyzeError::NotAudit(format!("{name}: not Kubernetes audit events (line {}: {})", d.line, d.message)));
    }
    Ok(diagnostics)
}

/// Put a rotated set (`audit.log`, `audit.log.1`, `audit-2026-12-06T10-00-00.log.gz`, …) in
/// time order: by each file's first event time; files without a readable time go by their
/// rotation number (higher is older), then name.
pub fn order_by_time(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut keyed: Vec<(Option<i64>, std::cmp::Reverse<u64>, PathBuf)> =
        paths.iter().map(|p| (first_event_time(p), std::cmp::Reverse(rotation_number(p)), p.clone())).collect();
    keyed.sort_by(|a, b| match (a.0, b.0) {
        (Some(x), Some(y)) => (x, &a.2).cmp(&(y, &b.2)),
        _ => (a.1, &a.2).cmp(&(b.1, &b.2)),
    });
    keyed.into_iter().map(|(_, _, p)| p).collect()
}

/// `audit.log.3` and `audit.log.3.gz` → 3; anything else → 0.
fn rotation_number(p: &Path) -> u64 {
    let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    name.rsplit('.').next().and_then(|n| n.parse().ok()).unwrap_or(0)
}

/// The time of the first event among a file's first lines.
fn first_event_time(p: &Path) -> Option<i64> {
    let reader = open(&Input::Path(p.to_path_buf())).ok()?;
    for line in reader.split(b'\n').take(100) {
        let line = line.ok()?;
        let mut found = None;
        let _ = parse_document(&line, &mut |e| {
            if found.is_none() {
                found = crate::time::parse_micros(e.time());
            }
        });
        if found.is_some() {
            return found;
        }
    }
    None
}

/// Follow a growing file (`tail -f`): analyse what is there, then what is appended, handing
/// each batch of new alerts and diagnostics to `on_new`, until it returns false. A file that
/// shrinks (rotated, truncated) is read again from its start.
pub fn follow(path: &Path, engine: &Engine, poll: Duration, on_new: &mut dyn FnMut(Vec<Alert>, Vec<Diagnostic>) -> bool) -> Result<State, AnalyzeError> {
    let name: Arc<str> = Arc::from(path.display().to_string());
    let mut state = State::default();
    state.track_fresh = true;
    state.max_alerts = engine.max_alerts();
    let mut offset = 0u64;
    let mut next_line = 1u64;
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let mut file = std::fs::File::open(path).map_err(|e| io_error(&name, e))?;
        let len = file.metadata().map_err(|e| io_error(&name, e))?.len();
        if len < offset {
            offset = 0;
            next_line = 1;
            pending.clear();
        }
        file.seek(SeekFrom::Start(offset)).map_err(|e| io_error(&name, e))?;
        let mut fresh = Vec::new();
        file.take(64 << 20).read_to_end(&mut fresh).map_err(|e| io_error(&name, e))?;
        offset += fresh.len() as u64;
        pending.extend_from_slice(&fresh);
        let diagnostics_before = state.diagnostics.len();
        if let Some(end) = memchr::memrchr(b'\n', &pending) {
            let rest = pending.split_off(end + 1);
            let complete = std::mem::replace(&mut pending, rest);
            let lines = memchr::memchr_iter(b'\n', &complete).count() as u64;
            process_lines(engine, &name, &complete[..complete.len() - 1], next_line, &mut state);
            next_line += lines;
        }
        let alerts = state.take_fresh();
        let diagnostics = state.diagnostics[diagnostics_before..].to_vec();
        if !on_new(alerts, diagnostics) {
            return Ok(state);
        }
        if fresh.is_empty() {
            std::thread::sleep(poll);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Context, RuleSet};
    use std::io::Write;

    fn engine() -> Engine {
        Engine::new(RuleSet::builtin(), Context::default())
    }

    const EXEC: &str = r#"{"auditID":"a1","stage":"ResponseStarted","verb":"create","user":{"username":"alice"},"objectRef":{"resource":"pods","subresource":"exec","namespace":"shop","name":"api"},"responseStatus":{"code":101},"requestReceivedTimestamp":"2026-12-01T10:00:00Z"}"#;

    fn exec_completed() -> String {
        EXEC.replace("ResponseStarted", "ResponseComplete")
    }

    #[test]
    fn stages_of_one_request_make_one_alert_and_bad_lines_are_reported_with_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        std::fs::write(&path, format!("{EXEC}\nnot json\n\n{}\n{{\"verb\":\"get\"}}\n", exec_completed())).unwrap();
        let report = analyze_inputs(&[Input::Path(path.clone())], &engine()).unwrap();
        let exec: Vec<_> = report.alerts.iter().filter(|a| a.rule == "AUD-EXEC").collect();
        assert_eq!(exec.len(), 1);
        assert_eq!((exec[0].line, exec[0].user.as_str()), (1, "alice"));
        assert_eq!(report.diagnostics.len(), 1);
        assert_eq!(report.diagnostics[0].to_string(), format!("{}:2: invalid JSON: expected ident at line 1 column 2", path.display()));
        assert_eq!(report.files[0].events, 3);
        assert_eq!(report.files[0].lines, 5);
        assert_eq!(report.completeness.missing_user, 1);
    }

    #[test]
    fn a_file_without_events_is_an_error_and_gzip_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.json");
        std::fs::write(&junk, "{\"kind\": 0}").unwrap();
        let err = analyze_inputs(&[Input::Path(junk)], &engine()).unwrap_err();
        assert!(err.to_string().contains("not Kubernetes audit events (line 1: not a Kubernetes audit event"), "{err}");
        let gz = dir.path().join("audit.log.1.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(EXEC.as_bytes()).unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        let report = analyze_inputs(&[Input::Path(gz)], &engine()).unwrap();
        assert_eq!(report.alerts.iter().filter(|a| a.rule == "AUD-EXEC").count(), 1);
    }

    #[test]
    fn pretty_printed_event_lists_are_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("list.json");
        let list = format!("{{\n  \"kind\": \"EventList\",\n  \"items\": [\n{EXEC}\n]\n}}\n");
        std::fs::write(&path, list).unwrap();
        let report = analyze_inputs(&[Input::Path(path)], &engine()).unwrap();
        assert_eq!(report.files[0].events, 1);
    }

    #[test]
    fn rotated_sets_are_ordered_by_first_event_time() {
        let dir = tempfile::tempdir().unwrap();
        let at = |t: &str| EXEC.replace("2026-12-01T10:00:00Z", t);
        let current = dir.path().join("audit.log");
        let older = dir.path().join("audit.log.1");
        let oldest = dir.path().join("audit.log.2");
        std::fs::write(&current, at("2026-12-03T00:00:00Z")).unwrap();
        std::fs::write(&older, at("2026-12-02T00:00:00Z")).unwrap();
        std::fs::write(&oldest, at("2026-12-01T00:00:00Z")).unwrap();
        assert_eq!(order_by_time(&[current.clone(), older.clone(), oldest.clone()]), [oldest.clone(), older.clone(), current.clone()]);
        // Without times, the rotation number decides.
        for p in [&current, &older, &oldest] {
            std::fs::write(p, "{}").unwrap();
        }
        assert_eq!(order_by_time(&[current.clone(), oldest.clone(), older.clone()]), [oldest, older, current]);
    }

    /// A log of `n` exec requests with distinct audit ids, one per line, in a temporary directory.
    fn exec_log(n: usize) -> (tempfile::TempDir, std::path::PathBuf) {
        let mut text = String::new();
        for i in 0..n {
            text.push_str(&EXEC.replace("\"a1\"", &format!("\"id{i}\"")));
            text.push('\n');
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.log");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn many_blocks_keep_line_numbers_and_merge() {
        // More than one block per batch: line numbers must continue across blocks.
        let n = 2 * BLOCK / EXEC.len() + 10;
        let (_dir, path) = exec_log(n);
        let report = analyze_inputs(&[Input::Path(path)], &engine()).unwrap();
        let exec: Vec<_> = report.alerts.iter().filter(|a| a.rule == "AUD-EXEC").collect();
        assert_eq!(exec.len(), n);
        let mut lines: Vec<u64> = exec.iter().map(|a| a.line).collect();
        lines.sort();
        assert_eq!(lines, (1..=n as u64).collect::<Vec<_>>());
    }

    #[test]
    fn blocks_merge_in_file_order_whichever_worker_finishes_first() {
        // Blocks are analysed concurrently; with a limit, the alerts listed must still be the
        // earliest requests of the file, which only holds if merges follow the file's order.
        let n = 3 * BLOCK / EXEC.len() + 10;
        let (_dir, path) = exec_log(n);
        let limit = n / 2;
        let report = analyze_inputs(&[Input::Path(path)], &engine().with_max_alerts(limit)).unwrap();
        assert_eq!(report.alerts.len(), limit);
        let lines: std::collections::BTreeSet<u64> = report.alerts.iter().map(|a| a.line).collect();
        let last = lines.last().copied().unwrap_or(0);
        assert!(last > BLOCK as u64 / EXEC.len() as u64, "the listed alerts span more than one block: {last}");
        assert_eq!(lines.into_iter().collect::<Vec<_>>(), (1..=last).collect::<Vec<_>>(), "a prefix of the file");
        assert_eq!(report.files[0].lines, n as u64);
        assert_eq!(report.completeness.events, n as u64);
    }

    #[test]
    fn alerts_beyond_the_limit_are_counted_not_kept() {
        let mut text = String::new();
        for i in 0..10 {
            // Two stages of each request: still one alert (listed or counted) per request.
            for stage in ["ResponseStarted", "ResponseComplete"] {
                text.push_str(&EXEC.replace("\"a1\"", &format!("\"id{i}\"")).replace("ResponseStarted", stage));
                text.push('\n');
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, text).unwrap();
        let report = analyze_inputs(&[Input::Path(path)], &Engine::new(RuleSet::builtin(), Context::default()).with_max_alerts(3)).unwrap();
        assert_eq!(report.alerts.len(), 3);
        let unlisted: u64 = report.unlisted.values().map(|(_, n)| n).sum();
        assert_eq!(report.alerts.len() as u64 + unlisted, 10, "10 exec requests, each once");
    }

    #[test]
    fn follow_reports_appended_alerts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        std::fs::write(&path, format!("{EXEC}\n")).unwrap();
        let mut rounds = 0;
        let mut seen = Vec::new();
        follow(&path, &engine(), Duration::from_millis(1), &mut |alerts, _| {
            seen.extend(alerts.into_iter().map(|a| (a.rule, a.line)));
            rounds += 1;
            if rounds == 1 {
                let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
                writeln!(f, "{}", EXEC.replace("\"a1\"", "\"a2\"").replace("alice", "bob")).unwrap();
            }
            rounds < 3
        })
        .unwrap();
        assert!(seen.contains(&("AUD-EXEC".to_string(), 1)) && seen.contains(&("AUD-EXEC".to_string(), 2)), "{seen:?}");
    }
}
