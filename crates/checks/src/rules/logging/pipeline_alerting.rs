use kubepci_findings::Evidence;
use kubepci_model::Resource;
use serde_json::Value;

use super::shippers::shippers;
use crate::{Context, Emitter, declare_check};

/// Metric names and fragments that show a rule watches the audit or log pipeline.
const PIPELINE_METRICS: &[&str] = &[
    "apiserver_audit_",
    "fluentbit_",
    "fluentd_",
    "vector_",
    "promtail_",
    "filebeat_",
    "otelcol_exporter_send_failed",
    "otelcol_exporter_queue",
    "loki_",
    "logstash_",
    "log_shipper",
];

declare_check! {
    /// Failures of the audit-log pipeline must raise an alert
    ///
    /// ## What it checks
    /// A PrometheusRule (Prometheus Operator) must have an alerting rule whose expression
    /// watches the audit or log pipeline: the API server's audit metrics (`apiserver_audit_*`),
    /// a log shipper's own metrics (Fluent Bit, Fluentd, Vector, Promtail, Filebeat, the
    /// OpenTelemetry Collector's exporter failures, Loki), or the availability of a log shipper
    /// DaemonSet of the input (`kube_daemonset_*` naming it). And an alert must reach someone:
    /// an AlertmanagerConfig with a receiver, or an Alertmanager or ConfigMap whose
    /// configuration defines `receivers`. Manifests without any PrometheusRule are not assessed
    /// (the monitoring stack may be deployed elsewhere); a cluster snapshot without one fails.
    ///
    /// ## Why PCI DSS cares
    /// 10.7.2 asks that failures of critical security control systems, audit logging
    /// mechanisms included, are detected, alerted and addressed promptly. A shipper that
    /// crash-loops or an audit webhook that drops events leaves a gap in the trail nobody
    /// notices until an investigation needs it.
    ///
    /// ## Failing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: monitoring.coreos.com/v1
    /// kind: PrometheusRule
    /// metadata: {name: node-alerts, namespace: monitoring}
    /// spec:
    ///   groups:
    ///   - name: nodes
    ///     rules:
    ///     - alert: NodeDown
    ///       expr: up{job="node-exporter"} == 0
    /// ---
    /// apiVersion: monitoring.coreos.com/v1alpha1
    /// kind: AlertmanagerConfig
    /// metadata: {name: oncall, namespace: monitoring}
    /// spec:
    ///   route: {receiver: pager}
    ///   receivers: [{name: pager}]
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: monitoring.coreos.com/v1
    /// kind: PrometheusRule
    /// metadata: {name: logging-alerts, namespace: monitoring}
    /// spec:
    ///   groups:
    ///   - name: logging
    ///     rules:
    ///     - alert: FluentBitOutputErrors
    ///       expr: rate(fluentbit_output_errors_total[5m]) > 0
    ///     - alert: AuditEventsDropped
    ///       expr: rate(apiserver_audit_error_total[5m]) > 0
    /// ---
    /// apiVersion: monitoring.coreos.com/v1alpha1
    /// kind: AlertmanagerConfig
    /// metadata: {name: oncall, namespace: monitoring}
    /// spec:
    ///   route: {receiver: pager}
    ///   receivers: [{name: pager}]
    /// ```
    ///
    /// ## Fix
    /// Add alerting rules on `apiserver_audit_error_total` (audit events the API server could
    /// not write or send), on the shipper's output errors and retries, and on its DaemonSet
    /// having unavailable pods; route them to a receiver someone answers.
    pub LOG_PIPELINE_ALERTING {
        id: "LOG-002",
        name: "log-pipeline-alerting",
        severity: Medium,
        applies: Cluster,
        reads: [AlertmanagerConfig, Alertmanager, ConfigMap, DaemonSet, PrometheusRule],
        requirements: [("10.7.2", "10.7.2.a", "an alerting rule on the audit and log pipeline's own metrics, routed to a receiver, is how its failure is detected and alerted")],
        run: run,
    }
}

fn body<'a>(cx: &'a Context, kind: &str) -> Vec<(&'a str, &'a serde_json::Map<String, Value>)> {
    let inv = cx.inv;
    inv.indices_of_kind(kind)
        .iter()
        .filter_map(|&i| match &inv.objects[i].resource {
            Resource::Generic(g) => Some((inv.objects[i].name(), &g.body)),
            _ => None,
        })
        .collect()
}

fn run(cx: &Context, e: &mut Emitter) {
    let rules = body(cx, "PrometheusRule");
    if rules.is_empty() {
        if cx.input.is_cluster() {
            e.fail_cluster("no PrometheusRule in the cluster: nothing alerts when the audit or log pipeline fails", vec![]);
        } else {
            e.not_assessed(None, "no PrometheusRule in the manifests; alerting may be defined outside them");
        }
        return;
    }
    let shipper_names: Vec<String> = shippers(cx).into_iter().map(|s| s.name.rsplit('/').next().unwrap_or("").to_string()).collect();
    let shipper_names = &shipper_names;
    let watching: Vec<String> = rules
        .iter()
        .flat_map(|(name, b)| {
            let groups = b.get("spec").and_then(|s| s.get("groups")).and_then(Value::as_array).cloned().unwrap_or_default();
            groups
                .into_iter()
                .flat_map(|g| g.get("rules").and_then(Value::as_array).cloned().unwrap_or_default())
                .filter(|r| r.get("alert").is_some())
                .filter_map(move |r| {
                    let expr = r.get("expr").map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string)).unwrap_or_default();
                    let metric = PIPELINE_METRICS.iter().any(|m| expr.contains(m));
                    let shipper_ds = expr.contains("kube_daemonset") && shipper_names.iter().any(|n| !n.is_empty() && expr.contains(n.as_str()));
                    (metric || shipper_ds).then(|| format!("PrometheusRule {name}: {}", r.get("alert").and_then(Value::as_str).unwrap_or("?")))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let receivers = body(cx, "AlertmanagerConfig").iter().any(|(_, b)| b.get("spec").and_then(|s| s.get("receivers")).and_then(Value::as_array).is_some_and(|r| !r.is_empty()))
        || body(cx, "Alertmanager").iter().any(|(_, b)| b.get("spec").is_some_and(|s| s.get("alertmanagerConfiguration").is_some() || s.get("configSecret").is_some()))
        || cx.inv.indices_of_kind("ConfigMap").iter().any(|&i| match &cx.inv.objects[i].resource {
            Resource::ConfigMap(cm) => cm.data.as_ref().is_some_and(|d| d.iter().any(|(k, v)| k.starts_with("alertmanager") && v.contains("receivers:"))),
            _ => false,
        });
    match (watching.is_empty(), receivers) {
        (false, true) => e.pass_cluster(),
        (true, _) => e.fail_cluster(
            "no alerting rule watches the audit or log pipeline (apiserver_audit_*, the log shipper's metrics or its DaemonSet)",
            rules.iter().map(|(n, _)| Evidence::field("PrometheusRule", n.to_string())).collect(),
        ),
        (false, false) => {
            if cx.input.is_cluster() {
                e.fail_cluster("alerting rules watch the log pipeline, but no Alertmanager receiver is configured (AlertmanagerConfig, Alertmanager or its configuration)", watching.into_iter().map(|w| Evidence::field("rule", w)).collect());
            } else {
                e.not_assessed(None, "alerting rules watch the log pipeline; no Alertmanager receiver in the manifests (it may be configured elsewhere)");
            }
        }
    }
}
