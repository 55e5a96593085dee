use kubepci_findings::Evidence;
use kubepci_model::{Object, Resource};

use crate::support::each::{Verdict, each_of_kind};
use crate::support::exposure::{ingress_services, selected_cde_workloads};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Ingress routes to CDE workloads must pass a web application firewall that blocks
    ///
    /// ## What it checks
    /// Every Ingress with a backend Service that selects a CDE workload (an Ingress is taken
    /// as a public entry point) must be served with ModSecurity in blocking mode by
    /// ingress-nginx: ModSecurity enabled (`enable-modsecurity: "true"` in the controller's
    /// ConfigMap, labelled `app.kubernetes.io/name: ingress-nginx`, or the Ingress annotation
    /// `nginx.ingress.kubernetes.io/enable-modsecurity`, which also turns it off), a rule set
    /// loaded (`enable-owasp-modsecurity-crs` in the ConfigMap, the annotation
    /// `enable-owasp-core-rules`, or `SecRule`/`Include` lines in a `modsecurity-snippet`), and
    /// `SecRuleEngine On` in a `modsecurity-snippet` (ingress-nginx's own ModSecurity
    /// configuration only detects). An Ingress with a cloud WAF attached by annotation (AWS
    /// `alb.ingress.kubernetes.io/wafv2-acl-arn` or `waf-acl-id`, Azure
    /// `appgw.ingress.kubernetes.io/waf-policy-for-path`) is not assessed: whether that WAF
    /// blocks is set in the cloud. A WAF outside the cluster (a CDN in front) is not in the
    /// input either: record it as an exception.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 6.4.2 asks for an automated technical solution in front of public-facing
    /// web applications that continually detects and prevents web-based attacks, and 6.4.1
    /// asks that those applications are protected against known attacks. The Ingress in front
    /// of a CDE application is where such a solution sits in a cluster; in detection-only mode
    /// it prevents nothing.
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
    ///     nginx.ingress.kubernetes.io/enable-modsecurity: "true"
    /// spec:
    ///   ingressClassName: nginx
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
    /// kind: ConfigMap
    /// metadata:
    ///   name: ingress-nginx-controller
    ///   namespace: ingress-nginx
    ///   labels: {app.kubernetes.io/name: ingress-nginx}
    /// data:
    ///   enable-modsecurity: "true"
    ///   enable-owasp-modsecurity-crs: "true"
    ///   modsecurity-snippet: |
    ///     SecRuleEngine On
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
    /// metadata: {name: checkout, namespace: payments}
    /// spec:
    ///   ingressClassName: nginx
    ///   rules:
    ///   - host: pay.example.com
    ///     http:
    ///       paths:
    ///       - {path: /, pathType: Prefix, backend: {service: {name: checkout, port: {number: 8080}}}}
    /// ```
    ///
    /// ## Fix
    /// In the ingress-nginx ConfigMap set `enable-modsecurity: "true"`,
    /// `enable-owasp-modsecurity-crs: "true"` and a `modsecurity-snippet` with
    /// `SecRuleEngine On` (tune false positives with rule exclusions, not by switching to
    /// detection), or put a managed WAF in blocking mode in front of the route and record it.
    pub CDE_ROUTE_WAF {
        id: "EXP-009",
        name: "cde-route-without-waf",
        severity: Medium,
        applies: CdeRelated,
        reads: [workloads, ConfigMap, Ingress, Namespace, Service],
        requirements: [
            ("6.4.2", "6.4.2", "the ModSecurity settings that apply to the public route into a CDE application show whether an automated solution detects and blocks web attacks in front of it"),
            ("6.4.1", "6.4.1", "an Ingress to a CDE application without a blocking WAF lacks the automated protection against known attacks that 6.4.1 accepts"),
        ],
        run: run,
    }
}

const NGINX: &str = "nginx.ingress.kubernetes.io/";
const CLOUD_WAF: &[&str] = &["alb.ingress.kubernetes.io/wafv2-acl-arn", "alb.ingress.kubernetes.io/waf-acl-id", "appgw.ingress.kubernetes.io/waf-policy-for-path"];

/// ModSecurity settings seen so far, from the controller ConfigMap then the Ingress.
#[derive(Default, Clone, Copy)]
struct ModSecurity {
    enabled: bool,
    rules: bool,
    blocking: bool,
}

impl ModSecurity {
    fn apply(&mut self, enabled: Option<&str>, crs: Option<&str>, snippet: Option<&str>) {
        if let Some(v) = enabled {
            self.enabled = v.trim() == "true";
        }
        if crs.is_some_and(|v| v.trim() == "true") {
            self.rules = true;
        }
        if let Some(s) = snippet {
            for line in s.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
                let mut words = line.split_whitespace();
                match words.next() {
                    Some(d) if d.eq_ignore_ascii_case("SecRuleEngine") => self.blocking = words.next().is_some_and(|m| m.eq_ignore_ascii_case("On")),
                    Some(d) if d.eq_ignore_ascii_case("SecRule") || d.eq_ignore_ascii_case("Include") => self.rules = true,
                    _ => {}
                }
            }
        }
    }
}

