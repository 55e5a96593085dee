//! Stored data: encryption at rest of the volumes CDE workloads write to.

mod volume_encryption;

use crate::Check;

pub const CHECKS: &[&Check] = &[&volume_encryption::VOLUME_ENCRYPTION];
