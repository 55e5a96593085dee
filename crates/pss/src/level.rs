//! Policy levels and policy versions, as written in the namespace labels
//! `pod-security.kubernetes.io/enforce` and `pod-security.kubernetes.io/enforce-version`.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// The newest policy version any control has a revision for. `latest`, and every pinned
/// version above it, evaluates exactly like this one (the admission controller clamps the same
/// way: its registry's maximum version is the highest revision of any check).
pub const MAX_POLICY_MINOR: u32 = 37;

/// A Pod Security Standards level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// No restrictions at all.
    Privileged,
    /// Prevents known privilege escalations.
    Baseline,
    /// Current hardening best practice; includes every baseline control.
    Restricted,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a level or version string was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

impl FromStr for Level {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "privileged" => Ok(Level::Privileged),
            "baseline" => Ok(Level::Baseline),
            "restricted" => Ok(Level::Restricted),
            other => Err(ParseError(format!(
                "invalid Pod Security level {other:?} (expected privileged, baseline or restricted)"
            ))),
        }
    }
}

/// A policy version: `v1.N` (the standard as defined by Kubernetes minor release N) or
/// `latest`. Ordered with `latest` above every pinned version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Version {
    /// `None` means `latest`.
    minor: Option<u32>,
}

impl Version {
    /// `latest`: the newest behaviour of every control.
    pub const fn latest() -> Self {
        Version { minor: None }
    }

    /// `v1.<minor>`.
    pub const fn v1(minor: u32) -> Self {
        Version { minor: Some(minor) }
    }

    pub fn is_latest(self) -> bool {
        self.minor.is_none()
    }

    /// The pinned minor version, `None` for `latest`.
    pub fn minor(self) -> Option<u32> {
        self.minor
    }

    /// The minor version the controls are evaluated at: `latest` and anything newer than
    /// [`MAX_POLICY_MINOR`] clamp to it.
    pub fn effective_minor(self) -> u32 {
        self.minor.map_or(MAX_POLICY_MINOR, |m| m.min(MAX_POLICY_MINOR))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.minor, other.minor) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(a), Some(b)) => a.cmp(&b),
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.minor {
            None => f.write_str("latest"),
            Some(m) => write!(f, "v1.{m}"),
        }
    }
}

impl Serialize for Version {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl FromStr for Version {
    type Err = ParseError;
    /// Accepts what the `enforce-version` label accepts: `latest` or `v1.N` (no leading zeros).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "latest" {
            return Ok(Version::latest());
        }
        let invalid = || ParseError(format!("invalid Pod Security version {s:?} (expected v1.N or latest)"));
        let digits = s.strip_prefix("v1.").ok_or_else(invalid)?;
        let well_formed = !digits.is_empty()
            && digits.len() <= 9
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'));
        if !well_formed {
            return Err(invalid());
        }
        digits.parse().map(Version::v1).map_err(|_| invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_label_values() {
        assert_eq!("latest".parse::<Version>().unwrap(), Version::latest());
        assert_eq!("v1.25".parse::<Version>().unwrap(), Version::v1(25));
        assert_eq!("v1.0".parse::<Version>().unwrap(), Version::v1(0));
        for bad in ["", "1.25", "v2.1", "v1.", "v1.01", "v1.x", "Latest", "v1.25.0", "v1.99999999999"] {
            assert!(bad.parse::<Version>().is_err(), "{bad:?} should be refused");
        }
        assert_eq!(Version::v1(30).to_string(), "v1.30");
        assert_eq!(Version::latest().to_string(), "latest");
    }

    #[test]
    fn latest_is_newest_and_clamps() {
        assert!(Version::latest() > Version::v1(999));
        assert_eq!(Version::latest().effective_minor(), MAX_POLICY_MINOR);
        assert_eq!(Version::v1(99).effective_minor(), MAX_POLICY_MINOR);
        assert_eq!(Version::v1(3).effective_minor(), 3);
    }

    #[test]
    fn parses_levels() {
        assert_eq!("restricted".parse::<Level>().unwrap(), Level::Restricted);
        assert!("Restricted".parse::<Level>().is_err());
        assert_eq!(Level::Baseline.to_string(), "baseline");
    }
}
