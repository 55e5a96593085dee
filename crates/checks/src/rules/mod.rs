//! Every check, one file each, grouped by area. See `README.md` in this folder for how to add one.

pub mod network;
pub mod rbac;
pub mod scope;
pub mod workload;

use crate::Check;

/// Each area's list of checks.
pub const ALL: &[&[&Check]] = &[scope::CHECKS, workload::CHECKS, network::CHECKS, rbac::CHECKS];
