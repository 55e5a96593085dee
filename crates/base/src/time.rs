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

/// Days since 1970-01-01 of a proleptic Gregorian date (the inverse of `civil_from_days`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds since the epoch of a UTC calendar instant; `None` when a field is out of range.
pub fn epoch_of(year: i64, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> Option<i64> {
    let valid = (1..=12).contains(&month) && (1..=31).contains(&day) && hour < 24 && minute < 60 && second <= 60;
    valid.then(|| days_from_civil(year, month, day) * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second))
}

/// Milliseconds of a duration written as unit-suffixed integers, largest unit first or not
/// (`744h`, `1y2w`, `1h30m`, `90s`), each unit's length in milliseconds given by `units`
/// (a tool's own set: Loki's, Elasticsearch's, kubepci's rule windows). `"0"` is zero; any
/// other text (fractions, signs, unknown units, overflow) is `None`.
pub fn unit_duration_millis(text: &str, units: &[(&str, u64)]) -> Option<u64> {
    let text = text.trim();
    if text == "0" {
        return Some(0);
    }
    let mut rest = text;
    let mut millis: u64 = 0;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let (unit, after) = rest.split_at(unit_len);
        let (_, per) = units.iter().find(|(u, _)| *u == unit)?;
        millis = millis.checked_add(n.checked_mul(*per)?)?;
        rest = after;
    }
    (!text.is_empty()).then_some(millis)
}

/// An RFC 3339 timestamp as Kubernetes writes them (`2026-12-07T11:25:02Z`, optionally with
/// fractional seconds or a numeric offset), or a plain `YYYY-MM-DD`; `None` when malformed.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let s = s.trim();
    let num = |r: std::ops::Range<usize>| -> Option<u32> { s.get(r).filter(|t| t.bytes().all(|b| b.is_ascii_digit())).and_then(|t| t.parse().ok()) };
    if s.len() < 10 || s.as_bytes().get(4) != Some(&b'-') || s.as_bytes().get(7) != Some(&b'-') {
        return None;
    }
    let (year, month, day) = (i64::from(num(0..4)?), num(5..7)?, num(8..10)?);
    if s.len() == 10 {
        return epoch_of(year, month, day, 0, 0, 0);
    }
    if !matches!(s.as_bytes().get(10), Some(b'T' | b't' | b' ')) || s.as_bytes().get(13) != Some(&b':') || s.as_bytes().get(16) != Some(&b':') {
        return None;
    }
    let base = epoch_of(year, month, day, num(11..13)?, num(14..16)?, num(17..19)?)?;
    let mut rest = s.get(19..)?;
    if let Some(frac) = rest.strip_prefix('.') {
        rest = frac.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    match rest {
        "Z" | "z" => Some(base),
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (h, m) = rest[1..].split_once(':')?;
            let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
            Some(base - sign * (h * 3600 + m * 60))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn unit_durations_in_a_given_set_of_units() {
        const UNITS: &[(&str, u64)] = &[("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000)];
        assert_eq!(unit_duration_millis("1h30m", UNITS), Some(5_400_000));
        assert_eq!(unit_duration_millis(" 90s ", UNITS), Some(90_000));
        assert_eq!(unit_duration_millis("0", UNITS), Some(0));
        for odd in ["", "1.5h", "-1h", "+1h", "h", "10", "1w", "99999999999999999999d"] {
            assert_eq!(unit_duration_millis(odd, UNITS), None, "{odd}");
        }
    }

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
    fn rfc3339_round_trips() {
        for epoch in [0, 951_782_400, 1_764_331_200, 1_798_502_399, -1, 4_102_444_800] {
            assert_eq!(parse_rfc3339(&rfc3339(epoch)), Some(epoch));
        }
        assert_eq!(parse_rfc3339("2025-11-28T13:00:00.123+01:00"), Some(1_764_331_200));
        assert_eq!(parse_rfc3339("2024-02-29"), Some(1_709_164_800));
        for bad in ["", "2024", "2024-13-01", "2024-02-29T25:00:00Z", "2024-02-29T10:00:00", "2024-02-29T10:00:00+x", "\u{e9}\u{e9}\u{e9}-02-29T10:00:00Z"] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
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
