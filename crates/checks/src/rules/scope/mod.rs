//! Scope: is the cardholder data environment declared, and is every namespace classified?

mod cde_declared;
mod unclassified_namespace;
mod workload_inventory_labels;

use crate::Check;

pub const CHECKS: &[&Check] = &[&cde_declared::CDE_DECLARED, &unclassified_namespace::UNCLASSIFIED_NAMESPACE, &workload_inventory_labels::WORKLOAD_INVENTORY_LABELS];
