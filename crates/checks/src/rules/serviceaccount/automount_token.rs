use kubepci_findings::Evidence;
use kubepci_model::{PodTemplate, Resource};

use crate::support::each::{Verdict, each_workload};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// CDE pods must not mount a service account token they do not need
    ///
    /// ## What it checks
    /// Every CDE workload sets `automountServiceAccountToken: false` on its pod spec, or
    /// leaves it unset and runs as a ServiceAccount that sets it to false. An explicit `true`
    /// on the pod fails. When the ServiceAccount is not in the input the decision is made from
    /// the pod alone, and the message says so.
    ///
    /// ## Why PCI DSS cares
    /// A mounted token is a credential for the Kubernetes API in every container's filesystem:
    /// whoever compromises the application can use it. Application accounts get only the access
    /// they need (7.2.5); most applications never call the API.
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
    /// kind: ServiceAccount
    /// metadata: {name: api, namespace: payments}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   serviceAccountName: api
    ///   containers:
    ///   - {name: api, image: registry.example.com/pay/api:1.0}
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
    /// kind: ServiceAccount
    /// metadata: {name: api, namespace: payments}
    /// automountServiceAccountToken: false
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   serviceAccountName: api
    ///   containers:
    ///   - {name: api, image: registry.example.com/pay/api:1.0}
    /// ```
    ///
    /// ## Fix
    /// Set `automountServiceAccountToken: false` on the ServiceAccount (or the pod spec). For
    /// workloads that do call the API, mount a short-lived projected token explicitly and
    /// record the need.
    pub AUTOMOUNT_TOKEN {
        id: "SA-001",
        name: "service-account-token-automount",
        severity: Medium,
        applies: Cde,
        reads: [workloads, Namespace, ServiceAccount],
        requirements: [("7.2.5", "7.2.5.b", "an API credential the application does not use is access beyond its need")],
        run: run,
    }
}

/// The ServiceAccount a pod runs as (`default` when none is named).
pub(crate) fn service_account_name<'a>(t: &PodTemplate<'a>) -> Option<&'a str> {
    t.spec.service_account_name.as_deref().or(t.spec.service_account.as_deref()).filter(|n| !n.is_empty())
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_workload(e, |cx, _, o, t| {
        let field = format!("{}.automountServiceAccountToken", t.spec_path);
        match t.spec.automount_service_account_token {
            Some(false) => return Verdict::Pass,
            Some(true) => return Verdict::Fail("pod sets automountServiceAccountToken: true".into(), vec![Evidence::field(field, "true")]),
            None => {}
        }
        let sa = service_account_name(t).unwrap_or("default");
        let pod_unset = Evidence::field(field, "<unset>");
        match cx.inv.get("ServiceAccount", o.namespace(), sa).map(|s| &s.resource) {
            Some(Resource::ServiceAccount(account)) => match account.automount_service_account_token {
                Some(false) => Verdict::Pass,
                value => Verdict::Fail(
                    format!("neither the pod nor ServiceAccount {sa} sets automountServiceAccountToken: false"),
                    vec![pod_unset, Evidence::field(format!("ServiceAccount/{sa}.automountServiceAccountToken"), value.map_or("<unset>".into(), |v| v.to_string()))],
                ),
            },
            _ => Verdict::Fail(
                format!("the pod does not set automountServiceAccountToken: false; ServiceAccount {sa} is not in the input, so this is decided from the pod alone"),
                vec![pod_unset],
            ),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run as run_check;

    const NS: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: pay, labels: {pci.kubepci.io/scope: cde}}\n---\n";

    #[test]
    fn pod_setting_wins_and_missing_account_is_said() {
        let pod = |automount: &str| format!("{NS}apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: pay}}\nspec: {{{automount}containers: [{{name: a, image: x:1}}]}}\n");
        assert_eq!(run_check(&AUTOMOUNT_TOKEN, &pod("automountServiceAccountToken: false, "), "").passed, 1);
        let explicit = run_check(&AUTOMOUNT_TOKEN, &pod("automountServiceAccountToken: true, "), "");
        assert!(explicit.fails[0].message.contains("sets automountServiceAccountToken: true"));
        let alone = run_check(&AUTOMOUNT_TOKEN, &pod(""), "");
        assert!(alone.fails[0].message.contains("ServiceAccount default is not in the input"), "{}", alone.fails[0].message);
        let sa_true = format!("{}---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: default, namespace: pay}}\nautomountServiceAccountToken: false\n", pod(""));
        assert_eq!(run_check(&AUTOMOUNT_TOKEN, &sa_true, "").passed, 1);
    }
}
