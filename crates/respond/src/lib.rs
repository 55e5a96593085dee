//! `kubepci respond`: incident response that can be executed (PCI DSS 12.10).
//!
//! * [`plan`]: the quarantine of a Pod or controller, computed purely from the inventory and
//!   the RBAC model: the affected pods, the deny-all NetworkPolicy on a quarantine label, what
//!   the controllers do, optional cordons, the ServiceAccount revocation plan, and the exact
//!   API requests; [`release`] undoes exactly what the record on the policy says was done.
//! * [`evidence`]: the bundle captured before any change (pods, owners, events, logs, image
//!   digests, RBAC, reachability), card numbers masked, with a SHA-256 manifest, files 0600.
//! * [`cluster`]: the one place kubepci writes to a cluster ([`cluster::Writer`]), next to a
//!   GET-only [`cluster::Reader`].
//! * [`render`]: the plans as text (JSON and YAML are their serde forms).

pub mod cluster;
pub mod evidence;
pub mod permissions;
pub mod plan;
pub mod release;
pub mod render;
pub mod target;

pub use plan::{QuarantineOptions, QuarantinePlan, QuarantineRecord, plan_quarantine};
pub use release::{ReleasePlan, plan_release};
pub use target::{Target, TargetKind};
