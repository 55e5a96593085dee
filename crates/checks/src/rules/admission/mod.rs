//! Admission control: webhooks that fail open or exempt the CDE.

mod webhook_excludes_cde;
mod webhook_fail_open;

use crate::Check;

pub const CHECKS: &[&Check] = &[&webhook_fail_open::WEBHOOK_FAIL_OPEN, &webhook_excludes_cde::WEBHOOK_EXCLUDES_CDE];
