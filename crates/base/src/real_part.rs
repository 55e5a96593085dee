//! Finding the real programs some tests drive (a browser, a database server) instead of mocks.
//!
//! A test asks for its program with [`require`]. Where the program is missing the test skips
//! with a message, except when `KUBEPCI_REQUIRE_REAL_PARTS=1` (set by `scripts/test.sh`, the
//! README's test command, and therefore by CI): then it fails, so a real part is never skipped
//! silently where it is expected.

use std::path::{Path, PathBuf};

/// The environment variable that turns a missing real part from a skip into a failure.
pub const REQUIRE_ENV: &str = "KUBEPCI_REQUIRE_REAL_PARTS";

/// The first of `candidates` found (a bare name is looked up on `PATH`, a path is taken as
/// it is). `None` means: skip the test (a line saying so is printed). Panics when none is found
/// and real parts are required.
pub fn require(what: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Some(found) = candidates.iter().find_map(|c| locate(c)) {
        return Some(found);
    }
    let message = format!(
        "{what} not found (looked for {}); install it or run scripts/test.sh",
        candidates.join(", ")
    );
    if required() {
        panic!("{message} ({REQUIRE_ENV}=1)");
    }
    eprintln!("skipped: {message}");
    None
}

/// Whether missing real parts fail the tests (`KUBEPCI_REQUIRE_REAL_PARTS=1`).
pub fn required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1")
}

fn locate(candidate: &str) -> Option<PathBuf> {
    if candidate.contains('/') {
        let path = Path::new(candidate);
        return path.is_file().then(|| path.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(candidate))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_program_on_path_and_an_absolute_path() {
        assert!(locate("sh").is_some());
        assert!(locate("/bin/sh").is_some());
        assert!(locate("/nonexistent/kubepci-no-such-program").is_none());
        assert!(locate("kubepci-no-such-program").is_none());
    }
}
