//! Log shipper DaemonSets, recognised by their images, and where their pods may run.

use kubepci_model::Resource;
use kubepci_model::k8s_openapi::api::core::v1::{Taint, Toleration};

use crate::Context;

/// Image names (the last path segment, without tag) of agents that ship node and container logs.
const SHIPPER_IMAGES: &[&str] = &[
    "fluent-bit",
    "fluentd",
    "fluentd-kubernetes-daemonset",
    "aws-for-fluent-bit",
    "vector",
    "promtail",
    "filebeat",
    "logstash",
    "agent", // datadog/agent, grafana/agent
    "alloy",
    "opentelemetry-collector",
    "opentelemetry-collector-contrib",
    "opentelemetry-collector-k8s",
    "splunk-otel-collector",
    "elastic-agent",
    "cloudwatch-agent",
    "ama-logs",
    "collector", // sumologic/sumologic-otel-collector and similar
    "rsyslog",
    "syslog-ng",
    "nxlog-ce",
    "newrelic-fluentbit-output",
    "log-router",
];

/// Publishers whose `agent` or `collector` image is a log agent (a bare `agent` is too common).
const AGENT_PUBLISHERS: &[&str] = &["datadog", "grafana", "sumologic", "newrelic", "dynatrace", "signalfx"];

/// A DaemonSet that ships logs: its name, shipper image, and where its pods may run.
pub struct Shipper {
    pub name: String,
    pub image: String,
    pub tolerations: Vec<Toleration>,
    pub node_selector: std::collections::BTreeMap<String, String>,
}

pub(crate) fn is_shipper_image(image: &str) -> bool {
    let without_digest = image.split('@').next().unwrap_or(image);
    let path = without_digest.rsplit_once(':').filter(|(_, tag)| !tag.contains('/')).map_or(without_digest, |(p, _)| p);
    let mut parts = path.rsplit('/');
    let name = parts.next().unwrap_or("");
    let publisher = parts.next().unwrap_or("");
    match name {
        "agent" | "collector" => AGENT_PUBLISHERS.iter().any(|p| publisher.contains(p)),
        n => SHIPPER_IMAGES.contains(&n),
    }
}

pub fn shippers(cx: &Context) -> Vec<Shipper> {
    let inv = cx.inv;
    inv.indices_of_kind("DaemonSet")
        .iter()
        .filter_map(|&index| {
            let o = &inv.objects[index];
            let Resource::DaemonSet(ds) = &o.resource else { return None };
            let spec = ds.spec.template.pod_spec()?;
            let image = spec.containers.iter().filter_map(|c| c.image.as_deref()).find(|i| is_shipper_image(i))?.to_string();
            Some(Shipper {
                name: format!("{}/{}", o.namespace().unwrap_or("default"), o.name()),
                image,
                tolerations: spec.tolerations.clone().unwrap_or_default(),
                node_selector: spec.node_selector.clone().unwrap_or_default(),
            })
        })
        .collect()
}

/// Whether a toleration tolerates a taint, as the scheduler decides.
pub fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    let effect_ok = t.effect.as_deref().is_none_or(|e| e.is_empty() || e == taint.effect);
    let key = t.key.as_deref().unwrap_or("");
    let operator = t.operator.as_deref().unwrap_or("Equal");
    let key_ok = if key.is_empty() { operator == "Exists" } else { key == taint.key };
    let value_ok = operator == "Exists" || t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or("");
    effect_ok && key_ok && value_ok
}

/// The taints of a node that keep a pod without a matching toleration away (NoSchedule,
/// NoExecute), not tolerated by `tolerations`.
pub fn untolerated<'t>(taints: &'t [Taint], tolerations: &[Toleration]) -> Vec<&'t Taint> {
    taints.iter().filter(|t| t.effect != "PreferNoSchedule" && !tolerations.iter().any(|tol| tolerates(tol, t))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taint(key: &str, value: Option<&str>, effect: &str) -> Taint {
        Taint { key: key.into(), value: value.map(str::to_string), effect: effect.into(), time_added: None }
    }
    fn tol(key: Option<&str>, op: &str, value: Option<&str>, effect: Option<&str>) -> Toleration {
        Toleration { key: key.map(str::to_string), operator: Some(op.into()), value: value.map(str::to_string), effect: effect.map(str::to_string), toleration_seconds: None }
    }

    #[test]
    fn toleration_semantics() {
        let cde = taint("pci", Some("cde"), "NoSchedule");
        assert!(tolerates(&tol(None, "Exists", None, None), &cde));
        assert!(tolerates(&tol(Some("pci"), "Exists", None, None), &cde));
        assert!(tolerates(&tol(Some("pci"), "Equal", Some("cde"), Some("NoSchedule")), &cde));
        assert!(!tolerates(&tol(Some("pci"), "Equal", Some("other"), None), &cde));
        assert!(!tolerates(&tol(Some("pci"), "Exists", None, Some("NoExecute")), &cde));
        assert!(untolerated(&[taint("soft", None, "PreferNoSchedule")], &[]).is_empty());
    }

    #[test]
    fn shipper_images() {
        assert!(is_shipper_image("cr.fluentbit.io/fluent/fluent-bit:3.1.9"));
        assert!(is_shipper_image("docker.io/grafana/promtail@sha256:abc"));
        assert!(is_shipper_image("gcr.io/datadoghq/agent:7"));
        assert!(is_shipper_image("localhost:5000/vector"));
        assert!(!is_shipper_image("registry.example/acme/agent:1"));
        assert!(!is_shipper_image("nginx:1.27"));
    }
}
