//! Logging pipeline checks (PCI DSS 10.3.3, 10.5.1, 10.7.2): the audit and node logs leave every
//! node, are kept for 12 months, and someone is told when the pipeline fails. The API server's
//! audit flags and policy are `platform/` checks (API-008, AUD-001, AUD-002).

mod pipeline_alerting;
mod retention;
mod shipper_coverage;
pub(crate) mod shippers;

use crate::Check;

pub const CHECKS: &[&Check] = &[&shipper_coverage::LOG_SHIPPER_COVERAGE, &pipeline_alerting::LOG_PIPELINE_ALERTING, &retention::LOG_RETENTION];
