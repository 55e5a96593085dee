//! Controls on what a container may do as a process: privileged mode, Linux capabilities,
//! privilege escalation, running as root, and the `/proc` mount type.

use std::collections::BTreeSet;

use super::Finding;
use crate::pod::{Pod, containers_phrase, join_quote};

/// Capabilities the baseline level allows adding (the container runtime default set, minus
/// `NET_RAW`).
pub(crate) const BASELINE_ADDABLE_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// `privileged` (baseline, v1.0+): no container may set `securityContext.privileged=true`.
pub(crate) fn privileged(pod: &Pod<'_>) -> Option<Finding> {
    let mut names = Vec::new();
    let mut fields = Vec::new();
    for c in pod.containers() {
        if c.security_context.and_then(|sc| sc.privileged) == Some(true) {
            names.push(c.name);
            fields.push(c.field("securityContext.privileged"));
        }
    }
    (!names.is_empty()).then(|| Finding {
        summary: "privileged".into(),
        detail: format!("{} must not set securityContext.privileged=true", containers_phrase(&names)),
        fields,
    })
}

/// Containers adding capabilities outside `allowed`, the capabilities, and their fields.
fn added_capabilities_outside(pod: &Pod<'_>, allowed: &[&str]) -> Option<(Vec<String>, Vec<String>, Vec<String>)> {
    let mut names = Vec::new();
    let mut caps = BTreeSet::new();
    let mut fields = Vec::new();
    for c in pod.containers() {
        let added = c.security_context.and_then(|sc| sc.capabilities.as_ref()).and_then(|cap| cap.add.as_ref());
        let mut bad = false;
        for (i, cap) in added.into_iter().flatten().enumerate() {
            if !allowed.contains(&cap.as_str()) {
                bad = true;
                caps.insert(cap.clone());
                fields.push(c.field(&format!("securityContext.capabilities.add[{i}]")));
            }
        }
        if bad {
            names.push(c.name.to_string());
        }
    }
    (!names.is_empty()).then(|| (names, caps.into_iter().collect(), fields))
}

/// `capabilities_baseline` (baseline, v1.0+): added capabilities must be in
/// [`BASELINE_ADDABLE_CAPABILITIES`].
pub(crate) fn capabilities_baseline(pod: &Pod<'_>) -> Option<Finding> {
    let (names, caps, fields) = added_capabilities_outside(pod, BASELINE_ADDABLE_CAPABILITIES)?;
    Some(Finding {
        summary: "non-default capabilities".into(),
        detail: format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&names),
            join_quote(&caps)
        ),
        fields,
    })
}

/// `capabilities_restricted` (restricted, v1.22): every container drops `ALL` and adds at most
/// `NET_BIND_SERVICE`. Replaces `capabilities_baseline` at restricted level.
pub(crate) fn capabilities_restricted(pod: &Pod<'_>) -> Option<Finding> {
    let mut missing_drop = Vec::new();
    let mut fields = Vec::new();
    for c in pod.containers() {
        let drops_all = c
            .security_context
            .and_then(|sc| sc.capabilities.as_ref())
            .and_then(|cap| cap.drop.as_ref())
            .is_some_and(|d| d.iter().any(|x| x == "ALL"));
        if !drops_all {
            missing_drop.push(c.name.to_string());
            fields.push(c.field("securityContext.capabilities.drop"));
        }
    }
    let adding = added_capabilities_outside(pod, &["NET_BIND_SERVICE"]);
    let mut details = Vec::new();
    if !missing_drop.is_empty() {
        details.push(format!(
            r#"{} must set securityContext.capabilities.drop=["ALL"]"#,
            containers_phrase(&missing_drop)
        ));
    }
    if let Some((names, caps, add_fields)) = adding {
        details.push(format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&names),
            join_quote(&caps)
        ));
        fields.extend(add_fields);
    }
    (!details.is_empty()).then(|| Finding {
        summary: "unrestricted capabilities".into(),
        detail: details.join("; "),
        fields,
    })
}

/// `capabilities_restricted` from v1.25: Windows pods (`spec.os.name=windows`) are exempt.
pub(crate) fn capabilities_restricted_linux(pod: &Pod<'_>) -> Option<Finding> {
    if pod.is_windows() { None } else { capabilities_restricted(pod) }
}

/// `allowPrivilegeEscalation` (restricted, v1.8): every container sets
/// `securityContext.allowPrivilegeEscalation=false` explicitly.
pub(crate) fn allow_privilege_escalation(pod: &Pod<'_>) -> Option<Finding> {
    let mut names = Vec::new();
    let mut fields = Vec::new();
    for c in pod.containers() {
        if c.security_context.and_then(|sc| sc.allow_privilege_escalation) != Some(false) {
            names.push(c.name);
            fields.push(c.field("securityContext.allowPrivilegeEscalation"));
        }
    }
    (!names.is_empty()).then(|| Finding {
        summary: "allowPrivilegeEscalation != false".into(),
        detail: format!("{} must set securityContext.allowPrivilegeEscalation=false", containers_phrase(&names)),
        fields,
    })
}

