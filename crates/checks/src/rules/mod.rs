//! Every check, one file each, grouped by area. See `README.md` in this folder for how to add one.

pub mod admission;
pub mod change;
pub mod data;
pub mod exceptions;
pub mod detection;
pub mod exposure;
pub mod image;
pub mod incident;
pub mod logging;
pub mod namespace;
pub mod network;
pub mod platform;
pub mod rbac;
pub mod scope;
pub mod secrets;
pub mod serviceaccount;
pub mod storage;
pub mod tls;
pub mod vulns;
pub mod workload;

use crate::Check;

/// Each area's list of checks.
pub const ALL: &[&[&Check]] = &[
    scope::CHECKS,
    workload::CHECKS,
    image::CHECKS,
    serviceaccount::CHECKS,
    secrets::CHECKS,
    exposure::CHECKS,
    namespace::CHECKS,
    change::CHECKS,
    admission::CHECKS,
    data::CHECKS,
    exceptions::CHECKS,
    network::CHECKS,
    platform::CHECKS,
    logging::CHECKS,
    rbac::CHECKS,
    incident::CHECKS,
    tls::CHECKS,
    storage::CHECKS,
    vulns::CHECKS,
    detection::CHECKS,
];
