//! The exceptions register: each exception of `kubepci.yaml` with its lifecycle status on a
//! given day (active, expiring within 30 days, expired, unused) and the findings it matches,
//! for `kubepci exceptions list`, the reports and EXC-001.

use kubepci_findings::{Finding, Status};
use kubepci_inventory::config::{Exception, glob_match};
use serde::Serialize;

/// An exception expiring within this many days is `expiring`: its owner should renew it now.
pub const EXPIRING_WITHIN_DAYS: i64 = 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lifecycle {
    /// Applies, and does not expire within [`EXPIRING_WITHIN_DAYS`].
    Active,
    /// Applies, and expires within [`EXPIRING_WITHIN_DAYS`] days.
    Expiring,
    /// Past its `expires` date: it no longer applies, and its findings fail again (EXC-001).
    Expired,
    /// Matches no finding of this input: stale paperwork, or a fix that made it unneeded.
    Unused,
}

impl Lifecycle {
    pub fn as_str(self) -> &'static str {
        match self {
            Lifecycle::Active => "active",
            Lifecycle::Expiring => "expiring",
            Lifecycle::Expired => "expired",
            Lifecycle::Unused => "unused",
        }
    }
}

/// One exception and where it stands.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExceptionStatus {
    /// Position in `exceptions` of the configuration (`exceptions[index]`).
    pub index: usize,
    #[serde(flatten)]
    pub exception: Exception,
    pub status: Lifecycle,
    /// Days until `expires` (negative: days since); absent without `expires` or a date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_left: Option<i64>,
    /// Failing or excepted findings the exception matches (expired exceptions match failures);
    /// absent when no scan was given to match against.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched: Option<usize>,
}

/// Whether an exception's `check` and `object` select a finding (whatever its expiry).
/// `name_of` gives a check id's name (`POD-004` → `host-network`), as exceptions may use either.
pub fn selects(ex: &Exception, f: &Finding, name_of: &dyn Fn(&str) -> Option<&'static str>) -> bool {
    let Some(obj) = &f.object else { return false };
    let object = match &obj.namespace {
        Some(ns) => format!("{}/{}/{}", obj.kind, ns, obj.name),
        None => format!("{}/{}", obj.kind, obj.name),
    };
    (ex.check == "*" || ex.check == f.check || name_of(&f.check) == Some(ex.check.as_str())) && glob_match(&ex.object, &object)
}

/// Whether an exception has expired on `today` (`YYYY-MM-DD`): it applies through its
/// `expires` day.
pub fn expired(ex: &Exception, today: Option<&str>) -> bool {
    matches!((&ex.expires, today), (Some(exp), Some(today)) if exp.as_str() < today)
}

/// The register of `exceptions` on `today`, judged against the `findings` of a scan (without
/// them, no exception is `unused`: its use is unknown).
pub fn register(exceptions: &[Exception], findings: Option<&[Finding]>, today: Option<&str>) -> Vec<ExceptionStatus> {
    let registry = crate::registry();
    let name_of = |id: &str| registry.iter().find(|c| c.meta.id == id).map(|c| c.meta.name);
    exceptions
        .iter()
        .enumerate()
        .map(|(index, ex)| {
            let matched = findings.map(|all| all.iter().filter(|f| matches!(f.status, Status::Fail | Status::Excepted) && selects(ex, f, &name_of)).count());
            let days_left = ex.expires.as_deref().zip(today).and_then(|(exp, today)| Some(day_number(exp)? - day_number(today)?));
            let status = if expired(ex, today) {
                Lifecycle::Expired
            } else if matched == Some(0) {
                Lifecycle::Unused
            } else if days_left.is_some_and(|d| d <= EXPIRING_WITHIN_DAYS) {
                Lifecycle::Expiring
            } else {
                Lifecycle::Active
            };
            ExceptionStatus { index, exception: ex.clone(), status, days_left, matched }
        })
        .collect()
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (proleptic Gregorian).
pub fn day_number(date: &str) -> Option<i64> {
    let mut parts = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Howard Hinnant's days-from-civil, with March as the first month of the year.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubepci_model::ObjectRef;

    fn exception(check: &str, object: &str, expires: Option<&str>) -> Exception {
        Exception { check: check.into(), object: object.into(), reason: "r".into(), approved_by: "a".into(), expires: expires.map(Into::into), ..Exception::default() }
    }

    fn finding(check: &str, status: Status, kind: &str, ns: &str, name: &str) -> Finding {
        Finding {
            check: check.into(),
            title: Default::default(),
            status,
            severity: kubepci_findings::Severity::High,
            requirements: Default::default(),
            object: Some(ObjectRef { api_version: "v1".into(), kind: kind.into(), namespace: Some(ns.into()), name: name.into() }),
            scope: None,
            location: None,
            message: String::new(),
            evidence: Vec::new(),
            remediation: Default::default(),
            exception: None,
        }
    }

    #[test]
    fn days_between_dates() {
        assert_eq!(day_number("1970-01-01"), Some(0));
        assert_eq!(day_number("2000-03-01").unwrap() - day_number("2000-02-28").unwrap(), 2, "2000 is a leap year");
        assert_eq!(day_number("2026-12-07").unwrap() - day_number("2026-11-07").unwrap(), 30);
        assert_eq!(day_number("2026-13-01"), None);
        assert_eq!(day_number("soon"), None);
    }

    #[test]
    fn each_exception_gets_its_lifecycle_status() {
        let exceptions = [
            exception("POD-004", "DaemonSet/monitoring/*", Some("2027-06-30")),
            exception("POD-004", "DaemonSet/monitoring/agent", Some("2026-12-31")),
            exception("POD-001", "StatefulSet/card-vault/card-db", Some("2026-01-31")),
            exception("*", "Deployment/gone/*", None),
        ];
        let findings = [
            finding("POD-004", Status::Excepted, "DaemonSet", "monitoring", "agent"),
            finding("POD-001", Status::Fail, "StatefulSet", "card-vault", "card-db"),
            finding("POD-009", Status::Pass, "Deployment", "gone", "x"),
        ];
        let register = register(&exceptions, Some(&findings), Some("2026-12-07"));
        let statuses: Vec<(Lifecycle, Option<usize>, Option<i64>)> = register.iter().map(|s| (s.status, s.matched, s.days_left)).collect();
        assert_eq!(statuses, [
            (Lifecycle::Active, Some(1), Some(205)),
            (Lifecycle::Expiring, Some(1), Some(24)),
            (Lifecycle::Expired, Some(1), Some(-310)),
            (Lifecycle::Unused, Some(0), None),
        ]);
        let without_scan: Vec<Lifecycle> = super::register(&exceptions, None, Some("2026-12-07")).iter().map(|s| s.status).collect();
        assert_eq!(without_scan, [Lifecycle::Active, Lifecycle::Expiring, Lifecycle::Expired, Lifecycle::Active]);
        assert!(!expired(&exceptions[0], None), "without a date nothing expires");
        assert!(!expired(&exception("a", "b", Some("2026-12-07")), Some("2026-12-07")), "it applies through its last day");
    }
}
