//! Workload hardening: container security contexts, host access, Pod Security Standards.

mod privileged;

use crate::Check;

pub const CHECKS: &[&Check] = &[&privileged::PRIVILEGED_CONTAINER];
