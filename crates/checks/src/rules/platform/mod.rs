//! Platform checks: control plane flags, encryption at rest, audit policy, kubelet, versions.

use crate::Check;

pub const CHECKS: &[&Check] = &[];
