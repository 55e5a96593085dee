//! Helpers shared by many checks, so each check file holds only its own rule.

pub mod cert_inventory;
pub mod certificates;
pub mod containers;
pub mod credentials;
pub mod each;
pub mod exposure;
pub mod hardening;
pub mod image;
pub mod leaks;
pub mod placement;
pub mod pss;
pub mod text_fields;
pub mod text_walk;
pub mod webhooks;
pub mod k8s_versions;
pub mod x509;
