//! Scanner timestamps to epoch seconds: RFC 3339 (with or without fractions and offsets) and
//! plain dates.

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2024-03-05`, `2024-03-05T10:11:12Z`, `2024-03-05T10:11:12.123456789+02:00`,
/// `2024-03-05 10:11:12 +0000 UTC` → epoch seconds; `None` when it is not a date.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut epoch = days_from_civil(y, m as u32, d as u32) * 86_400;
    if b.len() >= 19 && (b[10] == b'T' || b[10] == b't' || b[10] == b' ') {
        let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
        epoch += h * 3600 + mi * 60 + se;
        // Skip fractions, then read an offset.
        let mut rest = &s[19..];
        if let Some(r) = rest.strip_prefix('.') {
            rest = r.trim_start_matches(|c: char| c.is_ascii_digit());
        }
        let rest = rest.trim_start();
        if let Some(sign) = rest.chars().next().filter(|c| *c == '+' || *c == '-') {
            let digits: String = rest[1..].chars().filter(|c| c.is_ascii_digit()).take(4).collect();
            if digits.len() == 4 {
                let off = digits[..2].parse::<i64>().ok()? * 3600 + digits[2..].parse::<i64>().ok()? * 60;
                epoch += if sign == '+' { -off } else { off };
            }
        }
    }
    Some(epoch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_of_every_scanner() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_timestamp("2023-11-14T22:13:20Z"), Some(1_700_000_000));
        assert_eq!(parse_timestamp("2023-11-14T22:13:20.123456789Z"), Some(1_700_000_000));
        assert_eq!(parse_timestamp("2023-11-15T00:13:20+02:00"), Some(1_700_000_000));
        assert_eq!(parse_timestamp("2023-11-14 22:13:20 +0000 UTC"), Some(1_700_000_000));
        assert_eq!(parse_timestamp("2000-02-29"), Some(951_782_400));
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(parse_timestamp("2024-13-01"), None);
        assert_eq!(parse_timestamp("é"), None);
    }
}
