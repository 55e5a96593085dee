//! Workload hardening: container security contexts, host access, Pod Security Standards.

mod apparmor;
mod capabilities_added;
mod capabilities_drop_all;
mod dashboard_session;
mod default_namespace;
mod host_network;
mod host_path;
mod host_pid_ipc;
mod host_port;
mod host_probes;
mod mac_profile;
mod privilege_escalation;
mod privileged;
mod proc_mount;
mod pss_baseline;
mod pss_restricted;
mod read_only_root_fs;
mod resource_limits;
mod run_as_root;
mod seccomp_required;
mod seccomp_unconfined;
mod selinux;
mod sysctls;
mod volume_types;

use crate::Check;

pub const CHECKS: &[&Check] = &[
    &privileged::PRIVILEGED_CONTAINER,
    &host_pid_ipc::HOST_PID_IPC,
    &host_network::HOST_NETWORK,
    &host_path::HOST_PATH_VOLUME,
    &host_port::HOST_PORT,
    &capabilities_added::CAPABILITIES_ADDED,
    &capabilities_drop_all::CAPABILITIES_DROP_ALL,
    &privilege_escalation::PRIVILEGE_ESCALATION,
    &run_as_root::RUN_AS_ROOT,
    &seccomp_unconfined::SECCOMP_UNCONFINED,
    &seccomp_required::SECCOMP_REQUIRED,
    &apparmor::APPARMOR,
    &selinux::SELINUX,
    &mac_profile::MAC_PROFILE,
    &sysctls::SYSCTLS,
    &proc_mount::PROC_MOUNT,
    &volume_types::VOLUME_TYPES,
    &host_probes::HOST_PROBES,
    &read_only_root_fs::READ_ONLY_ROOT_FS,
    &resource_limits::RESOURCE_LIMITS,
    &default_namespace::DEFAULT_NAMESPACE,
    &pss_baseline::PSS_BASELINE,
    &pss_restricted::PSS_RESTRICTED,
    &dashboard_session::DASHBOARD_SESSION,
];