/// The settings of every ingress-nginx controller ConfigMap in the input; `None` when there is none.
fn controller_settings(cx: &Context) -> Option<ModSecurity> {
    let mut found = None;
    for o in cx.inv.of_kind("ConfigMap").filter(|o| o.labels().get("app.kubernetes.io/name").is_some_and(|v| v == "ingress-nginx")) {
        let Resource::ConfigMap(cm) = &o.resource else { continue };
        let get = |k: &str| cm.data.as_ref().and_then(|d| d.get(k)).map(String::as_str);
        let mut m = ModSecurity::default();
        m.apply(get("enable-modsecurity"), get("enable-owasp-modsecurity-crs"), get("modsecurity-snippet"));
        // Several controllers: the weakest one counts, since the route's class is not resolved to one.
        let prev: ModSecurity = found.unwrap_or(ModSecurity { enabled: true, rules: true, blocking: true });
        found = Some(ModSecurity { enabled: prev.enabled && m.enabled, rules: prev.rules && m.rules, blocking: prev.blocking && m.blocking });
    }
    found
}

fn judge(controller: Option<ModSecurity>, o: &Object) -> Verdict {
    let a = o.annotations();
    if let Some(k) = CLOUD_WAF.iter().find(|k| a.contains_key(k)) {
        return Verdict::NotAssessed(format!("a cloud WAF is attached ({k}); whether it blocks is set in the cloud provider"));
    }
    let get = |k: &str| a.get(&format!("{NGINX}{k}"));
    let mut m = controller.unwrap_or_default();
    m.apply(get("enable-modsecurity"), get("enable-owasp-core-rules"), get("modsecurity-snippet"));
    let evidence = |what: &str| vec![Evidence::field("metadata.annotations", what.to_string())];
    match m {
        ModSecurity { enabled: true, rules: true, blocking: true } => Verdict::Pass,
        ModSecurity { enabled: false, .. } => Verdict::Fail("no web application firewall in front of a route to the CDE (ModSecurity not enabled, no WAF annotation)".into(), evidence("no enable-modsecurity, no cloud WAF")),
        ModSecurity { rules: false, .. } => Verdict::Fail("ModSecurity is enabled on a route to the CDE but loads no rule set".into(), evidence("no OWASP CRS, no SecRule or Include")),
        ModSecurity { blocking: false, .. } => Verdict::Fail("ModSecurity on a route to the CDE only detects: SecRuleEngine is not On".into(), evidence("no SecRuleEngine On in a modsecurity-snippet")),
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    let controller = controller_settings(cx);
    each_of_kind(e, "Ingress", |cx, _, o| {
        if !matches!(o.resource, Resource::Ingress(_)) || !ingress_services(cx, o).iter().any(|(_, svc)| !selected_cde_workloads(cx, svc).is_empty()) {
            return Verdict::Skip;
        }
        judge(controller, o)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTE: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: checkout, namespace: payments, labels: {app: checkout}}\nspec: {containers: [{name: c, image: r.example/c:1}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: checkout, namespace: payments}\nspec: {selector: {app: checkout}, ports: [{port: 8080}]}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: checkout\n  namespace: payments\n  annotations: {ANN}\nspec:\n  rules: [{host: pay.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: checkout, port: {number: 8080}}}}]}}]\n";

    fn run_with(annotations: &str, configmap: &str) -> crate::testing::Outcome {
        let cm = if configmap.is_empty() { String::new() } else { format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: ctl, namespace: ingress-nginx, labels: {{app.kubernetes.io/name: ingress-nginx}}}}\ndata: {configmap}\n") };
        crate::testing::run(&CDE_ROUTE_WAF, &format!("{}{cm}", ROUTE.replace("{ANN}", annotations)), "")
    }

    #[test]
    fn no_waf_and_detection_only_fail() {
        assert_eq!(run_with("{}", "").fails.len(), 1);
        let detect = run_with("{}", "{enable-modsecurity: \"true\", enable-owasp-modsecurity-crs: \"true\"}");
        assert!(detect.fails[0].message.contains("only detects"), "{detect:?}");
        let no_rules = run_with("{}", "{enable-modsecurity: \"true\", modsecurity-snippet: \"SecRuleEngine On\"}");
        assert!(no_rules.fails[0].message.contains("no rule set"), "{no_rules:?}");
    }

    #[test]
    fn the_ingress_can_turn_it_off_or_on() {
        let on = "{enable-modsecurity: \"true\", enable-owasp-modsecurity-crs: \"true\", modsecurity-snippet: \"SecRuleEngine On\"}";
        assert_eq!(run_with("{}", on).passed, 1);
        assert_eq!(run_with("{nginx.ingress.kubernetes.io/enable-modsecurity: \"false\"}", on).fails.len(), 1);
        let annotated = "{nginx.ingress.kubernetes.io/enable-modsecurity: \"true\", nginx.ingress.kubernetes.io/enable-owasp-core-rules: \"true\", nginx.ingress.kubernetes.io/modsecurity-snippet: \"SecRuleEngine On\"}";
        assert_eq!(run_with(annotated, "").passed, 1);
    }

    #[test]
    fn a_cloud_waf_is_not_assessed() {
        let out = run_with("{alb.ingress.kubernetes.io/wafv2-acl-arn: \"arn:aws:wafv2:eu-west-1:1:regional/webacl/x/y\"}", "");
        assert_eq!((out.fails.len(), out.passed, out.not_assessed.len()), (0, 0, 1), "{out:?}");
    }
}
