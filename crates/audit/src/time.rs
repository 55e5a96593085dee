//! RFC 3339 timestamps as audit events write them, to microseconds since the epoch.

/// `2026-12-07T11:25:02.123456Z` (or with an offset) as microseconds since 1970; `None` when
/// the text is not such a timestamp.
pub fn parse_micros(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    after_minute(b, minute_seconds(b)?)
}

/// The minute of the last time [`parse_micros_cached`] read (its first 16 bytes, checked) and
/// its seconds since the epoch: a log is in time order, so most events share their minute with
/// the one before, and the date arithmetic is done once a minute instead of once an event.
#[derive(Clone, Debug, Default)]
pub struct MinuteCache {
    minute: Option<([u8; 16], i64)>,
}

/// [`parse_micros`], with the minute's part taken from `cache` when it is the same.
pub fn parse_micros_cached(s: &str, cache: &mut MinuteCache) -> Option<i64> {
    let b = s.as_bytes();
    let prefix: &[u8; 16] = b.get(..16)?.try_into().ok()?;
    if b.len() < 19 {
        return None;
    }
    let seconds = match cache.minute {
        Some((cached, seconds)) if cached == *prefix => seconds,
        _ => {
            let seconds = minute_seconds(b)?;
            cache.minute = Some((*prefix, seconds));
            seconds
        }
    };
    after_minute(b, seconds)
}

/// `YYYY-MM-DDThh:mm` (the first 16 bytes of `b`, which has at least 19) as seconds since 1970.
fn minute_seconds(b: &[u8]) -> Option<i64> {
    if b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ') || b[13] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { int(&b[r]) };
    let (y, mo, d, h, mi) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60)
}

/// The rest of a timestamp after its minute (`:ss[.ffffff](Z|±hh:mm)`, from byte 16), added to
/// the minute's seconds, in microseconds.
fn after_minute(b: &[u8], minute: i64) -> Option<i64> {
    let num = |r: std::ops::Range<usize>| -> Option<i64> { int(&b[r]) };
    if b[16] != b':' {
        return None;
    }
    let sec = num(17..19)?;
    if sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut micros = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let mut scale = 100_000i64;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            micros += i64::from(c - b'0') * scale;
            scale /= 10;
            i += 1;
        }
    }
    let offset_secs = match b.get(i) {
        Some(b'Z' | b'z') | None => 0,
        Some(sign @ (b'+' | b'-')) if b.len() >= i + 6 => {
            let off = num(i + 1..i + 3)? * 3600 + num(i + 4..i + 6)? * 60;
            if *sign == b'+' { off } else { -off }
        }
        _ => return None,
    };
    Some(((minute + sec - offset_secs) * 1_000_000) + micros)
}

/// What `str::parse::<i64>` makes of a few bytes (an optional sign, then digits), without
/// checking UTF-8 and dispatching on the radix for every field of every event's time.
fn int(b: &[u8]) -> Option<i64> {
    let (negative, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 18 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = digits.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
    Some(if negative { -value } else { value })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_as_str_parse_reads_them() {
        for text in ["07", "2026", "+5", "-1", "00", "", "+", "-", "1a", " 1", "1.", "é", "999999999999999999"] {
            assert_eq!(int(text.as_bytes()), text.parse::<i64>().ok(), "{text:?}");
        }
        assert_eq!(int(&[0xff, b'1']), None);
    }

    #[test]
    fn parses_audit_timestamps() {
        assert_eq!(parse_micros("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_micros("2018-10-26T13:38:34.867116Z"), Some(1_540_561_114_867_116));
        assert_eq!(parse_micros("2018-10-26T15:38:34+02:00"), Some(1_540_561_114_000_000));
        assert_eq!(parse_micros("2026-12-07"), None);
        assert_eq!(parse_micros("garbage-but-long-enough"), None);
    }

    #[test]
    fn the_minute_cache_changes_no_answer() {
        let texts = [
            "2018-10-26T13:38:34.867116Z",
            "2018-10-26T13:38:35Z",
            "2018-10-26T13:38:59.9+02:00",
            "2018-10-26T13:38:xxZ",
            "2018-10-26T13:38",
            "2018-10-26T13:38:61Z",
            "2018-10-26T13:39:00.000001Z",
            "2018-10-26T13:39:00.000001Zjunk",
            "2018-13-26T13:39:00Z",
            "2018-13-26T13:39:01Z",
            "2018-10-26 13:39:02-05:30",
            "1969-12-31T23:59:59.5Z",
            "garbage-but-long-enough",
            "",
            "é2018-10-26T13:39:0",
        ];
        let mut cache = MinuteCache::default();
        for round in 0..2 {
            for t in texts {
                assert_eq!(parse_micros_cached(t, &mut cache), parse_micros(t), "{t:?} (round {round})");
            }
        }
    }
}
