//! Pure data model shared by every kubepci stage: Kubernetes objects (typed where a check reads
//! them, generic otherwise), where each object came from, and label-selector semantics. No I/O
//! lives here.
//!
//! Every typed kind is kubepci's own struct with k8s-openapi's fields, field names and JSON
//! ([`pod`], [`controller`], [`kinds`]), laid out to be small; every object's metadata is the
//! compact [`Meta`] and its label and annotation maps are [`Labels`] (a sorted boxed slice, not
//! a `BTreeMap`). Nested k8s-openapi types (a `ServiceSpec`, a `PolicyRule` …) are kept as
//! they are; code that builds k8s-openapi objects converts with `From` at that edge.

#[macro_use]
pub mod compact;
pub mod controller;
pub mod hash;
pub mod kinds;
pub mod labels;
mod location;
mod meta;
mod object;
pub mod pod;
mod pod_template;
pub mod prune;
pub mod selector;
mod tidy;
pub mod templated;

pub use k8s_openapi;
pub use labels::{LabelLookup, Labels};
pub use location::SourceLoc;
pub use meta::{Meta, RareMeta};
pub use object::{DecodeError, GenericObject, Object, ObjectRef, Resource, decode_direct, decode_value, split_api_version};
pub use pod_template::PodTemplate;
pub use templated::PodSpecInterner;
