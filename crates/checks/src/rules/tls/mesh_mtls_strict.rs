use kubepci_findings::Evidence;
use kubepci_model::{Object, Resource};
use serde_json::Value;

use crate::support::each::{Problem, Verdict, each_namespace};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Where a service mesh runs, CDE namespaces must require mutual TLS
    ///
    /// ## What it checks
    /// Every CDE namespace in an Istio or Linkerd mesh. Istio (namespace labelled
    /// `istio-injection: enabled` or `istio.io/rev`): the namespace's own `PeerAuthentication`
    /// without a selector, or else the mesh-wide one in `istio-system`, must set
    /// `mtls.mode: STRICT` (no policy means PERMISSIVE), and no `PeerAuthentication` in the
    /// namespace may set `PERMISSIVE` or `DISABLE` for some workloads or ports. Linkerd
    /// (namespace annotated `linkerd.io/inject: enabled`): the namespace's
    /// `config.linkerd.io/default-inbound-policy` must be `all-authenticated`,
    /// `cluster-authenticated` or `deny`; without it the installation's default decides,
    /// which the input does not show (not assessed). A CDE namespace in no mesh is not
    /// assessed: mutual TLS inside it is then a matter for the applications.
    ///
    /// ## Why PCI DSS cares
    /// Service meshes encrypt and authenticate traffic between pods only when mutual TLS is
    /// required; in permissive mode a pod still accepts plain text, so tokens and passwords
    /// sent between CDE services can be read on the node network. Requirement 8.3.2 asks that
    /// authentication factors are unreadable in transit.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde, istio-injection: enabled}
    /// ---
    /// apiVersion: security.istio.io/v1
    /// kind: PeerAuthentication
    /// metadata: {name: default, namespace: payments}
    /// spec:
    ///   mtls: {mode: PERMISSIVE}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde, istio-injection: enabled}
    /// ---
    /// apiVersion: security.istio.io/v1
    /// kind: PeerAuthentication
    /// metadata: {name: default, namespace: istio-system}
    /// spec:
    ///   mtls: {mode: STRICT}
    /// ```
    ///
    /// ## Fix
    /// Istio: apply a `PeerAuthentication` with `mtls.mode: STRICT` in the CDE namespace (or
    /// mesh-wide in `istio-system`) and remove PERMISSIVE/DISABLE exceptions. Linkerd: annotate
    /// the namespace `config.linkerd.io/default-inbound-policy: all-authenticated`.
    pub MESH_MTLS_STRICT {
        id: "TLS-005",
        name: "cde-mesh-mtls-not-strict",
        severity: Medium,
        applies: Cde,
        reads: [Namespace, PeerAuthentication],
        requirements: [
            ("8.3.2", "8.3.2.a", "the mesh configuration shows whether credentials sent between CDE services are always encrypted in transit"),
        ],
        run: run,
    }
}

const ISTIO_ROOT_NAMESPACE: &str = "istio-system";
const LINKERD_POLICY: &str = "config.linkerd.io/default-inbound-policy";

/// A PeerAuthentication's body, for Istio's `security.istio.io` objects only.
fn peer_auth(o: &Object) -> Option<&serde_json::Map<String, Value>> {
    match &o.resource {
        Resource::Generic(g) if g.kind == "PeerAuthentication" && g.api_version.starts_with("security.istio.io/") => Some(&g.body),
        _ => None,
    }
}

fn mode(body: &serde_json::Map<String, Value>) -> Option<&str> {
    body.get("spec")?.get("mtls")?.get("mode")?.as_str()
}

fn has_selector(body: &serde_json::Map<String, Value>) -> bool {
    body.get("spec").and_then(|s| s.get("selector")).is_some_and(|s| s.get("matchLabels").and_then(Value::as_object).is_some_and(|m| !m.is_empty()))
}

/// The mode of the selector-less PeerAuthentication in `namespace` (UNSET inherits).
fn namespace_mode<'a>(cx: &Context<'a>, namespace: &str) -> Option<(&'a Object, &'a str)> {
    cx.inv.indices_of_kind_in("PeerAuthentication", namespace).iter().map(|&i| &cx.inv.objects[i]).find_map(|o| {
        let body = peer_auth(o)?;
        let m = mode(body).filter(|m| *m != "UNSET")?;
        (!has_selector(body)).then_some((o, m))
    })
}

