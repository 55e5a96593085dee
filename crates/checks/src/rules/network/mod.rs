//! Network segmentation checks (owned by the NetworkPolicy engine work).

use crate::Check;

pub const CHECKS: &[&Check] = &[];
