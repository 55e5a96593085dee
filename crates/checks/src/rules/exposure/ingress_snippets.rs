use kubepci_findings::Evidence;
use kubepci_model::Resource;

use crate::support::each::{Problem, Verdict, each_of_kind};
use crate::support::exposure::{ingress_services, selected_cde_workloads};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Ingress routes to CDE workloads must not carry ingress-nginx snippet annotations
    ///
    /// ## What it checks
    /// Every Ingress with a backend Service that selects a CDE workload must have no
    /// `nginx.ingress.kubernetes.io/*-snippet` annotation (`configuration-snippet`,
    /// `server-snippet`, `auth-snippet`, `stream-snippet`, `modsecurity-snippet` …). Ingresses
    /// that route to no CDE workload are not reported.
    ///
    /// ## Why PCI DSS cares
    /// A snippet is raw nginx configuration copied into the controller. Whoever may edit the
    /// Ingress can use it to read files of the controller pod, among them its service account
    /// token, which reads every Secret of the cluster (CVE-2021-25742), or to rewrite how
    /// traffic to the CDE is proxied and logged. Creating Ingresses then grants far more than
    /// its job needs (7.2.2), and the controller in front of the CDE runs with configuration
    /// nobody hardened (2.2.6). ingress-nginx refuses snippets unless
    /// `allow-snippet-annotations` is on; an annotation on a CDE route shows that someone
    /// relies on it.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: checkout, namespace: payments, labels: {app: checkout}}
    /// spec:
    ///   containers:
    ///   - {name: checkout, image: registry.example.com/pay/checkout:1.0}
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: checkout, namespace: payments}
    /// spec:
    ///   selector: {app: checkout}
    ///   ports: [{port: 8080}]
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: checkout
    ///   namespace: payments
    ///   annotations:
    ///     nginx.ingress.kubernetes.io/configuration-snippet: |
    ///       more_set_headers "X-Frame-Options: DENY";
    /// spec:
    ///   tls: [{hosts: [pay.example.com], secretName: pay-tls}]
    ///   rules:
    ///   - host: pay.example.com
    ///     http:
    ///       paths:
    ///       - {path: /, pathType: Prefix, backend: {service: {name: checkout, port: {number: 8080}}}}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: checkout, namespace: payments, labels: {app: checkout}}
    /// spec:
    ///   containers:
    ///   - {name: checkout, image: registry.example.com/pay/checkout:1.0}
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: checkout, namespace: payments}
    /// spec:
    ///   selector: {app: checkout}
    ///   ports: [{port: 8080}]
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: checkout
    ///   namespace: payments
    ///   annotations:
    ///     nginx.ingress.kubernetes.io/ssl-redirect: "true"
    /// spec:
    ///   tls: [{hosts: [pay.example.com], secretName: pay-tls}]
    ///   rules:
    ///   - host: pay.example.com
    ///     http:
    ///       paths:
    ///       - {path: /, pathType: Prefix, backend: {service: {name: checkout, port: {number: 8080}}}}
    /// ```
    ///
    /// ## Fix
    /// Replace snippets with the dedicated annotations or a global setting in the controller's
    /// ConfigMap (headers: `add-headers`; rewrites: `rewrite-target`), remove the snippet
    /// annotations, and keep `allow-snippet-annotations: "false"` (the default since
    /// ingress-nginx 1.9) on the controller.
    pub INGRESS_SNIPPETS {
        id: "EXP-007",
        name: "cde-ingress-snippet-annotation",
        severity: High,
        applies: CdeRelated,
        reads: [workloads, Ingress, Namespace, Service],
        requirements: [
            ("7.2.2", "7.2.2.b", "a snippet lets whoever edits the Ingress act with the controller's rights, which read every Secret"),
            ("2.2.6", "2.2.6.b", "raw configuration injected into the controller in front of the CDE bypasses its hardened settings"),
        ],
        run: run,
    }
}

const PREFIX: &str = "nginx.ingress.kubernetes.io/";

fn run(_cx: &Context, e: &mut Emitter) {
    each_of_kind(e, "Ingress", |cx, _, o| {
        if !matches!(o.resource, Resource::Ingress(_)) || !ingress_services(cx, o).iter().any(|(_, svc)| !selected_cde_workloads(cx, svc).is_empty()) {
            return Verdict::Skip;
        }
        let problems = o
            .annotations()
            .keys()
            .filter(|k| k.strip_prefix(PREFIX).is_some_and(|name| name.ends_with("-snippet")))
            // The key names the snippet; its content is configuration, shown by path only.
            .map(|k| Problem::new(format!("annotation {k} injects nginx configuration on a route to the CDE"), Evidence::path(format!("metadata.annotations.{k}"))));
        Verdict::from_problems(problems)
    });
}
