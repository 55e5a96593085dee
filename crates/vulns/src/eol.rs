//! When operating systems and container runtimes stop receiving security fixes: a dated table,
//! like the Kubernetes one. "End of life" is the end of every free security support, LTS
//! included (Debian LTS, Ubuntu's standard LTS support); paid extensions (Ubuntu Pro ESM,
//! RHEL ELS, Debian ELTS) are not counted: record one as an exception with its contract.

use crate::date::days_from_civil;

/// The date the table was last reviewed.
pub const AS_OF: &str = "2026-12-01";

/// (family, release prefix, end of security support `YYYY-MM-DD`).
/// A release matches when the version equals the prefix or continues it with `.`.
const OS_SUPPORT: &[(&str, &str, &str)] = &[
    ("alpine", "3.12", "2022-05-01"),
    ("alpine", "3.13", "2022-11-01"),
    ("alpine", "3.14", "2023-05-01"),
    ("alpine", "3.15", "2023-11-01"),
    ("alpine", "3.16", "2024-05-23"),
    ("alpine", "3.17", "2024-11-22"),
    ("alpine", "3.18", "2025-05-09"),
    ("alpine", "3.19", "2025-11-01"),
    ("alpine", "3.20", "2026-04-01"),
    ("alpine", "3.21", "2026-11-01"),
    ("alpine", "3.22", "2027-05-01"),
    ("alpine", "3.23", "2027-11-01"),
    ("debian", "8", "2020-06-30"),
    ("debian", "9", "2022-06-30"),
    ("debian", "10", "2024-06-30"),
    ("debian", "11", "2026-08-31"),
    ("debian", "12", "2028-06-30"),
    ("debian", "13", "2030-06-30"),
    ("ubuntu", "16.04", "2021-04-30"),
    ("ubuntu", "18.04", "2023-05-31"),
    ("ubuntu", "20.04", "2025-05-31"),
    ("ubuntu", "22.04", "2027-06-01"),
    ("ubuntu", "23.10", "2024-07-11"),
    ("ubuntu", "24.04", "2029-05-31"),
    ("ubuntu", "24.10", "2025-07-10"),
    ("ubuntu", "25.04", "2026-01-15"),
    ("redhat", "7", "2024-06-30"),
    ("redhat", "8", "2029-05-31"),
    ("redhat", "9", "2032-05-31"),
    ("centos", "7", "2024-06-30"),
    ("centos", "8", "2021-12-31"),
    ("rocky", "8", "2029-05-31"),
    ("rocky", "9", "2032-05-31"),
    ("alma", "8", "2029-05-31"),
    ("alma", "9", "2032-05-31"),
    ("amazon", "2", "2026-06-30"),
    ("amazon", "2023", "2029-06-30"),
];

/// (runtime, minor, end of support): containerd's published release support.
const RUNTIME_SUPPORT: &[(&str, &str, &str)] = &[
    ("containerd", "1.5", "2023-02-28"),
    ("containerd", "1.6", "2025-07-23"),
    ("containerd", "1.7", "2026-03-10"),
    ("containerd", "2.0", "2025-11-07"),
];

/// Where a release stands on a given day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Support {
    /// Supported until this date.
    Until(&'static str),
    /// Support ended on this date.
    Ended(&'static str),
    /// Not in the table (a newer release, a rolling distribution, an unknown one).
    Unknown,
}

/// Family names scanners and `osImage` use, folded to the table's.
pub fn family_key(family: &str) -> Option<&'static str> {
    let f = family.trim().to_ascii_lowercase();
    Some(match f.as_str() {
        "alpine" | "alpine linux" => "alpine",
        "debian" | "debian gnu/linux" => "debian",
        "ubuntu" => "ubuntu",
        "redhat" | "rhel" | "red hat enterprise linux" | "ubi" => "redhat",
        "centos" | "centos linux" => "centos",
        "rocky" | "rocky linux" => "rocky",
        "alma" | "almalinux" => "alma",
        "amazon" | "amazon linux" => "amazon",
        _ => return None,
    })
}

fn lookup(table: &'static [(&'static str, &'static str, &'static str)], family: &str, version: &str, today_epoch: i64) -> Support {
    let version = version.trim();
    let hit = table.iter().filter(|(f, prefix, _)| *f == family && (version == *prefix || version.strip_prefix(prefix).is_some_and(|r| r.starts_with('.') || r.starts_with(' ')))).max_by_key(|(_, p, _)| p.len());
    match hit {
        Some((_, _, end)) if epoch_of(end) <= today_epoch => Support::Ended(end),
        Some((_, _, end)) => Support::Until(end),
        None => Support::Unknown,
    }
}

fn epoch_of(date: &str) -> i64 {
    crate::date::parse_timestamp(date).unwrap_or(i64::MAX)
}

