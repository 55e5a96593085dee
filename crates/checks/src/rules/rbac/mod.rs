//! Access control checks (owned by the RBAC engine work).

use crate::Check;

pub const CHECKS: &[&Check] = &[];
