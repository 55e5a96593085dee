//! The check registry: every control with its versioned revisions, and the resolution rules of
//! the Pod Security Admission registry:
//!
//! - each control applies from the first revision whose minimum version is at or below the
//!   evaluated version, using the newest such revision;
//! - baseline runs the baseline controls; restricted runs the baseline controls plus the
//!   restricted ones, except the baseline controls a restricted revision *overrides* at that
//!   version (e.g. `capabilities_restricted` replaces `capabilities_baseline` from v1.22);
//! - results come in a stable order: baseline controls sorted by id, then restricted controls
//!   sorted by id.

mod host;
mod privilege;
mod profiles;
mod volumes;

use crate::level::Level;
use crate::pod::Pod;

/// A control's verdict on one pod: `None` when allowed.
pub(crate) type CheckFn = fn(&Pod<'_>) -> Option<Finding>;

/// Why a control forbids a pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    /// Short reason, as admission prints it (`host namespaces`, `privileged`, ...).
    pub summary: String,
    /// The specifics (`hostNetwork=true`, `container "a" must not set ...`).
    pub detail: String,
    /// Every field path involved, for evidence.
    pub fields: Vec<String>,
}

/// One behaviour of a control, in force from `since` (a v1.N minor) until the next revision.
pub(crate) struct Revision {
    pub since: u32,
    pub check: CheckFn,
    /// Baseline control ids this (restricted) revision replaces at restricted level.
    pub overrides: &'static [&'static str],
}

pub(crate) struct Check {
    pub id: &'static str,
    pub level: Level,
    /// Strictly increasing `since`.
    pub revisions: &'static [Revision],
}

const fn rev(since: u32, check: CheckFn) -> Revision {
    Revision { since, check, overrides: &[] }
}

const fn rev_over(since: u32, check: CheckFn, overrides: &'static [&'static str]) -> Revision {
    Revision { since, check, overrides }
}

/// Every check: baseline first, then restricted, each sorted by id (the admission order).
pub(crate) static CHECKS: &[Check] = &[
    Check { id: "appArmorProfile", level: Level::Baseline, revisions: &[rev(0, profiles::app_armor_profile)] },
    Check { id: "capabilities_baseline", level: Level::Baseline, revisions: &[rev(0, privilege::capabilities_baseline)] },
    Check { id: "hostNamespaces", level: Level::Baseline, revisions: &[rev(0, host::host_namespaces)] },
    Check { id: "hostPathVolumes", level: Level::Baseline, revisions: &[rev(0, host::host_path_volumes)] },
    Check { id: "hostPorts", level: Level::Baseline, revisions: &[rev(0, host::host_ports)] },
    Check { id: "hostProbesAndHostLifecycle", level: Level::Baseline, revisions: &[rev(34, host::probe_and_lifecycle_hosts)] },
    Check { id: "privileged", level: Level::Baseline, revisions: &[rev(0, privilege::privileged)] },
    Check {
        id: "procMount",
        level: Level::Baseline,
        revisions: &[rev(0, privilege::proc_mount_default_only), rev(35, privilege::proc_mount_unless_user_namespace)],
    },
    Check {
        id: "seLinuxOptions",
        level: Level::Baseline,
        revisions: &[rev(0, profiles::se_linux_options_1_0), rev(31, profiles::se_linux_options_1_31)],
    },
    Check {
        id: "seccompProfile_baseline",
        level: Level::Baseline,
        revisions: &[rev(0, profiles::seccomp_annotations_baseline), rev(19, profiles::seccomp_fields_baseline)],
    },
    Check {
        id: "sysctls",
        level: Level::Baseline,
        revisions: &[
            rev(0, profiles::sysctls_1_0),
            rev(27, profiles::sysctls_1_27),
            rev(29, profiles::sysctls_1_29),
            rev(32, profiles::sysctls_1_32),
            rev(37, profiles::sysctls_1_37),
        ],
    },
    Check { id: "windowsHostProcess", level: Level::Baseline, revisions: &[rev(0, host::windows_host_process)] },
    // Restricted.
    Check {
        id: "allowPrivilegeEscalation",
        level: Level::Restricted,
        revisions: &[rev(8, privilege::allow_privilege_escalation), rev(25, privilege::allow_privilege_escalation_linux)],
    },
    Check {
        id: "capabilities_restricted",
        level: Level::Restricted,
        revisions: &[
            rev_over(22, privilege::capabilities_restricted, &["capabilities_baseline"]),
            rev_over(25, privilege::capabilities_restricted_linux, &["capabilities_baseline"]),
        ],
    },
    Check {
        id: "procMount_restricted",
        level: Level::Restricted,
        revisions: &[rev_over(35, privilege::proc_mount_default_only, &["procMount"])],
    },
    Check {
        id: "restrictedVolumes",
        level: Level::Restricted,
        revisions: &[rev_over(0, volumes::restricted_volumes, &["hostPathVolumes"])],
    },
    Check {
        id: "runAsNonRoot",
        level: Level::Restricted,
        revisions: &[rev(0, privilege::run_as_non_root), rev(35, privilege::run_as_non_root_unless_user_namespace)],
    },
    Check {
        id: "runAsUser",
        level: Level::Restricted,
        revisions: &[rev(23, privilege::run_as_user), rev(35, privilege::run_as_user_unless_user_namespace)],
    },
    Check {
        id: "seccompProfile_restricted",
        level: Level::Restricted,
        revisions: &[
            rev_over(19, profiles::seccomp_restricted, &["seccompProfile_baseline"]),
            rev_over(25, profiles::seccomp_restricted_linux, &["seccompProfile_baseline"]),
        ],
    },
];

