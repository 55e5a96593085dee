use kubepci_findings::Evidence;
use kubepci_inventory::Workload;
use kubepci_model::Object;

use crate::support::containers::containers;
use crate::support::each::{Problem, Verdict, each_of_kind};
use crate::support::exposure::{ingress_services, selected_workloads, service_spec, service_type_exposed, workload_name};
use crate::{Context, Emitter, declare_check};

/// Image repository names (last path segment) and workload names of administrative web UIs.
const ADMIN_UIS: &[&str] = &[
    "kubernetes-dashboard", "dashboard", "headlamp", "grafana", "kibana", "argocd-server", "jenkins",
    "phpmyadmin", "pgadmin4", "adminer", "portainer", "portainer-ce", "mongo-express",
    "redis-commander", "kafka-ui", "prometheus", "alertmanager", "weave-scope-app",
];

declare_check! {
    /// Administrative web UIs must not be exposed outside the cluster
    ///
    /// ## What it checks
    /// Every `LoadBalancer` or `NodePort` Service and every Ingress: none may route to a
    /// workload that is an administrative UI, recognised by its name or the repository name
    /// of a container image (Kubernetes Dashboard, Headlamp, Grafana, Kibana, Argo CD server,
    /// Jenkins, phpMyAdmin, pgAdmin, Adminer, Portainer, mongo-express, Redis Commander,
    /// Kafka UI, Prometheus, Alertmanager, Weave Scope). ClusterIP Services are not reported.
    ///
    /// ## Why PCI DSS cares
    /// Admin consoles control the cluster, its data stores or its monitoring, and several ship
    /// without authentication. Inbound traffic from untrusted networks may reach only
    /// components authorized to provide public services (1.4.2), and an administrative console
    /// is not one. Whether access to the console is encrypted and protected with MFA (2.2.7,
    /// 8.4.1) is not something this check sees; the assessor verifies it for every console that
    /// stays reachable.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: kubernetes-dashboard, namespace: kubernetes-dashboard}
    /// spec:
    ///   selector: {matchLabels: {k8s-app: kubernetes-dashboard}}
    ///   template:
    ///     metadata: {labels: {k8s-app: kubernetes-dashboard}}
    ///     spec:
    ///       containers:
    ///       - {name: dashboard, image: "kubernetesui/dashboard:v2.7.0"}
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: kubernetes-dashboard, namespace: kubernetes-dashboard}
    /// spec:
    ///   type: LoadBalancer
    ///   selector: {k8s-app: kubernetes-dashboard}
    ///   ports: [{port: 443, targetPort: 8443}]
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: shop, namespace: shop}
    /// spec:
    ///   selector: {matchLabels: {app: shop}}
    ///   template:
    ///     metadata: {labels: {app: shop}}
    ///     spec:
    ///       containers:
    ///       - {name: web, image: "registry.example.com/shop/web:5.0"}
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: shop, namespace: shop}
    /// spec:
    ///   type: LoadBalancer
    ///   selector: {app: shop}
    ///   ports: [{port: 443, targetPort: 8443}]
    /// ```
    ///
    /// ## Fix
    /// Make the Service `ClusterIP` and reach the UI through `kubectl port-forward`, a VPN or
    /// an authenticating proxy with MFA; remove the Ingress route.
    pub ADMIN_UI_EXPOSED {
        id: "EXP-006",
        name: "admin-ui-exposed",
        severity: High,
        applies: All,
        reads: [workloads, Ingress, Service],
        requirements: [("1.4.2", "1.4.2", "an administrative UI is not a component authorized to serve untrusted networks, yet a LoadBalancer, NodePort or Ingress routes traffic from them to it")],
        run: run,
    }
}

/// `registry/org/name:tag@digest` → `name`.
fn repository_name(image: &str) -> &str {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    last.split(':').next().unwrap_or(last)
}

/// The admin UI a workload is, if any.
fn admin_ui(cx: &Context, w: &Workload) -> Option<&'static str> {
    let o = &cx.inv.objects[w.object];
    let template = o.pod_template()?;
    let mut names = std::iter::once(o.name()).chain(containers(&template).filter_map(|c| c.container.image.as_deref().map(repository_name)));
    names.find_map(|n| ADMIN_UIS.iter().find(|ui| n.eq_ignore_ascii_case(ui)).copied())
}

/// Admin UI workloads behind a Service, as `Deployment/grafana (grafana)`.
fn admin_uis_behind(cx: &Context, service: &Object) -> Vec<String> {
    let mut uis: Vec<String> = selected_workloads(cx, service).into_iter().filter_map(|w| admin_ui(cx, w).map(|ui| format!("{} ({ui})", workload_name(cx, w)))).collect();
    uis.sort();
    uis.dedup();
    uis
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_of_kind(e, "Service", |cx, _, o| {
        let Some(spec) = service_spec(o).filter(|s| service_type_exposed(s)) else { return Verdict::Skip };
        let uis = admin_uis_behind(cx, o);
        if uis.is_empty() {
            return Verdict::Pass;
        }
        let kind = spec.type_.as_deref().unwrap_or_default();
        Verdict::Fail(format!("{kind} Service exposes admin UI {}", uis.join(", ")), vec![Evidence::field("spec.type", kind)])
    });
    each_of_kind(e, "Ingress", |cx, _, o| {
        Verdict::from_problems(ingress_services(cx, o).into_iter().filter_map(|(b, svc)| {
            let uis = admin_uis_behind(cx, svc);
            (!uis.is_empty()).then(|| Problem::new(format!("Ingress routes to admin UI {}", uis.join(", ")), Evidence::field(b.path, b.service)))
        }))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names() {
        assert_eq!(repository_name("kubernetesui/dashboard:v2.7.0"), "dashboard");
        assert_eq!(repository_name("registry.local:5000/grafana/grafana@sha256:ab"), "grafana");
        assert_eq!(repository_name("quay.io/prometheus/node-exporter:v1"), "node-exporter");
        assert_eq!(repository_name("adminer"), "adminer");
    }
}
