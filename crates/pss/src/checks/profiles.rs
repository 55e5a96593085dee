//! Controls on kernel security profiles and knobs: AppArmor, seccomp, SELinux and sysctls.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::SELinuxOptions;
use kubepci_base::text::noun;
use kubepci_model::k8s_openapi;

use super::Finding;
use crate::pod::{Pod, containers_phrase, join_quote};

pub(crate) const APPARMOR_ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";
pub(crate) const SECCOMP_POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
pub(crate) const SECCOMP_CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

/// `appArmorProfile` (baseline, v1.0+; the field part exists since the fields did, and upstream
/// applies it at every version): `appArmorProfile.type` on the pod and containers must be
/// `RuntimeDefault` or `Localhost`, and the beta annotations must be empty, `runtime/default` or
/// `localhost/*`.
pub(crate) fn app_armor_profile(pod: &Pod<'_>) -> Option<Finding> {
    let allowed_type = |t: &str| t == "RuntimeDefault" || t == "Localhost";
    let mut setters = Vec::new();
    let mut values = BTreeSet::new();
    let mut fields = Vec::new();
    if let Some(p) = pod.security_context().and_then(|sc| sc.app_armor_profile.as_ref()).filter(|p| !allowed_type(&p.type_)) {
        setters.push("pod".to_string());
        values.insert(p.type_.clone());
        fields.push(pod.spec_field("securityContext.appArmorProfile.type"));
    }
    let mut containers = Vec::new();
    for c in pod.containers() {
        let profile = c.security_context.and_then(|sc| sc.app_armor_profile.as_ref());
        if let Some(p) = profile.filter(|p| !allowed_type(&p.type_)) {
            containers.push(c.name);
            values.insert(p.type_.clone());
            fields.push(c.field("securityContext.appArmorProfile.type"));
        }
    }
    if !containers.is_empty() {
        setters.push(containers_phrase(&containers));
    }
    let mut annotations = Vec::new();
    for (key, value) in pod.annotations() {
        let allowed = value.is_empty() || value == "runtime/default" || value.starts_with("localhost/");
        if key.starts_with(APPARMOR_ANNOTATION_PREFIX) && !allowed {
            annotations.push(key);
            values.insert(value.to_string());
            fields.push(pod.annotation_field(key));
        }
    }
    if !annotations.is_empty() {
        setters.push(format!("{} {}", noun(annotations.len(), "annotation", "annotations"), join_quote(&annotations)));
    }
    if setters.is_empty() {
        return None;
    }
    let values: Vec<String> = values.into_iter().collect();
    Some(Finding {
        summary: noun(values.len(), "forbidden AppArmor profile", "forbidden AppArmor profiles").into(),
        detail: format!("{} must not set AppArmor profile type to {}", setters.join(" and "), join_quote(&values)),
        fields,
    })
}

const SELINUX_TYPES_1_0: &[&str] = &["", "container_t", "container_init_t", "container_kvm_t"];
const SELINUX_TYPES_1_31: &[&str] = &["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"];

/// `seLinuxOptions` (baseline, v1.0): `type` must be one of the container types; `user` and
/// `role` must be empty.
pub(crate) fn se_linux_options_1_0(pod: &Pod<'_>) -> Option<Finding> {
    se_linux_options(pod, SELINUX_TYPES_1_0)
}

/// `seLinuxOptions` from v1.31: also allows `container_engine_t`.
pub(crate) fn se_linux_options_1_31(pod: &Pod<'_>) -> Option<Finding> {
    se_linux_options(pod, SELINUX_TYPES_1_31)
}

