//! Dates without a date library: reports and access reviews need RFC 3339 timestamps,
//! exceptions need today's date. The conversions are pure; [`now_epoch`] is the one place
//! kubepci reads the clock.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch for this run: `SOURCE_DATE_EPOCH` when it is set to a whole
/// number (reproducible reports, snapshots and reviews), else the system clock.
pub fn now_epoch() -> i64 {
    epoch_from(std::env::var("SOURCE_DATE_EPOCH").ok().as_deref(), SystemTime::now())
}

/// The choice [`now_epoch`] makes, given the variable's value and the system time.
pub fn epoch_from(source_date_epoch: Option<&str>, system: SystemTime) -> i64 {
    if let Some(pinned) = source_date_epoch.and_then(|v| v.trim().parse().ok()) {
        return pinned;
    }
    system.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day) (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339(epoch: i64) -> String {
    let (y, m, d) = civil_from_days(epoch.div_euclid(86_400));
    let secs = epoch.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// `YYYY-MM-DD`.
pub fn date(epoch: i64) -> String {
    rfc3339(epoch)[..10].to_string()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_764_331_200), "2025-11-28T12:00:00Z");
        assert_eq!(rfc3339(1_798_502_399), "2026-12-28T23:59:59Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(date(1_709_164_800), "2024-02-29");
    }

    #[test]
    fn source_date_epoch_pins_the_clock() {
        let system = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        assert_eq!(epoch_from(Some("1700000000"), system), 1_700_000_000);
        assert_eq!(epoch_from(Some(" 1700000000\n"), system), 1_700_000_000);
        assert_eq!(epoch_from(Some("yesterday"), system), 1_800_000_000);
        assert_eq!(epoch_from(Some(""), system), 1_800_000_000);
        assert_eq!(epoch_from(None, system), 1_800_000_000);
        assert_eq!(epoch_from(None, UNIX_EPOCH - Duration::from_secs(5)), 0);
    }
}
