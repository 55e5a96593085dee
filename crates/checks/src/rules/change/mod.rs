//! Change control: debug artefacts in the CDE, pre-production beside production, GitOps
//! management of CDE workloads, admission policies restricting who changes them.

mod admission_change_control;
mod debug_artifacts;
mod gitops_managed;
mod netpol_gitops_managed;
pub(crate) mod nonprod_colocated;

use crate::Check;

pub const CHECKS: &[&Check] = &[&debug_artifacts::DEBUG_ARTIFACTS, &nonprod_colocated::NONPROD_COLOCATED, &gitops_managed::GITOPS_MANAGED, &admission_change_control::ADMISSION_CHANGE_CONTROL, &netpol_gitops_managed::NETPOL_GITOPS_MANAGED];
