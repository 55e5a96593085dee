//! Kubernetes API audit logs for PCI DSS requirement 10 (and 7.2.4/7.2.5/8.2.6).
//!
//! * [`event`]: one audit event, borrowed from its line (`audit.k8s.io/v1` and `v1beta1`);
//! * [`fast`]: a decoder for the common shape of an event line, serde's result without serde;
//! * [`parse`]: JSON Lines, `EventList`, arrays and cloud wrappers (AKS, EKS CloudWatch,
//!   container log shippers) to events;
//! * [`rules`]: the detection rules as data ([`rules::DEFAULT_RULES`] plus user files);
//! * [`analyze`]: rules over events, one alert per request, per-identity activity, 10.2.2
//!   completeness; states of chunks merge;
//! * [`source`]: files (plain, `.gz`, rotated sets in time order), stdin and `--follow`, read
//!   in parallel chunks with bounded memory — the only module that does IO;
//! * [`least_privilege`]: the Role that covers what a subject did (audit2rbac-like).
#![forbid(unsafe_code)]

pub mod analyze;
pub mod event;
pub mod fast;
pub mod least_privilege;
pub mod parse;
pub mod predicates;
pub mod rules;
pub mod source;
pub mod time;

pub use analyze::{Activity, Alert, AlertException, Completeness, Diagnostic, Engine, State, apply_exceptions};
pub use rules::{Context, Rule, RuleSet, Severity};
pub use source::{AnalyzeError, Report, analyze_inputs};
