use kubepci_findings::Evidence;
use kubepci_model::Resource;

use crate::support::each::{Verdict, each_namespace};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// The default ServiceAccount of a CDE namespace must not hand out tokens
    ///
    /// ## What it checks
    /// In every CDE namespace, the `default` ServiceAccount object sets
    /// `automountServiceAccountToken: false`. Kubernetes creates this account in every
    /// namespace; manifests rarely contain it, so without it in the input the namespace is not
    /// assessed.
    ///
    /// ## Why PCI DSS cares
    /// The default account is a vendor default account: every pod that names no account runs
    /// as it and, unless it says otherwise, gets its API token mounted. Turning automounting off
    /// on the account itself disables that default for every pod at once, including pods added
    /// later or by tools (2.2.2 asks that unused vendor default accounts are disabled; 7.2.5
    /// that application accounts get only the access they need). SA-001 and SA-002 judge the
    /// workloads; this check judges the account.
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
    /// metadata: {name: default, namespace: payments}
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
    /// metadata: {name: default, namespace: payments}
    /// automountServiceAccountToken: false
    /// ```
    ///
    /// ## Fix
    /// `kubectl patch serviceaccount default -n NAMESPACE -p '{"automountServiceAccountToken": false}'`
    /// for each CDE namespace (or manage the `default` account in your GitOps repository).
    pub DEFAULT_ACCOUNT_AUTOMOUNT {
        id: "SA-005",
        name: "default-service-account-automount",
        severity: Low,
        applies: Cde,
        reads: [Namespace, ServiceAccount],
        requirements: [
            ("2.2.2", "2.2.2.c", "the namespace's default account is a vendor default account whose token handing is disabled or not"),
            ("7.2.5", "7.2.5.b", "a token mounted from the default account gives pods an API credential they did not ask for"),
        ],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_namespace(e, |cx, ns, _| match cx.inv.get("ServiceAccount", Some(&ns.name), "default").map(|o| &o.resource) {
        Some(Resource::ServiceAccount(sa)) => match sa.automount_service_account_token {
            Some(false) => Verdict::Pass,
            value => Verdict::Fail(
                format!("the default ServiceAccount of {} mounts its token into pods", ns.name),
                vec![Evidence::field(format!("ServiceAccount/{}/default.automountServiceAccountToken", ns.name), value.map_or("<unset>".into(), |v| v.to_string()))],
            ),
        },
        _ => Verdict::NotAssessed("the default ServiceAccount is not in the input (Kubernetes creates it; manifests rarely hold it)".into()),
    });
}
