//! Secrets hygiene: how credentials reach workloads, and where they leak.

mod basic_auth_secret;
mod configmap_credentials;
mod credential_age;
mod default_passwords;
mod env_literal_credentials;
mod last_applied_secret;
mod secret_env;

use crate::Check;

pub(crate) use default_passwords::default_password_problems;

pub const CHECKS: &[&Check] = &[
    &secret_env::SECRET_ENV,
    &env_literal_credentials::ENV_LITERAL_CREDENTIALS,
    &configmap_credentials::CONFIGMAP_CREDENTIALS,
    &last_applied_secret::LAST_APPLIED_SECRET,
    &basic_auth_secret::BASIC_AUTH_SECRET,
    &default_passwords::DEFAULT_PASSWORDS,
    &credential_age::CREDENTIAL_AGE,
];
