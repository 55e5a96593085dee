//! Plain-scalar resolution, exactly as yaml_serde 0.10 does it for untagged plain scalars.
//!
//! yaml_serde resolves by what the caller asks for: `deserialize_any` tries null, bool,
//! integer (u64, then i64, then u128, then i128) and float before falling back to a string;
//! `deserialize_i64`/`u64`/`f64`/`bool` accept only their own forms; `deserialize_str` takes
//! the text as written. The forms follow the YAML 1.2 core schema with yaml_serde's details:
//! `0x`/`0o`/`0b` prefixes (also after `-`), a single leading `+`, leading-zero decimals
//! (`0123`) are strings for `deserialize_any` and integers, and floats must be finite except
//! `.inf`/`.nan` spelled the YAML way. These rules are restated here, not copied; the
//! differential tests in `tests.rs` hold them to yaml_serde's behaviour.

/// `~`, `null`, `Null`, `NULL` (the empty plain scalar is null too; callers check that).
pub(super) fn is_null(s: &str) -> bool {
    matches!(s, "~" | "null" | "Null" | "NULL")
}

pub(super) fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// Integer types yaml_serde parses into, by `from_str_radix`.
pub(super) trait Radix: Sized {
    fn from_radix(s: &str, radix: u32) -> Option<Self>;
}

macro_rules! radix {
    ($($t:ty),*) => {$(
        impl Radix for $t {
            fn from_radix(s: &str, radix: u32) -> Option<Self> {
                <$t>::from_str_radix(s, radix).ok()
            }
        }
    )*};
}
radix!(u64, i64, u128, i128);

const PREFIXES: [(&str, u32); 3] = [("0x", 16), ("0o", 8), ("0b", 2)];

/// `0123`, `-007`, `+00`: digits with a redundant leading zero are not numbers (YAML 1.2).
fn leading_zero_digits(s: &str) -> bool {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit())
}

/// The digits after a radix prefix; a sign there (`0x-1`) is never a number.
fn after_prefix<'a>(s: &'a str, prefix: &str) -> Option<Option<&'a str>> {
    let rest = s.strip_prefix(prefix)?;
    Some((!rest.starts_with(['+', '-'])).then_some(rest))
}

/// A non-negative integer: optional `+`, then a radix prefix or plain decimal digits.
pub(super) fn parse_unsigned<T: Radix>(s: &str) -> Option<T> {
    let magnitude = s.strip_prefix('+').unwrap_or(s);
    for (prefix, radix) in PREFIXES {
        if let Some(rest) = after_prefix(magnitude, prefix) {
            return T::from_radix(rest?, radix);
        }
    }
    if magnitude.starts_with(['+', '-']) || leading_zero_digits(s) {
        return None;
    }
    T::from_radix(magnitude, 10)
}

/// A negative (or decimal) integer as `deserialize_any` reads it after `parse_unsigned` failed:
/// `-0x1f`, `-0o7`, `-0b1`, or decimal with an optional sign.
pub(super) fn parse_negative<T: Radix>(s: &str) -> Option<T> {
    for (prefix, radix) in PREFIXES {
        if let Some(rest) = s.strip_prefix('-').and_then(|r| r.strip_prefix(prefix))
            && let Some(value) = negated(rest, radix)
        {
            return Some(value);
        }
    }
    if leading_zero_digits(s) {
        return None;
    }
    T::from_radix(s, 10)
}

/// `-rest` in `radix` (rare: only for `-0x…`, `-0o…`, `-0b…`).
fn negated<T: Radix>(rest: &str, radix: u32) -> Option<T> {
    T::from_radix(&format!("-{rest}"), radix)
}

/// A signed integer as `deserialize_i64` reads it: optional single `+`, radix prefixes with
/// or without `-`, or decimal.
pub(super) fn parse_signed<T: Radix>(s: &str) -> Option<T> {
    let unsigned = match s.strip_prefix('+') {
        Some(rest) if rest.starts_with(['+', '-']) => return None,
        Some(rest) => rest,
        None => s,
    };
    for (prefix, radix) in PREFIXES {
        if let Some(rest) = after_prefix(unsigned, prefix) {
            match rest {
                None => return None,
                Some(rest) => {
                    if let Some(value) = T::from_radix(rest, radix) {
                        return Some(value);
                    }
                }
            }
        }
        if let Some(rest) = s.strip_prefix('-').and_then(|r| r.strip_prefix(prefix))
            && let Some(value) = negated(rest, radix)
        {
            return Some(value);
        }
    }
    if leading_zero_digits(s) {
        return None;
    }
    T::from_radix(unsigned, 10)
}

/// A finite float, or `.inf`/`-.inf`/`.nan` in their YAML spellings.
pub(super) fn parse_float(s: &str) -> Option<f64> {
    let unsigned = match s.strip_prefix('+') {
        Some(rest) if rest.starts_with(['+', '-']) => return None,
        Some(rest) => rest,
        None => s,
    };
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return Some(f64::INFINITY);
    }
    if matches!(s, "-.inf" | "-.Inf" | "-.INF") {
        return Some(f64::NEG_INFINITY);
    }
    if matches!(s, ".nan" | ".NaN" | ".NAN") {
        return Some(f64::NAN.copysign(1.0));
    }
    unsigned.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// What an untagged plain scalar is when the caller takes anything (`deserialize_any`).
#[derive(Debug, PartialEq)]
pub(super) enum Resolved {
    Null,
    Bool(bool),
    U64(u64),
    I64(i64),
    U128(u128),
    I128(i128),
    F64(f64),
    Str,
}

/// Resolve a plain scalar for `deserialize_any`.
pub(super) fn resolve_plain(s: &str) -> Resolved {
    if s.is_empty() || is_null(s) {
        return Resolved::Null;
    }
    if let Some(b) = parse_bool(s) {
        return Resolved::Bool(b);
    }
    // Every number starts (after one optional sign) with a digit or a dot; most strings can
    // skip the parse attempts below.
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if !unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return Resolved::Str;
    }
    if let Some(n) = parse_unsigned::<u64>(s) {
        return Resolved::U64(n);
    }
    if let Some(n) = parse_negative::<i64>(s) {
        return Resolved::I64(n);
    }
    if let Some(n) = parse_unsigned::<u128>(s) {
        return Resolved::U128(n);
    }
    if let Some(n) = parse_negative::<i128>(s) {
        return Resolved::I128(n);
    }
    if !leading_zero_digits(s)
        && let Some(f) = parse_float(s)
    {
        return Resolved::F64(f);
    }
    Resolved::Str
}
