//! Service accounts: token automounting, the default account, legacy token Secrets.

mod automount_token;
mod default_account_automount;
mod default_service_account;
mod legacy_token_secret;
mod shared_service_account;

use crate::Check;

pub const CHECKS: &[&Check] = &[
    &automount_token::AUTOMOUNT_TOKEN, &default_service_account::DEFAULT_SERVICE_ACCOUNT, &legacy_token_secret::LEGACY_TOKEN_SECRET,
    &shared_service_account::SHARED_SERVICE_ACCOUNT,
    &default_account_automount::DEFAULT_ACCOUNT_AUTOMOUNT,
];
