//! The in-toto Statement v1 a bundle's envelope carries: every member as a subject with its
//! SHA-256, and kubepci's predicate (what was assessed, by which tool, when).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The DSSE payload type of an in-toto statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// kubepci's predicate: an evidence bundle of a PCI DSS assessment (docs/evidence.md).
pub const PREDICATE_TYPE: &str = "https://kubepci.io/evidence-bundle/v1";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub type_: String,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    pub predicate: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub name: String,
    pub digest: BTreeMap<String, String>,
}

impl Subject {
    pub fn sha256(name: &str, bytes: &[u8]) -> Subject {
        Subject { name: name.to_string(), digest: BTreeMap::from([("sha256".to_string(), crate::sha256_hex(bytes))]) }
    }
}

impl Statement {
    pub fn new(subject: Vec<Subject>, predicate: serde_json::Value) -> Statement {
        Statement { type_: STATEMENT_TYPE.into(), subject, predicate_type: PREDICATE_TYPE.into(), predicate }
    }
}
