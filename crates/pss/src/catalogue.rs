//! The catalogue of Pod Security Standards controls: what each checks, at which level, and
//! from which policy version. The check registry builds scan checks from this (one per
//! `family`), so every id here is one the evaluator reports.

use serde::Serialize;

use crate::level::{Level, Version};

/// One control of the Pod Security Standards, as the admission controller names its checks.
#[derive(Clone, Debug, Serialize)]
pub struct Control {
    /// The upstream check id (`privileged`, `capabilities_restricted`, ...), stable.
    pub id: &'static str,
    /// Controls that implement the same concern at different levels share a family
    /// (`capabilities`, `seccomp`, `procMount`, `volumes`); otherwise it equals `id`.
    pub family: &'static str,
    pub level: Level,
    pub title: &'static str,
    /// First policy version the control exists in.
    pub min_version: Version,
    /// Every policy version at which the control's behaviour changed (including the first).
    pub revisions: &'static [u32],
    /// Baseline controls this restricted control replaces at restricted level.
    pub overrides: &'static [&'static str],
    pub description: &'static str,
}

const fn control(
    id: &'static str,
    family: &'static str,
    level: Level,
    title: &'static str,
    revisions: &'static [u32],
    overrides: &'static [&'static str],
    description: &'static str,
) -> Control {
    let first = match revisions.first() {
        Some(v) => *v,
        None => 0,
    };
    Control { id, family, level, title, min_version: Version::v1(first), revisions, overrides, description }
}

static CONTROLS: &[Control] = &[
    control("hostNamespaces", "hostNamespaces", Level::Baseline, "Host namespaces", &[0], &[],
        "spec.hostNetwork, spec.hostPID and spec.hostIPC must be unset or false."),
    control("privileged", "privileged", Level::Baseline, "Privileged containers", &[0], &[],
        "No container (init, regular or ephemeral) may set securityContext.privileged=true."),
    control("capabilities_baseline", "capabilities", Level::Baseline, "Capabilities (baseline)", &[0], &[],
        "securityContext.capabilities.add may only list AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT."),
    control("hostPathVolumes", "volumes", Level::Baseline, "HostPath volumes", &[0], &[],
        "spec.volumes[*].hostPath must not be used."),
    control("hostPorts", "hostPorts", Level::Baseline, "Host ports", &[0], &[],
        "containers[*].ports[*].hostPort must be unset or 0."),
    control("appArmorProfile", "appArmorProfile", Level::Baseline, "AppArmor", &[0], &[],
        "securityContext.appArmorProfile.type (pod and containers) must be RuntimeDefault or Localhost when set; container.apparmor.security.beta.kubernetes.io/* annotations must be empty, runtime/default or localhost/*."),
    control("seLinuxOptions", "seLinuxOptions", Level::Baseline, "SELinux", &[0, 31], &[],
        "seLinuxOptions.type must be empty, container_t, container_init_t or container_kvm_t (plus container_engine_t from v1.31); seLinuxOptions.user and .role must be empty."),
    control("procMount", "procMount", Level::Baseline, "/proc mount type", &[0, 35], &[],
        "securityContext.procMount must be unset or Default; from v1.35 any value is allowed for pods with hostUsers: false."),
    control("seccompProfile_baseline", "seccomp", Level::Baseline, "Seccomp (baseline)", &[0, 19], &[],
        "Before v1.19 the seccomp.security.alpha.kubernetes.io annotations must be runtime/default, docker/default or localhost/*; from v1.19 seccompProfile.type, where set on the pod or a container, must not be Unconfined."),
    control("sysctls", "sysctls", Level::Baseline, "Sysctls", &[0, 27, 29, 32, 37], &[],
        "spec.securityContext.sysctls may only set the safe set: kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies, net.ipv4.ping_group_range, net.ipv4.ip_unprivileged_port_start; plus net.ipv4.ip_local_reserved_ports (v1.27), net.ipv4.tcp_keepalive_time, tcp_fin_timeout, tcp_keepalive_intvl, tcp_keepalive_probes (v1.29), net.ipv4.tcp_rmem, tcp_wmem (v1.32), net.ipv4.tcp_slow_start_after_idle, tcp_notsent_lowat (v1.37)."),
    control("windowsHostProcess", "windowsHostProcess", Level::Baseline, "HostProcess", &[0], &[],
        "securityContext.windowsOptions.hostProcess (pod and containers) must be unset or false."),
    control("hostProbesAndHostLifecycle", "hostProbesAndHostLifecycle", Level::Baseline, "Host probes and lifecycle hooks", &[34], &[],
        "httpGet.host and tcpSocket.host of liveness, readiness and startup probes and of postStart/preStop handlers must be unset or empty (v1.34+)."),
    control("restrictedVolumes", "volumes", Level::Restricted, "Volume types", &[0], &["hostPathVolumes"],
        "Volumes must be configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret (a volume with no source is defaulted to emptyDir)."),
    control("allowPrivilegeEscalation", "allowPrivilegeEscalation", Level::Restricted, "Privilege escalation", &[8, 25], &[],
        "Every container must set securityContext.allowPrivilegeEscalation=false (v1.8+); Windows pods are exempt from v1.25."),
    control("runAsNonRoot", "runAsNonRoot", Level::Restricted, "Running as non-root", &[0, 35], &[],
        "runAsNonRoot must be true on the pod or on every container, and false nowhere; from v1.35 pods with hostUsers: false are exempt."),
    control("runAsUser", "runAsUser", Level::Restricted, "Running as non-root user", &[23, 35], &[],
        "runAsUser must not be 0 on the pod or any container (v1.23+); from v1.35 pods with hostUsers: false are exempt."),
    control("seccompProfile_restricted", "seccomp", Level::Restricted, "Seccomp (restricted)", &[19, 25], &["seccompProfile_baseline"],
        "seccompProfile.type must be RuntimeDefault or Localhost on the pod, or on every container (v1.19+); Windows pods are exempt from v1.25."),
    control("capabilities_restricted", "capabilities", Level::Restricted, "Capabilities (restricted)", &[22, 25], &["capabilities_baseline"],
        "Every container must drop ALL and may only add NET_BIND_SERVICE (v1.22+); Windows pods are exempt from v1.25."),
    control("procMount_restricted", "procMount", Level::Restricted, "/proc mount type (restricted)", &[35], &["procMount"],
        "securityContext.procMount must be unset or Default even for pods with hostUsers: false (v1.35+)."),
];

/// Every control, baseline first.
pub fn controls() -> &'static [Control] {
    CONTROLS
}

/// The control with this id.
pub fn control_by_id(id: &str) -> Option<&'static Control> {
    CONTROLS.iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::CHECKS;

    #[test]
    fn catalogue_matches_registry() {
        assert_eq!(CONTROLS.len(), CHECKS.len());
        for check in CHECKS {
            let c = control_by_id(check.id).unwrap_or_else(|| panic!("{} missing from catalogue", check.id));
            assert_eq!(c.level, check.level, "{}", c.id);
            let revs: Vec<u32> = check.revisions.iter().map(|r| r.since).collect();
            assert_eq!(c.revisions, revs.as_slice(), "{}", c.id);
            let overrides: Vec<&str> = check.revisions.iter().flat_map(|r| r.overrides.iter().copied()).collect();
            for o in c.overrides {
                assert!(overrides.contains(o), "{} overrides {o}", c.id);
            }
        }
    }
}
