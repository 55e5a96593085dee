//! Change control: debug artefacts in the CDE, and pre-production beside production.

mod debug_artifacts;
mod nonprod_colocated;

use crate::Check;

pub const CHECKS: &[&Check] = &[&debug_artifacts::DEBUG_ARTIFACTS, &nonprod_colocated::NONPROD_COLOCATED];
