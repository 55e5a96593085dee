//! A one-line progress counter on stderr, shown only on a terminal (no extra dependency).

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

pub struct Progress {
    enabled: bool,
    state: Mutex<(usize, usize, usize)>,
}

impl Progress {
    pub fn new(wanted: bool, kinds: usize) -> Progress {
        Progress { enabled: wanted && std::io::stderr().is_terminal(), state: Mutex::new((0, kinds, 0)) }
    }

    /// One kind finished with `items` items.
    pub fn kind_done(&self, items: usize) {
        if !self.enabled {
            return;
        }
        if let Ok(mut s) = self.state.lock() {
            s.0 += 1;
            s.2 += items;
            let _ = write!(std::io::stderr(), "\rcollecting: {}/{} kinds, {} objects", s.0, s.1, s.2);
        }
    }

    pub fn finish(&self) {
        if self.enabled {
            let _ = writeln!(std::io::stderr());
        }
    }
}