fn se_linux_options(pod: &Pod<'_>, allowed_types: &[&str]) -> Option<Finding> {
    let mut bad_types = BTreeSet::new();
    let (mut set_user, mut set_role) = (false, false);
    let mut fields = Vec::new();
    // Records what is wrong with one seLinuxOptions; true when anything is.
    let mut inspect = |opts: &SELinuxOptions, path: &dyn Fn(&str) -> String| -> bool {
        let mut bad = false;
        let ty = opts.type_.as_deref().unwrap_or("");
        if !allowed_types.contains(&ty) {
            bad_types.insert(ty.to_string());
            fields.push(path("type"));
            bad = true;
        }
        if opts.user.as_deref().is_some_and(|u| !u.is_empty()) {
            set_user = true;
            fields.push(path("user"));
            bad = true;
        }
        if opts.role.as_deref().is_some_and(|r| !r.is_empty()) {
            set_role = true;
            fields.push(path("role"));
            bad = true;
        }
        bad
    };
    let mut setters = Vec::new();
    if let Some(opts) = pod.security_context().and_then(|sc| sc.se_linux_options.as_ref())
        && inspect(opts, &|f| pod.spec_field(&format!("securityContext.seLinuxOptions.{f}")))
    {
        setters.push("pod".to_string());
    }
    let mut containers = Vec::new();
    for c in pod.containers() {
        if let Some(opts) = c.security_context.and_then(|sc| sc.se_linux_options.as_ref())
            && inspect(opts, &|f| c.field(&format!("securityContext.seLinuxOptions.{f}")))
        {
            containers.push(c.name);
        }
    }
    if !containers.is_empty() {
        setters.push(containers_phrase(&containers));
    }
    if setters.is_empty() {
        return None;
    }
    let mut problems = Vec::new();
    if !bad_types.is_empty() {
        let types: Vec<String> = bad_types.into_iter().collect();
        problems.push(format!("{} {}", noun(types.len(), "type", "types"), join_quote(&types)));
    }
    if set_user {
        problems.push("user may not be set".to_string());
    }
    if set_role {
        problems.push("role may not be set".to_string());
    }
    Some(Finding {
        summary: "seLinuxOptions".into(),
        detail: format!("{} set forbidden securityContext.seLinuxOptions: {}", setters.join(" and "), problems.join("; ")),
        fields,
    })
}

fn valid_seccomp_annotation(value: &str) -> bool {
    value == "runtime/default" || value == "docker/default" || value.starts_with("localhost/")
}

fn valid_seccomp_type(ty: &str) -> bool {
    ty == "RuntimeDefault" || ty == "Localhost"
}

/// `seccompProfile_baseline` (baseline, v1.0–v1.18): the alpha seccomp annotations, when
/// present, must name `runtime/default`, `docker/default` or a `localhost/*` profile.
pub(crate) fn seccomp_annotations_baseline(pod: &Pod<'_>) -> Option<Finding> {
    let mut bad = BTreeSet::new();
    let mut fields = Vec::new();
    let mut inspect = |key: String| {
        if let Some(v) = pod.annotation(&key).filter(|v| !valid_seccomp_annotation(v)) {
            fields.push(pod.annotation_field(&key));
            bad.insert(format!("{key}={v:?}"));
        }
    };
    inspect(SECCOMP_POD_ANNOTATION.to_string());
    for c in pod.containers() {
        inspect(format!("{SECCOMP_CONTAINER_ANNOTATION_PREFIX}{}", c.name));
    }
    let bad: Vec<String> = bad.into_iter().collect();
    (!bad.is_empty()).then(|| Finding {
        summary: "seccompProfile".into(),
        detail: format!("forbidden {} {}", noun(bad.len(), "annotation", "annotations"), bad.join(", ")),
        fields,
    })
}

/// Pod-level and container-level seccomp problems shared by the field-based revisions.
struct SeccompScan {
    setters: Vec<String>,
    bad_values: BTreeSet<String>,
    fields: Vec<String>,
    /// Containers with no profile of their own and no valid pod-level profile to inherit.
    unconfined_by_default: Vec<String>,
    default_fields: Vec<String>,
}

fn scan_seccomp(pod: &Pod<'_>) -> SeccompScan {
    let mut scan = SeccompScan {
        setters: Vec::new(),
        bad_values: BTreeSet::new(),
        fields: Vec::new(),
        unconfined_by_default: Vec::new(),
        default_fields: Vec::new(),
    };
    let pod_field = pod.spec_field("securityContext.seccompProfile.type");
    let mut pod_valid = false;
    if let Some(p) = pod.security_context().and_then(|sc| sc.seccomp_profile.as_ref()) {
        if valid_seccomp_type(&p.type_) {
            pod_valid = true;
        } else {
            scan.setters.push("pod".into());
            scan.bad_values.insert(p.type_.clone());
            scan.fields.push(pod_field.clone());
        }
    }
    scan.default_fields.push(pod_field);
    let mut explicit = Vec::new();
    for c in pod.containers() {
        let field = c.field("securityContext.seccompProfile.type");
        match c.security_context.and_then(|sc| sc.seccomp_profile.as_ref()) {
            Some(p) if !valid_seccomp_type(&p.type_) => {
                explicit.push(c.name);
                scan.bad_values.insert(p.type_.clone());
                scan.fields.push(field);
            }
            Some(_) => {}
            None if !pod_valid => {
                scan.unconfined_by_default.push(c.name.to_string());
                scan.default_fields.push(field);
            }
            None => {}
        }
    }
    if !explicit.is_empty() {
        scan.setters.push(containers_phrase(&explicit));
    }
    scan
}

