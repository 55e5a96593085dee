//! Stored data: encryption at rest of the volumes CDE workloads write to and of their backups.

mod backup_encryption;
mod volume_encryption;

use crate::Check;

pub const CHECKS: &[&Check] = &[&volume_encryption::VOLUME_ENCRYPTION, &backup_encryption::BACKUP_ENCRYPTION];