/// `allowPrivilegeEscalation` from v1.25: Windows pods are exempt.
pub(crate) fn allow_privilege_escalation_linux(pod: &Pod<'_>) -> Option<Finding> {
    if pod.is_windows() { None } else { allow_privilege_escalation(pod) }
}

/// `runAsNonRoot` (restricted, v1.0): the pod sets `runAsNonRoot=true`, or every container
/// does; nobody may set it to false.
pub(crate) fn run_as_non_root(pod: &Pod<'_>) -> Option<Finding> {
    let pod_value = pod.security_context().and_then(|sc| sc.run_as_non_root);
    let pod_field = pod.spec_field("securityContext.runAsNonRoot");
    let mut setters = Vec::new();
    let mut explicit_fields = Vec::new();
    if pod_value == Some(false) {
        setters.push("pod".to_string());
        explicit_fields.push(pod_field.clone());
    }
    let mut explicitly_bad = Vec::new();
    let mut implicitly_bad = Vec::new();
    let mut implicit_fields = vec![pod_field];
    for c in pod.containers() {
        match c.security_context.and_then(|sc| sc.run_as_non_root) {
            Some(false) => {
                explicitly_bad.push(c.name);
                explicit_fields.push(c.field("securityContext.runAsNonRoot"));
            }
            Some(true) => {}
            None if pod_value != Some(true) => {
                implicitly_bad.push(c.name);
                implicit_fields.push(c.field("securityContext.runAsNonRoot"));
            }
            None => {}
        }
    }
    if !explicitly_bad.is_empty() {
        setters.push(containers_phrase(&explicitly_bad));
    }
    if !setters.is_empty() {
        return Some(Finding {
            summary: "runAsNonRoot != true".into(),
            detail: format!("{} must not set securityContext.runAsNonRoot=false", setters.join(" and ")),
            fields: explicit_fields,
        });
    }
    (!implicitly_bad.is_empty()).then(|| Finding {
        summary: "runAsNonRoot != true".into(),
        detail: format!("pod or {} must set securityContext.runAsNonRoot=true", containers_phrase(&implicitly_bad)),
        fields: implicit_fields,
    })
}

/// `runAsNonRoot` from v1.35: skipped for pods in their own user namespace
/// (`hostUsers: false`), where root in the container is not root on the node.
pub(crate) fn run_as_non_root_unless_user_namespace(pod: &Pod<'_>) -> Option<Finding> {
    if pod.in_user_namespace() { None } else { run_as_non_root(pod) }
}

/// `runAsUser` (restricted, v1.23): neither the pod nor any container sets `runAsUser: 0`.
pub(crate) fn run_as_user(pod: &Pod<'_>) -> Option<Finding> {
    let mut setters = Vec::new();
    let mut fields = Vec::new();
    if pod.security_context().and_then(|sc| sc.run_as_user) == Some(0) {
        setters.push("pod".to_string());
        fields.push(pod.spec_field("securityContext.runAsUser"));
    }
    let mut names = Vec::new();
    for c in pod.containers() {
        if c.security_context.and_then(|sc| sc.run_as_user) == Some(0) {
            names.push(c.name);
            fields.push(c.field("securityContext.runAsUser"));
        }
    }
    if !names.is_empty() {
        setters.push(containers_phrase(&names));
    }
    (!setters.is_empty()).then(|| Finding {
        summary: "runAsUser=0".into(),
        detail: format!("{} must not set runAsUser=0", setters.join(" and ")),
        fields,
    })
}

/// `runAsUser` from v1.35: skipped for pods in their own user namespace.
pub(crate) fn run_as_user_unless_user_namespace(pod: &Pod<'_>) -> Option<Finding> {
    if pod.in_user_namespace() { None } else { run_as_user(pod) }
}

/// `procMount` (baseline, v1.0) and `procMount_restricted` (restricted, v1.35): containers
/// may only use the `Default` `/proc` mount (masked paths stay masked).
pub(crate) fn proc_mount_default_only(pod: &Pod<'_>) -> Option<Finding> {
    let mut names = Vec::new();
    let mut values = BTreeSet::new();
    let mut fields = Vec::new();
    for c in pod.containers() {
        if let Some(pm) = c.security_context.and_then(|sc| sc.proc_mount.as_deref()).filter(|pm| *pm != "Default") {
            names.push(c.name);
            values.insert(pm);
            fields.push(c.field("securityContext.procMount"));
        }
    }
    let values: Vec<&str> = values.into_iter().collect();
    (!names.is_empty()).then(|| Finding {
        summary: "procMount".into(),
        detail: format!("{} must not set securityContext.procMount to {}", containers_phrase(&names), join_quote(&values)),
        fields,
    })
}

/// `procMount` from v1.35 (baseline only): any value is allowed for pods in their own user
/// namespace. Restricted keeps the strict rule through `procMount_restricted`.
pub(crate) fn proc_mount_unless_user_namespace(pod: &Pod<'_>) -> Option<Finding> {
    if pod.in_user_namespace() { None } else { proc_mount_default_only(pod) }
}
