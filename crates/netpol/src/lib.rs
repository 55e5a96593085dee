//! NetworkPolicy reachability engine.
//!
//! From an [`Inventory`](kubepci_inventory::Inventory) it computes which workloads (pods grouped
//! by their owner, each pod matched by its own labels) and which external IPv4 ranges may open
//! connections to which, on which protocols and ports, under Kubernetes NetworkPolicy v1,
//! AdminNetworkPolicy and BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1)
//! semantics, and which workloads outside traffic reaches through ingress controllers (Ingress,
//! OpenShift Route, Gateway API routes). See `README.md` beside this crate for the exact
//! semantics and the output formats.
//!
//! ```ignore
//! let r = Reachability::compute(&inventory);
//! for c in r.connections() { println!("{} => {} : {}", r.endpoint_name(c.src), r.endpoint_name(c.dst), c.conns); }
//! ```

mod analysis;
mod calc;
mod cells;
mod endpoints;
mod engine;
mod explain;
pub mod format;
mod ingress;
mod intern;
mod intervals;
mod members;
pub mod ipblocks;
pub mod policy;
pub mod ports;
mod profiles;
mod sides;

pub use endpoints::{NAMESPACE_NAME_LABEL, NamespaceEntry, PodClass, PodMember, WorkloadEndpoint};
pub use engine::{Connection, Endpoint, Options, PodConnection, Reachability};
pub use explain::{Explanation, IngressExplanation, IngressPathExplanation, PodPairExplanation, RuleDecision, SideExplanation};
pub use ingress::{INGRESS_CONTROLLER, IngressFlow, IngressObject, IngressVia};
pub use policy::{Action, Direction, Policy, PolicyKind, PolicyWarning};
pub use ports::{ConnSet, PortSet, Protocol};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod ingress_tests;
