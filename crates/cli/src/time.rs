//! The clock of a run. `SOURCE_DATE_EPOCH` pins it for reproducible reports and tests; the
//! conversions live in `kubepci_model::time`.

use std::time::{SystemTime, UNIX_EPOCH};

pub use kubepci_model::time::{date, rfc3339};

/// Seconds since the Unix epoch: `SOURCE_DATE_EPOCH` when set, else the system clock.
pub fn now_epoch() -> i64 {
    if let Some(s) = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|v| v.trim().parse().ok()) {
        return s;
    }
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
