use kubepci_findings::Evidence;
use kubepci_model::Resource;
use kubepci_rbac::Rule;

use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Roles must not use wildcards outside system roles
    ///
    /// ## What it checks
    /// Every Role and ClusterRole in the input, except system roles (name starting with
    /// `system:`, or the bootstrap label `kubernetes.io/bootstrapping=rbac-defaults`): none of
    /// its own rules may contain `*` in `verbs`, `apiGroups`, `resources` or
    /// `nonResourceURLs`. Rules an aggregated ClusterRole collects from others are judged at
    /// their own role.
    ///
    /// ## Why PCI DSS cares
    /// A wildcard grants whatever exists now and whatever is added later (new verbs,
    /// subresources, CRDs holding card data), so nobody approved what it actually grants.
    /// Requirement 7.2.2 asks for least privilege by job function, which needs rights that are
    /// spelled out.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: app-operator, namespace: payments}
    /// rules:
    /// - apiGroups: ["apps"]
    ///   resources: ["*"]
    ///   verbs: ["*"]
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: app-operator, namespace: payments}
    /// rules:
    /// - apiGroups: ["apps"]
    ///   resources: ["deployments"]
    ///   verbs: ["get", "list", "watch", "patch"]
    /// ```
    ///
    /// ## Fix
    /// List the verbs, apiGroups and resources the role needs explicitly. Use the aggregated
    /// default roles (`view`, `edit`, `admin`) rather than writing wildcard copies of them.
    pub WILDCARD_RULES {
        id: "RBAC-002",
        name: "wildcard-rules",
        severity: Medium,
        applies: All,
        reads: [ClusterRole, Role],
        requirements: [("7.2.2", "7.2.2.b", "least privilege needs the granted verbs and resources spelled out; a wildcard grants whatever exists now and later")],
        run: run,
    }
}

/// Which fields of a rule use `*`, as evidence paths.
fn wildcard_fields(rule: &Rule) -> Vec<&'static str> {
    let star = |l: &[String]| l.iter().any(|x| x == "*");
    [("verbs", &rule.verbs), ("apiGroups", &rule.api_groups), ("resources", &rule.resources), ("nonResourceURLs", &rule.non_resource_urls)]
        .into_iter()
        .filter(|(_, l)| star(l))
        .map(|(f, _)| f)
        .collect()
}

fn run(cx: &Context, e: &mut Emitter) {
    let inv = cx.inv;
    for kind in ["Role", "ClusterRole"] {
        for &i in inv.indices_of_kind(kind) {
            let Some(o) = inv.objects.get(i) else { continue };
            let policy_rules = match &o.resource {
                Resource::Role(r) => r.rules.as_deref().unwrap_or(&[]),
                Resource::ClusterRole(r) => r.rules.as_deref().unwrap_or(&[]),
                _ => continue,
            };
            let bootstrap = o.labels().get("kubernetes.io/bootstrapping").is_some_and(|v| v == "rbac-defaults");
            if o.name().starts_with("system:") || bootstrap {
                e.pass(i);
                continue;
            }
            let mut evidence = Vec::new();
            for (k, pr) in policy_rules.iter().enumerate() {
                let rule = Rule::from(pr);
                for field in wildcard_fields(&rule) {
                    evidence.push(Evidence::field(format!("rules[{k}].{field}"), "*"));
                }
            }
            if evidence.is_empty() {
                e.pass(i);
            } else {
                let fields: Vec<&str> = evidence.iter().map(|ev| ev.path.as_str()).collect();
                e.fail(i, format!("{kind} {} uses wildcards in {}", o.name(), fields.join(", ")), evidence);
            }
        }
    }
}