fn istio(cx: &Context, ns: &str) -> Verdict {
    let (effective, source) = match namespace_mode(cx, ns).or_else(|| namespace_mode(cx, ISTIO_ROOT_NAMESPACE)) {
        Some((o, m)) => (m, format!("PeerAuthentication/{}/{}", o.namespace().unwrap_or(""), o.name())),
        None => ("PERMISSIVE", "no PeerAuthentication (Istio's default)".to_string()),
    };
    let mut problems = Vec::new();
    if effective != "STRICT" {
        problems.push(Problem::new(format!("mutual TLS is {effective} for the namespace ({source})"), Evidence::field("spec.mtls.mode", format!("{source}: {effective}"))));
    }
    for &i in cx.inv.indices_of_kind_in("PeerAuthentication", ns) {
        let o = &cx.inv.objects[i];
        let Some(body) = peer_auth(o) else { continue };
        let weak = |m: &str| matches!(m, "PERMISSIVE" | "DISABLE");
        if has_selector(body) && mode(body).is_some_and(weak) {
            problems.push(Problem::new(format!("PeerAuthentication {} sets {} for selected workloads", o.name(), mode(body).unwrap_or("")), Evidence::field(format!("PeerAuthentication/{ns}/{}", o.name()), "spec.mtls.mode")));
        }
        let ports = body.get("spec").and_then(|s| s.get("portLevelMtls")).and_then(Value::as_object);
        for (port, m) in ports.into_iter().flatten() {
            if m.get("mode").and_then(Value::as_str).is_some_and(weak) {
                problems.push(Problem::new(format!("PeerAuthentication {} relaxes mutual TLS on port {port}", o.name()), Evidence::field(format!("PeerAuthentication/{ns}/{}", o.name()), format!("spec.portLevelMtls.{port}"))));
            }
        }
    }
    Verdict::from_problems(problems)
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_namespace(e, |cx, ns, object| {
        let labels = object.map(|o| o.labels());
        let annotations = object.map(|o| o.annotations());
        let in_istio = labels.is_some_and(|l| l.get("istio-injection").is_some_and(|v| v == "enabled") || l.contains_key("istio.io/rev"));
        let in_linkerd = annotations.is_some_and(|a| a.get("linkerd.io/inject").is_some_and(|v| v == "enabled"));
        if in_istio {
            return istio(cx, &ns.name);
        }
        if in_linkerd {
            return match annotations.and_then(|a| a.get(LINKERD_POLICY)) {
                Some("all-authenticated" | "cluster-authenticated" | "deny") => Verdict::Pass,
                Some(other) => Verdict::Fail(format!("Linkerd accepts unauthenticated traffic in the namespace ({LINKERD_POLICY}: {other})"), vec![Evidence::field(format!("metadata.annotations.{LINKERD_POLICY}"), other)]),
                None => Verdict::NotAssessed(format!("no {LINKERD_POLICY} annotation: the Linkerd installation's default inbound policy decides, which the input does not show")),
            };
        }
        Verdict::NotAssessed("the namespace is in no service mesh (no Istio injection label, no Linkerd injection annotation)".into())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: payments, labels: {pci.kubepci.io/scope: cde, istio-injection: enabled}}\n";

    #[test]
    fn istio_defaults_to_permissive() {
        let out = crate::testing::run(&MESH_MTLS_STRICT, NS, "");
        assert!(out.fails[0].message.contains("PERMISSIVE"), "{:?}", out.fails);
    }

    #[test]
    fn workload_and_port_exceptions_fail_under_a_strict_namespace() {
        let yaml = format!("{NS}---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {{name: default, namespace: payments}}\nspec: {{mtls: {{mode: STRICT}}}}\n---\napiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\nmetadata: {{name: legacy, namespace: payments}}\nspec:\n  selector: {{matchLabels: {{app: legacy}}}}\n  mtls: {{mode: STRICT}}\n  portLevelMtls: {{\"8080\": {{mode: DISABLE}}}}\n");
        let out = crate::testing::run(&MESH_MTLS_STRICT, &yaml, "");
        assert_eq!(out.fails.len(), 1);
        assert!(out.fails[0].message.contains("port 8080"));
    }

    #[test]
    fn linkerd_and_no_mesh() {
        let linkerd = "apiVersion: v1\nkind: Namespace\nmetadata: {name: payments, labels: {pci.kubepci.io/scope: cde}, annotations: {linkerd.io/inject: enabled, config.linkerd.io/default-inbound-policy: all-unauthenticated}}\n";
        assert_eq!(crate::testing::run(&MESH_MTLS_STRICT, linkerd, "").fails.len(), 1);
        let strict = linkerd.replace("all-unauthenticated", "all-authenticated");
        assert_eq!(crate::testing::run(&MESH_MTLS_STRICT, &strict, "").passed, 1);
        let none = "apiVersion: v1\nkind: Namespace\nmetadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}\n";
        assert_eq!(crate::testing::run(&MESH_MTLS_STRICT, none, "").not_assessed.len(), 1);
    }
}
