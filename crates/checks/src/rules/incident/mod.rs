//! Incident response readiness (PCI DSS 12.10): can the response plan be executed on this
//! cluster? Runtime detection whose alerts reach responders, audit logs that leave the
//! control plane, and responders who can quarantine a CDE workload (`kubepci respond`).

mod audit_log_shipped;
mod quarantine_role;
mod runtime_detection_alerts;

use crate::Check;

pub const CHECKS: &[&Check] = &[&runtime_detection_alerts::RUNTIME_DETECTION_ALERTS, &audit_log_shipped::AUDIT_LOG_SHIPPED, &quarantine_role::QUARANTINE_ROLE];

/// Why these checks are not assessed on manifests: the security tooling and the responders'
/// access are installed by the platform team, rarely with the applications' manifests.
pub(crate) const PLATFORM_TOOLING_NOT_IN_MANIFESTS: &str = kubepci_findings::reasons::SECURITY_TOOLING_NOT_IN_MANIFESTS;

/// A workload's name and container images, lower-cased: what the tooling is recognised by.
pub(crate) fn identity_texts(o: &kubepci_model::Object, t: &kubepci_model::PodTemplate) -> Vec<String> {
    std::iter::once(o.name().to_ascii_lowercase()).chain(t.spec.containers.iter().map(|c| c.image.clone().unwrap_or_default().to_ascii_lowercase())).collect()
}

/// Log shippers that collect node and container log files.
pub(crate) const LOG_SHIPPERS: &[&str] = &["fluent-bit", "fluentbit", "fluentd", "vector", "promtail", "filebeat", "otel-collector", "opentelemetry-collector", "grafana-agent", "alloy", "splunk-otel", "datadog-agent", "logstash"];
