//! Namespaces: Pod Security Admission enforcement levels.

mod psa_baseline;
mod psa_restricted;

use crate::Check;

pub const CHECKS: &[&Check] = &[&psa_restricted::PSA_RESTRICTED, &psa_baseline::PSA_BASELINE];
