//! What an incident responder names: `namespace/Kind/name`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The kinds `kubepci respond` can quarantine: a Pod, or a controller whose pods it isolates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TargetKind {
    Pod,
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    Job,
    CronJob,
}

impl TargetKind {
    pub const ALL: [TargetKind; 7] = [TargetKind::Pod, TargetKind::Deployment, TargetKind::StatefulSet, TargetKind::DaemonSet, TargetKind::ReplicaSet, TargetKind::Job, TargetKind::CronJob];

    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Pod => "Pod",
            TargetKind::Deployment => "Deployment",
            TargetKind::StatefulSet => "StatefulSet",
            TargetKind::DaemonSet => "DaemonSet",
            TargetKind::ReplicaSet => "ReplicaSet",
            TargetKind::Job => "Job",
            TargetKind::CronJob => "CronJob",
        }
    }

    /// The API path of the collection (`/apis/apps/v1/namespaces/NS/deployments`).
    pub fn collection_path(self, namespace: &str) -> String {
        let (prefix, plural) = match self {
            TargetKind::Pod => ("/api/v1", "pods"),
            TargetKind::Deployment => ("/apis/apps/v1", "deployments"),
            TargetKind::StatefulSet => ("/apis/apps/v1", "statefulsets"),
            TargetKind::DaemonSet => ("/apis/apps/v1", "daemonsets"),
            TargetKind::ReplicaSet => ("/apis/apps/v1", "replicasets"),
            TargetKind::Job => ("/apis/batch/v1", "jobs"),
            TargetKind::CronJob => ("/apis/batch/v1", "cronjobs"),
        };
        format!("{prefix}/namespaces/{namespace}/{plural}")
    }

    fn parse(s: &str) -> Option<TargetKind> {
        // kubectl's short names are accepted too: responders type them.
        let lower = s.to_ascii_lowercase();
        let kind = match lower.as_str() {
            "pod" | "pods" | "po" => TargetKind::Pod,
            "deployment" | "deployments" | "deploy" => TargetKind::Deployment,
            "statefulset" | "statefulsets" | "sts" => TargetKind::StatefulSet,
            "daemonset" | "daemonsets" | "ds" => TargetKind::DaemonSet,
            "replicaset" | "replicasets" | "rs" => TargetKind::ReplicaSet,
            "job" | "jobs" => TargetKind::Job,
            "cronjob" | "cronjobs" | "cj" => TargetKind::CronJob,
            _ => return None,
        };
        Some(kind)
    }
}

/// `namespace/Kind/name`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    pub namespace: String,
    pub kind: TargetKind,
    pub name: String,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.namespace, self.kind.as_str(), self.name)
    }
}

impl FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Target, String> {
        let usage = || format!("expected namespace/Kind/name (Kind one of {}), got {s:?}", TargetKind::ALL.map(TargetKind::as_str).join(", "));
        let mut parts = s.split('/');
        let (Some(namespace), Some(kind), Some(name), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(usage());
        };
        let kind = TargetKind::parse(kind).ok_or_else(usage)?;
        for (what, value) in [("namespace", namespace), ("name", name)] {
            if !is_object_name(value) {
                return Err(format!("{what} {value:?} is not a Kubernetes object name (lower-case letters, digits, '-' and '.')"));
            }
        }
        Ok(Target { namespace: namespace.to_string(), kind, name: name.to_string() })
    }
}

impl Serialize for Target {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Target, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// A DNS-1123 subdomain, the shape of namespace and object names.
fn is_object_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && s.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_with_kubectl_short_names_and_print_canonically() {
        let t: Target = "payments/deploy/api".parse().unwrap();
        assert_eq!(t, Target { namespace: "payments".into(), kind: TargetKind::Deployment, name: "api".into() });
        assert_eq!(t.to_string(), "payments/Deployment/api");
        assert_eq!("web/Pod/shop-7d9c5b6f4-0".parse::<Target>().unwrap().kind, TargetKind::Pod);
        assert_eq!("a/CRONJOB/nightly".parse::<Target>().unwrap().kind, TargetKind::CronJob);
        assert_eq!(TargetKind::StatefulSet.collection_path("db"), "/apis/apps/v1/namespaces/db/statefulsets");
    }

    #[test]
    fn malformed_targets_are_errors_that_say_the_expected_form() {
        for bad in ["", "payments/api", "payments/Deployment/api/x", "payments/Service/api", "Payments/Pod/a", "p/Pod/-a", "p/Pod/"] {
            let err = bad.parse::<Target>().expect_err(bad);
            assert!(err.contains("namespace/Kind/name") || err.contains("is not a Kubernetes object name"), "{bad}: {err}");
        }
    }
}