/// The revision of `check` in force at `minor`, if the control exists yet.
fn revision_at(check: &Check, minor: u32) -> Option<&'static Revision> {
    check.revisions.iter().rev().find(|r| r.since <= minor)
}

/// The checks to run for a level at a (clamped) minor version, in result order.
pub(crate) fn active_checks(level: Level, minor: u32) -> Vec<(&'static Check, &'static Revision)> {
    let wanted = |c: &Check| match level {
        Level::Privileged => false,
        Level::Baseline => c.level == Level::Baseline,
        Level::Restricted => true,
    };
    let active: Vec<_> = CHECKS
        .iter()
        .filter(|c| wanted(c))
        .filter_map(|c| revision_at(c, minor).map(|r| (c, r)))
        .collect();
    if level != Level::Restricted {
        return active;
    }
    let overridden: Vec<&str> = active
        .iter()
        .filter(|(c, _)| c.level == Level::Restricted)
        .flat_map(|(_, r)| r.overrides.iter().copied())
        .collect();
    active.into_iter().filter(|(c, _)| !overridden.contains(&c.id)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_ordered_and_revisions_increase() {
        let ids = |lvl: Level| CHECKS.iter().filter(|c| c.level == lvl).map(|c| c.id).collect::<Vec<_>>();
        for lvl in [Level::Baseline, Level::Restricted] {
            let got = ids(lvl);
            let mut sorted = got.clone();
            sorted.sort_unstable();
            assert_eq!(got, sorted, "{lvl} checks must be sorted by id");
        }
        let first_restricted = CHECKS.iter().position(|c| c.level == Level::Restricted).unwrap();
        assert!(CHECKS[first_restricted..].iter().all(|c| c.level == Level::Restricted));
        for c in CHECKS {
            assert!(c.revisions.windows(2).all(|w| w[0].since < w[1].since), "{}", c.id);
        }
    }

    #[test]
    fn overrides_apply_only_from_their_revision() {
        let ids = |lvl, minor| active_checks(lvl, minor).iter().map(|(c, _)| c.id).collect::<Vec<_>>();
        assert!(ids(Level::Restricted, 21).contains(&"capabilities_baseline"));
        assert!(!ids(Level::Restricted, 22).contains(&"capabilities_baseline"));
        assert!(ids(Level::Restricted, 18).contains(&"seccompProfile_baseline"));
        assert!(!ids(Level::Restricted, 19).contains(&"seccompProfile_baseline"));
        assert!(!ids(Level::Restricted, 0).contains(&"hostPathVolumes"));
        assert!(ids(Level::Restricted, 34).contains(&"procMount"));
        assert!(!ids(Level::Restricted, 35).contains(&"procMount"));
        assert!(ids(Level::Baseline, 37).iter().all(|id| !id.contains("restricted")));
        assert!(ids(Level::Privileged, 37).is_empty());
        assert!(!ids(Level::Baseline, 33).contains(&"hostProbesAndHostLifecycle"));
    }
}