fn explicit_seccomp_finding(scan: SeccompScan) -> Finding {
    let values: Vec<String> = scan.bad_values.into_iter().collect();
    Finding {
        summary: "seccompProfile".into(),
        detail: format!(
            "{} must not set securityContext.seccompProfile.type to {}",
            scan.setters.join(" and "),
            join_quote(&values)
        ),
        fields: scan.fields,
    }
}

/// `seccompProfile_baseline` from v1.19: `seccompProfile.type`, where set on the pod or a
/// container, must be `RuntimeDefault` or `Localhost` (i.e. not `Unconfined`).
pub(crate) fn seccomp_fields_baseline(pod: &Pod<'_>) -> Option<Finding> {
    let scan = scan_seccomp(pod);
    (!scan.setters.is_empty()).then(|| explicit_seccomp_finding(scan))
}

/// `seccompProfile_restricted` (restricted, v1.19): as baseline, and additionally every
/// container must end up with `RuntimeDefault` or `Localhost`, set on itself or on the pod.
/// Replaces `seccompProfile_baseline` at restricted level.
pub(crate) fn seccomp_restricted(pod: &Pod<'_>) -> Option<Finding> {
    let scan = scan_seccomp(pod);
    if !scan.setters.is_empty() {
        return Some(explicit_seccomp_finding(scan));
    }
    (!scan.unconfined_by_default.is_empty()).then(|| Finding {
        summary: "seccompProfile".into(),
        detail: format!(
            r#"pod or {} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost""#,
            containers_phrase(&scan.unconfined_by_default)
        ),
        fields: scan.default_fields,
    })
}

/// `seccompProfile_restricted` from v1.25: Windows pods are exempt.
pub(crate) fn seccomp_restricted_linux(pod: &Pod<'_>) -> Option<Finding> {
    if pod.is_windows() { None } else { seccomp_restricted(pod) }
}

/// Sysctls that are namespaced and isolated per pod, by the policy version that first allows
/// them.
pub(crate) const SAFE_SYSCTLS: &[(u32, &str)] = &[
    (0, "kernel.shm_rmid_forced"),
    (0, "net.ipv4.ip_local_port_range"),
    (0, "net.ipv4.tcp_syncookies"),
    (0, "net.ipv4.ping_group_range"),
    (0, "net.ipv4.ip_unprivileged_port_start"),
    (27, "net.ipv4.ip_local_reserved_ports"),
    (29, "net.ipv4.tcp_keepalive_time"),
    (29, "net.ipv4.tcp_fin_timeout"),
    (29, "net.ipv4.tcp_keepalive_intvl"),
    (29, "net.ipv4.tcp_keepalive_probes"),
    (32, "net.ipv4.tcp_rmem"),
    (32, "net.ipv4.tcp_wmem"),
    (37, "net.ipv4.tcp_slow_start_after_idle"),
    (37, "net.ipv4.tcp_notsent_lowat"),
];

/// `sysctls` (baseline): only the safe set of the revision in force may be set.
fn sysctls_allowed_since(pod: &Pod<'_>, revision: u32) -> Option<Finding> {
    let safe = |name: &str| SAFE_SYSCTLS.iter().any(|(since, s)| *since <= revision && *s == name);
    let mut names = Vec::new();
    let mut fields = Vec::new();
    for (i, s) in pod.security_context().and_then(|sc| sc.sysctls.as_ref()).into_iter().flatten().enumerate() {
        if !safe(&s.name) {
            names.push(s.name.clone());
            fields.push(pod.spec_field(&format!("securityContext.sysctls[{i}].name")));
        }
    }
    (!names.is_empty()).then(|| Finding { summary: "forbidden sysctls".into(), detail: names.join(", "), fields })
}

pub(crate) fn sysctls_1_0(pod: &Pod<'_>) -> Option<Finding> {
    sysctls_allowed_since(pod, 0)
}
pub(crate) fn sysctls_1_27(pod: &Pod<'_>) -> Option<Finding> {
    sysctls_allowed_since(pod, 27)
}
pub(crate) fn sysctls_1_29(pod: &Pod<'_>) -> Option<Finding> {
    sysctls_allowed_since(pod, 29)
}
pub(crate) fn sysctls_1_32(pod: &Pod<'_>) -> Option<Finding> {
    sysctls_allowed_since(pod, 32)
}
pub(crate) fn sysctls_1_37(pod: &Pod<'_>) -> Option<Finding> {
    sysctls_allowed_since(pod, 37)
}
