//! `KUBEPCI_PROFILE=1` prints how long each pipeline stage took, to stderr. For benchmarks
//! and performance work only; tests never depend on it.

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
        eprintln!("profile: {stage} done at {:.3}s", t.elapsed().as_secs_f64());
    }
}
