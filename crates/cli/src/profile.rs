//! `KUBEPCI_PROFILE=1` stage timings: the one implementation lives in `kubepci_checks::profile`
//! (the runner times each check through it); the CLI marks its own stages with the same clock.

pub use kubepci_checks::profile::{enabled, mark, timed};