/// An OS release (`debian`, `12.5`) on the day `today_epoch`.
pub fn os_support(family: &str, version: &str, today_epoch: i64) -> Support {
    match family_key(family) {
        Some(f) => lookup(OS_SUPPORT, f, version, today_epoch),
        None => Support::Unknown,
    }
}

/// The OS of a Node's `status.nodeInfo.osImage` (`Ubuntu 22.04.4 LTS`,
/// `Debian GNU/Linux 12 (bookworm)`, `Amazon Linux 2`, `Rocky Linux 9.3 (Blue Onyx)`) as
/// (family, version); `None` for images the table does not know (Bottlerocket, Flatcar, COS,
/// Talos: rolling releases whose support follows their own channels).
pub fn parse_os_image(os_image: &str) -> Option<(&'static str, String)> {
    let lower = os_image.to_ascii_lowercase();
    let prefixes: &[(&str, &str)] = &[
        ("ubuntu ", "ubuntu"),
        ("debian gnu/linux ", "debian"),
        ("red hat enterprise linux ", "redhat"),
        ("centos linux ", "centos"),
        ("centos ", "centos"),
        ("rocky linux ", "rocky"),
        ("almalinux ", "alma"),
        ("amazon linux ", "amazon"),
        ("alpine linux ", "alpine"),
    ];
    for (prefix, family) in prefixes {
        if let Some(rest) = lower.strip_prefix(prefix) {
            // RHEL CoreOS ("Red Hat Enterprise Linux CoreOS 415…") follows OpenShift's support.
            if rest.starts_with("coreos") || rest.starts_with("stream") {
                return None;
            }
            let version: String = rest.split_whitespace().next()?.trim_start_matches('v').to_string();
            if version.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                return Some((family, version));
            }
        }
    }
    None
}

/// A `containerRuntimeVersion` (`containerd://1.7.20`) on the day `today_epoch`, with the
/// runtime's `name minor`.
pub fn runtime_support(runtime_version: &str, today_epoch: i64) -> (Support, Option<String>) {
    let Some((name, version)) = runtime_version.split_once("://") else { return (Support::Unknown, None) };
    let minor: String = version.trim_start_matches('v').split('.').take(2).collect::<Vec<_>>().join(".");
    let support = lookup(RUNTIME_SUPPORT, name, &minor, today_epoch);
    (support, Some(format!("{name} {minor}")))
}

/// Days between two epochs, rounded down (negative when `to` is earlier).
pub fn days_between(from: i64, to: i64) -> i64 {
    (to - from).div_euclid(86_400)
}

/// The table's date as an epoch, for tests and callers that compare.
pub fn as_of_epoch() -> i64 {
    days_from_civil(2026, 12, 1) * 86_400
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    #[test]
    fn releases_are_looked_up_by_prefix_and_date() {
        let today = as_of_epoch();
        assert_eq!(os_support("debian", "10.13", today), Support::Ended("2024-06-30"));
        assert_eq!(os_support("debian", "12.5", today), Support::Until("2028-06-30"));
        assert_eq!(os_support("alpine", "3.19.1", today), Support::Ended("2025-11-01"));
        // 3.1 is not 3.19's prefix.
        assert_eq!(os_support("alpine", "3.1", today), Support::Unknown);
        assert_eq!(os_support("Ubuntu", "22.04", today), Support::Until("2027-06-01"));
        assert_eq!(os_support("wolfi", "20230201", today), Support::Unknown);
        let eol = crate::date::parse_timestamp("2026-08-31").unwrap();
        assert_eq!(os_support("debian", "11", eol - DAY), Support::Until("2026-08-31"));
        assert_eq!(os_support("debian", "11", eol), Support::Ended("2026-08-31"));
    }

    #[test]
    fn node_os_images_and_runtimes() {
        assert_eq!(parse_os_image("Ubuntu 22.04.4 LTS"), Some(("ubuntu", "22.04.4".into())));
        assert_eq!(parse_os_image("Debian GNU/Linux 12 (bookworm)"), Some(("debian", "12".into())));
        assert_eq!(parse_os_image("Amazon Linux 2"), Some(("amazon", "2".into())));
        assert_eq!(parse_os_image("CentOS Linux 7 (Core)"), Some(("centos", "7".into())));
        assert_eq!(parse_os_image("Bottlerocket OS 1.19.2 (aws-k8s-1.29)"), None);
        assert_eq!(parse_os_image("Red Hat Enterprise Linux CoreOS 415.92"), None);
        let today = as_of_epoch();
        assert_eq!(runtime_support("containerd://1.6.33", today), (Support::Ended("2025-07-23"), Some("containerd 1.6".into())));
        assert_eq!(runtime_support("cri-o://1.30.1", today).0, Support::Unknown);
        assert_eq!(runtime_support("garbage", today), (Support::Unknown, None));
        assert_eq!(days_between(0, 3 * DAY - 1), 2);
    }
}
