//! Upstream Kubernetes release support, as a dated table: each minor release is supported
//! (receives patch releases) until its end-of-life date. Source: kubernetes.io/releases and
//! the upstream patch-release calendar; minors are supported for about 14 months.
//!
//! Refresh this table with every Kubernetes minor release; checks evaluate versions as of
//! [`AS_OF`] (never the clock), so results are reproducible and state the table's date.

/// The date the table was last checked.
pub const AS_OF: &str = "2026-11-28";

/// One minor release: `1.<minor>`, released and end of life (`YYYY-MM-DD`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MinorRelease {
    pub minor: u32,
    pub released: &'static str,
    pub end_of_life: &'static str,
}

const fn release(minor: u32, released: &'static str, end_of_life: &'static str) -> MinorRelease {
    MinorRelease { minor, released, end_of_life }
}

/// Kubernetes 1.x minors, oldest first. Anything older than the first row is long out of
/// support. 1.36 and 1.37 end-of-life dates follow the published 14-month schedule.
pub const UPSTREAM: &[MinorRelease] = &[
    release(25, "2022-08-23", "2023-10-28"),
    release(26, "2022-12-09", "2024-02-28"),
    release(27, "2023-04-11", "2024-06-28"),
    release(28, "2023-08-15", "2024-10-28"),
    release(29, "2023-12-13", "2025-02-28"),
    release(30, "2024-04-17", "2025-06-28"),
    release(31, "2024-08-13", "2025-10-28"),
    release(32, "2024-12-11", "2026-02-28"),
    release(33, "2025-04-23", "2026-06-28"),
    release(34, "2025-08-27", "2026-10-27"),
    release(35, "2025-12-17", "2027-02-28"),
    release(36, "2026-04-22", "2027-06-28"),
    release(37, "2026-08-26", "2027-10-28"),
];

/// A parsed `v1.33.4`, `1.33.4-eks-1234`, `v1.31.2+k3s1` or image tag `v1.33.4`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct KubeVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl KubeVersion {
    pub fn parse(s: &str) -> Option<KubeVersion> {
        let s = s.trim().trim_start_matches('v');
        let core = s.split(['-', '+']).next()?;
        let mut parts = core.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = parts.next().map_or(Some(0), |p| p.parse().ok())?;
        Some(KubeVersion { major, minor, patch })
    }
}

impl std::fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "v{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Where a version stands on [`AS_OF`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// Receives patches until this date.
    Supported { until: &'static str },
    /// Out of upstream support since this date (`None`: older than the table).
    EndOfLife { since: Option<&'static str> },
    /// Newer than the table (refresh it) or not a 1.x version.
    Unknown,
}

/// Upstream support of a version on [`AS_OF`].
pub fn support(v: KubeVersion) -> Support {
    if v.major != 1 {
        return Support::Unknown;
    }
    match UPSTREAM.iter().find(|r| r.minor == v.minor) {
        Some(r) if r.end_of_life > AS_OF => Support::Supported { until: r.end_of_life },
        Some(r) => Support::EndOfLife { since: Some(r.end_of_life) },
        None if UPSTREAM.first().is_some_and(|r| v.minor < r.minor) => Support::EndOfLife { since: None },
        None => Support::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_forms() {
        assert_eq!(KubeVersion::parse("v1.33.4"), Some(KubeVersion { major: 1, minor: 33, patch: 4 }));
        assert_eq!(KubeVersion::parse("1.31.2-eks-7f9249a"), Some(KubeVersion { major: 1, minor: 31, patch: 2 }));
        assert_eq!(KubeVersion::parse("v1.30.5+k3s1"), Some(KubeVersion { major: 1, minor: 30, patch: 5 }));
        assert_eq!(KubeVersion::parse("latest"), None);
    }

    #[test]
    fn support_as_of_table_date() {
        let v = |m| KubeVersion { major: 1, minor: m, patch: 0 };
        assert_eq!(support(v(33)), Support::EndOfLife { since: Some("2026-06-28") });
        assert_eq!(support(v(35)), Support::Supported { until: "2027-02-28" });
        assert_eq!(support(v(19)), Support::EndOfLife { since: None });
        assert_eq!(support(v(40)), Support::Unknown);
        assert!(UPSTREAM.windows(2).all(|w| w[0].minor + 1 == w[1].minor && w[0].end_of_life < w[1].end_of_life));
    }
}
