use kubepci_findings::Evidence;

use super::gitops_managed::{CONTROLLERS, is_controller_object, mark};
use crate::support::each::{Verdict, each_of_kind};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// CDE network policies must be deployed by a GitOps controller
    ///
    /// ## What it checks
    /// On a snapshot or live cluster where a GitOps controller is present (Argo CD
    /// `Application`s, Flux `Kustomization`s or `HelmRelease`s in the input): every
    /// NetworkPolicy in a CDE namespace must carry the marks its controller puts on what it
    /// applies (as CHG-003: `argocd.argoproj.io/tracking-id`, `argocd.argoproj.io/instance`, an
    /// `app.kubernetes.io/instance` label naming an Application,
    /// `kustomize.toolkit.fluxcd.io/name` or `helm.toolkit.fluxcd.io/name`). One without them
    /// was applied by hand or by another tool and fails. On manifests (the marks are added
    /// when applied) or without a GitOps controller in the input the check is not assessed.
    ///
    /// ## Why PCI DSS cares
    /// NetworkPolicies are the CDE's network security controls. Requirement 1.2.2 asks that
    /// every change to network connections and to the configuration of those controls is
    /// approved and managed under the change-control process of 6.5.1. A policy applied
    /// through GitOps is a reviewed commit the assessor can trace (1.2.2.b); one applied by
    /// hand opened or closed paths into the CDE without that trail.
    ///
    /// ## Failing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: argoproj.io/v1alpha1
    /// kind: Application
    /// metadata: {name: payments, namespace: argocd}
    /// spec:
    ///   destination: {server: https://kubernetes.default.svc, namespace: payments}
    ///   source: {repoURL: https://git.example.com/pay/deploy.git, path: payments}
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: allow-debug, namespace: payments}
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Ingress]
    ///   ingress: [{}]
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: argoproj.io/v1alpha1
    /// kind: Application
    /// metadata: {name: payments, namespace: argocd}
    /// spec:
    ///   destination: {server: https://kubernetes.default.svc, namespace: payments}
    ///   source: {repoURL: https://git.example.com/pay/deploy.git, path: payments}
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: default-deny
    ///   namespace: payments
    ///   annotations: {argocd.argoproj.io/tracking-id: "payments:networking.k8s.io/NetworkPolicy:payments/default-deny"}
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Ingress, Egress]
    /// ```
    ///
    /// ## Fix
    /// Put the namespace's NetworkPolicies in the repository its Argo CD Application or Flux
    /// Kustomization deploys, delete the ones applied by hand, and enable self-heal and pruning
    /// so that changes made around the repository are reverted.
    pub NETPOL_GITOPS_MANAGED {
        id: "CHG-005",
        name: "cde-network-policy-not-gitops-managed",
        severity: Medium,
        applies: Cde,
        reads: [Application, HelmRelease, Kustomization, Namespace, NetworkPolicy],
        requirements: [("1.2.2", "1.2.2.b", "a CDE NetworkPolicy carrying its GitOps controller's marks traces back to a reviewed commit; one without them changed the network controls outside change control")],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    if !cx.input.is_cluster() {
        e.not_assessed(None, "manifests carry no GitOps marks (controllers add them when they apply); assess a snapshot or live cluster");
        return;
    }
    if !CONTROLLERS.iter().any(|(_, kind)| cx.inv.of_kind(kind).any(is_controller_object)) {
        e.not_assessed(None, "no Argo CD Application, Flux Kustomization or HelmRelease in the input: network policy changes may be controlled another way, which the cluster does not show");
        return;
    }
    each_of_kind(e, "NetworkPolicy", |cx, _, o| {
        if mark(cx, o).is_some() {
            return Verdict::Pass;
        }
        Verdict::Fail(
            format!("NetworkPolicy {} carries no GitOps controller's mark: it was applied outside the GitOps repository", o.name()),
            vec![Evidence::field("metadata", "no argocd.argoproj.io/tracking-id, argocd.argoproj.io/instance, kustomize.toolkit.fluxcd.io/name or helm.toolkit.fluxcd.io/name")],
        )
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "# input: snapshot\napiVersion: v1\nkind: Namespace\nmetadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: blog}\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: payments, namespace: flux-system}\nspec: {targetNamespace: payments, path: ./payments, sourceRef: {kind: GitRepository, name: deploy}}\n";

    #[test]
    fn flux_marked_passes_and_outside_the_cde_is_not_judged() {
        let yaml = format!("{BASE}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: deny, namespace: payments, labels: {{kustomize.toolkit.fluxcd.io/name: payments}}}}\nspec: {{podSelector: {{}}}}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: open, namespace: blog}}\nspec: {{podSelector: {{}}}}\n");
        let out = crate::testing::run(&NETPOL_GITOPS_MANAGED, &yaml, "");
        assert_eq!((out.fails.len(), out.passed), (0, 1), "{out:?}");
    }

    #[test]
    fn without_a_controller_or_on_manifests_not_assessed() {
        let policy = "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: payments}\nspec: {podSelector: {}}\n";
        let no_controller = format!("# input: snapshot\napiVersion: v1\nkind: Namespace\nmetadata: {{name: payments, labels: {{pci.kubepci.io/scope: cde}}}}\n{policy}");
        assert_eq!(crate::testing::run(&NETPOL_GITOPS_MANAGED, &no_controller, "").not_assessed.len(), 1);
        let manifests = format!("{}{policy}", BASE.replace("# input: snapshot\n", ""));
        assert_eq!(crate::testing::run(&NETPOL_GITOPS_MANAGED, &manifests, "").not_assessed.len(), 1);
        let unmarked = format!("{BASE}{policy}");
        assert_eq!(crate::testing::run(&NETPOL_GITOPS_MANAGED, &unmarked, "").fails.len(), 1);
    }
}
