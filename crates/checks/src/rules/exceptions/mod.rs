//! Exceptions with a lifecycle: an accepted risk past its date is a finding of its own.

mod expired;

use crate::Check;

pub const CHECKS: &[&Check] = &[&expired::EXPIRED_EXCEPTION];
