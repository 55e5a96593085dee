//! Service accounts: token automounting, the default account, legacy token Secrets.

mod automount_token;
mod default_service_account;
mod legacy_token_secret;

use crate::Check;

pub const CHECKS: &[&Check] = &[&automount_token::AUTOMOUNT_TOKEN, &default_service_account::DEFAULT_SERVICE_ACCOUNT, &legacy_token_secret::LEGACY_TOKEN_SECRET];
