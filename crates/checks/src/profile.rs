//! `KUBEPCI_PROFILE=1` prints how long each pipeline stage, shared analysis and check took,
//! to stderr. For benchmarks and performance work only; tests never depend on it. The one
//! place the variable is read: the CLI marks its stages and the runner times each check
//! through these functions.

use std::sync::OnceLock;
use std::time::Instant;

fn start() -> Option<Instant> {
    static START: OnceLock<Option<Instant>> = OnceLock::new();
    *START.get_or_init(|| std::env::var_os("KUBEPCI_PROFILE").is_some().then(Instant::now))
}

/// Start the clock (the first call decides whether profiling is on).
pub fn enabled() -> bool {
    start().is_some()
}

/// Print the elapsed time since the start with a stage label, when profiling is on.
pub fn mark(stage: &str) {
    if let Some(t) = start() {
        eprintln!("profile: {stage} done at {:.3}s{}{}", t.elapsed().as_secs_f64(), cpu_time(), resident_memory());
    }
}

/// Run `compute`, printing `profile: {what} N.NNNs` (its own time) when profiling is on: for
/// parts that run side by side, where stage marks cannot tell them apart.
pub fn timed<T>(what: &str, compute: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = compute();
    if enabled() {
        eprintln!("profile: {what} {:.3}s", start.elapsed().as_secs_f64());
    }
    out
}

/// ", rss N MB" where the platform tells (Linux `/proc`), else nothing: memory first touched
/// is a large share of wall time at scale, so each stage's growth is worth seeing.
fn resident_memory() -> String {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else { return String::new() };
    match statm.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()) {
        Some(pages) => format!(", rss {} MB", pages * 4096 / 1_000_000),
        None => String::new(),
    }
}

/// ", cpu U+S s" (user and system CPU of the whole process so far) where Linux `/proc` tells:
/// a stage's CPU against its wall time shows how well it used the cores.
fn cpu_time() -> String {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return String::new() };
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let Some((_, rest)) = stat.rsplit_once(')') else { return String::new() };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).map(|t| t / 100.0);
    match (ticks(11), ticks(12)) {
        (Some(user), Some(system)) => format!(", cpu {user:.2}+{system:.2} s"),
        _ => String::new(),
    }
}
