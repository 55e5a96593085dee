//! Helpers shared by many checks, so each check file holds only its own rule.

pub mod containers;
pub mod credentials;
pub mod image;
pub mod pss;
